"""tune_prompt.py and predict as a user meets them, on the tiny base pretrained once per session:
tuning really learns, the base file is never written, and every bad input gets one line and exit 2."""
import hashlib
import json
import shutil
import signal
import subprocess
import sys
import time

import pytest
import torch

import tune_prompt
from conftest import ROOT, run_script, tiny_task
from minprompt import predict
from minprompt.checkpoint import load_base
from minprompt.prompt import load_prompt
from minprompt.tasks import (PROMPT_LR, PROMPT_STEPS, classify, encode_split, evaluate, length_buckets,
                             load_task, naive_bayes_accuracy)

QUICK = ["--steps", "4", "--eval-every", "2", "--batch-size", "4", "--n-prompt", "4"]


def sha256(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def test_tuning_lifts_topic_accuracy_far_above_chance(tiny_base, tmp_path):
    """End to end on the bundled topic task (4 labels): a prompt lifts the tiny base far above where it
    starts. Not sentiment: the corpus's verdicts use the label words, so the base gets much of sentiment
    without a prompt and the margin would be small. The tiny base's bits depend on the CPU (AVX2 and
    AVX-512 kernels sum floats in another order), and so does how well a prompt steers it: on an AVX2 CPU
    (2026-12-07) these 300 steps took the 2-layer tiny base from 0.227 to 0.498, a 4-layer one (1,600
    steps at lr 5e-3) from 0.355 to 0.640 and the same at 1,000 steps only from 0.293 to 0.460. A
    10-vector prompt at the input of so small a base is a weak lever (prefix tuning reached 0.977 on the
    4-layer base in 100 steps), so the margin is asked of tuning, not a fixed accuracy."""
    base, _ = tiny_base
    model, tok = load_base(base)
    task = load_task("topic")
    test_examples, _ = encode_split(task, tok, task.splits["test"], model.config.block_size - 10)
    preds = classify(model, None, tok, task, [c for c, _ in test_examples])
    untuned = sum(task.labels[p] == r["label"] for p, r in zip(preds, task.splits["test"])) / len(preds)
    base_digest = sha256(base)
    # On the CPU wherever the suite runs (fp32); tests/test_cuda.py checks the CUDA path's numerics and
    # scripts, not how much it learns.
    args = ["--base", str(base), "--task", "topic", "--out", str(tmp_path / "a"), "--n-prompt", "10", "--steps", "300",
            "--eval-every", "300", "--batch-size", "32", "--lr", "0.3", "--device", "cpu"]  # one validation, at the end
    tune_prompt.main(args)
    results = json.load(open(tmp_path / "a" / "results.json"))
    print(f"untuned accuracy {untuned:.3f}, tuned {results['test_metric']:.3f}")
    assert untuned <= 0.5  # chance is 0.25; how near the base gets to it depends on the machine (see above)
    assert results["metric"] == "accuracy" and results["test_metric"] >= untuned + 0.2
    assert sha256(base) == base_digest
    # deterministic: the same command gives the same prompt, bit for bit (a short run on a small copy, twice)
    short = ["--base", str(base), "--task", str(tiny_task(tmp_path, name="topic")), "--n-prompt", "10", "--steps", "20",
             "--eval-every", "10", "--batch-size", "32", "--lr", "0.1", "--device", "cpu"]
    tune_prompt.main([*short, "--out", str(tmp_path / "b")])
    tune_prompt.main([*short, "--out", str(tmp_path / "c")])
    assert torch.equal(load_prompt(tmp_path / "b" / "prompt.pt")["prompt"], load_prompt(tmp_path / "c" / "prompt.pt")["prompt"])


def test_the_default_lr_and_steps_are_the_task_folders_own_and_explicit_ones_win(tiny_base, tmp_path):
    """--lr left out: the task.json's (0.3 for describe), else 0.03; --steps left out: the task.json's (500
    for sentiment), else 300. The defaults travel with the folder's task.json, not its name: a folder
    called "describe" without one gets the general lr. The default lr trains the very prompt that the
    explicit --lr of that value trains, and the file records the lr and the steps used."""
    base, _ = tiny_base

    def tune(task, out, *extra, quick=QUICK):
        tune_prompt.main(["--base", str(base), "--task", str(task), "--out", str(tmp_path / out), *quick,
                          "--device", "cpu", *extra])
        return load_prompt(tmp_path / out / "prompt.pt")

    describe = tiny_task(tmp_path, n=8, name="describe", folder_name="my_products")
    default, same = tune(describe, "default"), tune(describe, "same", "--lr", "0.3")
    other = tune(describe, "other", "--lr", "0.03")
    assert default["args"]["lr"] == load_task("describe").lr == 0.3 and other["args"]["lr"] == 0.03
    assert torch.equal(default["prompt"], same["prompt"]) and not torch.equal(default["prompt"], other["prompt"])
    named = tiny_task(tmp_path, n=8, name="describe")  # a folder called describe, without the task.json
    (named / "task.json").unlink()
    plain = tune(named, "plain")
    assert plain["args"]["lr"] == PROMPT_LR == 0.03 and plain["template"] == "Input: {input}\nOutput:"
    sentiment = tiny_task(tmp_path, n=8, name="sentiment")
    assert tune(sentiment, "sentiment_lr")["args"]["lr"] == PROMPT_LR == 0.03
    # the steps: a 1-vector prompt on batches of 2, validated once, so that 500 steps take seconds
    few = ["--eval-every", "1000", "--batch-size", "2", "--n-prompt", "1"]
    assert tune(sentiment, "long", quick=few)["args"]["steps"] == load_task("sentiment").steps == 500
    assert tune(sentiment, "short", "--steps", "3", quick=few)["args"]["steps"] == 3
    (sentiment / "task.json").unlink()
    assert tune(sentiment, "no_task_json", quick=few)["args"]["steps"] == PROMPT_STEPS == 300


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
    saved = load_prompt(out / "prompt.pt")
    cmd = ["tune_prompt.py", "--base", str(base), "--task", str(task), "--out", str(out), "--resume", "--n-prompt", "4",
           "--batch-size", "4", "--steps", "1", "--eval-every", "1", "--device", "cpu"]
    # resume with a negligible lr: the first validation is the saved prompt's own (the vectors were loaded)
    resumed = run_script(*cmd, "--lr", "1e-9")
    assert resumed.returncode == 0 and f"resuming from {out / 'prompt.pt'} (step {saved['steps']}" in resumed.stdout
    log = [json.loads(line) for line in open(out / "log.jsonl")]
    assert len(log) == 3 and log[-1]["step"] == saved["steps"] + 1  # appended, counting on from the saved prompt's step
    assert log[-1]["val_loss"] == pytest.approx(saved["metrics"]["loss"], rel=1e-4)
    assert json.load(open(out / "results.json"))["steps"] == saved["steps"] + 1
    # resume with a wild lr: the step gets worse, and the best prompt (remembered with its score) stays
    best = load_prompt(out / "prompt.pt")
    wild = run_script(*cmd, "--lr", "5")
    assert wild.returncode == 0, wild.stderr
    assert json.loads(open(out / "log.jsonl").read().splitlines()[-1])["val_loss"] > best["metrics"]["loss"]
    assert torch.equal(load_prompt(out / "prompt.pt")["prompt"], best["prompt"])
    # ... and the test split is scored with that best prompt, not with the last step's
    model, tok = load_base(base)
    task_obj = load_task(str(task))
    test_examples, _ = encode_split(task_obj, tok, task_obj.splits["test"], model.config.block_size - 4)
    expected_test = evaluate(model, best["prompt"], task_obj, tok, "test", test_examples, "cpu")
    assert json.load(open(out / "results.json"))["test"]["loss"] == pytest.approx(expected_test["loss"], rel=1e-5)

    # predict gives what the saved prompt gives in-process, for arguments and for stdin alike
    texts = ["The movie was fantastic", "This movie was terrible", "a fine film", "awful"]
    examples, _ = encode_split(load_task(str(task)), tok, [{"text": t} for t in texts], model.config.block_size - 4)
    expected = [["negative", "positive"][i] for i in classify(model, best["prompt"], tok, load_task(str(task)),
                                                               [c for c, _ in examples])]
    pred = run_script("-m", "minprompt.predict", "--prompt", str(out / "prompt.pt"), *texts[:2])
    assert pred.returncode == 0, pred.stderr
    assert [line.split("\t") for line in pred.stdout.splitlines()] == [[e, t] for e, t in zip(expected, texts[:2])]
    piped = run_script("-m", "minprompt.predict", "--prompt", str(out / "prompt.pt"), stdin="a fine film\n\nawful\n")
    assert [line.split("\t")[0] for line in piped.stdout.splitlines()] == expected[2:]
    assert sha256(base) == digest


def test_predict_with_several_prompts_gives_each_tasks_own_answers_in_columns(tiny_base, tmp_path):
    """Three tasks (two classification, one generation with a longer prompt) through one predict call:
    a header, then per input the column of each task equals that prompt's predict run alone. The same task
    twice: its columns are named by file. A prompt from another base among them: refused, naming it."""
    base, _ = tiny_base
    prompts = []
    for name, n_prompt in (("sentiment", "4"), ("topic", "4"), ("describe", "6")):
        out = tmp_path / name
        tuned = run_script("tune_prompt.py", "--base", str(base), "--task", str(tiny_task(tmp_path, n=8, name=name)),
                           "--out", str(out), "--steps", "2", "--eval-every", "2", "--batch-size", "4",
                           "--n-prompt", n_prompt)
        assert tuned.returncode == 0, tuned.stderr
        prompts.append(str(out / "prompt.pt"))
    texts = ["The match went to penalties", "the soup was cold", "name: Opal | category: lamp | style: luxury"]
    alone = [run_script("-m", "minprompt.predict", "--prompt", p, "--max-new-tokens", "8", *texts) for p in prompts]
    columns = [[line.split("\t")[0] for line in r.stdout.splitlines()] for r in alone]
    mixed = run_script("-m", "minprompt.predict", *[a for p in prompts for a in ("--prompt", p)], "--max-new-tokens", "8",
                       *texts)
    assert mixed.returncode == 0, mixed.stderr
    lines = mixed.stdout.splitlines()
    assert lines[0] == "sentiment\ttopic\tdescribe\tinput" and len(lines) == 1 + len(texts)
    for i, line in enumerate(lines[1:]):
        assert line.split("\t") == [column[i] for column in columns] + [texts[i]]
    shutil.copy(prompts[0], tmp_path / "again.pt")
    twice = run_script("-m", "minprompt.predict", "--prompt", prompts[0], "--prompt", str(tmp_path / "again.pt"),
                       "--jsonl", texts[1])
    assert json.loads(twice.stdout) == {"input": texts[1], "output": {prompts[0]: columns[0][1],
                                                                     str(tmp_path / "again.pt"): columns[0][1]}}
    ck = torch.load(prompts[1], weights_only=True)
    ck["base_fingerprint"] = "0" * 64  # as if trained on another base
    torch.save(ck, tmp_path / "other.pt")
    refused = run_script("-m", "minprompt.predict", "--prompt", prompts[0], "--prompt", str(tmp_path / "other.pt"), "x")
    assert refused.returncode == 2 and f"({tmp_path / 'other.pt'})" in refused.stderr.strip().splitlines()[-1]


def test_an_ensemble_trains_its_members_and_predict_combines_them(tiny_base, tmp_path):
    """--ensemble 2: two ordinary runs with seeds 0 and 1; the ensemble's one pass (each text under both
    prompts) scores each member as that member's own run did; predict --ensemble gives the answers the
    report counted; members of another task, and --vote without an ensemble, are refused."""
    base, _ = tiny_base
    out, task = tmp_path / "out", tiny_task(tmp_path, n=16)
    run = run_script("tune_prompt.py", "--base", str(base), "--task", str(task), "--out", str(out), "--ensemble", "2", *QUICK)
    assert run.returncode == 0, run.stderr
    assert "| ensemble, mean log-probability |" in run.stdout
    report = json.load(open(out / "ensemble.json"))
    members = [str(out / f"member{i}" / "prompt.pt") for i in range(2)]
    for i, path in enumerate(members):
        assert load_prompt(path)["args"]["seed"] == i
        own = json.load(open(out / f"member{i}" / "results.json"))["test_metric"]
        assert report["splits"]["test"]["members"][i] == pytest.approx(own)
    records = [json.loads(line) for line in open(task / "test.jsonl")]
    pred = run_script("-m", "minprompt.predict", "--ensemble", "--prompt", members[0], "--prompt", members[1],
                      *[r["text"] for r in records])
    assert pred.returncode == 0, pred.stderr
    answers = [line.split("\t")[0] for line in pred.stdout.splitlines()]
    assert sum(a == r["label"] for a, r in zip(answers, records)) / len(records) == pytest.approx(
        report["splits"]["test"]["mean_logprob"])
    # a third member with another prompt length, beside the two kept ones: refused before scoring
    grown = run_script("tune_prompt.py", "--base", str(base), "--task", str(task), "--out", str(out), "--ensemble", "3",
                       *QUICK, "--n-prompt", "6")
    user_error(grown, "ensemble members must have one method and prompt length: prompt of 6 here, prompt of 4 in", out / "member2" / "prompt.pt")
    topic = tmp_path / "topic"
    assert run_script("tune_prompt.py", "--base", str(base), "--task", str(tiny_task(tmp_path, n=8, name="topic")),
                      "--out", str(topic), *QUICK).returncode == 0
    mixed = run_script("-m", "minprompt.predict", "--ensemble", "--prompt", members[0], "--prompt", str(topic / "prompt.pt"), "x")
    user_error(mixed, "ensemble members must share one task: 'topic' here, 'sentiment' in", topic / "prompt.pt")
    vote = run_script("-m", "minprompt.predict", "--prompt", members[0], "--vote", "x")
    assert vote.returncode == 2 and "--vote combines the members of an --ensemble" in vote.stderr
    describe = run_script("tune_prompt.py", "--base", str(base), "--task", str(tiny_task(tmp_path, n=8, name="describe")),
                          "--out", str(tmp_path / "d"), "--ensemble", "2", *QUICK)
    assert describe.returncode == 2 and describe.stderr.startswith("error: --ensemble combines label scores; describe is")
    assert not (tmp_path / "d").exists()


def test_a_generation_task_end_to_end_and_predict_keeps_one_line_per_input(tiny_base, tmp_path):
    """describe through the CLI: tuning, generation metrics in results.json, and predict on the generation
    prompt, where an output or input with a newline in it still takes exactly one line (or one JSON object)."""
    base, _ = tiny_base
    out, task = tmp_path / "out", tiny_task(tmp_path, n=12, name="describe")
    result = run_script("tune_prompt.py", "--base", str(base), "--task", str(task), "--out", str(out), *QUICK)
    assert result.returncode == 0, result.stderr
    results = json.load(open(out / "results.json"))
    assert results["metric"] == "attribute_recall" and 0 <= results["test_metric"] <= 1
    assert {"loss", "style_accuracy", "exact_match"} <= set(results["test"]) and results["test"]["loss"] > 0
    inputs = ["name: Opal | category: lamp | material: oak | colour: teal | features: dimmable | style: luxury",
              "name: Wren | category: kettle\nmaterial: copper"]
    tsv = run_script("-m", "minprompt.predict", "--prompt", str(out / "prompt.pt"), "--max-new-tokens", "30", *inputs)
    assert tsv.returncode == 0, tsv.stderr
    lines = tsv.stdout.splitlines()
    assert len(lines) == 2 and lines[1].endswith("\tname: Wren | category: kettle\\nmaterial: copper")
    jsonl = run_script("-m", "minprompt.predict", "--prompt", str(out / "prompt.pt"), "--max-new-tokens", "30", "--jsonl", *inputs)
    rows = [json.loads(line) for line in jsonl.stdout.splitlines()]
    assert [r["input"] for r in rows] == inputs
    assert [predict.one_line(r["output"]) for r in rows] == [line.split("\t")[0] for line in lines]


def test_one_line_escapes_what_would_break_a_tsv_line():
    assert predict.one_line("a\tb\nc\\n") == "a\\tb\\nc\\\\n"


def test_the_scripts_optimizer_holds_the_prompt_alone_and_the_loaded_base_stays_frozen(tiny_base, tmp_path, monkeypatch):
    """Spy on what tune_prompt.main itself builds: its optimizer's parameters, and the base it loaded."""
    base, _ = tiny_base
    seen = {}

    def spy_optimizer(soft, lr):
        seen["optimizer"], seen["soft"] = tune_prompt_make_optimizer(soft, lr), soft
        return seen["optimizer"]

    def spy_load_base(path, device="cpu"):
        seen["model"], tok = load_base(path, device)
        seen["state"] = {k: v.clone() for k, v in seen["model"].state_dict().items()}
        return seen["model"], tok

    tune_prompt_make_optimizer = tune_prompt.make_optimizer
    monkeypatch.setattr(tune_prompt, "make_optimizer", spy_optimizer)
    monkeypatch.setattr(tune_prompt, "load_base", spy_load_base)
    tune_prompt.main(["--base", str(base), "--task", str(tiny_task(tmp_path, n=8)), "--out", str(tmp_path / "o"), *QUICK])
    params = [p for group in seen["optimizer"].param_groups for p in group["params"]]
    assert len(params) == 1 and params[0] is seen["soft"].weight and params[0].shape == (4, 128)
    assert not any(p.requires_grad for p in seen["model"].parameters())
    assert all(torch.equal(v, seen["state"][k]) for k, v in seen["model"].state_dict().items())


def test_compile_trains_on_batches_padded_to_length_buckets(tiny_base, tmp_path, monkeypatch):
    """--compile's wiring, without a compiler: every training batch the compiled step sees is padded to one
    of length_buckets(block_size - P) (a few shapes, so a few graphs), and evaluation stays eager."""
    base, _ = tiny_base
    seen = []

    def fake_compile(model, mode=None, dynamic=None):
        assert dynamic is False and mode is None  # CUDA graphs ("reduce-overhead") only on CUDA

        def step(idx, *args, **kwargs):
            seen.append(idx.shape[1])
            return model(idx, *args, **kwargs)
        return step

    monkeypatch.setattr(torch, "compile", fake_compile)
    tune_prompt.main(["--base", str(base), "--task", str(tiny_task(tmp_path, n=8)), "--out", str(tmp_path / "o"),
                      "--compile", *QUICK])
    assert len(seen) == 4 and set(seen) <= set(length_buckets(128 - 4))  # 4 steps; the tiny base's context is 128


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


@pytest.fixture(scope="module")
def kept_run(tiny_base, tmp_path_factory):
    """(task folder, out folder) of one finished quick run: the run a user's bad flags must leave alone."""
    folder = tmp_path_factory.mktemp("kept")
    task, out = tiny_task(folder, n=8), folder / "out"
    result = run_script("tune_prompt.py", "--base", str(tiny_base[0]), "--task", str(task), "--out", str(out), *QUICK)
    assert result.returncode == 0, result.stderr
    return task, out


@pytest.mark.parametrize("flags, expected", [
    (["--steps", "0", "--overwrite"], "--steps must be a positive number, got 0"),  # once re-stamped the old prompt
    (["--steps", "-3", "--resume"], "--steps must be a positive number, got -3"),
    (["--batch-size", "0", "--overwrite"], "--batch-size must be a positive number"),
    (["--eval-every", "0", "--overwrite"], "--eval-every must be a positive number"),
    (["--ensemble", "0", "--overwrite"], "--ensemble must be a positive number"),
    (["--template", "Q: {input}", "--overwrite"], "template 'Q: {input}' has placeholders ['input']"),
    (["--template", "Q: {text", "--overwrite"], "template 'Q: {text' does not parse"),
    (["--template", "Classify:", "--overwrite"], "template 'Classify:' has placeholders []"),
    (["--device", "cuda" if not torch.cuda.is_available() else "tpu", "--overwrite"], "--device"),
])
def test_bad_settings_get_one_line_and_leave_the_kept_run_untouched(tiny_base, kept_run, tmp_path, flags, expected):
    base, _ = tiny_base
    task, out = kept_run[0], tmp_path / "out"
    shutil.copytree(kept_run[1], out)
    before = {f.name: sha256(f) for f in out.iterdir()}
    result = run_script("tune_prompt.py", "--base", str(base), "--task", str(task), "--out", str(out), *QUICK, *flags)
    line = result.stderr.strip().splitlines()[-1]
    assert result.returncode == 2 and "Traceback" not in result.stderr and line.startswith(f"error: {expected}"), line
    assert {f.name: sha256(f) for f in out.iterdir()} == before


def test_predict_refuses_bad_settings_and_cuts_long_input_to_fit_behind_the_prompt(tiny_base, tmp_path):
    base, _ = tiny_base
    out = tmp_path / "out"
    assert run_script("tune_prompt.py", "--base", str(base), "--task", str(tiny_task(tmp_path, n=8)), "--out", str(out),
                      *QUICK).returncode == 0
    prompt = out / "prompt.pt"
    bad = run_script("-m", "minprompt.predict", "--prompt", str(prompt), "--max-new-tokens", "-5", "a film")
    assert bad.returncode == 2 and bad.stderr.strip().splitlines()[-1].startswith("error: --max-new-tokens must be a positive")
    ck = torch.load(prompt, weights_only=True)
    ck["prompt"][0, 0] = float("nan")
    torch.save(ck, tmp_path / "nan.pt")
    nan = run_script("-m", "minprompt.predict", "--prompt", str(tmp_path / "nan.pt"), "a film")
    assert nan.returncode == 2 and "prompt holds NaN" in nan.stderr.strip().splitlines()[-1]
    ck["prompt"] = torch.zeros(4, 96)
    torch.save(ck, tmp_path / "wide.pt")
    wide = run_script("-m", "minprompt.predict", "--prompt", str(tmp_path / "wide.pt"), "a film")
    assert wide.returncode == 2 and "prompt tensor has shape (4, 96), this base needs (4, 128)" in wide.stderr
    # an input longer than the context minus the prompt is cut from the left, not a traceback
    long = run_script("-m", "minprompt.predict", "--prompt", str(prompt), "the soup was cold and " * 60 + "lovely")
    assert long.returncode == 0 and "were cut from the left" in long.stderr and len(long.stdout.splitlines()) == 1


def test_nan_loss_stops_and_keeps_the_best_prompt(tiny_base, tmp_path):
    base, _ = tiny_base
    out, task = tmp_path / "out", tiny_task(tmp_path)
    result = run_script("tune_prompt.py", "--base", str(base), "--task", str(task), "--out", str(out),
                        "--lr", "1e30", "--eval-every", "1", "--steps", "5", "--batch-size", "4", "--n-prompt", "4")
    user_error(result, "loss became nan at step 2; the best prompt so far (step 1) is in", out / "prompt.pt")
    assert torch.isfinite(load_prompt(out / "prompt.pt")["prompt"]).all()
    # --overwrite that fails before its first save: the prompt already there is untouched, and said so
    before = (out / "prompt.pt").read_bytes()
    again = run_script("tune_prompt.py", "--base", str(base), "--task", str(task), "--out", str(out),
                       "--lr", "1e30", "--eval-every", "3", "--steps", "5", "--batch-size", "4", "--n-prompt", "4",
                       "--overwrite")
    user_error(again, f"loss became nan at step 2; the prompt that was in {out / 'prompt.pt'} is unchanged",
               out / "prompt.pt")
    assert (out / "prompt.pt").read_bytes() == before


def test_ctrl_c_keeps_the_best_prompt_and_resume_continues(tiny_base, tmp_path):
    base, _ = tiny_base
    out, task = tmp_path / "out", tiny_task(tmp_path)
    finished = run_script("tune_prompt.py", "--base", str(base), "--task", str(task), "--out", str(out), *QUICK)
    assert finished.returncode == 0 and (out / "results.json").exists()
    cmd = [sys.executable, "tune_prompt.py", "--base", str(base), "--task", str(task), "--out", str(out),
           "--steps", "100000", "--eval-every", "2", "--batch-size", "4", "--n-prompt", "4", "--overwrite"]
    # A shell starts background jobs with SIGINT ignored, the child inherits that, and Python then
    # installs no KeyboardInterrupt handler: a suite run in the background (as CI may) would send a
    # Ctrl-C that nobody hears. The child gets the default disposition back, as a terminal gives it.
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.time() + 120
    first_prompt = (out / "prompt.pt").stat().st_mtime_ns
    while (out / "prompt.pt").stat().st_mtime_ns == first_prompt and time.time() < deadline:
        time.sleep(0.2)  # until the new run has saved its first prompt
    time.sleep(1.0)
    proc.send_signal(signal.SIGINT)  # Ctrl-C
    try:
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()  # no-op once it has exited; never leave a 100,000-step run behind
    assert proc.returncode == 2 and "Traceback" not in err, err
    assert err.strip().splitlines()[-1].endswith(f"the best prompt so far (step {load_prompt(out / 'prompt.pt')['steps']}) "
                                                 f"is in {out / 'prompt.pt'} ({out / 'prompt.pt'}): run again with "
                                                 "--resume to continue from it")
    assert not (out / "results.json").exists()  # the finished run's results no longer describe prompt.pt
    saved = load_prompt(out / "prompt.pt")
    resumed = run_script("tune_prompt.py", "--base", str(base), "--task", str(task), "--out", str(out), "--resume", *QUICK)
    assert resumed.returncode == 0, resumed.stderr
    assert f"step {saved['steps']}" in resumed.stdout


def test_compare_table_has_every_method_and_extra_split_and_never_writes_the_base(tiny_base, tmp_path):
    """--compare: word-counting Naive Bayes, no prompt, hand-written prompt, soft prompt, prefix, full fine-tuning, all
    on the same test split and on the extra natural split; a test text longer than the context fits behind the
    (longer) hand-written prompt too."""
    base, _ = tiny_base
    task = tiny_task(tmp_path, n=8)
    long_text = json.dumps({"text": "The soup was cold and the waiter was rude. " * 20, "label": "negative"})
    with open(task / "test.jsonl", "a") as f:
        f.write(long_text + "\n")
    natural = open(ROOT / "data" / "tasks" / "sentiment" / "natural.jsonl").read().splitlines()[:6]
    (task / "natural.jsonl").write_text("\n".join(natural) + "\n")
    digest, out = sha256(base), tmp_path / "out"
    result = run_script("tune_prompt.py", "--base", str(base), "--task", str(task), "--out", str(out), "--compare", *QUICK)
    assert result.returncode == 0, result.stderr
    results = json.load(open(out / "results.json"))
    table = results["compare"]
    assert [row["method"] for row in table] == ["naive Bayes on words (train split)", "no prompt", "hand-written prompt",
                                                "prompt tuning (P=4, this run)", "prefix tuning (P=4)", "full fine-tuning"]
    assert all(0 < row["test_loss"] < float("inf") for row in table[1:]) and table[0]["test_loss"] is None
    # rows recomputed here, independently of the run: word counting, the bare base, the written prompt
    model, tok = load_base(base)
    loaded = load_task(str(task))
    data = {s: encode_split(loaded, tok, loaded.splits[s], model.config.block_size - 4)[0] for s in ("test", "natural")}
    assert [table[0][f"{s}_accuracy"] for s in data] == [naive_bayes_accuracy(loaded, s) for s in data]
    for row, prompt in ((table[1], None), (table[3], load_prompt(out / "prompt.pt")["prompt"])):
        expected = {s: evaluate(model, prompt, loaded, tok, s, data[s]) for s in data}
        assert [row[f"{s}_accuracy"] for s in data] == [expected[s]["accuracy"] for s in data], row["method"]
        assert row["test_loss"] == pytest.approx(expected["test"]["loss"], rel=1e-5)
    assert "natural (6 examples, never trained on): accuracy" in result.stdout
    assert table[3]["trainable_params"] == 4 * load_prompt(out / "prompt.pt")["prompt"].shape[1]
    c = load_base(base)[0].config
    assert table[4]["trainable_params"] == c.n_layer * 2 * 4 * c.n_embd  # every layer's keys and values
    assert table[5]["trainable_params"] == load_base(base)[0].num_params()
    assert "| full fine-tuning |" in result.stdout and "natural accuracy |" in result.stdout
    assert sha256(base) == digest  # full fine-tuning trained a copy


def test_prefix_tuning_end_to_end_predict_and_resume_checks_the_method(tiny_base, tmp_path):
    """--method prefix: the file holds (L, 2, nh, P, hs) keys and values and says so, predict answers with it
    as it does with a prompt, and --resume refuses a --method the file was not trained with."""
    base, _ = tiny_base
    model, tok = load_base(base)
    task, out = tiny_task(tmp_path, n=24), tmp_path / "prefix"
    tune_prompt.main(["--base", str(base), "--task", str(task), "--out", str(out), "--method", "prefix", *QUICK])
    ck = load_prompt(out / "prompt.pt")
    c = model.config
    assert ck["method"] == "prefix" and ck["prompt"].shape == (c.n_layer, 2, c.n_head, 4, c.n_embd // c.n_head)
    assert json.load(open(out / "results.json"))["method"] == "prefix"
    texts = [r["text"] for r in task_records(task, "test")[:5]]
    result = run_script("-m", "minprompt.predict", "--prompt", str(out / "prompt.pt"), "--base", str(base), *texts)
    assert result.returncode == 0, result.stderr
    t = load_task(str(task))
    contexts = [cx for cx, _ in encode_split(t, tok, [{"text": x} for x in texts], c.block_size - 4)[0]]
    expected = [t.labels[i] for i in classify(model, ck["prompt"], tok, t, contexts)]
    assert [line.split("\t")[0] for line in result.stdout.splitlines()] == expected
    result = run_script("tune_prompt.py", "--base", str(base), "--task", str(task), "--out", str(out), "--resume", *QUICK)
    assert result.returncode == 2
    assert result.stderr.strip() == (f"error: prompt file holds a prefix of 4 positions, --method and --n-prompt ask "
                                     f"for a prompt of 4 ({out / 'prompt.pt'}): pass --method prefix --n-prompt 4")


def task_records(folder, split):
    return [json.loads(line) for line in open(folder / f"{split}.jsonl")]


def test_help_explains_the_options():
    result = run_script("tune_prompt.py", "--help")
    for flag in ["--base", "--task", "--n-prompt", "--init", "--compare", "--resume", "--lr", "--method"]:
        assert flag in result.stdout
