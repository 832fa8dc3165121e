"""Use a tuned prompt: label texts (classification) or generate from inputs (generation).

    python -m minprompt.predict --prompt out/sentiment/prompt.pt "The movie was fantastic" "This movie was terrible"
    echo "The soup was cold and bland." | python -m minprompt.predict --prompt out/sentiment/prompt.pt
    python -m minprompt.predict --prompt out/describe/prompt.pt "name: Aurora | category: lamp | ... | style: luxury"
    python -m minprompt.predict --prompt out/sentiment/prompt.pt --prompt out/topic/prompt.pt "The match went to penalties"
    python -m minprompt.predict --ensemble --prompt out/sentiment/member0/prompt.pt --prompt out/sentiment/member1/prompt.pt "The soup was cold"

Prints one line per input: `label<TAB>text` for classification, `generated text<TAB>input` for
generation, with any newline or tab inside a text written as \\n or \\t so that each input stays one
line; or, with --jsonl, one JSON object per input: {"input": ..., "output": ...}. The base is the one
whose path the prompt file records, or --base. A prompt is refused on a base with another fingerprint.

Several --prompt files (tasks trained on the same base): every input goes through every task, in
batched passes that mix the tasks' rows (a prompt bank: each prompt runs once per batch); a header
line names the columns, one per prompt, then the input; --jsonl gives "output" as {task: output}.
--ensemble: the --prompt files are one classification task's prompts (e.g. from `tune_prompt.py
--ensemble N`) and answer together, each input under every member in one pass, by mean log-probability
(or --vote): one column.
"""
import argparse
import json
import sys

import torch

from minprompt import tasks
from minprompt.checkpoint import fingerprint, load_base
from minprompt.device import pick_device
from minprompt.errors import UserError, check_positive, run_main
from minprompt.prompt import check_ensemble, check_prompt_matches_base, load_prompt
from minprompt.tasks import Task, encode_split


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("texts", nargs="*", help="inputs; with none, one input per line is read from stdin")
    p.add_argument("--prompt", action="append", required=True,
                   help="prompt.pt written by tune_prompt.py; repeat it to run several tasks on every input")
    p.add_argument("--ensemble", action="store_true",
                   help="the --prompt files are one classification task's ensemble: answer by their mean log-probability")
    p.add_argument("--vote", action="store_true", help="with --ensemble: the members' majority vote instead")
    p.add_argument("--base", default=None, help="base checkpoint (default: the path stored in the (first) prompt file)")
    p.add_argument("--max-new-tokens", type=int, default=80, help="generation length limit (default: %(default)s)")
    p.add_argument("--device", default="auto", help="auto (cuda, then mps, then cpu), cpu, cuda, mps")
    p.add_argument("--jsonl", action="store_true", help='print {"input": ..., "output": ...} per line instead of TSV')
    args = p.parse_args(argv)
    check_positive(args, "max_new_tokens")

    if args.vote and not args.ensemble:
        raise UserError("--vote combines the members of an --ensemble", None, "pass --ensemble --prompt a.pt --prompt b.pt ...")
    paths = args.prompt
    cks = [load_prompt(path) for path in paths]
    if args.ensemble:
        check_ensemble(paths, cks)
    device = pick_device(args.device)
    model, tokenizer = load_base_for(paths, cks, args.base, device)
    texts = args.texts or [line.rstrip("\n") for line in sys.stdin if line.strip()]
    if not texts:
        raise UserError("no input texts", None, "pass texts as arguments or one per line on stdin")
    jobs = []  # (task, prompt, encoded contexts), one per prompt file
    for ck in cks:
        task = Task(ck["task"], "", ck["kind"], ck["template"], labels=ck["labels"])
        budget = model.config.block_size - ck["prompt"].shape[-2]  # room after P prompt positions
        examples, n_cut = encode_split(task, tokenizer, [{task.field: t} for t in texts], budget)
        if n_cut:
            print(f"note: {n_cut} inputs longer than the context were cut from the left ({task.name})", file=sys.stderr)
        jobs.append((task, ck["prompt"].to(device), [c for c, _ in examples]))
    if args.ensemble:  # one task: every input under every member, in one pass
        bank = torch.stack([prompt for _, prompt, _ in jobs])  # (K, P, C) or (K, L, 2, nh, P, hs)
        mean, vote, _ = tasks.ensemble_labels(model, bank, tokenizer, jobs[0][0], jobs[0][2], device=device)
        return print_outputs(texts, [jobs[0][0].name], [vote if args.vote else mean], args.jsonl)
    with torch.no_grad():
        outputs = tasks.predict_mixed(model, jobs, tokenizer, args.max_new_tokens, device=device)
    print_outputs(texts, column_names(paths, cks), outputs, args.jsonl)


def load_base_for(paths, cks, base, device):
    """The base the prompt files were trained on (--base, or the path the first one records); every
    prompt is checked against it. Returns (model, tokenizer). Also used by `python -m minprompt.serve`."""
    if not (base or cks[0].get("base_path")):
        raise UserError("prompt file does not say which base it was trained on", paths[0], "pass --base")
    model, tokenizer = load_base(base or cks[0]["base_path"], device)
    for path, ck in zip(paths, cks):  # every prompt must belong to this one base
        check_prompt_matches_base(ck, fingerprint(model), tokenizer.hash(), path, model.config)
    return model, tokenizer


def column_names(paths, cks):
    """Each prompt's column: its task's name, or its file when two prompts share a task."""
    names = [ck["task"] for ck in cks]
    return [n if names.count(n) == 1 else path for n, path in zip(names, paths)]


def print_outputs(texts, names, outputs, jsonl):
    """One line per input. One prompt: `output<TAB>input` or {"input", "output"}; several: a header line,
    then a column per prompt before the input, or {"input", "output": {column: output}}."""
    if len(names) > 1 and not jsonl:
        print("\t".join([*names, "input"]))
    for i, text in enumerate(texts):
        row = [out[i] for out in outputs]
        if jsonl:
            output = row[0] if len(row) == 1 else dict(zip(names, row))
            print(json.dumps({"input": text, "output": output}, ensure_ascii=False))
        else:
            print("\t".join(one_line(x) for x in [*row, text]))


def one_line(text):
    """Backslashes, newlines and tabs escaped, so one text is one TSV field."""
    return text.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t")


if __name__ == "__main__":
    run_main(main)
