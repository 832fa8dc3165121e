"""Benchmark: minprompt's prompt tuning against Hugging Face PEFT on the same model, side by side.

    python -m minprompt.bench                        # a few minutes on a 2-core CPU
    python -m minprompt.bench --device cuda --json out/bench-cuda.json
    python -m minprompt.bench --device cuda --compile --sections train   # + both steps under torch.compile

Contenders run interleaved in one process (this matters: a laptop's or a shared machine's speed drifts
by 10-30% within minutes, so only rates measured side by side can be compared), each after a warm-up,
for --reps repetitions; a table shows the median rate of each and the median of the per-repetition
ratios. Memory is measured once per contender in a fresh subprocess (peak RSS on CPU, peak allocated
on CUDA), so one contender's caches never count against another.

- train: one prompt-tuning step (forward, backward, clip, AdamW on the prompt), examples/s, for our
  shared-prefix path, our literal concatenation, and PEFT on the same weights exported to transformers
  (the `hf` extra; "skipped" without it). Classification-style batches: the loss is on the last two
  tokens, the same positions for every contender. --compile adds both of ours under torch.compile
  (mode="reduce-overhead", CUDA graphs, on CUDA), as `tune_prompt.py --compile` runs them.
- infer: a forward pass with the prompt (what rank classification costs), examples/s.
- bank: the same forward with the rows' prompts drawn from a bank of 4 (four tasks mixed in one batch),
  against one prompt for every row and against four separate batches.
- serve: `python -m minprompt.serve` in-process with two tasks, requests/s and latency percentiles for
  one client at a time and for 16 clients at once (whose requests the server batches together).
- generate: greedy generation of --new-tokens tokens, tokens/s: our KV cache (prompt K/V computed once
  and shared), no cache (the whole sequence recomputed each step), and transformers `generate` + PEFT.
- pretrain: train_base.py's step on the preset (all weights trained), tokens/s, and MFU: achieved
  FLOP/s (6 N + 12 L C T per token, N = weights without position embeddings) over the best measured
  matmul FLOP/s on the same device.

The models are randomly initialised: speed does not depend on the weights.
"""
import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from functools import partial

import torch

from minprompt.checkpoint import atomic_write_text
from minprompt.device import autocast_for, compile_step, pick_device
from minprompt.errors import UserError, run_main
from minprompt.model import GPT, PRESETS, forward_concatenated, preset
from minprompt.prompt import SoftPrompt, make_optimizer, tuning_step

SKIPPED = "skipped: install minprompt[hf]"


def has_hf():
    try:
        import peft  # noqa: F401
        import transformers  # noqa: F401
    except ImportError:
        return False
    return True


def versions():
    import peft
    import transformers
    return f"transformers {transformers.__version__}, peft {peft.__version__}"


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


# ---- the contenders: each builder returns a function that does one unit of work ----------------------
def frozen_model(args, device):
    torch.manual_seed(0)
    return GPT(preset(args.preset)).to(device).requires_grad_(False).eval()


def class_batch(args, device, B=None):
    """Token ids (B, T) and answer-only targets at positions T-3 and T-2: two answer tokens, as in
    classification, placed so that PEFT (labels shifted by one inside transformers) scores the same two."""
    B = B or args.batch_size
    g = torch.Generator().manual_seed(1)
    seq = torch.randint(PRESETS[args.preset].vocab_size - 1, (B, args.text_len + 1), generator=g)  # (B, T+1)
    idx, targets = seq[:, :-1].clone(), seq[:, 1:].clone()  # (B, T) each
    targets[:, :-3] = -100
    targets[:, -1] = -100
    return idx.to(device), targets.to(device)


def ours_train(args, device, P, shared, compiled=False):
    """compiled: the forward under torch.compile as `tune_prompt.py --compile` runs it (one fixed shape;
    CUDA graphs on CUDA), for either path."""
    model = frozen_model(args, device)
    soft = SoftPrompt(P, model.config.n_embd).to(device)
    torch.nn.init.normal_(soft.weight, std=0.02)
    opt = make_optimizer(soft, 0.03)
    idx, targets = class_batch(args, device)
    autocast = autocast_for(device)
    forward = model if shared else partial(forward_concatenated, model)
    if compiled:
        forward = compile_step(forward, device)
    return lambda: tuning_step(forward, soft, opt, [(idx, targets, 1.0)], autocast)


def peft_model(args, device, P):
    import warnings

    import transformers
    from peft import PromptTuningConfig, get_peft_model

    transformers.logging.set_verbosity_error()
    warnings.filterwarnings("ignore", category=FutureWarning)

    from minprompt.interop import to_hf_gpt2

    return get_peft_model(to_hf_gpt2(frozen_model(args, "cpu")).to(device),
                          PromptTuningConfig(task_type="CAUSAL_LM", num_virtual_tokens=P))


def peft_train(args, device, P):
    model = peft_model(args, device, P).train()
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=0.03, weight_decay=1e-5)
    idx, targets = class_batch(args, device)
    # transformers shifts labels itself (labels[t + 1] is scored at position t): the same T tokens, labels
    # one position later, so both score positions T-3 and T-2.
    labels = torch.cat([torch.full_like(targets[:, :1], -100), targets[:, :-1]], dim=1)  # (B, T)
    autocast = autocast_for(device)

    def step():
        with autocast:
            loss = model(input_ids=idx, labels=labels).loss
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_([p for p in model.parameters() if p.requires_grad], 1.0)
        opt.step()
    return step


def ours_infer(args, device, P, shared):
    """What classify() does for one-token labels: one pass, logits only at each row's last position."""
    model = frozen_model(args, device)
    prompt = torch.randn(P, model.config.n_embd, device=device) * 0.02  # (P, C)
    idx, _ = class_batch(args, device)
    targets = torch.full_like(idx, -100)
    targets[:, -1] = 0  # the answer position: the last one
    autocast = autocast_for(device)
    forward = model if shared else partial(forward_concatenated, model)

    def infer():
        with torch.no_grad(), autocast:
            forward(idx, targets, prompt=prompt, answers_only=True)
    return infer


def ours_bank(args, device, P, mode, K=4):
    """The classification forward over one batch with K tasks' prompts: "one" every row under one prompt
    (the speed to match), "bank" the rows mixed over K prompts in one pass, "separate" K passes of B/K rows."""
    model = frozen_model(args, device)
    bank = torch.randn(K, P, model.config.n_embd, device=device) * 0.02  # (K, P, C)
    idx, _ = class_batch(args, device)
    targets = torch.full_like(idx, -100)
    targets[:, -1] = 0  # the answer position: the last one
    ix = torch.arange(idx.shape[0], device=device) % K  # (B,) interleaved tasks
    autocast = autocast_for(device)

    def infer():
        with torch.no_grad(), autocast:
            if mode == "one":
                model(idx, targets, prompt=bank[0], answers_only=True)
            elif mode == "bank":
                model(idx, targets, prompt=bank, prompt_index=ix, answers_only=True)
            else:
                for k in range(K):
                    model(idx[ix == k], targets[ix == k], prompt=bank[k], answers_only=True)
    return infer


def peft_infer(args, device, P):
    """The same with transformers: `logits_to_keep=1` computes logits at the last position only."""
    model = peft_model(args, device, P).eval()
    idx, _ = class_batch(args, device)
    autocast = autocast_for(device)

    def infer():
        with torch.no_grad(), autocast:
            model(input_ids=idx, logits_to_keep=1)
    return infer


def ours_generate(args, device, P, use_cache):
    model = frozen_model(args, device)
    prompt = torch.randn(P, model.config.n_embd, device=device) * 0.02  # (P, C)
    idx, _ = class_batch(args, device, B=args.gen_batch)
    ctx = idx[:, : args.gen_context]  # (B, T0)
    return lambda: model.generate(ctx, args.new_tokens, prompt=prompt, use_cache=use_cache)


def peft_generate(args, device, P):
    model = peft_model(args, device, P).eval()
    idx, _ = class_batch(args, device, B=args.gen_batch)
    ctx = idx[:, : args.gen_context]  # (B, T0)
    eot = PRESETS[args.preset].vocab_size - 1

    def generate():
        with torch.no_grad():
            model.generate(input_ids=ctx, attention_mask=torch.ones_like(ctx), max_new_tokens=args.new_tokens,
                           min_new_tokens=args.new_tokens, do_sample=False, pad_token_id=eot)
    return generate


def pretrain_step(args, device):
    torch.manual_seed(0)
    model = GPT(preset(args.preset)).to(device).train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, betas=(0.9, 0.95), fused=device.type == "cuda")
    T = model.config.block_size
    g = torch.Generator().manual_seed(2)
    seq = torch.randint(model.config.vocab_size, (args.pretrain_batch, T + 1), generator=g).to(device)
    autocast = autocast_for(device)

    def step():
        with autocast:
            _, loss = model(seq[:, :-1], seq[:, 1:])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
    c = model.config
    n = model.num_params() - model.transformer.wpe.weight.numel()
    flops_per_token = 6 * n + 12 * c.n_layer * c.n_embd * T
    return step, flops_per_token


def matmul_peak(device, reps):
    """Best median FLOP/s of square matmuls in the dtype training uses (fp32 on CPU, bf16 on CUDA)."""
    dtype = torch.bfloat16 if device.type == "cuda" else torch.float32
    best = 0.0
    for n in (512, 1024, 2048) if device.type != "cuda" else (4096, 8192):
        a, b = torch.randn(n, n, device=device, dtype=dtype), torch.randn(n, n, device=device, dtype=dtype)
        rates = [2 * n ** 3 / timed(lambda: a @ b, device, 3) * 3 for _ in range(reps)]
        best = max(best, statistics.median(rates))
    return best


# ---- timing ---------------------------------------------------------------------------------------------
def timed(fn, device, n):
    sync(device)
    t0 = time.perf_counter()
    for _ in range(n):
        fn()
    sync(device)
    return time.perf_counter() - t0


def interleaved(contenders, units, device, reps, calls):
    """contenders: name -> function. Each is warmed up, then timed `calls` calls per repetition, in an
    order rotated every repetition. Returns name -> list of rates (units per second), one per repetition."""
    for fn in contenders.values():
        for _ in range(3):  # a compiled contender compiles on the first call, records its CUDA graph on the second
            fn()
    names = list(contenders)
    rates = {name: [] for name in names}
    for r in range(reps):
        for name in names[r % len(names):] + names[: r % len(names)]:
            rates[name].append(units * calls / timed(contenders[name], device, calls))
    return rates


def median_ratio(a, b):
    return statistics.median(x / y for x, y in zip(a, b))


# ---- memory: one fresh process per contender -------------------------------------------------------------
def child(args):
    """Run in a subprocess: build one contender, run a few steps, print its peak memory in MiB."""
    device = pick_device(args.device)
    kind, P = args.child.split(":")
    P = int(P)
    fn = {"shared": lambda: ours_train(args, device, P, True), "concat": lambda: ours_train(args, device, P, False),
          "peft": lambda: peft_train(args, device, P)}[kind]()
    for _ in range(3):
        fn()
    if device.type == "cuda":
        peak = torch.cuda.max_memory_allocated() / 2 ** 20
    else:
        peak = peak_rss_mib()
    print(json.dumps({"peak_mib": peak}))


def peak_rss_mib():
    """This process's peak resident memory. On Linux, VmHWM: ru_maxrss would also count the parent's
    memory at fork time, so every child would look at least as big as the benchmark process."""
    try:
        with open("/proc/self/status") as f:
            return next(int(line.split()[1]) for line in f if line.startswith("VmHWM:")) / 1024  # kB
    except (OSError, StopIteration):
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux, bytes on macOS
        return rss / 2 ** 20 if sys.platform == "darwin" else rss / 1024


def peak_memory(args, kind, P):
    cmd = [sys.executable, "-m", "minprompt.bench", "--child", f"{kind}:{P}", "--device", args.device,
           "--preset", args.preset, "--batch-size", str(args.batch_size), "--text-len", str(args.text_len),
           "--prompts", str(P), "--gen-context", str(args.gen_context), "--new-tokens", str(args.new_tokens)]
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:  # show why the child failed, not just that it did
        raise RuntimeError(f"memory run {kind}:{P} failed (exit {out.returncode}):\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])["peak_mib"]


# ---- the run: one function per section, each adds a markdown table to `lines` ----------------------------
def fmt(x, unit=""):
    return f"{x:,.1f}{unit}" if isinstance(x, float) else str(x)


def table(lines, title, unit, rates, baseline):
    """Append and print a table of median rates and ratios to `baseline`; returns the section's results."""
    lines.extend([f"### {title}", "", f"| contender | {unit} | vs {baseline} |", "|---|---:|---:|"])
    for name, r in rates.items():
        if r is None or isinstance(r, str):  # not installed, or failed (the reason)
            lines.append(f"| {name} | {r or SKIPPED} | |")
            continue
        ratio = median_ratio(r, rates[baseline]) if rates.get(baseline) else None
        lines.append(f"| {name} | {statistics.median(r):,.1f} | {fmt(ratio, 'x') if ratio else ''} |")
    lines.append("")
    print("\n".join(lines[-len(rates) - 5:]), flush=True)
    return {name: (r if r is None or isinstance(r, str) else
                   {"median": statistics.median(r), "rates": r,
                    "vs_" + baseline: median_ratio(r, rates[baseline]) if rates.get(baseline) else None})
            for name, r in rates.items()}


def three_way(args, device, lines, title, ours, peft, P, compiled=False):
    """Our shared prefix, our concatenation and PEFT, interleaved; ratios against PEFT when present.
    compiled: also both of ours under torch.compile (--compile)."""
    fns = {"minprompt shared prefix": ours(args, device, P, True),
           "minprompt concatenation": ours(args, device, P, False)}
    if compiled:
        fns["minprompt shared prefix, compiled"] = ours(args, device, P, True, compiled=True)
        fns["minprompt concatenation, compiled"] = ours(args, device, P, False, compiled=True)
    if has_hf():
        fns["PEFT (transformers)"] = peft(args, device, P)
    rates = interleaved(fns, args.batch_size, device, args.reps, calls=3 if device.type == "cpu" else 20)
    rates.setdefault("PEFT (transformers)", None)
    base = "PEFT (transformers)" if has_hf() else "minprompt concatenation"
    return table(lines, f"{title}, P={P}, batch {args.batch_size} x {args.text_len} tokens", "examples/s", rates, base)


def memory_section(args, device, lines, P):
    kinds = ["shared", "concat"] + (["peft"] if has_hf() else [])
    mem = {k: peak_memory(args, k, P) for k in kinds}
    what = "peak allocated MiB" if device.type == "cuda" else "peak RSS MiB"
    lines.extend([f"### Memory of a training step, P={P} (fresh process each)", "",
                  f"| contender | {what} | vs PEFT |", "|---|---:|---:|"])
    for k, name in (("shared", "minprompt shared prefix"), ("concat", "minprompt concatenation"),
                    ("peft", "PEFT (transformers)")):
        if k not in mem:
            lines.append(f"| {name} | {SKIPPED} | |")
        else:
            lines.append(f"| {name} | {mem[k]:,.0f} | {fmt(mem[k] / mem['peft'], 'x') if 'peft' in mem else ''} |")
    lines.append("")
    print("\n".join(lines[-8:]), flush=True)
    return mem


def bank_section(args, device, lines, P, K=4):
    fns = {"one prompt for every row": ours_bank(args, device, P, "one", K),
           f"{K} prompts mixed in one batch (bank)": ours_bank(args, device, P, "bank", K),
           f"{K} separate batches, one per prompt": ours_bank(args, device, P, "separate", K)}
    rates = interleaved(fns, args.batch_size, device, args.reps, calls=3 if device.type == "cpu" else 20)
    return table(lines, f"Mixed-task classification forward, P={P}, batch {args.batch_size} x {args.text_len} tokens",
                 "examples/s", rates, "one prompt for every row")


def serve_section(args, device, lines, P, n_requests=64, clients=16):
    """minprompt.serve on the bench model: two classification tasks (random prompts, a small tokenizer),
    requests of alternating tasks, sent one at a time by one client and by `clients` clients at once."""
    import threading
    import urllib.request

    from minprompt.serve import App, make_server
    from minprompt.tokenizer import Tokenizer

    model = frozen_model(args, device)
    words = "the a film soup match goal late cold lovely market shares fell rose team".split()
    tok = Tokenizer.train(" ".join(words * 40), 300)
    cks = [{"task": name, "kind": "classification", "template": "Text: {text}\nLabel:", "labels": labels,
            "prompt": torch.randn(P, model.config.n_embd) * 0.02}
           for name, labels in (("a", ["cold", "lovely"]), ("b", ["market", "team", "film"]))]
    app = App(model, tok, cks, ["(bench a)", "(bench b)"], device, max_batch=32, max_wait_ms=5)
    server = make_server(app, port=0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/predict"
    g = torch.Generator().manual_seed(3)
    texts = [" ".join(words[i] for i in torch.randint(len(words), (args.text_len // 2,), generator=g).tolist())
             for _ in range(n_requests)]

    failures = []

    def send(i, latencies):
        body = json.dumps({"task": "ab"[i % 2], "text": texts[i]}).encode()
        t0 = time.perf_counter()
        try:
            urllib.request.urlopen(urllib.request.Request(url, data=body), timeout=600).read()
        except OSError as e:  # a failed request must not pass for a fast one
            failures.append(f"{type(e).__name__}: {e}")
        latencies.append(time.perf_counter() - t0)

    def run(n_clients):
        latencies, t0 = [], time.perf_counter()
        threads = [threading.Thread(target=lambda c=c: [send(i, latencies) for i in range(c, n_requests, n_clients)])
                   for c in range(n_clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if failures:
            raise RuntimeError(f"{len(failures)} of {n_requests} requests to the server failed, e.g. {failures[0]}")
        return n_requests / (time.perf_counter() - t0), sorted(latencies)

    run(clients)  # warm-up
    results = {"one at a time": [], f"{clients} clients at once": []}
    for _ in range(max(3, args.reps // 2)):
        for name, n in (("one at a time", 1), (f"{clients} clients at once", clients)):
            rate, lat = run(n)
            results[name].append((rate, lat[len(lat) // 2] * 1000, lat[min(len(lat) - 1, int(0.99 * len(lat)))] * 1000))
    server.shutdown()
    server.server_close()
    lines.extend([f"### Served requests, P={P}, two tasks, {n_requests} requests of {args.text_len // 2} words", "",
                  "| clients | requests/s | p50 latency ms | p99 latency ms |", "|---|---:|---:|---:|"])
    out = {}
    for name, reps in results.items():
        rate, p50, p99 = (statistics.median(r[k] for r in reps) for k in range(3))
        lines.append(f"| {name} | {rate:,.1f} | {p50:,.1f} | {p99:,.1f} |")
        out[name] = {"requests_per_s": rate, "p50_ms": p50, "p99_ms": p99, "reps": reps}
    lines.append("")
    print("\n".join(lines[-6:]), flush=True)
    return out


def generate_section(args, device, lines, P):
    fns = {"minprompt KV cache, shared prompt": ours_generate(args, device, P, True),
           "minprompt no cache": ours_generate(args, device, P, False)}
    failed = None
    if has_hf():
        try:
            fn = peft_generate(args, device, P)
            fn()
            fns["transformers generate + PEFT"] = fn
        except Exception as e:  # seen: transformers 5.24 + peft 0.21.2 re-feed the virtual tokens every step
            failed = f"failed ({versions()}): {type(e).__name__}: {str(e)[:80]}"
            print(f"transformers generate + PEFT {failed}; timing the others", flush=True)
    rates = interleaved(fns, args.gen_batch * args.new_tokens, device, max(3, args.reps // 2), 1)
    rates.setdefault("transformers generate + PEFT", failed)
    return table(lines, f"Greedy generation, P={P}, {args.gen_batch} rows, {args.gen_context} context "
                        f"+ {args.new_tokens} new tokens", "tokens/s", rates, "minprompt no cache")


def pretrain_section(args, device, lines):
    step, flops_per_token = pretrain_step(args, device)
    peak = matmul_peak(device, args.reps)
    tokens = args.pretrain_batch * PRESETS[args.preset].block_size
    rates = interleaved({"pretrain": step}, tokens, device, args.reps, 3 if device.type == "cpu" else 20)["pretrain"]
    tps = statistics.median(rates)
    mfu = tps * flops_per_token / peak
    lines.extend([f"### Pretraining step ({args.preset}, batch {args.pretrain_batch} x "
                  f"{PRESETS[args.preset].block_size})", "",
                  "| tokens/s | achieved GFLOP/s | matmul peak GFLOP/s | MFU |", "|---:|---:|---:|---:|",
                  f"| {tps:,.0f} | {tps * flops_per_token / 1e9:,.1f} | {peak / 1e9:,.1f} | {mfu:.2f} |", ""])
    print("\n".join(lines[-6:]), flush=True)
    return {"tokens_per_s": tps, "rates": rates, "flops_per_token": flops_per_token, "matmul_peak_flops": peak,
            "mfu": mfu}


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--preset", default="medium", choices=sorted(PRESETS), help="model size (default: %(default)s: d256 L4 H4)")
    p.add_argument("--device", default="auto", help="auto (cuda, then mps, then cpu), cpu, cuda, mps")
    p.add_argument("--prompts", default="20,100", help="prompt lengths P to time, comma-separated (default: %(default)s)")
    p.add_argument("--batch-size", type=int, default=32, help="examples per training/inference batch (default: %(default)s)")
    p.add_argument("--text-len", type=int, default=64, help="text tokens per example (default: %(default)s)")
    p.add_argument("--gen-batch", type=int, default=4, help="rows generated at once (default: %(default)s)")
    p.add_argument("--gen-context", type=int, default=16, help="context tokens before generating (default: %(default)s)")
    p.add_argument("--new-tokens", type=int, default=128, help="tokens generated per row (default: %(default)s)")
    p.add_argument("--pretrain-batch", type=int, default=16, help="pretraining batch (default: %(default)s)")
    p.add_argument("--compile", action="store_true",
                   help="also time our two training steps under torch.compile (CUDA graphs on CUDA; slow to start)")
    p.add_argument("--reps", type=int, default=5, help="timed repetitions per contender (default: %(default)s)")
    p.add_argument("--sections", default="train,memory,infer,bank,serve,generate,pretrain",
                   help="which parts to run, comma-separated (default: all)")
    p.add_argument("--json", default="out/bench.json", help="where to write the results (default: %(default)s)")
    p.add_argument("--child", default=None, help=argparse.SUPPRESS)  # internal: one memory measurement
    args = p.parse_args(argv)
    args.prompt_lengths = [int(x) for x in args.prompts.split(",")]
    return args


def check_sizes(args):
    block = PRESETS[args.preset].block_size
    if args.batch_size < 1 or args.gen_batch < 1 or args.pretrain_batch < 1 or args.reps < 1:
        raise UserError("batch sizes and --reps must be at least 1", None, "pass positive sizes")
    for P in args.prompt_lengths:
        if P < 1 or P + args.text_len > block:
            raise UserError(f"prompt {P} + text {args.text_len} tokens does not fit the {args.preset} preset's "
                            f"context of {block}", None, "pick smaller --prompts or --text-len")
    if max(args.prompt_lengths) + args.gen_context + args.new_tokens > block:
        raise UserError(f"prompt {max(args.prompt_lengths)} + context {args.gen_context} + {args.new_tokens} new "
                        f"tokens exceeds the context of {block}", None, "pick a smaller --new-tokens or --gen-context")


def main(argv=None):
    args = parse_args(argv)
    check_sizes(args)
    if args.child:
        return child(args)
    device = pick_device(args.device)
    sections, hf = set(args.sections.split(",")), has_hf()
    torch.manual_seed(0)
    lines = [f"minprompt.bench: preset {args.preset}, device {device}, torch {torch.__version__}, "
             f"{torch.get_num_threads()} threads, {args.reps} reps, medians" + (f", {versions()}" if hf else ""), ""]
    results = {"preset": args.preset, "device": str(device), "torch": torch.__version__, "args": vars(args),
               "hf": versions() if hf else None}
    for P in args.prompt_lengths:
        if "train" in sections:
            results[f"train_P{P}"] = three_way(args, device, lines, "Prompt-tuning step", ours_train, peft_train, P,
                                               compiled=args.compile)
        if "memory" in sections:
            results[f"memory_P{P}"] = memory_section(args, device, lines, P)
    if "infer" in sections:
        results["infer"] = three_way(args, device, lines, "Classification forward", ours_infer, peft_infer,
                                     args.prompt_lengths[0])
    if "bank" in sections:
        results["bank"] = bank_section(args, device, lines, args.prompt_lengths[0])
    if "serve" in sections:
        results["serve"] = serve_section(args, device, lines, args.prompt_lengths[0])
    if "generate" in sections:
        results["generate"] = generate_section(args, device, lines, args.prompt_lengths[0])
    if "pretrain" in sections:
        results["pretrain"] = pretrain_section(args, device, lines)
    results["markdown"] = "\n".join(lines)
    os.makedirs(os.path.dirname(args.json) or ".", exist_ok=True)
    atomic_write_text(args.json, json.dumps(results, indent=1) + "\n")
    print(f"wrote {args.json}")


if __name__ == "__main__":
    run_main(main)
