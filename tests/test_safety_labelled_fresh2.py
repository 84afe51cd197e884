"""The second fresh held-out set of the `unsafe` rule: `workbench/safety/data/unsafe_heldout_fresh2.jsonl`.

How it was written (2026-12-05): written by hand by a separate writer who did not see the other sets. Every one of
its 395 rows was composed individually — no templates, no slot-filling, no generator; a small script only parsed the
hand-written rows and dumped them as JSON. It is blind: the writer read only `workbench/safety/taxonomy.py`, the
docstring and the `*_FILE =` lines of `workbench/safety/labelled/__init__.py`, `docs/contributing.md` and the task
that asked for the set. The writer did not open any other file under `workbench/safety/data/` (the training,
validation and held-out sets, the first fresh held-out set, any `unsafe_train_written*` file), the generators in
`workbench/safety/labelled/`, `docs/safety.md`, `bench/filters.py`, `bench/unsafe_head_choice.py`, or any other test
about safety data, and ran no filter or classifier on these rows. The overlap check below names only this set's own
row numbers, so it could be run without reading the other sets' text.

The set is used only to measure the classifier, never to train it or to choose it (threshold, head, features).

Mix: 395 rows — compliance 186 (13 or 14 per hazard category S1..S14), refusal 66 (many of them imperfect, as small
models write them: typos, garbled grammar, one word, lectures, a refusal followed by a safe alternative), lookalike
62, safety 38, chat 43; 25-30 % of the rows are multi-turn; answers are 1-120 words. Compliance answers read as going
along with the request but keep the dangerous specifics vague, elided ("[precursor]") or invented (names, places,
example.com addresses).
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from workbench.safety.labelled import (
    DATA,
    HELDOUT_FILE,
    HELDOUT_FRESH2_FILE,
    HELDOUT_FRESH_FILE,
    TRAIN_FILE,
    VALIDATION_FILE,
)
from workbench.safety.taxonomy import CODES

SET = "heldout_fresh2"
KINDS = {"compliance": 186, "refusal": 66, "lookalike": 62, "safety": 38, "chat": 43}
TOTAL = 395


def _rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def _norm(text: str) -> str:
    return " ".join(text.lower().split())


def _texts(row: dict) -> list[str]:
    """Every message's content in a row, normalised (case and whitespace), each as a whole string."""
    return [_norm(m["content"]) for m in row["prompt"] + row["completion"]]


ROWS = _rows(HELDOUT_FRESH2_FILE)


def _others() -> list[Path]:
    fixed = [TRAIN_FILE, VALIDATION_FILE, HELDOUT_FILE, HELDOUT_FRESH_FILE]
    written = sorted(DATA.glob("unsafe_train_written*.jsonl"))
    return fixed + [p for p in written if p not in fixed]


def test_file_has_no_blank_lines_and_the_exact_size():
    lines = HELDOUT_FRESH2_FILE.read_text(encoding="utf-8").splitlines()
    assert [n for n, line in enumerate(lines, 1) if not line.strip()] == []
    assert len(ROWS) == TOTAL


def test_rows_are_well_formed():
    bad = []
    for n, row in enumerate(ROWS, 1):
        ok = set(row) == {"prompt", "completion", "label", "meta"}
        prompt, completion, meta = row.get("prompt"), row.get("completion"), row.get("meta")
        ok = ok and isinstance(prompt, list) and len(prompt) % 2 == 1 and isinstance(completion, list)
        ok = ok and all(isinstance(m, dict) and set(m) == {"role", "content"} for m in (prompt or []) + (completion or []))
        if ok:
            roles = [m["role"] for m in prompt]
            ok = roles == ["user" if i % 2 == 0 else "assistant" for i in range(len(prompt))]
            ok = ok and len(completion) == 1 and completion[0]["role"] == "assistant"
            ok = ok and all(isinstance(m["content"], str) and m["content"].strip() for m in prompt + completion)
            words = len(completion[0]["content"].split()) if ok else 0
            ok = ok and 1 <= words <= 120
        ok = ok and isinstance(meta, dict) and set(meta) == {"category", "kind", "set"}
        ok = ok and meta["set"] == SET and meta["kind"] in KINDS and isinstance(row["label"], bool)
        if ok:
            if meta["kind"] == "compliance":
                ok = meta["category"] in CODES
            else:
                ok = meta["category"] is None
        if not ok:
            bad.append(n)
    assert bad == [], f"malformed rows (1-based): {bad}"


def test_labels_agree_with_kinds():
    bad = [n for n, r in enumerate(ROWS, 1) if r["label"] is not (r["meta"]["kind"] != "compliance")]
    assert bad == [], f"label disagrees with kind in rows {bad}"


def test_the_exact_mix():
    assert Counter(r["meta"]["kind"] for r in ROWS) == KINDS
    per_category = Counter(r["meta"]["category"] for r in ROWS if r["meta"]["kind"] == "compliance")
    assert set(per_category) == set(CODES)
    assert all(count in (13, 14) for count in per_category.values()), per_category
    assert sum(per_category.values()) == KINDS["compliance"]
    multi = sum(len(r["prompt"]) > 1 for r in ROWS)
    assert 0.25 <= multi / TOTAL <= 0.30, multi


def test_no_duplicates_inside_the_file():
    first: dict[str, int] = {}
    clashes = []
    for n, row in enumerate(ROWS, 1):
        for text in set(_texts(row)):
            if text in first:
                clashes.append((first[text], n))
            else:
                first[text] = n
    assert clashes == [], f"rows sharing a message (1-based pairs): {clashes}"


@pytest.mark.parametrize("other", _others(), ids=lambda p: p.name)
def test_no_text_shared_with_another_labelled_set(other: Path):
    """Fails naming only this set's own row numbers, never the other set's text."""
    assert other.exists(), f"{other.name} is missing"
    theirs: set[str] = set()
    for row in _rows(other):
        theirs.update(_texts(row))
    shared = [n for n, row in enumerate(ROWS, 1) if any(text in theirs for text in _texts(row))]
    del theirs
    assert shared == [], f"rows of {HELDOUT_FRESH2_FILE.name} sharing a message with {other.name}: {shared}"
