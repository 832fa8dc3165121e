"""Shared fixtures. The tiny base model is pretrained once per test session, by train_base.py's own
main(), on the bundled corpus; the end-to-end tests build on it."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # train_base.py and tune_prompt.py live at the top level

TINY_BASE_ARGS = ["--preset", "tiny", "--n-layer", "4", "--n-head", "4", "--n-embd", "128", "--vocab-size", "2048",
                  "--steps", "1600", "--batch-size", "8", "--lr", "5e-3", "--warmup", "100", "--eval-every", "400",
                  "--seed", "1337", "--device", "cpu"]  # the same tiny base on any machine


def run_script(*args, cwd=ROOT, stdin=None):
    """Run a top-level script or module as a user would; returns the CompletedProcess."""
    return subprocess.run([sys.executable, *args], cwd=cwd, capture_output=True, text=True, input=stdin, timeout=600)


def train_tiny_base(out, **overrides):
    """train_base.py's main() on the bundled corpus with TINY_BASE_ARGS (overrides: {"--seed": "7"}), on two
    threads: the thread count changes how float sums are split, so the base's bits, whatever the machine."""
    import torch
    import train_base

    args = list(TINY_BASE_ARGS)
    for flag, value in overrides.items():
        args[args.index(flag) + 1] = value
    threads = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        train_base.main(["--corpus", str(ROOT / "data" / "corpus.txt"), "--out", str(out), *args])
    finally:
        torch.set_num_threads(threads)


@pytest.fixture(scope="session")
def tiny_base(tmp_path_factory):
    """(path to base.pt, its log as a list of dicts): the tiny preset's context (128), 4 layers 128 wide,
    trained for a few minutes: deep enough that a topic prompt clearly works on it."""
    # tests/breakages.py runs the suite many times: it names a folder where the base is trained once
    kept = os.environ.get("MINPROMPT_TEST_BASE")
    out = Path(kept) if kept else tmp_path_factory.mktemp("tiny_base")
    if (out / "base.pt").exists():
        return out / "base.pt", [json.loads(line) for line in open(out / "log.jsonl")]
    # Two threads, as on the 2-core CI: with one thread this recipe gave a base that topic tuning barely moved.
    train_tiny_base(out)
    log = [json.loads(line) for line in open(out / "log.jsonl")]
    return out / "base.pt", log
