"""Shared fixtures. The tiny base model is pretrained once per test session, by train_base.py's own
main(), on the bundled corpus; the end-to-end tests build on it."""
import contextlib
import io
import json
import os
import runpy
import shutil
import subprocess
import sys
import traceback
import warnings
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # train_base.py and tune_prompt.py live at the top level

TINY_BASE_ARGS = ["--preset", "tiny", "--n-layer", "2", "--n-head", "4", "--n-embd", "128", "--vocab-size", "2048",
                  "--steps", "1600", "--batch-size", "8", "--lr", "1e-2", "--warmup", "100", "--eval-every", "400",
                  "--seed", "1337", "--position-init", "random",  # the learning tests' margins were measured on it
                  "--device", "cpu"]  # the same tiny base on any CPU with the same kernels (AVX2, AVX-512)


def tiny_task(tmp_path, n=40, name="sentiment", folder_name=None):
    """A small copy of a bundled task in tmp_path / folder_name (default: the task's name): its first n
    lines per split (n an int, or {"train": 60, "val": 4, "test": 4}) and its task.json, so CLI tests
    run in seconds."""
    counts = n if isinstance(n, dict) else dict.fromkeys(("train", "val", "test"), n)
    folder = tmp_path / (folder_name or name)
    folder.mkdir(parents=True)
    for split, count in counts.items():
        lines = (ROOT / "data" / "tasks" / name / f"{split}.jsonl").read_text().splitlines()[:count]
        (folder / f"{split}.jsonl").write_text("\n".join(lines) + "\n")
    shutil.copy(ROOT / "data" / "tasks" / name / "task.json", folder / "task.json")
    return folder


def run_script(*args, cwd=ROOT, stdin=None):
    """Run a script of ours (`train_base.py`, `data/make_corpus.py`, `-m minprompt.predict`, ...) as a user
    would, with these arguments, working folder and stdin; returns a CompletedProcess (returncode, stdout,
    stderr). It runs in this process, as `python SCRIPT` would run it (runpy, __name__ == "__main__"): a
    fresh interpreter costs seconds of imports and the suite runs scripts about a hundred times. Exit
    statuses are the script's own (its run_main turns a user error into status 2); any other exception
    becomes a traceback on stderr and status 1, as Python prints it. Anything else (`-c`, torchrun) runs
    in a real subprocess."""
    ours = args[0].endswith(".py") or (args[0] == "-m" and args[1].startswith("minprompt."))
    if not ours:
        return subprocess.run([sys.executable, *args], cwd=cwd, capture_output=True, text=True, input=stdin,
                              timeout=600)
    out, err = io.StringIO(), io.StringIO()
    saved = sys.argv, sys.stdin, os.getcwd()
    returncode = 0
    try:
        os.chdir(cwd)
        sys.stdin = io.StringIO(stdin or "")
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), warnings.catch_warnings():
            warnings.filterwarnings("ignore", "'minprompt.* found in sys.modules", RuntimeWarning)  # runpy's, harmless
            try:
                if args[0] == "-m":
                    sys.argv = [args[1], *args[2:]]
                    runpy.run_module(args[1], run_name="__main__", alter_sys=True)
                else:
                    sys.argv = list(args)
                    runpy.run_path(str(Path(cwd) / args[0]), run_name="__main__")
            except SystemExit as e:
                returncode = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
                if isinstance(e.code, str):
                    print(e.code, file=sys.stderr)
            except Exception:  # noqa: BLE001 - what an uncaught error looks like from outside
                traceback.print_exc()
                returncode = 1
    finally:
        sys.argv, sys.stdin = saved[0], saved[1]
        os.chdir(saved[2])
    return subprocess.CompletedProcess(args, returncode, out.getvalue(), err.getvalue())


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
    """(path to base.pt, its log as a list of dicts): the tiny preset's context (128), 2 layers 128 wide,
    trained for two to three minutes: enough that a topic prompt clearly works on it (a 4-layer base
    took 230 s and made the two learning tests three times slower, for the same kind of margin)."""
    # tests/breakages.py runs the suite many times: it names a folder where the base is trained once
    kept = os.environ.get("MINPROMPT_TEST_BASE")
    out = Path(kept) if kept else tmp_path_factory.mktemp("tiny_base")
    if (out / "base.pt").exists():
        return out / "base.pt", [json.loads(line) for line in open(out / "log.jsonl")]
    # Two threads, as on the 2-core CI: with one thread this recipe gave a base that topic tuning barely moved.
    train_tiny_base(out)
    log = [json.loads(line) for line in open(out / "log.jsonl")]
    return out / "base.pt", log
