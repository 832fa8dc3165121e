"""minprompt: soft prompt tuning from scratch in plain PyTorch.

    python train_base.py     # pretrain a small GPT on the bundled corpus -> out/base/base.pt
    python tune_prompt.py    # learn a soft prompt for a task on the frozen base -> out/<task>/prompt.pt

Files: tokenizer.py (BPE), corpus.py (pretraining text -> windows, the copy probe), attention.py (causal
attention with a shared prefix), model.py (GPT: one path for prompt and batch, generation, the KV cache,
the concatenation reference), prompt.py (SoftPrompt, prompt files, the tuning step), tasks.py (task
files, scoring, evaluate, metrics), checkpoint.py (base.pt), device.py (device and autocast), errors.py
(one-line user errors), predict.py (`python -m minprompt.predict`), bench.py (`python -m minprompt.bench`),
interop.py (optional: transformers and PEFT).
"""
