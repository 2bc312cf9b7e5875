#!/usr/bin/python3
"""Generates the inputs of the scan benchmarks into a directory (not committed).

  torch-1g.pt        a PyTorch zip checkpoint of about 1 GB (torch.save, stored members)
  legacy-200m.pt     a pre-1.6 PyTorch checkpoint of about 200 MB: stacked pickles
                     followed by raw storage bytes
  opcodes-50m.pkl    a benign protocol-4 pickle of a large dict, exactly 50 million
                     opcodes, written directly so generation needs little memory

Needs Debian's python3-torch for the two checkpoints (run with /usr/bin/python3);
the opcode pickle needs only the standard library. Writes <name>.json next to
each file with what a benchmark needs to compute rates (size, opcode count).
"""

import json
import os
import struct
import sys


def write_meta(path, **fields):
    fields["bytes"] = os.path.getsize(path)
    with open(path + ".json", "w") as out:
        json.dump(fields, out)


def generate_opcode_pickle(path, target_opcodes=50_000_000):
    # PROTO, EMPTY_DICT, MEMOIZE, then batches of
    #   MARK (BININT key, SHORT_BINUNICODE value, MEMOIZE)*n SETITEMS
    # and a final STOP. Values are short strings, as in a tokenizer vocabulary.
    opcodes = 3
    batch = 1000
    key = 0
    with open(path, "wb") as out:
        out.write(b"\x80\x04}\x94")
        while True:
            remaining = target_opcodes - opcodes - 1  # keep one for STOP
            if remaining < 5:
                break
            n = min(batch, (remaining - 2) // 3)
            chunk = bytearray(b"(")
            for _ in range(n):
                value = ("tok%d" % key).encode()
                chunk += b"J" + struct.pack("<i", key & 0x7FFFFFFF)
                chunk += b"\x8c" + bytes([len(value)]) + value + b"\x94"
                key += 1
            chunk += b"u"
            out.write(chunk)
            opcodes += 2 + 3 * n
        # Pad with MEMOIZE (memoizes the dict again, stack unchanged) so the
        # count is exact.
        while target_opcodes - opcodes - 1 > 0:
            out.write(b"\x94")
            opcodes += 1
        out.write(b".")
        opcodes += 1
    write_meta(path, opcodes=opcodes, entries=key)


def generate_torch_checkpoints(directory):
    try:
        import torch
    except ImportError:
        print("python3-torch is missing: skipping the checkpoints "
              "(apt-get install python3-torch, run with /usr/bin/python3)", file=sys.stderr)
        return
    torch.manual_seed(0)
    # 1 GB in 64 tensors of 16 MB, like the layers of a mid-sized model.
    state = {"layer%02d.weight" % i: torch.empty(4 * 1024 * 1024).uniform_() for i in range(64)}
    path = os.path.join(directory, "torch-1g.pt")
    torch.save(state, path)
    write_meta(path, tensors=len(state))
    del state
    legacy = {"layer%02d.weight" % i: torch.empty(4 * 1024 * 1024).uniform_() for i in range(12)}
    path = os.path.join(directory, "legacy-200m.pt")
    torch.save(legacy, path, _use_new_zipfile_serialization=False)
    write_meta(path, tensors=len(legacy))


def main():
    directory = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "out")
    os.makedirs(directory, exist_ok=True)
    if not os.path.exists(os.path.join(directory, "opcodes-50m.pkl")):
        generate_opcode_pickle(os.path.join(directory, "opcodes-50m.pkl"))
    if not os.path.exists(os.path.join(directory, "torch-1g.pt")):
        generate_torch_checkpoints(directory)


if __name__ == "__main__":
    main()
