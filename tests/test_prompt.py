"""The promise of prompt tuning: only the prompt ever moves. Property tests over prompt lengths, inits,
learning rates, batch contents and step counts on the tiny preset; prompt files and their base check."""
import re

import pytest
import torch
from hypothesis import HealthCheck, given, settings, strategies as st

from minprompt.checkpoint import fingerprint
from minprompt.errors import UserError
from minprompt.model import GPT, preset
from minprompt.prompt import (INITS, METHODS, SoftPrompt, prompt_shape, check_prompt_matches_base, init_prompt, load_prompt, make_optimizer,
                              nearest_tokens, save_prompt, tuning_step)
from minprompt.tokenizer import Tokenizer

TOK = Tokenizer.train("the film was great. the film was awful. not bad at all, far from great. " * 30, 320)


def frozen_tiny(seed=0):
    torch.manual_seed(seed)
    model = GPT(preset("tiny", vocab_size=TOK.vocab_size, block_size=64))
    model.register_buffer("some_buffer", torch.arange(5.0))  # buffers must stay untouched too
    return model.requires_grad_(False).eval()


MODEL = frozen_tiny()
META = {"task": "t", "kind": "classification", "labels": ["a"], "template": "T: {text}\nL:"}
SNAPSHOT = {k: v.clone() for k, v in MODEL.state_dict().items()}


def batch(draw_ids, B, T):
    idx = torch.tensor(draw_ids[: B * T]).view(B, T)
    targets = idx.roll(-1, dims=1)
    targets[:, : T // 2] = -100  # answer-only loss, as in tune_prompt.py
    return idx, targets


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(P=st.integers(1, 16), init=st.sampled_from(INITS), lr=st.floats(1e-4, 1.0), steps=st.integers(1, 5),
       B=st.integers(1, 4), T=st.integers(2, 24), seed=st.integers(0, 2 ** 16), method=st.sampled_from(METHODS),
       ids=st.lists(st.integers(0, TOK.vocab_size - 1), min_size=96, max_size=96))
def test_only_the_prompt_moves(P, init, lr, steps, B, T, seed, method, ids):
    """A soft prompt or a prefix: the base bitwise unchanged, every gradient on the trained tensor."""
    shape = prompt_shape(method, P, MODEL.config)
    soft = init_prompt(SoftPrompt(*shape), init, MODEL, TOK, init_text="the film", labels=["great", "awful"], seed=seed)
    start = soft.weight.detach().clone()
    optimizer = make_optimizer(soft, lr)
    assert [p for g in optimizer.param_groups for p in g["params"]] == [soft.weight]  # exactly the prompt
    ids = (ids * 4)[: B * T]
    for _ in range(steps):
        idx, targets = batch(ids, B, T)
        loss = tuning_step(MODEL, soft, optimizer, [(idx, targets, 1.0)])
        assert torch.isfinite(loss)
        assert soft.weight.grad is not None and torch.isfinite(soft.weight.grad).all()
        assert soft.weight.grad.abs().sum() > 0
        assert all(p.grad is None for p in MODEL.parameters())
    for name, value in MODEL.state_dict().items():  # bitwise identical
        assert torch.equal(value, SNAPSHOT[name]), name
    assert not torch.equal(soft.weight, start)


def test_a_non_finite_loss_takes_no_step():
    """tuning_step on a NaN loss returns it and leaves the prompt and the optimizer's state as they were."""
    soft = init_prompt(SoftPrompt(3, 64), "vocab", MODEL, TOK)
    optimizer = make_optimizer(soft, 0.1)
    idx, targets = batch(list(range(40)), 2, 12)
    assert torch.isfinite(tuning_step(MODEL, soft, optimizer, [(idx, targets, 1.0)]))  # one real step: Adam has state
    state = {k: v.clone() for k, v in optimizer.state[soft.weight].items()}
    with torch.no_grad():
        soft.weight[1, 5] = float("nan")
    before = soft.weight.detach().clone()
    loss = tuning_step(MODEL, soft, optimizer, [(idx, targets, 1.0)])
    assert not torch.isfinite(loss)
    assert torch.equal(soft.weight.detach().nan_to_num(), before.nan_to_num())
    assert all(torch.equal(optimizer.state[soft.weight][k], v) for k, v in state.items())


def test_inits_match_their_documented_rules():
    wte = MODEL.transformer.wte.weight
    labels = ["great", "awful"]
    lab = init_prompt(SoftPrompt(8, 64), "labels", MODEL, TOK, labels=labels).weight
    label_ids = [i for label in labels for i in TOK.encode(" " + label)]
    torch.testing.assert_close(lab[: len(label_ids)], wte[label_ids])
    text = init_prompt(SoftPrompt(7, 64), "text", MODEL, TOK, init_text="the film").weight
    ids = TOK.encode("the film")
    torch.testing.assert_close(text, wte[[ids[i % len(ids)] for i in range(7)]])  # cycled to P
    voc = init_prompt(SoftPrompt(6, 64), "vocab", MODEL, TOK).weight
    assert all(any(torch.equal(row, w) for w in wte[256:TOK.eot_id]) for row in voc)  # rows of merged tokens
    rnd = init_prompt(SoftPrompt(2000, 64), "random", MODEL, TOK).weight
    assert rnd.std().item() == pytest.approx(wte.std().item(), rel=0.05)
    with pytest.raises(UserError, match="--init text needs --init-text"):
        init_prompt(SoftPrompt(3, 64), "text", MODEL, TOK)


def test_prompt_file_round_trip_and_wrong_base_is_refused(tmp_path):
    soft = init_prompt(SoftPrompt(4, 64), "vocab", MODEL, TOK)
    path = tmp_path / "prompt.pt"
    fp = fingerprint(MODEL)
    save_prompt(path, soft.weight, **META, base_fingerprint=fp, tokenizer_hash=TOK.hash())
    ck = load_prompt(path)
    assert torch.equal(ck["prompt"], soft.weight.detach()) and ck["labels"] == ["a"]
    check_prompt_matches_base(ck, fp, TOK.hash(), path)  # the right base: accepted
    other = fingerprint(frozen_tiny(seed=1))
    with pytest.raises(UserError) as e:
        check_prompt_matches_base(ck, other, TOK.hash(), path)
    assert fp[:12] in str(e.value) and other[:12] in str(e.value) and str(path) in str(e.value)
    with pytest.raises(UserError, match="tokenizer"):
        check_prompt_matches_base(ck, fp, "0" * 64, path)
    assert path.stat().st_size < 64 * 1024


@pytest.mark.parametrize("change, expected", [
    (lambda ck: ck.pop("template"), "prompt file lacks template"),
    (lambda ck: ck.pop("base_fingerprint"), "prompt file lacks base_fingerprint"),
    (lambda ck: ck.update(prompt=torch.zeros(4)), "prompt tensor has shape (4,)"),
    (lambda ck: ck.update(prompt=torch.zeros(4, 64, dtype=torch.long)), "expected (P, n_embd) floats"),
    (lambda ck: ck["prompt"].__setitem__((1, 2), float("nan")), "prompt holds NaN or infinite values"),
    (lambda ck: ck.update(method="prefix"), "prefix tensor has shape (4, 64) and dtype torch.float32, expected "
                                            "(n_layer, 2, n_head, P, head_size) floats"),
    (lambda ck: ck.update(method="lora"), "unknown method 'lora' in prompt file"),
])
def test_a_hand_made_or_damaged_prompt_file_is_refused_in_one_line(tmp_path, change, expected):
    ck = {"format": "minprompt-prompt-v1", "prompt": torch.zeros(4, 64), **META, "base_fingerprint": "f" * 64,
          "tokenizer_hash": TOK.hash()}
    change(ck)
    torch.save(ck, tmp_path / "prompt.pt")
    with pytest.raises(UserError) as e:
        load_prompt(tmp_path / "prompt.pt")
    assert expected in str(e.value) and str(tmp_path / "prompt.pt") in str(e.value)


def test_a_prompt_of_another_width_is_refused_before_it_reaches_the_model(tmp_path):
    fp = fingerprint(MODEL)
    save_prompt(tmp_path / "p.pt", torch.zeros(4, 32), **META, base_fingerprint=fp, tokenizer_hash=TOK.hash())
    ck = load_prompt(tmp_path / "p.pt")
    with pytest.raises(UserError, match=re.escape("prompt tensor has shape (4, 32), this base needs (4, 64)")):
        check_prompt_matches_base(ck, fp, TOK.hash(), tmp_path / "p.pt", MODEL.config)
    L, nh, hs = MODEL.config.n_layer, MODEL.config.n_head, 64 // MODEL.config.n_head
    save_prompt(tmp_path / "p.pt", torch.zeros(L + 1, 2, nh, 4, hs), **META, base_fingerprint=fp, tokenizer_hash=TOK.hash())
    ck = load_prompt(tmp_path / "p.pt")
    assert ck["method"] == "prefix"
    with pytest.raises(UserError, match=re.escape(f"prefix tensor has shape {(L + 1, 2, nh, 4, hs)}, this base needs "
                                                  f"{(L, 2, nh, 4, hs)}")):
        check_prompt_matches_base(ck, fp, TOK.hash(), tmp_path / "p.pt", MODEL.config)


def test_truncated_or_foreign_prompt_file(tmp_path):
    bad = tmp_path / "prompt.pt"
    save_prompt(bad, torch.zeros(4, 64), task="t")
    bad.write_bytes(bad.read_bytes()[:300])
    with pytest.raises(UserError, match="cannot read prompt file: it is truncated or corrupt"):
        load_prompt(bad)
    torch.save({"format": "minprompt-base-v1"}, bad)
    with pytest.raises(UserError, match="not a minprompt prompt file"):
        load_prompt(bad)


def test_nearest_tokens_finds_the_token_a_vector_was_copied_from():
    ids = TOK.encode(" great")
    soft = SoftPrompt(len(ids), 64)
    with torch.no_grad():
        soft.weight.copy_(MODEL.transformer.wte.weight[ids])
    near = nearest_tokens(soft.weight, MODEL, TOK)
    assert [row[0][0] for row in near] == [TOK.decode([i]) for i in ids]
    assert near[0][0][1] == pytest.approx(1.0)
