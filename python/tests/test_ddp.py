"""DDP with two gloo ranks on 127.0.0.1 (torch.multiprocessing.spawn): every rank records its own file,
and the same seed on every rank is identical-masks-across-ranks."""

import json
import os

from conftest import EXAMPLES, launch, only_run


def summary_of(folder):
    run = only_run(folder)
    with open(os.path.join(run, "run.json")) as f:
        record = json.load(f)
    return run, record


def test_two_ranks_with_the_same_seed_draw_identical_masks(tmp_path):
    r = launch("run", "--out", str(tmp_path), os.path.join(EXAMPLES, "ddp_same_seed.py"))
    assert r.returncode == 0, r.stderr
    run, record = summary_of(tmp_path)
    assert sorted(os.listdir(run)) == ["rank-0.ndjson", "rank-1.ndjson", "run.json"]
    summary = record["summary"]
    assert summary["ranks"] == 2
    assert sorted(m["rank"] for m in summary["modules"]) == [0, 1]
    (finding,) = summary["findings"]
    assert finding["rule"] == "identical-masks-across-ranks" and finding["ranks"] == [0, 1]
    assert finding["file"].endswith("ddp_same_seed.py")


def test_a_seed_per_rank_draws_different_masks(tmp_path):
    r = launch("run", "--out", str(tmp_path), os.path.join(EXAMPLES, "ddp_same_seed.py"), "--seed-per-rank")
    assert r.returncode == 0, r.stderr
    _, record = summary_of(tmp_path)
    assert record["summary"]["ranks"] == 2
    assert record["summary"]["findings"] == []


LAUNCHER = """
import os, socket, subprocess, sys
# What torchrun does (Debian's torchrun 1.13 fails on Python 3.11 before starting any rank): one process per
# rank, the rendezvous in the environment.
with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
procs = [
    subprocess.Popen(
        [sys.executable, sys.argv[1]],
        env={**os.environ, "RANK": str(r), "LOCAL_RANK": str(r), "WORLD_SIZE": "2",
             "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(port)},
    )
    for r in range(2)
]
sys.exit(max(p.wait() for p in procs))
"""


def test_ranks_a_launcher_starts_load_the_probe_on_import_torch(tmp_path):
    launcher = tmp_path / "launch.py"
    launcher.write_text(LAUNCHER)
    import sys

    r = launch(
        "exec", "--out", str(tmp_path / "runs"), "--", sys.executable, str(launcher),
        os.path.join(EXAMPLES, "ddp_same_seed.py"),
    )
    assert r.returncode == 0, r.stderr
    run, record = summary_of(tmp_path / "runs")
    assert record["status"] == "completed"
    assert record["config"]["name"] == "launch.py"
    assert sorted(f for f in os.listdir(run) if f.endswith(".ndjson")) == ["rank-0.ndjson", "rank-1.ndjson"]
    assert [f["rule"] for f in record["summary"]["findings"]] == ["identical-masks-across-ranks"]
