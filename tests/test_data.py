"""The bundled data is reproducible byte for byte from data/make_corpus.py, and the task formats never
appear in the pretraining corpus."""
import hashlib
import importlib.util
import json
import random
import re
from collections import Counter

import pytest

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


def normalised_sentences(text):
    return {" ".join(re.findall(r"[a-z0-9']+", s.lower())) for s in re.split(r"(?<=[.!?])\s+|\n", text)} - {""}


NATURAL_SPLITS = ("natural", "natural_blind")


@pytest.mark.parametrize("name", NATURAL_SPLITS)
def test_the_natural_splits_are_hand_written_balanced_and_in_no_generated_file(name):
    """data/tasks/sentiment/natural.jsonl and natural_blind.jsonl stand for real users' short reviews: written
    by hand, kept out of the generator's output, and never used for training or model selection.
    natural_blind was written before any corpus change was judged on it, and after natural had been read
    to find what the base gets wrong: it checks that a change fixes the base, not the errors seen."""
    rows = [json.loads(line) for line in open(ROOT / "data" / "tasks" / "sentiment" / f"{name}.jsonl")]
    labels = [r["label"] for r in rows]
    assert len(rows) >= 100 and set(labels) == {"positive", "negative"}
    assert abs(labels.count("positive") - labels.count("negative")) <= len(rows) // 10
    natural = set().union(*(normalised_sentences(r["text"]) for r in rows))
    generated = normalised_sentences((ROOT / "data" / "corpus.txt").read_text(encoding="utf-8"))
    for split in ("train", "val", "test"):
        for line in open(ROOT / "data" / "tasks" / "sentiment" / f"{split}.jsonl"):
            generated |= normalised_sentences(json.loads(line)["text"])
    assert not natural & generated


def load_make_corpus():
    """data/make_corpus.py as a module (it is a script, not part of the package)."""
    spec = importlib.util.spec_from_file_location("make_corpus", ROOT / "data" / "make_corpus.py")
    make_corpus = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_corpus)
    return make_corpus


def test_takes_documents_are_threads_of_verdicts_sharing_no_sentence_with_the_natural_split():
    """The opt-in "takes" kind (`make_corpus.py --mix ...,takes=12`) writes everyday one-liners, the kind of
    English the natural split holds; it must still never write one of that split's sentences."""
    make_corpus = load_make_corpus()
    rng = random.Random(0)
    pools = make_corpus.build_pools(rng)["corpus"]
    docs = [make_corpus.takes_doc(rng, pools) for _ in range(3000)]
    verdict = re.compile(r"positive|negative|[1-5]/5|\bstars?\b|out of 5", re.IGNORECASE)  # every take ends judged
    for doc in docs[:200]:
        lines = doc.split("\n")
        assert 3 <= len(lines) - 1 <= 8 and all(verdict.search(line) for line in lines[1:]), doc
    split = lambda text: {" ".join(re.findall(r"[a-z0-9']+", s.lower()))
                          for s in re.split(r"(?<=[.!?])\s+|\n|: ", text)} - {""}  # "Ruth: Love it." holds "love it"
    natural = set().union(*(split(json.loads(line)["text"]) for name in NATURAL_SPLITS
                            for line in open(ROOT / "data" / "tasks" / "sentiment" / f"{name}.jsonl")))
    assert not natural & set().union(*(split(doc) for doc in docs))


def test_listing_documents_restate_every_attribute_of_their_card():
    """The "listing" kind (a fifth of the bundled corpus): a product card, the style, then copy in that style
    naming every attribute on the card, the later text reusing facts stated earlier; never in the describe
    task's own "name: ... | ..." format."""
    make_corpus = load_make_corpus()
    assert make_corpus.parse_mix("review=60,comments=8,product=5,listing=10,news=17")[3] == ("listing", 10)
    rng = random.Random(0)
    pools = make_corpus.build_pools(rng)["corpus"]
    for _ in range(300):
        state = rng.getstate()
        at = make_corpus.product_attributes(rng, pools["products"])
        rng.setstate(state)  # listing_doc draws the same attributes first
        doc = make_corpus.listing_doc(rng, pools)
        lines = doc.split("\n")
        copy_text, card_text = lines[-1], "\n".join(lines[:-2])
        assert any(s in lines[-2].lower() for s in make_corpus.STYLES), lines[-2]
        for word in [at["name"], at["category"], at["material"], at["colour"], *at["features"]]:
            assert word in card_text and word in copy_text, (word, doc)
        assert "name:" not in doc and " | category:" not in doc


def test_every_document_makes_up_its_own_names_and_none_is_a_task_name():
    """fresh_names: the product on a listing's card is named for that document alone (the name recurs in
    its copy and, but for the odd chance draw, in no other document), so a base can predict the second
    mention only by copying the first; and the tasks' product and company names stay new to the base."""
    make_corpus = load_make_corpus()
    docs = (ROOT / "data" / "corpus.txt").read_text(encoding="utf-8").split(make_corpus.SEPARATOR)
    docs_naming = Counter(word for doc in docs for word in set(re.findall(r"\b[A-Z][a-z]+\b", doc)))
    names = [m.group(1) for doc in docs for m in [re.match(r"Name: ([A-Z][a-z]+)\n", doc)] if m]
    assert len(names) > 500
    assert sum(docs_naming[name] == 1 for name in names) >= 0.98 * len(names)
    heldout = make_corpus.build_pools(make_corpus.rngs_for(1337)[0])["heldout"]  # main()'s pools
    task_names = set(heldout["products"]) | {company.split(" ")[0] for company in heldout["companies"]}
    assert "Opal" in task_names and not task_names & set(docs_naming)
    first = make_corpus.invented_name(random.Random(0), avoid=set())
    assert make_corpus.invented_name(random.Random(0), avoid={first}) != first
