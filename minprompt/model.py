"""GPT: the GPT-2 architecture, small enough to pretrain on a laptop, with soft-prompt support.

Used by `python train_base.py` (pretraining), `python tune_prompt.py` (frozen, with a prompt),
`python -m minprompt.predict` and `python -m minprompt.serve`.

Exactly GPT-2 (so the weights map one-to-one onto transformers' GPT2LMHeadModel): learned absolute
positions, pre-LayerNorm blocks (eps 1e-5), tanh-approximated GELU, biases everywhere, causal
self-attention, a final LayerNorm and an LM head tied to the token embedding. No dropout: the model sees
each token of the bundled corpus only a few times. Module names follow GPT-2's (transformer.h.0.attn.c_attn...).

A soft prompt is a (P, n_embd) tensor that behaves as if it were concatenated in front of every
sequence: prompt at positions 0..P-1, text from P on. There is one path through the model:

    embed:  x = [prompt rows (P, C) ; text rows (B*T, C)]         (P + B*T, C), a `Layout` says which is which
    blocks: x = block(x, layout)                                  the prompt's rows run once, not once per row
    head:   logits at the text rows (or only at the scored ones)  (B*T, vocab) or (N, vocab)

In attention every text row sees the prompt's keys and values as its first P keys (attention.py).
Without a prompt P = 0 and x is just the batch. A prompt bank (K prompts of P vectors, one chosen per
row: several tasks in one batch) puts K*P prompt rows on top; each row attends to its own prompt's
keys and values. Cached generation runs the same path: its first pass
computes the prompt's keys and values with the batch and keeps them in the KVCache, shared by every row
and every new token. `forward_concatenated` is the textbook version, kept as the reference.

Prefix tuning (Li & Liang 2021; P-tuning v2) is the same attention with the prompt's keys and values
given instead of computed: a prefix (L, 2, n_head, P, head_size) holds every layer's P keys and values,
no prompt row runs through the blocks, and the text still sits at positions P on. `prefix_of(prompt)`
turns a soft prompt into the prefix it produces, which gives the same outputs (tested).
"""
import math
from dataclasses import dataclass, fields, replace

import torch
import torch.nn as nn
import torch.nn.functional as F

from minprompt.attention import attention


@dataclass
class GPTConfig:
    block_size: int = 256  # context length, prompt included
    vocab_size: int = 2048
    n_layer: int = 4
    n_head: int = 4
    n_embd: int = 256
    attn_impl: str = "sdpa"  # "sdpa" (fast) or "math" (reference); not part of the weights

    @classmethod
    def from_dict(cls, d):
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})


PRESETS = {
    "tiny": GPTConfig(block_size=128, n_layer=2, n_head=2, n_embd=64),  # tests: trains in seconds
    "small": GPTConfig(block_size=256, n_layer=4, n_head=4, n_embd=128),  # the laptop default (train_base.py)
    "medium": GPTConfig(block_size=256, n_layer=4, n_head=4, n_embd=256),  # the benchmark's size
    "large": GPTConfig(block_size=512, n_layer=8, n_head=8, n_embd=512),  # one GPU
}


def preset(name, **overrides):
    return replace(PRESETS[name], **overrides)


@dataclass(frozen=True)
class Layout:
    """What the rows of the activations x (K*P + B*T, C) are: K prompts of P rows (K = 1 but for a prompt
    bank), then B sequences of T text rows each, row-major. Every block of one forward pass gets the same
    layout, except that the last one is told to output only text rows (`last_block`).

    Cached generation adds `slot` and `mask`: the cache column the text rows' keys and values go to
    (column slot + t for token t of every row), and which keys each text row may see."""
    n_prompt: int  # P rows per prompt (0: no prompt)
    batch: int  # B
    length: int  # T text rows per sequence
    n_prompts: int = 1  # K prompts on top, K*P rows (K > 1: a prompt bank, one prompt per sequence)
    prompt_index: torch.Tensor | None = None  # (B,) long: each sequence's prompt (None: all use prompt 0)
    slot: int = 0  # generation only: the cache column of each row's first token here
    mask: torch.Tensor | None = None  # (B, T, P + S) bool, generation only: keys each text row may see
    text_only: bool = False  # the last block: no later block needs the prompt's rows
    keep: torch.Tensor | None = None  # with text_only, (B*T,) bool: only the rows the loss reads

    @property
    def prompt_rows(self):
        return self.n_prompts * self.n_prompt  # K*P

    def each_row(self, t):
        """t: (K, ...) one entry per prompt -> (B, ...) each sequence's own, or t itself (K = 1, broadcast)."""
        return t if self.prompt_index is None else t[self.prompt_index]

    def last_block(self, keep):
        return replace(self, text_only=True, keep=keep)

    def kept_text(self, t):
        """t: (B*T, C), one row per text position -> the rows kept: (B*T, C) or (N, C)."""
        return t if self.keep is None else t[self.keep]

    def out_rows(self, x):
        """x: (P + B*T, C) -> the rows a block passes on: all of them, or in the last block the kept text rows."""
        return self.kept_text(x[self.prompt_rows:]) if self.text_only else x


class CausalSelfAttention(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.config = config
        self.n_head = config.n_head
        self.c_attn = nn.Linear(config.n_embd, 3 * config.n_embd)  # q, k, v in one matmul
        self.c_proj = nn.Linear(config.n_embd, config.n_embd)

    def heads(self, t, B, T):
        """(B*T, C) rows -> (B, nh, T, hs)."""
        return t.view(B, T, self.n_head, t.shape[1] // self.n_head).transpose(1, 2)

    def forward(self, x, layout, kv=None, given=None):
        """x: (K*P + B*T, C) laid out as `layout` says; kv: this layer's KVCache during generation;
        given: prefix tuning's keys and values for this layer, (K, 2, nh, P', hs) (then x has no prompt rows).
        Each prompt's rows attend causally among themselves (K sequences: they never see the text);
        each text row attends to [its prompt's P keys, its own sequence's keys up to itself].
        Returns the rows layout.out_rows names, after the output projection."""
        K, P, B, T, C = layout.n_prompts, layout.n_prompt, layout.batch, layout.length, x.shape[1]
        q, k, v = self.c_attn(x).split(C, dim=1)  # 3 x (K*P + B*T, C): one matmul for prompts and text
        pq, pk, pv = (self.heads(t[:K * P], K, P) for t in (q, k, v))  # (K, nh, P, hs)
        q, k, v = (self.heads(t[K * P:], B, T) for t in (q, k, v))  # (B, nh, T, hs)
        if given is not None:
            pk, pv = given.to(q.dtype).unbind(1)  # (K, nh, P', hs) each
        prefix = (layout.each_row(pk), layout.each_row(pv)) if pk.shape[2] else (None, None)  # (1 or B, nh, P, hs)
        if kv is not None:  # generation: the first pass stores the prompt's keys, every pass its text keys
            if prefix[0] is not None:
                kv.prefix = prefix
            prefix = kv.prefix
            k, v = kv.update(layout.slot, k, v)  # (B, nh, S, hs) each: the columns in use
        impl = self.config.attn_impl
        y = attention(q, k, v, *prefix, impl=impl, mask=layout.mask)  # (B, nh, T, hs)
        y = y.transpose(1, 2).reshape(B * T, C)  # (B*T, C)
        if layout.text_only:
            return self.c_proj(layout.kept_text(y))  # (B*T, C) or (N, C)
        if P:
            y_prompt = attention(pq, pk, pv, impl=impl).transpose(1, 2).reshape(K * P, C)  # (K*P, C)
            y = torch.cat([y_prompt, y])  # (K*P + B*T, C)
        return self.c_proj(y)  # (K*P + B*T, C)


class MLP(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.c_fc = nn.Linear(config.n_embd, 4 * config.n_embd)
        self.c_proj = nn.Linear(4 * config.n_embd, config.n_embd)

    def forward(self, x):
        return self.c_proj(F.gelu(self.c_fc(x), approximate="tanh"))  # (rows, C)


class Block(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.ln_1 = nn.LayerNorm(config.n_embd, eps=1e-5)
        self.attn = CausalSelfAttention(config)
        self.ln_2 = nn.LayerNorm(config.n_embd, eps=1e-5)
        self.mlp = MLP(config)

    def forward(self, x, layout, kv=None, given=None):
        """x: (K*P + B*T, C) -> the same rows; in the last block only the kept text rows: (N, C)."""
        x = layout.out_rows(x) + self.attn(self.ln_1(x), layout, kv, given)  # attention reads every row
        return x + self.mlp(self.ln_2(x))


POSITION_INIT_SCALE = 0.028  # each column's RMS about 0.02, the std of every other weight's init


def sinusoids(T, C):
    """(T, C): the original Transformer's position code, sin and cos of pos * 10000^(-2i/C) in columns 2i
    and 2i+1: a starting point for GPT-2's learned position table (`train_base.py --position-init
    sinusoid`, the default; GPT-2 starts it random). At step 0 the dot product of the rows for positions
    p and p + k then depends on k alone, what attention needs to find "the token k back". Only the
    initialisation changes; the table is still learned and exported as GPT-2's. On the bundled corpus it
    gave the default seed, one of three tried, the skill of copying from the card (README: Results)."""
    pos = torch.arange(T).float()[:, None]  # (T, 1)
    freq = torch.exp(-math.log(10000.0) * torch.arange(0, C, 2).float() / C)  # (ceil(C/2),)
    table = torch.zeros(T, C)
    table[:, 0::2] = torch.sin(pos * freq)
    table[:, 1::2] = torch.cos(pos * freq)[:, : C // 2]
    return table


class GPT(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.config = config
        self.transformer = nn.ModuleDict(dict(
            wte=nn.Embedding(config.vocab_size, config.n_embd),
            wpe=nn.Embedding(config.block_size, config.n_embd),
            h=nn.ModuleList([Block(config) for _ in range(config.n_layer)]),
            ln_f=nn.LayerNorm(config.n_embd, eps=1e-5),
        ))
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        self.lm_head.weight = self.transformer.wte.weight  # tied, as in GPT-2
        self.apply(self._init_weights)
        for name, p in self.named_parameters():  # GPT-2: residual projections scaled by 1/sqrt(2 * n_layer)
            if name.endswith("c_proj.weight"):
                nn.init.normal_(p, mean=0.0, std=0.02 / (2 * config.n_layer) ** 0.5)

    def _init_weights(self, module):
        if isinstance(module, (nn.Linear, nn.Embedding)):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)
        if isinstance(module, nn.Linear) and module.bias is not None:
            nn.init.zeros_(module.bias)

    def num_params(self):
        return sum(p.numel() for p in self.parameters())  # the tied embedding counts once

    def forward(self, idx, targets=None, prompt=None, answers_only=False, cache=None, slot=0, prompt_index=None):
        """idx: (B, T) token ids; targets: (B, T) ids or -100 (ignored); prompt: (P, C) soft prompt
        vectors, (L, 2, n_head, P, head_size) prefix keys and values (prefix tuning), or None.
        Returns logits (B, T, vocab) for the text positions and the mean cross-entropy (or None).
        answers_only=True (with targets): the last block's MLP and the LM head run only at the N
        positions that have a target, and logits come back as (N, vocab), one row per target in
        row-major order. Same loss, less work when few positions are scored (prompt tuning scores
        only the answer tokens): no other position's output can reach the loss.
        A prompt bank: prompt (K, P, C) (or K prefixes, (K, L, 2, n_head, P, head_size)) and prompt_index
        (B,) long; row b then behaves exactly as if prompt[prompt_index[b]] were in front of it alone,
        and each prompt runs once.
        cache, slot: generation (see generate): the KVCache, and the cache column where this call's
        tokens go (slot + t for token t); the first call, at slot 0, passes the prompt."""
        B, T = idx.shape
        bank = self._bank(prompt, prompt_index, B)  # (K, P, C), (K, L, 2, nh, P, hs) or None
        K, P = (1, 0) if bank is None else (bank.shape[0], bank.shape[-2])
        given = [None] * self.config.n_layer  # per layer, prefix tuning's (K, 2, nh, P, hs)
        if bank is not None and bank.dim() == 6:  # a prefix: no prompt rows, P keys and values per layer
            given, bank = bank.unbind(1), None
        rows = 0 if bank is None else P  # prompt rows on top of the text, per prompt
        keep = self._answer_rows(targets, answers_only)  # (B*T,) bool or None
        if cache is None:
            self._check_length(P, T)
            pos, kvs = torch.arange(P, P + T, device=idx.device), [None] * len(self.transformer.h)  # pos (T,)
            layout = Layout(n_prompt=rows, batch=B, length=T, n_prompts=K, prompt_index=prompt_index)
        else:  # each row's positions, and the keys each token may see, built once for every layer
            pos, kvs = cache.positions(slot, T), cache.layers  # pos (B, T)
            layout = Layout(n_prompt=rows, batch=B, length=T, n_prompts=K, prompt_index=prompt_index, slot=slot,
                            mask=cache.mask(slot, T))
        x = self.embed(idx, bank, pos)  # (K*P + B*T, C)
        for block, kv, g in zip(self.transformer.h[:-1], kvs, given):
            x = block(x, layout, kv, g)  # (K*P + B*T, C)
        x = self.transformer.h[-1](x, layout.last_block(keep), kvs[-1], given[-1])  # (B*T, C), or (N, C) kept
        return self.head(x, targets, keep, B, T)

    def embed(self, idx, bank, pos):
        """Token plus position embeddings of the text (positions pos: (T,) or (B, T)), with the K prompts'
        rows (each plus positions 0..P-1) on top: (K*P + B*T, C)."""
        x = self.transformer.wte(idx) + self.transformer.wpe(pos)  # (B, T, C)
        x = x.view(-1, x.shape[-1])  # (B*T, C)
        if bank is None:
            return x
        prompts = bank + self.transformer.wpe(torch.arange(bank.shape[1], device=idx.device))  # (K, P, C)
        return torch.cat([prompts.view(-1, x.shape[-1]), x])  # (K*P + B*T, C)

    def _bank(self, prompt, prompt_index, B):
        """prompt (P, C) -> (1, P, C), a prefix (L, 2, nh, P, hs) -> (1, L, 2, nh, P, hs); a bank (K, P, C)
        or (K, L, 2, nh, P, hs) needs prompt_index (B,) with values in 0..K-1."""
        if prompt is not None and prompt.dim() not in (2, 3, 5, 6):
            raise ValueError(f"a prompt is (P, n_embd) or a prefix (n_layer, 2, n_head, P, head_size), optionally "
                             f"with a bank dimension in front; got shape {tuple(prompt.shape)}")
        if prompt is None or prompt.dim() in (2, 5):
            if prompt_index is not None:
                raise ValueError("prompt_index needs a prompt bank: prompt of shape (K, P, n_embd)")
            return None if prompt is None else prompt[None]
        if prompt_index is None or prompt_index.shape != (B,):
            raise ValueError(f"a prompt bank of {prompt.shape[0]} prompts needs prompt_index of shape ({B},), one "
                             f"prompt per row, got {None if prompt_index is None else tuple(prompt_index.shape)}")
        return prompt  # (K, P, C); an index out of range fails in the gather, as any index would

    def head(self, x, targets, keep, B, T):
        """x: the text rows (B*T, C), or the N kept ones -> logits (B, T, vocab) or (N, vocab), and the loss."""
        logits = self.lm_head(self.transformer.ln_f(x))  # (B*T, vocab) or (N, vocab)
        if keep is None:
            logits = logits.view(B, T, -1)  # (B, T, vocab)
        if targets is None:
            return logits, None
        targets = targets.reshape(-1) if keep is None else targets.reshape(-1)[keep]  # (B*T,) or (N,)
        return logits, F.cross_entropy(logits.view(-1, logits.size(-1)), targets, ignore_index=-100)

    def _answer_rows(self, targets, answers_only):
        """answers_only: (B*T,) bool, True where a target is scored; otherwise None (every row)."""
        if answers_only and targets is None:
            raise ValueError("answers_only=True needs targets: they say which positions are answers")
        # Under torch.compile the kept rows would have a data-dependent count (a graph break), so the
        # compiled step computes every position; the loss is the same, only the logits' shape differs.
        if not answers_only or torch.compiler.is_compiling():
            return None
        return (targets != -100).reshape(-1)  # (B*T,)

    def _check_length(self, P, T):
        if P + T > self.config.block_size:
            raise ValueError(f"prompt length {P} + text length {T} = {P + T} exceeds the model's context "
                             f"(block_size {self.config.block_size})")

    # ---- generation ------------------------------------------------------------------------------
    @torch.no_grad()
    def generate(self, idx, max_new_tokens, prompt=None, lengths=None, temperature=0.0, top_k=None,
                 eot_id=None, use_cache=True, prompt_index=None):
        """Continue each row of idx (B, T), right-padded, with row b's real length lengths[b] (default T).
        temperature 0 is greedy; otherwise sample from softmax(logits / temperature), optionally
        restricted to the top_k tokens. A row stops after it produces eot_id, or when it fills the
        context (block_size, prompt included): each row as far as it alone could go, whatever the other
        rows are. Returns a list of B lists of new token ids (eot excluded). A prompt bank (K, P, C)
        with prompt_index (B,): each row its own prompt.

        With use_cache (the default) the first pass computes the prompt's keys/values with the batch
        and keeps them, shared by every row and every new token, and each row's own keys/values in
        its slots of a KVCache, so each step runs only the B new tokens. use_cache=False recomputes
        the whole sequence every step (the reference, and the baseline in the benchmark)."""
        B, T = idx.shape
        P = 0 if prompt is None else prompt.shape[-2]
        lengths = torch.full((B,), T, device=idx.device) if lengths is None else lengths.to(idx.device)
        self._check_length(P, int(lengths.max()))
        room = self.config.block_size - P - lengths  # (B,): new tokens that fit behind each row
        max_new_tokens = min(max_new_tokens, int(room.max()))
        done = torch.zeros(B, dtype=torch.bool, device=idx.device)
        rows = torch.arange(B, device=idx.device)
        cache = KVCache(self, lengths, T, max_new_tokens, P) if use_cache else None
        seqs = torch.cat([idx, idx.new_zeros(B, max_new_tokens)], dim=1)  # (B, T+N): room for new tokens
        logits, _ = self(idx, prompt=prompt, cache=cache, prompt_index=prompt_index)  # (B, T, vocab)
        next_logits = logits[rows, lengths - 1]  # (B, vocab): each row's last real position
        new_ids = []  # one (B,) tensor per step; read back once at the end, not token by token
        for step in range(max_new_tokens):
            next_id = _pick(next_logits, temperature, top_k)  # (B,)
            new_ids.append(next_id)
            if eot_id is not None:
                done |= next_id == eot_id
            done |= room <= step + 1  # this row's context is full
            if done.all() or step == max_new_tokens - 1:
                break
            if use_cache:  # only the new tokens, one per row, in the cache's next column
                next_logits = self(next_id[:, None], cache=cache, slot=T + step)[0][:, -1]  # (B, vocab)
            else:
                seqs[rows, lengths] = next_id
                lengths = lengths + (~done).long()  # a finished row stays as it is
                logits, _ = self(seqs[:, :int(lengths.max())], prompt=prompt, prompt_index=prompt_index)  # (B, T', vocab)
                next_logits = logits[rows, lengths - 1]  # (B, vocab)
        rows_out = torch.stack(new_ids, dim=1).tolist() if new_ids else [[] for _ in range(B)]  # B lists
        rows_out = [row[:max(0, r)] for row, r in zip(rows_out, room.tolist())]  # what fits in each row's context
        return [row[: row.index(eot_id)] if eot_id in row else row for row in rows_out]


class KVCache:
    """Keys and values kept during generation, in the style of gpt-fast: buffers made up front, one
    pair per layer, written at the column the caller passes; the caller builds each step's mask and
    positions once, from what the cache was made with (nothing in it changes but the buffers).

    Column c holds, in every row, the key of the c-th token fed: columns 0..width-1 the first call's
    right-padded contexts, then one column per new token. Row b's context is lengths[b] tokens long:
    its columns lengths[b]..width-1 are padding, never visible to a real token, and its new tokens'
    positions follow its real context. The prompt's keys and values (the prefix, n_prefix of them)
    are kept once per layer, shared by every row (batch size 1; with a prompt bank, each row's own
    prompt's): the first call stores them."""

    def __init__(self, model, lengths, width, max_new_tokens, n_prefix):
        c, weight = model.config, model.lm_head.weight
        device = weight.device
        # under autocast the keys come out of the projections in the autocast dtype (bf16 on CUDA)
        dtype = torch.get_autocast_dtype(device.type) if torch.is_autocast_enabled(device.type) else weight.dtype
        self.lengths, self.width, self.n_prefix = lengths.to(device), width, n_prefix  # lengths (B,)
        self.last_position = c.block_size - 1
        shape = (len(lengths), c.n_head, width + max_new_tokens, c.n_embd // c.n_head)  # (B, nh, S, hs)
        self.layers = [LayerKV(shape, dtype, device) for _ in range(c.n_layer)]

    def positions(self, slot, T):
        """(B, T): the positions of T tokens per row fed at columns slot..slot+T-1 (the prompt is 0..P-1)."""
        col = slot + torch.arange(T, device=self.lengths.device)  # (T,)
        new = self.lengths[:, None] + (col - self.width)  # (B, T): a new token follows its row's context
        # a row that has filled its context stays at the last position (its tokens are thrown away)
        return (self.n_prefix + torch.where(col < self.width, col, new)).clamp(max=self.last_position)  # (B, T)

    def mask(self, slot, T):
        """(B, T, n_prefix + slot + T) bool: may the token at column slot + t of row b see a key? Every
        prefix key; a column up to its own, unless it is that row's padding."""
        dev = self.lengths.device
        col = slot + torch.arange(T, device=dev)  # (T,) the queries' columns
        key = torch.arange(slot + T, device=dev)  # (S,) the key columns in use
        real = (key[None] < self.lengths[:, None]) | (key[None] >= self.width)  # (B, S): not padding
        visible = (key[None, None, :] <= col[None, :, None]) & real[:, None, :]  # (B, T, S)
        return torch.cat([visible.new_ones(*visible.shape[:2], self.n_prefix), visible], dim=2)


class LayerKV:
    def __init__(self, shape, dtype, device):
        self.k = torch.zeros(shape, dtype=dtype, device=device)  # (B, nh, S, hs)
        self.v = torch.zeros(shape, dtype=dtype, device=device)  # (B, nh, S, hs)
        self.prefix = (None, None)  # the prompt's (k, v), (1 or B, nh, P, hs) each, once the first call has run

    def update(self, slot, k, v):
        """Write k, v (B, nh, T, hs) at columns slot..slot+T-1; return the columns in use, 0..slot+T-1,
        (B, nh, slot+T, hs) each."""
        end = slot + k.shape[2]
        self.k[:, :, slot:end] = k
        self.v[:, :, slot:end] = v
        return self.k[:, :, :end], self.v[:, :, :end]


def forward_concatenated(model, idx, targets=None, prompt=None, answers_only=False, prompt_index=None):
    """THE REFERENCE, not the fast path: the prompt literally concatenated in front of every row, B
    sequences of P + T positions through the blocks. GPT.forward must give the same logits, loss and
    prompt gradient (tests/test_model.py); the benchmark times it as a contender. Same arguments (a
    prompt is required) and returns; with a bank (K, P, C), row b gets prompt[prompt_index[b]]."""
    B, T = idx.shape
    P = prompt.shape[-2]
    model._check_length(P, T)
    rows = prompt[prompt_index] if prompt.dim() == 3 else prompt[None].expand(B, -1, -1)  # (B, P, C)
    x = torch.cat([rows, model.transformer.wte(idx)], dim=1)  # (B, P+T, C)
    x = x + model.transformer.wpe(torch.arange(P + T, device=idx.device))  # (B, P+T, C)
    answers = model._answer_rows(targets, answers_only)  # (B*T,) bool or None
    text = torch.ones(B, T, dtype=torch.bool, device=idx.device) if answers is None else answers.view(B, T)
    text = F.pad(text, (P, 0)).reshape(-1)  # (B*(P+T),): the text rows the head reads; no prompt position
    layout = Layout(n_prompt=0, batch=B, length=P + T)  # no shared prefix: each sequence has its own copy
    x = x.view(B * (P + T), -1)  # (B*(P+T), C)
    for block in model.transformer.h[:-1]:
        x = block(x, layout)  # (B*(P+T), C)
    x = model.transformer.h[-1](x, layout.last_block(text))  # (B*T, C) or (N, C)
    return model.head(x, targets, answers, B, T)


def prefix_of(model, prompt):
    """The prefix a soft prompt (P, C) amounts to: every layer's keys and values of the prompt's rows,
    (L, 2, nh, P, hs). model(idx, prompt=prefix_of(model, p)) gives model(idx, prompt=p)'s outputs
    (tests/test_model.py); prefix tuning starts from it, and it is differentiable in the prompt."""
    P, C = prompt.shape
    layout = Layout(n_prompt=0, batch=1, length=P)  # the prompt's rows as one sequence of its own
    x = prompt + model.transformer.wpe(torch.arange(P, device=prompt.device))  # (P, C)
    layers = []
    for block in model.transformer.h:
        k, v = block.attn.c_attn(block.ln_1(x)).split(C, dim=1)[1:]  # (P, C) each
        layers.append(torch.stack([block.attn.heads(t, 1, P)[0] for t in (k, v)]))  # (2, nh, P, hs)
        x = block(x, layout)  # (P, C): the next layer's input (it projects k, v again: once per init, kept plain)
    return torch.stack(layers)  # (L, 2, nh, P, hs)


def _pick(logits, temperature, top_k):
    """logits (B, vocab) -> next ids (B,)."""
    if temperature == 0:
        return logits.argmax(dim=-1)
    logits = logits / temperature
    if top_k is not None:
        kth = torch.topk(logits, min(top_k, logits.size(-1))).values[:, -1:]  # (B, 1)
        logits = logits.masked_fill(logits < kth, float("-inf"))
    return torch.multinomial(torch.softmax(logits, dim=-1), num_samples=1)[:, 0]  # (B,)
