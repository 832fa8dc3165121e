"""Use a tuned prompt: label texts (classification) or generate from inputs (generation).

    python -m minprompt.predict --prompt out/sentiment/prompt.pt "The movie was fantastic" "This movie was terrible"
    echo "The soup was cold and bland." | python -m minprompt.predict --prompt out/sentiment/prompt.pt
    python -m minprompt.predict --prompt out/describe/prompt.pt "name: Aurora | category: lamp | ... | style: luxury"

Prints one line per input: `label<TAB>text` for classification, `generated text<TAB>input` for
generation, with any newline or tab inside a text written as \\n or \\t so that each input stays one
line; or, with --jsonl, one JSON object per input: {"input": ..., "output": ...}. The base is the one
whose path the prompt file records, or --base. A prompt is refused on a base with another fingerprint.
"""
import argparse
import json
import sys

import torch

from minprompt import tasks
from minprompt.checkpoint import fingerprint, load_base
from minprompt.device import pick_device
from minprompt.errors import UserError, check_positive, run_main
from minprompt.prompt import check_prompt_matches_base, load_prompt
from minprompt.tasks import Task, encode_split


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("texts", nargs="*", help="inputs; with none, one input per line is read from stdin")
    p.add_argument("--prompt", required=True, help="prompt.pt written by tune_prompt.py")
    p.add_argument("--base", default=None, help="base checkpoint (default: the path stored in the prompt file)")
    p.add_argument("--max-new-tokens", type=int, default=80, help="generation length limit (default: %(default)s)")
    p.add_argument("--device", default="auto", help="auto (cuda, then mps, then cpu), cpu, cuda, mps")
    p.add_argument("--jsonl", action="store_true", help='print {"input": ..., "output": ...} per line instead of TSV')
    args = p.parse_args(argv)
    check_positive(args, "max_new_tokens")

    ck = load_prompt(args.prompt)
    device = pick_device(args.device)
    if not (args.base or ck.get("base_path")):
        raise UserError("prompt file does not say which base it was trained on", args.prompt, "pass --base")
    model, tokenizer = load_base(args.base or ck["base_path"], device)
    check_prompt_matches_base(ck, fingerprint(model), tokenizer.hash(), args.prompt, model.config.n_embd)
    texts = args.texts or [line.rstrip("\n") for line in sys.stdin if line.strip()]
    if not texts:
        raise UserError("no input texts", None, "pass texts as arguments or one per line on stdin")
    prompt = ck["prompt"].to(device)
    task = Task(ck["task"], "", ck["kind"], ck["template"], labels=ck["labels"])
    key = task.field
    examples, n_cut = encode_split(task, tokenizer, [{key: t} for t in texts], model.config.block_size - prompt.shape[0])
    if n_cut:
        print(f"note: {n_cut} inputs longer than the context were cut from the left", file=sys.stderr)
    contexts = [c for c, _ in examples]
    with torch.no_grad():
        outputs = tasks.predict(model, prompt, tokenizer, task, contexts, args.max_new_tokens, device=device)
    for out, text in zip(outputs, texts):
        print(json.dumps({"input": text, "output": out}, ensure_ascii=False) if args.jsonl
              else f"{one_line(out)}\t{one_line(text)}")


def one_line(text):
    """Backslashes, newlines and tabs escaped, so one text is one TSV field."""
    return text.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t")


if __name__ == "__main__":
    run_main(main)
