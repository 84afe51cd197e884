"""Gold pairs: pairs whose right answer is known, mixed into every rater's queue to check the raters.

`workbench ratings gold FILE` reads a TRL preference file with an explicit prompt (rows `{"prompt", "chosen",
"rejected"}`, standard or conversational): each row becomes a pair (model name `gold`) whose known outcome is its
chosen response. A gold pair is offered to every rater, whatever the overlap setting, and shown like any other pair
(blind, in the rater's own random left/right order). A rater's accuracy on gold pairs is on the Preference data page.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from workbench.data import detect, read_records
from workbench.errors import DataError
from workbench.store.db import Store
from workbench.store.ratings import add_pair, add_prompt, add_response
from workbench.store.schema import GoldAnswer

GOLD_MODEL = "gold"


def _conversation(value, role: str) -> list[dict]:
    return [{"role": role, "content": value}] if isinstance(value, str) else value


def import_gold(store: Store, path: str | Path) -> tuple[int, int]:
    """Add the gold pairs in `path`; returns (rows read, gold pairs new to the store). Idempotent."""
    path = Path(path)
    records = read_records(path)
    info = detect(records, path)
    if info.type != "preference" or info.implicit_prompt:
        raise DataError(path, None, 'gold pairs are preference rows with an explicit prompt: {"prompt", "chosen", '
                                    '"rejected"}, the chosen response being the right answer')
    source, new = str(path), 0
    with store.writing() as session:
        for row in records:
            prompt = add_prompt(session, _conversation(row["prompt"], "user"), source,
                                row.get("meta") if isinstance(row.get("meta"), dict) else {})
            chosen = add_response(session, prompt, _conversation(row["chosen"], "assistant"), model=GOLD_MODEL)
            rejected = add_response(session, prompt, _conversation(row["rejected"], "assistant"), model=GOLD_MODEL)
            pair, _ = add_pair(session, prompt, chosen, rejected, source)
            if session.get(GoldAnswer, pair.id) is None:
                session.add(GoldAnswer(pair_id=pair.id, outcome="first" if pair.first_id == chosen.id else "second",
                                       source=source))
                new += 1
    return len(records), new


def gold_answers(store: Store) -> dict[int, str]:
    """{pair id: the right outcome in the pair's order}."""
    with store.reading() as session:
        return dict(session.execute(select(GoldAnswer.pair_id, GoldAnswer.outcome)).all())
