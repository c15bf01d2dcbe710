#!/usr/bin/python3
"""PyTorch side of the engine benchmark: the same workloads as bench/engine/workloads.ts, on one thread.

Run with Debian's python3 (python3-torch with libopenblas0-pthread). If torch cannot be imported, prints
{"skipped": "reason"} and exits 0.

usage: pytorch_bench.py --serve
    What bench/engine/index.ts runs: one persistent process driven over stdin/stdout, one JSON object a line each
    way, so PyTorch's windows can alternate with the engine's without restarting Python. Requests:
      {"cmd": "setup", "workload": "W1", "windowSeconds": 0.25}  builds the model, warms up and calibrates;
          replies {"ready": "W1", "stepsPerWindow": n, "torch": version, "threads": 1}
      {"cmd": "window", "workload": "W1", "steps": n}  runs n steps; replies {"workload": "W1", "steps": n, "seconds": t}
      {"cmd": "quit"}
    First line out: {"hello": version, "threads": 1} (or {"skipped": reason}).
usage: pytorch_bench.py [--windows N] [--window-seconds S] [--workloads W1,W2,W3,W4]
    Standalone: all windows of a workload back to back; one JSON object per workload:
    {"workload": "W1", "tool": "pytorch", "stepsPerSecond": n, "gflops": n, "windows": [...]}.
"""
import json
import os
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

# name: (layer sizes, dropout rate before each dense layer (0 = none), batch, FLOPs per step)
WORKLOADS = {
    "W1": ([2, 64, 64, 2], [0.0, 0.5, 0.5], 32),
    "W2": ([784, 512, 512, 10], [0.2, 0.5, 0.5], 128),
    "W3": ([256, 1024, 1024, 10], [0.0, 0.5, 0.5], 256),
}
# W4, the small CNN: input [C, H, W], batch, classes, FLOPs per step (matrix products, as workloads.ts counts them)
CONV_WORKLOADS = {"W4": ([1, 28, 28], 64, 10, 453_279_744)}


def step_flops(sizes, batch):
    """Matrix products only: forward, weight gradient, input gradient except for the first layer."""
    total = 0
    for i in range(len(sizes) - 1):
        mac = batch * sizes[i] * sizes[i + 1]
        total += 2 * mac * (2 if i == 0 else 3)
    return total


def arg(name, default):
    if name in sys.argv:
        return sys.argv[sys.argv.index(name) + 1]
    return default


def build_model(nn, name):
    """The workload's model, its input shape per sample, batch and classes."""
    if name in CONV_WORKLOADS:
        shape, batch, classes, _ = CONV_WORKLOADS[name]
        model = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.Dropout2d(0.25), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(32 * 7 * 7, 128), nn.ReLU(), nn.Dropout(0.5), nn.Linear(128, classes),
        )
        return model, shape, batch, classes
    sizes, rates, batch = WORKLOADS[name]
    layers = []
    for i in range(len(sizes) - 1):
        if rates[i] > 0:
            layers.append(nn.Dropout(rates[i]))
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers), [sizes[0]], batch, sizes[-1]


def make_step(torch, nn, F, name):
    """A function running one training step of the workload (forward, backward, SGD momentum update)."""
    model, shape, batch, classes = build_model(nn, name)
    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    xs = [torch.randn(batch, *shape) for _ in range(4)]
    ys = [torch.randint(0, classes, (batch,)) for _ in range(4)]
    counter = [0]

    def step():
        i = counter[0] & 3
        counter[0] += 1
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(xs[i]), ys[i])
        loss.backward()
        opt.step()

    return step


def calibrate(step, window_seconds):
    """Warm up (at least 3 steps and 0.3 s), then the steps that fill about one window."""
    t0 = time.perf_counter()
    n = 0
    while n < 3 or time.perf_counter() - t0 < 0.3:
        step()
        n += 1
    rate = n / (time.perf_counter() - t0)
    return max(1, round(rate * window_seconds))


def serve(torch, nn, F):
    send = lambda obj: (sys.stdout.write(json.dumps(obj) + "\n"), sys.stdout.flush())  # noqa: E731
    send({"hello": torch.__version__, "threads": torch.get_num_threads()})
    steps = {}
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            req = json.loads(line)
            cmd = req.get("cmd")
            if cmd == "quit":
                break
            name = req["workload"]
            if cmd == "setup":
                steps[name] = make_step(torch, nn, F, name)
                per_window = calibrate(steps[name], float(req.get("windowSeconds", 0.25)))
                send({"ready": name, "stepsPerWindow": per_window, "torch": torch.__version__, "threads": torch.get_num_threads()})
            elif cmd == "window":
                step = steps[name]
                n = int(req["steps"])
                t0 = time.perf_counter()
                for _ in range(n):
                    step()
                send({"workload": name, "steps": n, "seconds": time.perf_counter() - t0})
            else:
                send({"error": f"unknown command {cmd!r}"})
        except Exception as e:  # noqa: BLE001 - report and keep serving
            send({"error": str(e)})
    return 0


def main():
    try:
        import torch
        import torch.nn as nn
        import torch.nn.functional as F
    except Exception as e:  # noqa: BLE001 - any import failure means "skip"
        print(json.dumps({"skipped": f"torch not importable: {e}"}), flush=True)
        return 0
    torch.set_num_threads(int(arg("--threads", "1")))
    torch.manual_seed(0)
    if "--serve" in sys.argv:
        return serve(torch, nn, F)
    windows = int(arg("--windows", "15"))
    window_seconds = float(arg("--window-seconds", "0.25"))
    names = arg("--workloads", "W1,W2,W3,W4").split(",")
    for name in names:
        step = make_step(torch, nn, F, name)
        per_window = calibrate(step, window_seconds)
        rates_seen = []
        for _ in range(windows):
            t0 = time.perf_counter()
            for _ in range(per_window):
                step()
            rates_seen.append(per_window / (time.perf_counter() - t0))
        rates_seen.sort()
        median = rates_seen[len(rates_seen) // 2] if len(rates_seen) % 2 else 0.5 * (
            rates_seen[len(rates_seen) // 2 - 1] + rates_seen[len(rates_seen) // 2])
        flops = CONV_WORKLOADS[name][3] if name in CONV_WORKLOADS else step_flops(WORKLOADS[name][0], WORKLOADS[name][2])
        print(json.dumps({
            "workload": name, "tool": "pytorch", "stepsPerSecond": median, "gflops": median * flops / 1e9,
            "flopsPerStep": flops, "windows": rates_seen, "torch": torch.__version__,
            "threads": torch.get_num_threads(),
        }), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
