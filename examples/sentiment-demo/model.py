"""The network: a bag-of-words encoder and a two-class head."""

import torch

VOCABULARY_SIZE = 64
EMBEDDING_SIZE = 8


def encode_words(text):
    """Hashes each word into the encoder's vocabulary."""
    return torch.tensor([hash(word) % VOCABULARY_SIZE for word in text.lower().split()])


def build_encoder():
    return torch.nn.Sequential(
        torch.nn.EmbeddingBag(VOCABULARY_SIZE, EMBEDDING_SIZE, mode="mean"),
        torch.nn.Linear(EMBEDDING_SIZE, EMBEDDING_SIZE),
        torch.nn.Tanh(),
    )


def build_head():
    return torch.nn.Linear(EMBEDDING_SIZE, 2)
