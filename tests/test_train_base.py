"""train_base.py as a user meets it: it learns, it never overwrites a base unasked, and bad input gets
one line and exit status 2 with nothing written."""
import hashlib
import json
import math
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import torch

from conftest import ROOT, TINY_BASE_ARGS, run_script
from minprompt.checkpoint import load_base, read_base
from minprompt.corpus import (IGNORE, copy_losses, copy_probe, get_batch, mention_losses, mention_probe, split_train_val,
                              with_copy_rows)
from minprompt.device import cpu_has_bf16
from minprompt.model import GPT, POSITION_INIT_SCALE, preset, sinusoids

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
    digest, read_base_fp = sha256(out / "base.pt"), read_base(out / "base.pt")["fingerprint"]
    log_before = open(out / "log.jsonl").read().splitlines()
    resumed = run_script("train_base.py", "--corpus", str(corpus), "--out", str(out), "--resume", *TINY)
    assert resumed.returncode == 0 and "resuming from" in resumed.stdout, resumed.stderr
    assert sha256(out / "base.pt") != digest and read_base(out / "base.pt")["fingerprint"] != read_base_fp
    log_after = open(out / "log.jsonl").read().splitlines()
    assert log_after[: len(log_before)] == log_before and len(log_after) == 2 * len(log_before)  # continued
    steps = [json.loads(line)["step"] for line in log_after]
    assert steps == [0, 3, 3, 6]  # the resumed run's steps count on from where the kept base stopped


def test_ctrl_c_writes_nothing_and_keeps_the_kept_bases_log(tmp_path):
    corpus, out = toy_corpus(tmp_path), tmp_path / "out"
    assert run_script("train_base.py", "--corpus", str(corpus), "--out", str(out), *TINY).returncode == 0
    digest, log = sha256(out / "base.pt"), (out / "log.jsonl").read_text()
    cmd = [sys.executable, "train_base.py", "--corpus", str(corpus), "--out", str(out), *TINY, "--overwrite",
           "--steps", "100000", "--eval-every", "50"]
    # SIGINT's default disposition, as a terminal gives it (a background shell would have it ignored)
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    partial, deadline = out / "log.partial.jsonl", time.time() + 120
    while not (partial.exists() and partial.read_text()) and time.time() < deadline:
        time.sleep(0.2)  # until the run has logged its first evaluation: training is under way
    proc.send_signal(signal.SIGINT)
    try:
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 2 and "Traceback" not in err, err
    assert err.strip().splitlines()[-1].startswith("error: interrupted at step")
    assert sha256(out / "base.pt") == digest and (out / "log.jsonl").read_text() == log


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


def test_precision_is_recorded_auto_is_fp32_on_the_cpu_and_bf16_really_trains_differently(tmp_path):
    """--precision auto means fp32 on the CPU (bf16 only on CUDA); --precision bf16 trains under bf16
    autocast. The run says which it used, in its output and in metrics.json."""
    corpus, runs = toy_corpus(tmp_path), {}
    for precision in ("fp32", "bf16", "auto"):
        out = tmp_path / precision
        result = run_script("train_base.py", "--corpus", str(corpus), "--out", str(out), *TINY, "--device", "cpu",
                            "--precision", precision)
        assert result.returncode == 0, result.stderr
        used = json.loads((out / "metrics.json").read_text())["precision"]
        assert f"precision: {'bf16 autocast' if used == 'bf16' else 'fp32'} on cpu (--precision {precision})" in result.stdout
        assert ("no AVX512-BF16 or AMX" in result.stdout) == (used == "bf16" and not cpu_has_bf16())
        runs[precision] = used, read_base(out / "base.pt")["fingerprint"]
    assert runs["fp32"][0] == "fp32" and runs["bf16"][0] == "bf16"
    assert runs["fp32"][1] != runs["bf16"][1]  # bf16 matmuls round differently: other weights after 3 steps
    assert runs["auto"] == runs["fp32"]  # the same run, bit for bit


def test_position_init_sinusoid_starts_the_table_as_sinusoids_and_random_does_not(tmp_path):
    """Three warmup steps move a weight by about 1e-4, so the table written is still nearly where it began."""
    corpus, tables = toy_corpus(tmp_path), {}
    for init in ("random", "sinusoid"):
        result = run_script("train_base.py", "--corpus", str(corpus), "--out", str(tmp_path / init), *TINY,
                            "--position-init", init)
        assert result.returncode == 0, result.stderr
        tables[init] = load_base(tmp_path / init / "base.pt")[0].transformer.wpe.weight.detach()  # (32, 64)
    start = sinusoids(32, 64) * POSITION_INIT_SCALE
    assert torch.allclose(tables["sinusoid"], start, atol=1e-3)
    assert not torch.allclose(tables["random"], start, atol=1e-2)


class InductionOracle(torch.nn.Module):
    """A stand-in model that copies perfectly: at each position it looks back for the previous occurrence of
    the current token and predicts the token that followed it (uniform when there is none)."""

    def __init__(self, vocab_size):
        super().__init__()
        self.vocab_size = vocab_size

    def forward(self, idx):
        B, T = idx.shape
        logits = torch.zeros(B, T, self.vocab_size)
        for b in range(B):
            row = idx[b].tolist()
            for t in range(T):
                earlier = [s for s in range(t) if row[s] == row[t] and s + 1 < len(row)]
                if earlier:
                    logits[b, t, row[earlier[-1] + 1]] = 50.0
        return logits, None


def test_validation_is_the_untouched_tail_and_each_target_is_the_next_token():
    ids = np.arange(1000, dtype=np.uint16)  # token i is i: where a window comes from is its first value
    train, val = split_train_val(ids, block_size=16, path="corpus.txt")
    assert len(val) == 50 and np.array_equal(np.concatenate([train, val]), ids)  # the last 5%, nothing shared
    x, y = get_batch(train, 64, 16, torch.Generator().manual_seed(0), torch.device("cpu"))
    assert x.shape == y.shape == (64, 16) and torch.equal(y[:, :-1], x[:, 1:]) and torch.equal(y[:, -1], x[:, -1] + 1)
    assert int(y.max()) < len(train)  # no window of the training stream reaches into validation


def test_copy_rows_repeat_one_run_of_corpus_tokens_and_score_only_what_can_be_copied():
    ids = np.arange(5000, 6000, dtype=np.uint16)  # the training stream: every copy-row token must come from it
    x, y = get_batch(ids, 8, 64, torch.Generator().manual_seed(0), torch.device("cpu"))
    x2, y2 = with_copy_rows(x, y, 6, ids, torch.Generator().manual_seed(1))
    assert x2.shape == y2.shape == (8, 64) and torch.equal(x2[:2], x[:2]) and torch.equal(y2[:2], y[:2])
    periods = []
    for row, target in zip(x2[2:], y2[2:]):
        period = next(p for p in range(8, 17) if torch.equal(row[p:], row[:-p]))  # one run, repeated
        periods.append(period)
        assert 5000 <= row.min() and row.max() < 6000
        assert (target[:period] == IGNORE).all()  # the first run and the repeat's first token get no loss
        assert torch.equal(target[period: -1], row[period + 1:]) and target[-1] == row[-period]  # then the next token
    assert len(set(periods)) > 1  # runs of several lengths
    assert with_copy_rows(x, y, 0, ids, torch.Generator()) == (x, y)


def test_copy_rows_change_what_the_base_trains_on(tmp_path):
    corpus = toy_corpus(tmp_path)
    losses = {}
    for n in (0, 2):
        out = tmp_path / f"copy{n}"
        result = run_script("train_base.py", "--corpus", str(corpus), "--out", str(out), *TINY, "--copy-rows", str(n))
        assert result.returncode == 0, result.stderr
        losses[n] = json.loads((out / "log.jsonl").read_text().splitlines()[-1])["train_loss"]
    assert abs(losses[2] - losses[0]) > 1e-3  # every window a copy row: another loss from the first step


def test_copy_probe_scores_a_perfect_copier_and_not_a_blind_model():
    probe = copy_probe(3000, n_rows=4, half=16, seed=0)
    assert probe.shape == (4, 32) and torch.equal(probe[:, :16], probe[:, 16:])
    assert probe.min() >= 256 and probe.max() < 1256  # the first 1,000 merges: common tokens, never raw bytes
    assert all(len(set(row[:16].tolist())) == 16 for row in probe)  # no token twice in a copy: the oracle is exact
    first, second = copy_losses(InductionOracle(3000), probe)
    assert second < 1e-3 and first > math.log(3000) - 0.5  # the second copy is free, the first is chance
    torch.manual_seed(0)
    first, second = copy_losses(GPT(preset("tiny", vocab_size=3000)).eval(), probe)  # untrained: no copying
    assert abs(first - second) < 0.1


def test_mention_probe_finds_a_documents_own_repeated_pairs_and_scores_a_copier():
    EOT = 99
    a, b, c = [5, 1, 2, 6, 1, 2, 7], [5, 6, 3, 4, 8], [3, 4, 3, 4]  # (1, 2) twice in a alone; (3, 4) in b and c
    val = np.array(a + [EOT] + b + [EOT] + c + [EOT], dtype=np.uint16)
    x, first, later = mention_probe(val, EOT, block_size=10)
    assert x.tolist() == [a + [EOT] * 3]  # only a repeats a pair no other document has
    assert first.nonzero().tolist() == [[0, 2]] and later.nonzero().tolist() == [[0, 5]]  # token t, predicted at t - 1
    assert mention_probe(val, EOT, block_size=4) is None  # cut to its context, a repeats nothing
    c_first = np.array(c + [EOT] + b + [EOT] + a, dtype=np.uint16)  # with only c counted, its (3, 4) is its own
    assert mention_probe(c_first, EOT, block_size=10, max_docs=1)[0].tolist() == [c + [EOT] * 6]
    first_loss, later_loss = mention_losses(InductionOracle(100), (x, first, later))
    assert later_loss < 1e-3 and first_loss == pytest.approx(math.log(100), abs=1e-4)  # copied; the first is chance


def test_the_log_reports_the_mention_and_copy_scores(tiny_base):
    _, log = tiny_base
    fields = {"mention_first_loss", "mention_later_loss", "mention_score", "copy_first_loss", "copy_second_loss", "copy_score"}
    assert all(set(e) >= fields for e in log)
    assert log[-1]["copy_score"] == pytest.approx(log[-1]["copy_first_loss"] - log[-1]["copy_second_loss"])
    assert log[-1]["mention_score"] == pytest.approx(log[-1]["mention_first_loss"] - log[-1]["mention_later_loss"])


@pytest.mark.parametrize("flags, expected", [
    (["--steps", "0"], "--steps must be a positive number, got 0"),
    (["--steps", "-5"], "--steps must be a positive number, got -5"),
    (["--batch-size", "0"], "--batch-size must be a positive number"),
    (["--eval-every", "0"], "--eval-every must be a positive number"),
    (["--vocab-size", "100"], "--vocab-size must be at least 258"),
    (["--copy-rows", "3"], "--copy-rows must be between 0 and --batch-size (2), got 3"),
    (["--copy-rows", "1", "--block-size", "8"], "--copy-rows needs a context of at least 16 tokens"),
    (["--n-head", "3"], "--n-head 3 does not divide the width 64"),
    (["--device", "cuda"] if not torch.cuda.is_available() else ["--device", "tpu"], "--device"),
    (["--lr", "1e6", "--warmup", "1", "--grad-clip", "0"], "loss became"),
])
def test_bad_settings_get_one_line_and_write_nothing(tmp_path, flags, expected):
    corpus, out = toy_corpus(tmp_path), tmp_path / "out"
    result = run_script("train_base.py", "--corpus", str(corpus), "--out", str(out), *TINY, *flags)
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    assert lines[-1].startswith(f"error: {expected}"), lines[-1]
    assert not (out / "base.pt").exists() and not (out / "metrics.json").exists()
