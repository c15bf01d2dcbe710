"""Mistake: the dropout's switch is an argument that the training loop never sets (google-research/
vision_transformer#19: train=False everywhere). It never drops during training; the probe reports
dropout-never-active at the F.dropout line."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):
    def __init__(self, p=0.3):
        super().__init__()
        self.p = p
        self.fc1 = nn.Linear(8, 64)
        self.fc2 = nn.Linear(64, 2)

    def forward(self, x, train=False):
        h = F.relu(self.fc1(x))
        h = F.dropout(h, p=self.p, training=train)
        return self.fc2(h)


torch.manual_seed(0)
x, y = torch.randn(256, 8), torch.randint(0, 2, (256,))
model = Net()
optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
loss_fn = nn.CrossEntropyLoss()

model.train()
for epoch in range(2):
    for i in range(0, len(x), 32):
        optimizer.zero_grad()
        loss = loss_fn(model(x[i : i + 32]), y[i : i + 32])  # train=True is never passed
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch} loss {loss.item():.3f}")
