"""The benchmark's plumbing (never its numbers): nonsense sizes are refused with one line, a missing
`hf` extra shows as "skipped" in the table, a PEFT contender that fails is reported with its reason, and a
small run writes a JSON with every contender."""
import json

import pytest

from conftest import run_script
from minprompt import bench


@pytest.mark.parametrize("args, message", [
    (["--prompts", "200", "--text-len", "64"], "prompt 200 + text 64 tokens does not fit"),
    (["--batch-size", "0"], "batch sizes and --reps must be at least 1"),
    (["--preset", "tiny", "--prompts", "8", "--new-tokens", "128"], "exceeds the context of 128"),
])
def test_nonsense_sizes_are_refused(args, message, tmp_path):
    r = run_script("-m", "minprompt.bench", *args, "--json", str(tmp_path / "b.json"))
    assert r.returncode == 2
    assert r.stderr.startswith("error: ") and message in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "b.json").exists()


def test_small_run_without_the_extra_reports_skipped(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(bench, "has_hf", lambda: False)
    out = tmp_path / "b.json"
    bench.main(["--preset", "tiny", "--prompts", "4", "--text-len", "8", "--batch-size", "2", "--gen-batch", "2",
                "--new-tokens", "4", "--reps", "1", "--sections", "train,infer,bank,serve,generate", "--json", str(out)])
    results = json.loads(out.read_text())
    assert bench.SKIPPED in results["markdown"]
    for key in ("train_P4", "infer"):
        assert results[key]["PEFT (transformers)"] is None
        assert results[key]["minprompt shared prefix"]["median"] > 0
        assert results[key]["minprompt concatenation"]["median"] > 0
    assert results["generate"]["minprompt KV cache, shared prompt"]["median"] > 0
    assert len(results["bank"]) == 3 and all(r["median"] > 0 for r in results["bank"].values())
    assert all(r["requests_per_s"] > 0 and 0 < r["p50_ms"] <= r["p99_ms"] for r in results["serve"].values())
    assert "| minprompt shared prefix |" in capsys.readouterr().out


def test_the_scripts_never_import_the_optional_extras():
    code = ("import sys, train_base, tune_prompt, minprompt.predict, minprompt.bench; "
            "bad = [m for m in ('transformers', 'peft', 'safetensors', 'matplotlib') if m in sys.modules]; "
            "print(bad); sys.exit(1 if bad else 0)")
    r = run_script("-c", code)
    assert r.returncode == 0, r.stdout + r.stderr


def test_a_failing_peft_contender_is_reported_and_the_others_still_timed(tmp_path, monkeypatch):
    pytest.importorskip("peft")

    def broken(args, device, P):
        def generate():
            raise IndexError("index out of range in self")
        return generate
    monkeypatch.setattr(bench, "peft_generate", broken)
    out = tmp_path / "b.json"
    bench.main(["--preset", "tiny", "--prompts", "4", "--gen-batch", "2", "--new-tokens", "4", "--reps", "1",
                "--sections", "generate", "--json", str(out)])
    generate = json.loads(out.read_text())["generate"]
    assert generate["transformers generate + PEFT"].startswith("failed (transformers ")
    assert "IndexError: index out of range" in generate["transformers generate + PEFT"]
    assert generate["minprompt KV cache, shared prompt"]["median"] > 0


def test_compile_adds_both_compiled_training_steps(tmp_path, monkeypatch):
    """--compile's plumbing on the CPU (the compiler itself is swapped for torch.compile's eager backend,
    which traces but builds no code): two more rows in the training table, each timed."""
    import torch
    compile_ = torch.compile
    modes = []

    def eager_compile(fn, mode=None, dynamic=None):
        modes.append((mode, dynamic))
        return compile_(fn, backend="eager", dynamic=dynamic)
    monkeypatch.setattr(torch, "compile", eager_compile)
    monkeypatch.setattr(bench, "has_hf", lambda: False)
    out = tmp_path / "b.json"
    bench.main(["--preset", "tiny", "--prompts", "4", "--text-len", "8", "--batch-size", "2", "--reps", "1",
                "--new-tokens", "4", "--sections", "train", "--compile", "--json", str(out)])
    train = json.loads(out.read_text())["train_P4"]
    assert modes == [(None, False), (None, False)]  # "reduce-overhead" only on CUDA
    assert train["minprompt shared prefix, compiled"]["median"] > 0
    assert train["minprompt concatenation, compiled"]["median"] > 0
