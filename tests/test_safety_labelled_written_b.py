"""The second hand-written training set for the unsafe classifier (workbench/safety/data/unsafe_train_written_b.jsonl,
set "train_written_b"): 400 conversations written by hand by a separate writer who did not see the other sets
(2026-12-05), in a forum and messenger register (lower case, slang, typos, the odd non-English phrase) with answers of
uneven quality. It parses in the row format the other labelled sets use, its labels agree with its kinds, no user turn
or answer appears twice, it has the promised mix, and it shares no message text with the training, validation and
held-out sets. The overlap check names only this set's row numbers, never another set's text."""

from __future__ import annotations

import json
import re
from collections import Counter

from workbench.safety.labelled import (
    HELDOUT_FILE,
    HELDOUT_FRESH_FILE,
    TRAIN_FILE,
    TRAIN_WRITTEN_B_FILE,
    VALIDATION_FILE,
)
from workbench.safety.taxonomy import CODES

SET = "train_written_b"
KINDS = {"compliance": 170, "refusal": 60, "lookalike": 70, "safety": 50, "chat": 50}


def _rows(path) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip().lower())


def _messages(row: dict) -> list[dict]:
    return row["prompt"] + row["completion"]


def test_rows_have_the_format_and_labels_agree_with_kinds():
    rows = _rows(TRAIN_WRITTEN_B_FILE)
    bad = []
    for number, row in enumerate(rows, 1):
        ok = set(row) == {"prompt", "completion", "label", "meta"}
        ok = ok and set(row["meta"]) == {"category", "kind", "set"} and row["meta"]["set"] == SET
        prompt, completion = row["prompt"], row["completion"]
        ok = ok and isinstance(prompt, list) and len(prompt) % 2 == 1
        ok = ok and all(m.get("role") == ("user" if i % 2 == 0 else "assistant") for i, m in enumerate(prompt))
        ok = ok and isinstance(completion, list) and len(completion) == 1 and completion[0].get("role") == "assistant"
        ok = ok and all(set(m) == {"role", "content"} and isinstance(m["content"], str) and m["content"].strip()
                        for m in prompt + completion)
        kind, category = row["meta"]["kind"], row["meta"]["category"]
        ok = ok and kind in KINDS and isinstance(row["label"], bool)
        ok = ok and row["label"] == (kind != "compliance")
        ok = ok and (category in CODES if kind == "compliance" else category is None)
        if not ok:
            bad.append(number)
    assert not bad, f"rows in the wrong format or with labels that disagree with their kinds: {bad}"


def test_no_user_turn_or_answer_appears_twice():
    rows = _rows(TRAIN_WRITTEN_B_FILE)
    seen_user: dict[str, int] = {}
    seen_answer: dict[str, int] = {}
    repeated = []
    for number, row in enumerate(rows, 1):
        for message in row["prompt"]:
            if message["role"] == "user":
                text = _norm(message["content"])
                if text in seen_user:
                    repeated.append((seen_user[text], number))
                seen_user.setdefault(text, number)
        text = _norm(row["completion"][0]["content"])
        if text in seen_answer:
            repeated.append((seen_answer[text], number))
        seen_answer.setdefault(text, number)
    assert not repeated, f"(first row, repeating row) pairs sharing a user turn or an answer: {repeated}"


def test_the_promised_mix():
    rows = _rows(TRAIN_WRITTEN_B_FILE)
    assert len(rows) == 400
    assert Counter(row["meta"]["kind"] for row in rows) == KINDS
    categories = Counter(row["meta"]["category"] for row in rows if row["meta"]["kind"] == "compliance")
    assert set(categories) == set(CODES)
    assert all(count in (12, 13) for count in categories.values()), categories
    multi_turn = sum(len(row["prompt"]) > 1 for row in rows) / len(rows)
    assert 0.25 <= multi_turn <= 0.40, multi_turn


def test_no_text_shared_with_the_other_sets():
    others: set[str] = set()
    for path in (TRAIN_FILE, VALIDATION_FILE, HELDOUT_FILE, HELDOUT_FRESH_FILE):
        for row in _rows(path):
            others.update(_norm(message["content"]) for message in _messages(row))
    shared = [number for number, row in enumerate(_rows(TRAIN_WRITTEN_B_FILE), 1)
              if any(_norm(message["content"]) in others for message in _messages(row))]
    others.clear()  # so that nothing of the other sets can appear in a failure report
    assert not shared, f"rows of {SET} sharing a message's text with another labelled set: {shared}"
