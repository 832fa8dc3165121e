"""Train a soft prompt on the frozen base so that it does a new task; nothing else is trained.

    python tune_prompt.py                                  # sentiment, 20 prompt vectors, out/sentiment/
    python tune_prompt.py --task topic --out out/topic
    python tune_prompt.py --task describe --out out/describe
    python tune_prompt.py --task path/to/my_task --init random --n-prompt 50
    python tune_prompt.py --method prefix --out out/sentiment-prefix   # prefix tuning: keys and values per layer
    python tune_prompt.py --compare                        # + no prompt, hand-written, the other method, full fine-tuning
    python tune_prompt.py --resume --steps 200             # continue from out/<task>/prompt.pt
    python tune_prompt.py --ensemble 3                     # 3 prompts, seeds 0-2, and their ensemble on test
    torchrun --standalone --nproc_per_node=4 tune_prompt.py --batch-size 128   # data parallel, 4 processes

Steps: load the frozen base -> load and encode the task -> initialise the prompt -> AdamW on the prompt
alone, validating every --eval-every steps and saving the best prompt so far (by validation accuracy,
ties to the lower validation loss; for generation, the lower loss) -> test metric ->
out/<task>/prompt.pt, results.json, log.jsonl (and loss.png when matplotlib is installed).
The base checkpoint is only ever read. Under torchrun each process runs its rows of every batch and the
prompt's gradient is summed over them (minprompt/distributed.py); process 0 validates and writes.
"""
import argparse
import copy
import json
import os
import sys
import time
from dataclasses import dataclass

import torch
from tqdm import tqdm

from minprompt.checkpoint import atomic_write_text, fingerprint, load_base
from minprompt.device import autocast_for, compile_step
from minprompt.distributed import World, start, stop
from minprompt.errors import Interrupted, UserError, check_positive, run_main
from minprompt.prompt import (INITS, METHODS, SoftPrompt, check_ensemble, check_prompt_matches_base, init_prompt,
                              load_prompt, make_optimizer, nearest_tokens, prompt_shape, save_prompt, tuning_step)
from minprompt.tasks import (PROMPT_LR, PROMPT_STEPS, Task, bundled_specs, encode_split,
                             ensemble_labels, evaluate, length_buckets, load_task, make_batch, micro_batches,
                             naive_bayes_accuracy, selection_score, train_batches)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--base", default="out/base/base.pt", help="frozen base checkpoint, only read (default: %(default)s)")
    p.add_argument("--task", default="sentiment", help="bundled task (sentiment, topic, describe) or a folder with train/val/test.jsonl (default: %(default)s)")
    p.add_argument("--out", default=None, help="folder for prompt.pt, results.json, log.jsonl (default: out/<task name>)")
    p.add_argument("--template", default=None, help="context template with {text} or {input}, e.g. 'Review: {text}\\nSentiment:' (default: the task "
                   "folder's task.json, else 'Text: {text}\\nLabel:' or 'Input: {input}\\nOutput:')")
    p.add_argument("--method", default="prompt", choices=METHODS, help="prompt: P vectors in front of the input; prefix: "
                   "every layer's P keys and values (prefix tuning) (default: %(default)s)")
    p.add_argument("--n-prompt", type=int, default=20, help="number of soft prompt vectors P (default: %(default)s)")
    p.add_argument("--init", default="labels", type=init_choice, help=f"prompt initialisation: {', '.join(INITS)}, or "
                   "file:PATH to start from a prompt file for this base, e.g. one from minprompt.transfer (default: %(default)s)")
    p.add_argument("--init-text", default=None, help="text whose token embeddings start the prompt, with --init text")
    bundled = bundled_specs()  # each bundled task.json read once, for the two defaults below
    p.add_argument("--steps", type=int, default=None, help="optimizer steps (default: the task folder's task.json, "
                   + "".join(f"{s['steps']} for {name}, " for name, s in bundled.items() if "steps" in s) + f"else {PROMPT_STEPS})")
    p.add_argument("--lr", type=float, default=None, help="AdamW learning rate for the prompt (default: the task folder's "
                   "task.json, " + "".join(f"{s['lr']} for {name}, " for name, s in bundled.items() if "lr" in s) + f"else {PROMPT_LR})")
    p.add_argument("--batch-size", type=int, default=32, help="examples per step, over all processes and micro-batches (default: %(default)s)")
    p.add_argument("--grad-accum", type=int, default=1, metavar="A", help="run each step's batch as A micro-batches, "
                   "for a large --batch-size in little memory; same result (default: %(default)s)")
    p.add_argument("--eval-every", type=int, default=100, help="steps between validations; the best prompt is kept (default: %(default)s)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="auto", help="auto (cuda, then mps, then cpu), cpu, cuda, mps")
    p.add_argument("--compile", action="store_true", help="torch.compile the training step, batches padded to a few lengths (CUDA graphs on a GPU; slow to start)")
    p.add_argument("--compare", action="store_true", help="also evaluate no prompt, a hand-written prompt, the other "
                   "--method and full fine-tuning (those two trained for the same steps and never written)")
    p.add_argument("--ft-lr", type=float, default=3e-4, help="learning rate of full fine-tuning in --compare (default: %(default)s)")
    p.add_argument("--ensemble", type=int, default=1, metavar="N", help="train N prompts (seeds seed..seed+N-1) in "
                   "--out/member<i>/ and report each one and their ensemble on test (classification)")
    p.add_argument("--resume", action="store_true", help="continue training the prompt in --out/prompt.pt")
    p.add_argument("--overwrite", action="store_true", help="train a new prompt even if --out/prompt.pt exists")
    return p.parse_args(argv)


def init_choice(value):
    if value in INITS or (value.startswith("file:") and len(value) > len("file:")):
        return value
    raise argparse.ArgumentTypeError(f"invalid choice {value!r} (choose from {', '.join(INITS)}, or file:PATH)")


def show(metrics):
    """{"accuracy": 0.95, "loss": 0.1123...} -> "accuracy 0.950, loss 0.112" """
    return ", ".join(f"{name} {value:.3f}" for name, value in metrics.items())


@dataclass
class Run:
    """What every part of one tuning run reads: the settings, the task and its encoded splits, the frozen
    base, and where the prompt goes. Nothing in it changes during the run."""
    args: argparse.Namespace
    task: Task
    data: dict  # split name -> list of encoded (context ids, answer ids)
    model: torch.nn.Module  # the frozen base
    tokenizer: object
    device: torch.device
    autocast: object  # a context manager: bf16 on CUDA, nothing elsewhere
    prompt_path: str
    base_fp: str  # the base's fingerprint and tokenizer hash, stamped into the prompt file
    tok_hash: str
    world: World  # which process this is, under torchrun; World() alone


def main(argv=None):
    args = parse_args(argv)
    check_positive(args, "steps", "batch_size", "eval_every", "lr", "n_prompt", "ensemble", "grad_accum")
    world, device = start(args.device)
    try:
        if world.size > 1 and (args.compare or args.ensemble > 1):
            raise UserError("--compare and --ensemble run in one process", None, "run them without torchrun")
        tune(args, sys.argv[1:] if argv is None else argv, world, device)
    finally:
        stop(world)


def tune(args, argv, world, device):
    """main() after the arguments: one tuning run (or an ensemble of them)."""
    t_start = time.time()
    task = load_task(args.task, args.template)
    if args.lr is None:  # the task folder's own default, else the general one; the prompt file records it
        args.lr = task.lr or PROMPT_LR
    if args.steps is None:
        args.steps = task.steps or PROMPT_STEPS
    out = args.out or os.path.join("out", task.name)
    if args.ensemble > 1:
        return train_ensemble(args, argv, task, out, device)
    prompt_path = os.path.join(out, "prompt.pt")
    if keep_existing_prompt(args, prompt_path):
        return

    # ---- the frozen base and the task ------------------------------------------------------------
    model, tokenizer = load_base(args.base, device)
    P = args.n_prompt
    max_len = model.config.block_size - P  # room left for text after the prompt
    if max_len < 8:
        raise UserError(f"--n-prompt {P} leaves {max_len} of the base's {model.config.block_size} positions for text",
                        args.base, "use a shorter --n-prompt")
    run = Run(args, task, encode_splits(task, tokenizer, max_len), model, tokenizer, device, autocast_for(device),
              prompt_path, fingerprint(model), tokenizer.hash(), world)
    if min(args.batch_size, len(run.data["train"])) < world.size * args.grad_accum:  # a micro-batch of nothing
        raise UserError(f"a batch of {min(args.batch_size, len(run.data['train']))} examples cannot fill {world.size} "
                        f"process(es) x --grad-accum {args.grad_accum} micro-batches", None,
                        "pass a larger --batch-size or a smaller --grad-accum")

    # ---- the soft prompt: the only trainable tensor -------------------------------------------------
    soft = SoftPrompt(*prompt_shape(args.method, P, model.config)).to(device)
    if args.resume:
        best = resume_prompt(run, soft)
    elif args.init.startswith("file:"):  # e.g. a prompt carried over from another base (minprompt.transfer)
        load_matching(run, soft, args.init[len("file:"):])
        best = {"step": 0, "score": float("-inf")}
    else:
        init_prompt(soft, args.init, model, tokenizer, args.init_text, task.labels, args.seed)
        best = {"step": 0, "score": float("-inf")}
    n_frozen = sum(p.numel() for p in model.parameters())
    print(f"trainable: {soft.weight.numel():,} parameters ({args.method} {' x '.join(map(str, soft.weight.shape))}); "
          f"frozen: {n_frozen:,} (base)")

    # ---- training, then the test split with the best prompt ------------------------------------------
    step0, t_train = best["step"], time.time()
    losses, best = train(run, soft, best)
    if not world.is_main:  # process 0 alone tests and writes
        return
    results = report(run, soft, best, {"steps": step0 + args.steps, "wall_s": time.time() - t_train,
                                       "frozen_params": n_frozen})
    if args.compare:
        tuned = {"test": results["test"], **results["extra_splits"]}
        results["compare"] = compare(run, soft, tuned)
    atomic_write_text(os.path.join(out, "results.json"), json.dumps(results, indent=2) + "\n")
    plot_losses(losses, os.path.join(out, "loss.png"))
    print(f"wrote {prompt_path} ({results['prompt_bytes']:,} bytes) and results.json in {time.time() - t_start:.0f}s")


def train_ensemble(args, argv, task, out, device):
    """--ensemble N: N ordinary runs, member i with seed + i in out/member<i>/ (each kept, resumed or
    overwritten as one run would be), then each member and the ensemble on test and on any extra split:
    one pass per split, every text under every member (a prompt bank), combined by mean log-probability
    and by majority vote. Prints a table and writes out/ensemble.json."""
    if task.kind != "classification":
        raise UserError(f"--ensemble combines label scores; {task.name} is a {task.kind} task", None,
                        "drop --ensemble for generation tasks")
    paths = []
    for i in range(args.ensemble):  # a later flag wins in argparse, so the member's own settings go last
        member_out = os.path.join(out, f"member{i}")
        print(f"---- ensemble member {i + 1} of {args.ensemble}: seed {args.seed + i}, {member_out}")
        main([*argv, "--ensemble", "1", "--seed", str(args.seed + i), "--out", member_out])
        paths.append(os.path.join(member_out, "prompt.pt"))
    model, tokenizer = load_base(args.base, device)
    cks = [load_prompt(path) for path in paths]  # a member kept from an earlier run may not fit this one
    check_ensemble(paths, cks)
    for path, ck in zip(paths, cks):
        check_prompt_matches_base(ck, fingerprint(model), tokenizer.hash(), path, model.config)
    bank = torch.stack([ck["prompt"] for ck in cks]).to(device)  # (K, P, C) or (K, L, 2, nh, P, hs)
    report = {"members": paths, "splits": {}}
    for split in ("test", *task.extra_splits):
        records = task.splits[split]
        contexts = [c for c, _ in encode_split(task, tokenizer, records, model.config.block_size - bank.shape[-2])[0]]
        with autocast_for(device):
            mean, vote, members = ensemble_labels(model, bank, tokenizer, task, contexts, device=device)
        report["splits"][split] = {"members": [accuracy(m, records) for m in members],
                                   "mean_logprob": accuracy(mean, records), "vote": accuracy(vote, records)}
    splits = report["splits"].values()
    rows = [(f"member {i} (seed {args.seed + i})", [r["members"][i] for r in splits]) for i in range(len(paths))]
    rows += [("ensemble, mean log-probability", [r["mean_logprob"] for r in splits]),
             ("ensemble, majority vote", [r["vote"] for r in splits])]
    print(f"\n| prompt | {' | '.join(f'{s} accuracy' for s in report['splits'])} |\n|---|" + "---:|" * len(splits))
    for name, values in rows:
        print(f"| {name} | " + " | ".join(f"{v:.3f}" for v in values) + " |")
    atomic_write_text(os.path.join(out, "ensemble.json"), json.dumps(report, indent=2) + "\n")
    print(f"wrote {os.path.join(out, 'ensemble.json')}")


def accuracy(answers, records):
    return sum(a == r["label"] for a, r in zip(answers, records)) / len(records)


def keep_existing_prompt(args, prompt_path):
    """True when a prompt is already there and the user asked neither to replace nor to resume it."""
    if args.resume and args.overwrite:
        raise UserError("--overwrite and --resume contradict each other", prompt_path, "pass one of them")
    if args.resume and not os.path.exists(prompt_path):
        raise UserError("nothing to resume: no prompt file", prompt_path, "drop --resume to train a new prompt")
    if not os.path.exists(prompt_path) or args.resume or args.overwrite:
        return False
    print(f"prompt exists: {prompt_path}; keeping it (pass --overwrite to train a new one, or --resume to train it further)")
    results = os.path.join(os.path.dirname(prompt_path), "results.json")
    if os.path.exists(results):
        r = json.load(open(results))
        print(f"its test {r['metric']}: {r['test_metric']:.3f}")
    return True


def encode_splits(task, tokenizer, max_len):
    """Every split of the task as (context ids, answer ids) pairs, contexts cut to max_len tokens."""
    data = {}
    for split in ("train", "val", "test", *task.extra_splits):
        data[split], n_cut = encode_split(task, tokenizer, task.splits[split], max_len)
        if n_cut:
            print(f"{split}: {n_cut} texts longer than the context ({max_len} tokens after the prompt) were cut from the left")
    print(f"task {task.name} ({task.kind}): " + ", ".join(f"{len(data[s])} {s}" for s in data)
          + (f"; labels {task.labels}" if task.labels else ""))
    return data


def load_matching(run, soft, path):
    """Copy the prompt file at path into soft: it must be for this base and of this method and length."""
    ck = load_prompt(path)
    check_prompt_matches_base(ck, run.base_fp, run.tok_hash, path, run.model.config)
    if ck["prompt"].shape != soft.weight.shape:
        raise UserError(f"prompt file holds a {ck['method']} of {ck['prompt'].shape[-2]} positions, --method and "
                        f"--n-prompt ask for a {run.args.method} of {soft.weight.shape[-2]}", path,
                        f"pass --method {ck['method']} --n-prompt {ck['prompt'].shape[-2]}")
    with torch.no_grad():
        soft.weight.copy_(ck["prompt"])
    return ck


def resume_prompt(run, soft):
    """Load the prompt in run.prompt_path into soft (same base, same shape); returns its record as `best`."""
    ck = load_matching(run, soft, run.prompt_path)
    print(f"resuming from {run.prompt_path} (step {ck['steps']}, val score {ck['val_score']:.4f})")
    return {"step": ck["steps"], "score": ck["val_score"], "metrics": ck["metrics"], "saved": True}


def save(run, soft, step, score, metrics):
    """Write the prompt and everything needed to use it (atomically). results.json, if there, described
    the prompt this replaces, so it goes."""
    stale = os.path.join(os.path.dirname(run.prompt_path), "results.json")
    if os.path.exists(stale):
        os.remove(stale)
    t, a = run.task, run.args
    save_prompt(run.prompt_path, soft.weight, n_tokens=soft.weight.shape[-2], init=a.init, task=t.name, kind=t.kind,
                task_folder=os.path.abspath(t.folder), labels=t.labels, template=t.template,
                base_path=os.path.abspath(a.base), base_fingerprint=run.base_fp, tokenizer_hash=run.tok_hash,
                steps=step, val_score=score, metrics=metrics, args=vars(a))


def what_is_kept(run, best):
    """For a run that stops early: what the prompt file on disk now holds."""
    if best.get("saved"):
        return f"the best prompt so far (step {best['step']}) is in {run.prompt_path}"
    if os.path.exists(run.prompt_path):  # --overwrite, stopped before its first save
        return f"the prompt that was in {run.prompt_path} is unchanged"
    return "no prompt was written"


def train(run, soft, best):
    """AdamW on the prompt for --steps steps; every --eval-every steps (and at the end) a validation, and
    a save when it beats the best so far (higher score; on a tie, lower val loss). Returns the train
    losses and the best {"step", "score", "metrics"}."""
    args, step0 = run.args, best["step"]
    optimizer = make_optimizer(soft, args.lr)
    batches = train_batches(run.data["train"], args.batch_size, args.seed)
    # --compile: training steps only (evaluation stays eager), every batch padded to one of a few lengths so
    # that each length is traced once; on CUDA each length's step is also captured as a CUDA graph.
    step_model, buckets = run.model, ()
    if args.compile:
        step_model = compile_step(run.model, run.device)
        buckets = length_buckets(run.model.config.block_size - soft.weight.shape[-2])
    os.makedirs(os.path.dirname(run.prompt_path), exist_ok=True)
    log_path = os.path.join(os.path.dirname(run.prompt_path), "log.jsonl") if run.world.is_main else os.devnull
    log = open(log_path, "a" if args.resume else "w")
    losses, step = [], step0
    bar = tqdm(range(step0, step0 + args.steps), desc=f"tuning prompt ({run.task.name})", unit="step",
               disable=None if run.world.is_main else True)
    try:
        for step in bar:
            mine = micro_batches(next(batches), run.world, args.grad_accum, run.device, buckets)  # this process's rows
            loss = tuning_step(step_model, soft, optimizer, mine, run.autocast, world=run.world)
            if not torch.isfinite(loss):
                raise UserError(f"loss became {loss.item()} at step {step + 1}; {what_is_kept(run, best)}",
                                run.prompt_path, "lower --lr and run again")
            losses.append(loss.item())
            bar.set_postfix(loss=f"{sum(losses[-20:]) / len(losses[-20:]):.3f}", best=f"{best['score']:.3f}")
            if run.world.is_main and ((step + 1 - step0) % args.eval_every == 0 or step + 1 == step0 + args.steps):
                recent = losses[-args.eval_every:]
                best = validate(run, soft, step + 1, sum(recent) / len(recent), best, log)
                bar.write(f"step {step + 1}: train loss {sum(recent) / len(recent):.3f}, val {show(best['last'])} "
                          f"(best at step {best['step']})")
    except KeyboardInterrupt:
        bar.close()
        raise Interrupted(f"interrupted at step {step + 1}: {what_is_kept(run, best)}", run.prompt_path,
                        "run again with --resume to continue from it" if best.get("saved") else "run again") from None
    finally:
        log.close()
    return losses, best


def validate(run, soft, step, train_loss, best, log):
    """Score the prompt on val, log it, save it if it is the best so far; returns the new best, with the
    metrics just measured under "last"."""
    with run.autocast:
        metrics = evaluate(run.model, soft(), run.task, run.tokenizer, "val", run.data["val"], run.device, generate=False)
    score = selection_score(run.task, metrics)
    entry = {"step": step, "train_loss": train_loss, "val_score": score,
             **{f"val_{k}": v for k, v in metrics.items()}}
    log.write(json.dumps(entry) + "\n")
    log.flush()
    # higher score wins; on a tie (accuracy moves in steps of 1/len(val)) the lower val loss
    if (score, -metrics["loss"]) > (best["score"], -best.get("metrics", {}).get("loss", float("inf"))):
        save(run, soft, step, score, metrics)
        best = {"step": step, "score": score, "metrics": metrics, "saved": True}
    return {**best, "last": metrics}


def report(run, soft, best, facts):
    """The best prompt, as saved, on test, val and any extra split: printed, stamped into the prompt
    file, and returned as results.json's dict (facts: steps, wall time, frozen parameter count)."""
    task, data = run.task, run.data
    with torch.no_grad():
        soft.weight.copy_(load_prompt(run.prompt_path)["prompt"].to(run.device))

    def on(split):
        return evaluate(run.model, soft(), task, run.tokenizer, split, data[split], run.device)
    with run.autocast:
        test, val, extra = on("test"), on("val"), {s: on(s) for s in task.extra_splits}
    save(run, soft, best["step"], best["score"], {**best.get("metrics", {}), "test": test})
    print(f"test {task.metric}: {test[task.metric]:.3f} (val {val[task.metric]:.3f}); test {show(test)}")
    for s, m in extra.items():  # evaluation-only splits, e.g. the hand-written natural reviews
        print(f"{s} ({len(data[s])} examples, never trained on): {show(m)}")
    if run.args.method == "prompt":  # a prefix's keys and values live in no embedding space
        print("nearest vocabulary tokens to each prompt vector (cosine):")
        for i, near in enumerate(nearest_tokens(soft.weight, run.model, run.tokenizer)):
            print(f"  {i:3d}: " + "  ".join(f"{tok!r} {sim:.2f}" for tok, sim in near))
    return {"task": task.name, "metric": task.metric, "test_metric": test[task.metric], "val_metric": val[task.metric],
            "test": test, "val": val, "extra_splits": extra,  # e.g. {"natural": {"accuracy": ..., "loss": ...}}
            "steps": facts["steps"], "lr": run.args.lr, "best_step": best["step"], "wall_s": facts["wall_s"],
            "method": run.args.method, "n_prompt": soft.weight.shape[-2], "init": run.args.init, "trainable_params": soft.weight.numel(),
            "frozen_params": facts["frozen_params"], "base_fingerprint": run.base_fp, "device": str(run.device),
            "prompt_bytes": os.path.getsize(run.prompt_path)}


def compare(run, soft, tuned):
    """The test split (and any extra split) under each way of adapting the base; prints and returns
    the table. tuned: the soft prompt's metrics, {split: metrics}, already measured."""
    task, tokenizer, model, device = run.task, run.tokenizer, run.model, run.device
    metric, splits = task.metric, ["test", *task.extra_splits]

    def on_splits(m, prompt, examples=None):
        return {s: evaluate(m, prompt, task, tokenizer, s, (examples or run.data)[s], device) for s in splits}

    rows = []
    if task.kind == "classification":  # word counting, no transformer: the floor a prompt must clear
        rows.append(("naive Bayes on words (train split)", {s: {"accuracy": naive_bayes_accuracy(task, s)} for s in splits}, 0, 0))
    with run.autocast:
        rows.append(("no prompt", on_splits(model, None), 0, 0))
        hand = task.hand_prompt()
        hand_ids = torch.tensor(tokenizer.encode(hand + "\n"), device=device)
        hand_prompt = model.transformer.wte.weight[hand_ids]  # (P_hand, C): a hard prompt, fed as embeddings
        # the hand-written prompt has its own length: cut the texts to fit behind it
        hand_data = {s: encode_split(task, tokenizer, task.splits[s], model.config.block_size - len(hand_ids))[0]
                     for s in splits}
        rows.append(("hand-written prompt", on_splits(model, hand_prompt, hand_data), 0, len(hand.encode())))
    P, method = soft.weight.shape[-2], run.args.method
    rows.append((f"{method} tuning (P={P}, this run)", tuned, soft.weight.numel(), os.path.getsize(run.prompt_path)))
    other = "prefix" if method == "prompt" else "prompt"
    other_soft = tune_other_method(run, other)
    with run.autocast:
        rows.append((f"{other} tuning (P={P})", on_splits(model, other_soft()), other_soft.weight.numel(),
                     other_soft.weight.numel() * other_soft.weight.element_size()))
    ft = full_fine_tune(run)
    with run.autocast:
        rows.append(("full fine-tuning", on_splits(ft, None), ft.num_params(), os.path.getsize(run.args.base)))
    print_table(rows, metric, splits)
    return [{"method": n, **{f"{s}_{metric}": m[s][metric] for s in splits}, "test_loss": m["test"].get("loss"),
             "trainable_params": p, "bytes": b} for n, m, p, b in rows]


def print_table(rows, metric, splits):
    """rows: (method, {split: metrics}, trainable params, bytes on disk) -> a markdown table on stdout.
    loss: cross-entropy of the right answer per token, over the whole vocabulary (lower is better)."""
    extra_cols = "".join(f" {s} {metric} |" for s in splits[1:])
    print(f"\n| method | test {metric} | test loss |{extra_cols} trainable params | bytes on disk |\n"
          f"|---|---:|---:|{'---:|' * len(splits[1:])}---:|---:|")
    for name, m, params, size in rows:
        loss = f"{m['test']['loss']:.3f}" if "loss" in m["test"] else "-"
        extra = "".join(f" {m[s][metric]:.3f} |" for s in splits[1:])
        print(f"| {name} | {m['test'][metric]:.3f} | {loss} |{extra} {params:,} | {size:,} |")


def tune_other_method(run, method):
    """Baseline: the other method (prompt or prefix) trained from the same init, seed, steps and batches
    as this run, without validation (its last step is scored, as full fine-tuning's is); never written."""
    args = run.args
    soft = SoftPrompt(*prompt_shape(method, args.n_prompt, run.model.config)).to(run.device)
    init = args.init if args.init in INITS else "labels"  # a file:PATH holds a prompt of this run's method
    init_prompt(soft, init, run.model, run.tokenizer, args.init_text, run.task.labels, args.seed)
    optimizer = make_optimizer(soft, args.lr)
    batches = train_batches(run.data["train"], args.batch_size, args.seed)
    for _ in tqdm(range(args.steps), desc=f"{method} tuning (baseline)", unit="step", leave=False, disable=None):
        tuning_step(run.model, soft, optimizer, [(*make_batch(next(batches), run.device), 1.0)], run.autocast)
    return soft


def full_fine_tune(run):
    """Baseline: every weight of a copy of the base trained on the answers, same steps and batches as
    the prompt. The base file is never written."""
    args = run.args
    tuned = copy.deepcopy(run.model).train().requires_grad_(True)
    optimizer = torch.optim.AdamW(tuned.parameters(), lr=args.ft_lr, weight_decay=0.0)
    batches = train_batches(run.data["train"], args.batch_size, args.seed)
    for _ in tqdm(range(args.steps), desc="full fine-tuning (baseline)", unit="step", leave=False, disable=None):
        idx, targets = make_batch(next(batches), run.device)
        with run.autocast:
            _, loss = tuned(idx, targets, answers_only=True)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(tuned.parameters(), 1.0)
        optimizer.step()
    return tuned.eval()


def plot_losses(losses, path):
    """loss.png, only when the optional matplotlib is installed."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.plot(losses)
    ax.set_xlabel("step")
    ax.set_ylabel("train loss")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


if __name__ == "__main__":
    run_main(main)
