"""Pretrain the base GPT on a text corpus; the result is frozen and reused by tune_prompt.py.

    python train_base.py                       # bundled corpus, `small` preset, out/base/base.pt
    python train_base.py --preset tiny --steps 200 --out out/tiny
    python train_base.py --corpus my_text.txt --out out/mine
    python train_base.py --resume --steps 300  # continue from out/base/base.pt
    torchrun --standalone --nproc_per_node=8 train_base.py --preset large --batch-size 64   # data parallel

Steps: read the corpus -> train the BPE tokenizer on it -> encode -> pretrain with AdamW (warmup, then
cosine decay; matmuls in bf16 on CUDA, see --precision) -> write base.pt (weights, config, tokenizer,
fingerprint) and log.jsonl (one line per evaluation: validation loss and two diagnostics of copying from
the context, see minprompt/corpus.py: the mention score, how much cheaper a rare token pair of a validation
document is when the document repeats it, and the copy score, the same for a repeated run of random common
tokens; each rises from 0 when the base learns to copy).
An existing base.pt is never overwritten unless --overwrite is given. Under torchrun every process trains
on its rows of each batch through DistributedDataParallel (minprompt/distributed.py); process 0 alone
evaluates and writes.
"""
import argparse
import json
import math
import os
import time

import torch
from tqdm import tqdm

from minprompt.checkpoint import atomic_write_text, load_base, save_base
from minprompt.corpus import (copy_losses, copy_probe, encode_corpus, get_batch, mention_losses, mention_probe,
                              read_corpus, split_train_val, with_copy_rows)
from minprompt.device import autocast_for, cpu_has_bf16, uses_bf16
from minprompt.distributed import all_reduce_sum, my_rows, start, stop, sync_unless, wrap
from minprompt.errors import UserError, check_positive, run_main
from minprompt.model import GPT, POSITION_INIT_SCALE, PRESETS, preset, sinusoids
from minprompt.tokenizer import Tokenizer


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--corpus", default="data/corpus.txt", help="UTF-8 text, documents separated by <|endoftext|> (default: %(default)s)")
    p.add_argument("--out", default="out/base", help="folder for base.pt and log.jsonl (default: %(default)s)")
    p.add_argument("--preset", default="small", choices=sorted(PRESETS), help="model size (default: %(default)s; tiny for tests, large for a GPU)")
    p.add_argument("--vocab-size", type=int, default=2048, help="BPE vocabulary, end-of-text token included (default: %(default)s)")
    p.add_argument("--block-size", type=int, default=None, help="context length (default: the preset's)")
    p.add_argument("--n-layer", type=int, default=None, help="transformer blocks (default: the preset's)")
    p.add_argument("--n-head", type=int, default=None, help="attention heads (default: the preset's)")
    p.add_argument("--n-embd", type=int, default=None, help="model width (default: the preset's)")
    p.add_argument("--steps", type=int, default=3600, help="optimizer steps (default: %(default)s)")
    p.add_argument("--batch-size", type=int, default=8, help="windows per step, over all processes and micro-batches (default: %(default)s)")
    p.add_argument("--grad-accum", type=int, default=1, metavar="A", help="run each step's batch as A micro-batches, "
                   "for a large --batch-size in little memory (default: %(default)s)")
    p.add_argument("--copy-rows", type=int, default=0, metavar="N", help="of each step's windows, N are copy rows "
                   "(a random run of corpus tokens, repeated) instead of corpus text; an experiment in teaching the "
                   "base to copy, see README (default: %(default)s)")
    p.add_argument("--position-init", default="sinusoid", choices=("sinusoid", "random"),
                   help="how a new base's learned position table starts: the sinusoids of the original Transformer, "
                        "or random as in GPT-2 (README: Results); --resume keeps the saved table (default: %(default)s)")
    p.add_argument("--lr", type=float, default=4e-3, help="peak learning rate (default: %(default)s)")
    p.add_argument("--min-lr", type=float, default=1e-4, help="learning rate at the end of the cosine decay (default: %(default)s)")
    p.add_argument("--warmup", type=int, default=120, help="linear warmup steps (default: %(default)s)")
    p.add_argument("--weight-decay", type=float, default=0.1, help="AdamW weight decay on matrices (default: %(default)s)")
    p.add_argument("--grad-clip", type=float, default=1.0, help="clip the gradient norm to this, 0 = off (default: %(default)s)")
    p.add_argument("--eval-every", type=int, default=300, help="steps between validation evaluations (default: %(default)s)")
    p.add_argument("--eval-batches", type=int, default=8, help="validation batches per evaluation (default: %(default)s)")
    p.add_argument("--seed", type=int, default=1337)
    p.add_argument("--device", default="auto", help="auto (cuda, then mps, then cpu), cpu, cuda, mps")
    p.add_argument("--precision", default="auto", choices=("auto", "fp32", "bf16"),
                   help="auto: bf16 autocast on CUDA, fp32 elsewhere. bf16 on a CPU with bf16 instructions "
                        "(AVX512-BF16 or AMX) runs a step 1.2-1.3x faster, but the small preset's validation loss "
                        "came out 0.004 and 0.038 higher on two seeds; weights and optimizer state stay fp32 "
                        "either way (default: %(default)s)")
    p.add_argument("--compile", action="store_true", help="torch.compile the model (CUDA; slow to start)")
    p.add_argument("--overwrite", action="store_true", help="retrain from scratch even if base.pt exists")
    p.add_argument("--resume", action="store_true", help="start from the existing base.pt's weights and tokenizer and train --steps more")
    return p.parse_args(argv)


def lr_at(step, args):
    """Linear warmup to --lr, then cosine decay to --min-lr at the last step."""
    if step < args.warmup:
        return args.lr * (step + 1) / args.warmup
    progress = (step - args.warmup) / max(1, args.steps - args.warmup)
    return args.min_lr + 0.5 * (args.lr - args.min_lr) * (1 + math.cos(math.pi * min(1.0, progress)))


def main(argv=None):
    args = parse_args(argv)
    check_positive(args, "steps", "batch_size", "lr", "eval_every", "eval_batches", "grad_accum")
    world, device = start(args.device)
    try:
        train(args, world, device)
    finally:
        stop(world)


def train(args, world, device):
    """main() after the arguments: the whole pretraining run."""
    ckpt_path = os.path.join(args.out, "base.pt")
    if args.batch_size % (world.size * args.grad_accum):
        raise UserError(f"--batch-size {args.batch_size} does not split into {world.size} process(es) x --grad-accum "
                        f"{args.grad_accum} equal micro-batches", None, f"pass a multiple of {world.size * args.grad_accum}")
    if not 0 <= args.copy_rows <= args.batch_size:
        raise UserError(f"--copy-rows must be between 0 and --batch-size ({args.batch_size}), got {args.copy_rows}",
                        None, "pass how many of each step's windows are copy rows, e.g. --copy-rows 1")
    if args.vocab_size < 258:
        raise UserError(f"--vocab-size must be at least 258 (256 bytes, one merge, end-of-text), got {args.vocab_size}",
                        None, "pass e.g. --vocab-size 2048")
    if args.precision == "bf16" and device.type not in ("cpu", "cuda"):
        raise UserError(f"--precision bf16 runs on cpu or cuda, not {device.type}", None, "pass --precision fp32")
    if args.overwrite and args.resume:
        raise UserError("--overwrite and --resume contradict each other", ckpt_path, "pass one of them")
    if os.path.exists(ckpt_path) and not (args.overwrite or args.resume):
        print(f"base checkpoint exists: {ckpt_path}; using it as is "
              "(pass --overwrite to retrain from scratch, or --resume to train it further)")
        return
    if args.resume and not os.path.exists(ckpt_path):
        raise UserError("nothing to resume: no base checkpoint", ckpt_path, "drop --resume to train a new base")
    torch.manual_seed(args.seed)  # the same initial weights in every process
    t_start = time.time()

    # ---- data: corpus -> tokenizer -> ids ---------------------------------------------------------
    docs = read_corpus(args.corpus)
    if args.resume:
        model, tokenizer = load_base(ckpt_path)
        model.requires_grad_(True).train()
        print(f"resuming from {ckpt_path}")
    else:
        t0 = time.time()
        bar = tqdm(total=args.vocab_size - 257, desc="training tokenizer", unit="merge", leave=False, disable=None)
        tokenizer = Tokenizer.train("\n".join(docs), args.vocab_size, progress=lambda i, n: bar.update(1))
        bar.close()
        print(f"tokenizer: {tokenizer.vocab_size} tokens, trained in {time.time() - t0:.1f}s")
        overrides = {"vocab_size": tokenizer.vocab_size}
        for name in ("block_size", "n_layer", "n_head", "n_embd"):
            if getattr(args, name):
                overrides[name] = getattr(args, name)
        config = preset(args.preset, **overrides)
        if config.n_embd % config.n_head:
            raise UserError(f"--n-head {config.n_head} does not divide the width {config.n_embd}", None,
                            "pick --n-head and --n-embd so that n_embd / n_head is a whole number")
        model = GPT(config)
        if args.position_init == "sinusoid":  # still learned; only where it starts changes (minprompt/model.py)
            with torch.no_grad():
                model.transformer.wpe.weight.copy_(sinusoids(config.block_size, config.n_embd) * POSITION_INIT_SCALE)
    block_size = model.config.block_size
    if args.copy_rows and block_size < 16:
        raise UserError(f"--copy-rows needs a context of at least 16 tokens, got --block-size {block_size}", None,
                        "pass a larger --block-size, or --copy-rows 0")
    ids = encode_corpus(docs, tokenizer)
    train_ids, val_ids = split_train_val(ids, block_size, args.corpus)
    print(f"corpus: {len(docs)} documents, {len(ids):,} tokens ({len(train_ids):,} train, {len(val_ids):,} val)")
    c = model.config
    print(f"model: {c.n_layer} layers, {c.n_head} heads, {c.n_embd} wide, context {c.block_size}: "
          f"{model.num_params():,} parameters, all trained")

    # ---- optimizer: decay matrices, not biases or LayerNorm gains ----------------------------------
    model.to(device)
    params = [p for p in model.parameters() if p.requires_grad]
    decay = [p for p in params if p.dim() >= 2]
    no_decay = [p for p in params if p.dim() < 2]
    optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": args.weight_decay},
                                   {"params": no_decay, "weight_decay": 0.0}],
                                  lr=args.lr, betas=(0.9, 0.95), fused=device.type == "cuda")
    step_model = torch.compile(model) if args.compile else model
    train_model = wrap(step_model, world, device)  # DDP under torchrun: gradients averaged over the processes
    bf16 = uses_bf16(device, args.precision)
    autocast = autocast_for(device, args.precision)
    print(f"precision: {'bf16 autocast' if bf16 else 'fp32'} on {device.type} (--precision {args.precision})")
    if bf16 and device.type == "cpu" and not cpu_has_bf16():
        print("note: torch reports no AVX512-BF16 or AMX on this CPU; bf16 may run slower than fp32 here")
    gen = torch.Generator().manual_seed(args.seed)
    eval_gen = torch.Generator().manual_seed(args.seed + 1)
    # process 0 alone evaluates, so only it builds the validation batches and the copy probe
    val_batches = [get_batch(val_ids, args.batch_size, block_size, eval_gen, device)
                   for _ in range(args.eval_batches if world.is_main else 0)]
    probe = copy_probe(model.config.vocab_size, half=min(48, block_size // 2)).to(device) if world.is_main else None
    mentions = mention_probe(val_ids, tokenizer.eot_id, block_size) if world.is_main else None  # or None: no repeats
    if mentions is not None:
        mentions = tuple(t.to(device) for t in mentions)  # x (R, T), first and later (R, T)

    @torch.no_grad()
    def evaluate():
        """Validation loss, the mention probe's and the copy probe's losses (see minprompt/corpus.py)."""
        model.eval()
        with autocast:
            losses = [step_model(x, y)[1].item() for x, y in val_batches]
            first, second = copy_losses(model, probe)
            mention_first, mention_later = mention_losses(model, mentions) if mentions is not None else (None, None)
        model.train()
        return {"val_loss": sum(losses) / len(losses),
                "mention_first_loss": mention_first, "mention_later_loss": mention_later,
                "mention_score": None if mentions is None else mention_first - mention_later,
                "copy_first_loss": first, "copy_second_loss": second, "copy_score": first - second}

    # ---- training loop -----------------------------------------------------------------------------
    os.makedirs(args.out, exist_ok=True)
    # The log is written beside the final one and renamed over it with the checkpoint, so a failed or
    # interrupted run never replaces the log of the base that is kept; --resume appends to the old log.
    log_path, partial_log_path = os.path.join(args.out, "log.jsonl"), os.path.join(args.out, "log.partial.jsonl")
    log = open(partial_log_path if world.is_main else os.devnull, "w")
    tokens_per_step = args.batch_size * block_size
    recent, step, step0 = [], 0, 0
    bar = tqdm(range(args.steps), desc="pretraining", unit="step", disable=None if world.is_main else True)
    try:
        if args.resume and os.path.exists(log_path):  # appended to, the new steps counting on from the old
            with open(log_path) as old_log:
                old = old_log.read()
            log.write(old)
            entries = [json.loads(line) for line in old.splitlines() if line.strip()]
            step0 = entries[-1]["step"] if entries else 0
        metrics = {"step": step0, "train_loss": None, **(evaluate() if world.is_main else {}), "tokens_per_s": None}
        log.write(json.dumps(metrics) + "\n")  # the loss at initialisation, about ln(vocab_size)
        t_train = time.time()
        for step in bar:
            for group in optimizer.param_groups:
                group["lr"] = lr_at(step, args)
            x, y = get_batch(train_ids, args.batch_size, block_size, gen, device)  # (B, T) each, the same in every process
            x, y = with_copy_rows(x, y, args.copy_rows, train_ids, gen)  # (B, T) each
            optimizer.zero_grad(set_to_none=True)
            loss = torch.zeros((), device=device)  # the step's mean loss, over micro-batches and processes
            micro = my_rows(world, args.batch_size, args.grad_accum)  # this process's rows, per micro-batch
            for i, rows in enumerate(micro):
                with sync_unless(train_model, accumulating=i < len(micro) - 1):
                    with autocast:
                        _, micro_loss = train_model(x[rows], y[rows])
                    (micro_loss / len(micro)).backward()
                loss += micro_loss.detach().float() / len(micro)
            all_reduce_sum(world, loss)
            loss /= world.size
            if not torch.isfinite(loss):
                raise UserError(f"loss became {loss.item()} at step {step + 1}; no checkpoint written", ckpt_path,
                                "lower --lr (or keep --grad-clip on) and run again")
            if args.grad_clip > 0:
                torch.nn.utils.clip_grad_norm_(params, args.grad_clip)
            optimizer.step()
            recent = (recent + [loss.item()])[-20:]
            tokens_per_s = (step + 1) * tokens_per_step / (time.time() - t_train)
            bar.set_postfix(loss=f"{sum(recent) / len(recent):.3f}", tok_s=f"{tokens_per_s:,.0f}")
            if world.is_main and ((step + 1) % args.eval_every == 0 or step + 1 == args.steps):
                metrics = {"step": step0 + step + 1, "train_loss": sum(recent) / len(recent), **evaluate(),
                           "tokens_per_s": tokens_per_s}
                log.write(json.dumps(metrics) + "\n")
                log.flush()
                bar.write(f"step {step0 + step + 1}: train loss {metrics['train_loss']:.3f}, val loss {metrics['val_loss']:.3f}, "
                          f"{copying(metrics)}, {tokens_per_s:,.0f} tokens/s")
        if not all(torch.isfinite(p).all() for p in model.parameters()):
            raise UserError("the weights became NaN or infinite in training; no checkpoint written", ckpt_path,
                            "lower --lr (or keep --grad-clip on) and run again")
    except KeyboardInterrupt:
        bar.close()
        log.close()
        raise UserError(f"interrupted at step {step0 + step}; no checkpoint written", ckpt_path,
                        f"run again (the log of this run is in {partial_log_path})") from None
    except BaseException:
        log.close()
        if world.is_main:
            os.remove(partial_log_path)
        raise
    log.close()
    if not world.is_main:
        return

    # ---- save --------------------------------------------------------------------------------------
    metrics = {**metrics, "train_wall_s": time.time() - t_train, "total_wall_s": time.time() - t_start,
               "train_tokens": args.steps * tokens_per_step, "device": str(device),
               "precision": "bf16" if bf16 else "fp32"}
    fp = save_base(ckpt_path, model.cpu(), tokenizer, vars(args), metrics)
    os.replace(partial_log_path, log_path)
    atomic_write_text(os.path.join(args.out, "metrics.json"), json.dumps(metrics, indent=2) + "\n")
    print(f"wrote {ckpt_path} (fingerprint {fp[:12]}): val loss {metrics['val_loss']:.3f}, {copying(metrics)}, "
          f"{metrics['total_wall_s']:.0f}s in all, {metrics['tokens_per_s']:,.0f} tokens/s")


def copying(metrics):
    """The log line's diagnostics: 'mention score 2.17 nats, copy score -0.03 nats'."""
    mention = "no mention probe" if metrics["mention_score"] is None else f"mention score {metrics['mention_score']:.2f} nats"
    return f"{mention}, copy score {metrics['copy_score']:.2f} nats"


if __name__ == "__main__":
    run_main(main)
