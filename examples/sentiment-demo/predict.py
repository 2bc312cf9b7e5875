"""Labels the sentences given on the command line as positive or negative."""

import sys

import joblib
import torch

from model import build_encoder, build_head, encode_words


def load_models():
    baseline = joblib.load("models/classifier.joblib")
    encoder, head = build_encoder(), build_head()
    encoder.load_state_dict(torch.load("models/encoder.pt"))
    head.load_state_dict(torch.load("models/sentiment-head.pt"))
    return baseline, encoder.eval(), head.eval()


def main(sentences):
    baseline, encoder, head = load_models()
    for sentence in sentences:
        with torch.no_grad():
            scores = head(encoder(encode_words(sentence).unsqueeze(0)))[0]
        network = "positive" if scores.argmax() == 1 else "negative"
        quick = "positive" if baseline.predict([sentence])[0] == 1 else "negative"
        print(f"{sentence!r}: {network} (baseline: {quick})")


if __name__ == "__main__":
    main(sys.argv[1:] or ["a clever, warm film"])
