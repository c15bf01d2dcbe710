"""Tests of the runtime probe on real PyTorch (Debian's python3-torch): /usr/bin/python3 -m pytest python/tests"""

import os
import subprocess
import sys

import pytest

PYTHON_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROOT = os.path.dirname(PYTHON_DIR)
EXAMPLES = os.path.join(ROOT, "examples", "pytorch", "probe")
sys.path.insert(0, PYTHON_DIR)


@pytest.fixture
def probe(tmp_path):
    """A probe installed for one test, recording into tmp_path, removed afterwards."""
    from dropout_lens.probe import Probe

    p = Probe(str(tmp_path), write_run=False, period=1, per_step=1000).install()
    try:
        yield p
    finally:
        p.close()
        p.uninstall()


def launch(*args, cwd=None, env=None, timeout=120):
    """python -m dropout_lens ARGS in a fresh interpreter (this one)."""
    full_env = {**os.environ, "PYTHONPATH": PYTHON_DIR, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "dropout_lens", *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def only_run(folder):
    runs = [os.path.join(folder, d) for d in os.listdir(folder)]
    assert len(runs) == 1, runs
    return runs[0]
