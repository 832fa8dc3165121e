"""Downstream tasks: JSONL files -> token batches; rank classification; the generation metric.

Used by `python tune_prompt.py --task sentiment` (or topic, describe, or any folder) and by
`python -m minprompt.predict`; `evaluate` is the one way any of them scores a prompt on a split.

A task is a folder with train.jsonl, val.jsonl and test.jsonl, one JSON object per line (any other
.jsonl file there, such as sentiment's hand-written natural.jsonl, is an extra evaluation split: scored
after training next to test, never used for training or for choosing the prompt):
- classification: {"text": ..., "label": ...}
- generation:     {"input": ..., "target": ...}, optionally "attributes" (strings the output should
                  mention) and "style" (a class the output's wording should show).
An optional task.json there holds the task's own template and tuning defaults (read_task_file).

Everything is text to text. An example becomes a context, its template filled in, and an answer:

    context  "Review: The soup was cold and the waiter rude.\nSentiment:"
    answer   " negative"                      (for generation: " " + target + end-of-text)

The loss is cross-entropy on the answer tokens only (-100 elsewhere). A classification prediction is
rank classification: every label is scored as a continuation of the context (the sum of its tokens'
log-probabilities, all labels in one batched pass) and the best wins, so multi-token labels work.
"""
import json
import math
import os
import re
import string
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import torch
import torch.nn.functional as F

from minprompt.distributed import my_rows
from minprompt.errors import UserError

TASKS_DIR = Path(__file__).resolve().parent.parent / "data" / "tasks"
SPLITS = ("train", "val", "test")
DEFAULT_TEMPLATES = {"classification": "Text: {text}\nLabel:", "generation": "Input: {input}\nOutput:"}
PROMPT_LR = 0.03  # tune_prompt.py's default --lr
PROMPT_STEPS = 300  # tune_prompt.py's default --steps
TASK_FILE = "task.json"  # optional in a task folder: {"template": ..., "lr": ..., "steps": ..., "note": ...}
TASK_KEYS = {"template": str, "lr": float, "steps": int, "note": str}  # "note": why, for the reader; unused


@dataclass
class Task:
    name: str
    folder: str
    kind: str  # "classification" or "generation"
    template: str
    labels: list = field(default_factory=list)  # classification: sorted label strings
    splits: dict = field(default_factory=dict)  # "train"/"val"/"test" and any extra split -> list of records
    lr: float | None = None  # the folder's task.json "lr": its prompt's --lr when none is given (else PROMPT_LR)
    steps: int | None = None  # the same for --steps (else PROMPT_STEPS)

    @property
    def extra_splits(self):
        """Evaluation-only splits beyond train/val/test, e.g. ["natural"]."""
        return [s for s in self.splits if s not in SPLITS]

    @property
    def field(self):
        return "text" if self.kind == "classification" else "input"

    @property
    def metric(self):
        if self.kind == "classification":
            return "accuracy"
        return "attribute_recall" if all("attributes" in r for r in self.splits["test"]) else "exact_match"

    def hand_prompt(self):
        """A hand-written instruction, the prompt-engineering baseline in `tune_prompt.py --compare`."""
        if self.kind == "classification":
            return f"Read the text and answer with one word: {', '.join(self.labels)}."
        return "Write a short product description that mentions every attribute, in the requested style."


def read_jsonl(path, fields):
    records = []
    try:
        lines = open(path, encoding="utf-8").read().splitlines()
    except FileNotFoundError:
        raise UserError("task split not found", path, "a task folder needs train.jsonl, val.jsonl and test.jsonl") from None
    except UnicodeDecodeError:
        raise UserError("task split is not UTF-8", path, "save it as UTF-8 JSON lines") from None
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as e:
            raise UserError(f"malformed JSON at line {n} ({e.msg})", path, "fix that line: one JSON object per line") from None
        if not isinstance(record, dict) or any(not isinstance(record.get(f), str) for f in fields):
            raise UserError(f"line {n} lacks string fields {' and '.join(repr(f) for f in fields)}", path,
                            "each line needs " + ", ".join(f'"{f}": "..."' for f in fields))
        records.append(record)
    if not records:
        raise UserError("task split is empty", path, "add at least one example")
    return records


def load_task(name_or_path, template=None):
    """A bundled task by name (sentiment, topic, describe) or any folder with the three JSONL files."""
    folder = Path(name_or_path) if os.path.isdir(name_or_path) else TASKS_DIR / name_or_path
    if not folder.is_dir():
        bundled = ", ".join(sorted(p.name for p in TASKS_DIR.iterdir())) if TASKS_DIR.is_dir() else "none"
        raise UserError("task not found", folder, f"pass a bundled task ({bundled}) or a folder with train/val/test.jsonl")
    first = read_jsonl(folder / "train.jsonl", [])[0]
    kind = "classification" if "label" in first else "generation" if "target" in first else None
    if kind is None:
        raise UserError("cannot tell the task kind from line 1", folder / "train.jsonl",
                        'use {"text", "label"} for classification or {"input", "target"} for generation')
    fields = ["text", "label"] if kind == "classification" else ["input", "target"]
    extra = sorted(p.stem for p in folder.glob("*.jsonl") if p.stem not in SPLITS)
    splits = {s: read_jsonl(folder / f"{s}.jsonl", fields) for s in SPLITS + tuple(extra)}
    spec = read_task_file(folder / TASK_FILE)
    key = "text" if kind == "classification" else "input"
    if template:  # --template wins over the folder's
        check_template(template, key)
    elif "template" in spec:
        template = spec["template"]
        check_template(template, key, folder / TASK_FILE)
    else:
        template = DEFAULT_TEMPLATES[kind]
    task = Task(folder.name, str(folder), kind, template, splits=splits, lr=spec.get("lr"), steps=spec.get("steps"))
    if kind == "classification":
        task.labels = sorted({r["label"] for r in splits["train"]})
        for s in ["val", "test"] + extra:
            unseen = sorted({r["label"] for r in splits[s]} - set(task.labels))
            if unseen:
                raise UserError(f"label {unseen[0]!r} in {s} is not among the train labels {task.labels}",
                                folder / f"{s}.jsonl", "fix the label or add train examples of it")
    return task


def read_task_file(path):
    """A task folder's optional task.json, e.g. {"template": "Review: {text}\\nSentiment:", "lr": 0.3}: the
    task's own template and tuning defaults, which travel with the folder (a copy of it gets them, another
    folder of the same name does not). Every key is optional; {} when there is no file."""
    if not path.is_file():
        return {}
    try:
        spec = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise UserError(f"not a UTF-8 JSON object ({e})", path, 'write e.g. {"template": "Q: {text}\\nA:", "lr": 0.03}') from None
    if not isinstance(spec, dict):
        raise UserError("not a JSON object", path, 'write e.g. {"template": "Q: {text}\\nA:", "lr": 0.03}')
    for key, value in spec.items():
        kind = TASK_KEYS.get(key)
        if kind is None:
            raise UserError(f"unknown key {key!r}", path, "use " + ", ".join(TASK_KEYS))
        if kind is str:
            ok = isinstance(value, str)
        else:  # steps a whole number, lr any number (1 is 1.0); either above 0 and finite; JSON true is no number
            ok = (isinstance(value, int if kind is int else (int, float)) and not isinstance(value, bool)
                  and 0 < value < float("inf"))
        if not ok:
            what = "a string" if kind is str else "a positive whole number" if kind is int else "a positive number"
            raise UserError(f"{key!r} must be {what}, got {value!r}", path, f"fix {key!r} or leave it out")
    return spec


def bundled_specs():
    """{task name: its task.json} over the bundled tasks, e.g. {"describe": {"lr": 0.3, ...}, ...}, for
    --help. A broken task.json is left out here (the help must not fail); tuning that task reports it."""
    found = {}
    for folder in sorted(TASKS_DIR.iterdir()) if TASKS_DIR.is_dir() else []:
        try:
            found[folder.name] = read_task_file(folder / TASK_FILE) if folder.is_dir() else {}
        except UserError:
            continue
    return found


def check_template(template, key, path=None):
    """A template must hold its task's one placeholder, {text} or {input}, and nothing else to fill."""
    names = []
    try:
        names = [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]
    except ValueError as e:  # an unmatched brace
        raise UserError(f"template {template!r} does not parse ({e})", path, "write {{ and }} for literal braces") from None
    if names != [key]:
        todo = f"pass e.g. --template 'Question: {{{key}}}\\nAnswer:'"
        raise UserError(f"template {template!r} has placeholders {names}, this task needs exactly one: {{{key}}}", path,
                        todo if path is None else f'fix its "template" or leave it out; or {todo}')


# ---- encoding --------------------------------------------------------------------------------------
def encode_context(tokenizer, template, key, value, budget):
    """Token ids of the filled template, at most `budget` long; a value too long loses tokens from its
    left (the end of a review holds its verdict). Returns (ids, was_truncated)."""
    ids = tokenizer.encode(template.format(**{key: value}))
    if len(ids) <= budget:
        return ids, False
    value_ids = tokenizer.encode(value)
    drop = len(ids) - budget
    while drop <= len(value_ids):
        ids = tokenizer.encode(template.format(**{key: tokenizer.decode(value_ids[drop:]).lstrip()}))  # no "Review:  word"
        if len(ids) <= budget:
            return ids, True
        drop += 1
    raise UserError(f"the template alone is longer than the {budget} tokens left by the context", None,
                    "use a shorter --n-prompt or template")


def encode_split(task, tokenizer, records, max_len):
    """records -> list of (context ids, answer ids) that fit in max_len tokens, and how many contexts
    were cut. For classification the answer is the record's label (None for unlabelled input)."""
    if task.kind == "classification":
        answers = [tokenizer.encode(" " + r["label"]) if "label" in r else None for r in records]
        room = max(len(tokenizer.encode(" " + label)) for label in task.labels)
    else:
        answers = [(tokenizer.encode(" " + r["target"]) + [tokenizer.eot_id])[: max_len // 2] if "target" in r else None
                   for r in records]
        room = max(len(a) for a in answers if a is not None) if any(a is not None for a in answers) else max_len // 2
    examples, n_cut = [], 0
    for record, answer in zip(records, answers):
        context, cut = encode_context(tokenizer, task.template, task.field, record[task.field], max_len - room)
        examples.append((context, answer))
        n_cut += cut
    return examples, n_cut


def length_buckets(max_len, step=32):
    """The padded lengths a compiled training step sees: step, 2*step, ... and max_len itself, e.g.
    (32, 64, ..., 224, 236) for max_len 236. With so few shapes torch.compile builds a handful of graphs
    (CUDA graphs under mode="reduce-overhead") instead of one per batch length."""
    return tuple(range(step, max_len, step)) + (max_len,)


def make_batch(pairs, device, buckets=()):
    """(context, answer) id lists -> idx (B, T), targets (B, T), right-padded; targets are the answer
    tokens at the positions that predict them, -100 elsewhere. With `buckets` (length_buckets), T is
    padded up to the smallest bucket that holds it: more padding, the same loss and gradient."""
    seqs = [c + a for c, a in pairs]
    T = max(len(s) for s in seqs) - 1
    T = next((b for b in buckets if b >= T), T)
    idx = torch.zeros(len(seqs), T, dtype=torch.long)
    targets = torch.full((len(seqs), T), -100, dtype=torch.long)
    for i, ((context, answer), seq) in enumerate(zip(pairs, seqs)):
        idx[i, : len(seq) - 1] = torch.tensor(seq[:-1])
        targets[i, len(context) - 1: len(seq) - 1] = torch.tensor(answer)
    if torch.device(device).type == "cuda":  # pinned host memory: the copy overlaps with GPU work
        return idx.pin_memory().to(device, non_blocking=True), targets.pin_memory().to(device, non_blocking=True)
    return idx.to(device), targets.to(device)


def micro_batches(pairs, world, grad_accum, device, buckets=()):
    """This process's part of a step's batch (the same pairs on every process, see minprompt/distributed.py):
    [(idx (b, T), targets (b, T), share)], one per micro-batch; share is its part of the step's answer tokens."""
    n_tokens = sum(len(answer) for _, answer in pairs)
    parts = [pairs[rows] for rows in my_rows(world, len(pairs), grad_accum)]
    return [(*make_batch(part, device, buckets), sum(len(answer) for _, answer in part) / n_tokens) for part in parts]


def train_batches(examples, batch_size, seed):
    """Endless random batches: each pass over the examples is a new shuffle. (Grouping examples of
    similar length would waste less compute on padding, but it made batches less random and tuning
    worse on the sentiment task, so we keep plain shuffling.)"""
    g = torch.Generator().manual_seed(seed)
    while True:
        order = torch.randperm(len(examples), generator=g).tolist()
        for start in range(0, len(order) - batch_size + 1 if len(order) >= batch_size else 1, batch_size):
            yield [examples[i] for i in order[start: start + batch_size]]


# ---- evaluation ------------------------------------------------------------------------------------
def answer_logprob(model, idx, targets, prompt, prompt_index=None):
    """Sum of log p(answer tokens) for each row: (B,). Logits are computed only at the answer
    positions (answers_only), one row per answer token in row-major order. (A prompt bank: see GPT.forward.)"""
    keep = targets != -100  # (B, T)
    logits, _ = model(idx, targets, prompt=prompt, answers_only=True, prompt_index=prompt_index)  # (N, vocab)
    picked = F.log_softmax(logits.float(), dim=-1).gather(-1, targets[keep][:, None])[:, 0]  # (N,)
    rows = keep.nonzero()[:, 0]  # (N,): the row of each answer token
    return torch.zeros(idx.shape[0], device=picked.device).index_add_(0, rows, picked)  # (B,)


@torch.no_grad()
def label_logprobs(model, prompt, tokenizer, task, contexts, batch_size=64, device="cpu"):
    """log p(label | context) for every context and every label: (N, n_labels), on the CPU. When every
    label is a single token, one pass per context scores them all (the log-softmax at its last
    position); otherwise each (context, label) pair is its own row and its tokens' log-probs are summed."""
    label_ids = [tokenizer.encode(" " + label) for label in task.labels]
    one_token = all(len(ids) == 1 for ids in label_ids)
    per_batch = batch_size if one_token else max(1, batch_size // len(label_ids))
    scores = []
    for start in range(0, len(contexts), per_batch):
        chunk = contexts[start: start + per_batch]
        if one_token:
            idx, targets = make_batch([(c, label_ids[0]) for c in chunk], device)  # target: the answer position
            logits, _ = model(idx, targets, prompt=prompt, answers_only=True)  # (b, vocab)
            logp = F.log_softmax(logits.float(), dim=-1)[:, [ids[0] for ids in label_ids]]  # (b, n_labels)
        else:
            idx, targets = make_batch([(c, a) for c in chunk for a in label_ids], device)
            logp = answer_logprob(model, idx, targets, prompt).view(len(chunk), len(label_ids))  # (b, n_labels)
        scores.append(logp.cpu())
    return torch.cat(scores)  # (N, n_labels)


def classify(model, prompt, tokenizer, task, contexts, batch_size=64, device="cpu"):
    """Rank classification: the index of the most likely label for each context."""
    return label_logprobs(model, prompt, tokenizer, task, contexts, batch_size, device).argmax(dim=1).tolist()


def classification_metrics(logp, records, task, tokenizer):
    """accuracy of rank classification, and loss: the cross-entropy of the right label's tokens over
    the whole vocabulary (nats per label token, the quantity tuning minimises). Accuracy only asks
    which label scores highest; the loss also says how firmly the model answers."""
    gold = torch.tensor([task.labels.index(r["label"]) for r in records])  # (N,)
    n_tokens = sum(len(tokenizer.encode(" " + r["label"])) for r in records)
    return {"accuracy": (logp.argmax(dim=1) == gold).sum().item() / len(records),
            "loss": -logp.gather(1, gold[:, None]).sum().item() / n_tokens}


@torch.no_grad()
def answer_loss(model, prompt, examples, batch_size=64, device="cpu"):
    """Mean cross-entropy per answer token over examples (the generation task's loss)."""
    total, count = 0.0, 0
    for start in range(0, len(examples), batch_size):
        idx, targets = make_batch(examples[start: start + batch_size], device)
        total -= answer_logprob(model, idx, targets, prompt).sum().item()
        count += (targets != -100).sum().item()
    return total / max(count, 1)


@torch.no_grad()
def generate_texts(model, prompt, tokenizer, contexts, max_new_tokens=80, batch_size=32, device="cpu",
                   prompt_index=None):
    """Greedy continuations of each context, cut at end-of-text. With a prompt bank (K, P, C),
    prompt_index lists each context's prompt."""
    outputs = []  # each row stops where its own context is full (GPT.generate), whatever its neighbours
    for start in range(0, len(contexts), batch_size):
        chunk = contexts[start: start + batch_size]
        idx, _ = make_batch([(c, [0]) for c in chunk], device)  # right-padded contexts
        lengths = torch.tensor([len(c) for c in chunk])
        ix = None if prompt_index is None else torch.tensor(prompt_index[start: start + batch_size], device=device)
        for ids in model.generate(idx, max_new_tokens, prompt=prompt, lengths=lengths, eot_id=tokenizer.eot_id,
                                  prompt_index=ix):
            outputs.append(tokenizer.decode(ids).strip())
    return outputs


def predict(model, prompt, tokenizer, task, contexts, max_new_tokens=80, device="cpu"):
    """What the task asks for, for each encoded context: a label (classification) or a generated text."""
    if task.kind == "classification":
        return [task.labels[i] for i in classify(model, prompt, tokenizer, task, contexts, device=device)]
    return generate_texts(model, prompt, tokenizer, contexts, max_new_tokens, device=device)


@torch.no_grad()
def bank_label_logprobs(model, bank, tokenizer, tasks, index, contexts, batch_size=64, device="cpu"):
    """Rank classification under a prompt bank (K, P, C): context i is scored under prompt index[i] for
    the labels of tasks[index[i]]. Returns one (n_labels,) tensor of log p(label | context) per context,
    on the CPU. When every label is one token, one row per context; otherwise one row per (context,
    label), so labels may have any length. Tasks may differ in labels."""
    label_ids = [[tokenizer.encode(" " + label) for label in t.labels] for t in tasks]
    if all(len(ids) == 1 for labels in label_ids for ids in labels):  # one row per context scores every label
        scores = []
        for start in range(0, len(contexts), batch_size):
            idx, targets = make_batch([(c, [0]) for c in contexts[start: start + batch_size]], device)
            ks = index[start: start + batch_size]
            logits, _ = model(idx, targets, prompt=bank, answers_only=True,
                              prompt_index=torch.tensor(ks, device=device))  # (b, vocab)
            logp = F.log_softmax(logits.float(), dim=-1).cpu()  # (b, vocab)
            scores += [row[[ids[0] for ids in label_ids[k]]] for k, row in zip(ks, logp)]  # each (n_labels,)
        return scores
    pairs = [(k, c, a) for k, c in zip(index, contexts) for a in label_ids[k]]  # one row per (context, label)
    scores = []
    for start in range(0, len(pairs), batch_size):
        chunk = pairs[start: start + batch_size]
        idx, targets = make_batch([(c, a) for _, c, a in chunk], device)
        ix = torch.tensor([k for k, _, _ in chunk], device=device)  # (b,): each pair's prompt
        scores.append(answer_logprob(model, idx, targets, bank, ix).cpu())  # (b,)
    return list(torch.cat(scores).split([len(label_ids[k]) for k in index]))


@torch.no_grad()
def ensemble_labels(model, bank, tokenizer, task, contexts, batch_size=64, device="cpu"):
    """A prompt ensemble: the K prompts in bank (K, P, C), all trained for `task`, answer every context in
    one pass (each context replicated across the K prompts). Returns three answers per context: by the
    highest mean log-probability over the members, by the members' majority vote (ties to the higher
    mean log-probability), and each member's own (a list per member)."""
    K = bank.shape[0]
    index = [k for _ in contexts for k in range(K)]
    repeated = [c for c in contexts for _ in range(K)]
    scores = torch.stack(bank_label_logprobs(model, bank, tokenizer, [task] * K, index, repeated, batch_size, device))
    scores = scores.view(len(contexts), K, len(task.labels))  # (N, K, labels)
    members = scores.argmax(dim=2)  # (N, K): each member's answer
    mean = scores.mean(dim=1)  # (N, labels)
    counts = F.one_hot(members, len(task.labels)).sum(dim=1)  # (N, labels): votes
    voted = [max(range(len(task.labels)), key=lambda i: (c[i], m[i])) for c, m in zip(counts.tolist(), mean.tolist())]
    def names(ids):
        return [task.labels[i] for i in ids]
    return names(mean.argmax(dim=1).tolist()), names(voted), [names(row) for row in members.t().tolist()]


@torch.no_grad()
def predict_mixed(model, jobs, tokenizer, max_new_tokens=80, batch_size=64, device="cpu"):
    """Several tasks on one frozen base at once. jobs: [(task, prompt (P, C) or prefix, encoded contexts)];
    returns each job's outputs, as predict() would give them. Jobs whose prompts have one shape (method
    and length) and whose tasks one kind share a prompt bank: each (job, context) pair is a row under its job's prompt
    (prompt_index), so one batched pass serves any mix of tasks, each prompt computed once per batch."""
    outputs, groups = [None] * len(jobs), {}
    for j, (task, prompt, _) in enumerate(jobs):
        groups.setdefault((tuple(prompt.shape), task.kind), []).append(j)
    for (_, kind), members in groups.items():
        bank = torch.stack([jobs[j][1] for j in members])  # (K, P, C) or (K, L, 2, nh, P, hs)
        index = [k for k, j in enumerate(members) for _ in jobs[j][2]]  # each row's prompt
        contexts = [c for j in members for c in jobs[j][2]]
        if kind == "classification":
            tasks = [jobs[j][0] for j in members]
            scores = bank_label_logprobs(model, bank, tokenizer, tasks, index, contexts, batch_size, device)
            flat = [tasks[k].labels[int(s.argmax())] for k, s in zip(index, scores)]
        else:
            flat = generate_texts(model, bank, tokenizer, contexts, max_new_tokens, device=device, prompt_index=index)
        for j in members:  # the rows are in job order
            outputs[j], flat = flat[:len(jobs[j][2])], flat[len(jobs[j][2]):]
    return outputs


@torch.no_grad()
def evaluate(model, prompt, task, tokenizer, split, examples, device="cpu", generate=True):
    """The task's metrics on one split (examples: its encoded (context, answer) pairs): accuracy and the
    label loss for classification; for generation the answer loss (cross-entropy per answer token, as
    in training) and, unless generate=False, the metrics of greedy outputs. Validation during tuning
    passes generate=False: decoding every val example each time would cost more than the training."""
    model.eval()
    records = task.splits[split]
    contexts = [c for c, _ in examples]
    if task.kind == "classification":
        logp = label_logprobs(model, prompt, tokenizer, task, contexts, device=device)  # (N, labels)
        return classification_metrics(logp, records, task, tokenizer)
    metrics = {"loss": answer_loss(model, prompt, examples, device=device)}
    if generate:
        outputs = predict(model, prompt, tokenizer, task, contexts, device=device)
        metrics.update(generation_metrics(outputs, records, task.splits["train"]))
    return metrics


def selection_score(task, metrics):
    """What picks the best prompt on validation, higher is better: accuracy for classification; for
    generation minus the answer loss (evaluate(..., generate=False) does not decode)."""
    return metrics["accuracy"] if task.kind == "classification" else -metrics["loss"]


def words(text):
    return re.findall(r"[a-z']+|[!?]", text.lower())


class NaiveBayes:
    """Multinomial Naive Bayes over words with add-one smoothing, fitted on (text, class) pairs: word
    counting, no transformer. It is the style judge of generation_metrics, and in `tune_prompt.py
    --compare` the bag-of-words baseline a tuned prompt must beat on classification."""

    def __init__(self, pairs):
        self.counts, docs = {}, Counter()
        for text, cls in pairs:
            self.counts.setdefault(cls, Counter()).update(words(text))
            docs[cls] += 1
        self.log_prior = {c: math.log(n / sum(docs.values())) for c, n in docs.items()}
        self.vocab = len(set().union(*self.counts.values()))

    def predict(self, text):
        def score(cls):
            c = self.counts[cls]
            total = sum(c.values())
            return self.log_prior[cls] + sum(math.log((c[w] + 1) / (total + self.vocab)) for w in words(text))
        return max(sorted(self.counts), key=score)


def naive_bayes_accuracy(task, split):
    """Accuracy of NaiveBayes fitted on the task's train split, on another split."""
    nb = NaiveBayes((r["text"], r["label"]) for r in task.splits["train"])
    records = task.splits[split]
    return sum(nb.predict(r["text"]) == r["label"] for r in records) / len(records)


def card_fields(text):
    """[(field, value)] of a card, "name: Opal | category: headset | features: foldable, rechargeable",
    in order; None when the text is not one."""
    pairs = [tuple(part.split(": ", 1)) for part in text.split(" | ")]
    if not all(len(pair) == 2 and pair[0] and " " not in pair[0] for pair in pairs):
        return None
    return pairs


def generation_metrics(outputs, records, train_records):
    """attribute_recall: share of the requested attributes the output mentions (case-insensitive), and
    where every input is a card (see card_fields), recall_<field> for each of its fields that holds
    attributes (recall_name, recall_colour, ...); style_accuracy: share of outputs a style classifier
    fitted on train targets reads as the requested style; exact_match: share of outputs equal to the target."""
    m = {"exact_match": sum(o == r["target"].strip() for o, r in zip(outputs, records)) / len(records)}
    if all("attributes" in r for r in records):
        hits = [sum(a.lower() in o.lower() for a in r["attributes"]) / max(1, len(r["attributes"]))
                for o, r in zip(outputs, records)]
        m["attribute_recall"] = sum(hits) / len(hits)
        cards = [card_fields(r.get("input", "")) for r in records]
        if all(cards):
            by_field = {}  # {field: [hit or miss per attribute]}
            for o, r, card in zip(outputs, records, cards):
                for field, value in card:  # a value is one attribute ("sky blue") or a list ("foldable, compact")
                    values = [value] if value in r["attributes"] else value.split(", ")
                    by_field.setdefault(field, []).extend(v.lower() in o.lower() for v in values if v in r["attributes"])
            m.update({f"recall_{field}": sum(h) / len(h) for field, h in by_field.items() if h})
    if all("style" in r for r in records) and all("style" in r for r in train_records):
        clf = NaiveBayes((r["target"], r["style"]) for r in train_records)
        m["style_accuracy"] = sum(clf.predict(o) == r["style"] for o, r in zip(outputs, records)) / len(records)
    return m
