"""Data parallel (minprompt/distributed.py): two gloo processes under torchrun make the same step as one
process with the whole batch, --grad-accum makes the same step as one big batch, process 0 alone writes,
and a distributed tuning run leaves the base's bytes as they were."""
import hashlib
import json
import os
import sys

import pytest
import torch
from hypothesis import given, settings, strategies as st

import train_base
import tune_prompt
from conftest import ROOT, run_script, tiny_task
from minprompt.checkpoint import load_base
from minprompt.distributed import World, my_rows
from minprompt.errors import UserError
from minprompt.prompt import load_prompt

TORCHRUN = ["-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2"]
SMALL_BASE = ["--preset", "tiny", "--n-layer", "2", "--n-head", "2", "--n-embd", "32", "--vocab-size", "300",
              "--steps", "4", "--batch-size", "8", "--lr", "1e-2", "--warmup", "2", "--eval-every", "2",
              "--eval-batches", "1", "--device", "cpu"]


@settings(max_examples=200, deadline=None)
@given(size=st.integers(1, 8), accum=st.integers(1, 8), extra=st.integers(0, 40))
def test_every_row_of_a_step_is_run_once(size, accum, extra):
    batch_size = size * accum + extra
    rows = [i for rank in range(size) for piece in my_rows(World(rank, size), batch_size, accum)
            for i in range(batch_size)[piece]]
    assert sorted(rows) == list(range(batch_size))
    lengths = [len(range(batch_size)[piece]) for rank in range(size) for piece in my_rows(World(rank, size), batch_size, accum)]
    assert max(lengths) - min(lengths) <= 1


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """A slice of the bundled corpus: enough text for a few steps, quick to tokenize."""
    text = (ROOT / "data" / "corpus.txt").read_text(encoding="utf-8")
    path = tmp_path_factory.mktemp("corpus") / "corpus.txt"
    path.write_text(text[:200_000], encoding="utf-8")
    return path


def assert_same_base(path_a, path_b):
    """Same weights up to float sums in another order, and the same logged losses. Adam turns a gradient
    near 0 into a step near lr, so after 4 steps at lr 1e-2 a rare weight moves by ~1e-4 between two correct
    runs (on an AVX2 CPU: 23 of 48,768 weights by more than 1e-5, the largest by 1.04e-4); a batch other
    than the one asked for moves almost every weight (98.9% by more than 1e-5, the largest by 0.056)."""
    a, b = load_base(path_a)[0].state_dict(), load_base(path_b)[0].state_dict()
    assert a.keys() == b.keys()
    diff = torch.cat([(b[name] - a[name]).abs().flatten() for name in a])  # (all weights,)
    assert diff.max() < 1e-3, f"a weight moved by {diff.max():.2e}"  # a tenth of lr
    assert (diff > 1e-5).float().mean() < 0.01, f"{(diff > 1e-5).float().mean():.1%} of weights differ"
    logs = [[json.loads(line) for line in open(p.parent / "log.jsonl")] for p in (path_a, path_b)]
    assert len(logs[0]) == len(logs[1])
    for entry_a, entry_b in zip(*logs):  # the first entry, at initialisation, has no train loss
        for key in ("step", "train_loss", "val_loss"):
            assert entry_b[key] == (entry_a[key] and pytest.approx(entry_a[key], rel=1e-4)), key


def test_grad_accum_pretrains_as_one_batch(corpus, tmp_path):
    for accum in ("1", "4"):
        train_base.main(["--corpus", str(corpus), "--out", str(tmp_path / accum), *SMALL_BASE, "--grad-accum", accum])
    assert_same_base(tmp_path / "1" / "base.pt", tmp_path / "4" / "base.pt")
    with pytest.raises(UserError, match=r"--batch-size 8 does not split into 1 process\(es\) x --grad-accum 3"):
        train_base.main(["--corpus", str(corpus), "--out", str(tmp_path / "3"), *SMALL_BASE, "--grad-accum", "3"])
    assert not (tmp_path / "3").exists()


def test_two_processes_pretrain_as_one(corpus, tmp_path):
    one = run_script("train_base.py", "--corpus", str(corpus), "--out", str(tmp_path / "one"), *SMALL_BASE)
    two = run_script(*TORCHRUN, "train_base.py", "--corpus", str(corpus), "--out", str(tmp_path / "two"), *SMALL_BASE)
    assert one.returncode == 0 and two.returncode == 0, two.stderr[-2000:]
    assert_same_base(tmp_path / "one" / "base.pt", tmp_path / "two" / "base.pt")
    # process 0 alone reports and writes: one "wrote" line, and the log of one run (step 0, 2, 4)
    assert two.stdout.count("wrote ") == 1
    assert sorted(os.listdir(tmp_path / "two")) == ["base.pt", "log.jsonl", "metrics.json"]
    assert [json.loads(line)["step"] for line in open(tmp_path / "two" / "log.jsonl")] == [0, 2, 4]


def test_two_processes_tune_as_one_and_leave_the_base(tiny_base, tmp_path):
    base, _ = tiny_base
    sha = hashlib.sha256(base.read_bytes()).hexdigest()
    # a generation task: answers of many lengths, so shares of the tokens matter
    task = tiny_task(tmp_path, {"train": 60, "val": 4, "test": 4}, "describe", "small_describe")
    args = ["tune_prompt.py", "--base", str(base), "--task", str(task), "--n-prompt", "4", "--steps", "3",
            "--eval-every", "3", "--batch-size", "6", "--lr", "0.01", "--device", "cpu"]
    one = run_script(*args, "--out", str(tmp_path / "one"))
    two = run_script(*TORCHRUN, *args, "--out", str(tmp_path / "two"), "--grad-accum", "3")
    assert one.returncode == 0 and two.returncode == 0, two.stderr[-2000:]
    torch.testing.assert_close(load_prompt(tmp_path / "two" / "prompt.pt")["prompt"],
                               load_prompt(tmp_path / "one" / "prompt.pt")["prompt"], atol=1e-5, rtol=1e-4)
    assert two.stdout.count("wrote ") == 1
    assert [json.loads(line)["step"] for line in open(tmp_path / "two" / "log.jsonl")] == [3]
    assert hashlib.sha256(base.read_bytes()).hexdigest() == sha


def test_a_batch_too_small_to_split_is_refused(tiny_base, tmp_path):
    base, _ = tiny_base
    with pytest.raises(UserError, match="a batch of 4 examples cannot fill 1 process"):
        tune_prompt.main(["--base", str(base), "--out", str(tmp_path), "--batch-size", "4", "--grad-accum", "5",
                          "--steps", "1", "--device", "cpu"])
    assert not (tmp_path / "prompt.pt").exists()
