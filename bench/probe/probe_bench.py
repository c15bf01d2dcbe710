#!/usr/bin/python3
"""The probe's overhead (issue 13): training steps with and without the runtime probe, at its default sampling,
in alternating windows of the same process, on one thread.

Workloads: an MLP like the engine benchmark's W2 (784-512-512-10, dropout 0.2 in / 0.5 hidden, batch 128) and
a small CNN (1x28x28: conv 16, conv 32, Dropout2d 0.25, dense 128, dropout 0.5, 10; batch 64), SGD.

Each pair runs the same number of steps once without and once with the probe, in alternating order; the
overhead is the median over pairs of (time with / time without) - 1. Prints one JSON object per workload, or
{"skipped": reason} when torch cannot be imported.

usage: probe_bench.py [--pairs N] [--window-seconds S] [--workloads mlp,cnn]
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(HERE)), "python"))


def workloads(nn):
    def mlp():
        model = nn.Sequential(
            nn.Dropout(0.2),
            nn.Linear(784, 512),
            nn.ReLU(),
            nn.Dropout(0.5),
            nn.Linear(512, 512),
            nn.ReLU(),
            nn.Dropout(0.5),
            nn.Linear(512, 10),
        )
        return model, (128, 784), 128

    def cnn():
        model = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Dropout2d(0.25),
            nn.Flatten(),
            nn.Linear(32 * 7 * 7, 128),
            nn.ReLU(),
            nn.Dropout(0.5),
            nn.Linear(128, 10),
        )
        return model, (64, 1, 28, 28), 64

    return {
        "mlp": ("MLP 784-512-512-10, dropout 0.2 in / 0.5 hidden, batch 128 (like W2)", mlp),
        "cnn": ("CNN 1x28x28: conv16-conv32-Dropout2d 0.25-dense128-dropout 0.5-10, batch 64", cnn),
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--pairs", type=int, default=41)
    parser.add_argument("--window-seconds", type=float, default=0.1)
    parser.add_argument("--workloads", default="mlp,cnn")
    args = parser.parse_args()
    try:
        import torch
        import torch.nn as nn
    except ImportError as error:
        print(json.dumps({"skipped": f"torch is not importable by {sys.executable}: {error}"}))
        return
    from dropout_lens.probe import Probe

    torch.set_num_threads(1)
    torch.manual_seed(0)
    table = workloads(nn)
    run_dir = tempfile.mkdtemp(prefix="dl-probe-bench-")
    for name in args.workloads.split(","):
        description, build = table[name]
        model, shape, batch = build()
        optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        loss_fn = nn.CrossEntropyLoss()
        x = torch.randn(*shape)
        y = torch.randint(0, 10, (batch,))

        def steps(n):
            start = time.perf_counter()
            for _ in range(n):
                optimizer.zero_grad()
                loss_fn(model(x), y).backward()
                optimizer.step()
            return time.perf_counter() - start

        steps(5)
        n = 5
        while steps(n) < args.window_seconds / 2:
            n *= 2
        n = max(5, int(n * args.window_seconds / max(steps(n), 1e-6)))
        probe = Probe(os.path.join(run_dir, name), write_run=False)
        # Warm the probe up too: its first forwards name the model and settle the sampling period (a second
        # of training, as at the start of any run).
        probe.install()
        steps(max(n, int(n / args.window_seconds)))
        probe.uninstall()
        ratios, off_times, on_times = [], [], []
        sampled_before = probe.sample_seconds
        for i in range(args.pairs):
            order = (False, True) if i % 2 == 0 else (True, False)
            times = {}
            for on in order:
                if on:
                    probe.install()
                times[on] = steps(n)
                if on:
                    probe.uninstall()
            off_times.append(times[False])
            on_times.append(times[True])
            ratios.append(times[True] / times[False])
        sampled = probe.sample_seconds - sampled_before
        probe.close()
        records = probe.writer.written if probe.writer else 0
        q = statistics.quantiles(ratios, n=4)
        print(
            json.dumps(
                {
                    "workload": name,
                    "description": description,
                    "stepsPerWindow": n,
                    "pairs": args.pairs,
                    "stepsPerSecondWithout": n / statistics.median(off_times),
                    "stepsPerSecondWith": n / statistics.median(on_times),
                    "overheadPercent": 100 * (statistics.median(ratios) - 1),
                    "overheadQuartiles": [100 * (q[0] - 1), 100 * (q[2] - 1)],
                    "samplingSharePercent": 100 * sampled / sum(on_times),
                    "period": probe.period,
                    "records": records,
                    "torch": torch.__version__,
                    "threads": torch.get_num_threads(),
                }
            ),
            flush=True,
        )


if __name__ == "__main__":
    main()
