"""Rating: adding prompts, responses and pairs to the store, the per-rater queue, and recording comparisons.

Team rating: each pair is rated by `overlap` different raters (a store setting, default 2). A rater's queue holds
the pairs they have not rated that fewer than `overlap` raters have rated (gold pairs, `gold.py`, stay in every
rater's queue), pairs other raters have started first (so raters overlap early and agreement can be measured, and
every started pair reaches `overlap` soon), then by pair id; `_queue_order` is the one place that order is decided.
Which response a rater sees on the left is decided by a hash of (rater, pair): random-looking and blind, but stable
across page reloads and reproducible in tests. A rater may revise a rating: the same (rater, pair) row is updated.
The store also keeps the guidelines text shown to raters beside each pair.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from workbench.errors import WorkbenchError
from workbench.store.db import Store
from workbench.store.schema import CHOICES, Comparison, GoldAnswer, Pair, Prompt, Response, Setting, utcnow


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


DEFAULT_OVERLAP = 2


def get_setting(store: Store, name: str, default: Any = None) -> Any:
    with store.reading() as session:
        found = session.get(Setting, name)
        return default if found is None else found.value


def set_setting(store: Store, name: str, value: Any) -> None:
    with store.writing() as session:
        found = session.get(Setting, name)
        if found is None:
            session.add(Setting(name=name, value=value))
        else:
            found.value = value


def overlap(store: Store) -> int:
    """How many different raters rate each pair."""
    return int(get_setting(store, "overlap", DEFAULT_OVERLAP))


def set_overlap(store: Store, raters: int) -> None:
    if not isinstance(raters, int) or raters < 1:
        raise WorkbenchError(f"overlap {raters!r}: give how many raters rate each pair, 1 or more")
    set_setting(store, "overlap", raters)


def guidelines(store: Store) -> str:
    return get_setting(store, "guidelines", "") or ""


def _raters_per_pair():
    return select(Comparison.pair_id, func.count().label("n")).group_by(Comparison.pair_id).subquery()


def _queue_order(started) -> list:
    """The order of every rater's queue; `started` is how many raters rated the pair so far (capped below overlap,
    so that gold pairs, which everyone rates, mix in with the other started pairs rather than all come first)."""
    return [started.desc(),  # pairs other raters started first: raters overlap early, started pairs complete
            Pair.priority.desc().nulls_last(),  # the pairs stage's priority: where the reward model is least sure
            Pair.id]


def _queue(rater: str, raters_each: int):
    counts = _raters_per_pair()
    rated_by = func.coalesce(counts.c.n, 0)
    mine = select(Comparison.pair_id).where(Comparison.rater == rater)
    gold = select(GoldAnswer.pair_id)
    return (select(Pair).outerjoin(counts, counts.c.pair_id == Pair.id)
            .where(Pair.id.not_in(mine), (rated_by < raters_each) | Pair.id.in_(gold))
            .order_by(*_queue_order(case((rated_by >= raters_each, raters_each - 1), else_=rated_by))))


def next_pair(store: Store, rater: str, pair_id: int | None = None) -> Shown | None:
    """The next pair in `rater`'s queue (or pair `pair_id` if they have not rated it), or None when done."""
    rater = rater_name(rater)
    raters_each = overlap(store)
    with store.reading() as session:
        if pair_id is not None:
            mine = select(Comparison.pair_id).where(Comparison.rater == rater)
            pair = session.scalars(select(Pair).where(Pair.id == pair_id, Pair.id.not_in(mine))).first()
        else:
            pair = session.scalars(_queue(rater, raters_each).limit(1)).first()
        return show(session, pair, rater) if pair is not None else None


def shown_as_rated(store: Store, rater: str, pair_id: int) -> tuple[Shown, Comparison] | None:
    """Pair `pair_id` as `rater` saw it when rating it (same left and right), with their comparison; for revising."""
    rater = rater_name(rater)
    with store.reading() as session:
        comparison = session.scalar(select(Comparison).where(Comparison.pair_id == pair_id, Comparison.rater == rater))
        if comparison is None:
            return None
        left, right = session.get(Response, comparison.left_id), session.get(Response, comparison.right_id)
        prompt = session.get(Prompt, session.get(Pair, pair_id).prompt_id)
        return Shown(pair_id, prompt.messages, left.id, left.text, right.id, right.text), comparison


def my_ratings(store: Store, rater: str) -> list[dict]:
    """`rater`'s comparisons, newest first: pair id, prompt text, choice, flags, comment, when."""
    with store.reading() as session:
        rows = session.execute(select(Comparison, Prompt.text).join(Pair, Pair.id == Comparison.pair_id)
                               .join(Prompt, Prompt.id == Pair.prompt_id).where(Comparison.rater == rater)
                               .order_by(Comparison.created_at.desc(), Comparison.id.desc())).all()
    return [{"pair_id": c.pair_id, "prompt": text, "choice": c.choice, "unsafe_left": c.unsafe_left,
             "unsafe_right": c.unsafe_right, "comment": c.comment, "rated_at": c.created_at} for c, text in rows]


def progress(store: Store, rater: str) -> dict:
    """`{"rated": pairs rater rated, "left": pairs in their queue now, "pairs": pairs in the store, "complete": pairs
    rated by `overlap` raters, "overlap": overlap}`."""
    raters_each = overlap(store)
    with store.reading() as session:
        rated = session.scalar(select(func.count()).select_from(Comparison).where(Comparison.rater == rater))
        left = session.scalar(select(func.count()).select_from(_queue(rater, raters_each).subquery()))
        pairs = session.scalar(select(func.count()).select_from(Pair))
        counts = _raters_per_pair()
        complete = session.scalar(select(func.count()).select_from(counts).where(counts.c.n >= raters_each))
    return {"rated": rated, "left": left, "pairs": pairs, "complete": complete, "overlap": raters_each}


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
