"""Would the tests notice? Apply one deliberate single-line breakage of the code at a time, run the tests
that should catch it, restore the file, and count how many were caught. Not a test itself (pytest does not
collect it); run it after changing the code or the tests:

    python tests/breakages.py            # every breakage, about 13 minutes on 2 cores
    python tests/breakages.py 3 7        # only breakages 3 and 7

The tiny base the end-to-end tests need is trained once, before any breakage, and reused by every run
through MINPROMPT_TEST_BASE (see conftest.py). Each file is restored in a `finally`, even on Ctrl-C.
"""
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TUNE, GEN, TRAIN = "tests/test_tune_prompt.py", "tests/test_generation.py", "tests/test_train_base.py"

# (what the breakage does, file, the line as it is, the line broken, the tests that should catch it)
BREAKAGES = [
    ("the KV cache is never told the rows' lengths", "minprompt/model.py",
     "KVCache(self, lengths, T, max_new_tokens, P)", "KVCache(self, torch.full_like(lengths, T), T, max_new_tokens, P)", [GEN]),
    ("the cache shows a row its own padding", "minprompt/model.py",
     "real = (key[None] < self.lengths[:, None]) | (key[None] >= self.width)",
     "real = (key[None] < self.width) | (key[None] >= self.width)", [GEN, "tests/test_model.py"]),
    ("new tokens' positions ignore the row's real length", "minprompt/model.py",
     "new = self.lengths[:, None] + (col - self.width)", "new = col.expand(len(self.lengths), -1)", [GEN, "tests/test_model.py"]),
    ("the last block keeps the prompt's rows as text", "minprompt/model.py",
     "return self.kept_text(x[self.prompt_rows:]) if self.text_only else x",
     "return self.kept_text(x[:x.shape[0] - self.prompt_rows]) if self.text_only else x",
     ["tests/test_model.py"]),
    ("every row of a bank gets the first prompt", "minprompt/model.py",
     "return t if self.prompt_index is None else t[self.prompt_index]", "return t if self.prompt_index is None else t[:1]",
     ["tests/test_model.py"]),
    ("the server hands a task's answers out in the wrong order", "minprompt/serve.py",
     "for (request, i, _), out in zip(rows[name], outs):", "for (request, i, _), out in zip(rows[name], outs[::-1]):",
     ["tests/test_serve.py"]),
    ("mixed-task prediction gives each job the rows of the job before", "minprompt/tasks.py",
     "index = [k for k, j in enumerate(members) for _ in jobs[j][2]]", "index = [max(k - 1, 0) for k, j in enumerate(members) for _ in jobs[j][2]]",
     ["tests/test_tasks.py", TUNE + "::test_predict_with_several_prompts_gives_each_tasks_own_answers_in_columns"]),
    ("the first new token comes from the last column, not each row's last real token", "minprompt/model.py",
     "next_logits = logits[rows, lengths - 1]  # (B, vocab): each row's last real position",
     "next_logits = logits[:, -1]", [GEN]),
    ("generate_texts drops the rows' lengths", "minprompt/tasks.py",
     "prompt=prompt, lengths=lengths, eot_id=tokenizer.eot_id", "prompt=prompt, eot_id=tokenizer.eot_id", [GEN]),
    ("the loaded base is left trainable, so tuning can reach it", "minprompt/checkpoint.py",
     "model.requires_grad_(False)", "model.requires_grad_(True)", [TUNE + "::test_the_scripts_optimizer_holds_the_prompt_alone_and_the_loaded_base_stays_frozen"]),
    ("the generation loss is averaged per example, not per token", "minprompt/tasks.py",
     "count += (targets != -100).sum().item()", "count += idx.shape[0]", ["tests/test_tasks.py"]),
    ("predict's length budget ignores the prompt", "minprompt/predict.py",
     'budget = model.config.block_size - ck["prompt"].shape[-2]', "budget = model.config.block_size", [TUNE + "::test_predict_refuses_bad_settings_and_cuts_long_input_to_fit_behind_the_prompt"]),
    ("the fingerprint hashes only the start of each tensor", "minprompt/checkpoint.py",
     "h.update(t.numpy().tobytes())", "h.update(t.numpy().tobytes()[:64])", ["tests/test_checkpoint.py"]),
    ("the write is not atomic", "minprompt/checkpoint.py", "        write(tmp)\n", "        write(path)\n",
     ["tests/test_checkpoint.py"]),
    ("a failed write leaves its temporary file", "minprompt/checkpoint.py", "            os.remove(tmp)",
     "            pass", ["tests/test_checkpoint.py"]),
    ("tuning_step steps on a NaN loss", "minprompt/prompt.py", "if torch.isfinite(step_loss):", "if True:",
     ["tests/test_prompt.py"]),
    ("a task's own default --lr is ignored", "tune_prompt.py",
     "args.lr = task.lr or PROMPT_LR", "args.lr = PROMPT_LR", [TUNE]),
    ("a task's own default --steps is ignored", "tune_prompt.py",
     "args.steps = task.steps or PROMPT_STEPS", "args.steps = PROMPT_STEPS", [TUNE]),
    ("a task.json's template is ignored", "minprompt/tasks.py",
     '        template = spec["template"]\n', "        template = DEFAULT_TEMPLATES[kind]\n", ["tests/test_tasks.py"]),
    ("a task.json's unknown key is accepted", "minprompt/tasks.py",
     "        if kind is None:\n", "        if kind is None and False:\n", ["tests/test_tasks.py"]),
    ("--help stops at a broken bundled task.json", "minprompt/tasks.py",
     "        except UserError:\n", "        except ImportError:\n",
     ["tests/test_tasks.py::test_the_helps_bundled_specs_skip_a_broken_task_json"]),
    ("--resume does not load the vectors", "tune_prompt.py", 'soft.weight.copy_(ck["prompt"])',
     "soft.weight.copy_(soft.weight)", [TUNE + "::test_cli_outputs_predict_and_base_untouched"]),
    ("--resume resets the step", "tune_prompt.py", 'return {"step": ck["steps"],', 'return {"step": 0,',
     [TUNE + "::test_cli_outputs_predict_and_base_untouched"]),
    ("--resume forgets the best score", "tune_prompt.py", '"score": ck["val_score"],', '"score": float("-inf"),',
     [TUNE + "::test_cli_outputs_predict_and_base_untouched"]),
    ("the test split is scored with the last prompt, not the best", "tune_prompt.py",
     'soft.weight.copy_(load_prompt(run.prompt_path)["prompt"].to(run.device))', "soft.weight.copy_(soft.weight)",
     [TUNE + "::test_cli_outputs_predict_and_base_untouched"]),
    ("train_base.py has no Ctrl-C handling", "train_base.py", "except KeyboardInterrupt:",
     "except ZeroDivisionError:", [TRAIN + "::test_ctrl_c_writes_nothing_and_keeps_the_kept_bases_log"]),
    ("an interrupted --overwrite run keeps the old results.json", "tune_prompt.py", "os.remove(stale)", "pass",
     [TUNE + "::test_ctrl_c_keeps_the_best_prompt_and_resume_continues"]),
    ("left truncation keeps the value's leading space", "minprompt/tasks.py",
     "tokenizer.decode(value_ids[drop:]).lstrip()", "tokenizer.decode(value_ids[drop:])", ["tests/test_tasks.py"]),
    ("atomic writes keep mkstemp's 0600", "minprompt/checkpoint.py",
     "os.chmod(tmp, 0o666 & ~current_umask())", "pass", ["tests/test_checkpoint.py"]),
    ("a prompt holding NaN is accepted", "minprompt/prompt.py", "if not torch.isfinite(ck[\"prompt\"]).all():",
     "if False:", ["tests/test_prompt.py"]),
    ("a prompt of another width reaches the model", "minprompt/prompt.py",
     "if config is not None and shape != prompt_shape(ck[\"method\"], shape[-2], config):", "if False:",
     ["tests/test_prompt.py"]),
    ("tune_prompt.py accepts --steps 0", "tune_prompt.py", 'check_positive(args, "steps", ', "check_positive(args, ",
     [TUNE + "::test_bad_settings_get_one_line_and_leave_the_kept_run_untouched"]),
    ("train_base.py trains through a NaN loss", "train_base.py", "if not torch.isfinite(loss):", "if False:",
     [TRAIN + "::test_bad_settings_get_one_line_and_write_nothing"]),
    ("the causal mask lets each query see the next token", "minprompt/attention.py",
     "return key_pos <= query_pos  # (T, S)", "return key_pos <= query_pos + 1  # (T, S)", ["tests/test_attention.py"]),
    ("the fast path aligns the causal mask top-left, hiding text keys behind the prefix", "minprompt/attention.py",
     "attn_mask=causal_lower_right(T, S))", "is_causal=True)", ["tests/test_attention.py"]),
    ("attention scores are divided by the head size, not its square root", "minprompt/attention.py",
     "scores = q @ k.transpose(-2, -1) / math.sqrt(hs)", "scores = q @ k.transpose(-2, -1) / hs",
     ["tests/test_attention.py"]),
    ("the text's positions start at 0 behind the prompt", "minprompt/model.py",
     "pos, kvs = torch.arange(P, P + T, device=idx.device)", "pos, kvs = torch.arange(0, T, device=idx.device)",
     ["tests/test_model.py"]),
    ("--position-init sinusoid leaves GPT-2's random table", "train_base.py",
     "model.transformer.wpe.weight.copy_(sinusoids(config.block_size, config.n_embd) * POSITION_INIT_SCALE)", "pass",
     [TRAIN + "::test_position_init_sinusoid_starts_the_table_as_sinusoids_and_random_does_not"]),
    ("the prompt's rows get no position embedding", "minprompt/model.py",
     "prompts = bank + self.transformer.wpe(torch.arange(bank.shape[1], device=idx.device))", "prompts = bank",
     ["tests/test_model.py"]),
    ("encoding applies the latest merge first", "minprompt/tokenizer.py",
     "pair = min(zip(ids, ids[1:]), key=lambda p: self.merges.get(p, float(\"inf\")))",
     "pair = max(zip(ids, ids[1:]), key=lambda p: self.merges.get(p, -1))", ["tests/test_tokenizer.py"]),
    ("training merges the rarest pair", "minprompt/tokenizer.py", "pair = max(pair_counts, key=pair_counts.__getitem__)",
     "pair = min(pair_counts, key=pair_counts.__getitem__)", ["tests/test_tokenizer.py"]),
    ("a prompt from another base is accepted", "minprompt/prompt.py",
     "if ck[\"base_fingerprint\"] != base_fingerprint:", "if False:", ["tests/test_prompt.py"]),
    ("an altered base is accepted", "minprompt/checkpoint.py", "if fingerprint(model) != ck[\"fingerprint\"]:",
     "if False:", ["tests/test_checkpoint.py"]),
    ("a user error exits with status 1", "minprompt/errors.py", "sys.exit(2)", "sys.exit(1)", ["tests/test_prompt.py",
     TRAIN + "::test_bad_settings_get_one_line_and_write_nothing"]),
    ("predict prints a text's newlines as they are", "minprompt/predict.py",
     'return text.replace("\\\\", "\\\\\\\\").replace("\\n", "\\\\n").replace("\\t", "\\\\t")', "return text",
     [TUNE + "::test_one_line_escapes_what_would_break_a_tsv_line"]),
    ("rank classification reads the labels' scores in reverse order", "minprompt/tasks.py",
     "[:, [ids[0] for ids in label_ids]]", "[:, [ids[0] for ids in label_ids[::-1]]]", ["tests/test_tasks.py"]),
    ("the validation tail is also trained on", "minprompt/corpus.py",
     "train, val = ids[: len(ids) - n_val], ids[len(ids) - n_val:]", "train, val = ids, ids[len(ids) - n_val:]",
     [TRAIN + "::test_validation_is_the_untouched_tail_and_each_target_is_the_next_token"]),
    ("the targets are the inputs, not the next tokens", "minprompt/corpus.py",
     "ids[s + 1: s + 1 + block_size]", "ids[s: s + block_size]",
     [TRAIN + "::test_validation_is_the_untouched_tail_and_each_target_is_the_next_token"]),
    ("the copy probe's second half is fresh tokens, not a copy", "minprompt/corpus.py",
     "return torch.cat([first, first], dim=1)", "return torch.cat([first, first.flip(1)], dim=1)",
     [TRAIN + "::test_copy_probe_scores_a_perfect_copier_and_not_a_blind_model"]),
    ("the mention probe counts a pair other documents also have", "minprompt/corpus.py",
     "if len(docs_with[pair]) == 1:", "if True:",
     [TRAIN + "::test_mention_probe_finds_a_documents_own_repeated_pairs_and_scores_a_copier"]),
    ("the mention score is read one token late", "minprompt/corpus.py",
     "return loss[first[:, 1:]].mean().item(), loss[later[:, 1:]].mean().item()",
     "return loss[first[:, :-1]].mean().item(), loss[later[:, :-1]].mean().item()",
     [TRAIN + "::test_mention_probe_finds_a_documents_own_repeated_pairs_and_scores_a_copier"]),
    ("copy rows score their unpredictable first run", "minprompt/corpus.py",
     "row[:length] = IGNORE", "row[:0] = IGNORE",
     [TRAIN + "::test_copy_rows_repeat_one_run_of_corpus_tokens_and_score_only_what_can_be_copied"]),
    ("copy rows are fresh tokens, not one run repeated", "minprompt/corpus.py",
     "rows.append(run.repeat(T // length + 2)[: T + 1])",
     "rows.append(torch.randint(5000, 6000, (T + 1,), generator=generator))",
     [TRAIN + "::test_copy_rows_repeat_one_run_of_corpus_tokens_and_score_only_what_can_be_copied"]),
    ("train_base.py ignores --copy-rows", "train_base.py",
     "x, y = with_copy_rows(x, y, args.copy_rows, train_ids, gen)  # (B, T) each", "pass",
     [TRAIN + "::test_copy_rows_change_what_the_base_trains_on"]),
    ("train_base.py --precision bf16 trains in fp32", "minprompt/device.py",
     "return torch.autocast(device.type, dtype=torch.bfloat16) if bf16 else nullcontext()", "return nullcontext()",
     [TRAIN + "::test_precision_is_recorded_auto_is_fp32_on_the_cpu_and_bf16_really_trains_differently"]),
    ("recall by field counts the requested style as an attribute", "minprompt/tasks.py",
     "extend(v.lower() in o.lower() for v in values if v in r[\"attributes\"])",
     "extend(v.lower() in o.lower() for v in values)",
     ["tests/test_tasks.py::test_recall_by_field_reads_the_card_and_skips_what_is_not_an_attribute"]),
]


def run_tests(tests, env):
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", *tests], cwd=ROOT, env=env,
                          capture_output=True, text=True).returncode


def main(picked):
    env = dict(os.environ)
    if "MINPROMPT_TEST_BASE" not in env:  # or a folder holding a base you trained
        env["MINPROMPT_TEST_BASE"] = tempfile.mkdtemp(prefix="minprompt-base-")
    print("training the tiny test base once ...", flush=True)
    assert run_tests([TRAIN + "::test_pretraining_clearly_lowers_the_loss"], env) == 0, "the unbroken code must pass"
    chosen = [(i, b) for i, b in enumerate(BREAKAGES, 1) if not picked or i in picked]
    for i, (what, file, line, broken, tests) in chosen:  # a line the code no longer has would test nothing
        count = (ROOT / file).read_text().count(line)
        assert count == 1, f"breakage {i} ({what}): its line is in {file} {count} times, not once; update it"
    caught = 0
    for i, (what, file, line, broken, tests) in chosen:
        path = ROOT / file
        original = path.read_text()
        assert original.count(line) == 1, f"breakage {i}: the line is not in {file} exactly once: {line!r}"
        try:
            path.write_text(original.replace(line, broken))
            failed = run_tests(tests, env) != 0
        finally:
            path.write_text(original)
        caught += failed
        print(f"{i:2d} {'caught' if failed else 'MISSED'}  {what}", flush=True)
    print(f"{caught}/{len(chosen)} breakages caught")
    return 0 if caught == len(chosen) else 1


if __name__ == "__main__":
    sys.exit(main({int(a) for a in sys.argv[1:]}))
