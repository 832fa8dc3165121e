"""base.pt: round trip, fingerprint, frozen on load, and every bad file refused with one clear error."""
import os
import pickle

import pytest
import torch

from minprompt.checkpoint import atomic_write_text, fingerprint, load_base, read_base, save_base
from minprompt.errors import UserError
from minprompt.model import GPT, preset
from minprompt.tokenizer import Tokenizer


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    tok = Tokenizer.train("the cat sat on the mat; the dog sat on the log " * 10, 270)
    torch.manual_seed(0)
    model = GPT(preset("tiny", vocab_size=tok.vocab_size))
    path = tmp_path_factory.mktemp("ck") / "base.pt"
    save_base(path, model, tok, {"steps": 1}, {"val_loss": 1.5})
    return path, model, tok


def test_round_trip_gives_the_same_model_frozen(saved):
    path, model, tok = saved
    loaded, loaded_tok = load_base(path)
    assert not loaded.training
    assert all(not p.requires_grad for p in loaded.parameters())
    assert loaded.lm_head.weight is loaded.transformer.wte.weight
    idx = torch.randint(tok.vocab_size, (2, 9))
    torch.testing.assert_close(loaded(idx)[0], model.eval()(idx)[0], rtol=0, atol=0)
    assert loaded_tok.encode("the cat") == tok.encode("the cat")
    ck = read_base(path)
    assert ck["fingerprint"] == fingerprint(loaded) and ck["metrics"] == {"val_loss": 1.5}
    assert ck["config"]["n_embd"] == 64 and ck["train_args"] == {"steps": 1}


def test_fingerprint_changes_with_any_weight(saved):
    _, model, _ = saved
    before = fingerprint(model)
    with torch.no_grad():
        model.transformer.h[1].mlp.c_fc.bias[3] += 1e-6
    assert fingerprint(model) != before
    with torch.no_grad():
        model.transformer.h[1].mlp.c_fc.bias[3] -= 1e-6


def test_fingerprint_sees_the_last_element_of_every_tensor(saved):
    """Not just a prefix of each tensor's bytes: the last value of every parameter counts."""
    _, model, _ = saved
    before = fingerprint(model)
    for name, p in model.named_parameters():
        last = p.view(-1)[-1].item()
        with torch.no_grad():
            p.view(-1)[-1] = last + 1e-3
        assert fingerprint(model) != before, name
        with torch.no_grad():
            p.view(-1)[-1] = last
    assert fingerprint(model) == before


def test_atomic_write_follows_the_umask_and_a_failed_write_keeps_the_old_file(tmp_path):
    path = tmp_path / "results.json"
    old_mask = os.umask(0o022)
    try:
        atomic_write_text(path, "old\n")
        assert (path.stat().st_mode & 0o777) == 0o644  # as open() would make it, not mkstemp's 0600
    finally:
        os.umask(old_mask)

    def fail(tmp):
        open(tmp, "w").write("half")
        raise OSError("disk full")
    from minprompt.checkpoint import atomic_write
    with pytest.raises(OSError):
        atomic_write(path, fail)
    assert path.read_text() == "old\n" and sorted(os.listdir(tmp_path)) == ["results.json"]


def error_of(path):
    with pytest.raises(UserError) as e:
        load_base(path)
    return str(e.value)


def test_missing_file(tmp_path):
    msg = error_of(tmp_path / "nope.pt")
    assert msg.startswith("no base checkpoint found (") and "python train_base.py" in msg


def test_truncated_file(saved, tmp_path):
    data = open(saved[0], "rb").read()
    bad = tmp_path / "truncated.pt"
    bad.write_bytes(data[: len(data) // 2])
    assert error_of(bad).startswith(f"cannot read base checkpoint: it is truncated or corrupt ({bad})")


def test_other_format(tmp_path):
    other = tmp_path / "other.pt"
    torch.save({"state_dict": {}}, other)
    assert error_of(other).startswith("not a minprompt base checkpoint (format None")
    torch.save(torch.zeros(3), other)
    assert "not a minprompt base checkpoint" in error_of(other)


class Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned > evil_ran.txt",))


def test_pickle_with_code_is_refused_and_not_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    evil = tmp_path / "evil.pt"
    torch.save({"format": "minprompt-base-v1", "payload": Evil()}, evil, pickle_module=pickle)
    assert error_of(evil).startswith("cannot read base checkpoint: it holds code or objects that are not plain data")
    assert not (tmp_path / "evil_ran.txt").exists()


def test_altered_weights_are_detected(saved, tmp_path):
    ck = read_base(saved[0])
    ck["model"]["transformer.ln_f.bias"] += 1.0
    altered = tmp_path / "altered.pt"
    torch.save(ck, altered)
    assert "weights do not match the stored fingerprint" in error_of(altered)


def test_save_leaves_no_temporary_files(saved):
    folder = saved[0].parent
    assert sorted(os.listdir(folder)) == ["base.pt"]
