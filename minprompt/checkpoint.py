"""Base checkpoint: save, load, fingerprint, and atomic writes.

Used by `python train_base.py` (writes out/base/base.pt) and by everything that loads the base.

base.pt is one self-describing dict of plain data (torch.load(weights_only=True) reads it; a pickle
with code in it is refused):

    format       "minprompt-base-v1"
    config       GPTConfig fields
    tokenizer    Tokenizer.to_dict(): split pattern, merges, special token
    model        state_dict (tensors)
    train_args   the command-line arguments of the run
    metrics      final val loss, tokens/s, wall time...
    fingerprint  sha256 over the weights in a fixed order; a prompt file records it, so a prompt is
                 never silently used with a base it was not trained for
"""
import hashlib
import os
import tempfile
from dataclasses import asdict

import torch

from minprompt.errors import UserError
from minprompt.model import GPT, GPTConfig
from minprompt.tokenizer import Tokenizer

BASE_FORMAT = "minprompt-base-v1"


def fingerprint(model):
    """sha256 over every parameter and buffer (name, shape, float32 bytes), in sorted name order."""
    h = hashlib.sha256()
    tensors = dict(model.named_parameters())  # a tied weight appears once
    tensors.update(model.named_buffers())
    for name in sorted(tensors):
        t = tensors[name].detach().float().cpu().contiguous()
        h.update(f"{name}:{tuple(t.shape)};".encode())
        h.update(t.numpy().tobytes())
    return h.hexdigest()


def atomic_write(path, write):
    """Call write(tmp_path) on a temporary file beside `path`, then rename it over `path`, so a crash
    or Ctrl-C never leaves a half-written file behind."""
    path = os.fspath(path)
    folder = os.path.dirname(path) or "."
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=os.path.basename(path))
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, 0o666 & ~current_umask())  # mkstemp makes 0600; a file written with open() follows the umask
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def current_umask():
    """The process's umask. Linux shows it in /proc; elsewhere reading it means setting it and putting it
    straight back, which another thread could race with (a file it creates in between would get 0o777)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_save(obj, path):
    atomic_write(path, lambda tmp: torch.save(obj, tmp))


def atomic_write_text(path, text):
    def write(tmp):
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
    atomic_write(path, write)


def save_base(path, model, tokenizer, train_args, metrics):
    """Write base.pt atomically from the plain (uncompiled) module."""
    ck = {
        "format": BASE_FORMAT,
        "config": asdict(model.config),
        "tokenizer": tokenizer.to_dict(),
        "model": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        "train_args": train_args,
        "metrics": metrics,
        "fingerprint": fingerprint(model),
    }
    atomic_save(ck, path)
    return ck["fingerprint"]


def load_file(path, what, todo):
    """torch.load with weights_only=True; every failure becomes one UserError line."""
    if not os.path.isfile(path):
        raise UserError(f"no {what} found", path, todo)
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # truncated, corrupt, or a pickle with code in it
        reason = "it holds code or objects that are not plain data" if "weights_only" in str(e) else "it is truncated or corrupt"
        raise UserError(f"cannot read {what}: {reason}", path, todo) from None


def read_base(path):
    """The base checkpoint's dict, checked for format."""
    retrain = "retrain it with `python train_base.py --overwrite` or pass the right --base"
    ck = load_file(path, "base checkpoint", "train one with `python train_base.py` or pass --base")
    if not isinstance(ck, dict) or ck.get("format") != BASE_FORMAT:
        found = ck.get("format") if isinstance(ck, dict) else type(ck).__name__
        raise UserError(f"not a minprompt base checkpoint (format {found!r}, expected {BASE_FORMAT!r})", path, retrain)
    return ck


def load_base(path, device="cpu"):
    """-> (model, tokenizer): the frozen base, in eval mode, every parameter with requires_grad=False."""
    ck = read_base(path)
    model = GPT(GPTConfig.from_dict(ck["config"]))
    try:
        model.load_state_dict(ck["model"])
    except RuntimeError as e:
        raise UserError(f"weights do not match the stored config ({str(e).splitlines()[0]})", path,
                        "retrain it with `python train_base.py --overwrite`") from None
    if fingerprint(model) != ck["fingerprint"]:
        raise UserError("weights do not match the stored fingerprint (the file was altered)", path,
                        "retrain it with `python train_base.py --overwrite`")
    model.requires_grad_(False)
    return model.to(device).eval(), Tokenizer.from_dict(ck["tokenizer"])
