"""The invented world behind the fact skills, and the rules that put every item in exactly one split.

`facts.json` (shipped next to this module) holds 1,000 fictional towns, each with a country (12), a river
(36, each in one country), a founder (a unique first and last name) and a population in thousands, plus a list
of ~400 common English words for the string skills. Every name is a single word (founders: two) and no word is
shared between kinds, so a response can be scanned word by word for the entities it mentions.

Split rules, fixed by the world and independent of any generation seed:
  * shipped lists (towns, countries, rivers, words): position `i % 10` in 0..7 is train, 8 validation, 9 test;
  * numbers: a problem's canonical key (e.g. `add:12:45`) is hashed (BLAKE2b) into the same ten buckets;
  * hand-written phrasings: listed per split in `workbench.taskworld.templates`.

A world can be made smaller for small models: `with towns_limit(n):` makes `world()` answer with the first `n`
towns only (the split of a town is still its position in the full table), so each town is described more often in
a corpus of the same size. Everything that draws items runs inside that block; verifiers need no limit.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import re
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path

from workbench.errors import WorkbenchError

SPLITS = ("train", "validation", "test")
FACTS_FILE = Path(__file__).with_name("facts.json")
_WORD = re.compile(r"[A-Za-z]+")


def _split_of_bucket(bucket: int) -> str:
    return "train" if bucket < 8 else "validation" if bucket == 8 else "test"


def split_of_index(i: int) -> str:
    """Split of the i-th entry of a shipped list."""
    return _split_of_bucket(i % 10)


def split_of_key(key: str) -> str:
    """Split of a numeric problem, from a stable hash of its canonical key."""
    digest = hashlib.blake2b(key.encode(), digest_size=4).digest()
    return _split_of_bucket(int.from_bytes(digest, "big") % 10)


@dataclass(frozen=True)
class Town:
    name: str
    country: str
    river: str
    founder: str
    population: int  # people (the table stores thousands)


class World:
    """The facts table with per-split views and entity look-up in free text."""

    def __init__(self, data: dict):
        self.countries: list[str] = data["countries"]
        self.rivers: list[str] = [r["name"] for r in data["rivers"]]
        self.towns = [Town(t["name"], t["country"], t["river"], t["founder"], t["population_thousands"] * 1000)
                      for t in data["towns"]]
        self.words: list[str] = data["words"]
        self.founders = [t.founder for t in self.towns]
        self.town = {t.name: t for t in self.towns}
        self.split_of_town = {t.name: split_of_index(i) for i, t in enumerate(self.towns)}
        self._in_split = {
            (kind, split): [x for i, x in enumerate(getattr(self, kind)) if split_of_index(i) == split]
            for kind in ("towns", "countries", "rivers", "words") for split in SPLITS
        }
        self._where: dict[tuple[str, str], list[Town]] = {}
        for t in self.towns:
            self._where.setdefault(("country", t.country), []).append(t)
            self._where.setdefault(("river", t.river), []).append(t)
        self._grouped = {
            (attribute, split): {s: names for s in self._in_split[kind, split]
                                 if (names := [t.name for t in self.towns_where(attribute, s)
                                               if self.split_of_town[t.name] == split])}
            for attribute, kind in (("country", "countries"), ("river", "rivers")) for split in SPLITS
        }
        self._kind_of_word: dict[str, tuple[str, str]] = {}
        for kind, names in (("town", list(self.town)), ("country", self.countries), ("river", self.rivers)):
            for name in names:
                self._kind_of_word[name.lower()] = (kind, name)
        self._founder_of_pair = {f.lower(): f for f in self.founders}

    def in_split(self, kind: str, split: str) -> list:
        """The towns, countries, rivers or words (`kind`) that belong to `split`."""
        return self._in_split[kind, split]

    def towns_where(self, attribute: str, value: str) -> list[Town]:
        """The towns whose `attribute` (country or river) is `value`."""
        return self._where.get((attribute, value), [])

    def towns_by(self, attribute: str, split: str) -> dict[str, list[str]]:
        """Country (or river, `attribute`) of `split` -> the names of the towns of `split` in it (on it), for those
        that have any (in a small world some have none)."""
        return self._grouped[attribute, split]

    def mentions(self, text: str, kind: str) -> list[str]:
        """Entities of `kind` (town, country, river, founder) named in `text`, in order, case-insensitive."""
        words = _WORD.findall(text)
        if kind == "founder":
            pairs = (f"{a} {b}".lower() for a, b in zip(words, words[1:]))
            return [self._founder_of_pair[p] for p in pairs if p in self._founder_of_pair]
        hits = (self._kind_of_word.get(w.lower()) for w in words)
        return [hit[1] for hit in hits if hit is not None and hit[0] == kind]


@functools.cache
def _world(towns: int | None) -> World:
    data = json.loads(FACTS_FILE.read_text(encoding="utf-8"))
    if towns is not None:
        data["towns"] = data["towns"][:towns]
    return World(data)


_TOWNS_LIMIT: ContextVar[int | None] = ContextVar("towns_limit", default=None)
MIN_TOWNS = 10  # every split keeps at least one town


def world() -> World:
    """The world items are drawn from: the whole table, or its first towns inside `towns_limit`."""
    return _world(_TOWNS_LIMIT.get())


@contextlib.contextmanager
def towns_limit(towns: int | None):
    """Within the block, `world()` holds only the first `towns` towns of the table (None: all of them)."""
    if towns is not None and not MIN_TOWNS <= towns:
        raise WorkbenchError(f"towns={towns}: a world needs at least {MIN_TOWNS} towns (one per split bucket)")
    token = _TOWNS_LIMIT.set(towns)
    try:
        yield world()
    finally:
        _TOWNS_LIMIT.reset(token)
