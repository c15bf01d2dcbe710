"""Mistake: eval() for validation inside the epoch loop, never train() again."""
import torch
import torch.nn as nn

model = nn.Sequential(nn.Linear(2, 64), nn.ReLU(), nn.Dropout(0.5), nn.Linear(64, 2))
optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
loss_fn = nn.CrossEntropyLoss()


def run(train_loader, val_loader, epochs=10):
    for epoch in range(epochs):
        for xb, yb in train_loader:
            optimizer.zero_grad()
            loss_fn(model(xb), yb).backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            val_loss = sum(loss_fn(model(xb), yb).item() for xb, yb in val_loader)
        print(epoch, val_loss)
