"""The bundled data is reproducible byte for byte from data/make_corpus.py, and the task formats never
appear in the pretraining corpus."""
import hashlib
import json

from conftest import ROOT, run_script

FILES = ["corpus.txt"] + [f"tasks/{t}/{s}.jsonl" for t in ("sentiment", "topic", "describe") for s in ("train", "val", "test")]


def sha256(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_generator_reproduces_the_committed_files(tmp_path):
    result = run_script("data/make_corpus.py", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    for name in FILES:
        assert sha256(tmp_path / name) == sha256(ROOT / "data" / name), name


def test_task_formats_are_not_in_the_corpus_and_splits_are_sound():
    corpus = (ROOT / "data" / "corpus.txt").read_text(encoding="utf-8")
    for marker in ("Review:", "Sentiment:", "Article:", "Topic:", "Attributes:", "Description:"):
        assert marker not in corpus
    tests = [json.loads(line) for line in open(ROOT / "data" / "tasks" / "sentiment" / "test.jsonl")]
    assert {"text": "The movie was fantastic", "label": "positive"} in tests
    assert {"text": "This movie was terrible", "label": "negative"} in tests
    for task in ("sentiment", "topic"):
        rows = [json.loads(line) for line in open(ROOT / "data" / "tasks" / task / "test.jsonl")]
        assert len(rows) >= 500
        train_texts = {json.loads(line)["text"] for line in open(ROOT / "data" / "tasks" / task / "train.jsonl")}
        assert not train_texts & {r["text"] for r in rows}
