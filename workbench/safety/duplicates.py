"""The `duplicate` rule: exact duplicates after normalisation, and near-duplicates by MinHash LSH (datasketch).

Normalisation: Unicode NFKC, case folded, every run of characters that are not letters or digits made one space.
Two records whose normalised texts (`texts.record_text`: all turns with their roles) are equal are exact
duplicates. Near-duplicates: the set of word 3-grams of the normalised text (the whole text when it has fewer
words), a MinHash signature of it, and datasketch's LSH index to find candidates; a candidate counts only when
the true Jaccard similarity of the two sets is at least `threshold`, so LSH's false candidates never drop a record;
the index itself is tuned to a threshold LSH_SLACK lower, so that fewer true pairs slip through its bands.

Which record of a cluster is kept: the first in input order. Records are visited in order; each one is checked
against the records kept so far (exact key first, then LSH) and is a duplicate of the most similar of them (ties:
the earliest), or is kept and indexed. So the result depends only on the input and the settings.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

NGRAM = 3
LSH_SLACK = 0.1  # the LSH index looks for candidates this far below the threshold: fewer missed pairs, all verified
_NON_ALNUM = re.compile(r"[\W_]+")


@dataclass(frozen=True)
class Duplicate:
    of: int  # index of the kept record
    kind: str  # "exact" | "near"
    similarity: float  # Jaccard similarity of the word 3-gram sets (1.0 for exact)


def normalise(text: str) -> str:
    return _NON_ALNUM.sub(" ", unicodedata.normalize("NFKC", text).casefold()).strip()


def shingles(normalised: str) -> set[bytes]:
    words = normalised.split()
    if len(words) <= NGRAM:
        return {normalised.encode()}
    return {" ".join(words[i:i + NGRAM]).encode() for i in range(len(words) - NGRAM + 1)}


def jaccard(a: set, b: set) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0


def find_duplicates(texts: list[str], threshold: float = 0.8, num_perm: int = 128,
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
    signatures = MinHash.bulk((sets[i] for i, _ in items), num_perm=num_perm)
    index = MinHashLSH(threshold=max(threshold - LSH_SLACK, 0.05), num_perm=num_perm)
    for (i, _), signature in zip(items, signatures):
        scored = [(jaccard(sets[i], sets[k]), -k) for k in index.query(signature)]
        best = max((s for s in scored if s[0] >= threshold), default=None)
        if best is None:
            index.insert(i, signature)
        else:
            out[i] = Duplicate(-best[1], "near", round(best[0], 4))
