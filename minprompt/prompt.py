"""SoftPrompt: the only trained tensor in prompt tuning (or prefix tuning), its initialisations, and prompt files.

Used by `python tune_prompt.py` (trains and saves out/<task>/prompt.pt) and `python -m minprompt.predict`.

A soft prompt is P vectors of the model's width, shape (P, n_embd), placed in front of every input as
if they were token embeddings. Inits (`--init`):
- random  uniform in [-a, a] with a = sqrt(3) * std(embedding table), so its spread matches the
          embedding table's (a uniform on [-a, a] has std a / sqrt(3));
- vocab   embeddings of tokens drawn from the most frequent ones: BPE learns merges in order of
          frequency, so the first 1000 merged tokens stand in for a frequency list;
- text    the embeddings of a text's tokens (`--init-text`), cycled or cut to P;
- labels  the embeddings of the class labels' tokens first, then vocab samples (Lester et al. 2021
          found this init best).

Two methods (`--method`) train two shapes of tensor, used by the same attention path (model.py):
- prompt  P vectors in front of the input embeddings, (P, n_embd) (Lester et al. 2021);
- prefix  every layer's P keys and values, (n_layer, 2, n_head, P, head_size) (Li & Liang 2021,
          P-tuning v2): L x 2 x n_embd / n_embd times the numbers, and a say in every layer. It
          starts as the prefix its init's prompt produces (model.prefix_of), so every init works for it.

prompt.pt is one dict of plain data: the tensor, its method, init and length, the task (its name and,
from tune_prompt.py, its folder), labels and template, and the base's path, fingerprint and tokenizer
hash. Loading it onto another base is refused.
"""
from contextlib import nullcontext

import torch
import torch.nn as nn

from minprompt.checkpoint import atomic_save, load_file
from minprompt.distributed import all_reduce_sum
from minprompt.errors import UserError
from minprompt.model import prefix_of

INITS = ("random", "vocab", "text", "labels")
METHODS = ("prompt", "prefix")
PROMPT_FORMAT = "minprompt-prompt-v1"
N_FREQUENT = 1000
REQUIRED_KEYS = ("task", "kind", "labels", "template", "base_fingerprint", "tokenizer_hash")  # what predict reads


class SoftPrompt(nn.Module):
    """SoftPrompt(P, C): a prompt, (P, C); SoftPrompt(L, 2, nh, P, hs): a prefix (see prompt_shape)."""
    def __init__(self, *shape):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(shape))  # (P, C) or (L, 2, nh, P, hs)

    def forward(self):
        return self.weight  # (P, C) or (L, 2, nh, P, hs)


def prompt_shape(method, n_prompt, config):
    """The trained tensor's shape for --method and --n-prompt on a base of this GPTConfig."""
    if method == "prompt":
        return (n_prompt, config.n_embd)
    if method == "prefix":
        return (config.n_layer, 2, config.n_head, n_prompt, config.n_embd // config.n_head)
    raise ValueError(f"unknown method {method!r}; choose one of {METHODS}")


def method_of(t):
    """A prompt file's tensor -> its method: (P, C) is a prompt, (L, 2, nh, P, hs) a prefix."""
    return "prefix" if t.dim() == 5 else "prompt"


def init_prompt(prompt, init, model, tokenizer, init_text=None, labels=(), seed=0):
    """Fill prompt.weight in place from the frozen model's embedding table: P vectors (P, C) chosen by
    `init`; a prefix (L, 2, nh, P, hs) gets the keys and values those P vectors produce."""
    wte = model.transformer.wte.weight.detach()  # (vocab, C)
    P = prompt.weight.shape[-2]
    g = torch.Generator().manual_seed(seed)
    first_merge = 256
    frequent = torch.arange(first_merge, min(first_merge + N_FREQUENT, tokenizer.eot_id))  # most frequent merges
    if len(frequent) == 0:
        frequent = torch.arange(tokenizer.eot_id)
    sample = lambda n: frequent[torch.randint(len(frequent), (n,), generator=g)]
    if init == "random":
        a = 3 ** 0.5 * wte.std().item()
        rows = (torch.rand(P, wte.shape[1], generator=g) * 2 - 1) * a  # (P, C)
    elif init == "vocab":
        rows = wte[sample(P)]  # (P, C)
    elif init == "text":
        if not init_text:
            raise UserError("--init text needs --init-text", None, 'pass e.g. --init-text "Is this review positive or negative?"')
        ids = tokenizer.encode(init_text)
        rows = wte[torch.tensor([ids[i % len(ids)] for i in range(P)])]  # (P, C)
    elif init == "labels":
        ids = [i for label in labels for i in tokenizer.encode(" " + label)][:P]
        rows = torch.cat([wte[torch.tensor(ids, dtype=torch.long)], wte[sample(P - len(ids))]])  # (P, C)
    else:
        raise ValueError(f"unknown init {init!r}; choose one of {INITS}")
    with torch.no_grad():
        rows = rows.to(prompt.weight.device)  # (P, C)
        prompt.weight.copy_(prefix_of(model, rows) if method_of(prompt.weight) == "prefix" else rows)
    return prompt


def save_prompt(path, prompt_tensor, **meta):
    """Write prompt.pt atomically: the (P, C) or (L, 2, nh, P, hs) tensor, its method, and plain-data metadata."""
    atomic_save({"format": PROMPT_FORMAT, "prompt": prompt_tensor.detach().cpu().clone(),
                 "method": method_of(prompt_tensor), **meta}, path)


def load_prompt(path):
    ck = load_file(path, "prompt file", "train one with `python tune_prompt.py` or check --prompt")
    if not isinstance(ck, dict) or ck.get("format") != PROMPT_FORMAT or not torch.is_tensor(ck.get("prompt")):
        raise UserError("not a minprompt prompt file", path, "pass a prompt.pt written by tune_prompt.py")
    missing = [key for key in REQUIRED_KEYS if key not in ck]
    if missing:
        raise UserError(f"prompt file lacks {', '.join(missing)}", path, "pass a prompt.pt written by tune_prompt.py")
    method = ck.setdefault("method", "prompt")  # files from before prefix tuning hold prompts
    expected = {"prompt": (2, "(P, n_embd)"), "prefix": (5, "(n_layer, 2, n_head, P, head_size)")}.get(method)
    if expected is None:
        raise UserError(f"unknown method {method!r} in prompt file", path, f"the methods are {', '.join(METHODS)}")
    if ck["prompt"].dim() != expected[0] or not ck["prompt"].is_floating_point():
        raise UserError(f"{method} tensor has shape {tuple(ck['prompt'].shape)} and dtype {ck['prompt'].dtype}, "
                        f"expected {expected[1]} floats", path, "pass a prompt.pt written by tune_prompt.py")
    if not torch.isfinite(ck["prompt"]).all():
        raise UserError("prompt holds NaN or infinite values", path, "retrain it with `python tune_prompt.py --overwrite`")
    return ck


def check_prompt_matches_base(ck, base_fingerprint, tokenizer_hash, path, config=None):
    """Refuse a prompt trained on another base: its vectors only mean something to that model."""
    if ck["base_fingerprint"] != base_fingerprint:
        raise UserError(f"prompt was trained on base {ck['base_fingerprint'][:12]}, this base is {base_fingerprint[:12]}",
                        path, "pass the --base it was trained on, or retrain the prompt on this base")
    if ck["tokenizer_hash"] != tokenizer_hash:
        raise UserError(f"prompt was trained with tokenizer {ck['tokenizer_hash'][:12]}, this base has "
                        f"{tokenizer_hash[:12]}", path, "retrain the prompt on this base")
    shape = tuple(ck["prompt"].shape)  # a hand-made file with this base's fingerprint may still not fit it
    if config is not None and shape != prompt_shape(ck["method"], shape[-2], config):
        raise UserError(f"{ck['method']} tensor has shape {shape}, this base needs "
                        f"{prompt_shape(ck['method'], shape[-2], config)}", path,
                        "pass the --base it was trained on, or retrain the prompt on this base")


def check_ensemble(paths, cks):
    """Members of one ensemble: one classification task, one label set, one template, one prompt length."""
    first = cks[0]
    for path, ck in zip(paths, cks):
        if ck["kind"] != "classification":
            raise UserError(f"an ensemble combines label scores, and this prompt is for {ck['kind']}", path,
                            "ensembles are for classification tasks")
        for key, what in (("task", "task"), ("labels", "labels"), ("template", "template")):
            if ck[key] != first[key]:
                raise UserError(f"ensemble members must share one {what}: {ck[key]!r} here, {first[key]!r} in {paths[0]}",
                                path, "pass prompts trained for the same task")
        if ck["prompt"].shape != first["prompt"].shape:
            raise UserError(f"ensemble members must have one method and prompt length: {ck['method']} of "
                            f"{ck['prompt'].shape[-2]} here, {first['method']} of {first['prompt'].shape[-2]} in "
                            f"{paths[0]}", path, "pass prompts of one --method and --n-prompt")


def nearest_tokens(prompt_tensor, model, tokenizer, k=3):
    """For each prompt vector (P, C), the k vocabulary tokens whose embeddings are closest in cosine."""
    wte = model.transformer.wte.weight.detach().float().cpu()  # (vocab, C)
    p = prompt_tensor.detach().float().cpu()  # (P, C)
    cos = nn.functional.normalize(p, dim=1) @ nn.functional.normalize(wte, dim=1).T  # (P, vocab)
    top = cos.topk(k, dim=1)
    return [[(tokenizer.decode([i]), s) for i, s in zip(ids.tolist(), sims.tolist())]
            for ids, sims in zip(top.indices, top.values)]


def make_optimizer(soft, lr):
    """AdamW over the prompt alone: no base parameter is ever handed to an optimizer. Fused on CUDA."""
    return torch.optim.AdamW(soft.parameters(), lr=lr, weight_decay=1e-5, fused=soft.weight.is_cuda)


def tuning_step(model, soft, optimizer, micro_batches, autocast=None, world=None):
    """One optimizer step of prompt tuning: loss of the frozen model with the prompt in front, backward
    (the gradient reaches only the prompt), clip, update; returns the step's loss. A non-finite loss is
    returned without a step. micro_batches: [(idx (B, T), targets (B, T), share)], share being the
    micro-batch's part of the step's answer tokens over all processes: [(idx, targets, 1.0)] for a plain
    step. Each loss is scaled by its share, so the gradients add up to that of the step's token-mean loss
    (--grad-accum; under torchrun the prompt's gradient and the loss are then summed over the processes,
    see minprompt/distributed.py). model: the frozen GPT, or anything called as its forward is (a compiled
    one; the benchmark's partial(forward_concatenated, model), the literal-concatenation reference)."""
    optimizer.zero_grad(set_to_none=True)
    step_loss = torch.zeros((), device=soft.weight.device)
    for idx, targets, share in micro_batches:
        with autocast or nullcontext():
            _, loss = model(idx, targets, prompt=soft(), answers_only=True)
        (loss * share).backward()
        step_loss += loss.detach().float() * share
    if world is not None:
        all_reduce_sum(world, step_loss, soft.weight.grad)  # the one tensor with a gradient
    if torch.isfinite(step_loss):
        torch.nn.utils.clip_grad_norm_(soft.parameters(), 1.0)
        optimizer.step()
    return step_loss
