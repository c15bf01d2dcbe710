"""python -m dropout_lens run: the script runs as __main__ under the probe; failures leave a failed run."""

import json
import os
import stat

from conftest import EXAMPLES, launch, only_run


def run_json(folder):
    with open(os.path.join(only_run(folder), "run.json")) as f:
        return json.load(f)


def test_a_script_runs_as_main_with_its_arguments_and_its_run_is_completed(tmp_path):
    script = tmp_path / "hello.py"
    script.write_text("import sys\nprint(__name__, sys.argv[1:])\n")
    r = launch("run", "--out", str(tmp_path / "runs"), str(script), "--flag", "x")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "__main__ ['--flag', 'x']\n"
    record = run_json(tmp_path / "runs")
    assert record["kind"] == "probe" and record["status"] == "completed"
    assert record["summary"]["kind"] == "probe"


def test_a_failing_script_leaves_its_run_failed_with_the_traceback(tmp_path):
    script = tmp_path / "boom.py"
    script.write_text("import torch\n\ndef f():\n    raise ValueError('diverged')\n\nf()\n")
    r = launch("run", "--out", str(tmp_path / "runs"), str(script))
    assert r.returncode == 1
    assert "ValueError: diverged" in r.stderr
    record = run_json(tmp_path / "runs")
    assert record["status"] == "failed"
    assert "ValueError: diverged" in record["message"] and "line 4" in record["message"]


def test_sys_exit_code_is_the_launchers(tmp_path):
    script = tmp_path / "exit3.py"
    script.write_text("import sys\nsys.exit(5)\n")
    r = launch("run", "--out", str(tmp_path / "runs"), str(script))
    assert r.returncode == 5
    assert run_json(tmp_path / "runs")["status"] == "failed"


def test_an_unwritable_runs_folder_is_a_clear_message(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(stat.S_IRUSR | stat.S_IXUSR)
    script = tmp_path / "ok.py"
    script.write_text("print('never')\n")
    try:
        r = launch("run", "--out", str(locked / "runs"), str(script))
    finally:
        locked.chmod(stat.S_IRWXU)
    if os.geteuid() == 0:  # root writes anywhere: use a path under a file instead
        (tmp_path / "file").write_text("")
        r = launch("run", "--out", str(tmp_path / "file" / "runs"), str(script))
    assert r.returncode == 4
    assert "cannot write the runs folder" in r.stderr and "--out" in r.stderr
    assert "never" not in r.stdout


def test_missing_torch_is_a_clear_message(tmp_path):
    fake = tmp_path / "fake" / "torch"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("raise ImportError('No module named torch (test)')\n")
    script = tmp_path / "t.py"
    script.write_text("print('never')\n")
    from conftest import PYTHON_DIR

    r = launch("run", "--out", str(tmp_path / "runs"), str(script), env={"PYTHONPATH": f"{tmp_path / 'fake'}:{PYTHON_DIR}"})
    assert r.returncode == 3
    assert "PyTorch is not importable" in r.stderr


def test_each_example_shows_its_finding_at_its_line(tmp_path):
    expected = {
        "missing_eval.py": ("missing-eval", "accuracy = (model(xv)"),
        "missing_train_after_eval.py": ("missing-train-after-eval", "optimizer.step()"),
        "functional_no_training_flag.py": ("functional-dropout-no-training-flag", "F.dropout(h, p=0.5)"),
        "dropout_never_active.py": ("dropout-never-active", "F.dropout(h, p=self.p, training=train)"),
    }
    for name, (rule, text) in expected.items():
        out = tmp_path / name
        r = launch("run", "--out", str(out), os.path.join(EXAMPLES, name))
        assert r.returncode == 0, r.stderr
        findings = run_json(out)["summary"]["findings"]
        assert [f["rule"] for f in findings] == [rule], (name, findings)
        (finding,) = findings
        with open(finding["file"]) as f:
            line = f.read().splitlines()[finding["line"] - 1]
        assert text in line, (name, line)
        assert finding["message"].startswith("observed at run time")


ATTACHED = """
import sys
import torch, torch.nn as nn
import dropout_lens

model = dropout_lens.attach(nn.Sequential(nn.Linear(4, 16), nn.Dropout(0.5), nn.Linear(16, 1)))
opt = torch.optim.SGD(model.parameters(), lr=0.1)
for _ in range(3):
    opt.zero_grad(); model(torch.randn(8, 4)).sum().backward(); opt.step()
with torch.no_grad():
    model(torch.randn(8, 4))  # line 11
if sys.argv[1:] == ["fail"]:
    raise ValueError("diverged")
"""


def test_attach_without_the_launcher_records_its_own_run_completed_or_failed(tmp_path):
    import subprocess
    import sys

    from conftest import PYTHON_DIR

    script = tmp_path / "attached.py"
    script.write_text(ATTACHED)
    env = {**os.environ, "PYTHONPATH": PYTHON_DIR}
    for arg, status in (("ok", "completed"), ("fail", "failed")):
        cwd = tmp_path / arg
        cwd.mkdir()
        subprocess.run([sys.executable, str(script), arg], cwd=cwd, env=env, capture_output=True, timeout=120)
        record = run_json(cwd / ".dropout-lens" / "runs")
        assert record["status"] == status
        assert [(f["rule"], f["line"]) for f in record["summary"]["findings"]] == [("missing-eval", 11)]
    assert "ValueError: diverged" in record["message"]


KILLED = """
import os, signal
import torch, torch.nn as nn

model = nn.Sequential(nn.Linear(4, 16), nn.Dropout(0.5), nn.Linear(16, 1))
opt = torch.optim.SGD(model.parameters(), lr=0.1)
for step in range(20):
    opt.zero_grad(); model(torch.randn(8, 4)).sum().backward(); opt.step()
with torch.no_grad():
    model(torch.randn(8, 4))
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_a_killed_script_leaves_its_records_and_summarize_reads_them(tmp_path):
    script = tmp_path / "killed.py"
    script.write_text(KILLED)
    r = launch("run", "--out", str(tmp_path / "runs"), "--period", "1", str(script))
    assert r.returncode == -9
    run = only_run(tmp_path / "runs")
    assert run_json(tmp_path / "runs")["status"] == "running"  # nobody could end it
    s = launch("summarize", run)
    assert s.returncode == 0, s.stderr
    summary = json.loads(s.stdout)
    (module,) = summary["modules"]
    assert module["name"] == "1" and module["partial"] is True and module["trainCalls"] >= 2
    assert 0.2 < module["realizedDrop"] < 0.8
    assert [f["rule"] for f in summary["findings"]] == ["missing-eval"]


WORKERS = """
import torch, torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

ds = TensorDataset(torch.randn(256, 4), torch.randn(256, 1))
model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Dropout(0.3), nn.Linear(16, 1))
opt = torch.optim.SGD(model.parameters(), lr=0.01)
for epoch in range(2):
    model.train()
    for xb, yb in DataLoader(ds, batch_size=32, num_workers=2):  # workers forked before the first forward
        opt.zero_grad(); ((model(xb) - yb) ** 2).mean().backward(); opt.step()
"""


def test_forked_dataloader_workers_write_nothing_into_the_run(tmp_path):
    script = tmp_path / "workers.py"
    script.write_text(WORKERS)
    r = launch("run", "--out", str(tmp_path / "runs"), str(script))
    assert r.returncode == 0, r.stderr
    run = only_run(tmp_path / "runs")
    assert sorted(os.listdir(run)) == ["rank-0.ndjson", "run.json"]
    summary = run_json(tmp_path / "runs")["summary"]
    assert summary["ranks"] == 1 and summary["findings"] == []
    assert [(m["name"], m["trainCalls"]) for m in summary["modules"]] == [("2", 16)]
