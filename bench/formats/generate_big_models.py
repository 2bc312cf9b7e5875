#!/usr/bin/env python3
"""Writes a 4 GiB safetensors file and a 4 GiB GGUF file for the model-format
benchmark. Only the headers are written; the tensor data is a hole in a
sparse file, so generating takes a moment and little disk space. The headers
are realistic in size: 291 tensors (a 7B-parameter layout) and, for GGUF, a
151,936-entry token vocabulary with scores and types, as llama.cpp
conversions of current models carry.

    python3 bench/formats/generate_big_models.py OUT_DIR
"""

import json
import os
import struct
import sys

GIB = 1 << 30
TOTAL = 4 * GIB
TENSORS = 291
VOCABULARY = 151_936


def tensor_sizes():
    """291 float32 tensors that add up to exactly 4 GiB."""
    base = (TOTAL // TENSORS) // 4096 * 4096
    sizes = [base] * (TENSORS - 1)
    sizes.append(TOTAL - base * (TENSORS - 1))
    return sizes


def write_sparse(path, header, total):
    with open(path, "wb") as out:
        out.write(header)
        out.truncate(total)


def safetensors(path):
    header = {"__metadata__": {"format": "pt"}}
    offset = 0
    for index, size in enumerate(tensor_sizes()):
        header[f"model.layers.{index // 9}.weight_{index % 9}"] = {
            "dtype": "F32", "shape": [size // 4096, 1024], "data_offsets": [offset, offset + size]}
        offset += size
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    prefix = struct.pack("<Q", len(text)) + text
    write_sparse(path, prefix, len(prefix) + TOTAL)


def gguf_string(text):
    data = text.encode()
    return struct.pack("<Q", len(data)) + data


def gguf(path):
    metadata = [
        gguf_string("general.architecture") + struct.pack("<I", 8) + gguf_string("llama"),
        gguf_string("general.alignment") + struct.pack("<II", 4, 32),
        gguf_string("tokenizer.ggml.model") + struct.pack("<I", 8) + gguf_string("gpt2"),
        gguf_string("tokenizer.ggml.tokens") + struct.pack("<IIQ", 9, 8, VOCABULARY) +
        b"".join(gguf_string(f"tok{i}") for i in range(VOCABULARY)),
        gguf_string("tokenizer.ggml.scores") + struct.pack("<IIQ", 9, 6, VOCABULARY) +
        struct.pack(f"<{VOCABULARY}f", *([0.0] * VOCABULARY)),
        gguf_string("tokenizer.ggml.token_type") + struct.pack("<IIQ", 9, 5, VOCABULARY) +
        struct.pack(f"<{VOCABULARY}i", *([1] * VOCABULARY)),
        gguf_string("tokenizer.chat_template") + struct.pack("<I", 8) + gguf_string(
            "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + "
            "message['content'] + '<|im_end|>\\n' }}{% endfor %}"),
    ]
    infos = b""
    offset = 0
    for index, size in enumerate(tensor_sizes()):
        infos += gguf_string(f"blk.{index // 9}.weight_{index % 9}")
        infos += struct.pack("<IQQ", 2, 1024, size // 4096) + struct.pack("<IQ", 0, offset)
        offset += size
    header = b"GGUF" + struct.pack("<IQQ", 3, TENSORS, len(metadata)) + b"".join(metadata)
    header += infos
    header += b"\0" * (-len(header) % 32)
    write_sparse(path, header, len(header) + TOTAL)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "bench/out/formats"
    os.makedirs(out, exist_ok=True)
    for name, writer in (("model-4g.safetensors", safetensors), ("model-4g.gguf", gguf)):
        path = os.path.join(out, name)
        if not os.path.exists(path):
            writer(path)
        print(f"{path}: {os.path.getsize(path)} bytes")


if __name__ == "__main__":
    main()
