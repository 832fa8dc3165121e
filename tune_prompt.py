"""Train a soft prompt on the frozen base so that it does a new task; nothing else is trained.

    python tune_prompt.py                                  # sentiment, 20 prompt vectors, out/sentiment/
    python tune_prompt.py --task topic --out out/topic
    python tune_prompt.py --task describe --out out/describe
    python tune_prompt.py --task path/to/my_task --init random --n-prompt 50
    python tune_prompt.py --compare                        # + baselines: no prompt, hand-written, full fine-tuning
    python tune_prompt.py --resume --steps 200             # continue from out/<task>/prompt.pt

Steps: load the frozen base -> load and encode the task -> initialise the prompt -> AdamW on the prompt
alone, validating every --eval-every steps and saving the best prompt so far (by validation accuracy,
ties to the lower validation loss; for generation, the lower loss) -> test metric ->
out/<task>/prompt.pt, results.json, log.jsonl (and loss.png when matplotlib is installed).
The base checkpoint is only ever read.
"""
import argparse
import copy
import json
import os
import time

import torch
from tqdm import tqdm

from minprompt.checkpoint import atomic_write_text, fingerprint, load_base
from minprompt.device import autocast_for, pick_device
from minprompt.errors import UserError, check_positive, run_main
from minprompt.prompt import (INITS, SoftPrompt, check_prompt_matches_base, init_prompt, load_prompt,
                              make_optimizer, nearest_tokens, save_prompt, tuning_step)
from minprompt.tasks import encode_split, evaluate, load_task, make_batch, naive_bayes_accuracy, train_batches


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--base", default="out/base/base.pt", help="frozen base checkpoint, only read (default: %(default)s)")
    p.add_argument("--task", default="sentiment", help="bundled task (sentiment, topic, describe) or a folder with train/val/test.jsonl (default: %(default)s)")
    p.add_argument("--out", default=None, help="folder for prompt.pt, results.json, log.jsonl (default: out/<task name>)")
    p.add_argument("--template", default=None, help="context template with {text} or {input}, e.g. 'Review: {text}\\nSentiment:' (default: the task's)")
    p.add_argument("--n-prompt", type=int, default=20, help="number of soft prompt vectors P (default: %(default)s)")
    p.add_argument("--init", default="labels", choices=INITS, help="prompt initialisation (default: %(default)s)")
    p.add_argument("--init-text", default=None, help="text whose token embeddings start the prompt, with --init text")
    p.add_argument("--steps", type=int, default=300, help="optimizer steps (default: %(default)s)")
    p.add_argument("--lr", type=float, default=0.03, help="AdamW learning rate for the prompt (default: %(default)s)")
    p.add_argument("--batch-size", type=int, default=32, help="examples per step (default: %(default)s)")
    p.add_argument("--eval-every", type=int, default=100, help="steps between validations; the best prompt is kept (default: %(default)s)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="auto", help="auto (cuda, then mps, then cpu), cpu, cuda, mps")
    p.add_argument("--compile", action="store_true", help="torch.compile the frozen model for training steps (CUDA; slow to start)")
    p.add_argument("--compare", action="store_true", help="also evaluate no prompt, a hand-written prompt and full fine-tuning")
    p.add_argument("--ft-lr", type=float, default=3e-4, help="learning rate of full fine-tuning in --compare (default: %(default)s)")
    p.add_argument("--resume", action="store_true", help="continue training the prompt in --out/prompt.pt")
    p.add_argument("--overwrite", action="store_true", help="train a new prompt even if --out/prompt.pt exists")
    return p.parse_args(argv)


def show(metrics):
    """{"accuracy": 0.95, "loss": 0.1123...} -> "accuracy 0.950, loss 0.112" """
    return ", ".join(f"{name} {value:.3f}" for name, value in metrics.items())


def main(argv=None):
    args = parse_args(argv)
    t_start = time.time()
    check_positive(args, "steps", "batch_size", "eval_every", "lr", "n_prompt")
    device = pick_device(args.device)
    task = load_task(args.task, args.template)
    out = args.out or os.path.join("out", task.name)
    prompt_path = os.path.join(out, "prompt.pt")
    if args.resume and args.overwrite:
        raise UserError("--overwrite and --resume contradict each other", prompt_path, "pass one of them")
    if os.path.exists(prompt_path) and not (args.resume or args.overwrite):
        print(f"prompt exists: {prompt_path}; keeping it (pass --overwrite to train a new one, or --resume to train it further)")
        results = os.path.join(out, "results.json")
        if os.path.exists(results):
            r = json.load(open(results))
            print(f"its test {r['metric']}: {r['test_metric']:.3f}")
        return
    if args.resume and not os.path.exists(prompt_path):
        raise UserError("nothing to resume: no prompt file", prompt_path, "drop --resume to train a new prompt")

    # ---- the frozen base and the task ------------------------------------------------------------
    model, tokenizer = load_base(args.base, device)
    base_fp, tok_hash = fingerprint(model), tokenizer.hash()
    P, C = args.n_prompt, model.config.n_embd
    max_len = model.config.block_size - P  # room left for text after the prompt
    if max_len < 8:
        raise UserError(f"--n-prompt {P} leaves {max_len} of the base's {model.config.block_size} positions for text",
                        args.base, "use a shorter --n-prompt")
    data = {}
    for split in ("train", "val", "test", *task.extra_splits):
        data[split], n_cut = encode_split(task, tokenizer, task.splits[split], max_len)
        if n_cut:
            print(f"{split}: {n_cut} texts longer than the context ({max_len} tokens after the prompt) were cut from the left")
    print(f"task {task.name} ({task.kind}): " + ", ".join(f"{len(data[s])} {s}" for s in data)
          + (f"; labels {task.labels}" if task.labels else ""))

    # ---- the soft prompt: the only trainable tensor -------------------------------------------------
    soft = SoftPrompt(P, C).to(device)
    best = {"step": 0, "score": float("-inf")}
    if args.resume:
        ck = load_prompt(prompt_path)
        check_prompt_matches_base(ck, base_fp, tok_hash, prompt_path, C)
        if tuple(ck["prompt"].shape) != (P, C):
            raise UserError(f"prompt file holds {tuple(ck['prompt'].shape)} vectors, --n-prompt asks for {(P, C)}",
                            prompt_path, f"pass --n-prompt {ck['prompt'].shape[0]}")
        with torch.no_grad():
            soft.weight.copy_(ck["prompt"])
        best = {"step": ck["steps"], "score": ck["val_score"], "metrics": ck["metrics"]}
        print(f"resuming from {prompt_path} (step {ck['steps']}, val score {ck['val_score']:.4f})")
    else:
        init_prompt(soft, args.init, model, tokenizer, args.init_text, task.labels, args.seed)
    n_frozen = sum(p.numel() for p in model.parameters())
    print(f"trainable: {soft.weight.numel():,} parameters (prompt {P} x {C}); frozen: {n_frozen:,} (base)")

    optimizer = make_optimizer(soft, args.lr)
    autocast = autocast_for(device)
    batches = train_batches(data["train"], args.batch_size, args.seed)
    step_model = torch.compile(model) if args.compile else model  # training steps only; eval stays eager

    def val_score():
        """Higher is better: validation accuracy, or minus the answer loss for generation."""
        with autocast:
            m = evaluate(model, soft(), task, tokenizer, "val", data["val"], device, generate=False)
        return (m["accuracy"] if task.kind == "classification" else -m["loss"]), m

    def save(step, score, metrics):
        stale = os.path.join(out, "results.json")  # it described the prompt this save replaces
        if os.path.exists(stale):
            os.remove(stale)
        save_prompt(prompt_path, soft.weight, n_tokens=P, init=args.init, task=task.name, kind=task.kind,
                    labels=task.labels, template=task.template, base_path=os.path.abspath(args.base),
                    base_fingerprint=base_fp, tokenizer_hash=tok_hash, steps=step, val_score=score, metrics=metrics,
                    args=vars(args))

    # ---- training ------------------------------------------------------------------------------------
    os.makedirs(out, exist_ok=True)
    log = open(os.path.join(out, "log.jsonl"), "a" if args.resume else "w")
    losses, step0 = [], best["step"]
    step = step0
    bar = tqdm(range(step0, step0 + args.steps), desc=f"tuning prompt ({task.name})", unit="step", disable=None)
    t_train = time.time()
    try:
        for step in bar:
            idx, targets = make_batch(next(batches), device)
            loss = tuning_step(step_model, soft, optimizer, idx, targets, autocast)
            if not torch.isfinite(loss):
                kept = f"the best prompt so far (step {best['step']}) is in {prompt_path}" if best["step"] else "no prompt was written"
                raise UserError(f"loss became {loss.item()} at step {step + 1}; {kept}", prompt_path, "lower --lr and run again")
            losses.append(loss.item())
            bar.set_postfix(loss=f"{sum(losses[-20:]) / len(losses[-20:]):.3f}", best=f"{best['score']:.3f}")
            if (step + 1 - step0) % args.eval_every == 0 or step + 1 == step0 + args.steps:
                score, metrics = val_score()
                entry = {"step": step + 1, "train_loss": sum(losses[-args.eval_every:]) / len(losses[-args.eval_every:]),
                         "val_score": score, **{f"val_{k}": v for k, v in metrics.items()}}
                log.write(json.dumps(entry) + "\n")
                log.flush()
                # higher score wins; on a tie (accuracy moves in steps of 1/len(val)) the lower val loss
                if (score, -metrics["loss"]) > (best["score"], -best.get("metrics", {}).get("loss", float("inf"))):
                    best = {"step": step + 1, "score": score, "metrics": metrics}
                    save(step + 1, score, metrics)
                bar.write(f"step {step + 1}: train loss {entry['train_loss']:.3f}, val {show(metrics)} "
                          f"(best at step {best['step']})")
    except KeyboardInterrupt:
        bar.close()
        kept = f"the best prompt so far (step {best['step']}) is saved; --resume continues" if best["step"] else "no prompt was written"
        raise UserError(f"interrupted at step {step + 1}: {kept}", prompt_path, "run again to continue") from None
    finally:
        log.close()
    wall_s = time.time() - t_train

    # ---- test --------------------------------------------------------------------------------------
    with torch.no_grad():
        soft.weight.copy_(load_prompt(prompt_path)["prompt"].to(device))  # the best prompt, as saved
    with autocast:
        test = evaluate(model, soft(), task, tokenizer, "test", data["test"], device)
        val = evaluate(model, soft(), task, tokenizer, "val", data["val"], device)
        extra = {s: evaluate(model, soft(), task, tokenizer, s, data[s], device) for s in task.extra_splits}
    results = {"task": task.name, "metric": task.metric, "test_metric": test[task.metric], "val_metric": val[task.metric],
               "test": test, "val": val, "extra_splits": extra,  # e.g. {"natural": {"accuracy": ..., "loss": ...}}
               "steps": step0 + args.steps, "best_step": best["step"], "wall_s": wall_s,
               "n_prompt": P, "init": args.init, "trainable_params": soft.weight.numel(), "frozen_params": n_frozen,
               "base_fingerprint": base_fp, "device": str(device)}
    save(best["step"], best["score"], {**best.get("metrics", {}), "test": test})
    results["prompt_bytes"] = os.path.getsize(prompt_path)
    print(f"test {task.metric}: {test[task.metric]:.3f} (val {val[task.metric]:.3f}); test {show(test)}")
    for s, m in extra.items():  # evaluation-only splits, e.g. the hand-written natural reviews
        print(f"{s} ({len(data[s])} examples, never trained on): {show(m)}")

    print("nearest vocabulary tokens to each prompt vector (cosine):")
    for i, near in enumerate(nearest_tokens(soft.weight, model, tokenizer)):
        print(f"  {i:3d}: " + "  ".join(f"{tok!r} {sim:.2f}" for tok, sim in near))

    if args.compare:
        results["compare"] = compare(args, model, tokenizer, task, data, soft, prompt_path, {"test": test, **extra},
                                     device, autocast)
    atomic_write_text(os.path.join(out, "results.json"), json.dumps(results, indent=2) + "\n")
    plot_losses(losses, os.path.join(out, "loss.png"))
    print(f"wrote {prompt_path} ({results['prompt_bytes']:,} bytes) and results.json in {time.time() - t_start:.0f}s")


def compare(args, model, tokenizer, task, data, soft, prompt_path, tuned, device, autocast):
    """The test split (and any extra split) under each way of adapting the base; prints and returns
    the table. tuned: the soft prompt's metrics, {split: metrics}, already measured."""
    metric, splits = task.metric, ["test", *task.extra_splits]

    def on_splits(m, prompt, examples=None):
        return {s: evaluate(m, prompt, task, tokenizer, s, (examples or data)[s], device) for s in splits}

    rows = []
    if task.kind == "classification":  # word counting, no transformer: the floor a prompt must clear
        rows.append(("naive Bayes on words (train split)", {s: {"accuracy": naive_bayes_accuracy(task, s)} for s in splits}, 0, 0))
    with autocast:
        rows.append(("no prompt", on_splits(model, None), 0, 0))
        hand = task.hand_prompt()
        hand_ids = torch.tensor(tokenizer.encode(hand + "\n"), device=device)
        hand_prompt = model.transformer.wte.weight[hand_ids]  # (P_hand, C): a hard prompt, fed as embeddings
        # the hand-written prompt has its own length: cut the texts to fit behind it
        hand_data = {s: encode_split(task, tokenizer, task.splits[s], model.config.block_size - len(hand_ids))[0]
                     for s in splits}
        rows.append(("hand-written prompt", on_splits(model, hand_prompt, hand_data), 0, len(hand.encode())))
    rows.append((f"soft prompt (P={soft.weight.shape[0]})", tuned, soft.weight.numel(), os.path.getsize(prompt_path)))
    ft = full_fine_tune(args, model, data, device, autocast)
    with autocast:
        rows.append(("full fine-tuning", on_splits(ft, None), ft.num_params(), os.path.getsize(args.base)))

    # loss: cross-entropy of the right answer per token, over the whole vocabulary (lower is better)
    extra_cols = "".join(f" {s} {metric} |" for s in splits[1:])
    print(f"\n| method | test {metric} | test loss |{extra_cols} trainable params | bytes on disk |\n"
          f"|---|---:|---:|{'---:|' * len(splits[1:])}---:|---:|")
    for name, m, params, size in rows:
        loss = f"{m['test']['loss']:.3f}" if "loss" in m["test"] else "-"
        extra = "".join(f" {m[s][metric]:.3f} |" for s in splits[1:])
        print(f"| {name} | {m['test'][metric]:.3f} | {loss} |{extra} {params:,} | {size:,} |")
    return [{"method": n, **{f"{s}_{metric}": m[s][metric] for s in splits}, "test_loss": m["test"].get("loss"),
             "trainable_params": p, "bytes": b} for n, m, p, b in rows]


def full_fine_tune(args, model, data, device, autocast):
    """Baseline: every weight of a copy of the base trained on the answers, same steps and batches as
    the prompt. The base file is never written."""
    tuned = copy.deepcopy(model).train().requires_grad_(True)
    optimizer = torch.optim.AdamW(tuned.parameters(), lr=args.ft_lr, weight_decay=0.0)
    batches = train_batches(data["train"], args.batch_size, args.seed)
    for _ in tqdm(range(args.steps), desc="full fine-tuning (baseline)", unit="step", leave=False, disable=None):
        idx, targets = make_batch(next(batches), device)
        with autocast:
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
