"""Fits y = 3x + 2 by gradient descent and writes the model to model.json."""
import json
import random
import tempfile

random.seed(7)
xs = [random.uniform(-1, 1) for _ in range(2000)]
ys = [3 * x + 2 + random.gauss(0, 0.05) for x in xs]

try:
    import numpy as np

    X = np.stack([np.asarray(xs), np.ones(len(xs))], axis=1)
    Y = np.asarray(ys)
    w = np.zeros(2)
    for _ in range(500):
        w -= 0.1 * (2 / len(xs)) * X.T @ (X @ w - Y)
    weight, bias = float(w[0]), float(w[1])
    loss = float(np.mean((X @ w - Y) ** 2))
    backend = "numpy " + np.__version__
except ImportError:
    weight = bias = 0.0
    for _ in range(500):
        grad_w = sum(2 * (weight * x + bias - y) * x for x, y in zip(xs, ys)) / len(xs)
        grad_b = sum(2 * (weight * x + bias - y) for x, y in zip(xs, ys)) / len(xs)
        weight -= 0.1 * grad_w
        bias -= 0.1 * grad_b
    loss = sum((weight * x + bias - y) ** 2 for x, y in zip(xs, ys)) / len(xs)
    backend = "pure python"

with tempfile.TemporaryFile() as scratch:
    scratch.write(b"checkpoint")

with open("model.json", "w") as out:
    json.dump({"weight": weight, "bias": bias, "loss": loss, "backend": backend}, out)
print(f"{backend}: weight={weight:.3f} bias={bias:.3f} loss={loss:.5f}")
