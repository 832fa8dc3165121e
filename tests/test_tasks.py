"""Task files -> batches: bad files get one clear error; answer-only targets; left truncation; rank
classification scores every label as a continuation."""
import json

import pytest
import torch

from minprompt.distributed import World
from minprompt.errors import UserError
from minprompt.model import GPT, preset
from minprompt.tasks import (NaiveBayes, Task, answer_loss, card_fields, classification_metrics, classify,
                             encode_split, generation_metrics, label_logprobs, length_buckets, load_task, make_batch,
                             micro_batches, naive_bayes_accuracy, predict, predict_mixed)
from minprompt.tokenizer import Tokenizer

TOK = Tokenizer.train("Review: good film. bad film. Sentiment: positive negative neutral " * 20, 300)


def write_task(folder, train, val=None, test=None):
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in (("train", train), ("val", val or train), ("test", test or train)):
        (folder / f"{name}.jsonl").write_text("".join(r if isinstance(r, str) else json.dumps(r) + "\n" for r in rows))
    return folder


ROWS = [{"text": "good film", "label": "positive"}, {"text": "bad film", "label": "negative"}]


def error(folder):
    with pytest.raises(UserError) as e:
        load_task(str(folder))
    return str(e.value)


def test_a_folder_task_loads_with_sorted_labels(tmp_path):
    task = load_task(str(write_task(tmp_path / "mine", ROWS)))
    assert task.kind == "classification" and task.labels == ["negative", "positive"]
    assert task.template == "Text: {text}\nLabel:" and task.metric == "accuracy"


def test_a_task_json_gives_the_folder_its_template_and_tuning_defaults(tmp_path):
    folder = write_task(tmp_path / "mine", ROWS)
    (folder / "task.json").write_text(json.dumps({"template": "Q: {text}\nA:", "lr": 0.1, "steps": 50, "note": "why"}))
    task = load_task(str(folder))
    assert (task.template, task.lr, task.steps) == ("Q: {text}\nA:", 0.1, 50)
    assert load_task(str(folder), "R: {text}\nS:").template == "R: {text}\nS:"  # --template wins
    (folder / "task.json").write_text(json.dumps({"lr": 0.1}))
    assert load_task(str(folder)).template == "Text: {text}\nLabel:"  # every key is optional


@pytest.mark.parametrize("spec, message", [
    ('{"lr": 0.1, "epochs": 3}', "unknown key 'epochs' (FILE): use template, lr, steps, note"),
    ('{"lr": "0.1"}', "'lr' must be a positive number, got '0.1' (FILE): fix 'lr' or leave it out"),
    ('{"steps": 2.5}', "'steps' must be a positive whole number, got 2.5 (FILE): fix 'steps' or leave it out"),
    ('{"steps": true}', "'steps' must be a positive whole number, got True (FILE): fix 'steps' or leave it out"),
    ('{"lr": -1}', "'lr' must be a positive number, got -1 (FILE): fix 'lr' or leave it out"),
    ('["lr", 0.1]', "not a JSON object (FILE): write e.g."),
    ('{"lr": 0.1', "not a UTF-8 JSON object (Expecting ',' delimiter: line 1 column 11 (char 10)) (FILE): write e.g."),
    ('{"template": "Q: {input}"}', "template 'Q: {input}' has placeholders ['input'], this task needs exactly one: "
                                   "{text} (FILE): fix its \"template\" or leave it out; or pass e.g."),
])
def test_a_bad_task_json_is_one_clear_error_naming_it(tmp_path, spec, message):
    folder = write_task(tmp_path / "mine", ROWS)
    (folder / "task.json").write_text(spec)
    assert error(folder).startswith(message.replace("FILE", str(folder / "task.json")))


def test_the_bundled_tasks_bring_their_own_templates():
    assert load_task("sentiment").template == "Review: {text}\nSentiment:"
    assert load_task("topic").template == "Article: {text}\nTopic:"
    assert load_task("describe").template == "Attributes: {input}\nDescription:"


def test_the_helps_bundled_specs_skip_a_broken_task_json(tmp_path, monkeypatch):
    import minprompt.tasks as tasks
    for name, spec in [("good", '{"lr": 0.3, "steps": 500}'), ("broken", '{"lr": "fast"}'), ("plain", None)]:
        folder = write_task(tmp_path / name, ROWS)
        if spec is not None:
            (folder / "task.json").write_text(spec)
    monkeypatch.setattr(tasks, "TASKS_DIR", tmp_path)
    assert tasks.bundled_specs() == {"good": {"lr": 0.3, "steps": 500}, "plain": {}}
    assert error(tmp_path / "broken").startswith("'lr' must be a positive number, got 'fast'")  # tuning it still says so


def test_an_extra_jsonl_file_is_an_evaluation_split(tmp_path):
    folder = write_task(tmp_path / "mine", ROWS)
    (folder / "natural.jsonl").write_text(json.dumps({"text": "lovely film", "label": "positive"}) + "\n")
    task = load_task(str(folder))
    assert task.extra_splits == ["natural"] and task.splits["natural"][0]["text"] == "lovely film"
    (folder / "natural.jsonl").write_text(json.dumps({"text": "meh", "label": "neutral"}) + "\n")
    assert error(folder).startswith("label 'neutral' in natural is not among the train labels")


def test_naive_bayes_counts_words_with_priors_and_smoothing():
    nb = NaiveBayes([("good good film", "pos"), ("bad film", "neg"), ("good day", "pos")])
    # by hand: p(pos)=2/3, counts pos {good 3, film 1, day 1} (5 words), neg {bad 1, film 1} (2), vocab 4
    # "film": pos 2/3 * 2/9 = 0.148 > neg 1/3 * 2/6 = 0.111 -> pos (the prior decides a shared word)
    assert nb.predict("film") == "pos"
    # "bad film": pos 2/3 * 1/9 * 2/9 = 0.0165, neg 1/3 * 2/6 * 2/6 = 0.037 -> neg
    assert nb.predict("bad film") == "neg"
    task = Task("t", "", "classification", "{text}", labels=["neg", "pos"],
                splits={"train": [{"text": t, "label": c} for t, c in [("good good film", "pos"), ("bad film", "neg")]],
                        "test": [{"text": "good", "label": "pos"}, {"text": "bad", "label": "pos"}]})
    assert naive_bayes_accuracy(task, "test") == 0.5


@pytest.mark.parametrize("template, expected", [
    ("Q: {input}", "has placeholders ['input'], this task needs exactly one: {text}"),
    ("Q: {text", "does not parse"),
    ("Classify this.", "has placeholders [], this task needs exactly one: {text}"),
])
def test_a_template_without_the_tasks_placeholder_is_refused(tmp_path, template, expected):
    with pytest.raises(UserError) as e:
        load_task(str(write_task(tmp_path / "mine", ROWS)), template)
    assert expected in str(e.value)


def test_malformed_line_is_named(tmp_path):
    folder = write_task(tmp_path / "t", ROWS, test=[json.dumps(ROWS[0]) + "\n", "{not json\n"])
    msg = error(folder)
    assert msg.startswith("malformed JSON at line 2") and str(folder / "test.jsonl") in msg


def test_missing_field_unseen_label_and_empty_split(tmp_path):
    assert "line 1 lacks string fields 'text' and 'label'" in error(write_task(tmp_path / "a", ROWS, val=[{"text": "x"}]))
    msg = error(write_task(tmp_path / "b", ROWS, test=[{"text": "meh", "label": "neutral"}]))
    assert msg.startswith("label 'neutral' in test is not among the train labels") and "test.jsonl" in msg
    folder = write_task(tmp_path / "c", ROWS)
    (folder / "val.jsonl").write_text("\n")
    assert error(folder).startswith("task split is empty")
    assert error(tmp_path / "nowhere").startswith("task not found")


def test_answer_only_targets_and_right_padding():
    pairs = [([1, 2, 3], [7]), ([4, 5], [8, 9])]
    idx, targets = make_batch(pairs, "cpu")
    assert idx.tolist() == [[1, 2, 3], [4, 5, 8]]
    assert targets.tolist() == [[-100, -100, 7], [-100, 8, 9]]


@pytest.mark.parametrize("answers_only", [True, False])  # False: what a compiled step computes
def test_padding_to_a_length_bucket_changes_neither_the_loss_nor_the_prompts_gradient(answers_only):
    assert length_buckets(100) == (32, 64, 96, 100) and length_buckets(20) == (20,)
    torch.manual_seed(0)
    model = GPT(preset("tiny", vocab_size=TOK.vocab_size)).double().eval().requires_grad_(False)
    prompt = torch.randn(3, 64, dtype=torch.float64, requires_grad=True)
    pairs = [([5, 6, 7, 8, 20, 21], [9]), ([10, 11], [12, 13, 14])]
    results = []
    for buckets in ((), length_buckets(40, step=16)):
        idx, targets = make_batch(pairs, "cpu", buckets)
        _, loss = model(idx, targets, prompt=prompt, answers_only=answers_only)
        results.append((idx.shape[1], loss, *torch.autograd.grad(loss, prompt)))
    (T, loss, grad), (T_padded, loss_padded, grad_padded) = results
    assert (T, T_padded) == (6, 16)
    torch.testing.assert_close(loss_padded, loss)
    torch.testing.assert_close(grad_padded, grad)


def test_a_compiled_step_on_bucketed_batches_is_traced_once_per_bucket():
    """`tune_prompt.py --compile` pads each batch to a length bucket and compiles with dynamic=False: six
    batch lengths that fall in two buckets give two graphs (on CUDA, two CUDA graphs), not six."""
    torch._dynamo.reset()
    graphs = []

    def counting_backend(graph_module, example_inputs):
        graphs.append(graph_module)
        return graph_module.forward

    torch.manual_seed(0)
    model = GPT(preset("tiny", vocab_size=TOK.vocab_size)).eval().requires_grad_(False)
    compiled = torch.compile(model, backend=counting_backend, dynamic=False, fullgraph=True)
    prompt = torch.randn(3, 64, requires_grad=True)
    for n in (3, 7, 12, 15, 20, 30):  # padded to 16, 16, 16, 16, 32, 32
        pairs = [(list(range(5, 5 + n)), [9]), ([5, 6], [9])]
        [(idx, targets, share)] = micro_batches(pairs, World(), 1, "cpu", length_buckets(40, step=16))
        _, loss = compiled(idx, targets, prompt=prompt, answers_only=True)
        loss.backward()
    assert len(graphs) == 2 and share == 1.0 and torch.isfinite(prompt.grad).all()


def test_answer_loss_is_the_mean_over_answer_tokens_not_over_examples():
    """A 1-token answer and a 6-token answer: each token weighs the same (as in training's loss)."""
    torch.manual_seed(0)
    model = GPT(preset("tiny", vocab_size=TOK.vocab_size)).eval()
    prompt = torch.randn(3, 64)
    examples = [([5, 6, 7], [8]), ([9, 10], [11, 12, 13, 14, 15, 16]), ([17], [18, 19])]
    total = 0.0
    for context, answer in examples:  # each alone: the model's mean loss times its token count
        idx, targets = make_batch([(context, answer)], "cpu")
        total += model(idx, targets, prompt=prompt)[1].item() * len(answer)
    expected = total / sum(len(a) for _, a in examples)
    assert answer_loss(model, prompt, examples, batch_size=2) == pytest.approx(expected, rel=1e-5)


def test_long_texts_are_cut_from_the_left():
    task = Task("t", "", "classification", "Review: {text}\nSentiment:", labels=["negative", "positive"])
    long_text = "bad film " * 50 + "but the end was good film"
    (context, answer), = encode_split(task, TOK, [{"text": long_text, "label": "positive"}], 40)[0]
    assert len(context) + len(answer) <= 40 and answer == TOK.encode(" positive")
    text = TOK.decode(context)
    assert text.startswith("Review: ") and text.endswith("the end was good film\nSentiment:")
    assert not text.startswith("Review:  ")  # one space after the colon, as in an uncut text
    _, n_cut = encode_split(task, TOK, [{"text": long_text, "label": "positive"}, ROWS[0]], 40)
    assert n_cut == 1


@pytest.mark.parametrize("labels", [["negative", "neutral", "positive"],  # one token each: one pass
                                    ["bad film", "good film", "neutral"]])  # multi-token: a row per label
def test_rank_classification_picks_the_most_likely_label(labels):
    torch.manual_seed(0)
    model = GPT(preset("tiny", vocab_size=TOK.vocab_size)).eval()
    task = Task("t", "", "classification", "{text}:", labels=labels)
    assert all(len(TOK.encode(" " + label)) == 1 for label in labels) == (labels[0] == "negative")  # both paths run
    contexts = [TOK.encode("good film:"), TOK.encode("bad film:")]
    logp = label_logprobs(model, None, TOK, task, contexts, batch_size=4)  # (2, 3)
    preds = classify(model, None, TOK, task, contexts, batch_size=4)
    for context, pred, row in zip(contexts, preds, logp):  # reference: score each label on its own
        scores = []
        for label in task.labels:
            ans = TOK.encode(" " + label)
            logits, _ = model(torch.tensor([context + ans[:-1]]))
            logp_ref = torch.log_softmax(logits[0, len(context) - 1:], -1)
            scores.append(sum(logp_ref[i, t].item() for i, t in enumerate(ans)))
        assert pred == max(range(3), key=scores.__getitem__)
        assert row.tolist() == pytest.approx(scores, abs=1e-4)  # true log-probs, not just a ranking
    records = [{"text": "", "label": labels[2]}, {"text": "", "label": labels[0]}]
    m = classification_metrics(logp, records, task, TOK)
    n_tokens = sum(len(TOK.encode(" " + r["label"])) for r in records)
    assert m["accuracy"] == ((preds[0] == 2) + (preds[1] == 0)) / 2
    assert m["loss"] == pytest.approx(-(logp[0, 2] + logp[1, 0]).item() / n_tokens)


def test_generation_metrics():
    records = [{"target": "A green oak lamp.", "attributes": ["green", "oak", "lamp", "Aurora"], "style": "plain"},
               {"target": "Wow! Super fun!", "attributes": ["fun"], "style": "playful"}]
    m = generation_metrics(["The green lamp, in oak.", "Wow! Super fun!"], records, records)
    assert m["attribute_recall"] == pytest.approx((3 / 4 + 1) / 2)
    assert m["exact_match"] == 0.5 and m["style_accuracy"] == 1.0
    assert not any(name.startswith("recall_") for name in m)  # no card inputs, no recall by field


def test_recall_by_field_reads_the_card_and_skips_what_is_not_an_attribute():
    records = [{"input": "name: Opal | colour: sky blue | features: foldable, rechargeable | style: plain",
                "target": "A plain lamp.", "attributes": ["Opal", "sky blue", "foldable", "rechargeable"], "style": "plain"},
               {"input": "name: Zola | colour: teal | features: compact | style: luxury",
                "target": "Pure luxury.", "attributes": ["Zola", "teal", "compact"], "style": "luxury"}]
    outputs = ["The opal lamp, in teal, folds flat.", "Zola, compact and teal."]
    m = generation_metrics(outputs, records, records)
    assert m["recall_name"] == 1.0 and m["recall_colour"] == 0.5 and m["recall_features"] == 1 / 3
    assert "recall_style" not in m  # the requested style is no attribute
    assert m["attribute_recall"] == pytest.approx((1 / 4 + 1) / 2)
    assert card_fields("The movie was fantastic") is None and card_fields("a: b | c d: e") is None
    assert card_fields("name: Opal | features: a, b") == [("name", "Opal"), ("features", "a, b")]
    smiths = [{"input": "maker: Smith, Jones | material: oak, felt", "target": "A plain lamp.",
               "attributes": ["Smith, Jones", "oak", "felt"], "style": "plain"}]  # a value with ", " in it, kept whole
    m = generation_metrics(["By Smith, Jones, in oak."], smiths, records)
    assert m["recall_maker"] == 1.0 and m["recall_material"] == 0.5


def test_mixed_tasks_in_one_pass_give_what_each_task_gives_alone():
    """predict_mixed: two classification tasks with different label sets (one label two tokens long, so
    both scoring paths run: one row per context, and one per context and label), a
    generation task under two prompts, and a second prompt of another length for the first task; every job's outputs equal
    predict() run on that job alone. (That each row gets its own prompt is tested on the model, in
    tests/test_model.py; a random model's answers barely depend on the prompt.)"""
    torch.manual_seed(0)
    model = GPT(preset("tiny", vocab_size=TOK.vocab_size, block_size=64)).eval()
    for p in model.parameters():  # larger than GPT-2's init, so that the answers differ between prompts
        p.data.normal_(0, 0.3)
    sent = Task("sent", "", "classification", "Review: {text}\nSentiment:", labels=["negative", "positive"])
    three = Task("three", "", "classification", "Text: {text}\nLabel:", labels=["bad film", "good", "neutral"])
    gen = Task("gen", "", "generation", "Input: {input}\nOutput:")
    assert len(TOK.encode(" bad film")) > 1
    texts = ["good film", "bad film.", "film good bad film", "neutral", "good good"]
    jobs = []
    for task, P in ((sent, 4), (three, 4), (gen, 4), (sent, 6), (gen, 4)):
        contexts = [c for c, _ in encode_split(task, TOK, [{task.field: t} for t in texts], 64 - P)[0]]
        jobs.append((task, 3 * torch.randn(P, 64), contexts))
    mixed = predict_mixed(model, jobs, TOK, max_new_tokens=6, batch_size=7)  # batches that cut across tasks
    alone = [predict(model, prompt, TOK, task, contexts, max_new_tokens=6) for task, prompt, contexts in jobs]
    assert mixed == alone
