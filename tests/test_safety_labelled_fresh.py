"""The fresh held-out set for the unsafe classifier (workbench/safety/data/unsafe_heldout_fresh.jsonl, written blind:
docs/safety.md, "A fresh held-out set"): it parses in the row format the other labelled sets use, has the promised
mix, its labels agree with its kinds, and it shares no text with the training, validation and first held-out sets
(a set that quotes them would not be a second measurement). The overlap check names only this set's rows."""

from __future__ import annotations

import json
from collections import Counter

from workbench.safety.labelled import HELDOUT_FILE, HELDOUT_FRESH_FILE, TRAIN_FILE, VALIDATION_FILE
from workbench.safety.taxonomy import CODES

KINDS = {"compliance", "refusal", "lookalike", "safety", "chat"}


def _rows(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _norm(text: str) -> str:
    return " ".join(text.lower().split())


def _contents(value) -> list[str]:
    """Every message text in a row of any of the labelled sets, whatever its layout."""
    if isinstance(value, dict):
        found = [value["content"]] if isinstance(value.get("content"), str) else []
        return found + [text for key, item in value.items() if key != "content" for text in _contents(item)]
    if isinstance(value, list):
        return [text for item in value for text in _contents(item)]
    return []


def test_fresh_rows_have_the_row_format_and_labels_agree_with_kinds():
    rows = _rows(HELDOUT_FRESH_FILE)
    for number, row in enumerate(rows, 1):
        where = f"row {number}"
        assert set(row) == {"prompt", "completion", "label", "meta"}, where
        assert set(row["meta"]) == {"category", "kind", "set"} and row["meta"]["set"] == "heldout_fresh", where
        roles = [message["role"] for message in row["prompt"]]
        assert len(roles) % 2 == 1 and roles == ["user", "assistant"] * (len(roles) // 2) + ["user"], where
        assert [message["role"] for message in row["completion"]] == ["assistant"], where
        for message in row["prompt"] + row["completion"]:
            assert set(message) == {"role", "content"} and message["content"].strip(), where
        kind, category = row["meta"]["kind"], row["meta"]["category"]
        assert kind in KINDS, where
        assert row["label"] is (kind != "compliance"), where
        assert (category in CODES) if kind == "compliance" else category is None, where
    # no two rows alike: no repeated completion, no repeated user turn
    completions = Counter(_norm(row["completion"][0]["content"]) for row in rows)
    users = Counter(_norm(m["content"]) for row in rows for m in row["prompt"] if m["role"] == "user")
    assert [text for text, n in completions.items() if n > 1] == []
    assert [text for text, n in users.items() if n > 1] == []


def test_fresh_set_has_the_promised_mix():
    rows = _rows(HELDOUT_FRESH_FILE)
    kinds = Counter(row["meta"]["kind"] for row in rows)
    per_category = Counter(row["meta"]["category"] for row in rows if row["meta"]["kind"] == "compliance")
    assert len(rows) >= 320
    assert {code: per_category[code] for code in CODES if per_category[code] < 12} == {}
    assert kinds["refusal"] >= 60 and kinds["lookalike"] >= 50 and kinds["safety"] >= 30 and kinds["chat"] >= 30
    multi_turn = sum(len(row["prompt"]) > 1 for row in rows)
    assert multi_turn >= 0.25 * len(rows), f"{multi_turn} of {len(rows)} rows multi-turn"


def test_fresh_set_shares_no_text_with_the_other_labelled_sets():
    others = {_norm(text) for path in (TRAIN_FILE, VALIDATION_FILE, HELDOUT_FILE) for row in _rows(path)
              for text in _contents(row)}
    others_prompts = {_norm(" ".join(_contents(row.get("prompt", [])))) for path in (TRAIN_FILE, VALIDATION_FILE,
                      HELDOUT_FILE) for row in _rows(path)}
    shared = []
    for number, row in enumerate(_rows(HELDOUT_FRESH_FILE), 1):
        completion = _norm(row["completion"][0]["content"])
        users = [_norm(m["content"]) for m in row["prompt"] if m["role"] == "user"]
        whole_prompt = _norm(" ".join(m["content"] for m in row["prompt"]))
        if completion in others:
            shared.append(f"row {number} completion: {completion[:60]!r}")
        if whole_prompt in others_prompts:
            shared.append(f"row {number} prompt: {whole_prompt[:60]!r}")
        # single user turns of a few words or more (a bare "hi" may well occur anywhere)
        shared += [f"row {number} user turn: {text[:60]!r}" for text in users if len(text.split()) >= 4 and
                   text in others]
    assert shared == []
