"""Intentional Monte Carlo dropout: dropout re-enabled at inference to estimate uncertainty (not flagged)."""
import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(2, 64), nn.ReLU(), nn.Dropout(0.3), nn.Linear(64, 2))

    def forward(self, x):
        return self.body(x)


def enable_dropout(model):
    for m in model.modules():
        if isinstance(m, nn.Dropout):
            m.train()


def predict_with_uncertainty(model, x, samples=30):
    model.eval()
    enable_dropout(model)
    with torch.no_grad():
        probs = torch.stack([model(x).softmax(-1) for _ in range(samples)])
    return probs.mean(0), probs.std(0)
