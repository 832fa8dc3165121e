"""Shared fixtures. The tiny base model is pretrained once per test session, by train_base.py's own
main(), on the bundled corpus; the end-to-end tests build on it."""
import json
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


@pytest.fixture(scope="session")
def tiny_base(tmp_path_factory):
    """(path to base.pt, its log as a list of dicts): the tiny preset's context (128), 4 layers 128 wide,
    trained for about two minutes: deep enough that a topic prompt clearly works on it."""
    import train_base

    out = tmp_path_factory.mktemp("tiny_base")
    train_base.main(["--corpus", str(ROOT / "data" / "corpus.txt"), "--out", str(out), *TINY_BASE_ARGS])
    log = [json.loads(line) for line in open(out / "log.jsonl")]
    return out / "base.pt", log
