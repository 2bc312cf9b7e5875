"""Trains the baseline and the neural classifier on data/reviews.csv."""

import csv

import joblib
import torch
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from model import build_encoder, build_head, encode_words


def read_reviews(path="data/reviews.csv"):
    with open(path, newline="") as source:
        rows = list(csv.DictReader(source))
    return [row["text"] for row in rows], [int(row["label"]) for row in rows]


def train_baseline(texts, labels):
    baseline = Pipeline([("tfidf", TfidfVectorizer()), ("classify", LogisticRegression())])
    baseline.fit(texts, labels)
    joblib.dump(baseline, "models/classifier.joblib")


def train_network(texts, labels, epochs=50):
    torch.manual_seed(0)
    encoder, head = build_encoder(), build_head()
    parameters = list(encoder.parameters()) + list(head.parameters())
    optimizer = torch.optim.Adam(parameters, lr=0.05)
    targets = torch.tensor(labels)
    for _ in range(epochs):
        optimizer.zero_grad()
        logits = torch.stack([head(encoder(encode_words(text).unsqueeze(0)))[0] for text in texts])
        loss = torch.nn.functional.cross_entropy(logits, targets)
        loss.backward()
        optimizer.step()
    torch.save(encoder.state_dict(), "models/encoder.pt")
    torch.save(head.state_dict(), "models/sentiment-head.pt")


if __name__ == "__main__":
    texts, labels = read_reviews()
    train_baseline(texts, labels)
    train_network(texts, labels)
