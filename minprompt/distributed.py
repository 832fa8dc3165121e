"""Data parallel under torchrun: which process this is, which rows of each batch it takes, and the one
collective the prompt needs. Without torchrun everything here is a no-op for a world of one process.

    torchrun --standalone --nproc_per_node=2 train_base.py --device cpu      # 2 processes, gloo on CPU
    torchrun --standalone --nproc_per_node=8 train_base.py --preset large    # 8 GPUs, NCCL
    torchrun --standalone --nproc_per_node=4 tune_prompt.py --task topic --batch-size 128

How a step is shared. --batch-size is the whole step's batch, over every process and micro-batch, so a
run means the same thing on any number of processes. Every process draws the same batch from the same
seeded generator and keeps its own rows (`my_rows`); with --grad-accum A each process's rows go in A
micro-batches, one forward and backward each. The base is trained with DistributedDataParallel, which
averages the gradients over the processes during backward. The prompt is one tensor, and the frozen base
has no gradient at all, so prompt tuning sums that tensor's gradient itself (`all_reduce_sum`): one
collective per step, with each micro-batch's loss weighted by its share of the step's answer tokens,
which makes the result the gradient of the token-mean loss over the whole batch, however it was split.
Only process 0 (the "main" one) validates, prints and writes files.
"""
import os
import sys
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import timedelta

import torch
import torch.distributed as dist

from minprompt.device import pick_device


@dataclass(frozen=True)
class World:
    rank: int = 0  # this process, 0 .. size - 1
    size: int = 1  # processes in all
    local_rank: int = 0  # this process on its own machine: which GPU it drives

    @property
    def is_main(self):
        return self.rank == 0


def start(device_name):
    """Read torchrun's environment (RANK, WORLD_SIZE, LOCAL_RANK) and join the process group when there is
    more than one process: NCCL on CUDA (one GPU per process), gloo otherwise. Returns (World, device).
    Processes other than the main one print nothing to stdout."""
    world = World(int(os.environ.get("RANK", 0)), int(os.environ.get("WORLD_SIZE", 1)), int(os.environ.get("LOCAL_RANK", 0)))
    device = pick_device(device_name)
    if world.size == 1:
        return world, device
    if device.type == "cuda":
        device = torch.device("cuda", world.local_rank)
        torch.cuda.set_device(device)
    # Process 0 validates alone while the others wait at their next collective: allow 30 minutes (gloo's
    # default; NCCL's is 10) before a wait counts as a hang.
    dist.init_process_group("nccl" if device.type == "cuda" else "gloo", timeout=timedelta(minutes=30))
    if not world.is_main:
        sys.stdout = open(os.devnull, "w")  # one progress report, from process 0
    return world, device


def stop(world):
    if world.size > 1 and dist.is_initialized():
        dist.destroy_process_group()


def my_rows(world, batch_size, grad_accum):
    """The slices of a step's batch (batch_size rows, the same on every process) that this process runs,
    one per micro-batch: the batch is cut into size x grad_accum blocks as equal as can be, and
    micro-batch a of process r is block a * size + r."""
    n_blocks = world.size * grad_accum
    bounds = [batch_size * i // n_blocks for i in range(n_blocks + 1)]
    return [slice(bounds[a * world.size + world.rank], bounds[a * world.size + world.rank + 1]) for a in range(grad_accum)]


def all_reduce_sum(world, *tensors):
    """Sum each tensor over the processes, in place (nothing to do for one process)."""
    if world.size > 1:
        for t in tensors:
            dist.all_reduce(t, op=dist.ReduceOp.SUM)


def wrap(model, world, device):
    """The model as training steps call it: under torchrun, DistributedDataParallel, which averages every
    gradient over the processes during backward (the model itself stays what evaluation and saving use)."""
    if world.size == 1:
        return model
    return torch.nn.parallel.DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)


def sync_unless(train_model, accumulating):
    """Around one micro-batch's forward and backward: while more micro-batches of the step are to come,
    DDP keeps its gradients local (no_sync); the last backward averages them all at once."""
    if accumulating and isinstance(train_model, torch.nn.parallel.DistributedDataParallel):
        return train_model.no_sync()
    return nullcontext()
