#!/usr/bin/python3
"""The project's own PyTorch golden vectors for the Dropout Lens engine (src/engine/).

Run from the repository root with Debian's PyTorch (python3-torch, torch 1.13):

    /usr/bin/python3 test/golden/generate.py            # writes test/golden/dropout-vectors.json
    /usr/bin/python3 test/golden/generate.py --out F    # writes F instead

then check the engine against the file:

    node --import tsx --test test/unit/engine/golden.test.ts

The output follows the workplace schema `dropout-lens/golden@1` (/work/shared/golden/README.md): top-level
`schema`, `torch_version`, `seed`, `tolerance`, `conventions`, `cases` of `{id, kind, input, expected}`.

What it covers:
  * every kind of the workplace set, with the same ids: mlp, mc_dropout, bernoulli_dropout (p = 0 and p = 1
    included), standard_dropout, gaussian_dropout, spatial_dropout, dropconnect, max_norm, sgd (momentum,
    nesterov, dampening, weight decay), train_steps;
  * what the engine has beyond that set (see test/golden/README.md for their fields): `adam`
    (torch.optim.Adam, L2 weight decay added to the gradient, as the engine does; not AdamW), `lr_schedule`
    (StepLR / ExponentialLR stepped once per epoch), `batchnorm` (BatchNorm1d: train-mode forward and
    backward, running-statistics update, eval-mode forward and backward), `activation` (relu, tanh, sigmoid,
    exact-erf GELU: forward and backward), `mse_loss` (MSELoss, mean: loss and gradient), `network_steps`
    (whole networks mixing those layers: tanh/GELU/sigmoid, batch norm, Gaussian, spatial and
    standard-scaling dropout, DropConnect, cross-entropy or MSE, SGD or Adam, max-norm) and `mc_predict`
    (a network PyTorch trained, sampled in Monte Carlo mode with the masks its nn.Dropout modules drew).

How: the seed is fixed (torch.manual_seed), every input is a multiple of 2^-8 (exact in float32), dropout
masks are drawn by PyTorch's own dropout (F.dropout, F.dropout1d), and each case is computed twice by the
same function: in float64 (the expected values, rounded to 10 significant digits) and in float32 (the
self-check: every float32 element must use at most SELF_CHECK_BUDGET (1%) of the tolerance allowance
atol + rtol * |expected|, except activation/gelu, whose negative tail float32 PyTorch itself computes with
a cancellation, budget 3%; exact values, i.e. zeros where float64 has an exact zero (masked units),
predicted classes and changed rows, must match exactly). The generator exits with an error instead of
writing a file when the self-check fails, and prints each kind's case count and worst use.
"""
import argparse
import json
import math
import sys
from pathlib import Path

import torch
import torch.nn.functional as F

SEED = 1
RTOL, ATOL = 1e-4, 1e-5
SELF_CHECK_BUDGET = 0.01  # float32 PyTorch may use at most 1% of the allowance
F64, F32 = torch.float64, torch.float32
OUT = Path(__file__).resolve().parent / "dropout-vectors.json"


# ---------------------------------------------------------------------------------------------- helpers

def q(t):
    """Rounds to a multiple of 2^-8 (exact in float32 for the magnitudes used here)."""
    return torch.round(t * 256) / 256


def randn(*shape, scale=1.0, shift=0.0):
    return q(torch.randn(*shape, dtype=F64) * scale + shift)


def uniform(*shape, low, high):
    return q(torch.rand(*shape, dtype=F64) * (high - low) + low)


def keep_mask(shape, p):
    """A keep mask (1 = kept) drawn by PyTorch's own dropout."""
    return (F.dropout(torch.ones(*shape, dtype=F64), p, training=True) != 0).to(torch.int64)


def channel_keep(batch, channels, p):
    """A per-channel keep mask [batch, channels] drawn by PyTorch's Dropout1d."""
    return (F.dropout1d(torch.ones(batch, channels, 1, dtype=F64), p, training=True)[:, :, 0] != 0).to(torch.int64)


def labels(batch, classes):
    return torch.randint(0, classes, (batch,))


def scale_of(p):
    """Inverted dropout's train-time scale; PyTorch returns zeros at p = 1, so the scale is 0, never inf."""
    return 0.0 if p >= 1 else 1.0 / (1.0 - p)


def cast(obj, dtype):
    """The input structure with every floating tensor in `dtype` (masks and labels stay integers)."""
    if isinstance(obj, torch.Tensor):
        return obj.to(dtype) if obj.is_floating_point() else obj.clone()
    if isinstance(obj, dict):
        return {k: cast(v, dtype) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [cast(v, dtype) for v in obj]
    return obj


def r10(v):
    return float(f"{v:.10g}")


def to_json(obj, expected):
    """Tensors as {shape, data}; expected floats rounded to 10 significant digits; inputs checked exact."""
    if isinstance(obj, torch.Tensor):
        t = obj.detach()
        if t.is_floating_point():
            flat = t.to(F64).reshape(-1).tolist()
            if expected:
                data = [r10(v) for v in flat]
            else:
                scaled = t.to(F64) * 256
                assert torch.equal(scaled, torch.round(scaled)), "inputs must be multiples of 2^-8"
                data = flat
        else:
            data = [int(v) for v in t.reshape(-1).tolist()]
        return {"shape": list(t.shape), "data": data}
    if isinstance(obj, dict):
        return {k: to_json(v, expected) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_json(v, expected) for v in obj]
    if isinstance(obj, bool) or obj is None or isinstance(obj, (int, str)):
        return obj
    if isinstance(obj, float):
        assert math.isfinite(obj), "non-finite value"
        return r10(obj) if expected else obj
    raise TypeError(f"cannot serialize {type(obj)}")


def worst_use(f32, f64, where):
    """Largest fraction of the allowance float32 uses; exact (integer, boolean, zero) values must match."""
    if isinstance(f64, dict) and "shape" not in f64:
        assert f32.keys() == f64.keys(), where
        return max([worst_use(f32[k], f64[k], f"{where}.{k}") for k in f64] or [0.0])
    if isinstance(f64, list):
        assert isinstance(f32, list) and len(f32) == len(f64), where
        return max([worst_use(a, e, f"{where}[{i}]") for i, (a, e) in enumerate(zip(f32, f64))] or [0.0])
    if f64 is None or isinstance(f64, (bool, int, str)):
        assert f32 == f64, f"{where}: float32 gives {f32}, float64 {f64}"
        return 0.0
    a = torch.tensor(f32["data"] if isinstance(f32, dict) else [f32], dtype=F64)
    e = torch.tensor(f64["data"] if isinstance(f64, dict) else [f64], dtype=F64)
    assert a.shape == e.shape, where
    assert torch.isfinite(a).all(), f"{where}: float32 is not finite"
    # An exact zero (a dropped unit) must stay exact in float32, as the engine's exact-zero checks demand.
    assert bool((a[e == 0] == 0).all()), f"{where}: float32 is not exactly 0 where float64 is"
    return float(((a - e).abs() / (ATOL + RTOL * e.abs())).max()) if a.numel() else 0.0


CASES = []


def case(id, kind, input, compute, budget=SELF_CHECK_BUDGET):
    """Registers a case: compute(input cast to a dtype, dtype) returns the expected structure."""
    CASES.append((id, kind, input, compute, budget))


ACT = {
    "relu": torch.relu,
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "gelu": lambda z: F.gelu(z, approximate="none"),  # the engine's GELU is the exact erf form
    "linear": lambda z: z,
}


# ------------------------------------------------------------------------------- the workplace's kinds

def mlp_params(sizes, bias_scale=0.1):
    return [{"W": randn(o, i, scale=1 / math.sqrt(i)), "b": randn(o, scale=bias_scale)} for i, o in zip(sizes, sizes[1:])]


def mlp_forward(x, layers, dropout):
    """Dropout entry l masks the input of layer l; ReLU on hidden layers; logits out."""
    h, pre = x, []
    for l, layer in enumerate(layers):
        e = dropout[l] if dropout else None
        if e is not None:
            h = h * e["keep"].to(h.dtype) * scale_of(e["p"])
        z = F.linear(h, layer["W"], layer["b"])
        if l < len(layers) - 1:
            pre.append(z)
            h = torch.relu(z)
        else:
            h = z
    return pre, h


def mlp_dropout(batch, sizes, ps):
    return [None if p is None else {"p": p, "keep": keep_mask((batch, n), p)} for p, n in zip(ps, sizes)]


def compute_mlp(inp, dt):
    x = inp["x"].clone().requires_grad_()
    layers = [{k: v.clone().requires_grad_() for k, v in l.items()} for l in inp["layers"]]
    y = inp["labels"]
    pre, logits = mlp_forward(x, layers, inp["dropout"])
    loss = F.cross_entropy(logits, y)
    loss.backward()
    with torch.no_grad():
        _, ev = mlp_forward(inp["x"], inp["layers"], None)
    return {
        "train": {
            "pre_activations": pre,
            "logits": logits,
            "loss": loss.item(),
            "grad": {"x": x.grad, "layers": [{"W": l["W"].grad, "b": l["b"].grad} for l in layers]},
        },
        "eval": {"logits": ev, "probs": torch.softmax(ev, 1), "loss": F.cross_entropy(ev, y).item()},
    }


def add_mlp(id, batch, sizes, ps, all_dropped_row=None):
    x = randn(batch, sizes[0])
    layers = mlp_params(sizes)
    y = labels(batch, sizes[-1])
    dropout = mlp_dropout(batch, sizes[:-1], ps)
    if all_dropped_row is not None:
        dropout[-1]["keep"][all_dropped_row] = 0
    case(id, "mlp", {"x": x, "labels": y.tolist(), "layers": layers, "dropout": dropout},
         lambda inp, dt: compute_mlp({**inp, "labels": torch.tensor(inp["labels"])}, dt))


def compute_mc(inp, dt):
    T = len(inp["passes"])
    probs = torch.stack([torch.softmax(mlp_forward(inp["x"], inp["layers"], pass_)[1], 1) for pass_ in inp["passes"]])
    mean = probs.mean(0)
    std = probs.std(0, unbiased=False)
    entropy = -(torch.where(mean > 0, mean * torch.log(mean), torch.zeros_like(mean))).sum(1)
    _, ev = mlp_forward(inp["x"], inp["layers"], None)
    assert probs.shape[0] == T
    return {
        "probs_per_pass": probs,
        "mean_probs": mean,
        "std_probs": std,
        "predictive_entropy": entropy,
        "predicted_class": mean.argmax(1).tolist(),
        "eval_probs": torch.softmax(ev, 1),
    }


def compute_mask(inp, dt, inverted):
    x = inp["x"].clone().requires_grad_()
    keep = inp["keep"].to(dt)
    p = inp["p"]
    y = x * keep * (scale_of(p) if inverted else 1.0)
    y.backward(inp["grad_y"])
    return {"train_y": y, "grad_x": x.grad, "eval_y": inp["x"] * (1.0 if inverted else 1.0 - p)}


def add_mask(id, kind, shape, p, inverted):
    case(id, kind, {"x": randn(*shape), "p": p, "keep": keep_mask(shape, p), "grad_y": randn(*shape)},
         lambda inp, dt: compute_mask(inp, dt, inverted))


def compute_gaussian(inp, dt):
    p = inp["p"]
    sigma = torch.sqrt(torch.tensor(p / (1 - p), dtype=dt))
    noise = 1 + sigma * inp["z"]
    x = inp["x"].clone().requires_grad_()
    y = x * noise
    y.backward(inp["grad_y"])
    return {"sigma": sigma.item(), "noise": noise, "train_y": y, "grad_x": x.grad, "eval_y": inp["x"].clone()}


def compute_spatial(inp, dt):
    x = inp["x"].clone().requires_grad_()
    y = x * inp["keep"].to(dt)[:, :, None] * scale_of(inp["p"])
    y.backward(inp["grad_y"])
    return {"train_y": y, "grad_x": x.grad, "eval_y": inp["x"].clone()}


def compute_dropconnect(inp, dt):
    x = inp["x"].clone().requires_grad_()
    W = inp["W"].clone().requires_grad_()
    b = inp["b"].clone().requires_grad_()
    y = F.linear(x, W * inp["keep"].to(dt) * scale_of(inp["p"]), b)
    y.backward(inp["grad_y"])
    return {"train_y": y, "grad_x": x.grad, "grad_W": W.grad, "grad_b": b.grad, "eval_y": F.linear(inp["x"], inp["W"], inp["b"])}


def compute_max_norm(inp, dt):
    W, c = inp["W"], inp["max_norm"]
    before = W.norm(dim=1)
    after = torch.renorm(W, 2, 0, c)
    return {"row_norms_before": before, "W_after": after, "row_norms_after": after.norm(dim=1), "rows_changed": (before > c).tolist()}


def compute_sgd(inp, dt):
    w = inp["w0"].clone().requires_grad_()
    opt = torch.optim.SGD([w], lr=inp["lr"], momentum=inp["momentum"], dampening=inp["dampening"],
                          weight_decay=inp["weight_decay"], nesterov=inp["nesterov"])
    ws, bufs = [], []
    for g in inp["grads"]:
        w.grad = g.clone()
        opt.step()
        ws.append(w.detach().clone())
        buf = opt.state[w].get("momentum_buffer")
        bufs.append(None if buf is None else buf.clone())
    return {"w_after": ws, "momentum_buffer_after": bufs}


def add_sgd(id, shape, steps, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):
    case(id, "sgd", {"w0": randn(*shape), "grads": [randn(*shape) for _ in range(steps)], "lr": lr, "momentum": momentum,
                     "dampening": dampening, "weight_decay": weight_decay, "nesterov": nesterov}, compute_sgd)


def compute_train_steps(inp, dt):
    layers = [{k: v.clone().requires_grad_() for k, v in l.items()} for l in inp["layers"]]
    o = inp["optimizer"]
    opt = torch.optim.SGD([t for l in layers for t in (l["W"], l["b"])], lr=o["lr"], momentum=o["momentum"],
                          dampening=o["dampening"], weight_decay=o["weight_decay"], nesterov=o["nesterov"])
    y = torch.tensor(inp["labels"])
    losses, after = [], []
    for step in inp["steps"]:
        opt.zero_grad()
        _, logits = mlp_forward(inp["x"], layers, step)
        loss = F.cross_entropy(logits, y)
        loss.backward()
        opt.step()
        if inp["max_norm"] is not None:
            with torch.no_grad():
                for l in layers:
                    l["W"].copy_(torch.renorm(l["W"], 2, 0, inp["max_norm"]))
        losses.append(loss.item())
        after.append([{"W": l["W"].detach().clone(), "b": l["b"].detach().clone()} for l in layers])
    return {"loss_per_step": losses, "layers_after_step": after}


def add_train_steps(id, batch, sizes, ps, steps, optimizer, max_norm):
    case(id, "train_steps", {
        "x": randn(batch, sizes[0]), "labels": labels(batch, sizes[-1]).tolist(), "layers": mlp_params(sizes),
        "steps": [mlp_dropout(batch, sizes[:-1], ps) for _ in range(steps)], "optimizer": optimizer, "max_norm": max_norm,
    }, compute_train_steps)


def workplace_kinds():
    add_mlp("mlp/1hidden/p0.5", 3, [4, 8, 2], [None, 0.5])
    add_mlp("mlp/1hidden/p0.2", 4, [3, 8, 2], [None, 0.2])
    add_mlp("mlp/1hidden/p0.0", 6, [6, 7, 2], [None, 0.0])
    add_mlp("mlp/1hidden/p0.9", 5, [6, 6, 4], [None, 0.9])
    add_mlp("mlp/1hidden/p0.5/row-all-dropped", 4, [4, 5, 3], [None, 0.5], all_dropped_row=0)
    add_mlp("mlp/2hidden/in0.2-hid0.5", 6, [5, 8, 6, 4], [0.2, 0.5, 0.5])
    add_mlp("mlp/2hidden/in0.1-hid0.3", 6, [7, 9, 8, 3], [0.1, 0.3, 0.3])

    x, sizes = randn(5, 3), [3, 6, 3]
    case("mc_dropout/1hidden/p0.5/T8", "mc_dropout",
         {"x": x, "layers": mlp_params(sizes), "passes": [mlp_dropout(5, sizes[:-1], [None, 0.5]) for _ in range(8)]}, compute_mc)

    add_mask("bernoulli/p0.5", "bernoulli_dropout", (4, 5), 0.5, True)
    add_mask("bernoulli/p0.3", "bernoulli_dropout", (4, 7), 0.3, True)
    add_mask("bernoulli/p0.0", "bernoulli_dropout", (5, 5), 0.0, True)
    add_mask("bernoulli/p1.0", "bernoulli_dropout", (4, 4), 1.0, True)
    add_mask("standard/p0.5", "standard_dropout", (5, 6), 0.5, False)
    add_mask("standard/p0.2", "standard_dropout", (3, 5), 0.2, False)

    for id, shape, p in [("gaussian/p0.5", (3, 7), 0.5), ("gaussian/p0.2", (4, 4), 0.2)]:
        case(id, "gaussian_dropout", {"x": randn(*shape), "p": p, "z": randn(*shape), "grad_y": randn(*shape)}, compute_gaussian)

    for id, (B, C, L), p in [("spatial1d/p0.5", (3, 6, 3), 0.5), ("spatial1d/p0.3", (2, 4, 5), 0.3)]:
        case(id, "spatial_dropout", {"x": randn(B, C, L), "p": p, "keep": channel_keep(B, C, p), "grad_y": randn(B, C, L)}, compute_spatial)

    for id, (B, i, o), p in [("dropconnect/p0.5", (5, 5, 4), 0.5), ("dropconnect/p0.25", (4, 6, 5), 0.25)]:
        case(id, "dropconnect", {"x": randn(B, i), "W": randn(o, i, scale=0.5), "b": randn(o, scale=0.1), "p": p,
                                 "keep": keep_mask((o, i), p), "grad_y": randn(B, o)}, compute_dropconnect)

    case("max_norm/c1.0", "max_norm", {"W": randn(5, 6, scale=0.8), "max_norm": 1.0}, compute_max_norm)
    case("max_norm/c3.0", "max_norm", {"W": randn(6, 6, scale=1.2), "max_norm": 3.0}, compute_max_norm)

    add_sgd("sgd/momentum0.9", (2, 4), 3, 0.1, momentum=0.9)
    add_sgd("sgd/plain", (4, 4), 2, 0.1)
    add_sgd("sgd/momentum0.95-wd1e-3", (4, 4), 3, 0.05, momentum=0.95, weight_decay=1e-3)
    add_sgd("sgd/nesterov0.9", (2, 4), 3, 0.1, momentum=0.9, nesterov=True)
    add_sgd("sgd/momentum0.9-dampening0.5", (2, 4), 3, 0.1, momentum=0.9, dampening=0.5)

    sgd = {"type": "sgd", "lr": 0.1, "momentum": 0.9, "dampening": 0.0, "weight_decay": 0.0, "nesterov": False}
    add_train_steps("train_steps/1hidden/p0.5/sgd0.1m0.9/maxnorm2", 6, [4, 7, 3], [None, 0.5], 3, sgd, 2.0)
    add_train_steps("train_steps/2hidden/in0.2-hid0.5/sgd0.1m0.9", 4, [4, 5, 6, 3], [0.2, 0.5, 0.5], 2, sgd, None)


# -------------------------------------------------------------------------------- the project's kinds

def compute_adam(inp, dt):
    w = inp["w0"].clone().requires_grad_()
    opt = torch.optim.Adam([w], lr=inp["lr"], betas=(inp["beta1"], inp["beta2"]), eps=inp["eps"], weight_decay=inp["weight_decay"])
    ws, m, v = [], [], []
    for g in inp["grads"]:
        w.grad = g.clone()
        opt.step()
        state = opt.state[w]
        ws.append(w.detach().clone())
        m.append(state["exp_avg"].clone())
        v.append(state["exp_avg_sq"].clone())
    return {"w_after": ws, "exp_avg_after": m, "exp_avg_sq_after": v}


def add_adam(id, shape, steps, lr, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0, zero_grads=False):
    grads = [randn(*shape) for _ in range(steps)]
    if zero_grads:  # an element whose gradient is 0 at every step moves only through weight decay
        for g in grads:
            g.view(-1)[0] = 0.0
    case(id, "adam", {"w0": randn(*shape), "grads": grads, "lr": lr, "beta1": beta1, "beta2": beta2, "eps": eps,
                      "weight_decay": weight_decay}, compute_adam)


def compute_schedule(inp, dt):
    w = torch.zeros(1, dtype=dt, requires_grad=True)
    opt = torch.optim.SGD([w], lr=inp["lr"])
    s = inp["schedule"]
    if s["kind"] == "step":
        sched = torch.optim.lr_scheduler.StepLR(opt, step_size=s["every"], gamma=s["gamma"])
    elif s["kind"] == "exponential":
        sched = torch.optim.lr_scheduler.ExponentialLR(opt, gamma=s["gamma"])
    else:
        sched = None
    per_epoch, per_step = [], []
    for _ in range(inp["epochs"]):
        per_epoch.append(opt.param_groups[0]["lr"])
        for _ in range(inp["steps_per_epoch"]):
            per_step.append(opt.param_groups[0]["lr"])
            w.grad = torch.ones_like(w)
            opt.step()
        if sched is not None:
            sched.step()  # once per epoch, after the epoch's optimizer steps
    return {"lr_per_epoch": per_epoch, "lr_per_step": per_step}


def compute_batchnorm(inp, dt):
    x = inp["x"].clone().requires_grad_()
    gamma = inp["gamma"].clone().requires_grad_()
    beta = inp["beta"].clone().requires_grad_()
    rm, rv = inp["running_mean"].clone(), inp["running_var"].clone()
    y = F.batch_norm(x, rm, rv, gamma, beta, training=True, momentum=inp["momentum"], eps=inp["eps"])
    y.backward(inp["grad_y"])
    mean = inp["x"].mean(0)
    inv_std = 1 / torch.sqrt(inp["x"].var(0, unbiased=False) + inp["eps"])
    xe = inp["x"].clone().requires_grad_()
    ge = inp["gamma"].clone().requires_grad_()
    be = inp["beta"].clone().requires_grad_()
    ye = F.batch_norm(xe, rm, rv, ge, be, training=False, eps=inp["eps"])  # with the updated running statistics
    ye.backward(inp["grad_y"])
    return {
        "batch_mean": mean, "inv_std": inv_std,
        "train_y": y, "grad_x": x.grad, "grad_gamma": gamma.grad, "grad_beta": beta.grad,
        "running_mean_after": rm, "running_var_after": rv,
        "eval_y": ye, "eval_grad_x": xe.grad, "eval_grad_gamma": ge.grad, "eval_grad_beta": be.grad,
    }


def add_batchnorm(id, batch, channels, momentum, eps, default_init):
    x = randn(batch, channels, scale=1.5, shift=0.5)
    while x.var(0, unbiased=False).min() < 0.05:  # a near-constant channel is ill-conditioned (variance ~ eps)
        x = randn(batch, channels, scale=1.5, shift=0.5)
    if default_init:
        gamma, beta = torch.ones(channels, dtype=F64), torch.zeros(channels, dtype=F64)
        rm, rv = torch.zeros(channels, dtype=F64), torch.ones(channels, dtype=F64)
    else:
        gamma, beta = randn(channels, scale=0.5, shift=1.0), randn(channels, scale=0.5)
        rm, rv = randn(channels, scale=0.5), uniform(channels, low=0.25, high=2.0)
    case(id, "batchnorm", {"x": x, "gamma": gamma, "beta": beta, "running_mean": rm, "running_var": rv,
                           "momentum": momentum, "eps": eps, "grad_y": randn(batch, channels)}, compute_batchnorm)


def compute_activation(inp, dt):
    z = inp["z"].clone().requires_grad_()
    y = ACT[inp["activation"]](z)
    y.backward(inp["grad_y"])
    return {"y": y, "grad_z": z.grad}


def add_activation(name, extra, budget=SELF_CHECK_BUDGET):
    z = torch.cat([randn(24, scale=2.5), torch.tensor(extra, dtype=F64)])
    case(f"activation/{name}", "activation", {"activation": name, "z": z, "grad_y": randn(z.numel())}, compute_activation, budget)


def compute_mse(inp, dt):
    pred = inp["pred"].clone().requires_grad_()
    loss = F.mse_loss(pred, inp["target"])
    loss.backward()
    return {"loss": loss.item(), "grad_pred": pred.grad}


def net_forward(x, layers, params, inject, train):
    """The engine's layer semantics in PyTorch ops; `inject` gives each layer's mask or noise for this pass."""
    h = x
    for l, spec in enumerate(layers):
        t, e = spec["type"], (inject[l] if inject else None)
        if t == "dense":
            W, b = params[l]["W"], params[l]["b"]
            if train and spec.get("drop_connect"):
                W = W * e["keep"].to(W.dtype) * scale_of(spec["drop_connect"])
            h = ACT[spec["activation"]](F.linear(h, W, b))
        elif t == "dropout":
            p, kind, inverted = spec["p"], spec["kind"], spec["scaling"] == "inverted"
            if not train:
                h = h if inverted or kind == "gaussian" else h * (1 - p)
            elif kind == "gaussian":
                h = h * e["noise"]
            else:
                keep = e["keep"].to(h.dtype)
                if kind == "spatial":  # input viewed as [B, positions, channels], one draw per (example, channel)
                    B, (L, C) = h.shape[0], spec["shape"]
                    keep = keep[:, None, :].expand(B, L, C).reshape(B, L * C)
                h = h * keep * (scale_of(p) if inverted else 1.0)
        else:
            P = params[l]
            h = F.batch_norm(h, P["running_mean"], P["running_var"], P["gamma"], P["beta"], training=train,
                             momentum=spec["momentum"], eps=spec["eps"])
    return h


def net_loss(out, inp):
    if inp["loss"] == "cross-entropy":
        return F.cross_entropy(out, torch.tensor(inp["target"]))
    return F.mse_loss(out, inp["target"])


PARAM_NAMES = {"dense": ("W", "b"), "batchnorm": ("gamma", "beta"), "dropout": ()}


def compute_network(inp, dt):
    layers = inp["layers"]
    params = [{k: (v.clone().requires_grad_() if k in PARAM_NAMES[s["type"]] else v.clone()) for k, v in s.items()
               if isinstance(v, torch.Tensor)} for s in layers]
    trainable = [params[l][k] for l, s in enumerate(layers) for k in PARAM_NAMES[s["type"]]]
    o = inp["optimizer"]
    if o["kind"] == "sgd":
        opt = torch.optim.SGD(trainable, lr=o["lr"], momentum=o["momentum"], dampening=o["dampening"],
                              weight_decay=o["weight_decay"], nesterov=o["nesterov"])
    else:
        opt = torch.optim.Adam(trainable, lr=o["lr"], betas=(o["beta1"], o["beta2"]), eps=o["eps"], weight_decay=o["weight_decay"])
    first, losses, after = None, [], []
    for s, inject in enumerate(inp["steps"]):
        opt.zero_grad()
        x = inp["x"].clone().requires_grad_(s == 0)
        out = net_forward(x, layers, params, inject, True)
        loss = net_loss(out, inp)
        loss.backward()
        if s == 0:
            first = {"output": out.detach().clone(), "loss": loss.item(), "grad_x": x.grad,
                     "grads": [None if not PARAM_NAMES[sp["type"]] else {k: params[l][k].grad.clone() for k in PARAM_NAMES[sp["type"]]}
                               for l, sp in enumerate(layers)]}
        opt.step()
        if inp["max_norm"] is not None:
            with torch.no_grad():
                for l, sp in enumerate(layers):
                    if sp["type"] == "dense":
                        params[l]["W"].copy_(torch.renorm(params[l]["W"], 2, 0, inp["max_norm"]))
        losses.append(loss.item())
        after.append([None if sp["type"] == "dropout" else {k: v.detach().clone() for k, v in params[l].items()} for l, sp in enumerate(layers)])
    with torch.no_grad():
        out = net_forward(inp["x"], layers, params, None, False)
        ev = {"output": out, "loss": net_loss(out, inp).item()}
    return {"first_step": first, "loss_per_step": losses, "layers_after_step": after, "eval": ev}


def dense(inputs, units, activation, drop_connect=None):
    spec = {"type": "dense", "activation": activation, "W": randn(units, inputs, scale=1 / math.sqrt(inputs)), "b": randn(units, scale=0.1)}
    if drop_connect:
        spec["drop_connect"] = drop_connect
    return spec


def batchnorm(units, momentum=0.1, eps=1e-5):
    return {"type": "batchnorm", "momentum": momentum, "eps": eps, "gamma": randn(units, scale=0.25, shift=1.0),
            "beta": randn(units, scale=0.25), "running_mean": randn(units, scale=0.25), "running_var": uniform(units, low=0.5, high=1.5)}


def dropout(kind, p, scaling="inverted", shape=None):
    spec = {"type": "dropout", "kind": kind, "scaling": scaling, "p": p}
    if shape:
        spec["shape"] = list(shape)
    return spec


def draw_inject(layers, batch, inputs):
    """One pass's masks and noise, layer by layer, for the widths the layers see."""
    out, width = [], inputs
    for s in layers:
        e = None
        if s["type"] == "dense":
            if s.get("drop_connect"):
                e = {"keep": keep_mask(tuple(s["W"].shape), s["drop_connect"])}
            width = s["W"].shape[0]
        elif s["type"] == "dropout":
            if s["kind"] == "gaussian":
                sigma = math.sqrt(s["p"] / (1 - s["p"]))
                e = {"noise": q(1 + sigma * torch.randn(batch, width, dtype=F64))}
            elif s["kind"] == "spatial":
                e = {"keep": channel_keep(batch, s["shape"][1], s["p"])}
            else:
                e = {"keep": keep_mask((batch, width), s["p"])}
        out.append(e)
    return out


def add_network(id, batch, inputs, layers, loss, optimizer, steps, max_norm=None):
    outputs = [s for s in layers if s["type"] == "dense"][-1]["W"].shape[0]
    target = labels(batch, outputs).tolist() if loss == "cross-entropy" else randn(batch, outputs)
    case(id, "network_steps", {
        "x": randn(batch, inputs), "target": target, "loss": loss, "layers": layers,
        "steps": [draw_inject(layers, batch, inputs) for _ in range(steps)], "optimizer": optimizer, "max_norm": max_norm,
    }, compute_network)


def project_kinds():
    add_adam("adam/lr0.01", (3, 4), 5, 0.01)
    add_adam("adam/lr0.05-wd0.01", (3, 4), 5, 0.05, weight_decay=0.01, zero_grads=True)
    add_adam("adam/lr0.1-betas0.8-0.99-eps0.1", (2, 5), 4, 0.1, beta1=0.8, beta2=0.99, eps=0.1)
    add_adam("adam/lr0.02-wd0.1-beta2-0.9", (4, 3), 6, 0.02, beta2=0.9, weight_decay=0.1)

    for id, schedule, epochs, spe in [
        ("lr_schedule/step/every2-gamma0.5", {"kind": "step", "every": 2, "gamma": 0.5}, 7, 3),
        ("lr_schedule/step/every3-gamma0.1", {"kind": "step", "every": 3, "gamma": 0.1}, 8, 2),
        ("lr_schedule/exponential/gamma0.9", {"kind": "exponential", "gamma": 0.9}, 6, 2),
        ("lr_schedule/constant", {"kind": "constant"}, 3, 2),
    ]:
        case(id, "lr_schedule", {"lr": 0.1, "schedule": schedule, "epochs": epochs, "steps_per_epoch": spe}, compute_schedule)

    add_batchnorm("batchnorm/default-init/m0.1", 8, 4, 0.1, 1e-5, True)
    add_batchnorm("batchnorm/m0.3-eps1e-3", 8, 5, 0.3, 1e-3, False)
    add_batchnorm("batchnorm/batch2", 2, 3, 0.1, 1e-5, False)

    add_activation("relu", [0.0, -0.0, 8.0, -8.0])
    add_activation("tanh", [0.0, 6.0, -6.0, 0.5])
    add_activation("sigmoid", [0.0, 10.0, -10.0, 0.5])
    # float32 PyTorch computes GELU's negative tail (z < -3) as 0.5 z (1 + erf(z / sqrt 2)), a cancellation that costs
    # it up to ~2% of the allowance there; the tail stays in (the engine's erf must be accurate there), with a 3% budget.
    add_activation("gelu", [0.0, 6.0, -6.0, -0.75, -3.5, -4.5], budget=0.03)

    for id, shape in [("mse_loss/1d", (8, 1)), ("mse_loss/3d", (5, 3))]:
        case(id, "mse_loss", {"pred": randn(*shape), "target": randn(*shape)}, compute_mse)

    sgd = {"kind": "sgd", "lr": 0.1, "momentum": 0.9, "dampening": 0.0, "nesterov": True, "weight_decay": 1e-3}
    add_network("network_steps/tanh-batchnorm-dropout0.3/ce/sgd-nesterov", 6, 4,
                [dense(4, 6, "tanh"), batchnorm(6, momentum=0.2), dropout("bernoulli", 0.3), dense(6, 3, "linear")],
                "cross-entropy", sgd, 3)
    adam = {"kind": "adam", "lr": 0.01, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0.01}
    add_network("network_steps/gelu-gaussian0.3-sigmoid-standard0.4/ce/adam-wd", 5, 3,
                [dense(3, 6, "gelu"), dropout("gaussian", 0.3), dense(6, 5, "sigmoid"), dropout("bernoulli", 0.4, "standard"), dense(5, 3, "linear")],
                "cross-entropy", adam, 3)
    sgd_mn = {"kind": "sgd", "lr": 0.05, "momentum": 0.5, "dampening": 0.1, "nesterov": False, "weight_decay": 0.0}
    add_network("network_steps/relu-spatial0.25-dropconnect0.3/mse/sgd-maxnorm", 4, 3,
                [dense(3, 8, "relu"), dropout("spatial", 0.25, shape=(4, 2)), dense(8, 2, "linear", drop_connect=0.3)],
                "mse", sgd_mn, 3, max_norm=1.0)
    adam2 = {"kind": "adam", "lr": 0.02, "beta1": 0.9, "beta2": 0.99, "eps": 1e-8, "weight_decay": 0.0}
    add_network("network_steps/batchnorm-sigmoid-standard0.5/mse/adam", 6, 3,
                [batchnorm(3), dense(3, 5, "sigmoid"), dropout("bernoulli", 0.5, "standard"), dense(5, 2, "linear")],
                "mse", adam2, 3)

    # Last, so the cases above keep their random draws.
    add_mc_predict("mc_predict/trained-relu-batchnorm-dropout0.3-tanh-dropout0.5/T10", 6, 10)


def compute_mc_predict(inp, dt):
    """Monte Carlo dropout on the given network: dropout in train mode with each pass's masks, batch norm on its running statistics."""
    layers = inp["layers"]
    params = [{k: v for k, v in s.items() if isinstance(v, torch.Tensor)} for s in layers]
    probs = []
    for inject in inp["passes"]:
        h = inp["x"]
        for l, spec in enumerate(layers):
            if spec["type"] == "dropout":
                h = h * inject[l]["keep"].to(h.dtype) * scale_of(spec["p"])
            else:
                h = net_forward(h, [spec], [params[l]], None, False)
        probs.append(torch.softmax(h, 1))
    probs = torch.stack(probs)
    mean = probs.mean(0)
    ev = torch.softmax(net_forward(inp["x"], layers, params, None, False), 1)
    return {
        "probs_per_pass": probs,
        "mean_probs": mean,
        "var_probs": probs.var(0, unbiased=False),
        "predicted_class": mean.argmax(1).tolist(),
        "eval_probs": ev,
    }


def add_mc_predict(id, batch, passes):
    """A network trained by PyTorch (float64 SGD with its own dropout), its parameters rounded to 2^-8, then
    sampled `passes` times in Monte Carlo mode (model.eval(), the Dropout modules back in train mode), the
    masks being those PyTorch's nn.Dropout drew in each pass."""
    sizes, rates = (3, 8, 6, 3), (0.3, 0.5)
    model = torch.nn.Sequential(
        torch.nn.Linear(sizes[0], sizes[1]), torch.nn.ReLU(), torch.nn.BatchNorm1d(sizes[1], momentum=0.1),
        torch.nn.Dropout(rates[0]), torch.nn.Linear(sizes[1], sizes[2]), torch.nn.Tanh(), torch.nn.Dropout(rates[1]),
        torch.nn.Linear(sizes[2], sizes[3]),
    ).to(F64)
    data = torch.randn(64, sizes[0], dtype=F64)
    target = (data @ torch.tensor([[1.0, -1.0, 0.5], [0.5, 1.0, -1.0], [-1.0, 0.5, 1.0]], dtype=F64)).argmax(1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    model.train()
    steps = 60
    for s in range(steps):
        rows = slice((s % 4) * 16, (s % 4 + 1) * 16)
        opt.zero_grad()
        F.cross_entropy(model(data[rows]), target[rows]).backward()
        opt.step()
    with torch.no_grad():
        for m in model.modules():
            for name in ("weight", "bias", "running_mean", "running_var"):
                t = getattr(m, name, None)
                if isinstance(t, torch.Tensor):
                    t.copy_(q(t))
            if isinstance(m, torch.nn.BatchNorm1d):
                m.running_var.clamp_(min=2 ** -8)
    lin, bn = [model[0], model[4], model[7]], model[2]
    layers = [
        {"type": "dense", "activation": "relu", "W": lin[0].weight.detach().clone(), "b": lin[0].bias.detach().clone()},
        {"type": "batchnorm", "momentum": 0.1, "eps": bn.eps, "gamma": bn.weight.detach().clone(), "beta": bn.bias.detach().clone(),
         "running_mean": bn.running_mean.clone(), "running_var": bn.running_var.clone()},
        dropout("bernoulli", rates[0]),
        {"type": "dense", "activation": "tanh", "W": lin[1].weight.detach().clone(), "b": lin[1].bias.detach().clone()},
        dropout("bernoulli", rates[1]),
        {"type": "dense", "activation": "linear", "W": lin[2].weight.detach().clone(), "b": lin[2].bias.detach().clone()},
    ]
    # Monte Carlo mode as PyTorch users write it. Each Dropout's mask is recovered by replaying its random draw
    # from the generator state before its forward (and checked against what the module output).
    model.eval()
    drops = {3: 2, 6: 4}  # module index in the Sequential -> layer index in `layers`
    for i in drops:
        model[i].train()
    x = randn(batch, sizes[0])
    passes_json, outputs = [], []
    for _ in range(passes):
        inject, states = [None] * len(layers), {}

        def pre(module, args):
            states[module] = torch.get_rng_state()

        def post(module, args, out, index):
            after = torch.get_rng_state()
            torch.set_rng_state(states[module])
            keep = (F.dropout(torch.ones_like(args[0]), module.p, training=True) != 0).to(torch.int64)
            torch.set_rng_state(after)
            assert torch.equal(out, args[0] * keep * scale_of(module.p)), "the replayed mask is the module's"
            inject[index] = {"keep": keep}

        handles = []
        for i, index in drops.items():
            handles.append(model[i].register_forward_pre_hook(pre))
            handles.append(model[i].register_forward_hook(lambda m, a, o, index=index: post(m, a, o, index)))
        with torch.no_grad():
            outputs.append(torch.softmax(model(x), 1))
        for h in handles:
            h.remove()
        passes_json.append(inject)
    inp = {"x": x, "layers": layers, "passes": passes_json,
           "trained": {"steps": steps, "batch": 16, "optimizer": "SGD lr 0.1 momentum 0.9, parameters then rounded to 2^-8"}}
    got = compute_mc_predict(cast(inp, F64), F64)["probs_per_pass"]
    assert torch.allclose(got, torch.stack(outputs), atol=1e-12), "the injected masks reproduce PyTorch's own MC passes"
    case(id, "mc_predict", inp, compute_mc_predict)


# ------------------------------------------------------------------------------------------------ main

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    torch.manual_seed(SEED)
    torch.set_num_threads(1)
    workplace_kinds()
    project_kinds()
    cases, worst = [], {}
    for id, kind, input, compute, budget in CASES:
        expected = to_json(compute(cast(input, F64), F64), True)
        use = worst_use(to_json(compute(cast(input, F32), F32), True), expected, id)
        if use > budget:
            sys.exit(f"self-check failed: {id}: float32 PyTorch uses {use:.2%} of the tolerance allowance (budget {budget:.0%})")
        worst[kind] = max(worst.get(kind, 0.0), use)
        cases.append({"id": id, "kind": kind, "input": to_json(input, False), "expected": expected})
    assert len({c["id"] for c in cases}) == len(cases), "duplicate ids"
    doc = {
        "schema": "dropout-lens/golden@1",
        "generator": "test/golden/generate.py (PyTorch, float64 reference, float32 self-check)",
        "torch_version": torch.__version__,
        "seed": SEED,
        "tolerance": {"rtol": RTOL, "atol": ATOL, "rule": "|actual - expected| <= atol + rtol * |expected|"},
        "conventions": {
            "tensor": "{shape, data}: data is row-major (C order), flattened",
            "p": "drop probability (PyTorch/Keras convention), not keep probability",
            "keep": "0/1 mask, 1 = unit kept; same shape as what it masks unless the kind says otherwise",
            "linear": "y = x @ W^T + b, W has shape [out, in] (PyTorch nn.Linear layout)",
            "loss": "softmax cross-entropy, natural log, mean over the batch (mse: mean over every element)",
            "kinds": "test/golden/README.md documents the kinds this project adds",
        },
        "self_check": {
            "budget": SELF_CHECK_BUDGET,
            "case_budgets": {id: budget for id, _, _, _, budget in CASES if budget != SELF_CHECK_BUDGET},
            "worst_use_by_kind": {k: float(f"{v:.3g}") for k, v in worst.items()},
        },
        "cases": cases,
    }
    args.out.write_text(json.dumps(doc, separators=(",", ":")) + "\n")
    print(f"wrote {len(cases)} cases to {args.out}")
    for k, v in worst.items():
        print(f"  {k:18s} {sum(c['kind'] == k for c in cases):2d} cases, float32 worst {v:.3%} of the allowance")


if __name__ == "__main__":
    main()
