"""``python -m dropout_lens run [OPTIONS] SCRIPT.py ARGS...``: runs a script with the probe installed before
any of its code, like ``python SCRIPT.py ARGS...`` would (``__main__``, ``sys.argv``, ``sys.path[0]``).

``python -m dropout_lens summarize RUN_DIR``: prints a run's summary as JSON (for a run whose script was
killed before it could write one).

Exit codes: the script's own; 1 when it raised; 3 torch is missing; 4 the runs folder is not writable;
2 bad usage.
"""

from __future__ import annotations

import argparse
import json
import os
import runpy
import sys
import traceback
from typing import Optional

EXIT_NO_TORCH = 3
EXIT_UNWRITABLE = 4

_AUTOLOAD = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_autoload")
_PACKAGE_PARENT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _err(text: str) -> None:
    sys.stderr.write(f"dropout-lens: {text}\n")
    sys.stderr.flush()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m dropout_lens", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run a script with the probe")
    run.add_argument("--out", help="the runs folder (default: ./.dropout-lens/runs)")
    run.add_argument("--period", type=int, help="record every N-th step (default: adaptive, at most --max-rate/s)")
    run.add_argument("--max-rate", type=float, default=30.0, help="records per second at most (default 30)")
    run.add_argument("--run-id", help=argparse.SUPPRESS)
    run.add_argument("script")
    run.add_argument("args", nargs=argparse.REMAINDER)
    summarize = sub.add_parser("summarize", help="print a run's summary as JSON")
    summarize.add_argument("run_dir")
    return parser


def _run(options: argparse.Namespace) -> int:
    script = options.script
    if not os.path.isfile(script):
        _err(f"no such script: {script}")
        return 2
    try:
        import torch  # noqa: F401
    except ImportError as error:
        _err(
            f"PyTorch is not importable by {sys.executable} ({error}). Run the probe with the interpreter your "
            "training uses (the dropoutLens.python setting in VS Code, or the PYTHON after -- on the CLI)."
        )
        return EXIT_NO_TORCH
    from .probe import Probe
    from .runs import ENV_RUN_DIR, RunFolder

    try:
        folder = RunFolder.create(options.out, script=script, argv=[script, *options.args], run_id=options.run_id)
    except OSError as error:
        where = options.out or os.path.join(os.getcwd(), ".dropout-lens", "runs")
        _err(f"cannot write the runs folder {where}: {error.strerror or error}. Pass --out DIR to write elsewhere.")
        return EXIT_UNWRITABLE
    # For the processes the script starts (DDP ranks): they find the run and load the probe on `import torch`.
    os.environ[ENV_RUN_DIR] = folder.path
    os.environ["DROPOUT_LENS_MAIN_PID"] = str(os.getpid())
    path = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    os.environ["PYTHONPATH"] = os.pathsep.join([_AUTOLOAD, _PACKAGE_PARENT, *[p for p in path if p not in (_AUTOLOAD, _PACKAGE_PARENT)]])
    sys.stderr.write(f"dropout-lens: recording into {folder.path}\n")
    sys.stderr.flush()

    try:
        probe = Probe(folder.path, period=options.period, max_rate=options.max_rate, write_run=False)
        probe.run = folder
        probe.install()
    except Exception:
        text = traceback.format_exc()
        _err("the probe could not be installed:\n" + text)
        folder.finish("failed", message="the probe could not be installed:\n" + text, summary={"kind": "probe"})
        return 1
    sys.argv = [script, *options.args]
    sys.path[0] = os.path.dirname(os.path.abspath(script))
    status, message, code = "completed", None, 0
    try:
        runpy.run_path(script, run_name="__main__")
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
        if exit_.code is not None and not isinstance(exit_.code, int):
            sys.stderr.write(f"{exit_.code}\n")
        if code != 0:
            status, message = "failed", f"the script exited with code {code}"
    except KeyboardInterrupt:
        status, message, code = "stopped", "interrupted (KeyboardInterrupt)", 130
        traceback.print_exc()
    except BaseException:
        text = traceback.format_exc()
        sys.stderr.write(text)
        status, message, code = "failed", text, 1
    finally:
        sys.stdout.flush()
        probe.close(status)
        probe.uninstall()
        try:
            folder.finish(status, message=message)
        except Exception as error:  # the run stays "running"; its records are intact
            _err(f"could not finish the run record: {error}")
    return code


def main(argv: Optional[list[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    options = _parser().parse_args(argv)
    if options.command == "summarize":
        from .analyze import summarize

        print(json.dumps(summarize(options.run_dir)))
        return 0
    return _run(options)


if __name__ == "__main__":
    sys.exit(main())
