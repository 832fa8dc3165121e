"""GPT: the GPT-2 architecture, small enough to pretrain on a laptop, with soft-prompt support.

Used by `python train_base.py` (pretraining), `python tune_prompt.py` (frozen, with a prompt) and
`python -m minprompt.predict`.

Exactly GPT-2 (so the weights map one-to-one onto transformers' GPT2LMHeadModel): learned absolute
positions, pre-LayerNorm blocks (eps 1e-5), tanh-approximated GELU, biases everywhere, causal
self-attention, a final LayerNorm and an LM head tied to the token embedding. No dropout: the model sees
each token of the bundled corpus only a few times. Module names follow GPT-2's (transformer.h.0.attn.c_attn...).

A soft prompt is a (P, n_embd) tensor that behaves as if it were concatenated in front of every
sequence: prompt at positions 0..P-1, text from P on. `forward(idx, prompt=prompt)` gets the same
result without the concatenation: the prompt's P rows go through the blocks once per batch, stacked
with the batch's B*T text rows (so every projection and MLP is one matmul for both), and in each layer
the batch attends to the prompt's keys and values (see attention.py). Cached generation computes the
same keys and values with `prompt_kv` and starts its KV cache from them.
"""
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


class CausalSelfAttention(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.config = config
        self.n_head = config.n_head
        self.c_attn = nn.Linear(config.n_embd, 3 * config.n_embd)  # q, k, v in one matmul
        self.c_proj = nn.Linear(config.n_embd, config.n_embd)

    def forward(self, x, prefix=None, cache=None, keep=None):
        """x: (B, T, C); prefix: this layer's prompt (k, v), each (1, nh, P, hs), or None;
        cache: a LayerCache during generation; keep: (B, T) bool, the rows whose output is wanted (all
        rows still give keys/values). Returns y (B, T, C), or (N, C) for the N kept rows, and (k, v)."""
        B, T, C = x.shape
        q, k, v = self.c_attn(x).split(C, dim=2)  # 3 x (B, T, C)
        q, k, v = (t.view(B, T, self.n_head, C // self.n_head).transpose(1, 2) for t in (q, k, v))  # (B, nh, T, hs)
        new_kv = (k, v)
        mask = None
        if cache is not None:
            k, v, mask = cache.update(k, v)  # (B, nh, S, hs) x 2, mask (B, T, P+S)
        prefix_k, prefix_v = prefix if prefix is not None else (None, None)
        y = attention(q, k, v, prefix_k, prefix_v, impl=self.config.attn_impl, mask=mask)  # (B, nh, T, hs)
        y = y.transpose(1, 2).contiguous().view(B, T, C)  # (B, T, C)
        if keep is not None:
            y = y[keep]  # (N, C)
        return self.c_proj(y), new_kv

    def forward_packed(self, x, P, B, T, keep=None):
        """The shared prefix's fast path. x: (P + B*T, C), the prompt's P rows, then the batch's B*T rows.
        Projections run on all rows at once; in attention the prompt's rows attend causally among
        themselves (batch size 1) and the batch's queries attend to [prompt keys, their own keys].
        Returns y (P + B*T, C), or (N, C) for the N kept text rows, and the prompt's (k, v)."""
        C, hs = x.shape[1], x.shape[1] // self.n_head
        q, k, v = self.c_attn(x).split(C, dim=1)  # 3 x (P + B*T, C)
        pq, pk, pv = (t[:P].view(1, P, self.n_head, hs).transpose(1, 2) for t in (q, k, v))  # (1, nh, P, hs)
        q, k, v = (t[P:].view(B, T, self.n_head, hs).transpose(1, 2) for t in (q, k, v))  # (B, nh, T, hs)
        impl = self.config.attn_impl
        y = attention(q, k, v, pk, pv, impl=impl).transpose(1, 2).reshape(B * T, C)  # (B*T, C)
        if keep is not None:
            return self.c_proj(y[keep.reshape(-1)]), (pk, pv)  # (N, C): no later layer needs the prompt's rows
        y_prompt = attention(pq, pk, pv, impl=impl).transpose(1, 2).reshape(P, C)  # (P, C)
        return self.c_proj(torch.cat([y_prompt, y])), (pk, pv)  # (P + B*T, C)


class MLP(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.c_fc = nn.Linear(config.n_embd, 4 * config.n_embd)
        self.c_proj = nn.Linear(4 * config.n_embd, config.n_embd)

    def forward(self, x):
        return self.c_proj(F.gelu(self.c_fc(x), approximate="tanh"))  # (B, T, C)


class Block(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.ln_1 = nn.LayerNorm(config.n_embd, eps=1e-5)
        self.attn = CausalSelfAttention(config)
        self.ln_2 = nn.LayerNorm(config.n_embd, eps=1e-5)
        self.mlp = MLP(config)

    def forward(self, x, prefix=None, cache=None, keep=None, packed=None):
        """x: (B, T, C); or, with packed=(P, B, T), the prompt's and the batch's rows (P + B*T, C)."""
        if packed is None:
            y, kv = self.attn(self.ln_1(x), prefix, cache, keep)
        else:
            y, kv = self.attn.forward_packed(self.ln_1(x), *packed, keep)
        if keep is not None:  # only these rows go on through the MLP: (N, C)
            x = x[keep] if packed is None else x[packed[0]:][keep.reshape(-1)]
        x = x + y  # (B, T, C) or (N, C)
        x = x + self.mlp(self.ln_2(x))  # (B, T, C) or (N, C)
        return x, kv


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

    # ---- the soft prompt's shared prefix --------------------------------------------------------
    def prompt_kv(self, prompt):
        """Run the prompt (P, C) alone through the blocks at batch size 1; return each layer's (k, v),
        each (1, nh, P, hs): what generation starts its KV cache from, once for every row and token.
        (forward() gets the same keys and values with the prompt's rows stacked onto the batch's.)"""
        P = prompt.shape[0]
        pos = torch.arange(P, device=prompt.device)
        x = (prompt + self.transformer.wpe(pos))[None]  # (1, P, C)
        kvs = []
        for block in self.transformer.h:
            x, kv = block(x)  # x (1, P, C); kv: 2 x (1, nh, P, hs)
            kvs.append(kv)
        return kvs

    def _check_length(self, P, T):
        if P + T > self.config.block_size:
            raise ValueError(f"prompt length {P} + text length {T} = {P + T} exceeds the model's context "
                             f"(block_size {self.config.block_size})")

    def forward(self, idx, targets=None, prompt=None, shared_prefix=True, answers_only=False):
        """idx: (B, T) token ids; targets: (B, T) ids or -100 (ignored); prompt: (P, C) or None.
        Returns logits (B, T, vocab) for the text positions and the mean cross-entropy (or None).
        shared_prefix=False runs the literal concatenation instead: the reference the fast path is
        tested against, and a contender in the benchmark.
        answers_only=True (with targets): the last block's MLP and the LM head run only at the N
        positions that have a target, and logits come back as (N, vocab), one row per target in
        row-major order. Same loss, less work when few positions are scored (prompt tuning scores
        only the answer tokens): no other position's output can reach the loss."""
        B, T = idx.shape
        P = 0 if prompt is None else prompt.shape[0]
        self._check_length(P, T)
        if answers_only and targets is None:
            raise ValueError("answers_only=True needs targets: they say which positions are answers")
        # Under torch.compile the kept rows would have a data-dependent count (a graph break), so the
        # compiled step computes every position; the loss is the same, only the logits' shape differs.
        answers_only = answers_only and not torch.compiler.is_compiling()
        keep = targets != -100 if answers_only else None  # (B, T) bool or None
        last = self.config.n_layer - 1
        tok = self.transformer.wte(idx)  # (B, T, C)
        if prompt is not None and not shared_prefix:
            x = torch.cat([prompt[None].expand(B, -1, -1), tok], dim=1)  # (B, P+T, C)
            x = x + self.transformer.wpe(torch.arange(P + T, device=idx.device))  # (B, P+T, C)
            keep_all = None if keep is None else F.pad(keep, (P, 0))  # (B, P+T): no prompt position is kept
            for i, block in enumerate(self.transformer.h):
                x, _ = block(x, keep=keep_all if i == last else None)
            x = x[:, P:] if keep is None else x  # (B, T, C) the text positions, or already (N, C)
        elif prompt is not None:
            # The shared prefix: the prompt's P rows go through the blocks once, stacked with the batch's
            # B*T rows (P + B*T rows, not B*(P+T)), so each projection and MLP is one matmul for both.
            tok = tok + self.transformer.wpe(torch.arange(P, P + T, device=idx.device))  # (B, T, C)
            x = torch.cat([prompt + self.transformer.wpe(torch.arange(P, device=idx.device)),
                           tok.view(B * T, -1)])  # (P + B*T, C)
            for i, block in enumerate(self.transformer.h):
                x, _ = block(x, keep=keep if i == last else None, packed=(P, B, T))  # last maybe (N, C)
            x = x[P:].view(B, T, -1) if keep is None else x  # (B, T, C) the text rows, or already (N, C)
        else:
            x = tok + self.transformer.wpe(torch.arange(T, device=idx.device))  # (B, T, C)
            for i, block in enumerate(self.transformer.h):
                x, _ = block(x, keep=keep if i == last else None)  # (B, T, C), last maybe (N, C)
        logits = self.lm_head(self.transformer.ln_f(x))  # (B, T, vocab) or (N, vocab)
        loss = None
        if targets is not None:
            targets = targets[keep] if answers_only else targets  # (N,) or (B, T)
            loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.reshape(-1), ignore_index=-100)
        return logits, loss

    # ---- generation ------------------------------------------------------------------------------
    @torch.no_grad()
    def generate(self, idx, max_new_tokens, prompt=None, lengths=None, temperature=0.0, top_k=None,
                 eot_id=None, use_cache=True):
        """Continue each row of idx (B, T), right-padded, with row b's real length lengths[b] (default T).
        temperature 0 is greedy; otherwise sample from softmax(logits / temperature), optionally
        restricted to the top_k tokens. A row stops after it produces eot_id. Returns a list of B lists
        of new token ids (eot excluded).

        With use_cache (the default) the prompt's keys/values are computed once and shared by every
        row and every new token, and each row's own keys/values are kept in a KVCache, so each step
        runs only the B new tokens. use_cache=False recomputes the whole sequence every step (the
        reference, and the baseline in the benchmark)."""
        B, T = idx.shape
        P = 0 if prompt is None else prompt.shape[0]
        self._check_length(P, T + max_new_tokens)
        lengths = torch.full((B,), T, device=idx.device) if lengths is None else lengths.to(idx.device)
        done = torch.zeros(B, dtype=torch.bool, device=idx.device)
        rows = torch.arange(B, device=idx.device)
        if use_cache:
            cache = KVCache(self.prompt_kv(prompt) if prompt is not None else None, B, T + max_new_tokens, self)
            logits = self._forward_cached(idx, cache)  # (B, T, vocab)
            cache.lengths = lengths.clone()
        else:
            seqs = torch.cat([idx, idx.new_zeros(B, max_new_tokens)], dim=1)  # (B, T+N): room for new tokens
            logits, _ = self(idx, prompt=prompt)  # (B, T, vocab)
        next_logits = logits[rows, lengths - 1]  # (B, vocab): each row's last real position
        new_ids = []  # one (B,) tensor per step; read back once at the end, not token by token
        for step in range(max_new_tokens):
            next_id = _pick(next_logits, temperature, top_k)  # (B,)
            new_ids.append(next_id)
            if eot_id is not None:
                done |= next_id == eot_id
            if done.all() or step == max_new_tokens - 1:
                break
            if use_cache:
                next_logits = self._forward_cached(next_id[:, None], cache)[:, -1]  # (B, vocab)
                cache.lengths += 1
            else:
                seqs[rows, lengths] = next_id
                lengths = lengths + 1
                logits, _ = self(seqs[:, :int(lengths.max())], prompt=prompt)  # (B, T', vocab)
                next_logits = logits[rows, lengths - 1]  # (B, vocab)
        rows_out = torch.stack(new_ids, dim=1).tolist() if new_ids else [[] for _ in range(B)]  # B lists
        return [row[: row.index(eot_id)] if eot_id in row else row for row in rows_out]

    def _forward_cached(self, idx, cache):
        """Run new tokens idx (B, T) at each row's current length, through the cache."""
        P = cache.n_prefix
        cache.begin(idx.shape[1])  # slots and mask for these T tokens, shared by every layer
        pos = P + cache.lengths[:, None] + torch.arange(idx.shape[1], device=idx.device)  # (B, T)
        x = self.transformer.wte(idx) + self.transformer.wpe(pos)  # (B, T, C)
        for block, layer_cache in zip(self.transformer.h, cache.layers):
            x, _ = block(x, layer_cache.prefix, layer_cache)  # (B, T, C)
        return self.lm_head(self.transformer.ln_f(x))  # (B, T, vocab)


class KVCache:
    """Keys and values kept during generation. The prompt's (prefix) keys/values are stored once, at
    batch size 1, and shared by all rows; each row's text keys/values live in slots 0..max_len-1,
    slot = the token's position after the prompt. `lengths[b]` is how many slots of row b are valid."""

    def __init__(self, prefixes, batch_size, max_len, model):
        c = model.config
        shape = (batch_size, c.n_head, max_len, c.n_embd // c.n_head)  # (B, nh, S, hs)
        dev = model.lm_head.weight.device
        self.n_prefix = 0 if prefixes is None else prefixes[0][0].shape[2]
        self.lengths = torch.zeros(batch_size, dtype=torch.long, device=dev)
        self.used = 0  # slots any row may have written: a Python int, so no device sync per token
        self.layers = [LayerCache(self, None if prefixes is None else prefixes[i], shape)
                       for i in range(c.n_layer)]

    def begin(self, T):
        """Before T new tokens per row: their slots lengths[b] .. lengths[b]+T-1, and the mask (B, T, P+S)
        over the first S = used + T slots: prefix always visible, slot s visible to new token t of
        row b when s <= lengths[b] + t (older tokens and itself; stale slots stay hidden). Computed
        once per step, not once per layer; attention only looks at the S slots in use."""
        B, dev = self.lengths.shape[0], self.lengths.device
        self.used += T
        self.slots = self.lengths[:, None] + torch.arange(T, device=dev)  # (B, T)
        visible = torch.arange(self.used, device=dev)[None, None, :] <= self.slots[:, :, None]  # (B, T, S)
        self.mask = torch.cat([visible.new_ones(B, T, self.n_prefix), visible], dim=2)  # (B, T, P+S)


class LayerCache:
    def __init__(self, parent, prefix, shape):
        self.parent, self.prefix, self.shape = parent, prefix, shape
        self.k = self.v = None  # (B, nh, S, hs) each, made at the first update in k's dtype (bf16 under autocast)

    def update(self, k, v):
        """Write new k, v (B, nh, T, hs) at the slots KVCache.begin chose; return the S slots in use,
        (B, nh, S, hs) each, and the step's mask (B, T, P+S)."""
        parent = self.parent
        if self.k is None:
            self.k = k.new_zeros(self.shape)  # (B, nh, S, hs)
            self.v = v.new_zeros(self.shape)  # (B, nh, S, hs)
        rows = torch.arange(k.shape[0], device=k.device)[:, None]  # (B, 1)
        self.k[rows, :, parent.slots] = k.transpose(1, 2)  # indexed view is (B, T, nh, hs)
        self.v[rows, :, parent.slots] = v.transpose(1, 2)
        return self.k[:, :, :parent.used], self.v[:, :, :parent.used], parent.mask


def _pick(logits, temperature, top_k):
    """logits (B, vocab) -> next ids (B,)."""
    if temperature == 0:
        return logits.argmax(dim=-1)
    logits = logits / temperature
    if top_k is not None:
        kth = torch.topk(logits, min(top_k, logits.size(-1))).values[:, -1:]  # (B, 1)
        logits = logits.masked_fill(logits < kth, float("-inf"))
    return torch.multinomial(torch.softmax(logits, dim=-1), num_samples=1)[:, 0]  # (B,)
