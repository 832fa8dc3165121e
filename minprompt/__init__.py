"""minprompt: soft prompt tuning from scratch in plain PyTorch.

    python train_base.py     # pretrain a small GPT on the bundled corpus -> out/base/base.pt
    python tune_prompt.py    # learn a soft prompt for a task on the frozen base -> out/<task>/prompt.pt

Files: tokenizer.py (BPE), attention.py (causal attention with a shared prefix), model.py (GPT),
checkpoint.py (base.pt), corpus.py (pretraining data), errors.py (one-line user errors).
"""
