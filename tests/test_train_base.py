"""train_base.py as a user meets it: it learns, it never overwrites a base unasked, and bad input gets
one line and exit status 2 with nothing written."""
import hashlib
import math

import pytest

from conftest import TINY_BASE_ARGS, run_script
from minprompt.checkpoint import read_base

TINY = ["--preset", "tiny", "--vocab-size", "300", "--steps", "3", "--eval-every", "3", "--eval-batches", "1",
        "--block-size", "32", "--batch-size", "2"]


def sha256(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def test_pretraining_clearly_lowers_the_loss(tiny_base):
    path, log = tiny_base
    first, last = log[0], log[-1]
    assert first["step"] == 0 and last["step"] == int(TINY_BASE_ARGS[TINY_BASE_ARGS.index("--steps") + 1])
    assert first["val_loss"] == pytest.approx(math.log(2048), rel=0.1)  # untrained: about uniform
    assert last["val_loss"] < 0.5 * first["val_loss"]
    assert [e["val_loss"] for e in log] == sorted((e["val_loss"] for e in log), reverse=True)
    ck = read_base(path)
    assert ck["metrics"]["val_loss"] == last["val_loss"] and len(ck["fingerprint"]) == 64


def toy_corpus(tmp_path, n_docs=400):
    text = "\n<|endoftext|>\n".join(f"doc {i}: the quick brown fox jumps over {i % 7} lazy dogs." for i in range(n_docs))
    path = tmp_path / "toy.txt"
    path.write_text(text, encoding="utf-8")
    return path


def test_rerun_keeps_the_base_and_overwrite_retrains(tmp_path):
    corpus, out = toy_corpus(tmp_path), tmp_path / "out"
    first = run_script("train_base.py", "--corpus", str(corpus), "--out", str(out), *TINY)
    assert first.returncode == 0, first.stderr
    digest = sha256(out / "base.pt")
    again = run_script("train_base.py", "--corpus", str(corpus), "--out", str(out), *TINY)
    assert again.returncode == 0 and "base checkpoint exists" in again.stdout and "--overwrite" in again.stdout
    assert sha256(out / "base.pt") == digest
    retrained = run_script("train_base.py", "--corpus", str(corpus), "--out", str(out), "--overwrite", "--seed", "5", *TINY)
    assert retrained.returncode == 0, retrained.stderr
    assert sha256(out / "base.pt") != digest
    resumed = run_script("train_base.py", "--corpus", str(corpus), "--out", str(out), "--resume", *TINY)
    assert resumed.returncode == 0 and "resuming from" in resumed.stdout, resumed.stderr


def assert_user_error(result, start, path, out):
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2
    assert lines[-1].startswith(f"error: {start}") and f"({path})" in lines[-1], result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists() or not (out / "base.pt").exists()


@pytest.mark.parametrize("case", ["missing", "empty", "not_utf8", "too_short", "directory"])
def test_bad_corpus(tmp_path, case):
    corpus, out = tmp_path / "corpus.txt", tmp_path / "out"
    expected = {"missing": "corpus file not found", "empty": "corpus is empty", "not_utf8": "corpus is not UTF-8",
                "too_short": "corpus too short", "directory": "corpus is a directory"}[case]
    if case == "empty":
        corpus.write_text("\n<|endoftext|>\n  \n")
    elif case == "not_utf8":
        corpus.write_bytes("caf\u00e9 ok ".encode("latin-1") * 100)
    elif case == "too_short":
        corpus.write_text("only a few words here, far fewer than one context window")
    elif case == "directory":
        corpus.mkdir()
    result = run_script("train_base.py", "--corpus", str(corpus), "--out", str(out), *TINY)
    assert_user_error(result, expected, corpus, out)


@pytest.mark.parametrize("case", ["missing", "truncated", "other_format"])
def test_bad_checkpoint_on_resume(tmp_path, case):
    corpus, out = toy_corpus(tmp_path), tmp_path / "out"
    ck = out / "base.pt"
    if case != "missing":
        out.mkdir()
        ck.write_bytes(b"PK\x03\x04 not really a checkpoint" if case == "truncated" else b"")
        if case == "other_format":
            import torch
            torch.save({"weights": torch.zeros(2)}, ck)
        before = sha256(ck)
    result = run_script("train_base.py", "--corpus", str(corpus), "--out", str(out), "--resume", *TINY)
    expected = {"missing": "nothing to resume", "truncated": "cannot read base checkpoint",
                "other_format": "not a minprompt base checkpoint"}[case]
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2 and lines[-1].startswith(f"error: {expected}") and f"({ck})" in lines[-1], result.stderr
    if case != "missing":
        assert sha256(ck) == before  # never touched


def test_help_explains_the_options():
    result = run_script("train_base.py", "--help")
    assert result.returncode == 0
    for flag in ["--corpus", "--preset", "--steps", "--overwrite", "--resume", "--device"]:
        assert flag in result.stdout
