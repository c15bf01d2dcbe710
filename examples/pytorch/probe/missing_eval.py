"""Mistake: validation runs under no_grad while the model is still in train mode (dropout keeps dropping).
The probe reports missing-eval at the validation forward's line."""
import torch
import torch.nn as nn

torch.manual_seed(0)
x, y = torch.randn(256, 8), torch.randint(0, 2, (256,))
xv, yv = torch.randn(128, 8), torch.randint(0, 2, (128,))
model = nn.Sequential(nn.Linear(8, 64), nn.ReLU(), nn.Dropout(0.5), nn.Linear(64, 2))
optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
loss_fn = nn.CrossEntropyLoss()

for epoch in range(2):
    model.train()
    for i in range(0, len(x), 32):
        optimizer.zero_grad()
        loss_fn(model(x[i : i + 32]), y[i : i + 32]).backward()
        optimizer.step()
    with torch.no_grad():  # validation, but model.eval() was forgotten
        accuracy = (model(xv).argmax(1) == yv).float().mean().item()
    print(f"epoch {epoch} validation accuracy {accuracy:.3f}")
