"""Sweeps: how prompt length, initialisation and method change a tuned prompt, in one command.

    python -m minprompt.sweep                                         # the default: sentiment, 36 runs
    python -m minprompt.sweep --task topic --out out/sweep-topic
    python -m minprompt.sweep --task sentiment --n-prompt 1,5,20,100 --init random,vocab,labels --seeds 0,1,2
    python -m minprompt.sweep --method prompt,prefix --n-prompt 5,20 --init labels

Run it from the repository root, like the scripts. Every combination of --task, --method, --n-prompt,
--init and --seeds is one ordinary `tune_prompt.py` run on the frozen base, with the same --steps, --lr
and --batch-size; its prompt.pt, results.json, log.jsonl and printed output (tune.log) are kept in
OUT/runs/<task>-<method>-P<n>-<init>-s<seed>/. Each finished run adds one row to OUT/sweep.jsonl:
the configuration, test and val metric (and any extra split, such as the hand-written natural
reviews), the lr the run used (lr_used: each task's own where --lr is left out), the best step, the steps
and the wall time. At the end (and after Ctrl-C) it prints the summary, the median over seeds with the
lowest and highest, writes it to OUT/summary.md, and draws OUT/sweep.png when matplotlib is installed.

Running the same command again skips the runs already in sweep.jsonl, so an interrupted sweep
continues where it stopped, and a longer list of lengths or seeds only runs what is new. A sweep
folder belongs to one base and one set of training settings: other ones are refused.
"""
import argparse
import contextlib
import json
import os
import statistics
import sys
import time
from pathlib import Path

from tqdm import tqdm

from minprompt.checkpoint import atomic_write_text, read_base
from minprompt.errors import Interrupted, UserError, check_positive, run_main
from minprompt.prompt import INITS, METHODS

SETTINGS = ("steps", "lr", "batch_size", "eval_every")  # shared by every run of one sweep folder
SWEPT_INITS = [i for i in INITS if i != "text"]  # "text" needs a text of its own


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--base", default="out/base/base.pt", help="frozen base checkpoint, only read (default: %(default)s)")
    p.add_argument("--task", default="sentiment", help="comma-separated tasks, bundled names or folders (default: %(default)s)")
    p.add_argument("--method", default="prompt", help=f"comma-separated, of {', '.join(METHODS)} (default: %(default)s)")
    p.add_argument("--n-prompt", default="1,5,20,100", help="comma-separated prompt lengths (default: %(default)s)")
    p.add_argument("--init", default="random,vocab,labels", help=f"comma-separated, of {', '.join(SWEPT_INITS)} "
                   "(default: %(default)s)")
    p.add_argument("--seeds", default="0,1,2", help="comma-separated seeds (default: %(default)s)")
    p.add_argument("--steps", type=int, default=100, help="optimizer steps per run (default: %(default)s)")
    p.add_argument("--lr", type=float, default=None, help="AdamW learning rate (default: tune_prompt.py's for each task)")
    p.add_argument("--batch-size", type=int, default=32, help="examples per step (default: %(default)s)")
    p.add_argument("--eval-every", type=int, default=50, help="steps between validations (default: %(default)s)")
    p.add_argument("--out", default="out/sweep", help="sweep folder (default: %(default)s)")
    p.add_argument("--device", default="auto", help="auto (cuda, then mps, then cpu), cpu, cuda, mps")
    return p.parse_args(argv)


def split_list(value, flag, kind=str, allowed=None):
    """"1,5,20" -> [1, 5, 20]; a value that is not of the kind, or not allowed, is one error line."""
    items = [v.strip() for v in value.split(",") if v.strip()]
    try:
        items = [kind(v) for v in items]
    except ValueError:
        raise UserError(f"{flag} {value!r} is not a comma-separated list of {kind.__name__}s", None,
                        f"pass e.g. {flag} {'1,5,20' if kind is int else 'a,b'}") from None
    bad = [v for v in items if (allowed is not None and v not in allowed) or (kind is int and flag != "--seeds" and v < 1)]
    if not items or bad:
        todo = f"choose from {', '.join(allowed)}" if allowed else "pass positive values"
        raise UserError(f"{flag} {value!r}: {'nothing given' if not items else f'{bad[0]!r} is not allowed'}", None, todo)
    return list(dict.fromkeys(items))  # each once, in the order given


def grid(args):
    """Every run of the sweep, as dicts of its coordinates, in the order they run."""
    tasks = split_list(args.task, "--task")
    methods = split_list(args.method, "--method", allowed=METHODS)
    lengths = split_list(args.n_prompt, "--n-prompt", int)
    inits = split_list(args.init, "--init", allowed=SWEPT_INITS)
    seeds = split_list(args.seeds, "--seeds", int)
    return [{"task": t, "method": m, "n_prompt": n, "init": i, "seed": s}
            for t in tasks for m in methods for n in lengths for i in inits for s in seeds]


def run_name(config):
    task = Path(config["task"]).name  # a task folder's own name
    return f"{task}-{config['method']}-P{config['n_prompt']}-{config['init']}-s{config['seed']}"


def key(row):
    return (row["task"], row["method"], row["n_prompt"], row["init"], row["seed"])


def read_rows(path, args, base_fp):
    """The rows of an earlier sweep in this folder; refused if they were made with other settings."""
    if not path.exists():
        return []
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    for row in rows:
        if row["base_fingerprint"] != base_fp:
            raise UserError(f"sweep.jsonl holds runs on base {row['base_fingerprint'][:12]}, this base is {base_fp[:12]}",
                            path, "pass another --out for a sweep on this base")
        for name in SETTINGS:
            if row[name] != getattr(args, name):
                flag = "--" + name.replace("_", "-")
                raise UserError(f"sweep.jsonl holds runs with {flag} {row[name]}, this sweep asks for {getattr(args, name)}",
                                path, f"pass {flag} {row[name]} to continue it, or another --out")
    return rows


def tune_one(args, config, folder):
    """One tune_prompt.py run, its printed output in folder/tune.log; returns its results.json."""
    import tune_prompt  # the top-level script: the sweep runs from the repository root, as the scripts do

    argv = ["--base", args.base, "--task", config["task"], "--method", config["method"], "--n-prompt",
            str(config["n_prompt"]), "--init", config["init"], "--seed", str(config["seed"]), "--steps", str(args.steps),
            "--batch-size", str(args.batch_size), "--eval-every", str(args.eval_every),
            "--device", args.device, "--out", str(folder), "--overwrite"]  # a run cut short starts over
    if args.lr is not None:
        argv += ["--lr", str(args.lr)]
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "tune.log", "w") as log, contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
        tune_prompt.main(argv)
    return json.loads((folder / "results.json").read_text())


def main(argv=None):
    args = parse_args(argv)
    check_positive(args, "steps", "lr", "batch_size", "eval_every")
    runs = grid(args)
    base_fp = read_base(args.base)["fingerprint"]
    out = Path(args.out)
    rows = read_rows(out / "sweep.jsonl", args, base_fp)
    done = {key(row) for row in rows}
    todo = [c for c in runs if key(c) not in done]
    print(f"sweep: {len(runs)} runs ({len(runs) - len(todo)} already in {out / 'sweep.jsonl'}), {args.steps} steps each")
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # where tune_prompt.py lives
    bar = tqdm(todo, desc="sweep", unit="run", disable=None)
    try:
        for config in bar:
            bar.set_postfix_str(run_name(config))
            folder = out / "runs" / run_name(config)
            t0 = time.time()
            r = tune_one(args, config, folder)
            rows.append({**config, **{name: getattr(args, name) for name in SETTINGS}, "metric": r["metric"],
                         "test": r["test_metric"], "val": r["val_metric"],
                         "extra": {split: m[r["metric"]] for split, m in r["extra_splits"].items()},
                         "lr_used": r["lr"],  # "lr" is what the sweep asked for: null means each task's own
                         "best_step": r["best_step"], "wall_s": round(time.time() - t0, 1),
                         "base_fingerprint": r["base_fingerprint"], "folder": str(folder)})
            atomic_write_text(out / "sweep.jsonl", "".join(json.dumps(row) + "\n" for row in rows))
            bar.write(f"{run_name(config)}: test {r['metric']} {r['test_metric']:.3f} ({time.time() - t0:.0f}s)")
    except (KeyboardInterrupt, Interrupted):
        bar.close()
        summarize(rows, out)
        raise UserError(f"interrupted: the {len(rows)} finished runs are kept", out / "sweep.jsonl",
                        "run the same command again to continue") from None
    summarize(rows, out)


def summarize(rows, out):
    """Median (lowest-highest) over seeds of each configuration's test metric, and of any extra split:
    printed, written to out/summary.md, and plotted to out/sweep.png when matplotlib is there."""
    if not rows:
        return
    text = summary_table(rows)
    print("\n" + text)
    atomic_write_text(out / "summary.md", text)
    if plot(rows, out / "sweep.png"):
        print(f"wrote {out / 'summary.md'} and {out / 'sweep.png'}")
    else:
        print(f"wrote {out / 'summary.md'} (pip install matplotlib for sweep.png)")


def groups(rows, split):
    """{(task, method, init): {n_prompt: [that split's metric per seed]}}; split: test, val or an extra one."""
    out = {}
    for row in rows:
        value = row.get(split, row["extra"].get(split))
        if value is not None:
            out.setdefault((row["task"], row["method"], row["init"]), {}).setdefault(row["n_prompt"], []).append(value)
    return out


def cell(values):
    if len(values) == 1:
        return f"{values[0]:.3f}"
    return f"{statistics.median(values):.3f} ({min(values):.3f}-{max(values):.3f})"


def summary_table(rows):
    """One markdown table per split (test, then any extra one): a row per (task, method, init), a column
    per prompt length, each cell the median over seeds (lowest-highest)."""
    splits = ["test"] + sorted({split for row in rows for split in row["extra"]})
    lengths = sorted({row["n_prompt"] for row in rows})
    seeds = sorted({row["seed"] for row in rows})
    parts = []
    for split in splits:
        metric = rows[0]["metric"] if len({row["metric"] for row in rows}) == 1 else "metric"
        lines = [f"{split} {metric}, median over seeds {seeds} (lowest-highest):", "",
                 "| task | method | init | " + " | ".join(f"P={n}" for n in lengths) + " |",
                 "|---|---|---|" + "---:|" * len(lengths)]
        for (task, method, init), by_length in groups(rows, split).items():
            cells = [cell(by_length[n]) if n in by_length else "-" for n in lengths]
            lines.append(f"| {Path(task).name} | {method} | {init} | " + " | ".join(cells) + " |")
        parts.append("\n".join(lines))
    return "\n\n".join(parts) + "\n"


def plot(rows, path):
    """sweep.png: test metric against prompt length, one panel per task, one line per (method, init)."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    tasks = list(dict.fromkeys(row["task"] for row in rows))
    fig, axes = plt.subplots(1, len(tasks), figsize=(5 * len(tasks), 3.6), squeeze=False)
    for ax, task in zip(axes[0], tasks):
        for (t, method, init), by_length in groups(rows, "test").items():
            if t != task:
                continue
            lengths = sorted(by_length)
            med = [statistics.median(by_length[n]) for n in lengths]
            low = [m - min(by_length[n]) for m, n in zip(med, lengths)]
            high = [max(by_length[n]) - m for m, n in zip(med, lengths)]
            ax.errorbar(lengths, med, yerr=[low, high], marker="o", capsize=3, label=f"{method}, {init}")
        ax.set_xscale("log")
        ax.minorticks_off()
        lengths = sorted({row["n_prompt"] for row in rows})
        ax.set_xticks(lengths, [str(n) for n in lengths])
        ax.set_xlabel("prompt length P")
        ax.set_ylabel(f"test {rows[0]['metric']}")
        ax.set_title(Path(task).name)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return True


if __name__ == "__main__":
    run_main(main)
