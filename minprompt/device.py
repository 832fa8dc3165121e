"""Where the work runs: device choice and the mixed-precision policy, shared by both scripts,
predict and the benchmark (`python train_base.py --device auto`).
"""
from contextlib import nullcontext

import torch

from minprompt.errors import UserError


def pick_device(name="auto"):
    """"auto" picks cuda, then mps, then cpu."""
    if name.startswith("cuda") and not torch.cuda.is_available() or name == "mps" and not torch.backends.mps.is_available():
        raise UserError(f"--device {name} was asked for, but this machine has no {name} device", None,
                        "pass --device cpu, or --device auto to pick what is there")
    if name not in ("auto", "cpu", "cuda", "mps") and not name.startswith("cuda:"):
        raise UserError(f"--device {name!r} is not a device name", None, "pass auto, cpu, cuda or mps")
    if name != "auto":
        return torch.device(name)
    if torch.cuda.is_available():
        return torch.device("cuda")
    if torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def autocast_for(device):
    """bf16 autocast on CUDA (matmuls in bfloat16, weights and optimizer state stay fp32); a no-op elsewhere."""
    return torch.autocast("cuda", dtype=torch.bfloat16) if device.type == "cuda" else nullcontext()


def compile_step(fn, device):
    """torch.compile for steps whose inputs come in a few fixed shapes: one graph per shape (dynamic=False),
    and on CUDA each one captured as a CUDA graph (mode "reduce-overhead") so that replaying it costs no
    kernel launches. tune_prompt.py --compile and the benchmark's compiled contenders."""
    return torch.compile(fn, mode="reduce-overhead" if device.type == "cuda" else None, dynamic=False)
