"""Pretraining text -> token ids -> random training windows.

Used by `python train_base.py --corpus data/corpus.txt`.

A corpus is any UTF-8 text file. Documents are separated by the marker `<|endoftext|>` (the bundled
corpus puts it on its own line); a file without the marker is one document. Each document is encoded
and followed by the end-of-text id, so the model learns where documents end.

Split rule: the last 5% of the token stream is validation, the rest is training. The bundled corpus
is written in shuffled document order, so its tail is a fair sample.

train_base.py logs two diagnostics of one skill, copying from the context:
- the mention score, on the corpus's own text: a pair of adjacent tokens that occurs in one validation
  document only (a made-up name, a rare phrase) but twice or more there is surprising the first time and
  predictable later, by a model that looks back to where it came before. The mean loss of the pair's
  second token at its first occurrence minus at the later ones is the score (nats). A corpus whose
  documents repeat nothing rare has no probe and no score;
- the copy score, on rows of random common tokens, each repeated once: the loss on the first copy minus
  on the second. It asks for pure induction on text unlike any document, which the small base never
  learns within its budget (README: Results).
"""
import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from minprompt.errors import UserError
from minprompt.tokenizer import EOT

VAL_FRACTION = 0.05
IGNORE = -100  # a target the loss skips (cross_entropy's ignore_index)


def read_corpus(path):
    """-> list of documents (str). Missing, non-UTF-8 or empty files are user errors."""
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except FileNotFoundError:
        raise UserError("corpus file not found", path, "pass --corpus PATH to a UTF-8 text file") from None
    except IsADirectoryError:
        raise UserError("corpus is a directory", path, "pass --corpus PATH to a UTF-8 text file") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise UserError(f"corpus is not UTF-8 text (bad byte at offset {e.start})", path,
                        "convert it to UTF-8, e.g. with iconv") from None
    docs = [d.strip("\n") for d in text.split(EOT)]
    docs = [d for d in docs if d.strip()]
    if not docs:
        raise UserError("corpus is empty", path, "pass --corpus PATH to a file with text in it")
    return docs


def encode_corpus(docs, tokenizer):
    """-> 1-D numpy array of token ids: doc, eot, doc, eot, ..."""
    ids = []
    for doc in tqdm(docs, desc="tokenizing", unit="doc", leave=False, mininterval=0.5, disable=None):
        ids.extend(tokenizer.encode(doc))
        ids.append(tokenizer.eot_id)
    dtype = np.uint16 if tokenizer.vocab_size <= 2 ** 16 else np.int32
    return np.array(ids, dtype=dtype)


def split_train_val(ids, block_size, path):
    """-> (train, val): the last 5% of tokens is validation. Each part must hold one full window."""
    n_val = int(len(ids) * VAL_FRACTION)
    train, val = ids[: len(ids) - n_val], ids[len(ids) - n_val:]
    need = block_size + 1
    if len(val) < need:
        raise UserError(f"corpus too short: {len(ids)} tokens, so its 5% validation tail has {len(val)}, "
                        f"fewer than one context window ({need})", path,
                        f"use a corpus of at least {int(need / VAL_FRACTION) + 1} tokens or a smaller --block-size")
    return train, val


def get_batch(ids, batch_size, block_size, generator, device):
    """Random windows: x (B, T) and y (B, T) = x shifted left by one token."""
    starts = torch.randint(len(ids) - block_size, (batch_size,), generator=generator)  # room for x and y
    x = torch.stack([torch.from_numpy(ids[s: s + block_size].astype(np.int64)) for s in starts.tolist()])  # (B, T)
    y = torch.stack([torch.from_numpy(ids[s + 1: s + 1 + block_size].astype(np.int64)) for s in starts.tolist()])  # (B, T)
    if device.type == "cuda":  # pinned memory lets the copy overlap with compute
        return x.pin_memory().to(device, non_blocking=True), y.pin_memory().to(device, non_blocking=True)
    return x.to(device), y.to(device)


def with_copy_rows(x, y, n_copy, ids, generator):
    """Replace the last n_copy rows of a batch by copy rows: a run of 8 to max(8, T/4) tokens (at most
    T/2), each drawn from the training stream (common tokens as often as in the corpus, in no sensible
    order), repeated to fill the window. The first run and the repeat's first token cannot be predicted
    and get no loss (target IGNORE); every later token rewards a model that looks back to where the
    current token came before and copies what followed (an induction head, which copying a product's
    many-token name needs). An experiment (train_base.py --copy-rows): on the small base one row in
    eight lifts the copy score but costs validation loss (README, Results). Under torchrun or
    --grad-accum the copy rows fall in the last micro-batch, whose loss is the mean over its own scored
    tokens, so they weigh a little differently than in a single-process run."""
    if n_copy == 0:
        return x, y
    B, T = x.shape
    rows, lengths = [], []
    for _ in range(n_copy):
        length = min(int(torch.randint(8, max(9, T // 4 + 1), (1,), generator=generator)), T // 2)
        lengths.append(length)
        picks = torch.randint(len(ids), (length,), generator=generator)  # (length,) positions in the stream
        run = torch.from_numpy(ids[picks.numpy()].astype("int64"))  # (length,) token ids
        rows.append(run.repeat(T // length + 2)[: T + 1])  # (T + 1,): x and y of one row
    rows = torch.stack(rows).to(x.device)  # (n_copy, T + 1)
    targets = rows[:, 1:].clone()  # (n_copy, T)
    for row, length in zip(targets, lengths):
        row[:length] = IGNORE  # the first run and the repeat's first token: no loss, only on what can be copied
    return torch.cat([x[: B - n_copy], rows[:, :-1]]), torch.cat([y[: B - n_copy], targets])  # (B, T) each


def copy_probe(vocab_size, n_rows=16, half=48, seed=0):
    """Rows of distinct tokens, each row followed by itself: (n_rows, 2 * half) ids. The tokens are
    drawn from the first 1,000 merges (BPE merges frequent pieces first, so these are the corpus's
    common words), not from all ids: a raw byte the corpus never uses would measure surprise, not
    copying. With 2 * half <= block_size the whole row fits one context."""
    g = torch.Generator().manual_seed(seed)
    pool = torch.arange(256, min(256 + 1000, vocab_size - 1))  # merged tokens; eot is vocab_size - 1
    if len(pool) < half:  # a toy vocabulary: every id but end-of-text
        pool = torch.arange(vocab_size - 1)
    first = torch.stack([pool[torch.randperm(len(pool), generator=g)[:half]] for _ in range(n_rows)])  # (R, half)
    return torch.cat([first, first], dim=1)  # (R, 2 * half)


def copy_losses(model, probe):
    """Mean cross-entropy on the probe's first copy and on its second copy (nats per token). The
    first token of the second copy is left out: nothing says the repeat starts there."""
    half = probe.shape[1] // 2
    loss = next_token_losses(model, probe)  # (R, 2*half - 1)
    return loss[:, : half - 1].mean().item(), loss[:, half:].mean().item()


def mention_probe(val_ids, eot_id, block_size, n_rows=32, max_docs=2000):
    """Validation documents (their first block_size tokens) that repeat a token pair no other validation
    document has: x (R, T) ids padded with end-of-text, and two (R, T) masks of the target positions t
    (token t, predicted at t - 1) where such a pair's second token comes the first time and later. None
    if no document has one. Pairs are counted over the truncated documents, so each repeat is in context,
    and over the first max_docs documents only, so a large corpus costs no more (the bundled one has 1,100)."""
    docs, start = [], 0
    for end in np.flatnonzero(val_ids == eot_id).tolist() + [len(val_ids)]:
        if end > start + 1:
            docs.append(val_ids[start:end][:block_size].tolist())
        start = end + 1
        if len(docs) == max_docs:
            break
    docs_with = {}  # token pair -> the documents it occurs in
    for d, doc in enumerate(docs):
        for pair in zip(doc, doc[1:]):
            docs_with.setdefault(pair, set()).add(d)
    rows, firsts, laters = [], [], []
    for d, doc in enumerate(docs):
        seen, later = {}, []  # pair -> where its second token first comes; the positions of its repeats
        for t in range(1, len(doc)):
            pair = (doc[t - 1], doc[t])
            if len(docs_with[pair]) == 1:
                if pair in seen:
                    later.append(t)
                else:
                    seen[pair] = t
        if not later:
            continue
        repeated = {(doc[t - 1], doc[t]) for t in later}
        rows.append(doc + [eot_id] * (block_size - len(doc)))
        firsts.append([t for pair, t in seen.items() if pair in repeated])
        laters.append(later)
        if len(rows) == n_rows:
            break
    if not rows:
        return None
    x = torch.tensor(rows)  # (R, T)
    first, later = torch.zeros_like(x, dtype=torch.bool), torch.zeros_like(x, dtype=torch.bool)  # (R, T) each
    for r, (f, lt) in enumerate(zip(firsts, laters)):
        first[r, f], later[r, lt] = True, True
    return x, first, later


def mention_losses(model, probe):
    """Mean cross-entropy (nats per token) of the probe's pairs' second tokens the first time and later."""
    x, first, later = probe
    loss = next_token_losses(model, x)  # (R, T - 1): column t - 1 is token t's
    return loss[first[:, 1:]].mean().item(), loss[later[:, 1:]].mean().item()


def next_token_losses(model, rows):
    """rows (R, T) ids -> (R, T - 1): the cross-entropy (nats) of each token from the second on, given the
    tokens before it. What both probes read, each at its own positions."""
    logits, _ = model(rows[:, :-1])  # (R, T - 1, vocab): position t - 1 predicts token t
    return F.cross_entropy(logits.float().transpose(1, 2), rows[:, 1:], reduction="none")
