"""Verifiers for a user's own data: the rubric file, checking answers against it, and a scripted rater that rates
pairs by it.

The task world has exact verifiers; a user's domain (a shop's support chat, say) has none, so "is the answer right?"
is written down once per prompt as a rubric (format in docs/rubric.md): JSON Lines, one prompt a line,
  {"id": "sunday", "group": "reworded", "prompt": "Can I come by on Sunday?",
   "must": [["closed", "not open"], {"regex": "book(ed|ing)? online"}], "must_not": ["open on sunday"]}
  * `id` and/or `prompt` (a string, the user's message, or a conversation: a list of {"role", "content"}) say which
    prompt the entry is for: a prompt row matches an entry with its id (`id` or `meta.id`) or, failing that, with the
    exact text of its last user message;
  * `group` names the prompt's group (accuracy is reported per group);
  * `must`: facts the answer must state; `must_not`: things it must not say. Each is a keyword, a list of keywords
    (any one of them will do) or {"regex": PATTERN}. Keywords match case-insensitively as whole words or phrases
    (any run of spaces matches any whitespace); regular expressions are Python's `re`, searched case-insensitively.
An answer is correct when it states every `must` fact and none of the `must_not` ones; its score is the number of
`must` facts stated minus the number of `must_not` ones said, which is what `ScriptedRater` compares.
The file is checked strictly (unknown keys, empty lists, bad patterns, duplicate ids or prompts): every problem is a
DataError `FILE:LINE: what`, so `workbench data validate FILE` reports it in one line and exits 2.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

from workbench.data.readers import json_kind, read_records
from workbench.errors import DataError, WorkbenchError

KEYS = ("id", "group", "prompt", "must", "must_not")
RUBRIC = "rubric"  # the type `workbench data validate` reports for a rubric file
ROLES = ("system", "user", "assistant")


@dataclass(frozen=True)
class Fact:
    """One `must` or `must_not` item: `source` as written in the file, `pattern` compiled from it."""

    source: Any
    pattern: re.Pattern

    def found_in(self, answer: str) -> bool:
        return self.pattern.search(answer) is not None


@dataclass(frozen=True)
class Verdict:
    stated: tuple[bool, ...]  # per `must` fact
    said: tuple[bool, ...]  # per `must_not` fact

    @property
    def correct(self) -> bool:
        return all(self.stated) and not any(self.said)

    @property
    def score(self) -> int:
        return sum(self.stated) - sum(self.said)


@dataclass(frozen=True)
class Entry:
    id: str | None
    prompt: list[dict] | None  # a conversation ending with the user's turn
    group: str
    must: tuple[Fact, ...]
    must_not: tuple[Fact, ...]
    line: int | None

    def check(self, answer: str) -> Verdict:
        return Verdict(tuple(f.found_in(answer) for f in self.must), tuple(f.found_in(answer) for f in self.must_not))


def last_user_text(prompt: list[dict]) -> str | None:
    users = [m.get("content") for m in prompt if isinstance(m, dict) and m.get("role") == "user"]
    return users[-1].strip() if users and isinstance(users[-1], str) else None


class Rubric:
    """The entries of a rubric file, found by id or by their prompt's last user message."""

    def __init__(self, path: Path, entries: list[Entry]):
        self.path, self.entries = path, entries
        self.by_id = {e.id: e for e in entries if e.id is not None}
        self.by_text = {last_user_text(e.prompt): e for e in entries if e.prompt is not None}

    @property
    def groups(self) -> list[str]:
        return list(dict.fromkeys(e.group for e in self.entries))

    def entry_for(self, prompt: list[dict], row_id: Any = None) -> Entry | None:
        if row_id is not None and str(row_id) in self.by_id:
            return self.by_id[str(row_id)]
        return self.by_text.get(last_user_text(prompt))

    def score(self, prompt: list[dict], answer: str) -> int:
        """The rubric score of `answer` to `prompt` (a WorkbenchError if the rubric has no entry for it)."""
        entry = self.entry_for(prompt)
        if entry is None:
            raise WorkbenchError(f"{self.path}: no rubric entry for the prompt {last_user_text(prompt)!r}; add one "
                                 "(matched by the exact text of the last user message)")
        return entry.check(answer).score

    def prompt_rows(self) -> list[dict]:
        """The rubric's own prompts as evaluation rows {"prompt", "meta": {"id"}} (every entry must have one)."""
        missing = [e for e in self.entries if e.prompt is None]
        if missing:
            raise DataError(self.path, missing[0].line, "this entry has no `prompt`; give every entry a prompt, or "
                                                        "give the evaluate stage `data` (prompts matched by id)")
        return [{"prompt": e.prompt, "meta": {"id": e.id if e.id is not None else i}}
                for i, e in enumerate(self.entries)]


# --- reading and checking the file -------------------------------------------------------------------------------


def looks_like_rubric(records: Sequence) -> bool:
    """Whether rows read from a file are a rubric's (so `data validate` can tell without --expect)."""
    first = records[0] if records else None
    dataset_columns = {"text", "messages", "completion", "chosen", "rejected", "label"}
    return (isinstance(first, dict) and any(k in first for k in ("must", "must_not", "group"))
            and not dataset_columns & set(first))


def load_rubric(path) -> Rubric:
    """The rubric at `path`, or a DataError at the first problem."""
    path = Path(path)
    records = read_records(path)
    entries, ids, texts = [], {}, {}
    for index, row in enumerate(records):
        try:
            entry = _entry(row, records.lines[index] if records.lines else None)
        except ValueError as e:
            raise records.error(path, index, str(e)) from None
        for key, seen, what in ((entry.id, ids, "id"),
                                (entry.prompt and last_user_text(entry.prompt), texts, "prompt")):
            if key is not None and key in seen:
                raise records.error(path, index, f"the same {what} as the entry on line {seen[key]} ({key!r}); "
                                                 "give each prompt one entry")
            if key is not None:
                seen[key] = entry.line
        entries.append(entry)
    return Rubric(path, entries)


def _entry(row: Any, line: int | None) -> Entry:
    if not isinstance(row, dict):
        raise ValueError(f"entry is a JSON {json_kind(row)}, not an object")
    unknown = [k for k in row if k not in KEYS]
    if unknown:
        raise ValueError(f"unknown key {unknown[0]!r}; an entry has {', '.join(KEYS)}")
    if row.get("id") is None and row.get("prompt") is None:
        raise ValueError("the entry names no prompt: give `id` (matching the prompt rows' ids) or `prompt`")
    entry_id = row.get("id")
    if entry_id is not None and (not isinstance(entry_id, (str, int)) or isinstance(entry_id, bool)
                                 or str(entry_id).strip() == ""):
        raise ValueError(f"`id` must be a non-empty string or a number, not {json_kind(entry_id)} {entry_id!r}")
    group = row.get("group")
    if not isinstance(group, str) or not group.strip():
        raise ValueError("`group` must be a non-empty string (the prompt's group in the report)")
    if "must" not in row and "must_not" not in row:
        raise ValueError("the entry has neither `must` nor `must_not`: give the facts an answer must state "
                         "and/or what it must not say")
    facts = {}
    for key in ("must", "must_not"):
        value = row.get(key, [])
        if key in row and (not isinstance(value, list) or not value):
            raise ValueError(f"`{key}` must be a non-empty list of facts (a keyword, a list of keywords or "
                             '{"regex": PATTERN}), not ' + (json_kind(value) if value else "an empty list"))
        facts[key] = tuple(_fact(item, f"{key}[{i}]") for i, item in enumerate(value))
    return Entry(str(entry_id) if entry_id is not None else None, _prompt(row.get("prompt")), group.strip(),
                 facts["must"], facts["must_not"], line)


def _prompt(value: Any) -> list[dict] | None:
    if value is None:
        return None
    if isinstance(value, str):
        if not value.strip():
            raise ValueError("`prompt` is empty")
        return [{"role": "user", "content": value}]
    if not isinstance(value, list) or not value:
        raise ValueError(f"`prompt` must be a string or a non-empty list of messages, not {json_kind(value)}")
    for i, message in enumerate(value):
        if (not isinstance(message, dict) or set(message) != {"role", "content"} or message["role"] not in ROLES
                or not isinstance(message["content"], str)):
            raise ValueError(f"prompt[{i}] must be {{\"role\": one of {', '.join(ROLES)}, \"content\": a string}}")
    if value[-1]["role"] != "user":
        raise ValueError("`prompt` must end with the user's message (the answer is what is checked)")
    return value


def _fact(item: Any, where: str) -> Fact:
    if isinstance(item, dict):
        if set(item) != {"regex"} or not isinstance(item["regex"], str) or not item["regex"]:
            raise ValueError(f'{where}: an object fact is {{"regex": PATTERN}} with a non-empty pattern')
        try:
            return Fact(item, re.compile(item["regex"], re.IGNORECASE))
        except re.error as e:
            raise ValueError(f"{where}: bad regular expression {item['regex']!r}: {e}") from None
    keywords = [item] if isinstance(item, str) else item
    if not isinstance(keywords, list) or not keywords:
        raise ValueError(f"{where}: a fact is a keyword, a non-empty list of keywords or {{\"regex\": PATTERN}}, "
                         f"not {json_kind(item) if keywords else 'an empty list'}")
    if not all(isinstance(k, str) and k.strip() for k in keywords):
        raise ValueError(f"{where}: keywords must be non-empty strings")
    return Fact(item, re.compile("|".join(_keyword_pattern(k) for k in keywords), re.IGNORECASE))


def _keyword_pattern(keyword: str) -> str:
    """A keyword as a whole word or phrase: word boundaries where it begins or ends with a word character."""
    words = keyword.split()
    body = r"\s+".join(re.escape(w) for w in words)
    start = r"\b" if re.match(r"\w", words[0]) else ""
    end = r"\b" if re.search(r"\w$", words[-1]) else ""
    return f"(?:{start}{body}{end})"


# --- figures and rating ------------------------------------------------------------------------------------------


def accuracy_by_group(groups: Sequence[str], correct: Sequence[bool]) -> dict:
    """{"accuracy": overall, "groups": {group: {"accuracy", "n"}}} over paired lists of groups and verdicts."""
    out: dict = {"accuracy": sum(correct) / len(correct) if correct else None, "groups": {}}
    for group in dict.fromkeys(groups):
        mine = [c for g, c in zip(groups, correct) if g == group]
        out["groups"][group] = {"accuracy": sum(mine) / len(mine), "n": len(mine)}
    return out


def choice(score_left: float, score_right: float) -> str:
    """The store's choice for two scores: "A" (left better), "B" (right better) or "tie"."""
    return "A" if score_left > score_right else "B" if score_right > score_left else "tie"


def taskworld_score(prompt_rows: Sequence[dict]) -> Callable[[list[dict], str], float]:
    """A scorer for `ScriptedRater` from task-world prompt rows ({"prompt", "meta"}): 1.0 where the task world's
    verifier accepts the answer to the prompt with the same last user message, else 0.0."""
    from workbench.taskworld import verify

    metas = {last_user_text(row["prompt"]): row["meta"] for row in prompt_rows}

    def score(prompt: list[dict], answer: str) -> float:
        meta = metas.get(last_user_text(prompt))
        if meta is None:
            raise WorkbenchError(f"no task-world prompt {last_user_text(prompt)!r} to verify the answer against")
        return float(verify(meta, answer))

    return score


class ScriptedRater:
    """Rates pairs unattended, as a person would in the UI: the answer with the higher score wins, equal scores
    are a tie. `score(prompt, answer)` defaults to a rubric's score; any other scorer can be given instead, e.g.
    `taskworld_score(rows)` for the task world's verifiers."""

    def __init__(self, rubric: Rubric | None = None, score: Callable[[list[dict], str], float] | None = None,
                 name: str = "rubric-rater"):
        if (rubric is None) == (score is None):
            raise ValueError("give a rubric or a score function")
        self.score, self.name = score or rubric.score, name
        self.choices: Counter = Counter()  # what `rate_store` recorded: {"A": n, "B": n, "tie": n}

    def rate(self, prompt: list[dict], left: str, right: str) -> str:
        return choice(self.score(prompt, left), self.score(prompt, right))

    def rate_store(self, store, limit: int | None = None) -> int:
        """Rate the pairs in this rater's queue in the rating store (all, or the first `limit`); the number rated."""
        from workbench.store.ratings import next_pair, record_comparison

        rated = 0
        while limit is None or rated < limit:
            shown = next_pair(store, self.name)
            if shown is None:
                break
            verdict = self.rate(shown.prompt, shown.left, shown.right)
            record_comparison(store, self.name, shown.pair_id, shown.left_id, shown.right_id, verdict)
            self.choices[verdict] += 1
            rated += 1
        return rated


def validate(path, expect: str | None = None):
    """`workbench data validate`: a rubric file (with `expect="rubric"`, or recognised by its rows) as type and form
    "rubric", anything else as `workbench.data.validate_file` checks it."""
    from workbench.data import DatasetInfo, validate_file

    if expect == RUBRIC or (expect is None and looks_like_rubric(read_records(path))):
        return DatasetInfo(RUBRIC, RUBRIC, len(load_rubric(path).entries), list(KEYS), False)
    return validate_file(path, expect)
