"""GPT: architecture facts, causality, batch independence, the loss convention, the shared-prefix
fast path against explicit concatenation, and cached generation against recomputation."""
from functools import partial

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings, strategies as st

from minprompt.model import GPT, POSITION_INIT_SCALE, PRESETS, forward_concatenated, prefix_of, preset, sinusoids

V = 97


def tiny(impl="sdpa", seed=0, **kw):
    torch.manual_seed(seed)
    model = GPT(preset("tiny", vocab_size=V, block_size=48, attn_impl=impl, **kw)).double().eval()
    for p in model.parameters():  # larger than GPT-2's init so that differences would show
        p.data.normal_(0, 0.3)
    return model


def test_presets_and_gpt2_layout():
    assert [PRESETS[n].n_embd for n in ("tiny", "small", "medium", "large")] == [64, 128, 256, 512]
    model = GPT(preset("tiny", vocab_size=V))
    assert model.lm_head.weight is model.transformer.wte.weight  # tied
    names = set(dict(model.named_parameters()))
    for name in ["transformer.wte.weight", "transformer.wpe.weight", "transformer.h.0.ln_1.weight",
                 "transformer.h.0.attn.c_attn.bias", "transformer.h.1.mlp.c_proj.weight", "transformer.ln_f.bias"]:
        assert name in names
    c = model.config
    per_block = 12 * c.n_embd ** 2 + 13 * c.n_embd  # GPT-2: attn 4d^2+4d, mlp 8d^2+5d, two LayerNorms 4d
    assert model.num_params() == V * c.n_embd + c.block_size * c.n_embd + c.n_layer * per_block + 2 * c.n_embd


@settings(max_examples=30, deadline=None)
@given(st.sampled_from(["tiny", "small", "medium", "large"]), st.integers(0, 10 ** 6), st.integers(0, 10 ** 6),
       st.integers(0, 10 ** 6))
def test_a_sinusoid_position_table_relates_two_positions_by_their_distance_alone(name, a, b, c):
    """<table[p], table[p + k]> is the same for every p: the offset k, not where the pair sits, is what a
    dot product of positions sees (`train_base.py --position-init sinusoid`). GPT-2's random table has no
    such law, which the last line checks."""
    config = preset(name)
    T, C = config.block_size, config.n_embd
    table = (sinusoids(T, C) * POSITION_INIT_SCALE).double()  # (T, C)
    k, p, q = a % T, b % T, c % T
    p, q = p % (T - k), q % (T - k)  # both pairs inside the table
    norm = POSITION_INIT_SCALE ** 2 * C / 2  # |row|^2: each column's RMS is about 0.02
    assert torch.dot(table[p], table[p]).item() == pytest.approx(norm, rel=1e-4)
    assert torch.dot(table[p], table[p + k]).item() == pytest.approx(torch.dot(table[q], table[q + k]).item(), abs=1e-4 * norm)
    torch.manual_seed(0)
    random = GPT(preset("tiny", vocab_size=V)).transformer.wpe.weight.detach().double()  # (128, 64)
    assert abs(torch.dot(random[0], random[1]) - torch.dot(random[2], random[3])).item() > 1e-4


@settings(max_examples=15, deadline=None)
@given(st.integers(1, 30), st.integers(0, 2 ** 16))
def test_changing_token_t_never_changes_earlier_logits(t, seed):
    model = tiny()
    g = torch.Generator().manual_seed(seed)
    idx = torch.randint(V, (2, 32), generator=g)
    changed = idx.clone()
    changed[:, t] = (changed[:, t] + 1) % V
    a, _ = model(idx)
    b, _ = model(changed)
    torch.testing.assert_close(a[:, :t], b[:, :t], rtol=0, atol=0)
    assert not torch.allclose(a[:, t:], b[:, t:])


@pytest.mark.parametrize("impl", ["sdpa", "math"])
def test_an_example_does_not_depend_on_its_batch(impl):
    model = tiny(impl)
    g = torch.Generator().manual_seed(1)
    idx = torch.randint(V, (5, 20), generator=g)
    prompt = torch.randn(4, 64, generator=g, dtype=torch.float64)
    for p in (None, prompt):
        batch, _ = model(idx, prompt=p)
        alone = torch.cat([model(idx[i:i + 1], prompt=p)[0] for i in range(5)])
        torch.testing.assert_close(batch, alone)


def test_loss_ignores_minus_100_and_is_cross_entropy():
    model = tiny()
    idx = torch.randint(V, (3, 10))
    targets = torch.randint(V, (3, 10))
    targets[:, :4] = -100
    logits, loss = model(idx, targets)
    expected = F.cross_entropy(logits[:, 4:].reshape(-1, V), targets[:, 4:].reshape(-1))
    torch.testing.assert_close(loss, expected)


def test_too_long_is_an_error_before_any_work():
    model = tiny()
    with pytest.raises(ValueError, match="exceeds the model's context"):
        model(torch.zeros(1, 45, dtype=torch.long), prompt=torch.zeros(4, 64, dtype=torch.float64))


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 4), st.integers(1, 16), st.integers(1, 12), st.sampled_from(["sdpa", "math"]),
       st.integers(0, 8), st.integers(0, 2 ** 16))
def test_shared_prefix_equals_concatenation(B, T, P, impl, n_pad, seed):
    """logits, loss and the prompt's gradient of the fast path equal those of explicit concatenation,
    with some positions ignored as padding."""
    model = tiny(impl)
    g = torch.Generator().manual_seed(seed)
    idx = torch.randint(V, (B, T), generator=g)
    targets = torch.randint(V, (T, B), generator=g).t()  # (B, T), not contiguous, like a slice of a wider batch
    targets[:, T - min(n_pad, T - 1):] = -100  # right padding, at least one real target per row
    targets[:, 1:][torch.rand(B, T - 1, generator=g) < 0.3] = -100  # and holes, as around answers
    prompt = torch.randn(P, 64, generator=g, dtype=torch.float64, requires_grad=True)
    results = []
    for shared in (True, False):
        for answers_only in (False, True):  # answers_only: logits only at the targets, same loss
            forward = model if shared else partial(forward_concatenated, model)
            logits, loss = forward(idx, targets, prompt=prompt, answers_only=answers_only)
            (grad,) = torch.autograd.grad(loss, prompt)
            results.append((logits if answers_only else logits[targets != -100], loss, grad))
    reference = results[2]  # literal concatenation, every position computed
    for other in results:
        for fast, ref in zip(other, reference):
            torch.testing.assert_close(fast, ref)
    torch.testing.assert_close(model(idx, prompt=prompt)[0], forward_concatenated(model, idx, prompt=prompt)[0])


def as_prefixes(model, prompts):
    """(P, C) -> its prefix (L, 2, nh, P, hs); a bank (K, P, C) -> (K, L, 2, nh, P, hs)."""
    if prompts.dim() == 2:
        return prefix_of(model, prompts)
    return torch.stack([prefix_of(model, p) for p in prompts])


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 4), st.integers(1, 16), st.integers(1, 12), st.sampled_from(["sdpa", "math"]),
       st.integers(0, 2 ** 16))
def test_the_prefix_a_prompt_produces_gives_that_prompts_outputs(B, T, P, impl, seed):
    """Prefix tuning's path (keys and values given per layer, no prompt rows) against the literal
    concatenation of the prompt they came from: logits, loss, and the gradient through prefix_of."""
    model = tiny(impl)
    g = torch.Generator().manual_seed(seed)
    idx = torch.randint(V, (B, T), generator=g)
    targets = torch.randint(V, (B, T), generator=g)
    targets[:, 1:][torch.rand(B, T - 1, generator=g) < 0.3] = -100
    prompt = torch.randn(P, 64, generator=g, dtype=torch.float64, requires_grad=True)
    prefix = prefix_of(model, prompt)  # (L, 2, nh, P, hs)
    assert prefix.shape == (2, 2, 2, P, 32)
    ref_logits, ref_loss = forward_concatenated(model, idx, targets, prompt=prompt)
    for answers_only in (False, True):
        logits, loss = model(idx, targets, prompt=prefix, answers_only=answers_only)
        torch.testing.assert_close(logits, ref_logits[targets != -100] if answers_only else ref_logits)
        torch.testing.assert_close(loss, ref_loss)
        torch.testing.assert_close(*(torch.autograd.grad(l, prompt, retain_graph=True)[0] for l in (loss, ref_loss)))


def _right_padded(seqs):
    T = max(len(s) for s in seqs)
    idx = torch.zeros(len(seqs), T, dtype=torch.long)
    for i, s in enumerate(seqs):
        idx[i, :len(s)] = torch.tensor(s)
    return idx, torch.tensor([len(s) for s in seqs])


def _greedy_one_by_one(model, seq, n, prompt, eot_id):
    """The plainest reference: one sequence at a time, full forward, argmax, no cache, no padding."""
    seq, out = list(seq), []
    for _ in range(n):
        logits, _ = model(torch.tensor([seq]), prompt=prompt)
        nxt = int(logits[0, -1].argmax())
        if nxt == eot_id:
            break
        out.append(nxt)
        seq.append(nxt)
    return out


@settings(max_examples=15, deadline=None)
@given(st.lists(st.lists(st.integers(0, V - 1), min_size=1, max_size=10), min_size=1, max_size=4),
       st.integers(0, 6), st.integers(1, 12), st.integers(0, 2 ** 16))
def test_cached_generation_equals_uncached_greedy(seqs, P, n_new, seed):
    model = tiny()
    g = torch.Generator().manual_seed(seed)
    prompt = torch.randn(P, 64, generator=g, dtype=torch.float64) if P else None
    idx, lengths = _right_padded(seqs)
    eot_id = seed % V  # some runs stop early, most run to n_new
    expected = [_greedy_one_by_one(model, s, n_new, prompt, eot_id) for s in seqs]
    cached = model.generate(idx, n_new, prompt=prompt, lengths=lengths, eot_id=eot_id)
    uncached = model.generate(idx, n_new, prompt=prompt, lengths=lengths, eot_id=eot_id, use_cache=False)
    assert cached == expected
    assert uncached == expected


def test_cached_generation_runs_under_bf16_autocast():
    """tune_prompt.py evaluates a generation task under autocast (bf16 on CUDA): the cache must take the
    keys' dtype, not the weights' (fp32 buffers refused bf16 writes)."""
    torch.manual_seed(0)
    model = GPT(preset("tiny", vocab_size=V, block_size=48)).eval()  # fp32 weights, as loaded
    idx, lengths = _right_padded([[1, 2, 3, 4, 5], [6, 7, 8]])
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
        out = model.generate(idx, 10, prompt=torch.randn(4, 64), lengths=lengths)
    assert [len(row) for row in out] == [10, 10] and all(0 <= t < V for row in out for t in row)


def test_generation_stops_at_end_of_text():
    model = tiny()
    idx = torch.randint(V, (2, 5))
    free = model.generate(idx, 8)
    eot = free[0][2]  # make the third generated token of row 0 the end-of-text token
    stopped = model.generate(idx, 8, eot_id=eot)
    assert stopped[0] == free[0][:free[0].index(eot)]
    assert all(len(row) <= 8 for row in stopped)


def test_sampling_respects_top_k():
    model = tiny()
    idx = torch.randint(V, (4, 5))
    torch.manual_seed(0)
    greedy = model.generate(idx, 1)
    sampled = model.generate(idx, 1, temperature=1.0, top_k=1)
    assert sampled == greedy


def test_prompt_tuning_step_compiles_without_graph_breaks():
    """`--compile` needs the whole training forward (shared prefix, causal_lower_right SDPA, answers-only
    loss) traced as one graph. backend="eager" traces with torch.compile's frontend but skips codegen,
    so this runs in seconds on any CPU; fullgraph=True turns any graph break into an error."""
    torch._dynamo.reset()
    model = tiny()
    prompt = torch.randn(5, 64, dtype=torch.float64, requires_grad=True)
    idx = torch.randint(V, (3, 12))
    targets = torch.full((3, 12), -100)
    targets[:, -1] = 7
    compiled = torch.compile(model, fullgraph=True, backend="eager")
    _, loss = compiled(idx, targets, prompt=prompt, answers_only=True)  # as tuning_step calls it
    (grad,) = torch.autograd.grad(loss, prompt)
    _, ref = model(idx, targets, prompt=prompt, answers_only=True)
    torch.testing.assert_close(loss, ref)
    assert torch.isfinite(grad).all() and grad.abs().sum() > 0


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 4), st.integers(1, 6), st.integers(1, 5), st.integers(1, 10), st.sampled_from(["sdpa", "math"]),
       st.integers(0, 2 ** 16), st.sampled_from(["prompt", "prefix"]))
def test_a_prompt_bank_equals_each_row_concatenated_with_its_own_prompt(K, P, B, T, impl, seed, method):
    """A bank (K, P, C) with prompt_index (B,): repeats and unused prompts included. Logits, loss and the
    bank's gradient equal the literal concatenation of each row's prompt; each row's logits equal that row
    run alone with its prompt; a prompt no row uses gets no gradient. method "prefix": the same for a bank
    of the prefixes (K, L, 2, nh, P, hs) those prompts produce."""
    model = tiny(impl)
    g = torch.Generator().manual_seed(seed)
    idx = torch.randint(V, (B, T), generator=g)
    targets = torch.randint(V, (B, T), generator=g)
    targets[:, 1:][torch.rand(B, T - 1, generator=g) < 0.3] = -100  # holes, as around answers
    bank = torch.randn(K, P, 64, generator=g, dtype=torch.float64, requires_grad=True)
    ix = torch.randint(K, (B,), generator=g)
    tested = bank if method == "prompt" else as_prefixes(model, bank)  # (K, P, C) or (K, L, 2, nh, P, hs)
    for answers_only in (False, True):
        results = []
        for forward, b in ((model, tested), (partial(forward_concatenated, model), bank)):
            logits, loss = forward(idx, targets, prompt=b, prompt_index=ix, answers_only=answers_only)
            results.append((logits, loss, *torch.autograd.grad(loss, bank, retain_graph=True)))
        for fast, ref in zip(*results):
            torch.testing.assert_close(fast, ref)
        unused = [k for k in range(K) if k not in ix.tolist()]
        assert (results[0][2][unused] == 0).all()
    logits, _ = model(idx, prompt=tested, prompt_index=ix)  # (B, T, V)
    for b in range(B):
        torch.testing.assert_close(logits[b:b + 1], model(idx[b:b + 1], prompt=tested[ix[b]])[0])


@settings(max_examples=15, deadline=None)
@given(st.lists(st.lists(st.integers(0, V - 1), min_size=1, max_size=10), min_size=1, max_size=4),
       st.integers(1, 3), st.integers(1, 6), st.integers(1, 10), st.integers(0, 2 ** 16),
       st.sampled_from(["prompt", "prefix"]))
def test_cached_generation_with_a_bank_equals_each_row_alone(seqs, K, P, n_new, seed, method):
    """Prompts, or prefixes of any values (not only those a prompt produces)."""
    model = tiny()
    g = torch.Generator().manual_seed(seed)
    shape = (P, 64) if method == "prompt" else (2, 2, 2, P, 32)
    bank = torch.randn(K, *shape, generator=g, dtype=torch.float64)
    ix = torch.randint(K, (len(seqs),), generator=g)
    idx, lengths = _right_padded(seqs)
    eot_id = seed % V
    expected = [_greedy_one_by_one(model, s, n_new, bank[ix[i]], eot_id) for i, s in enumerate(seqs)]
    for use_cache in (True, False):
        assert model.generate(idx, n_new, prompt=bank, prompt_index=ix, lengths=lengths, eot_id=eot_id,
                              use_cache=use_cache) == expected


def test_a_bank_without_an_index_and_an_index_without_a_bank_are_refused():
    model = tiny()
    idx = torch.randint(V, (2, 5))
    with pytest.raises(ValueError, match=r"a prompt bank of 3 prompts needs prompt_index of shape \(2,\)"):
        model(idx, prompt=torch.zeros(3, 4, 64, dtype=torch.float64))
    with pytest.raises(ValueError, match="prompt_index needs a prompt bank"):
        model(idx, prompt=torch.zeros(4, 64, dtype=torch.float64), prompt_index=torch.zeros(2, dtype=torch.long))


@pytest.mark.parametrize("use_cache", [True, False])
def test_each_row_generates_as_far_as_its_own_context_allows(use_cache):
    """A row near the end of the context stops there; a short row beside it is not held back by it,
    and each gives exactly what it gives alone."""
    model = tiny()  # block_size 48
    prompt = torch.randn(4, 64, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    seqs = [list(range(1, 41)), [5, 6, 7]]  # 4 + 40 leaves 4 new tokens; 4 + 3 leaves 41
    idx, lengths = _right_padded(seqs)
    out = model.generate(idx, 20, prompt=prompt, lengths=lengths, use_cache=use_cache)
    assert [len(row) for row in out] == [4, 20]
    assert out == [_greedy_one_by_one(model, s, n, prompt, None) for s, n in zip(seqs, (4, 20))]
    assert model.generate(idx[:1], 20, prompt=prompt, use_cache=use_cache) == out[:1]
