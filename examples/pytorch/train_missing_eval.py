"""Mistake: validation runs while the model is still in train mode (dropout on)."""
import torch
import torch.nn as nn
from torch.utils.data import DataLoader


class MLP(nn.Module):
    def __init__(self, n_in=2, hidden=64, n_out=2):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(n_in, hidden),
            nn.ReLU(),
            nn.Dropout(0.5),
            nn.Linear(hidden, n_out),
        )

    def forward(self, x):
        return self.net(x)


def fit(train_loader: DataLoader, val_loader: DataLoader, epochs: int = 20):
    model = MLP()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    for epoch in range(epochs):
        model.train()
        for xb, yb in train_loader:
            optimizer.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            optimizer.step()
        # Validation: dropout is still on here.
        with torch.no_grad():
            correct = 0
            for xb, yb in val_loader:
                correct += (model(xb).argmax(1) == yb).sum().item()
        print(epoch, correct / len(val_loader.dataset))
    return model
