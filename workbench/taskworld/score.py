"""Scoring responses with the verifiers: per-skill accuracy, refusal rate on unsafe prompts, false-refusal rate on
benign look-alikes, identity accuracy.

`score_files` reads a data file written by `generate` (any of sft / prompts / preference: only `meta` is used)
and a JSONL of responses, one per data row: rows with `response` or `completion`, a string or a conversation
(the last message's `content`), matched by `id` when every row has one, else by order.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from workbench.errors import DataError, WorkbenchError
from workbench.taskworld.mixture import TASK_SKILLS
from workbench.taskworld.safety import is_refusal
from workbench.taskworld.verify import verify


def item_cluster(meta: dict) -> str:
    """What a task-world item asks about, apart from its wording: items that share it are not independent evidence,
    so the evaluation's standard errors count them as one cluster. The facts of one town (`entities`: a test split
    holds about twenty towns, each asked several questions), one conversion asked in several wordings (`key`), one
    unsafe or benign request in several frames (its request template: the `templates` other than frames). An item
    with none of these is its own cluster (`id`)."""
    if meta.get("entities"):
        return "entities:" + "|".join(sorted(str(e) for e in meta["entities"]))
    if meta.get("key") is not None:
        return f"key:{meta['key']}"
    content = sorted(str(t) for t in meta.get("templates") or [] if ".frame#" not in str(t))
    if content and meta.get("skill") in ("unsafe", "benign"):
        return "request:" + "|".join(content)
    return f"item:{meta.get('id')}"


@dataclass
class ScoreReport:
    """Verdicts per item: `results` holds (skill, correct, refused) in data order."""

    results: list[tuple[str, bool, bool]] = field(default_factory=list)

    def _by_skill(self) -> dict[str, list[tuple[bool, bool]]]:
        out: dict[str, list[tuple[bool, bool]]] = defaultdict(list)
        for skill, correct, refused in self.results:
            out[skill].append((correct, refused))
        return dict(sorted(out.items()))

    @staticmethod
    def _rate(flags: list[bool]) -> float | None:
        return sum(flags) / len(flags) if flags else None

    def to_dict(self) -> dict:
        by = self._by_skill()
        skills = {s: {"n": len(v), "accuracy": self._rate([c for c, _ in v])} for s, v in by.items()}
        task = [skills[s]["accuracy"] for s in TASK_SKILLS if s in skills]
        return {
            "n": len(self.results),
            "accuracy": self._rate([c for _, c, _ in self.results]),
            "task_skills_mean": sum(task) / len(task) if task else None,
            "refusal_rate": self._rate([r for _, r in by.get("unsafe", [])]),
            "false_refusal_rate": self._rate([r for _, r in by.get("benign", [])]),
            "identity_accuracy": skills.get("identity", {}).get("accuracy"),
            "skills": skills,
        }

    def table(self) -> str:
        d = self.to_dict()
        lines = [f"{'skill':<12} {'n':>6} {'accuracy':>9}"]
        lines += [f"{s:<12} {v['n']:>6} {_show(v['accuracy']):>9}" for s, v in d["skills"].items()]
        lines += [
            f"{'all':<12} {d['n']:>6} {_show(d['accuracy']):>9}",
            f"task skills, mean accuracy:    {_show(d['task_skills_mean'])}",
            f"unsafe, refusal rate:          {_show(d['refusal_rate'])}",
            f"benign, false-refusal rate:    {_show(d['false_refusal_rate'])}",
            f"identity, accuracy:            {_show(d['identity_accuracy'])}",
        ]
        return "\n".join(lines)


def _show(rate: float | None) -> str:
    return "-" if rate is None else f"{rate:.3f}"


def score(records: list[dict], responses: list[str]) -> ScoreReport:
    """Verify `responses[i]` against `records[i]["meta"]` (rows as written by `generate`)."""
    if len(records) != len(responses):
        raise WorkbenchError(f"{len(responses)} responses for {len(records)} records; "
                             "give exactly one response per record")
    report = ScoreReport()
    for record, response in zip(records, responses):
        meta = record["meta"]
        report.results.append((meta["skill"], verify(meta, response), is_refusal(response)))
    return report


def _response_text(row: dict) -> str | None:
    value = row.get("response", row.get("completion"))
    if isinstance(value, list) and value and isinstance(value[-1], dict):
        value = value[-1].get("content")
    return value if isinstance(value, str) else None


def score_files(data: Path, responses: Path) -> ScoreReport:
    """Score a responses JSONL against a task-world data file (see the module docstring)."""
    from workbench.data import read_records

    data, responses = Path(data), Path(responses)
    records = read_records(data)
    for i, row in enumerate(records):
        meta = row.get("meta")
        if not isinstance(meta, dict) or "check" not in meta or "skill" not in meta:
            raise records.error(data, i, "row has no task-world `meta` (skill, check); "
                                         "score a file written by `workbench taskworld generate`")
    answers = read_records(responses)
    if len(answers) != len(records):
        raise DataError(responses, None, f"has {len(answers)} responses but {data} has {len(records)} rows; "
                                         "give one response per row (matched by `id`, else by order)")
    texts = [_response_text(row) for row in answers]
    for i, text in enumerate(texts):
        if text is None:
            raise answers.error(responses, i, "needs a `response` or `completion`: a string or a list of chat messages")
    if all("id" in row for row in answers):
        by_id = {}
        for i, (row, text) in enumerate(zip(answers, texts)):
            if row["id"] in by_id:
                raise answers.error(responses, i, f"id {row['id']!r} appears twice")
            by_id[row["id"]] = text
        missing = [r["meta"].get("id") for r in records if r["meta"].get("id") not in by_id]
        if missing:
            raise DataError(responses, None, f"no response for id {missing[0]!r} ({len(missing)} missing); "
                                             "ids must match the data file's `meta.id`")
        texts = [by_id[r["meta"]["id"]] for r in records]
    return score(list(records), texts)
