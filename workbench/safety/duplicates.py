"""The `duplicate` rule: exact duplicates after normalisation, and near-duplicates by MinHash LSH (datasketch).

Normalisation: Unicode NFKC, case folded, every run of characters that are not letters or digits made one space.
Two records whose normalised texts (`texts.record_text`: all turns with their roles) are equal are exact
duplicates. Near-duplicates: the set of character 5-grams of the normalised text (so one inserted or changed word
touches a few shingles, not every word 3-gram around it), a MinHash signature of it, and datasketch's LSH index to
find candidates; a candidate counts only when the true Jaccard similarity of the two sets is at least `threshold`
AND its content words agree (`same_content`: one text's names, numbers and terms include the other's), so texts
that share a template but differ in content are never merged. LSH's false candidates never drop a record; the index
is tuned to a threshold LSH_SLACK lower, so that fewer true pairs slip through its bands. Recall by number of edited
words and false merges on task-world template siblings are measured by `bench/filters.py` (docs/safety.md).

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


def _near_duplicates(items: list[tuple[int, str]], threshold: float, num_perm: int,
                     out: list[Duplicate | None]) -> None:
    from datasketch import MinHash, MinHashLSH  # imported here: the CLI should start fast

    sets = {i: shingles(key) for i, key in items}
    signatures = MinHash.bulk((sets[i] for i, _ in items), num_perm=num_perm, hashfunc=zlib.crc32)  # not sha1: faster
    index = MinHashLSH(threshold=max(threshold - LSH_SLACK, 0.05), num_perm=num_perm)
    contents: dict[int, Counter] = {}
    kept_signatures = {}
    for (i, key), signature in zip(items, signatures):
        contents[i] = content_words(key)
        values = signature.hashvalues
        # the signatures' estimate first (cheap), the exact Jaccard only for candidates that may reach the threshold
        candidates = [k for k in index.query(signature)
                      if (values == kept_signatures[k]).mean() >= threshold - LSH_SLACK]
        scored = [(similarity, -k) for k in candidates
                  if (similarity := jaccard(sets[i], sets[k])) >= threshold and _same_content(contents[i], contents[k])]
        best = max(scored, default=None)
        if best is None:
            index.insert(i, signature)
            kept_signatures[i] = values
        else:
            out[i] = Duplicate(-best[1], "near", round(best[0], 4))
