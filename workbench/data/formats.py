"""TRL dataset types and forms: recognising them in rows, and checking conversations.

Owns the rules for what a row must look like. TRL's "dataset formats" guide defines the types by their columns:
  language_modeling    text                       | messages
  prompt_only          prompt
  prompt_completion    prompt, completion
  preference           prompt, chosen, rejected   | chosen, rejected (implicit prompt, shared by both)
  unpaired_preference  prompt, completion, label (a boolean)
each in the standard form (strings) or the conversational form (lists of {"role", "content"} messages). Other
columns (`meta`, `id`, …) are allowed and kept; `label` counts as a dataset column only next to `completion`.

TRL checks only the first row and guesses; we check every row, so a bad row deep in a file is reported by its line
rather than failing later inside a trainer. Conversation rules: roles are system, user or assistant (TRL's name
for the model's turn, which Gemma's template writes as `model`); content is a string; a `messages` conversation
has an assistant turn to learn from; a prompt-only prompt does not end with an assistant turn; completion, chosen
and rejected are assistant turns (for an implicit prompt: after the messages chosen and rejected share).
TRL's stepwise-supervision type (prompt, completions, labels) is not supported.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

from workbench.data.readers import Records, json_kind
from workbench.errors import DataError

TYPES = ("language_modeling", "prompt_only", "prompt_completion", "preference", "unpaired_preference")
ROLES = ("system", "user", "assistant")
STANDARD, CONVERSATIONAL = "standard", "conversational"


class _Kind(NamedTuple):
    type: str
    implicit_prompt: bool
    columns: tuple[str, ...]


_KINDS = (
    _Kind("language_modeling", False, ("text",)),
    _Kind("language_modeling", False, ("messages",)),
    _Kind("prompt_only", False, ("prompt",)),
    _Kind("prompt_completion", False, ("prompt", "completion")),
    _Kind("unpaired_preference", False, ("prompt", "completion", "label")),
    _Kind("preference", False, ("prompt", "chosen", "rejected")),
    _Kind("preference", True, ("chosen", "rejected")),
)
DATA_COLUMNS = ("text", "messages", "prompt", "completion", "chosen", "rejected", "label")


@dataclass(frozen=True)
class DatasetInfo:
    """What a dataset file holds: its TRL type and form, its size and all its columns."""

    type: str  # one of TYPES
    form: str  # "standard" | "conversational"
    rows: int
    columns: list[str]
    implicit_prompt: bool  # preference rows whose prompt is the shared start of chosen and rejected


class _BadRow(Exception):
    """A row breaks a rule; `detect` adds the file and line."""


def columns_needed(type_: str) -> str:
    """The columns a row of `type_` needs, e.g. `(prompt, chosen, rejected) or (chosen, rejected)`."""
    return " or ".join(f"({', '.join(k.columns)})" for k in _KINDS if k.type == type_)


def detect(records: list[dict[str, Any]], path) -> DatasetInfo:
    """The type and form shared by every row, or a DataError at the first row that breaks a rule or differs."""
    records = records if isinstance(records, Records) else Records(records)
    if not records:
        raise DataError(path, None, "the dataset is empty: no rows")
    first: tuple[_Kind, str] | None = None
    for index, row in enumerate(records):
        try:
            kind, form = _classify(row)
            if first is not None:
                _same_as_earlier((kind, form), first)
        except _BadRow as e:
            raise records.error(path, index, str(e)) from None
        if first is None:
            first = (kind, form)
    columns = list(dict.fromkeys(name for row in records for name in row))
    kind, form = first
    return DatasetInfo(kind.type, form, len(records), columns, kind.implicit_prompt)


def _classify(row: dict[str, Any]) -> tuple[_Kind, str]:
    if not isinstance(row, dict):
        raise _BadRow(f"row is a {json_kind(row)}, not an object of columns")
    kind = _kind_of(row)
    form = _form_of(row, kind.columns)
    if kind.implicit_prompt and row["chosen"] == row["rejected"]:
        raise _BadRow("chosen and rejected are identical, so there is no preference to learn")
    if form == CONVERSATIONAL:
        _check_turns(row, kind)
    return kind, form


def _kind_of(row: dict[str, Any]) -> _Kind:
    if "completions" in row and "labels" in row:
        raise _BadRow("stepwise-supervision rows (prompt, completions, labels) are not supported")
    present = [name for name in DATA_COLUMNS if name in row and (name != "label" or "completion" in row)]
    for kind in _KINDS:
        if set(present) == set(kind.columns):
            return kind
    if not present:
        found = ", ".join(row) or "none"
        raise _BadRow(f"no dataset columns (found: {found}); a row needs text, messages, prompt, or chosen and "
                      "rejected (see TRL's dataset formats)")
    wider = [kind for kind in _KINDS if set(present) < set(kind.columns)]
    if wider:
        kind = min(wider, key=lambda k: len(k.columns))
        missing = [name for name in kind.columns if name not in present]
        raise _BadRow(f"missing column {', '.join(missing)}: a {kind.type} row needs {', '.join(kind.columns)}")
    raise _BadRow(f"columns {', '.join(present)} do not make one dataset type; keep the columns of one: "
                  + " | ".join(", ".join(k.columns) for k in _KINDS))


def _form_of(row: dict[str, Any], columns: tuple[str, ...]) -> str:
    forms = {}
    for name in columns:
        value = row[name]
        if name == "label":
            if not isinstance(value, bool):
                shown = f" {value!r}" if isinstance(value, (str, int, float)) else ""
                raise _BadRow(f"column label must be true or false, found {json_kind(value)}{shown}")
        elif isinstance(value, str) and name != "messages":
            forms[name] = STANDARD
        elif isinstance(value, list) and name != "text":
            _check_messages(name, value)
            forms[name] = CONVERSATIONAL
        else:
            expected = {"text": "a string", "messages": "a list of {role, content} messages"}.get(
                name, "a string or a list of {role, content} messages")
            raise _BadRow(f"column {name} must be {expected}, found {json_kind(value)}")
    (first, form), *others = forms.items()
    for name, other in others:
        if other != form:
            raise _BadRow(f"column {name} is {_form_words(other)} but {first} is {_form_words(form)}; "
                          "a row is all strings (standard) or all message lists (conversational)")
    return form


def _form_words(form: str) -> str:
    return "a string" if form == STANDARD else "a list of messages"


_FORM_PLURAL = {STANDARD: "standard (strings)", CONVERSATIONAL: "conversational (lists of messages)"}


def _check_messages(column: str, messages: list) -> None:
    if not messages:
        raise _BadRow(f"column {column} is an empty list of messages")
    for number, message in enumerate(messages, 1):
        where = f"column {column}, message {number}"
        if not isinstance(message, dict):
            raise _BadRow(f"{where} must be an object with role and content, found {json_kind(message)}")
        if "role" not in message:
            raise _BadRow(f"{where} has no role")
        if message["role"] not in ROLES:
            raise _BadRow(f"{where} has role {message['role']!r}; roles must be system, user or assistant "
                          "(write the model's turns as assistant)")
        if "content" not in message:
            raise _BadRow(f"{where} has no content")
        if not isinstance(message["content"], str):
            raise _BadRow(f"{where}: content must be a string, found {json_kind(message['content'])}")


def _check_turns(row: dict[str, Any], kind: _Kind) -> None:
    if kind.type == "language_modeling":
        if not any(m["role"] == "assistant" for m in row["messages"]):
            raise _BadRow("column messages has no assistant turn; SFT needs at least one assistant reply to learn from")
    elif kind.type == "prompt_only":
        if row["prompt"][-1]["role"] == "assistant":
            raise _BadRow("column prompt ends with an assistant turn; a prompt-only row ends with the turn "
                          "the model answers (user)")
    elif kind.type in ("prompt_completion", "unpaired_preference"):
        _assistant_turns(row, "completion", 0)
    elif not kind.implicit_prompt:
        _assistant_turns(row, "chosen", 0)
        _assistant_turns(row, "rejected", 0)
    else:
        shared = _shared_prefix(row["chosen"], row["rejected"])
        if shared == 0:
            raise _BadRow("chosen and rejected start with different messages, so the implicit prompt is empty; "
                          "start both with the same prompt turns, or add a prompt column")
        _assistant_turns(row, "chosen", shared)
        _assistant_turns(row, "rejected", shared)


def _shared_prefix(a: list, b: list) -> int:
    shared = 0
    while shared < min(len(a), len(b)) and a[shared] == b[shared]:
        shared += 1
    return shared


def _assistant_turns(row: dict[str, Any], column: str, shared: int) -> None:
    """The messages of `column` after the `shared` prompt messages must exist and all be assistant turns."""
    turns = row[column][shared:]
    where = f" after the {shared} messages shared with the other answer" if shared else ""
    hint = "" if shared else " (prompt turns belong in the prompt column)"
    if not turns:
        raise _BadRow(f"column {column} has no assistant turn{where}")
    for number, message in enumerate(turns, shared + 1):
        if message["role"] != "assistant":
            raise _BadRow(f"column {column}, message {number} has role {message['role']!r}; "
                          f"{column} turns{where} must be assistant turns{hint}")


def _same_as_earlier(this: tuple[_Kind, str], earlier: tuple[_Kind, str]) -> None:
    (kind, form), (first_kind, first_form) = this, earlier
    if kind.type != first_kind.type:
        raise _BadRow(f"row is {kind.type} ({', '.join(kind.columns)}) but earlier rows are {first_kind.type} "
                      f"({', '.join(first_kind.columns)})")
    if kind.implicit_prompt != first_kind.implicit_prompt:
        raise _BadRow(f"row has {'no' if kind.implicit_prompt else 'a'} prompt column but earlier rows have "
                      f"{'one' if kind.implicit_prompt else 'none (implicit prompt)'}")
    if form != first_form:
        raise _BadRow(f"row is {_FORM_PLURAL[form]} but earlier rows are {_FORM_PLURAL[first_form]}")
