"""Mistake: the loop switches to eval mode for validation and never back: from the second epoch on the
model trains with dropout off. The probe reports missing-train-after-eval at optimizer.step()."""
import torch
import torch.nn as nn

torch.manual_seed(0)
x, y = torch.randn(256, 8), torch.randint(0, 2, (256,))
xv, yv = torch.randn(128, 8), torch.randint(0, 2, (128,))
model = nn.Sequential(nn.Linear(8, 64), nn.ReLU(), nn.Dropout(0.5), nn.Linear(64, 2))
optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
loss_fn = nn.CrossEntropyLoss()

model.train()
for epoch in range(3):
    for i in range(0, len(x), 32):
        optimizer.zero_grad()
        loss_fn(model(x[i : i + 32]), y[i : i + 32]).backward()
        optimizer.step()
    model.eval()
    with torch.no_grad():
        accuracy = (model(xv).argmax(1) == yv).float().mean().item()
    print(f"epoch {epoch} validation accuracy {accuracy:.3f}")
