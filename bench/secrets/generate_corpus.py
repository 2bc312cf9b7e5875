#!/usr/bin/env python3
"""Generates the inputs of the secrets benchmark (not committed).

  generate_corpus.py tree DIR [MB]   a mixed working tree of about MB megabytes
                                     (default 1024): Python sources, JSON configs,
                                     notebooks with base64 images, minified JavaScript,
                                     lock files, small binaries and large tensor files
  generate_corpus.py repo DIR [N]    a git repository with N commits (default 50000)
                                     built with git fast-import

A handful of fake credentials are planted so that the scan has work to report.
Everything comes from a fixed seed; only the standard library is needed.
"""

import base64
import json
import os
import random
import subprocess
import sys
import zlib

rng = random.Random(1234)
ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
IDENT = "abcdefghijklmnopqrstuvwxyz_"


def word(n=8):
    return "".join(rng.choice(IDENT) for _ in range(n))


def github_token():
    body = "".join(rng.choice(ALNUM) for _ in range(30))
    crc, digits = zlib.crc32(body.encode()), ""
    while True:
        digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"[crc % 62] + digits
        crc //= 62
        if crc == 0:
            break
    return "ghp_" + body + digits.rjust(6, "0")


def python_source(size):
    lines = []
    while sum(map(len, lines)) < size:
        name = word()
        lines.append("def %s(batch, lr=%g):\n" % (name, rng.random()))
        lines.append("    logits = model(batch['input_ids'].to(device))\n")
        lines.append("    loss = F.cross_entropy(logits.view(-1, %d), batch['labels'])\n" % rng.randint(2, 50000))
        lines.append("    api_key = os.environ.get('%s_API_KEY')  # set in the shell\n" % word(5).upper())
        lines.append("    wandb.log({'%s': loss.item(), 'step': %d})\n" % (word(), rng.randint(0, 10**6)))
        lines.append("    return loss\n\n")
    return "".join(lines)


def json_config(size):
    items = []
    while sum(map(len, items)) < size:
        items.append(json.dumps({"name": word(), "sha256": "%064x" % rng.getrandbits(256),
                                 "id": "%08x-%04x-%04x-%04x-%012x" % tuple(rng.getrandbits(b) for b in (32, 16, 16, 16, 48)),
                                 "lr": rng.random(), "layers": [rng.randint(1, 4096) for _ in range(8)]}))
    return "[\n" + ",\n".join(items) + "\n]\n"


def notebook(size):
    cells = []
    total = 0
    while total < size:
        image = base64.b64encode(rng.randbytes(48 * 1024)).decode()
        source = python_source(2000)
        cells.append({"cell_type": "code", "execution_count": len(cells), "metadata": {},
                      "source": source.splitlines(True),
                      "outputs": [{"output_type": "stream", "name": "stdout",
                                   "text": ["epoch %d loss %f\n" % (i, rng.random()) for i in range(20)]},
                                  {"output_type": "display_data", "metadata": {},
                                   "data": {"image/png": image, "text/plain": ["<Figure>"]}}]})
        total += len(image) + len(source) + 600
    return json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}, indent=1)


def minified_js(size):
    out = []
    total = 0
    while total < size:
        piece = "function %s(%s){return %s.%s(%s,%d)}var %s=%s(\"%s\");" % (
            word(2), word(1), word(3), word(6), word(1), rng.randint(0, 99999), word(2), word(2), word(12))
        out.append(piece)
        total += len(piece)
    return "".join(out) + "\n"


def lock_file(size):
    out = []
    total = 0
    while total < size:
        line = "%s==%d.%d.%d \\\n    --hash=sha256:%064x\n" % (word(), rng.randint(0, 9), rng.randint(0, 30), rng.randint(0, 9), rng.getrandbits(256))
        out.append(line)
        total += len(line)
    return "".join(out)


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())
    return len(data)


def tree(directory, megabytes):
    target = megabytes * 1_000_000
    kinds = [("src/%s.py", python_source, 0.25), ("configs/%s.json", json_config, 0.15),
             ("notebooks/%s.ipynb", notebook, 0.15), ("web/%s.min.js", minified_js, 0.15),
             ("locks/%s.txt", lock_file, 0.10)]
    written = 0
    index = 0
    # Templates: generating every byte in Python would take longer than the scan.
    for pattern, make, share in kinds:
        template = make(1_000_000)
        budget = target * share
        done = 0
        while done < budget:
            index += 1
            done += write(os.path.join(directory, pattern % ("f%05d" % index)), template)
        written += done
    binary = rng.randbytes(2_000_000)
    done = 0
    while done < target * 0.10:
        index += 1
        done += write(os.path.join(directory, "lib/f%05d.so" % index), binary)
    written += done
    tensor = rng.randbytes(64_000_000)
    done = 0
    while done < target * 0.10:
        index += 1
        done += write(os.path.join(directory, "weights/f%05d.bin" % index), tensor)
    written += done
    for i in range(5):
        written += write(os.path.join(directory, "leaks/leak%d.py" % i),
                         "GITHUB_TOKEN = '%s'\n" % github_token())
    with open(os.path.join(directory, ".corpus.json"), "w") as f:
        json.dump({"bytes": written}, f)
    print("tree: %d bytes in %d files" % (written, index + 5))


def repo(directory, commits):
    os.makedirs(directory, exist_ok=True)
    subprocess.run(["git", "init", "-q", "-b", "main", directory], check=True)
    files = ["pkg/mod%03d.py" % i for i in range(400)]
    contents = {f: python_source(3000) for f in files}
    stream = []
    mark = 0
    for c in range(commits):
        path = rng.choice(files)
        lines = contents[path].splitlines(True)
        lines[rng.randrange(len(lines))] = "    step = %d  # commit %d\n" % (rng.randint(0, 10**9), c)
        if c % 10000 == 5000:
            lines.append("TOKEN = '%s'\n" % github_token())
        contents[path] = "".join(lines)
        data = contents[path].encode()
        mark += 1
        stream.append(b"blob\nmark :%d\ndata %d\n%s\n" % (mark, len(data), data))
        message = b"change %d" % c
        stream.append(b"commit refs/heads/main\nmark :%d\n" % (mark + 1))
        stream.append(b"author Bench <bench@example.invalid> %d +0000\n" % (1700000000 + c))
        stream.append(b"committer Bench <bench@example.invalid> %d +0000\n" % (1700000000 + c))
        stream.append(b"data %d\n%s\n" % (len(message), message))
        if c > 0:
            stream.append(b"from :%d\n" % (mark - 1))
        stream.append(b"M 100644 :%d %s\n\n" % (mark, path.encode()))
        mark += 1
    env = dict(os.environ, GIT_CONFIG_NOSYSTEM="1", HOME="/nonexistent")
    subprocess.run(["git", "-C", directory, "fast-import", "--quiet"], input=b"".join(stream),
                   check=True, env=env)
    subprocess.run(["git", "-C", directory, "checkout", "-q", "main"], check=True, env=env)
    print("repo: %d commits" % commits)


def main():
    kind, directory = sys.argv[1], sys.argv[2]
    if kind == "tree":
        tree(directory, int(sys.argv[3]) if len(sys.argv) > 3 else 1024)
    else:
        repo(directory, int(sys.argv[3]) if len(sys.argv) > 3 else 50000)


if __name__ == "__main__":
    main()
