"""Mistake: from_pretrained() returns the model in eval mode; fine-tuning it without train() never runs dropout."""
import torch
from transformers import AutoModelForSequenceClassification

model = AutoModelForSequenceClassification.from_pretrained("distilbert-base-uncased", num_labels=2)
optimizer = torch.optim.AdamW(model.parameters(), lr=2e-5)


def finetune(loader, epochs=3):
    for epoch in range(epochs):
        for batch in loader:
            out = model(**batch)
            out.loss.backward()
            optimizer.step()
            optimizer.zero_grad()
