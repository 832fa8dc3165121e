"""The CUDA path: what the CPU tests cannot show. Skipped without a GPU (CI has none); run on a GPU with
    pytest tests/test_cuda.py

- the shared prefix runs in a fused SDPA kernel (no dense mask, no math fallback), and under the bf16
  autocast that tune_prompt.py uses its logits, loss and prompt gradient match fp64 concatenation on
  the CPU within bf16 rounding;
- tuning steps on the GPU (autocast, fused AdamW) leave every base weight bitwise unchanged;
- cached generation equals uncached greedy decoding on the GPU;
- the compiled tuning step (`--compile`, real inductor code) computes the eager step's loss and gradient,
  and its CUDA graphs on length-bucketed batches take the eager steps' path;
- train_base.py and tune_prompt.py run on the GPU end to end, and tune_prompt.py leaves the base untouched.
"""
import hashlib
import json
from contextlib import nullcontext

import pytest
import torch

from conftest import run_script
from minprompt.attention import attention
from minprompt.device import autocast_for, compile_step
from minprompt.distributed import World
from minprompt.model import GPT, forward_concatenated, preset
from minprompt.prompt import SoftPrompt, make_optimizer, tuning_step
from minprompt.tasks import length_buckets, micro_batches

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
V = 97
CUDA = torch.device("cuda")


def model_on(device, dtype, seed=0):
    torch.manual_seed(seed)
    model = GPT(preset("tiny", vocab_size=V, block_size=96, n_embd=128, n_head=4, n_layer=2))
    for p in model.parameters():  # larger than GPT-2's init so that differences would show
        p.data.normal_(0, 0.1)
    return model.to(device=device, dtype=dtype).requires_grad_(False).eval()


def class_batch(B, T, seed):
    g = torch.Generator().manual_seed(seed)
    idx = torch.randint(V, (B, T), generator=g)  # (B, T)
    targets = torch.full((B, T), -100)
    targets[:, -2:] = torch.randint(V, (B, 2), generator=g)  # answer tokens at the end, as in tuning
    return idx, targets


def rel_err(a, b):
    return ((a.double().cpu() - b.double().cpu()).norm() / b.double().cpu().norm()).item()


def attention_ops(fn):
    """Names of the attention ops that ran inside fn()."""
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as prof:
        fn()
    return {e.key for e in prof.key_averages() if "attention" in e.key}


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_prefix_attention_runs_a_fused_kernel_without_a_dense_mask(dtype):
    """causal_lower_right dispatches straight to a fused kernel. Had it fallen back to a materialised
    (T, P+T) mask, the generic aten::scaled_dot_product_attention op would show in the profile."""
    B, nh, T, P, hs = 8, 4, 40, 20, 32
    q, k, v = (torch.randn(B, nh, T, hs, device=CUDA, dtype=dtype, requires_grad=True) for _ in range(3))
    pk, pv = (torch.randn(1, nh, P, hs, device=CUDA, dtype=dtype, requires_grad=True) for _ in range(2))
    ops = attention_ops(lambda: attention(q, k, v, pk, pv).sum().backward())
    assert any("efficient_attention" in op or "flash_attention" in op for op in ops), ops
    assert "aten::scaled_dot_product_attention" not in ops, ops
    assert not any("math" in op for op in ops), ops
    assert pk.grad is not None and pk.grad.abs().sum() > 0


@pytest.mark.parametrize("autocast", [False, True])
def test_shared_prefix_on_cuda_matches_fp64_concatenation(autocast):
    P, B, T = 20, 8, 40
    gpu, ref = model_on(CUDA, torch.float32), model_on("cpu", torch.float64)
    g = torch.Generator().manual_seed(3)
    prompt64 = (torch.randn(P, 128, generator=g, dtype=torch.float64) * 0.1).requires_grad_(True)
    prompt = prompt64.detach().float().to(CUDA).requires_grad_(True)
    idx, targets = class_batch(B, T, seed=4)
    with autocast_for(CUDA) if autocast else nullcontext():  # tune_prompt.py's bf16 autocast
        logits, loss = gpu(idx.to(CUDA), targets.to(CUDA), prompt=prompt)
    loss.backward()
    ref_logits, ref_loss = forward_concatenated(ref, idx, targets, prompt=prompt64)
    ref_loss.backward()
    tol = 2e-2 if autocast else 1e-4  # bf16 keeps 8 bits of mantissa; fp32 lands far under 1e-4
    assert rel_err(logits, ref_logits) < tol
    assert rel_err(loss, ref_loss) < tol
    assert rel_err(prompt.grad, prompt64.grad) < 2 * tol


def test_tuning_on_cuda_moves_only_the_prompt():
    model = model_on(CUDA, torch.float32)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    soft = SoftPrompt(10, 128).to(CUDA)
    optimizer = make_optimizer(soft, 0.1)
    assert optimizer.defaults["fused"]
    start = soft.weight.detach().clone()
    for seed in range(5):
        idx, targets = class_batch(4, 30, seed)
        loss = tuning_step(model, soft, optimizer, [(idx.to(CUDA), targets.to(CUDA), 1.0)], autocast_for(CUDA))
        assert torch.isfinite(loss)
    assert not torch.equal(soft.weight, start)
    for k, v in model.state_dict().items():
        assert torch.equal(v, before[k]), k


def test_cached_generation_equals_uncached_on_cuda():
    model = model_on(CUDA, torch.float32)
    g = torch.Generator().manual_seed(5)
    prompt = torch.randn(6, 128, generator=g).to(CUDA) * 0.1
    idx = torch.randint(V, (3, 9), generator=g).to(CUDA)
    lengths = torch.tensor([9, 4, 6])  # right-padded rows of different lengths
    cached = model.generate(idx, 24, prompt=prompt, lengths=lengths)
    uncached = model.generate(idx, 24, prompt=prompt, lengths=lengths, use_cache=False)
    assert cached == uncached
    with torch.autocast("cuda", dtype=torch.bfloat16):  # as tune_prompt.py evaluates a generation task
        assert [len(row) for row in model.generate(idx, 24, prompt=prompt, lengths=lengths)] == [24, 24, 24]


def test_compiled_tuning_step_matches_eager_on_cuda():
    torch._dynamo.reset()
    model = model_on(CUDA, torch.float32)
    compiled = torch.compile(model, fullgraph=True)
    idx, targets = class_batch(8, 40, seed=6)
    idx, targets = idx.to(CUDA), targets.to(CUDA)
    results = []
    for m in (model, compiled):
        soft = SoftPrompt(12, 128).to(CUDA)
        torch.nn.init.normal_(soft.weight, std=0.1, generator=torch.Generator(CUDA).manual_seed(7))
        _, loss = m(idx, targets, prompt=soft(), answers_only=True)
        loss.backward()
        results.append((loss.detach(), soft.weight.grad))
    (eager_loss, eager_grad), (comp_loss, comp_grad) = results
    assert rel_err(comp_loss, eager_loss) < 1e-4
    assert rel_err(comp_grad, eager_grad) < 1e-3


def test_cuda_graph_steps_on_length_buckets_match_eager_steps():
    """`tune_prompt.py --compile` on CUDA: mode="reduce-overhead" (CUDA graphs), batches padded to length
    buckets, three optimizer steps over two buckets end where eager steps end."""
    torch._dynamo.reset()
    model = model_on(CUDA, torch.float32)
    compiled = compile_step(model, CUDA)  # mode="reduce-overhead"
    buckets = length_buckets(96 - 12, step=32)  # (32, 64, 84)
    g = torch.Generator().manual_seed(3)
    batches = [[(torch.randint(V, (n,), generator=g).tolist(), [5]) for _ in range(8)] for n in (20, 50, 30)]
    prompts = []
    for m in (model, compiled):
        soft = SoftPrompt(12, 128).to(CUDA)
        torch.nn.init.normal_(soft.weight, std=0.1, generator=torch.Generator(CUDA).manual_seed(7))
        optimizer = make_optimizer(soft, 0.01)
        for pairs in batches:
            tuning_step(m, soft, optimizer, micro_batches(pairs, World(), 1, CUDA, buckets))
        prompts.append(soft.weight.detach())
    assert rel_err(prompts[1], prompts[0]) < 1e-3


def test_scripts_run_on_cuda(tmp_path):
    r = run_script("train_base.py", "--device", "cuda", "--preset", "tiny", "--vocab-size", "300", "--steps", "40",
                   "--eval-every", "20", "--out", str(tmp_path / "base"))
    assert r.returncode == 0, r.stderr
    assert json.loads((tmp_path / "base" / "metrics.json").read_text())["precision"] == "bf16"  # --precision auto
    base = tmp_path / "base" / "base.pt"
    digest = hashlib.sha256(base.read_bytes()).hexdigest()
    r = run_script("tune_prompt.py", "--device", "cuda", "--base", str(base), "--task", "topic", "--steps", "10",
                   "--eval-every", "5", "--n-prompt", "4", "--out", str(tmp_path / "topic"))
    assert r.returncode == 0, r.stderr
    results = json.loads((tmp_path / "topic" / "results.json").read_text())
    assert results["device"].startswith("cuda") and 0 <= results["test_metric"] <= 1
    r = run_script("tune_prompt.py", "--device", "cuda", "--base", str(base), "--task", "describe", "--steps", "4",
                   "--eval-every", "2", "--n-prompt", "4", "--out", str(tmp_path / "describe"))  # generates under bf16
    assert r.returncode == 0, r.stderr
    r = run_script("tune_prompt.py", "--device", "cuda", "--base", str(base), "--task", "topic", "--steps", "6",
                   "--eval-every", "3", "--n-prompt", "4", "--compile", "--out", str(tmp_path / "compiled"))
    assert r.returncode == 0, r.stderr
    assert hashlib.sha256(base.read_bytes()).hexdigest() == digest
