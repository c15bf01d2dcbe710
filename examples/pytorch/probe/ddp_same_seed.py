"""Distributed data parallel on two CPU processes (gloo, 127.0.0.1). Every rank seeds torch with the same
number, so every rank draws the same dropout masks (huggingface/transformers#31412): the probe reports
identical-masks-across-ranks. With --seed-per-rank each rank seeds seed + rank and the finding goes away.

    dropout-lens probe -- python3 examples/pytorch/probe/ddp_same_seed.py [--seed-per-rank]

Under torchrun (which starts the ranks itself) the same script runs one rank per process:

    dropout-lens probe -- torchrun --nproc_per_node 2 --master_addr 127.0.0.1 examples/pytorch/probe/ddp_same_seed.py
"""
import argparse
import os
import socket

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn as nn
from torch.nn.parallel import DistributedDataParallel as DDP


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def worker(rank, world, port, seed_per_rank, steps):
    if port is not None:
        os.environ["MASTER_ADDR"] = "127.0.0.1"
        os.environ["MASTER_PORT"] = str(port)
    dist.init_process_group("gloo", rank=rank, world_size=world)
    torch.set_num_threads(1)
    torch.manual_seed(0 + (rank if seed_per_rank else 0))
    data = torch.Generator().manual_seed(100 + rank)  # each rank its own shard of data
    model = nn.Sequential(nn.Linear(16, 128), nn.ReLU(), nn.Dropout(0.5), nn.Linear(128, 2))
    ddp = DDP(model)
    optimizer = torch.optim.SGD(ddp.parameters(), lr=0.05)
    loss_fn = nn.CrossEntropyLoss()
    ddp.train()
    for _ in range(steps):
        xb = torch.randn(32, 16, generator=data)
        yb = torch.randint(0, 2, (32,), generator=data)
        optimizer.zero_grad()
        loss = loss_fn(ddp(xb), yb)
        loss.backward()
        optimizer.step()
    if rank == 0:
        print(f"final loss {loss.item():.4f}")
    dist.destroy_process_group()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed-per-rank", action="store_true")
    parser.add_argument("--steps", type=int, default=8)
    args = parser.parse_args()
    if "LOCAL_RANK" in os.environ:  # started by torchrun: this process is one rank
        worker(int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"]), None, args.seed_per_rank, args.steps)
        raise SystemExit(0)
    mp.spawn(worker, args=(2, free_port(), args.seed_per_rank, args.steps), nprocs=2, join=True)
