"""Byte-level BPE: exact round trips on any text, the merges training learns, (de)serialisation."""
from hypothesis import given, settings, strategies as st

from minprompt.tokenizer import EOT, Tokenizer, _merge

TRAIN_TEXT = "low lower lowest newer newest wider widest, the slow lowland low! " * 20 + "héllo wörld 🙂 12345"


def trained(vocab_size=300):
    return Tokenizer.train(TRAIN_TEXT, vocab_size)


TOK = trained()


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec=None), max_size=200))
def test_round_trip_any_text(text):
    # every str, emoji, control characters and lone surrogates included, comes back exactly
    assert TOK.decode(TOK.encode(text)) == text


def test_round_trip_edge_cases():
    for text in ["", " ", "\n\n\t ", "\x00\x01\x7f", "🙂👍🏽🇫🇷", "\ud800", "a" * 1000, EOT, "it's we'll", "x_y__z"]:
        assert TOK.decode(TOK.encode(text)) == text


def test_first_merges_are_the_most_frequent_pairs():
    tok = Tokenizer.train("low low low lower", 259)  # two merges
    # chunks: "low" x1, " low" x2, " lower" x1: ("l","o") occurs 4 times, then ("lo","w") 4 times
    assert list(tok.merges) == [(ord("l"), ord("o")), (256, ord("w"))]
    assert tok.encode("low") == [257]
    assert tok.vocab[257] == b"low"
    assert tok.eot_id == 258 and tok.vocab_size == 259


def merges_in_order(tok, text):
    """The textbook definition of BPE encoding: each chunk's bytes, then every merge over the whole chunk,
    one merge after another in the order training learned them. Slow, and obviously right."""
    ids = []
    for chunk in tok.regex.findall(text):
        chunk_ids = list(chunk.encode("utf-8", "surrogatepass"))
        for pair, new_id in tok.merges.items():  # insertion order is learning order
            chunk_ids = _merge(chunk_ids, pair, new_id)
        ids += chunk_ids
    return ids


# words that are rotations of "abc": their merges overlap ("ab" against "bc"), so the order they are
# applied in decides the tokens
OVERLAPPING = Tokenizer.train("abcab bcabc cabca abcabc bcab " * 10, 300)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="abc ", max_size=40), st.text(alphabet="lowerndistha !,", max_size=40))
def test_encoding_equals_applying_the_merges_in_the_order_they_were_learned(overlapping, text):
    assert OVERLAPPING.encode(overlapping) == merges_in_order(OVERLAPPING, overlapping)
    assert TOK.encode(text) == merges_in_order(TOK, text)


def test_merges_shrink_the_text_and_never_cross_chunks():
    text = "the lowest newest widest"
    assert len(TOK.encode(text)) < len(text.encode())
    # " newest" is one chunk; no token may span the space before it and the word before it
    for i in TOK.encode(text):
        piece = TOK.vocab[i]
        assert b" " not in piece[1:], piece


def test_training_is_deterministic_and_serialises():
    again = trained()
    assert again.merges == TOK.merges
    restored = Tokenizer.from_dict(TOK.to_dict())
    assert restored.merges == TOK.merges and restored.hash() == TOK.hash()
    sample = "newest lowland 🙂"
    assert restored.encode(sample) == TOK.encode(sample)


def test_hash_differs_between_tokenizers():
    assert trained(280).hash() != TOK.hash()


def test_vocab_size_is_the_requested_size_when_the_text_allows():
    assert TOK.vocab_size == 300 and TOK.eot_id == 299


def test_decode_of_a_cut_character_does_not_raise():
    data = "🙂".encode()
    assert "\ufffd" in TOK.decode([data[0], data[1]])
