"""Record files: one append-only JSON-lines file per process (per DDP rank) in the run's folder.

Every record is one line, written with a single ``os.write`` on a file opened with ``O_APPEND``, and nothing
is buffered in the process: a killed script leaves every record up to its last complete line. A reader drops
a trailing line without its newline (the one record a kill can cut).

Disk stays bounded: when a file passes ``max_bytes / 2``, it is renamed to ``<name>.1`` (replacing the
previous one) and a new file starts with the header again, so one process never keeps more than about
``max_bytes`` on disk.
"""

from __future__ import annotations

import json
import os
from typing import Any, Optional

DEFAULT_MAX_BYTES = 64 * 1024 * 1024


def _json_default(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    return str(value)


class RecordWriter:
    """Appends JSON records to ``path``, rotating at half of ``max_bytes``."""

    def __init__(self, path: str, *, max_bytes: int = DEFAULT_MAX_BYTES, header: Optional[dict] = None) -> None:
        self.path = path
        self.max_bytes = max(4096, int(max_bytes))
        self.header = header
        self.rotations = 0
        self.written = 0
        self._fd: Optional[int] = None
        self._open()

    def _open(self) -> None:
        self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        self._size = os.fstat(self._fd).st_size
        if self.header is not None and self._size == 0:
            self._write_line(self.header)

    def _write_line(self, record: dict) -> None:
        assert self._fd is not None
        data = (json.dumps(record, separators=(",", ":"), default=_json_default) + "\n").encode("utf-8")
        os.write(self._fd, data)
        self._size += len(data)
        self.written += 1

    def write(self, record: dict) -> None:
        if self._fd is None:
            return
        if self._size >= self.max_bytes // 2:
            self._rotate()
        self._write_line(record)

    def set_header(self, header: dict) -> None:
        """The header every rotated file starts with (e.g. once the rank is known)."""
        self.header = header

    def _rotate(self) -> None:
        assert self._fd is not None
        os.close(self._fd)
        os.replace(self.path, self.path + ".1")
        self.rotations += 1
        self._open()

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def read_records(path: str) -> list[dict]:
    """Reads one record file, its rotated predecessor first. Skips a cut last line and any line that is not a
    JSON object; never raises for a missing file."""
    out: list[dict] = []
    for name in (path + ".1", path):
        try:
            with open(name, "rb") as f:
                data = f.read()
        except FileNotFoundError:
            continue
        lines = data.split(b"\n")
        # The last element is b"" after a complete last line, or a record cut by a kill.
        for line in lines[:-1]:
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict):
                out.append(record)
    return out
