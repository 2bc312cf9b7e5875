#!/usr/bin/env python3
"""Builds the source tree for the code-analysis benchmark.

Ordinary code is real code found on the machine: the Python standard
library and Debian's Python packages (numpy, torch, scikit-learn ...) for
the Python part, the JavaScript that ships with npm for the JavaScript
part, copied into a project-like tree until each part reaches its size.
Generated application modules (training loops, CLIs, loaders) and the
malicious fixtures of tests/fixtures/code are mixed in, so the rules have
something to find. Deterministic: the same machine gives the same tree.

    generate_code_corpus.py OUT [--python-mb 150] [--js-mb 60]

Writes OUT/python/..., OUT/javascript/... and OUT/manifest.json.
"""
import argparse
import json
import os
import random
import shutil

PYTHON_SOURCES = ["/usr/lib/python3/dist-packages", "/usr/lib/python3.11"]
JS_SOURCES = ["/usr/lib/node_modules", "/usr/share/nodejs"]
HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "..", "tests", "fixtures", "code")

APP_TEMPLATE = '''"""Training entry point {index}."""
import argparse
import json
import os

import torch
from torch import nn


class Model{index}(nn.Module):
    def __init__(self, width={width}):
        super().__init__()
        self.layers = nn.Sequential(nn.Linear(width, width), nn.ReLU(), nn.Linear(width, 2))

    def forward(self, x):
        return self.layers(x)


def load_checkpoint(path):
    return torch.load(path, map_location="cpu", weights_only=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", default="configs/run{index}.json")
    args = parser.parse_args()
    with open(args.config) as handle:
        config = json.load(handle)
    model = Model{index}(config.get("width", {width}))
    token = os.environ.get("WANDB_API_KEY")
    for step in range(config.get("steps", 100)):
        loss = model(torch.randn(8, {width})).sum()
        loss.backward()
    torch.save(model.state_dict(), os.path.join("out", "model{index}.pt"))


if __name__ == "__main__":
    main()
'''

JS_TEMPLATE = '''"use strict";
const fs = require("fs");
const path = require("path");

function readConfig{index}(dir) {{
  const file = path.join(dir, "config{index}.json");
  return JSON.parse(fs.readFileSync(file, "utf8"));
}}

async function predict{index}(text) {{
  const response = await fetch("/api/predict", {{ method: "POST", body: JSON.stringify({{ text }}) }});
  return (await response.json()).label;
}}

module.exports = {{ readConfig{index}, predict{index} }};
'''


def source_files(roots, extension):
    files = []
    for root in roots:
        for directory, subdirectories, names in os.walk(root):
            subdirectories.sort()
            for name in sorted(names):
                path = os.path.join(directory, name)
                if name.endswith(extension) and os.path.isfile(path) and not os.path.islink(path):
                    files.append(path)
    return files


def fill(out, sources, target_bytes, template, extension, malicious):
    rng = random.Random(20240601)
    written = 0
    count = 0
    round_index = 0
    while written < target_bytes and sources:
        for source in sources:
            if written >= target_bytes:
                break
            relative = os.path.relpath(source, "/").replace(os.sep, "_")
            destination = os.path.join(out, f"project{round_index:02d}", relative[-120:])
            os.makedirs(os.path.dirname(destination), exist_ok=True)
            shutil.copyfile(source, destination)
            written += os.path.getsize(destination)
            count += 1
            # One generated application module in every twenty files.
            if rng.random() < 0.05:
                index = count
                app = os.path.join(out, f"project{round_index:02d}", "app", f"module{index}{extension}")
                os.makedirs(os.path.dirname(app), exist_ok=True)
                with open(app, "w") as handle:
                    handle.write(template.format(index=index, width=16 + index % 48))
                written += os.path.getsize(app)
                count += 1
        round_index += 1
    for index, fixture in enumerate(malicious):
        destination = os.path.join(out, f"project{index % max(round_index, 1):02d}", "vendor",
                                   os.path.relpath(fixture, FIXTURES).replace(os.sep, "_"))
        os.makedirs(os.path.dirname(destination), exist_ok=True)
        shutil.copyfile(fixture, destination)
        written += os.path.getsize(destination)
        count += 1
    return written, count


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--python-mb", type=float, default=150)
    parser.add_argument("--js-mb", type=float, default=60)
    args = parser.parse_args()
    manifest_path = os.path.join(args.out, "manifest.json")
    if os.path.exists(manifest_path):
        manifest = json.load(open(manifest_path))
        if manifest.get("python_mb") == args.python_mb and manifest.get("js_mb") == args.js_mb:
            print(f"corpus already in {args.out}")
            return
        shutil.rmtree(args.out)
    malicious_py = [f for f in source_files([FIXTURES], ".py") if "/benign/" not in f]
    malicious_js = [f for f in source_files([FIXTURES], ".js") if "/benign/" not in f]
    python_bytes, python_files = fill(os.path.join(args.out, "python"),
                                      source_files(PYTHON_SOURCES, ".py"),
                                      args.python_mb * 1e6, APP_TEMPLATE, ".py", malicious_py)
    js_bytes, js_files = fill(os.path.join(args.out, "javascript"),
                              source_files(JS_SOURCES, ".js"), args.js_mb * 1e6, JS_TEMPLATE,
                              ".js", malicious_js)
    manifest = {"python_mb": args.python_mb, "js_mb": args.js_mb,
                "python_bytes": python_bytes, "python_files": python_files,
                "javascript_bytes": js_bytes, "javascript_files": js_files}
    with open(manifest_path, "w") as handle:
        json.dump(manifest, handle, indent=1)
    print(json.dumps(manifest))


if __name__ == "__main__":
    main()
