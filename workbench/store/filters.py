"""Safety-filter decisions in the store, people's overrides of them, and the overrides file the filter reads.

A filter output folder (`workbench filter --out DIR`, or a filter stage's `filter/` folder) holds `decisions.jsonl`:
one row per input record with `key`, `index`, `action` (kept / redacted / dropped), `rule`, `reason` and `spans`
([[start, end, label, path]], offsets into the string at `path` of the record as it came in). The record itself
is taken from the row's `record` when it has one, else from the filter's input file (named in `summary.json`,
checked against the keys), else for a dropped record from `rejected.jsonl`; failing all three it is stored empty.
Importing a folder again replaces its rows. An override says a record (by key) should be kept or dropped after
all, by whom and why; the latest override of a key wins, and `overrides_document()` is the `{"overrides": [...]}`
file the filter stage reads. A filter stage with `store:` reads them straight from the store (`stored_overrides`),
so an override made in the UI reaches the next `workbench run` without a file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import delete, select

from workbench.data import read_records
from workbench.errors import WorkbenchError
from workbench.safety import FILTER_FIELD, record_key
from workbench.store.db import Store
from workbench.store.schema import FILTER_ACTIONS, OVERRIDE_ACTIONS, FilterDecision, FilterOverride

DECISIONS = "decisions.jsonl"


def import_decisions(store: Store, folder: str | Path) -> int:
    """Add the decisions in `folder/decisions.jsonl` (replacing an earlier import of the same folder); returns how
    many rows were read."""
    folder = Path(folder)
    path = folder / DECISIONS
    if not path.is_file():
        raise WorkbenchError(f"{folder}: no {DECISIONS} here; give a safety filter's output folder")
    rows = read_records(path)
    for index, row in enumerate(rows):
        problem = _problem(row)
        if problem:
            raise rows.error(path, index, problem)
    records = _records(folder, rows)
    source = str(folder.resolve())
    with store.writing() as session:
        session.execute(delete(FilterDecision).where(FilterDecision.source == source))
        session.add_all(FilterDecision(source=source, position=position, key=row["key"], action=row["action"],
                                       rule=row.get("rule"), reason=row.get("reason") or "",
                                       spans=row.get("spans") or [], record=record)
                        for position, (row, record) in enumerate(zip(rows, records)))
    return len(rows)


def _problem(row: dict) -> str | None:
    if not isinstance(row.get("key"), str) or not row["key"]:
        return "key must be a non-empty string (workbench.safety.record_key of the record)"
    if row.get("action") not in FILTER_ACTIONS:
        return f"action must be one of {', '.join(FILTER_ACTIONS)}, found {row.get('action')!r}"
    if "record" in row and not isinstance(row["record"], dict):
        return "record must be the filtered record (an object)"
    spans = row.get("spans") or []
    if not isinstance(spans, list) or not all(isinstance(s, list) and len(s) == 4 and isinstance(s[0], int)
                                              and isinstance(s[1], int) for s in spans):
        return "spans must be a list of [start, end, label, path]"
    return None


def _records(folder: Path, rows: list[dict]) -> list[dict]:
    """Each decision's record as it came in (see the module docstring)."""
    inputs = _input_records(folder, rows)
    rejected = {}
    if (folder / "rejected.jsonl").is_file():
        for record in read_records(folder / "rejected.jsonl"):
            rejected.setdefault(record.get(FILTER_FIELD, {}).get("key"), {k: v for k, v in record.items() if k != FILTER_FIELD})
    return [row.get("record") or (inputs[i] if inputs else None) or rejected.get(row["key"]) or {}
            for i, row in enumerate(rows)]


def _input_records(folder: Path, rows: list[dict]) -> list[dict] | None:
    """The filter's input records, when summary.json names a file that still holds exactly them."""
    try:
        name = json.loads((folder / "summary.json").read_text()).get("input")
    except (OSError, ValueError, AttributeError):
        return None
    for candidate in (Path(name), folder / name, folder.parent / name) if isinstance(name, str) else ():
        if candidate.is_file():
            records = read_records(candidate)
            if len(records) == len(rows) and all(record_key(r) == row["key"] for r, row in zip(records, rows)):
                return list(records)
    return None


@dataclass(frozen=True)
class Decision:
    """A filter decision with the latest override of its key (if any)."""

    id: int
    source: str
    position: int
    key: str
    action: str
    rule: str | None
    reason: str
    spans: list
    record: dict
    override: str | None  # "keep" | "drop"
    override_who: str | None
    override_why: str | None


def decisions(store: Store) -> list[Decision]:
    """Every decision in the store, with the latest override of its key."""
    latest = {o["key"]: o for o in overrides_document(store)["overrides"]}
    with store.reading() as session:
        rows = session.scalars(select(FilterDecision).order_by(FilterDecision.id)).all()
    return [Decision(d.id, d.source, d.position, d.key, d.action, d.rule, d.reason, d.spans, d.record,
                     *((latest[d.key]["action"], latest[d.key]["who"], latest[d.key]["why"]) if d.key in latest
                       else (None,) * 3))
            for d in rows]


def override(store: Store, key: str, action: str, who: str, why: str) -> int:
    """Record that the record with `key` should be kept or dropped (`action`), by `who`, because `why`."""
    if action not in OVERRIDE_ACTIONS:
        raise WorkbenchError(f"unknown override {action!r}; use keep or drop")
    if not who.strip() or not why.strip():
        raise WorkbenchError("an override needs who made it and why; fill in both")
    with store.writing() as session:
        if session.scalar(select(FilterDecision.id).where(FilterDecision.key == key).limit(1)) is None:
            raise WorkbenchError(f"no filter decision for record {key} in the store")
        row = FilterOverride(key=key, action=action, who=who.strip(), why=why.strip())
        session.add(row)
        session.flush()
        return row.id


def overrides_document(store: Store) -> dict:
    """`{"overrides": [{"key", "action", "who", "why", "at"}]}`: the latest override of each record key."""
    with store.reading() as session:
        rows = session.scalars(select(FilterOverride).order_by(FilterOverride.at, FilterOverride.id)).all()
    latest = {o.key: o for o in rows}
    return {"overrides": [{"key": key, "action": o.action, "who": o.who, "why": o.why, "at": _iso(o.at)}
                          for key, o in sorted(latest.items())]}


def _iso(at: datetime) -> str:
    """ISO time in UTC (SQLite hands back the stored UTC time without its zone)."""
    return (at if at.tzinfo else at.replace(tzinfo=timezone.utc)).isoformat(timespec="seconds")


def stored_overrides(location: str) -> dict:
    """The overrides document of the store at `location` (a URL or SQLite path); no overrides when that SQLite file
    does not exist yet (nothing has been overridden)."""
    from workbench.store.db import open_store

    if "://" not in location and not Path(location).exists():
        return {"overrides": []}
    store = open_store(location, create=False)
    try:
        return overrides_document(store)
    finally:
        store.close()
