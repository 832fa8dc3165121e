"""Interop with Hugging Face: our base as a transformers GPT2LMHeadModel, our prompt as a PEFT adapter.

    pip install -e ".[hf]"
    python -m minprompt.interop out/sentiment/prompt.pt out/hf

writes out/hf/base/ (a GPT-2 that `GPT2LMHeadModel.from_pretrained` loads) and out/hf/adapter/ (a
prompt-tuning adapter, or for a prefix (`tune_prompt.py --method prefix`) a prefix-tuning adapter, that
`PeftModel.from_pretrained(model, "out/hf/adapter")` loads). Texts are still
encoded with minprompt's tokenizer (`load_base(...)[1]`): the exported model knows token ids, not text.

Optional: this module needs the `hf` extra (transformers, peft, safetensors); nothing else in minprompt
imports it. The mapping is one to one because model.py is exactly GPT-2. The only twist: transformers'
GPT-2 stores its projections as `Conv1D`, whose weight is the transpose of an nn.Linear's.
"""
import argparse
import json
import os
import shutil
import tempfile
from pathlib import Path

from minprompt.checkpoint import current_umask, fingerprint, load_base
from minprompt.errors import UserError, run_main
from minprompt.prompt import check_prompt_matches_base, load_prompt, method_of

CONV1D = ("attn.c_attn.weight", "attn.c_proj.weight", "mlp.c_fc.weight", "mlp.c_proj.weight")


def hf_gpt2_config(config):
    """Our GPTConfig -> transformers' GPT2Config (no dropout, tanh GELU, eps 1e-5, tied head)."""
    from transformers import GPT2Config

    return GPT2Config(vocab_size=config.vocab_size, n_positions=config.block_size, n_embd=config.n_embd,
                      n_layer=config.n_layer, n_head=config.n_head, activation_function="gelu_new",
                      layer_norm_epsilon=1e-5, resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0,
                      tie_word_embeddings=True, bos_token_id=config.vocab_size - 1,
                      eos_token_id=config.vocab_size - 1)


def to_hf_gpt2(model):
    """A transformers GPT2LMHeadModel holding the same weights as our GPT (copied, in eval mode)."""
    from transformers import GPT2LMHeadModel

    hf = GPT2LMHeadModel(hf_gpt2_config(model.config))
    ours = model.state_dict()
    state = {name: (ours[name].t() if name.endswith(CONV1D) else ours[name]).detach().clone().cpu()
             for name in ours}
    missing, unexpected = hf.load_state_dict(state, strict=False)
    missing = [m for m in missing if not m.endswith(".attn.bias") and not m.endswith(".masked_bias")]
    if missing or unexpected:  # a mismatch here means model.py drifted from GPT-2
        raise RuntimeError(f"GPT-2 mapping failed: missing {missing}, unexpected {unexpected}")
    hf.tie_weights()
    return hf.eval()


def peft_adapter_config(method, n_prompt, config, base_dir):
    """The adapter_config.json PEFT writes for prompt tuning (or prefix tuning) of a causal LM."""
    common = {"task_type": "CAUSAL_LM", "num_virtual_tokens": n_prompt, "token_dim": config.n_embd,
              "num_transformer_submodules": 1, "num_attention_heads": config.n_head, "num_layers": config.n_layer,
              "inference_mode": True, "base_model_name_or_path": str(base_dir)}
    if method == "prefix":  # no reparameterisation MLP: the keys and values are stored as they are
        return {"peft_type": "PREFIX_TUNING", "encoder_hidden_size": config.n_embd, "prefix_projection": False, **common}
    return {"peft_type": "PROMPT_TUNING", "prompt_tuning_init": "RANDOM", **common}


def peft_prompt_embeddings(prompt):
    """Our tensor -> PEFT's `prompt_embeddings`: a prompt (P, C) as it is; a prefix (L, 2, nh, P, hs) as
    (P, L*2*C), since PEFT views each virtual token's row as (layer, key or value, head, head_size)."""
    if method_of(prompt) == "prompt":
        return prompt.contiguous()  # (P, C)
    return prompt.permute(3, 0, 1, 2, 4).reshape(prompt.shape[3], -1).contiguous()  # (P, L*2*nh*hs)


def export_peft(prompt_file, out_dir, base=None):
    """Write out_dir/base (the prompt's base as HF GPT-2) and out_dir/adapter (the prompt as a PEFT
    prompt-tuning or prefix-tuning adapter). Returns (base_dir, adapter_dir)."""
    from safetensors.torch import save_file

    out_dir = Path(out_dir).resolve()
    if out_dir.exists() and not is_export(out_dir):
        raise UserError("output exists and is not an empty folder or an earlier export", out_dir,
                        "pass a new folder (an export holds only base/ and adapter/)")
    ck = load_prompt(prompt_file)
    base = base or ck["base_path"]
    model, tokenizer = load_base(base)
    check_prompt_matches_base(ck, fingerprint(model), tokenizer.hash(), prompt_file, model.config)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=out_dir.parent, prefix=f".{out_dir.name}-"))  # nothing half-written
    try:
        to_hf_gpt2(model).save_pretrained(tmp / "base")
        (tmp / "adapter").mkdir()
        prompt = ck["prompt"].float()  # (P, C) or (L, 2, nh, P, hs)
        save_file({"prompt_embeddings": peft_prompt_embeddings(prompt)}, str(tmp / "adapter" / "adapter_model.safetensors"))
        config = peft_adapter_config(ck["method"], prompt.shape[-2], model.config, out_dir / "base")
        (tmp / "adapter" / "adapter_config.json").write_text(json.dumps(config, indent=2) + "\n")
        os.chmod(tmp, 0o777 & ~current_umask())  # mkdtemp makes it private
        old = None
        if out_dir.exists():  # swap: the old export is removed only once the new one is in place
            old = out_dir.with_name(tmp.name + "-old")
            os.replace(out_dir, old)
        os.replace(tmp, out_dir)
        if old is not None:
            shutil.rmtree(old)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out_dir / "base", out_dir / "adapter"


def is_export(path):
    """An empty folder, or one holding only what export_peft writes: safe to replace."""
    return path.is_dir() and {p.name for p in path.iterdir()} <= {"base", "adapter"}


def main(argv=None):
    p = argparse.ArgumentParser(description="Export a tuned prompt and its base for transformers + PEFT.")
    p.add_argument("prompt", help="prompt.pt written by tune_prompt.py")
    p.add_argument("out", help="output directory (gets base/ and adapter/)")
    p.add_argument("--base", default=None, help="base checkpoint (default: the path stored in the prompt file)")
    p.add_argument("--overwrite", action="store_true", help="replace an earlier export in the output directory")
    args = p.parse_args(argv)
    try:
        import peft  # noqa: F401  (checked here so the user hears about the extra, not a traceback)
        import safetensors  # noqa: F401
        import transformers  # noqa: F401
    except ImportError:
        raise UserError("transformers, peft and safetensors are not installed", None,
                        'pip install -e ".[hf]"') from None
    out = Path(args.out)
    if out.exists() and not (out.is_dir() and not any(out.iterdir())) and not args.overwrite:
        raise UserError("output directory is not empty", args.out, "pass --overwrite or another directory")
    base_dir, adapter_dir = export_peft(args.prompt, args.out, args.base)
    print(f"wrote {base_dir} (GPT2LMHeadModel) and {adapter_dir} (PEFT adapter)")


if __name__ == "__main__":
    run_main(main)
