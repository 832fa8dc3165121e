"""Interop with transformers + PEFT: same logits, same predictions from an exported adapter, same
prompt-tuning loss and gradient. Skipped unless the `hf` extra is installed (.ci/run installs it)."""
import pytest
import torch

pytest.importorskip("transformers")
pytest.importorskip("peft")
pytest.importorskip("safetensors")
from peft import PeftModel, PromptTuningConfig, get_peft_model  # noqa: E402

from minprompt.checkpoint import fingerprint, save_base  # noqa: E402
from minprompt.interop import export_peft, main as interop_main, to_hf_gpt2  # noqa: E402
from minprompt.model import GPT, preset  # noqa: E402
from minprompt.prompt import save_prompt  # noqa: E402
from minprompt.tasks import make_batch  # noqa: E402
from minprompt.tokenizer import Tokenizer  # noqa: E402

TOK = Tokenizer.train("the film was great. the film was awful. not bad at all, far from great. " * 30, 300)


def random_gpt(seed=0):
    """A tiny GPT with every parameter random (biases and LayerNorms too), so a wrong mapping shows."""
    torch.manual_seed(seed)
    model = GPT(preset("tiny", vocab_size=TOK.vocab_size, block_size=64))
    with torch.no_grad():
        for name, p in model.named_parameters():
            p.copy_(torch.randn_like(p) * (0.3 if "ln" not in name else 0.2) + ("ln" in name and name.endswith("weight")))
    return model.requires_grad_(False).eval()


def random_batch(B=4, T=20, seed=1):
    g = torch.Generator().manual_seed(seed)
    pairs = []
    for b in range(B):  # contexts of different lengths, 1-2 answer tokens: right padding is exercised
        n = T - 3 * b
        pairs.append((torch.randint(TOK.vocab_size, (n,), generator=g).tolist(),
                      torch.randint(TOK.vocab_size, (1 + b % 2,), generator=g).tolist()))
    return pairs


def test_hf_gpt2_logits_match():
    model = random_gpt()
    hf = to_hf_gpt2(model)
    idx = torch.randint(TOK.vocab_size, (3, 40), generator=torch.Generator().manual_seed(0))
    ours, _ = model(idx)
    theirs = hf(input_ids=idx).logits
    assert (ours - theirs).abs().max().item() < 1e-4


def test_exported_adapter_gives_same_predictions(tmp_path):
    model = random_gpt()
    base = tmp_path / "base.pt"
    save_base(base, model, TOK, train_args={}, metrics={})
    prompt = torch.randn(7, model.config.n_embd) * 0.5  # (P, C)
    save_prompt(tmp_path / "prompt.pt", prompt, n_tokens=7, init="random", task="t", kind="classification",
                labels=["a", "b"], template="{text}", base_path=str(base), base_fingerprint=fingerprint(model),
                tokenizer_hash=TOK.hash())
    base_dir, adapter_dir = export_peft(tmp_path / "prompt.pt", tmp_path / "hf")

    from transformers import GPT2LMHeadModel
    peft_model = PeftModel.from_pretrained(GPT2LMHeadModel.from_pretrained(base_dir), adapter_dir).eval()
    idx, _ = make_batch(random_batch(), "cpu")
    with torch.no_grad():
        ours, _ = model(idx, prompt=prompt)  # (B, T, vocab)
        theirs = peft_model(input_ids=idx).logits[:, prompt.shape[0]:]  # PEFT returns the prompt positions too
    assert (ours - theirs).abs().max().item() < 1e-4
    assert torch.equal(ours.argmax(-1), theirs.argmax(-1))


def test_exported_prefix_gives_the_same_logits_under_peft_prefix_tuning(tmp_path):
    """tune_prompt.py --method prefix: a prefix of arbitrary keys and values, exported as PEFT's
    PREFIX_TUNING adapter; PEFT's GPT-2 with it gives our logits."""
    model = random_gpt()
    c = model.config
    prefix = torch.randn(c.n_layer, 2, c.n_head, 6, c.n_embd // c.n_head) * 0.5  # (L, 2, nh, P, hs)
    base = tmp_path / "base.pt"
    save_base(base, model, TOK, train_args={}, metrics={})
    save_prompt(tmp_path / "prefix.pt", prefix, n_tokens=6, init="random", task="t", kind="classification",
                labels=["a", "b"], template="{text}", base_path=str(base), base_fingerprint=fingerprint(model),
                tokenizer_hash=TOK.hash())
    base_dir, adapter_dir = export_peft(tmp_path / "prefix.pt", tmp_path / "hf")

    from transformers import GPT2LMHeadModel
    peft_model = PeftModel.from_pretrained(GPT2LMHeadModel.from_pretrained(base_dir), adapter_dir).eval()
    assert peft_model.peft_config["default"].peft_type == "PREFIX_TUNING"
    idx, _ = make_batch(random_batch(), "cpu")
    with torch.no_grad():
        ours, _ = model(idx, prompt=prefix)  # (B, T, vocab)
        theirs = peft_model(input_ids=idx).logits  # prefix tuning adds no positions to the output
    assert (ours - theirs).abs().max().item() < 1e-4


def test_peft_loss_and_prompt_gradient_match():
    model = random_gpt()
    P = 5
    prompt = (torch.randn(P, model.config.n_embd) * 0.5).requires_grad_(True)
    idx, targets = make_batch(random_batch(), "cpu")  # targets[t] is the token after idx[t]
    _, loss = model(idx, targets, prompt=prompt)
    loss.backward()

    peft_model = get_peft_model(to_hf_gpt2(model), PromptTuningConfig(task_type="CAUSAL_LM", num_virtual_tokens=P))
    embedding = peft_model.prompt_encoder["default"].embedding
    with torch.no_grad():
        embedding.weight.copy_(prompt)
    # transformers shifts labels itself (labels[t + 1] is scored at t): feed one more token and labels that
    # sit one position to the right of our targets.
    last = targets[:, -1:].clamp(min=0)
    hf_ids = torch.cat([idx, last], dim=1)  # (B, T + 1)
    hf_labels = torch.cat([torch.full_like(last, -100), targets], dim=1)  # (B, T + 1)
    hf_loss = peft_model(input_ids=hf_ids, labels=hf_labels).loss
    hf_loss.backward()
    assert abs(loss.item() - hf_loss.item()) < 1e-5
    assert torch.allclose(prompt.grad, embedding.weight.grad, atol=1e-5, rtol=1e-4)


def test_cli_refuses_a_non_empty_output_directory(tmp_path, capsys):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep.txt").write_text("x")
    with pytest.raises(SystemExit) as e:
        from minprompt.errors import run_main
        run_main(lambda: interop_main([str(tmp_path / "prompt.pt"), str(tmp_path / "out")]))
    assert e.value.code == 2
    assert "output directory is not empty" in capsys.readouterr().err
    assert (tmp_path / "out" / "keep.txt").read_text() == "x"


def test_export_never_replaces_a_folder_with_other_files(tmp_path):
    (tmp_path / "project").mkdir()
    (tmp_path / "project" / "notes.txt").write_text("mine")
    with pytest.raises(Exception) as e:  # refused before reading the prompt file
        export_peft(tmp_path / "missing.pt", tmp_path / "project")
    assert "not an empty folder or an earlier export" in str(e.value)
    assert (tmp_path / "project" / "notes.txt").read_text() == "mine"
