import json
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

from dropout_lens.records import RecordWriter, read_records


def records(probe, t=None):
    probe.writer and None
    rows = read_records(probe.writer.path) if probe.writer else []
    return [r for r in rows if t is None or r.get("t") == t]


def train_step(model, opt, x):
    opt.zero_grad()
    model(x).sum().backward()
    opt.step()


def test_names_modes_and_masks_of_a_training_step(probe):
    model = nn.Sequential(nn.Linear(8, 32), nn.BatchNorm1d(32), nn.ReLU(), nn.Dropout(0.25), nn.Linear(32, 1))
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    torch.manual_seed(0)
    for _ in range(3):
        train_step(model, opt, torch.randn(16, 8))
    assert probe.step == 3
    (model_record,) = records(probe, "model")
    assert [(m["name"], m["kind"]) for m in model_record["modules"]] == [("1", "BatchNorm"), ("3", "Dropout")]
    assert model_record["modules"][1]["line"] > 0 and model_record["modules"][1]["file"] == os.path.abspath(__file__)
    fwd = records(probe, "fwd")
    assert [r["step"] for r in fwd] == [0, 1, 2]
    assert fwd[0]["modes"] == {"1": 1, "3": 1}
    assert fwd[0]["file"] == os.path.abspath(__file__)
    (call,) = fwd[0]["calls"]
    assert call["name"] == "3" and call["training"] is True and 0 < call["drop"] < 0.6
    assert probe.findings.json() == []


def test_the_summary_names_each_dropouts_last_mode_even_when_that_call_was_not_sampled(probe):
    model = nn.Sequential(nn.Linear(4, 16), nn.Dropout(0.5), nn.Linear(16, 1))
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    train_step(model, opt, torch.randn(8, 4))
    (module,) = [m for m in probe.summary()["modules"] if m["name"] == "1"]
    assert module["mode"] == "train"
    probe.period = 1 << 20  # no later forward is sampled
    model.eval()
    with torch.no_grad():
        model(torch.randn(8, 4))
    (module,) = [m for m in probe.summary()["modules"] if m["name"] == "1"]
    assert module["mode"] == "eval" and module["trainCalls"] == 1 and module["evalCalls"] == 1


def test_no_grad_forward_with_dropout_on_is_missing_eval_at_the_call_line(probe):
    model = nn.Sequential(nn.Linear(4, 16), nn.Dropout(0.5), nn.Linear(16, 1))
    with torch.no_grad():
        model(torch.randn(8, 4))  # the line the finding names
    line = test_no_grad_forward_with_dropout_on_is_missing_eval_at_the_call_line.__code__.co_firstlineno + 3
    (finding,) = probe.findings.json()
    assert finding["rule"] == "missing-eval" and finding["line"] == line and finding["file"] == os.path.abspath(__file__)
    model.eval()
    with torch.no_grad():
        model(torch.randn(8, 4))
    assert len(probe.findings) == 1


def test_monte_carlo_dropout_on_purpose_is_not_flagged(probe):
    model = nn.Sequential(nn.Linear(4, 16), nn.BatchNorm1d(16), nn.Dropout(0.5), nn.Linear(16, 1))
    model.eval()
    model[2].train()  # only dropout on: MC dropout
    with torch.no_grad():
        model(torch.randn(8, 4))
    assert probe.findings.json() == []


class Functional(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 8)

    def forward(self, x):
        return F.dropout(self.fc(x), 0.5)  # training defaults to True


def test_functional_dropout_is_attributed_to_its_module_and_flagged_in_eval(probe):
    model = nn.Sequential(Functional(), nn.Dropout(0.1))
    model.eval()
    model(torch.randn(4, 8))
    (finding,) = probe.findings.json()
    assert finding["rule"] == "functional-dropout-no-training-flag"
    assert finding["line"] == Functional.forward.__code__.co_firstlineno + 1
    names = sorted(s.name for s in probe.stats.values())
    assert names == ["0 (F.dropout at test_probe.py:%d)" % finding["line"], "1"]
    # nn.Dropout calls F.dropout itself: counted once, as the module
    assert [s.eval_calls for s in probe.stats.values() if s.name == "1"] == [1]


def test_attention_weight_dropout_inside_multihead_attention_is_seen(probe):
    mha = nn.MultiheadAttention(16, 2, dropout=0.5, batch_first=True)
    x = torch.randn(2, 5, 16)
    mha(x, x, x, need_weights=True)
    kinds = [(s.name, s.kind) for s in probe.stats.values()]
    assert any(kind == "F.dropout" and name.startswith("MultiheadAttention") for name, kind in kinds), kinds


def test_optimizer_step_in_eval_mode_is_missing_train_after_eval(probe):
    model = nn.Sequential(nn.Linear(4, 8), nn.Dropout(0.3), nn.Linear(8, 1))
    opt = torch.optim.Adam(model.parameters())
    train_step(model, opt, torch.randn(4, 4))
    model.eval()
    train_step(model, opt, torch.randn(4, 4))
    rules = [f["rule"] for f in probe.findings.json()]
    assert rules == ["missing-train-after-eval"]


def test_dropout_that_never_ran_in_train_mode_is_never_active(probe):
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 4)
            self.drop = nn.Dropout(0.4)

        def forward(self, x, train=False):
            return F.dropout(self.fc(x), 0.2, training=train)

    model = Net()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    for _ in range(2):
        train_step(model, opt, torch.randn(4, 4))
    probe._end_findings()
    found = sorted((f["rule"], f["message"].split(" (")[0]) for f in probe.findings.json())
    assert found == [
        ("dropout-never-active", "observed at run time: Net"),
        ("dropout-never-active", "observed at run time: drop"),
    ]


def test_the_probe_draws_no_random_number():
    from dropout_lens.probe import Probe

    model = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Dropout(0.5), nn.Linear(32, 2))
    x = torch.randn(16, 8)

    def run():
        torch.manual_seed(123)
        out = model(x)
        return out, torch.get_rng_state()

    plain, plain_state = run()
    p = Probe(os.devnull + ".d", write_run=False, period=1).install()
    try:
        p.writer = RecordWriter(os.devnull)
        probed, probed_state = run()
    finally:
        p._closed = True
        p.uninstall()
    assert torch.equal(plain, probed)
    assert torch.equal(plain_state, probed_state)


def test_sampling_keeps_the_record_rate_bounded(tmp_path):
    from dropout_lens.probe import Probe

    p = Probe(str(tmp_path), write_run=False, max_rate=30.0).install()
    try:
        model = nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.5))
        opt = torch.optim.SGD(model.parameters(), lr=0.01)
        for _ in range(2000):
            train_step(model, opt, torch.randn(2, 4))
    finally:
        p.close()
        p.uninstall()
    assert p.period >= 8, p.period
    fwd = [r for r in read_records(p.writer.path) if r["t"] == "fwd"]
    assert len(fwd) < 2000 / 4
    assert all(r["step"] % 2 == 0 for r in fwd[40:])  # power-of-two periods: sampled steps stay aligned


def test_record_files_rotate_at_their_size_cap_and_survive_a_cut_line(tmp_path):
    path = str(tmp_path / "rank-0.ndjson")
    writer = RecordWriter(path, max_bytes=8192, header={"t": "header"})
    for i in range(2000):
        writer.write({"t": "fwd", "i": i, "pad": "x" * 40})
    writer.close()
    assert os.path.getsize(path) <= 8192 and os.path.getsize(path + ".1") <= 8192
    with open(path, "ab") as f:
        f.write(b'{"t":"fwd","i":')  # a record cut by a kill
    rows = read_records(path)
    assert rows[-1]["i"] == 1999
    assert all(r["t"] in ("header", "fwd") for r in rows)
    assert json.loads(open(path).readline())["t"] == "header"  # every part starts with the header


class Scripted(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)
        self.drop = nn.Dropout(0.5)

    def forward(self, x):
        return self.drop(F.dropout(self.fc(x), 0.5, self.training))


def test_torch_jit_script_still_compiles_modules_that_call_functional_dropout(probe):
    scripted = torch.jit.script(Scripted().eval())
    x = torch.randn(2, 4)
    assert torch.equal(scripted(x), scripted.fc(x))
