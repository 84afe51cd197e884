"""The hazard taxonomy every unsafe decision names: Llama Guard 3's categories S1–S14 (Meta, 2024; aligned with the
MLCommons hazard taxonomy, plus elections and code-interpreter abuse). Why this one: its codes are short and stable
(they fit a decision's reason and spans), it is the taxonomy of a widely used *response* classifier, which is what
the `unsafe` rule is, and it covers the harms the lexicon used to miss (self-harm, hate, privacy, defamation,
elections, specialised advice). See docs/safety.md.

`CATEGORIES` maps code -> name; `LEXICON_CATEGORY` maps the lexicon's topics (`workbench.safety.unsafe`) to codes;
`category_in`, `score_in` and `decider_in` read the category, the classifier's score and what decided back from a decision's reason (which is
what the store keeps), so the UI can show them without a schema change.
"""

from __future__ import annotations

import re

CATEGORIES: dict[str, str] = {
    "S1": "Violent Crimes",
    "S2": "Non-Violent Crimes",
    "S3": "Sex-Related Crimes",
    "S4": "Child Sexual Exploitation",
    "S5": "Defamation",
    "S6": "Specialized Advice",
    "S7": "Privacy",
    "S8": "Intellectual Property",
    "S9": "Indiscriminate Weapons",
    "S10": "Hate",
    "S11": "Suicide & Self-Harm",
    "S12": "Sexual Content",
    "S13": "Elections",
    "S14": "Code Interpreter Abuse",
}
CODES = tuple(CATEGORIES)

LEXICON_CATEGORY: dict[str, str] = {
    "weapons": "S9", "drugs": "S2", "cyber": "S2", "violence": "S1", "fraud": "S2", "theft": "S2",
    "stalking": "S7", "harassment": "S2", "extremism": "S1", "evasion": "S2", "self_harm": "S11", "toxic": "S1",
}


def label(code: str) -> str:
    """"S11 Suicide & Self-Harm"."""
    return f"{code} {CATEGORIES[code]}"


_IN_REASON = re.compile(r"\[(S\d{1,2}) [^\]]*\]")


def category_in(reason: str | None) -> str | None:
    """The hazard code an unsafe decision's reason names ("... [S9 Indiscriminate Weapons] ..."), or None."""
    match = _IN_REASON.search(reason or "")
    return match[1] if match and match[1] in CATEGORIES else None


_SCORE_IN_REASON = re.compile(r"P\(unsafe\) (\d(?:\.\d+)?)")


def score_in(reason: str | None) -> float | None:
    """The classifier's P(unsafe) an unsafe decision's reason states ("... P(unsafe) 0.93 ..."), or None."""
    match = _SCORE_IN_REASON.search(reason or "")
    return float(match[1]) if match else None


_DECIDER_IN_REASON = re.compile(r"\] (lexicon|[\w.-]+ classifier):")


def decider_in(reason: str | None) -> str | None:
    """What decided an unsafe decision ("lexicon", "gemma3-270m classifier", "hashed-n-gram classifier"), or None."""
    match = _DECIDER_IN_REASON.search(reason or "")
    return match[1] if match else None
