"""The preference store's tables: prompts, responses, pairs to rate, comparisons, safety-filter decisions and
their overrides, and runs.

Identity is content, lineage is metadata: a prompt is its messages, a response is its prompt and its messages, and a
pair is its two responses in either order (`Pair.key`), whatever file, run, stage or model they came from; who made
them (model, stage, sampling settings, run, source file) is kept in `lineage`, one entry per way they arrived. So
importing the same rows under another name adds nothing, and a pair imported with its responses swapped is the same
pair. `Pair.priority` (nullable, higher = rate first) is set by whoever knows which pairs teach most (the `pairs`
stage, from a reward model's uncertainty).
A pair is two responses to one prompt, kept in a fixed order (`first`, `second`); each comparison records which
of them a rater saw on the left and on the right, and the choice as shown: "A" (left), "B" (right), "tie" or
"both_bad". One comparison per rater and pair (a second rating replaces the first), so concurrent writers cannot
duplicate rows. A filter decision is one record of one filter run; an override names a record by its key (as the
filter stage reads it), so it applies to every copy of an identical record and outlives re-imports of decisions. Changes to these tables go through a migration in `migrations/versions/`.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import JSON, CheckConstraint, DateTime, Float, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

CHOICES = ("A", "B", "tie", "both_bad")
FILTER_ACTIONS = ("kept", "redacted", "dropped")
OVERRIDE_ACTIONS = ("keep", "drop")


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON, datetime: DateTime(timezone=True)}


class Run(Base):
    __tablename__ = "runs"
    id: Mapped[int] = mapped_column(primary_key=True)
    path: Mapped[str] = mapped_column(String(1000), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    added_at: Mapped[datetime] = mapped_column(default=utcnow)


class Prompt(Base):
    __tablename__ = "prompts"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 of the messages
    messages: Mapped[list[Any]]  # conversational prompt: [{"role", "content"}, ...]
    text: Mapped[str] = mapped_column(Text)  # the last user turn, for lists and search
    source: Mapped[str] = mapped_column(String(1000))
    meta: Mapped[dict[str, Any]] = mapped_column(default=dict)
    added_at: Mapped[datetime] = mapped_column(default=utcnow)


class Response(Base):
    __tablename__ = "responses"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 of the prompt key and the messages
    prompt_id: Mapped[int] = mapped_column(ForeignKey("prompts.id"), index=True)
    messages: Mapped[list[Any]]  # the assistant turns
    text: Mapped[str] = mapped_column(Text)
    model: Mapped[str] = mapped_column(String(200))  # the first lineage entry's, for lists
    stage: Mapped[str | None] = mapped_column(String(200))
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)  # generation settings
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"))
    lineage: Mapped[list[Any] | None] = mapped_column(JSON, default=list)  # [{"model", "stage", "settings", "run_id"}]
    added_at: Mapped[datetime] = mapped_column(default=utcnow)


class Pair(Base):
    __tablename__ = "pairs"
    __table_args__ = (UniqueConstraint("first_id", "second_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    prompt_id: Mapped[int] = mapped_column(ForeignKey("prompts.id"), index=True)
    key: Mapped[str | None] = mapped_column(String(64), unique=True, index=True)  # pair_key of the two responses' keys
    first_id: Mapped[int] = mapped_column(ForeignKey("responses.id"))
    second_id: Mapped[int] = mapped_column(ForeignKey("responses.id"))
    source: Mapped[str] = mapped_column(String(1000))  # where it first came from (the first lineage entry's)
    lineage: Mapped[list[Any] | None] = mapped_column(JSON, default=list)  # [{"source", ...}], one per arrival
    priority: Mapped[float | None] = mapped_column(Float, default=None)  # higher = rate first; None = no opinion
    added_at: Mapped[datetime] = mapped_column(default=utcnow)


class Comparison(Base):
    __tablename__ = "comparisons"
    __table_args__ = (UniqueConstraint("pair_id", "rater"),
                      CheckConstraint("choice IN ('A', 'B', 'tie', 'both_bad')", name="choice_known"))
    id: Mapped[int] = mapped_column(primary_key=True)
    pair_id: Mapped[int] = mapped_column(ForeignKey("pairs.id"), index=True)
    rater: Mapped[str] = mapped_column(String(200), index=True)
    left_id: Mapped[int] = mapped_column(ForeignKey("responses.id"))
    right_id: Mapped[int] = mapped_column(ForeignKey("responses.id"))
    choice: Mapped[str] = mapped_column(String(10))
    unsafe_left: Mapped[bool] = mapped_column(default=False)
    unsafe_right: Mapped[bool] = mapped_column(default=False)
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class FilterDecision(Base):
    __tablename__ = "filter_decisions"
    __table_args__ = (UniqueConstraint("source", "position"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(1000))  # the filter output folder
    position: Mapped[int]  # the record's place in the filter's input (0-based)
    key: Mapped[str] = mapped_column(String(64), index=True)  # workbench.safety.record_key(record); equal records share it
    action: Mapped[str] = mapped_column(String(10))  # kept | redacted | dropped
    rule: Mapped[str | None] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text, default="")
    spans: Mapped[list[Any]] = mapped_column(default=list)  # [[start, end, label, field], ...]
    record: Mapped[dict[str, Any]]  # the record as it came in; {} when the filter's output does not have it


class FilterOverride(Base):
    __tablename__ = "filter_overrides"
    __table_args__ = (CheckConstraint("action IN ('keep', 'drop')", name="override_action_known"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), index=True)  # the record key of the decision overridden
    action: Mapped[str] = mapped_column(String(10))
    who: Mapped[str] = mapped_column(String(200))
    why: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(default=utcnow)


class Setting(Base):
    """A store-wide setting by name: `overlap` (raters per pair), `guidelines` (the text shown beside each pair)."""

    __tablename__ = "settings"
    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)


class RaterToken(Base):
    """A login for the UI: the sha256 of a random token (the token itself is shown once and never stored), the
    rater's name it stands for, and whether that rater is an admin (overrides, exports, runs)."""

    __tablename__ = "rater_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    admin: Mapped[bool] = mapped_column(default=False)
    added_at: Mapped[datetime] = mapped_column(default=utcnow)


class GoldAnswer(Base):
    """A pair whose right answer is known, to check raters: the outcome in the pair's own order."""

    __tablename__ = "gold_answers"
    __table_args__ = (CheckConstraint("outcome IN ('first', 'second', 'tie', 'both_bad')", name="gold_outcome_known"),)
    pair_id: Mapped[int] = mapped_column(ForeignKey("pairs.id"), primary_key=True)
    outcome: Mapped[str] = mapped_column(String(10))
    source: Mapped[str] = mapped_column(String(1000))
    added_at: Mapped[datetime] = mapped_column(default=utcnow)
