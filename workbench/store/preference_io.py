"""Preference files in and out of the store.

Pairs are identified by content (`workbench.store.schema`): importing the same rows again, under any file name, adds
nothing; a row with chosen and rejected swapped is a vote on the same pair, stored as one more comparison (by
`RATER#2`, ... when RATER already voted the other way), so a majority export never holds both directions.
Import reads, through `workbench.data.read_records`, either
  * a TRL preference file (any type TRL accepts: standard or conversational, explicit or implicit prompt): each row
    becomes a pair and one comparison by the importing rater, with the chosen response on the left and choice A; or
  * response pairs to be rated: rows `{"prompt": text | messages, "responses": [R, R], "meta": {...}}` where each R
    is `{"model": name, "stage": name (optional), "settings": {...} (optional), "completion": text | messages}`,
    and `priority` (optional number, higher = rate first) orders the queue; each row becomes a pair in every rater's
    queue (the `pairs` stage writes this format, see docs/rating.md).
Export writes a conversational TRL preference dataset, rows `{"prompt", "chosen", "rejected", "meta"}`, which the
`reward` and `dpo` stages read as it is. Ties and "both bad" carry no preference and are left out, and so is a
comparison whose chosen response its rater flagged unsafe. `aggregate="each"` writes one row per comparison;
`"majority"` one row per pair, for the response most raters preferred (pairs without a majority are left out).
`export_unsafe_flags` writes raters' "unsafe" flags as TRL unpaired-preference rows `{"prompt", "completion",
"label", "meta"}`, one per response raters have seen: `label: false` when at least one rater flagged it unsafe,
`true` when none did; the unsafe classifier (`workbench safety train-classifier`) and a safety reward train on these.
`pair_outcomes` lists every rating of a pair with whether it was decisive (A or B) or not (tie, both bad): what the
`pairs` stage learns from which pairs end in a tie.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from workbench.atomic import write_jsonl
from workbench.data import detect, read_records, validate_file
from workbench.data.readers import Records
from workbench.errors import DataError, WorkbenchError
from workbench.store.db import Store
from workbench.store.ratings import add_pair, add_prompt, add_response, rater_name
from workbench.store.schema import Comparison, Pair, Prompt, Response, Run

AGGREGATES = ("each", "majority")


@dataclass(frozen=True)
class ImportResult:
    kind: str  # "preference" | "pairs"
    rows: int
    pairs: int  # pairs new to the store
    comparisons: int  # comparisons written (preference files only)


def import_file(store: Store, path: str | Path, rater: str = "imported") -> ImportResult:
    """Add the preference rows or response pairs in `path` to the store (idempotent: re-importing adds nothing)."""
    path = Path(path)
    records = read_records(path)
    if all("responses" in row for row in records):
        return _import_pairs(store, path, records)
    info = detect(records, path)
    if info.type != "preference":
        raise DataError(path, None, f"holds {info.type} rows; import preference rows (prompt, chosen, rejected) "
                                    "or response pairs to rate ({\"prompt\", \"responses\": [{\"model\", "
                                    "\"completion\"}, {...}]})")
    return _import_preferences(store, path, records, info.implicit_prompt, rater)


def _conversation(value, role: str) -> list[dict]:
    return [{"role": role, "content": value}] if isinstance(value, str) else value


def _import_preferences(store: Store, path: Path, records: Records, implicit: bool, rater: str) -> ImportResult:
    rater, source, pairs, comparisons = rater_name(rater), str(path), 0, 0
    with store.writing() as session:
        for row in records:
            chosen, rejected = _conversation(row["chosen"], "assistant"), _conversation(row["rejected"], "assistant")
            if implicit:
                shared = next(i for i, (a, b) in enumerate(zip(chosen + [None], rejected + [None])) if a != b)
                prompt_messages, chosen, rejected = chosen[:shared], chosen[shared:], rejected[shared:]
            else:
                prompt_messages = _conversation(row["prompt"], "user")
            meta = row.get("meta") if isinstance(row.get("meta"), dict) else {}
            prompt = add_prompt(session, prompt_messages, source, meta)
            first = add_response(session, prompt, chosen, model=path.name)
            second = add_response(session, prompt, rejected, model=path.name)
            pair, new = add_pair(session, prompt, first, second, source)
            pairs += new
            name = _import_rater(session, pair, rater, chosen_id=first.id)
            if name is not None:
                session.add(Comparison(pair_id=pair.id, rater=name, left_id=first.id, right_id=second.id,
                                       choice="A", unsafe_left=False, unsafe_right=False, comment=""))
                comparisons += 1
    return ImportResult("preference", len(records), pairs, comparisons)


def _import_rater(session, pair: Pair, rater: str, chosen_id: int) -> str | None:
    """The rater name under which an imported vote for `chosen_id` on `pair` is stored: None when `rater` (or one of
    its numbered names `rater#2`, ...) already holds this very vote (a re-import adds nothing), else `rater`, or its
    first free numbered name when `rater` already voted otherwise (a swapped import is one more vote, not a
    replacement)."""
    names = {}
    for c in session.scalars(select(Comparison).where(Comparison.pair_id == pair.id)):
        if c.rater == rater or (c.rater.startswith(rater + "#") and c.rater[len(rater) + 1:].isdigit()):
            names[c.rater] = c.left_id if c.choice == "A" else c.right_id if c.choice == "B" else None
    if chosen_id in names.values():
        return None
    return next(name for name in (rater, *(f"{rater}#{n}" for n in range(2, len(names) + 3))) if name not in names)


def _import_pairs(store: Store, path: Path, records: Records) -> ImportResult:
    flat, lines = [], []
    for index, row in enumerate(records):
        responses = row["responses"]
        if not isinstance(responses, list) or len(responses) != 2:
            raise records.error(path, index, "responses must be a list of exactly two responses to compare")
        for response in responses:
            if not isinstance(response, dict) or not isinstance(response.get("model"), str) or "completion" not in response:
                raise records.error(path, index, 'each response must be an object {"model": name, '
                                                 '"completion": text or messages}')
            flat.append({"prompt": row.get("prompt"), "completion": response["completion"]})
            lines.append(records.lines[index] if records.lines is not None else None)
    # Each response with its prompt is a TRL prompt-completion row: let the data module check it, at its line.
    detect(Records(flat, lines if records.lines is not None else None), path)
    for index, row in enumerate(records):
        if row.get("priority") is not None and (isinstance(row["priority"], bool)
                                                or not isinstance(row["priority"], (int, float))
                                                or not math.isfinite(row["priority"])):
            raise records.error(path, index, "priority must be a finite number (higher = rate first) or absent")
    return ImportResult("pairs", len(records), add_pairs(store, list(records), source=str(path)), 0)


def add_pairs(store: Store, rows: list[dict], source: str, run_dir: str | Path | None = None,
              stage: str | None = None) -> int:
    """Add response pairs (rows as in a pairs file, already checked) to the store, with `source` (and the run and
    stage that made them) as lineage; a row's `priority`, when it has one, is set on the pair. Returns how many
    pairs were new."""
    new = 0
    with store.writing() as session:
        run_id = _run_id(session, run_dir) if run_dir is not None else None
        lineage = {k: v for k, v in (("run", str(Path(run_dir).resolve()) if run_dir else None), ("stage", stage)) if v}
        for row in rows:
            prompt = add_prompt(session, _conversation(row["prompt"], "user"), source,
                                row.get("meta") if isinstance(row.get("meta"), dict) else {})
            first, second = (add_response(session, prompt, _conversation(r["completion"], "assistant"), model=r["model"],
                                          stage=r.get("stage"), settings=r.get("settings") or {}, run_id=run_id)
                             for r in row["responses"])
            pair, added = add_pair(session, prompt, first, second, source, lineage)
            new += added
            if row.get("priority") is not None:
                pair.priority = float(row["priority"])
    return new


def _run_id(session, run_dir: str | Path) -> int:
    """The store's id of the run in `run_dir`, registered if new."""
    path = str(Path(run_dir).resolve())
    run = session.scalar(select(Run).where(Run.path == path))
    if run is None:
        run = Run(path=path, name=Path(path).name)
        session.add(run)
        session.flush()
    return run.id


def preference_rows(store: Store, aggregate: str = "each") -> list[dict]:
    """The store's comparisons as conversational TRL preference rows (see the module docstring)."""
    if aggregate not in AGGREGATES:
        raise WorkbenchError(f"unknown aggregate {aggregate!r}; use one of {', '.join(AGGREGATES)}")
    with store.reading() as session:
        responses = {r.id: r for r in session.scalars(select(Response))}
        prompts = {p.id: p for p in session.scalars(select(Prompt))}
        pairs = {p.id: p for p in session.scalars(select(Pair))}
        comparisons = session.scalars(select(Comparison).order_by(Comparison.pair_id, Comparison.id)).all()
    votes: dict[int, list[tuple[int, int, str]]] = {}  # pair -> [(chosen id, rejected id, rater)]
    for c in comparisons:
        if c.choice not in ("A", "B") or (c.unsafe_left if c.choice == "A" else c.unsafe_right):
            continue
        chosen, rejected = (c.left_id, c.right_id) if c.choice == "A" else (c.right_id, c.left_id)
        votes.setdefault(c.pair_id, []).append((chosen, rejected, c.rater))
    rows = []
    for pair_id, pair_votes in votes.items():
        if aggregate == "majority":
            counts = Counter(chosen for chosen, _, _ in pair_votes).most_common()
            if len(counts) > 1 and counts[0][1] == counts[1][1]:
                continue
            winner = counts[0][0]
            pair_votes = [(winner, next(r for c, r, _ in pair_votes if c == winner),
                           ",".join(sorted(rater for c, _, rater in pair_votes if c == winner)))]
        for chosen, rejected, raters in pair_votes:
            rows.append(_row(prompts[pairs[pair_id].prompt_id], responses[chosen], responses[rejected], pair_id, raters))
    return rows


def _row(prompt: Prompt, chosen: Response, rejected: Response, pair_id: int, raters: str) -> dict:
    return {
        "prompt": prompt.messages,
        "chosen": chosen.messages,
        "rejected": rejected.messages,
        "meta": {"pair_id": pair_id, "raters": raters, "chosen_model": chosen.model, "rejected_model": rejected.model,
                 "chosen_stage": chosen.stage or "", "rejected_stage": rejected.stage or ""},
    }


def export_file(store: Store, out: str | Path, aggregate: str = "each") -> int:
    """Write the store's preferences to `out` (JSON Lines) and check it is a conversational preference dataset."""
    rows = preference_rows(store, aggregate)
    if not rows:
        raise WorkbenchError(f"nothing to export from {store.url}: no comparison with a preference (A or B) yet; "
                             "rate some pairs or import a preference file first")
    out = Path(out)
    if out.suffix.lower() != ".jsonl":
        raise WorkbenchError(f"--out {out}: the export is JSON Lines; name the file *.jsonl")
    write_jsonl(out, rows)
    validate_file(out, expect="preference")
    return len(rows)


def unsafe_flag_rows(store: Store) -> list[dict]:
    """Every rated response as an unpaired-preference row labelled by raters' unsafe flags (module docstring)."""
    with store.reading() as session:
        responses = {r.id: r for r in session.scalars(select(Response))}
        prompts = {p.id: p for p in session.scalars(select(Prompt))}
        comparisons = session.scalars(select(Comparison).order_by(Comparison.id)).all()
    seen: dict[int, list[str]] = {}  # response id -> raters who saw it
    flagged: dict[int, set[str]] = {}
    for c in comparisons:
        for response_id, unsafe in ((c.left_id, c.unsafe_left), (c.right_id, c.unsafe_right)):
            seen.setdefault(response_id, []).append(c.rater)
            if unsafe:
                flagged.setdefault(response_id, set()).add(c.rater)
    rows = []
    for response_id, raters in seen.items():
        response = responses[response_id]
        flags = sorted(flagged.get(response_id, ()))
        rows.append({"prompt": prompts[response.prompt_id].messages, "completion": response.messages,
                     "label": not flags, "meta": {"response_id": response_id, "model": response.model,
                                                  "stage": response.stage or "", "rated_by": len(set(raters)),
                                                  "flagged_by": ",".join(flags)}})
    return rows


def pair_outcomes(store: Store, run: str | None = None, stage: str | None = None,
                  limit: int | None = None) -> list[dict]:
    """The ratings of pairs, oldest first: `{"pair_id", "rater", "prompt", "first", "second", "decisive"}` (the
    pair's prompt and its two responses' messages in the pair's own order; `decisive`: the rater preferred one,
    rather than a tie or "both bad"; a preference file imported as it is counts as decisive). With `run` and
    `stage`, only pairs that stage of that run (its resolved path) put in the store; with `limit`, the latest so many."""
    def made_there(pair: Pair) -> bool:
        return run is None or any(isinstance(e, dict) and e.get("run") == run and e.get("stage") == stage
                                  for e in pair.lineage or [])

    with store.reading() as session:
        pairs = {p.id: p for p in session.scalars(select(Pair)) if made_there(p)}
        comparisons = [c for c in session.scalars(select(Comparison).order_by(Comparison.id)) if c.pair_id in pairs]
        comparisons = comparisons[-limit:] if limit else comparisons
        responses = {r.id: r for r in session.scalars(select(Response))}
        prompts = {p.id: p for p in session.scalars(select(Prompt))}
    return [{"pair_id": c.pair_id, "rater": c.rater, "prompt": prompts[pairs[c.pair_id].prompt_id].messages,
             "first": responses[pairs[c.pair_id].first_id].messages,
             "second": responses[pairs[c.pair_id].second_id].messages, "decisive": c.choice in ("A", "B")}
            for c in comparisons]


def export_unsafe_flags(store: Store, out: str | Path) -> tuple[int, int]:
    """Write `unsafe_flag_rows` to `out` (JSON Lines, checked as unpaired preference); returns (rows, flagged)."""
    rows = unsafe_flag_rows(store)
    if not rows:
        raise WorkbenchError(f"nothing to export from {store.url}: no rated response yet; rate some pairs first")
    out = Path(out)
    if out.suffix.lower() != ".jsonl":
        raise WorkbenchError(f"--unsafe-flags {out}: the export is JSON Lines; name the file *.jsonl")
    write_jsonl(out, rows)
    validate_file(out, expect="unpaired_preference")
    return len(rows), sum(not row["label"] for row in rows)
