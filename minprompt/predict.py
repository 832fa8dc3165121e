"""Use a tuned prompt: label texts (classification) or generate from inputs (generation).

    python -m minprompt.predict --prompt out/sentiment/prompt.pt "The movie was fantastic" "This movie was terrible"
    echo "The soup was cold and bland." | python -m minprompt.predict --prompt out/sentiment/prompt.pt
    python -m minprompt.predict --prompt out/describe/prompt.pt "name: Aurora | category: lamp | ... | style: luxury"

Prints one line per input: `label<TAB>text` for classification, `generated text<TAB>input` for
generation. The base is the one whose path the prompt file records, or --base. A prompt is refused on
a base with another fingerprint.
"""
import argparse
import sys

import torch

from minprompt.checkpoint import fingerprint, load_base
from minprompt.errors import UserError, run_main
from minprompt.model import pick_device
from minprompt.prompt import check_prompt_matches_base, load_prompt
from minprompt.tasks import Task, classify, encode_split, generate_texts


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("texts", nargs="*", help="inputs; with none, one input per line is read from stdin")
    p.add_argument("--prompt", required=True, help="prompt.pt written by tune_prompt.py")
    p.add_argument("--base", default=None, help="base checkpoint (default: the path stored in the prompt file)")
    p.add_argument("--max-new-tokens", type=int, default=80, help="generation length limit (default: %(default)s)")
    p.add_argument("--device", default="auto", help="auto (cuda, then mps, then cpu), cpu, cuda, mps")
    args = p.parse_args(argv)

    ck = load_prompt(args.prompt)
    device = pick_device(args.device)
    model, tokenizer = load_base(args.base or ck["base_path"], device)
    check_prompt_matches_base(ck, fingerprint(model), tokenizer.hash(), args.prompt)
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
        if task.kind == "classification":
            outputs = [task.labels[i] for i in classify(model, prompt, tokenizer, task, contexts, device=device)]
        else:
            outputs = generate_texts(model, prompt, tokenizer, contexts, args.max_new_tokens, device=device)
    for out, text in zip(outputs, texts):
        print(f"{out}\t{text}")


if __name__ == "__main__":
    run_main(main)
