"""Byte-level BPE tokenizer, written from scratch (GPT-2 style).

Used by `python train_base.py`, which trains it on the corpus and stores it inside base.pt.

How it works, on a tiny example. Training text "low lower lowest":

1. Pre-split with a regex into chunks that merges never cross: ["low", " lower", " lowest"].
   Chunks are counted once each with their frequency, so training cost depends on the number of
   *unique* chunks, not on the corpus size.
2. Every chunk starts as its UTF-8 bytes: "low" -> [108, 111, 119]. Ids 0..255 are the bytes.
3. Repeatedly find the most frequent adjacent pair over all chunks (weighted by frequency), give it
   the next free id and replace it everywhere: (108, 111) "lo" -> 256, then (256, 119) "low" -> 257, ...
4. The last id is the special end-of-text token `<|endoftext|>`, which separates documents.

Encoding applies the learned merges in the order they were learned (lowest rank first); decoding
concatenates the bytes of each id. Because every chunk is just bytes, any Python string, emoji and
control characters included, round-trips exactly: decode(encode(s)) == s.
"""
import hashlib
import json
import re
from collections import Counter

# GPT-2's split pattern, written for Python's `re` (no \p{L}): contractions, words with an optional
# leading space, numbers, runs of other symbols, and whitespace (trailing spaces stay apart from the
# next word so " word" is one chunk).
SPLIT_PATTERN = r"""'(?:[sdmt]|ll|ve|re)| ?[^\W\d_]+| ?\d+| ?(?:[^\s\w]|_)+|\s+(?!\S)|\s+"""
EOT = "<|endoftext|>"


class Tokenizer:
    def __init__(self, merges=(), pattern=SPLIT_PATTERN):
        self.pattern = pattern
        self.regex = re.compile(pattern)
        self.merges = {tuple(pair): 256 + i for i, pair in enumerate(merges)}  # (a, b) -> new id
        self.vocab = {i: bytes([i]) for i in range(256)}  # id -> bytes
        for (a, b), new_id in self.merges.items():
            self.vocab[new_id] = self.vocab[a] + self.vocab[b]
        self.eot_id = 256 + len(self.merges)
        self.vocab_size = self.eot_id + 1
        self._cache = {}  # chunk -> ids; corpora repeat words, so this makes encoding fast

    # ---- training -----------------------------------------------------------------------------
    @classmethod
    def train(cls, text, vocab_size=2048, progress=None):
        """Learn vocab_size - 257 merges from `text` (256 byte ids and 1 special id are fixed)."""
        n_merges = vocab_size - 257
        if n_merges < 0:
            raise ValueError(f"vocab_size must be at least 257, got {vocab_size}")
        regex = re.compile(SPLIT_PATTERN)
        chunk_counts = Counter(regex.findall(text))
        words = [list(chunk.encode("utf-8", "surrogatepass")) for chunk in chunk_counts]  # ids per unique chunk
        freqs = list(chunk_counts.values())
        pair_counts = Counter()  # (a, b) -> weighted count over all chunks
        where = {}  # (a, b) -> indices of the chunks that contain it
        for w, (ids, f) in enumerate(zip(words, freqs)):
            for pair in zip(ids, ids[1:]):
                pair_counts[pair] += f
                where.setdefault(pair, set()).add(w)
        merges = []
        for i in range(n_merges):
            if not pair_counts:
                break  # every chunk is a single token: nothing left to merge
            pair = max(pair_counts, key=pair_counts.__getitem__)  # ties: first seen wins (deterministic)
            new_id = 256 + i
            merges.append(pair)
            for w in sorted(where.pop(pair, ())):
                ids, f = words[w], freqs[w]
                for old in zip(ids, ids[1:]):  # take this chunk's pairs out of the counts...
                    pair_counts[old] -= f
                    if pair_counts[old] == 0:
                        del pair_counts[old]
                words[w] = ids = _merge(ids, pair, new_id)
                for new in zip(ids, ids[1:]):  # ...and put the merged chunk's pairs back in
                    pair_counts[new] += f
                    where.setdefault(new, set()).add(w)
            if progress is not None:
                progress(i + 1, n_merges)
        return cls(merges)

    # ---- encode / decode ----------------------------------------------------------------------
    def encode(self, text):
        """str -> list of token ids. `<|endoftext|>` in the text is ordinary text here; callers that
        join documents insert `eot_id` themselves."""
        ids = []
        for chunk in self.regex.findall(text):
            chunk_ids = self._cache.get(chunk)
            if chunk_ids is None:
                chunk_ids = self._encode_chunk(chunk.encode("utf-8", "surrogatepass"))
                if len(self._cache) < 200_000:
                    self._cache[chunk] = chunk_ids
            ids.extend(chunk_ids)
        return ids

    def _encode_chunk(self, data):
        ids = list(data)
        while len(ids) >= 2:
            # the pair that was learned first is merged first, exactly as in training
            pair = min(zip(ids, ids[1:]), key=lambda p: self.merges.get(p, float("inf")))
            if pair not in self.merges:
                break
            ids = _merge(ids, pair, self.merges[pair])
        return ids

    def decode(self, ids):
        """list of token ids -> str. Byte sequences that are not valid UTF-8 (a generation cut inside
        a character) become U+FFFD rather than an error."""
        data = b"".join(self.vocab[i] if i != self.eot_id else EOT.encode() for i in ids)
        try:
            return data.decode("utf-8", "surrogatepass")
        except UnicodeDecodeError:
            return data.decode("utf-8", "replace")

    # ---- (de)serialisation: plain lists and strings, so torch.load(weights_only=True) reads it --
    def to_dict(self):
        return {"pattern": self.pattern, "merges": [list(p) for p in self.merges], "special": {EOT: self.eot_id}}

    @classmethod
    def from_dict(cls, d):
        return cls([tuple(p) for p in d["merges"]], d["pattern"])

    def hash(self):
        """sha256 of the serialised tokenizer: a prompt file remembers the tokenizer it was trained with."""
        return hashlib.sha256(json.dumps(self.to_dict(), sort_keys=True).encode()).hexdigest()


def _merge(ids, pair, new_id):
    """Replace every non-overlapping occurrence of `pair` in `ids`, left to right, with `new_id`."""
    out, i = [], 0
    while i < len(ids):
        if i + 1 < len(ids) and ids[i] == pair[0] and ids[i + 1] == pair[1]:
            out.append(new_id)
            i += 2
        else:
            out.append(ids[i])
            i += 1
    return out
