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


def cpu_has_bf16():
    """Whether this CPU multiplies bfloat16 in hardware (AVX512-BF16 or AMX); elsewhere bf16 is emulated and
    slower than fp32. torch asks the CPU through private helpers, so a torch without them counts as no."""
    ask = [getattr(torch.cpu, name, None) for name in ("_is_avx512_bf16_supported", "_is_amx_tile_supported")]
    return any(f() for f in ask if f is not None)


def uses_bf16(device, precision="auto"):
    """Whether matmuls run in bf16. "bf16" and "fp32" say so; "auto", the default of every script, means on
    CUDA only: on the CPU bf16 is faster only with bf16 instructions, and there it cost the base validation
    loss (train_base.py --precision)."""
    return precision == "bf16" or (precision == "auto" and device.type == "cuda")


def autocast_for(device, precision="auto"):
    """bf16 autocast where uses_bf16 says so (matmuls in bfloat16; weights and optimizer state stay fp32),
    or a no-op."""
    bf16 = uses_bf16(device, precision)
    return torch.autocast(device.type, dtype=torch.bfloat16) if bf16 else nullcontext()


def compile_step(fn, device):
    """torch.compile for steps whose inputs come in a few fixed shapes: one graph per shape (dynamic=False),
    and on CUDA each one captured as a CUDA graph (mode "reduce-overhead") so that replaying it costs no
    kernel launches. tune_prompt.py --compile and the benchmark's compiled contenders."""
    return torch.compile(fn, mode="reduce-overhead" if device.type == "cuda" else None, dynamic=False)
