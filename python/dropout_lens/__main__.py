"""``python -m dropout_lens run [OPTIONS] SCRIPT.py ARGS...``: runs a script with the probe installed before
any of its code, like ``python SCRIPT.py ARGS...`` would (``__main__``, ``sys.argv``, ``sys.path[0]``).

``python -m dropout_lens exec [OPTIONS] -- COMMAND ARGS...``: runs a launcher that starts Python processes itself
(``torchrun ... train.py``): every Python process it starts loads the probe when it imports torch and records
into the run (each DDP rank its own file); the run ends with the command's exit code.

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
from typing import TYPE_CHECKING, Optional

if TYPE_CHECKING:
    from .runs import RunFolder

EXIT_NO_TORCH = 3
EXIT_UNWRITABLE = 4

_AUTOLOAD = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_autoload")
_PACKAGE_PARENT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _err(text: str) -> None:
    sys.stderr.write(f"dropout-lens: {text}\n")
    sys.stderr.flush()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m dropout_lens", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="action", required=True)
    run = sub.add_parser("run", help="run a script with the probe")
    run.add_argument("--out", help="the runs folder (default: ./.dropout-lens/runs)")
    run.add_argument("--period", type=int, help="record every N-th step (default: adaptive, at most --max-rate/s)")
    run.add_argument("--max-rate", type=float, default=30.0, help="records per second at most (default 30)")
    run.add_argument("--run-id", help=argparse.SUPPRESS)
    run.add_argument("script")
    run.add_argument("args", nargs=argparse.REMAINDER)
    exec_ = sub.add_parser("exec", help="run a launcher command (torchrun ...) whose Python processes load the probe")
    exec_.add_argument("--out", help="the runs folder (default: ./.dropout-lens/runs)")
    exec_.add_argument("--period", type=int, help=argparse.SUPPRESS)
    exec_.add_argument("--run-id", help=argparse.SUPPRESS)
    exec_.add_argument("command", nargs=argparse.REMAINDER)
    summarize = sub.add_parser("summarize", help="print a run's summary as JSON")
    summarize.add_argument("run_dir")
    return parser


def _prepare(options: argparse.Namespace, script: str, argv: list[str]) -> "tuple[Optional[RunFolder], int]":
    """Creates the run folder and the environment for the processes the script or command starts. Returns
    (folder, 0), or (None, exit code) after a message."""
    from .runs import ENV_RUN_DIR, RunFolder

    try:
        folder = RunFolder.create(options.out, script=script, argv=argv, run_id=options.run_id)
    except OSError as error:
        where = options.out or os.path.join(os.getcwd(), ".dropout-lens", "runs")
        _err(f"cannot write the runs folder {where}: {error.strerror or error}. Pass --out DIR to write elsewhere.")
        return None, EXIT_UNWRITABLE
    # For the processes the script starts (DDP ranks): they find the run and load the probe on `import torch`.
    os.environ[ENV_RUN_DIR] = folder.path
    os.environ["DROPOUT_LENS_MAIN_PID"] = str(os.getpid())
    if options.period:
        os.environ["DROPOUT_LENS_PERIOD"] = str(options.period)
    path = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p and p not in (_AUTOLOAD, _PACKAGE_PARENT)]
    os.environ["PYTHONPATH"] = os.pathsep.join([_AUTOLOAD, _PACKAGE_PARENT, *path])
    sys.stderr.write(f"dropout-lens: recording into {folder.path}\n")
    sys.stderr.flush()
    return folder, 0


def _exec(options: argparse.Namespace) -> int:
    import subprocess

    command = options.command[1:] if options.command[:1] == ["--"] else options.command
    if not command:
        _err("exec needs a command after --")
        return 2
    script = next((a for a in command[1:] if a.endswith(".py")), command[0])
    folder, code = _prepare(options, script, command)
    if folder is None:
        return code
    try:
        code = subprocess.call(command)
    except OSError as error:
        _err(f"cannot run {command[0]}: {error.strerror or error}")
        folder.finish("failed", message=f"cannot run {command[0]}: {error}")
        return 2
    except KeyboardInterrupt:
        code = 130
    status = "completed" if code == 0 else "stopped" if code == 130 else "failed"
    message = None if code == 0 else f"{os.path.basename(command[0])} exited with code {code}"
    folder.finish(status, message=message)
    return code


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

    folder, code = _prepare(options, script, [script, *options.args])
    if folder is None:
        return code

    try:
        probe = Probe(folder.path, period=options.period, max_rate=options.max_rate, write_run=False)
        probe.run = folder
        probe.install()
    except Exception:
        text = traceback.format_exc()
        _err("the probe could not be installed:\n" + text)
        folder.finish("failed", message="the probe could not be installed:\n" + text)
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
    if options.action == "summarize":
        from .analyze import summarize

        print(json.dumps(summarize(options.run_dir)))
        return 0
    if options.action == "exec":
        return _exec(options)
    return _run(options)


if __name__ == "__main__":
    sys.exit(main())
