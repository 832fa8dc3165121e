"""Prompt transfer: carry a prompt trained on one base over to another base, through their vocabularies.

    python -m minprompt.transfer --prompt out/sentiment/prompt.pt --to-base out/base-seed2/base.pt \\
        --out out/transfer/prompt.pt                      # map it, and score it on the new base untuned
    python -m minprompt.transfer ... --tune 50            # + 50 steps from it against 50 steps from scratch
    python tune_prompt.py --base out/base-seed2/base.pt --init file:out/transfer/prompt.pt   # tune on from it

A prompt's vectors only mean something to the base they were trained on: a base trained with another
seed has its own embedding space, so the same prompt there is noise (predict refuses it). But two bases
with one tokenizer embed the same tokens, and their embedding tables E_A (V, C_A) and E_B (V, C_B) are two
pictures of one vocabulary. `--map lstsq` (the default) fits the linear map W (C_A, C_B) that best takes
one picture to the other, W = argmin ||E_A W - E_B||^2, and sends the prompt across as prompt_A W.
`--map nearest` replaces each prompt vector by base B's embedding of the token nearest to it (cosine) in
base A. (Lester et al. 2021 sec. 7 on prompts tied to their model; SPoT, Vu et al. 2022, on starting a
prompt from another prompt.) Soft prompts only: a prefix's keys and values live in no vocabulary space.

The new file is an ordinary prompt for base B (its fingerprint, the source's task, labels and template)
and records where it came from. It prints the task's test metric for: the source prompt on its own base,
the transferred prompt on B, and fresh prompts on B, random and of the source's init (none tuned); with
--tune N, also after N tuning steps on B from the transferred prompt and from a fresh one (those runs in
OUT_DIR/tune-*). Nothing is written when the task cannot be scored. The figures also go to OUT with .json for .pt.
"""
import argparse
import json
import os
import sys
from pathlib import Path

import torch
import torch.nn.functional as F

from minprompt.checkpoint import atomic_write_text, fingerprint, load_base
from minprompt.errors import UserError, check_positive, run_main
from minprompt.prompt import SoftPrompt, check_prompt_matches_base, init_prompt, load_prompt, save_prompt
from minprompt.tasks import PROMPT_LR, TASKS_DIR, encode_split, evaluate, load_task

MAPS = ("lstsq", "nearest")


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--prompt", required=True, help="prompt.pt trained on the source base")
    p.add_argument("--to-base", required=True, help="the target base checkpoint, only read")
    p.add_argument("--out", required=True, help="where the transferred prompt.pt goes (never overwritten unless --overwrite)")
    p.add_argument("--from-base", default=None, help="the source base (default: the path stored in the prompt file)")
    p.add_argument("--map", default="lstsq", choices=MAPS, help="how vectors cross over (default: %(default)s)")
    p.add_argument("--task", default=None, help="task to score on, a bundled name or a folder (default: the prompt's own: the folder it was "
                   "trained on, as its file records, or the bundled task of its name)")
    p.add_argument("--tune", type=int, default=0, metavar="N", help="also tune N steps on the target base from the "
                   "transferred prompt and from a fresh one, and compare (default: %(default)s, no tuning)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing --out")
    return p.parse_args(argv)


def least_squares_map(emb_a, emb_b):
    """(V, C_A), (V, C_B) -> W (C_A, C_B) minimising ||emb_a W - emb_b||^2, in float64 for a stable solve."""
    return torch.linalg.lstsq(emb_a.double(), emb_b.double()).solution.float()  # (C_A, C_B)


def transfer(prompt, model_a, model_b, how="lstsq"):
    """prompt (P, C_A) on model_a -> (P, C_B) for model_b, through the two embedding tables."""
    emb_a = model_a.transformer.wte.weight.detach().float()  # (V, C_A)
    emb_b = model_b.transformer.wte.weight.detach().float()  # (V, C_B)
    if how == "lstsq":
        return prompt.float() @ least_squares_map(emb_a, emb_b)  # (P, C_B)
    nearest = (F.normalize(prompt.float(), dim=1) @ F.normalize(emb_a, dim=1).T).argmax(dim=1)  # (P,) token ids
    return emb_b[nearest].clone()  # (P, C_B)


def main(argv=None):
    args = parse_args(argv)
    if args.tune:
        check_positive(args, "tune")
    if os.path.exists(args.out) and not args.overwrite:
        raise UserError("output exists", args.out, "pass --overwrite to replace it, or another --out")
    ck = load_prompt(args.prompt)
    if ck["method"] != "prompt":
        raise UserError(f"only soft prompts transfer through the vocabulary, this file holds a {ck['method']}",
                        args.prompt, "pass a prompt trained with --method prompt")
    if not (args.from_base or ck.get("base_path")):
        raise UserError("prompt file does not say which base it was trained on", args.prompt, "pass --from-base")
    model_a, tok_a = load_base(args.from_base or ck["base_path"])
    check_prompt_matches_base(ck, fingerprint(model_a), tok_a.hash(), args.prompt, model_a.config)
    model_b, tok_b = load_base(args.to_base)
    fp_b = fingerprint(model_b)
    if tok_b.hash() != tok_a.hash():
        raise UserError("the target base has another tokenizer, so its vocabulary rows are other tokens", args.to_base,
                        "transfer between bases trained on one corpus with one --vocab-size")
    if fp_b == ck["base_fingerprint"]:
        raise UserError("the target base is the prompt's own base", args.to_base, "pass another --to-base")
    task = task_of(args, ck)  # before anything is written: a bad task is one line
    moved = transfer(ck["prompt"], model_a, model_b, args.map)  # (P, C_B)
    rows = score_untuned(args, ck, task, moved, model_a, model_b, tok_b)
    meta = {k: v for k, v in ck.items() if k not in ("format", "prompt", "method", "metrics", "val_score", "args")}
    save_prompt(args.out, moved, **{**meta, "base_path": os.path.abspath(args.to_base), "base_fingerprint": fp_b,
                                   "tokenizer_hash": tok_b.hash(), "steps": 0, "val_score": float("-inf"), "metrics": {},
                                   "transferred_from": {"prompt": os.path.abspath(args.prompt), "map": args.map,
                                                        "base_fingerprint": ck["base_fingerprint"]}})
    print(f"wrote {args.out}: {ck['prompt'].shape[0]} vectors, {model_a.config.n_embd} -> {model_b.config.n_embd} wide, "
          f"{args.map} map, for base {fp_b[:12]}")
    if args.tune:
        rows += tune_both(args, ck, task, fresh_init(ck))
    print(f"\n| prompt | test {task.metric} |\n|---|---:|")
    for name, value in rows:
        print(f"| {name} | {value:.3f} |")
    scores = {"task": task.name, "metric": task.metric, "map": args.map, "rows": dict(rows)}
    atomic_write_text(Path(args.out).with_suffix(".json"), json.dumps(scores, indent=2) + "\n")


def fresh_init(ck):
    """The init a fresh prompt for comparison gets: the source's, where it is one that needs no text."""
    return ck.get("init") if ck.get("init") in ("random", "vocab", "labels") else "vocab"


def task_of(args, ck):
    """--task, or the task the prompt was trained on: the folder tune_prompt.py recorded, or the bundled
    task of its name when that folder was a bundled one (another checkout's) or is not recorded (older
    files). A folder of the user's that is gone is an error, even if a bundled task has its name."""
    if args.task:
        return load_task(args.task, ck["template"])
    folder, name = ck.get("task_folder"), ck["task"]
    if folder and os.path.isdir(folder):
        return load_task(folder, ck["template"])
    if folder and Path(folder).parts[-3:] != (*TASKS_DIR.parts[-2:], name):
        raise UserError(f"the folder of the prompt's task {name!r} is gone", folder,
                        "pass --task with the folder of its train/val/test.jsonl")
    if not (TASKS_DIR / name).is_dir():
        raise UserError(f"the prompt's task {name!r} is not a bundled task", args.prompt,
                        "pass --task with the folder of its train/val/test.jsonl")
    return load_task(name, ck["template"])


def score_untuned(args, ck, task, moved, model_a, model_b, tok):
    """[(row name, test metric)] of the source prompt on its base, and on the target base of the transferred
    prompt and of a fresh one of the source's init, none of them tuned."""
    def score(model, prompt):
        examples = encode_split(task, tok, task.splits["test"], model.config.block_size - prompt.shape[0])[0]
        return evaluate(model, prompt, task, tok, "test", examples)[task.metric]

    rows = [("source prompt, its own base", score(model_a, ck["prompt"])),
            (f"transferred ({args.map}), target base", score(model_b, moved))]
    for init in dict.fromkeys(["random", fresh_init(ck)]):  # a random prompt, and one of the source's init
        fresh = init_prompt(SoftPrompt(*moved.shape), init, model_b, tok, labels=task.labels).weight.detach()  # (P, C_B)
        rows.append((f"fresh prompt ({init} init), target base", score(model_b, fresh)))
    return rows


def tune_both(args, ck, task, init):
    """--tune N: tune_prompt.py on the target base for N steps from the transferred prompt and from a
    fresh one (same settings as the source run), each in its own folder beside --out."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tune_prompt.py, at the repository root
    import tune_prompt

    source = ck.get("args", {})
    common = ["--base", args.to_base, "--task", task.folder, "--template", task.template,
              "--n-prompt", str(ck["prompt"].shape[0]),
              "--steps", str(args.tune), "--eval-every", str(args.tune), "--lr", str(source.get("lr", PROMPT_LR)),
              "--batch-size", str(source.get("batch_size", 32)), "--overwrite"]
    rows = []
    for name, start in ((f"tuned {args.tune} steps from the transferred prompt", f"file:{args.out}"),
                        (f"tuned {args.tune} steps from a fresh prompt ({init} init)", init)):
        folder = Path(args.out).parent / f"tune-{'transferred' if start.startswith('file:') else 'fresh'}"
        print(f"---- {name}: {folder}")
        tune_prompt.main([*common, "--init", start, "--out", str(folder)])
        rows.append((name, json.loads((folder / "results.json").read_text())["test_metric"]))
    return rows


if __name__ == "__main__":
    run_main(main)
