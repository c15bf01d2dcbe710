"""Mistake: F.dropout without training=self.training keeps dropping after model.eval(). The probe reports
functional-dropout-no-training-flag at the F.dropout line."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(8, 64)
        self.fc2 = nn.Linear(64, 2)

    def forward(self, x):
        h = F.relu(self.fc1(x))
        h = F.dropout(h, p=0.5)
        return self.fc2(h)


torch.manual_seed(0)
x, y = torch.randn(256, 8), torch.randint(0, 2, (256,))
xv, yv = torch.randn(128, 8), torch.randint(0, 2, (128,))
model = Net()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
loss_fn = nn.CrossEntropyLoss()

for epoch in range(2):
    model.train()
    for i in range(0, len(x), 32):
        optimizer.zero_grad()
        loss_fn(model(x[i : i + 32]), y[i : i + 32]).backward()
        optimizer.step()
    model.eval()
    with torch.no_grad():
        accuracy = (model(xv).argmax(1) == yv).float().mean().item()
    print(f"epoch {epoch} validation accuracy {accuracy:.3f}")
