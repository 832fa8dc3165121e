"""tune_prompt.py and predict as a user meets them, on the tiny base pretrained once per session:
tuning really learns, the base file is never written, and every bad input gets one line and exit 2."""
import hashlib
import json
import signal
import subprocess
import sys
import time

import pytest
import torch

import tune_prompt
from conftest import ROOT, run_script
from minprompt.checkpoint import load_base
from minprompt.prompt import load_prompt
from minprompt.tasks import classify, encode_split, load_task

QUICK = ["--steps", "4", "--eval-every", "2", "--batch-size", "4", "--n-prompt", "4"]


def sha256(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def tiny_task(tmp_path, n=40, name="sentiment"):
    """A small copy of a bundled task (its first n lines per split), so CLI tests run in seconds."""
    folder = tmp_path / name
    folder.mkdir()
    for split in ("train", "val", "test"):
        lines = open(ROOT / "data" / "tasks" / name / f"{split}.jsonl").read().splitlines()[:n]
        (folder / f"{split}.jsonl").write_text("\n".join(lines) + "\n")
    return folder


def test_tuning_lifts_topic_accuracy_far_above_chance(tiny_base, tmp_path):
    """End to end on the bundled topic task (4 labels): a prompt lifts the tiny base from near chance. (Not
    sentiment: this base already gets most of it without a prompt, 0.728 on machine B, since the corpus's
    verdicts use the label words; a prompt takes it to 0.913. Topic starts near chance: 0.267 on machine C,
    0.428 on B, whose float sums give the base other bits; a prompt takes it to 0.785 and 0.882.)"""
    base, _ = tiny_base
    model, tok = load_base(base)
    task = load_task("topic")
    test_examples, _ = encode_split(task, tok, task.splits["test"], model.config.block_size - 10)
    preds = classify(model, None, tok, task, [c for c, _ in test_examples])
    untuned = sum(task.labels[p] == r["label"] for p, r in zip(preds, task.splits["test"])) / len(preds)
    base_digest = sha256(base)
    # On the CPU wherever the suite runs: the threshold and the bit-for-bit check are the CPU's (fp32).
    # On an H100 (bf16 autocast) the same 200 steps reached only 0.503 from 0.305 and failed the margin below;
    # tests/test_cuda.py checks the CUDA path's numerics and scripts, not how much it learns.
    args = ["--base", str(base), "--task", "topic", "--out", str(tmp_path / "a"), "--n-prompt", "10", "--steps", "200",
            "--eval-every", "100", "--batch-size", "32", "--lr", "0.1", "--device", "cpu"]
    tune_prompt.main(args)
    results = json.load(open(tmp_path / "a" / "results.json"))
    print(f"untuned accuracy {untuned:.3f}, tuned {results['test_metric']:.3f}")
    assert untuned <= 0.5  # chance is 0.25; how near the base gets to it depends on the machine (see above)
    assert results["metric"] == "accuracy" and results["test_metric"] >= max(0.7, untuned + 0.25)
    assert sha256(base) == base_digest
    # deterministic: the same command gives the same prompt, bit for bit (a short run on a small copy, twice)
    short = ["--base", str(base), "--task", str(tiny_task(tmp_path, name="topic")), "--n-prompt", "10", "--steps", "20",
             "--eval-every", "10", "--batch-size", "32", "--lr", "0.1", "--device", "cpu"]
    tune_prompt.main([*short, "--out", str(tmp_path / "b")])
    tune_prompt.main([*short, "--out", str(tmp_path / "c")])
    assert torch.equal(load_prompt(tmp_path / "b" / "prompt.pt")["prompt"], load_prompt(tmp_path / "c" / "prompt.pt")["prompt"])


def test_cli_outputs_predict_and_base_untouched(tiny_base, tmp_path):
    base, _ = tiny_base
    digest, out, task = sha256(base), tmp_path / "out", tiny_task(tmp_path)
    result = run_script("tune_prompt.py", "--base", str(base), "--task", str(task), "--out", str(out), *QUICK)
    assert result.returncode == 0, result.stderr
    assert "trainable: 512 parameters" in result.stdout and "nearest vocabulary tokens" in result.stdout
    ck = load_prompt(out / "prompt.pt")
    assert ck["prompt"].shape == (4, 128) and ck["labels"] == ["negative", "positive"] and ck["task"] == "sentiment"
    results = json.load(open(out / "results.json"))
    for key in ("task", "metric", "test_metric", "val_metric", "steps", "wall_s"):
        assert key in results
    assert len(open(out / "log.jsonl").read().splitlines()) == 2
    again = run_script("tune_prompt.py", "--base", str(base), "--task", str(task), "--out", str(out), *QUICK)
    assert again.returncode == 0 and "prompt exists" in again.stdout
    resumed = run_script("tune_prompt.py", "--base", str(base), "--task", str(task), "--out", str(out), "--resume", *QUICK)
    assert resumed.returncode == 0 and "resuming from" in resumed.stdout, resumed.stderr
    assert load_prompt(out / "prompt.pt")["steps"] > 0
    pred = run_script("-m", "minprompt.predict", "--prompt", str(out / "prompt.pt"), "The movie was fantastic", "This movie was terrible")
    assert pred.returncode == 0, pred.stderr
    lines = pred.stdout.splitlines()
    assert [line.split("\t")[1] for line in lines] == ["The movie was fantastic", "This movie was terrible"]
    assert all(line.split("\t")[0] in ("positive", "negative") for line in lines)
    piped = run_script("-m", "minprompt.predict", "--prompt", str(out / "prompt.pt"), stdin="a fine film\n\nawful\n")
    assert len(piped.stdout.splitlines()) == 2
    assert sha256(base) == digest


def user_error(result, start, path):
    line = result.stderr.strip().splitlines()[-1]
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    assert line.startswith(f"error: {start}") and f"({path})" in line, line
    return line


def test_a_prompt_on_another_base_is_refused(tiny_base, tmp_path):
    base, _ = tiny_base
    corpus = ROOT / "data" / "corpus.txt"
    other = tmp_path / "other"
    made = run_script("train_base.py", "--corpus", str(corpus), "--out", str(other), "--preset", "tiny", "--vocab-size", "512",
                      "--steps", "2", "--eval-every", "2", "--eval-batches", "1", "--batch-size", "2")
    assert made.returncode == 0, made.stderr
    out, task = tmp_path / "out", tiny_task(tmp_path)
    assert run_script("tune_prompt.py", "--base", str(base), "--task", str(task), "--out", str(out), *QUICK).returncode == 0
    prompt = out / "prompt.pt"
    pred = run_script("-m", "minprompt.predict", "--prompt", str(prompt), "--base", str(other / "base.pt"), "hello")
    line = user_error(pred, "prompt was trained on base", prompt)
    fp_a, fp_b = (torch.load(p, weights_only=True)["fingerprint"][:12] for p in (base, other / "base.pt"))
    assert fp_a in line and fp_b in line
    resumed = run_script("tune_prompt.py", "--base", str(other / "base.pt"), "--task", str(task), "--out", str(out), "--resume", *QUICK)
    user_error(resumed, "prompt was trained on base", prompt)


@pytest.mark.parametrize("case", ["malformed", "unseen_label", "empty", "no_base", "truncated_prompt"])
def test_bad_input_before_training_writes_no_prompt(tiny_base, tmp_path, case):
    base, _ = tiny_base
    task, out = tiny_task(tmp_path), tmp_path / "out"
    extra = []
    if case == "malformed":
        with open(task / "train.jsonl", "a") as f:
            f.write('{"text": "oops", "label": \n')
        expected, path = "malformed JSON at line 41", task / "train.jsonl"
    elif case == "unseen_label":
        with open(task / "test.jsonl", "a") as f:
            f.write(json.dumps({"text": "so-so", "label": "mixed"}) + "\n")
        expected, path = "label 'mixed' in test is not among the train labels", task / "test.jsonl"
    elif case == "empty":
        (task / "val.jsonl").write_text("")
        expected, path = "task split is empty", task / "val.jsonl"
    elif case == "no_base":
        base, expected, path = tmp_path / "missing.pt", "no base checkpoint found", tmp_path / "missing.pt"
    else:
        out.mkdir()
        (out / "prompt.pt").write_bytes(b"")
        extra, expected, path = ["--resume"], "cannot read prompt file", out / "prompt.pt"
    result = run_script("tune_prompt.py", "--base", str(base), "--task", str(task), "--out", str(out), *QUICK, *extra)
    user_error(result, expected, path)
    if case != "truncated_prompt":
        assert not (out / "prompt.pt").exists()


def test_nan_loss_stops_and_keeps_the_best_prompt(tiny_base, tmp_path):
    base, _ = tiny_base
    out = tmp_path / "out"
    result = run_script("tune_prompt.py", "--base", str(base), "--task", str(tiny_task(tmp_path)), "--out", str(out),
                        "--lr", "1e30", "--eval-every", "1", "--steps", "5", "--batch-size", "4", "--n-prompt", "4")
    user_error(result, "loss became nan at step 2; the best prompt so far (step 1) is in", out / "prompt.pt")
    assert torch.isfinite(load_prompt(out / "prompt.pt")["prompt"]).all()


def test_ctrl_c_keeps_the_best_prompt_and_resume_continues(tiny_base, tmp_path):
    base, _ = tiny_base
    out, task = tmp_path / "out", tiny_task(tmp_path)
    cmd = [sys.executable, "tune_prompt.py", "--base", str(base), "--task", str(task), "--out", str(out),
           "--steps", "100000", "--eval-every", "2", "--batch-size", "4", "--n-prompt", "4"]
    # A shell starts background jobs with SIGINT ignored, the child inherits that, and Python then
    # installs no KeyboardInterrupt handler: a suite run in the background (as CI may) would send a
    # Ctrl-C that nobody hears. The child gets the default disposition back, as a terminal gives it.
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.time() + 120
    while not (out / "prompt.pt").exists() and time.time() < deadline:
        time.sleep(0.2)
    time.sleep(1.0)
    proc.send_signal(signal.SIGINT)  # Ctrl-C
    try:
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()  # no-op once it has exited; never leave a 100,000-step run behind
    assert proc.returncode == 2 and "Traceback" not in err, err
    assert "is saved; --resume continues" in err.strip().splitlines()[-1]
    saved = load_prompt(out / "prompt.pt")
    resumed = run_script("tune_prompt.py", "--base", str(base), "--task", str(task), "--out", str(out), "--resume", *QUICK)
    assert resumed.returncode == 0, resumed.stderr
    assert f"step {saved['steps']}" in resumed.stdout


def test_compare_table_has_four_methods_and_never_writes_the_base(tiny_base, tmp_path):
    """--compare: no prompt, hand-written prompt, soft prompt, full fine-tuning, all on the same test split;
    a test text longer than the context fits behind the (longer) hand-written prompt too."""
    base, _ = tiny_base
    task = tiny_task(tmp_path, n=8)
    long_text = json.dumps({"text": "The soup was cold and the waiter was rude. " * 20, "label": "negative"})
    with open(task / "test.jsonl", "a") as f:
        f.write(long_text + "\n")
    digest, out = sha256(base), tmp_path / "out"
    result = run_script("tune_prompt.py", "--base", str(base), "--task", str(task), "--out", str(out), "--compare", *QUICK)
    assert result.returncode == 0, result.stderr
    table = json.load(open(out / "results.json"))["compare"]
    assert [row["method"] for row in table] == ["no prompt", "hand-written prompt", "soft prompt (P=4)", "full fine-tuning"]
    assert all(0 <= row["test_accuracy"] <= 1 and 0 < row["test_loss"] < float("inf") for row in table)
    assert table[2]["test_loss"] == json.load(open(out / "results.json"))["test"]["loss"]  # the tuned prompt's own
    assert table[2]["trainable_params"] == 4 * load_prompt(out / "prompt.pt")["prompt"].shape[1]
    assert table[3]["trainable_params"] == load_base(base)[0].num_params()
    assert "| full fine-tuning |" in result.stdout
    assert sha256(base) == digest  # full fine-tuning trained a copy


def test_help_explains_the_options():
    result = run_script("tune_prompt.py", "--help")
    for flag in ["--base", "--task", "--n-prompt", "--init", "--compare", "--resume", "--lr"]:
        assert flag in result.stdout
