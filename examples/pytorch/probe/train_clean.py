"""A correct training loop: model.train() for each epoch, model.eval() for validation. The probe records
masks and modes and reports no finding.

    dropout-lens probe -- python3 examples/pytorch/probe/train_clean.py
"""
import argparse

import torch
import torch.nn as nn


class MLP(nn.Module):
    def __init__(self, n_in=8, hidden=64, n_out=2, p=0.3):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(n_in, hidden),
            nn.BatchNorm1d(hidden),
            nn.ReLU(),
            nn.Dropout(p),
            nn.Linear(hidden, hidden),
            nn.Dropout(p, inplace=True),
            nn.ReLU(),
            nn.Linear(hidden, n_out),
        )

    def forward(self, x):
        return self.net(x)


def data(n, generator):
    x = torch.randn(n, 8, generator=generator)
    y = (x[:, 0] * x[:, 1] + x[:, 2] > 0).long()
    return x, y


def evaluate(model, x, y):
    model.eval()
    with torch.no_grad():
        return (model(x).argmax(1) == y).float().mean().item()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--print-losses", action="store_true")
    args = parser.parse_args()
    torch.manual_seed(args.seed)
    g = torch.Generator().manual_seed(args.seed)
    x, y = data(512, g)
    xv, yv = data(256, g)
    model = MLP()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    for epoch in range(args.epochs):
        model.train()
        for i in range(0, len(x), 32):
            optimizer.zero_grad()
            loss = loss_fn(model(x[i : i + 32]), y[i : i + 32])
            loss.backward()
            optimizer.step()
            if args.print_losses:
                print(f"loss {loss.item()!r}")
        print(f"epoch {epoch} validation accuracy {evaluate(model, xv, yv):.3f}")


if __name__ == "__main__":
    main()
