"""Rating: adding prompts, responses and pairs to the store, the per-rater queue, and recording comparisons.

A rater's queue holds every pair they have not rated, least-rated pairs first (so several raters overlap on the
same pairs early, which agreement needs), then oldest first. Which response a rater sees on the left is decided by
a hash of (rater, pair): random-looking and blind, but stable across page reloads and reproducible in tests.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from workbench.errors import WorkbenchError
from workbench.store.db import Store
from workbench.store.schema import CHOICES, Comparison, Pair, Prompt, Response, utcnow


def _digest(obj: Any) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def text_of(messages: list[dict]) -> str:
    """The contents of a list of messages, one paragraph per turn."""
    return "\n\n".join(m["content"] for m in messages)


def add_prompt(session: Session, messages: list[dict], source: str, meta: dict | None = None) -> Prompt:
    """The stored prompt with these messages, added if new."""
    key = _digest(messages)
    prompt = session.scalar(select(Prompt).where(Prompt.key == key))
    if prompt is None:
        last_user = [m["content"] for m in messages if m["role"] == "user"][-1:] or [text_of(messages)]
        prompt = Prompt(key=key, messages=messages, text=last_user[0], source=source, meta=meta or {})
        session.add(prompt)
        session.flush()
    return prompt


def response_key(prompt: Prompt, messages: list[dict]) -> str:
    """A response's identity: its prompt and its messages (not the model, stage or file it came from)."""
    return _digest([prompt.key, messages])


def pair_key(first_key: str, second_key: str) -> str:
    """A pair's identity: its two responses' keys, in either order."""
    return _digest(sorted([first_key, second_key]))


def _with(lineage: list | None, entry: dict) -> list:
    """`lineage` with `entry` appended, unless it is there already."""
    lineage = list(lineage or [])
    return lineage if entry in lineage else [*lineage, entry]


def add_response(session: Session, prompt: Prompt, messages: list[dict], model: str, stage: str | None = None,
                 settings: dict | None = None, run_id: int | None = None) -> Response:
    """The stored response with these messages to `prompt`, added if new; `model`, `stage`, `settings` and `run_id`
    are its lineage, added to the stored response's when it came another way before."""
    key = response_key(prompt, messages)
    entry = {"model": model, "stage": stage, "settings": settings or {}, "run_id": run_id}
    response = session.scalar(select(Response).where(Response.key == key))
    if response is None:
        response = Response(key=key, prompt_id=prompt.id, messages=messages, text=text_of(messages), model=model,
                            stage=stage, settings=settings or {}, run_id=run_id, lineage=[entry])
        session.add(response)
        session.flush()
    elif entry not in (response.lineage or []):
        response.lineage = _with(response.lineage, entry)
    return response


def add_pair(session: Session, prompt: Prompt, first: Response, second: Response, source: str,
             lineage: dict | None = None) -> tuple[Pair, bool]:
    """The stored pair of these two responses (in either order), added if new; and whether it was new. `source` (and
    `lineage`, e.g. run and stage) is recorded in the pair's lineage either way."""
    if first.id == second.id:
        raise WorkbenchError(f"{source}: both responses of a pair are identical; a pair needs two different responses")
    entry = {"source": source, **(lineage or {})}
    key = pair_key(first.key, second.key)
    pair = session.scalar(select(Pair).where(Pair.key == key))
    if pair is not None:
        if entry not in (pair.lineage or []):
            pair.lineage = _with(pair.lineage, entry)
        return pair, False
    pair = Pair(key=key, prompt_id=prompt.id, first_id=first.id, second_id=second.id, source=source, lineage=[entry])
    session.add(pair)
    session.flush()
    return pair, True


@dataclass(frozen=True)
class Shown:
    """A pair as one rater sees it: the prompt and two responses, left and right, with no model names."""

    pair_id: int
    prompt: list[dict]
    left_id: int
    left: str
    right_id: int
    right: str


def left_is_first(rater: str, pair_id: int) -> bool:
    """Whether `rater` sees the pair's first response on the left (a stable coin flip)."""
    return hashlib.sha256(f"{rater}\0{pair_id}".encode()).digest()[0] % 2 == 0


def show(session: Session, pair: Pair, rater: str) -> Shown:
    first, second = session.get(Response, pair.first_id), session.get(Response, pair.second_id)
    left, right = (first, second) if left_is_first(rater, pair.id) else (second, first)
    prompt = session.get(Prompt, pair.prompt_id)
    return Shown(pair.id, prompt.messages, left.id, left.text, right.id, right.text)


def next_pair(store: Store, rater: str, pair_id: int | None = None) -> Shown | None:
    """The next pair in `rater`'s queue (or pair `pair_id` if they have not rated it), or None when done."""
    rater = rater_name(rater)
    with store.reading() as session:
        rated = select(Comparison.pair_id).where(Comparison.rater == rater)
        ratings = (select(Comparison.pair_id, func.count().label("n")).group_by(Comparison.pair_id).subquery())
        query = (select(Pair).outerjoin(ratings, ratings.c.pair_id == Pair.id).where(Pair.id.not_in(rated))
                 .order_by(func.coalesce(ratings.c.n, 0), Pair.id))
        if pair_id is not None:
            query = query.where(Pair.id == pair_id)
        pair = session.scalars(query.limit(1)).first()
        return show(session, pair, rater) if pair is not None else None


def progress(store: Store, rater: str) -> tuple[int, int]:
    """(pairs `rater` has rated, pairs in the store)."""
    with store.reading() as session:
        done = session.scalar(select(func.count()).select_from(Comparison).where(Comparison.rater == rater))
        total = session.scalar(select(func.count()).select_from(Pair))
    return done, total


def record_comparison(store: Store, rater: str, pair_id: int, left_id: int, right_id: int, choice: str,
                      unsafe_left: bool = False, unsafe_right: bool = False, comment: str = "") -> int:
    """Store `rater`'s choice on a pair as shown (left/right response ids); a second rating replaces the first.
    Returns the comparison's id."""
    rater = rater_name(rater)
    if choice not in CHOICES:
        raise WorkbenchError(f"unknown choice {choice!r}; use one of {', '.join(CHOICES)}")
    values = dict(left_id=left_id, right_id=right_id, choice=choice, unsafe_left=bool(unsafe_left),
                  unsafe_right=bool(unsafe_right), comment=comment.strip())
    try:
        return _upsert_comparison(store, rater, pair_id, values)
    except IntegrityError:  # the same rater's same pair, inserted at the same moment elsewhere (PostgreSQL): update it
        return _upsert_comparison(store, rater, pair_id, values)


def _upsert_comparison(store: Store, rater: str, pair_id: int, values: dict) -> int:
    with store.writing() as session:
        pair = session.get(Pair, pair_id)
        if pair is None:
            raise WorkbenchError(f"no pair {pair_id} in the store")
        if {values["left_id"], values["right_id"]} != {pair.first_id, pair.second_id}:
            raise WorkbenchError(f"responses {values['left_id']} and {values['right_id']} are not the two responses "
                                 f"of pair {pair_id}")
        comparison = session.scalar(select(Comparison).where(Comparison.pair_id == pair_id, Comparison.rater == rater))
        if comparison is None:
            comparison = Comparison(pair_id=pair_id, rater=rater)
            session.add(comparison)
        for name, value in values.items():
            setattr(comparison, name, value)
        comparison.created_at = utcnow()
        session.flush()
        return comparison.id


def rater_name(rater: str) -> str:
    """A rater's name without surrounding spaces; an empty name is an error."""
    rater = (rater or "").strip()
    if not rater:
        raise WorkbenchError("a rater needs a name; type your name first")
    return rater
