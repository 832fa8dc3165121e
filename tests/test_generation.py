"""Generation on a trained base, whose greedy continuations really differ from input to input (a random
model's mostly repeat one token, which hides bugs): batched right-padded generation, with and without
the KV cache and a prompt, equals each row generated alone; end-of-text and top-k behave."""
import json

import torch

from conftest import ROOT
from minprompt.checkpoint import load_base
from minprompt.tasks import Task, encode_split, generate_texts, make_batch


def contexts_of_different_lengths(tok, block_size):
    task = Task("describe", "", "generation", "Attributes: {input}\nDescription:")
    rows = [json.loads(line) for line in open(ROOT / "data" / "tasks" / "describe" / "test.jsonl")][:6]
    rows[1]["input"] = rows[1]["input"].split(" | style")[0]  # shorter rows, so the batch is right-padded
    rows[3]["input"] = "name: Opal"
    examples, _ = encode_split(task, tok, [{"input": r["input"]} for r in rows], block_size - 40)
    contexts = [c for c, _ in examples]
    assert len({len(c) for c in contexts}) >= 3
    return contexts


def test_batched_generation_equals_each_row_alone(tiny_base):
    model, tok = load_base(tiny_base[0])
    contexts = contexts_of_different_lengths(tok, model.config.block_size)
    torch.manual_seed(0)
    prompt = model.transformer.wte.weight[torch.randint(300, 1000, (5,))]  # (5, C): a prompt made of token rows
    for p in (None, prompt):
        batched = generate_texts(model, p, tok, contexts, max_new_tokens=24)
        alone = [generate_texts(model, p, tok, [c], max_new_tokens=24)[0] for c in contexts]
        assert batched == alone
        assert len(set(batched)) >= 3, batched  # the outputs differ, so a row mixed up with another would show
        idx, _ = make_batch([(c, [0]) for c in contexts], "cpu")
        lengths = torch.tensor([len(c) for c in contexts])
        cached = model.generate(idx, 24, prompt=p, lengths=lengths)
        assert cached == model.generate(idx, 24, prompt=p, lengths=lengths, use_cache=False)


def test_generation_stops_at_end_of_text_and_top_k_1_is_greedy(tiny_base):
    model, tok = load_base(tiny_base[0])
    contexts = contexts_of_different_lengths(tok, model.config.block_size)
    idx, _ = make_batch([(c, [0]) for c in contexts], "cpu")
    lengths = torch.tensor([len(c) for c in contexts])
    free = model.generate(idx, 12, lengths=lengths)
    row = next(r for r in free if r[2] not in r[:2])  # a row whose third token is new there
    b = free.index(row)
    stopped = model.generate(idx, 12, lengths=lengths, eot_id=row[2])
    assert stopped[b] == row[:2]
    for other, full in zip(stopped, free):  # every row stops at its own first eot, or runs to the end
        assert other == (full[: full.index(row[2])] if row[2] in full else full)
    torch.manual_seed(0)
    sampled = model.generate(idx, 12, lengths=lengths, temperature=1.0, top_k=1)
    assert sampled == free and len({tuple(r) for r in free}) >= 3
