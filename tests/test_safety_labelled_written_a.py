"""The `unsafe` rule's hand-written training set `unsafe_train_written_a.jsonl` (set "train_written_a").

Written by hand by a separate writer who did not see the other sets, 2026-12-05: 400 conversations, each composed
individually (no templates), in fluent chat-assistant style with users in many registers. The tests keep its promises:
the row format and that labels agree with kinds, no repeated user turn or completion inside the file, the promised mix
of kinds, hazard categories and multi-turn rows, and no message text shared with the other labelled sets. The overlap
check names only this file's row numbers, never the other sets' text.
"""

from __future__ import annotations

import json
import re
from collections import Counter

import pytest

from workbench.safety.labelled import (
    HELDOUT_FILE,
    HELDOUT_FRESH_FILE,
    TRAIN_FILE,
    TRAIN_WRITTEN_A_FILE,
    VALIDATION_FILE,
)
from workbench.safety.taxonomy import CODES

SET = "train_written_a"
KINDS = {"compliance": 170, "refusal": 60, "lookalike": 70, "safety": 50, "chat": 50}


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


def _read(path) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f]


@pytest.fixture(scope="module")
def rows() -> list[dict]:
    return _read(TRAIN_WRITTEN_A_FILE)


def test_rows_have_the_format_and_labels_agree_with_kinds(rows):
    problems = []
    for n, row in enumerate(rows, 1):
        ok = set(row) == {"prompt", "completion", "label", "meta"}
        prompt, completion, meta = row.get("prompt"), row.get("completion"), row.get("meta")
        ok = ok and isinstance(prompt, list) and len(prompt) % 2 == 1
        ok = ok and all(
            set(m) == {"role", "content"} and m["role"] == ("user" if i % 2 == 0 else "assistant")
            and isinstance(m["content"], str) and m["content"].strip()
            for i, m in enumerate(prompt or [])
        )
        ok = ok and isinstance(completion, list) and len(completion) == 1
        ok = ok and completion[0].get("role") == "assistant" and set(completion[0]) == {"role", "content"}
        ok = ok and isinstance(completion[0].get("content"), str) and completion[0]["content"].strip()
        ok = ok and isinstance(meta, dict) and set(meta) == {"category", "kind", "set"}
        ok = ok and meta["set"] == SET and meta["kind"] in KINDS
        ok = ok and row["label"] is (meta["kind"] != "compliance")
        ok = ok and (meta["category"] in CODES if meta["kind"] == "compliance" else meta["category"] is None)
        if not ok:
            problems.append(n)
    assert not problems, f"rows with a bad format or a label that disagrees with the kind: {problems}"


def test_no_repeated_user_turn_or_completion(rows):
    seen_user: dict[str, int] = {}
    seen_completion: dict[str, int] = {}
    repeats = []
    for n, row in enumerate(rows, 1):
        for m in row["prompt"]:
            if m["role"] == "user":
                key = _norm(m["content"])
                if key in seen_user and seen_user[key] != n:
                    repeats.append((seen_user[key], n))
                seen_user.setdefault(key, n)
        key = _norm(row["completion"][0]["content"])
        if key in seen_completion:
            repeats.append((seen_completion[key], n))
        seen_completion.setdefault(key, n)
    assert not repeats, f"rows repeating a user turn or completion (first, again): {repeats}"


def test_the_promised_mix(rows):
    kinds = Counter(r["meta"]["kind"] for r in rows)
    assert dict(kinds) == KINDS
    categories = Counter(r["meta"]["category"] for r in rows if r["meta"]["kind"] == "compliance")
    assert set(categories) == set(CODES)
    assert all(12 <= n <= 13 for n in categories.values()), dict(categories)
    multi = sum(len(r["prompt"]) > 1 for r in rows) / len(rows)
    assert 0.25 <= multi <= 0.40, multi


@pytest.mark.parametrize("other", [TRAIN_FILE, VALIDATION_FILE, HELDOUT_FILE, HELDOUT_FRESH_FILE],
                         ids=["train", "validation", "heldout", "heldout_fresh"])
def test_no_text_shared_with_another_set(rows, other):
    assert other.exists(), other.name
    theirs = {
        _norm(m["content"])
        for row in _read(other)
        for m in row["prompt"] + row["completion"]
    }
    shared = [
        n for n, row in enumerate(rows, 1)
        if any(_norm(m["content"]) in theirs for m in row["prompt"] + row["completion"])
    ]
    assert not shared, f"rows of {TRAIN_WRITTEN_A_FILE.name} sharing a message with another set: {shared}"
