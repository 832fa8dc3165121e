"""The two attention implementations agree, with and without a shared prefix, in values and gradients;
and a shared prefix gives the same result as concatenating it into every sequence."""
import torch
from hypothesis import given, settings, strategies as st

from minprompt.attention import attention

shapes = st.tuples(st.integers(1, 3), st.integers(1, 3), st.integers(1, 12), st.integers(0, 6), st.sampled_from([4, 8]))


def random_qkv(B, nh, T, P, hs, seed):
    g = torch.Generator().manual_seed(seed)
    make = lambda *s: torch.randn(*s, generator=g, dtype=torch.float64, requires_grad=True)
    q, k, v = make(B, nh, T, hs), make(B, nh, T, hs), make(B, nh, T, hs)
    pk, pv = (make(1, nh, P, hs), make(1, nh, P, hs)) if P else (None, None)
    return q, k, v, pk, pv


def run(impl, q, k, v, pk, pv, mask=None):
    tensors = [t for t in (q, k, v, pk, pv) if t is not None]
    out = attention(q, k, v, pk, pv, impl=impl, mask=mask)
    grads = torch.autograd.grad((out * torch.linspace(-1, 1, out.numel(), dtype=out.dtype).view_as(out)).sum(), tensors)
    return out, grads


@settings(max_examples=60, deadline=None)
@given(shapes, st.integers(0, 2 ** 16))
def test_math_and_sdpa_agree(shape, seed):
    qkv = random_qkv(*shape, seed)
    out_math, grads_math = run("math", *qkv)
    out_sdpa, grads_sdpa = run("sdpa", *qkv)
    torch.testing.assert_close(out_sdpa, out_math)
    for a, b in zip(grads_sdpa, grads_math):
        torch.testing.assert_close(a, b)


@settings(max_examples=40, deadline=None)
@given(shapes, st.sampled_from(["math", "sdpa"]), st.integers(0, 2 ** 16))
def test_prefix_equals_concatenation(shape, impl, seed):
    """A prefix of P keys is the same as P extra rows in front, of which we keep the last T outputs."""
    B, nh, T, P, hs = shape
    q, k, v, pk, pv = random_qkv(B, nh, T, P, hs, seed)
    out = attention(q, k, v, pk, pv, impl=impl)  # (B, nh, T, hs)
    if P == 0:
        full = attention(q, k, v, impl="math")
    else:
        # explicit concatenation: the prefix rows get queries of their own, which we then drop
        pq = torch.randn(1, nh, P, hs, dtype=q.dtype).expand(B, -1, -1, -1)
        cat = lambda a, b: torch.cat([a.expand(B, -1, -1, -1), b], dim=2)
        full = attention(cat(pq, q), cat(pk, k), cat(pv, v), impl="math")[:, :, P:]
    torch.testing.assert_close(out, full)


def test_query_sees_every_prefix_key_and_only_past_text_keys():
    B, nh, T, P, hs = 1, 1, 4, 3, 2
    q = torch.zeros(B, nh, T, hs, dtype=torch.float64)  # uniform attention over whatever is visible
    k = torch.zeros(B, nh, T, hs, dtype=torch.float64)
    v = torch.arange(T, dtype=torch.float64).view(1, 1, T, 1).expand(B, nh, T, hs)
    pk = torch.zeros(1, nh, P, hs, dtype=torch.float64)
    pv = torch.full((1, nh, P, hs), 10.0, dtype=torch.float64)
    for impl in ("math", "sdpa"):
        out = attention(q, k, v, pk, pv, impl=impl)[0, 0, :, 0]
        # query i averages 3 prefix values (10) and text values 0..i
        expected = torch.tensor([(30 + sum(range(i + 1))) / (P + i + 1) for i in range(T)], dtype=torch.float64)
        torch.testing.assert_close(out, expected)


@settings(max_examples=30, deadline=None)
@given(shapes, st.integers(0, 2 ** 16))
def test_explicit_mask_agrees_between_impls(shape, seed):
    B, nh, T, P, hs = shape
    q, k, v, pk, pv = random_qkv(B, nh, T, P, hs, seed)
    g = torch.Generator().manual_seed(seed)
    mask = torch.rand(B, T, P + T, generator=g) < 0.7
    mask[..., -1] = True  # every query sees at least one key
    out_math, grads_math = run("math", q, k, v, pk, pv, mask)
    out_sdpa, grads_sdpa = run("sdpa", q, k, v, pk, pv, mask)
    torch.testing.assert_close(out_sdpa, out_math)
    for a, b in zip(grads_sdpa, grads_math):
        torch.testing.assert_close(a, b)
