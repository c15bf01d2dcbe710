"""The run folder: ``.dropout-lens/runs/<id>/`` with ``run.json`` (the run record, kind ``probe``) and one
``rank-<k>.ndjson`` record file per process. See docs/run-format.md."""

from __future__ import annotations

import datetime
import json
import os
import secrets
import sys
from typing import Any, Optional

RUN_FORMAT = "dropout-lens/run@1"
DEFAULT_RUNS_FOLDER = os.path.join(".dropout-lens", "runs")
ENV_RUN_DIR = "DROPOUT_LENS_RUN_DIR"


def new_run_id(now: Optional[datetime.datetime] = None) -> str:
    """Time first, so ids sort by creation; the suffix comes from os.urandom (no RNG a script seeds)."""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    stamp = now.strftime("%Y-%m-%dT%H-%M-%S-") + f"{now.microsecond // 1000:03d}Z"
    return f"{stamp}-probe-{secrets.token_hex(2)}"


def _iso(t: Optional[datetime.datetime] = None) -> str:
    t = t or datetime.datetime.now(datetime.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def write_json_atomic(path: str, value: Any) -> None:
    temp = f"{path}.{os.getpid()}.tmp"
    with open(temp, "w", encoding="utf-8") as f:
        json.dump(value, f)
    os.replace(temp, path)


class RunFolder:
    """One probe run on disk. ``owned`` runs are ended by this process (``finish``)."""

    def __init__(self, path: str, record: Optional[dict], owned: bool) -> None:
        self.path = path
        self.record = record
        self.owned = owned

    @property
    def run_file(self) -> str:
        return os.path.join(self.path, "run.json")

    @classmethod
    def create(
        cls,
        runs_folder: Optional[str] = None,
        *,
        script: Optional[str] = None,
        argv: Optional[list[str]] = None,
        run_id: Optional[str] = None,
    ) -> "RunFolder":
        """Creates ``<runs_folder>/<id>/run.json`` (status ``running``). Raises OSError when the folder cannot be
        written."""
        runs_folder = runs_folder or os.path.join(os.getcwd(), DEFAULT_RUNS_FOLDER)
        run_id = run_id or new_run_id()
        path = os.path.join(os.path.abspath(runs_folder), run_id)
        os.makedirs(path, exist_ok=False)
        now = _iso()
        script = script or (sys.argv[0] if sys.argv and sys.argv[0] else None)
        record = {
            "format": RUN_FORMAT,
            "id": run_id,
            "kind": "probe",
            "config": {
                "name": os.path.basename(script) if script else "python",
                **({"path": os.path.abspath(script)} if script else {}),
            },
            "createdAt": now,
            "updatedAt": now,
            "status": "running",
            "epochs": [],
            "probe": {
                "argv": list(argv if argv is not None else sys.argv),
                "python": sys.executable,
                "pythonVersion": sys.version.split()[0],
                "cwd": os.getcwd(),
                "pid": os.getpid(),
            },
        }
        try:
            import torch

            record["probe"]["torch"] = torch.__version__
        except Exception:
            pass
        folder = cls(path, record, owned=True)
        folder.save()
        return folder

    @classmethod
    def open_or_create(cls, run_dir: Optional[str] = None, *, write_run: Optional[bool] = None) -> "RunFolder":
        """The folder a probe writes into: ``run_dir``, else the launcher's (``DROPOUT_LENS_RUN_DIR``), else a
        new run under ``./.dropout-lens/runs`` that this process owns."""
        run_dir = run_dir or os.environ.get(ENV_RUN_DIR)
        if run_dir:
            os.makedirs(run_dir, exist_ok=True)
            record = read_run(run_dir)
            owned = write_run if write_run is not None else False
            return cls(os.path.abspath(run_dir), record, owned)
        return cls.create()

    def save(self) -> None:
        if self.record is None:
            return
        self.record["updatedAt"] = _iso()
        write_json_atomic(self.run_file, self.record)

    def finish(self, status: str, *, message: Optional[str] = None, summary: Optional[dict] = None) -> None:
        if self.record is None:
            self.record = read_run(self.path)
        if self.record is None:
            return
        self.record["status"] = status
        if message:
            self.record["message"] = message
        if summary is None:
            from .analyze import summarize

            summary = summarize(self.path)
        self.record["summary"] = summary
        self.save()


def read_run(path: str) -> Optional[dict]:
    try:
        with open(os.path.join(path, "run.json"), encoding="utf-8") as f:
            value = json.load(f)
        return value if isinstance(value, dict) else None
    except (OSError, ValueError):
        return None
