"""Causal self-attention with an optional shared prefix (the soft prompt's keys and values).

Used by minprompt/model.py; every script that runs the model goes through here.

Soft prompt tuning puts P prompt vectors in front of every sequence. Those rows never see the input
(attention is causal), so their keys and values are the same for every example in a batch. The model
computes them once per batch (the prompt's rows run as one sequence, batch size 1), and every
example's T queries attend to

    keys   = [prefix_k (P keys, shared by the batch) | k (its own T keys)]      (B, nh, P+T, hs)

under a bottom-right-aligned causal mask: query i sees all P prefix keys and its own keys 0..i.
For P = 3, T = 3 (1 = may attend):

            prefix  text
    query 0  1 1 1   1 0 0
    query 1  1 1 1   1 1 0
    query 2  1 1 1   1 1 1

Two implementations that must agree (tests/test_attention.py checks values and gradients):
- `math`: the textbook formula with an explicit mask, easy to read and step through;
- `sdpa`: torch's scaled_dot_product_attention with `causal_lower_right`, so that CUDA can pick its
  fused flash / memory-efficient kernels and no dense (T, P+T) mask is built on the fast path.

`mask` is only needed by cached generation, where examples in a batch have different lengths and
each one's padding in the cache must stay hidden (model.KVCache.mask builds it, once per step).
"""
import math

import torch
import torch.nn.functional as F
from torch.nn.attention.bias import causal_lower_right

IMPLS = ("sdpa", "math")


def attention(q, k, v, prefix_k=None, prefix_v=None, impl="sdpa", mask=None):
    """q: (B, nh, T, hs); k, v: (B, nh, S, hs); prefix_k, prefix_v: (1 or B, nh, P, hs) or None.
    Without `mask`, S == T and attention is causal (bottom-right aligned when there is a prefix).
    mask: optional (B, T, P+S) bool, True where query t may see key s; the caller then owns causality
    (cached generation: S cache slots, T new queries). Returns (B, nh, T, hs)."""
    B, nh, T, hs = q.shape
    if prefix_k is not None:
        # The prompt's keys/values are broadcast, not recomputed: the only per-example copy is this
        # concatenation of small (P, hs) tensors, never the prompt's pass through the MLPs.
        k = torch.cat([prefix_k.expand(B, -1, -1, -1), k], dim=2)  # (B, nh, P+S, hs)
        v = torch.cat([prefix_v.expand(B, -1, -1, -1), v], dim=2)  # (B, nh, P+S, hs)
    S = k.shape[2]  # number of keys: prefix + text (or prefix + cache)
    if impl == "math":
        return _math_attention(q, k, v, mask)
    if impl != "sdpa":
        raise ValueError(f"unknown attention impl {impl!r}; choose one of {IMPLS}")
    if mask is not None:
        return F.scaled_dot_product_attention(q, k, v, attn_mask=mask[:, None])  # (B, nh, T, hs)
    if S == T:
        return F.scaled_dot_product_attention(q, k, v, is_causal=True)  # (B, nh, T, hs)
    if torch.compiler.is_compiling():
        # torch.compile cannot build the CausalBias object inside a graph (it would break the graph
        # there); a (T, S) boolean mask, shared by the batch, gives the same result and keeps the
        # memory-efficient kernel eligible.
        return F.scaled_dot_product_attention(q, k, v, attn_mask=causal_mask(T, S, q.device))
    return F.scaled_dot_product_attention(q, k, v, attn_mask=causal_lower_right(T, S))  # (B, nh, T, hs)


def causal_mask(T, S, device):
    """(T, S) bool: query i sits at key position i + (S - T) and sees every key up to itself."""
    query_pos = torch.arange(T, device=device)[:, None] + (S - T)  # (T, 1)
    key_pos = torch.arange(S, device=device)[None, :]  # (1, S)
    return key_pos <= query_pos  # (T, S)


def _math_attention(q, k, v, mask=None):
    """softmax(q k^T / sqrt(hs) + mask) v, spelled out."""
    T, S, hs = q.shape[2], k.shape[2], q.shape[3]
    scores = q @ k.transpose(-2, -1) / math.sqrt(hs)  # (B, nh, T, S)
    allowed = mask[:, None] if mask is not None else causal_mask(T, S, q.device)  # (B, 1, T, S) or (T, S)
    scores = scores.masked_fill(~allowed, float("-inf"))  # (B, nh, T, S)
    weights = torch.softmax(scores, dim=-1)  # (B, nh, T, S)
    return weights @ v  # (B, nh, T, hs)
