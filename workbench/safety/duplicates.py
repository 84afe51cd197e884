"""The `duplicate` rule: exact duplicates after normalisation, and near-duplicates by MinHash LSH (datasketch).

Normalisation: Unicode NFKC, case folded, every run of characters that are not letters or digits made one space.
Two records whose normalised texts (`texts.record_text`: all turns with their roles) are equal are exact
duplicates. Near-duplicates: the set of character 5-grams of the normalised text (so one inserted or changed word
touches a few shingles, not every word 3-gram around it), a MinHash signature of it (datasketch), and a banded LSH
index (datasketch's choice of bands and rows; the index itself is kept here, with band keys computed for all
signatures at once) to find candidates; a candidate counts only when the true Jaccard similarity of the two sets is
at least `threshold` AND its content words agree (`same_content`: one text's names, numbers and terms include the
other's), so texts that share a template but differ in content are never merged. LSH's false candidates never drop
a record; the index is tuned to a threshold LSH_SLACK lower, so that fewer true pairs slip through its bands.
Speed: templated data makes every template sibling a candidate, so candidates are screened cheapest first, in array
operations (a 64-bit set of content words, then the signatures' estimate) before any per-pair Python check.
Recall by number of edited words and false merges on task-world template siblings are measured by
`bench/filters.py` (docs/safety.md).

Which record of a cluster is kept: the first in input order. Records are visited in order; each one is checked
against the records kept so far (exact key first, then LSH) and is a duplicate of the most similar of them (ties:
the earliest), or is kept and indexed. So the result depends only on the input and the settings.
"""

from __future__ import annotations

import re
import unicodedata
import zlib
from collections import Counter
from dataclasses import dataclass

NGRAM = 5  # characters per shingle
LSH_SLACK = 0.1  # the LSH index looks for candidates this far below the threshold: fewer missed pairs, all verified
_NON_ALNUM = re.compile(r"[\W_]+")


@dataclass(frozen=True)
class Duplicate:
    of: int  # index of the kept record
    kind: str  # "exact" | "near"
    similarity: float  # Jaccard similarity of the character 5-gram sets (1.0 for exact)


def normalise(text: str) -> str:
    return _NON_ALNUM.sub(" ", unicodedata.normalize("NFKC", text).casefold()).strip()


def shingles(normalised: str) -> set[bytes]:
    """The character NGRAM-grams of a normalised text (the whole text when it is shorter)."""
    if len(normalised) <= NGRAM:
        return {normalised.encode()}
    return {normalised[i:i + NGRAM].encode() for i in range(len(normalised) - NGRAM + 1)}


# Common English words: inserting, deleting or swapping them is an edit. Any other word (a name, a number, a term)
# is content: a text that only adds content words to another, or only leaves some out (up to
# MAX_CONTENT_CHANGES), is an edited copy; two short texts that each have content words the other lacks say different
# things, even when they share a template ("Which country is Sancrest in? Brekkia." against "... Mourport in?
# Brekkia."). So in a short text a copy with one content word swapped for another is not caught either: the two
# cases cannot be told apart from the text; in a long one a few swaps are allowed (SWAP_EVERY).
COMMON_WORDS = frozenset("""
a about above after again against all almost also always am an and any are around as at away back be because been
before being below between both but by can could did do does doing done down during each either else enough even
ever every few first for from further get gets getting give go going gone got had has have having he her here
hers herself him himself his how however i if in indeed into is it its itself just last least less let like
likely many may maybe me more most much must my myself never next no nor not now of off often oh ok okay
on once one only or other others our ours ourselves out over own per perhaps please quite rather really right same
several she should since so some something sometimes soon still such sure than thank thanks that the their theirs
them themselves then there these they thing things this those though through thus to too under until up upon us
use used very want was way we well were what whatever when where whether which while who whom whose why will with
within without would yes yet you your yours yourself yourselves quickly simply actually basically certainly
clearly exactly generally usually slightly truly fairly
user assistant system model
""".split())
MAX_CONTENT_CHANGES = 3


SWAP_EVERY = 10  # a long text may have one content word swapped for another per this many content words


def same_content(a: str, b: str) -> bool:
    """Whether normalised texts `a` and `b` can be edited copies: the content words (not in COMMON_WORDS, as
    multisets) of one include the other's, up to MAX_CONTENT_CHANGES added or left out; a text of n content words
    may also have n // SWAP_EVERY of them swapped (a synonym in a paragraph), a short templated text none; a
    changed number is never an edit."""
    return _same_content(content_words(a), content_words(b))


def content_words(normalised: str) -> Counter:
    return Counter(w for w in normalised.split() if w not in COMMON_WORDS)


def _same_content(ca: Counter, cb: Counter) -> bool:
    extra_a, extra_b = ca - cb, cb - ca
    if any(any(c.isdigit() for c in w) for w in extra_a) and any(any(c.isdigit() for c in w) for w in extra_b):
        return False  # a number changed: a different fact, however long the text
    only_a, only_b = sum(extra_a.values()), sum(extra_b.values())
    swaps = max(sum(ca.values()), sum(cb.values())) // SWAP_EVERY
    return min(only_a, only_b) <= swaps and max(only_a, only_b) <= MAX_CONTENT_CHANGES + swaps


def jaccard(a: set, b: set) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0


def find_duplicates(texts: list[str], threshold: float = 0.5, num_perm: int = 128,
                    near: bool = True) -> list[Duplicate | None]:
    """For each text: the Duplicate it is of an earlier kept text, or None when it is kept."""
    out: list[Duplicate | None] = [None] * len(texts)
    first: dict[str, int] = {}
    remaining: list[tuple[int, str]] = []
    for i, text in enumerate(texts):
        key = normalise(text)
        if key in first:
            out[i] = Duplicate(first[key], "exact", 1.0)
        else:
            first[key] = i
            remaining.append((i, key))
    if near and remaining:
        _near_duplicates(remaining, threshold, num_perm, out)
    return out


def _may_agree(words_a: frozenset, words_b: frozenset, swaps: int) -> bool:
    """A cheap necessary condition for `_same_content` on the content words' sets (a multiset's extras are at least
    its set's), so most template siblings are turned away without Counter arithmetic."""
    only_a, only_b = len(words_a - words_b), len(words_b - words_a)
    return min(only_a, only_b) <= swaps and max(only_a, only_b) <= MAX_CONTENT_CHANGES + swaps


def _band_keys(matrix, bands: int, rows: int) -> list[list[int]]:
    """Per signature (a row of `matrix`), one integer key per LSH band: its `rows` hash values mixed into 64 bits
    (vectorised; datasketch's per-query hashing of band bytes was the largest cost on 100,000 records)."""
    import numpy as np

    keys = np.zeros((matrix.shape[0], bands), dtype=np.uint64)
    mix = np.uint64(0x9E3779B97F4A7C15)
    with np.errstate(over="ignore"):
        for row in range(rows):
            keys = keys * mix + matrix[:, row:bands * rows:rows]
    return keys.tolist()


def _word_bits(words: frozenset) -> int:
    """A 64-bit set of the content words (one hashed bit each). For two texts, the bits of one not in the other
    count at most its content words the other lacks, so `_near_duplicates` turns away, in one array operation, the
    template siblings whose content words cannot agree (names, numbers); the exact check follows for the rest."""
    bits = 0
    for w in words:
        bits |= 1 << (zlib.crc32(w.encode()) & 63)
    return bits


def _near_duplicates(items: list[tuple[int, str]], threshold: float, num_perm: int,
                     out: list[Duplicate | None]) -> None:
    import numpy as np
    from datasketch import MinHash, MinHashLSH  # imported here: the CLI should start fast

    sets = [shingles(key) for _, key in items]
    signatures = MinHash.bulk(sets, num_perm=num_perm, hashfunc=zlib.crc32)  # not sha1: faster
    matrix = np.array([s.hashvalues for s in signatures], dtype=np.uint64)  # row = position in `items`
    # datasketch's choice of bands x rows for the (slackened) threshold; the index itself is kept here
    tuned = MinHashLSH(threshold=max(threshold - LSH_SLACK, 0.05), num_perm=num_perm)
    band_keys = _band_keys(matrix, tuned.b, tuned.r)
    tables: list[dict[int, list[int]]] = [{} for _ in range(tuned.b)]
    contents = [content_words(key) for _, key in items]
    words = [frozenset(c) for c in contents]
    sizes = [sum(c.values()) for c in contents]
    bits = np.array([_word_bits(w) for w in words], dtype=np.uint64)
    swaps_of = np.array(sizes, dtype=np.int64) // SWAP_EVERY
    for position, keys in enumerate(band_keys):
        found = set()
        for table, key in zip(tables, keys):
            members = table.get(key)
            if members:
                found.update(members)
        scored = []
        if found:
            kept = np.fromiter(found, dtype=np.int64, count=len(found))
            # cheapest first, each an array operation: the content words' bits (turns away template siblings), the
            # signatures' estimate; then per candidate the content words' sets and counts, and the exact Jaccard
            only_here = np.bitwise_count(bits[position] & ~bits[kept])
            only_there = np.bitwise_count(bits[kept] & ~bits[position])
            swaps = np.maximum(swaps_of[kept], swaps_of[position])
            kept = kept[(np.minimum(only_here, only_there) <= swaps)
                        & (np.maximum(only_here, only_there) <= MAX_CONTENT_CHANGES + swaps)]
            kept = kept[(matrix[kept] == matrix[position]).mean(axis=1) >= threshold - LSH_SLACK]
            for k in kept.tolist():
                swaps = max(sizes[position], sizes[k]) // SWAP_EVERY
                if _may_agree(words[position], words[k], swaps) and _same_content(contents[position], contents[k]) \
                        and (similarity := jaccard(sets[position], sets[k])) >= threshold:
                    scored.append((similarity, -items[k][0]))
        best = max(scored, default=None)
        if best is None:
            for table, key in zip(tables, keys):
                table.setdefault(key, []).append(position)
        else:
            out[items[position][0]] = Duplicate(-best[1], "near", round(best[0], 4))
