"""The probe never changes the training: the same seed gives bit-for-bit the same losses with and without it,
even when it reads every step's masks."""

import os
import subprocess
import sys

from conftest import EXAMPLES, PYTHON_DIR, launch


def test_losses_are_bit_for_bit_identical_with_and_without_the_probe(tmp_path):
    script = os.path.join(EXAMPLES, "train_clean.py")
    args = ["--epochs", "2", "--seed", "7", "--print-losses"]
    plain = subprocess.run([sys.executable, script, *args], capture_output=True, text=True, timeout=120)
    assert plain.returncode == 0, plain.stderr
    probed = launch("run", "--out", str(tmp_path), "--period", "1", script, *args)
    assert probed.returncode == 0, probed.stderr
    losses = [line for line in plain.stdout.splitlines() if line.startswith("loss ")]
    assert len(losses) == 32
    assert probed.stdout == plain.stdout
