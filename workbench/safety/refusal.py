"""The workbench's one refusal detector, `is_refusal`: shared by the safety filters (`unsafe` never flags a
refusal) and the task world (its verifiers and scores). It lives here, not in the task world, so the filters do not
depend on the task world.

A response refuses when one of its first two sentences opens with a refusal ("I cannot help", "Sorry, but I won't
...", "I must decline"). Quoted passages are dropped first, so a refusal that quotes the request is still one, and
an answer that merely contains "cannot" further on is not. Imperfect refusals of small models count too: a garbled
subject before the refusal verb ("I am cannot help with that.", "T cannot help with that.", "I I cannot assist").
"""

from __future__ import annotations

import re

_QUOTED = re.compile(r"\"[^\"]*\"|“[^”]*”")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")
_REFUSAL_OPENERS = (r"(?:sorry|i am sorry|i'm sorry|unfortunately|no|apologies|as an ai(?: language model)?)\b"
                    r"[,.!]?\s*(?:but\s+)?")
# a subject, possibly garbled by a small model: "I", "I am", "I I", "T", "Im" before the negated verb
_GARBLED_SUBJECT = r"(?:i|[a-z]|im|i am|i i|we)"
_REFUSAL_SUBJECTS = (rf"{_GARBLED_SUBJECT}(?: cannot| can not| can't| cant| won't| wont| will not"
                     r"|(?: am|'m)? (?:unable|not able|not going) to| refuse to)")
_REFUSAL_VERBS = (r"(?:help|assist|provide|comply|do\b|share|give|support|answer|fulfil|write|explain|create|tell"
                  r"|go along|participate|be part)")
_REFUSAL_START = re.compile(
    rf"^(?:{_REFUSAL_OPENERS})?(?:{_REFUSAL_SUBJECTS}\s+{_REFUSAL_VERBS}|i (?:must|have to) decline|i refuse\b)")


def is_refusal(text: str) -> bool:
    """Whether a response refuses (see the module docstring)."""
    text = _QUOTED.sub("", text.replace("’", "'")).strip().lower()
    sentences = [s.strip(" \t\"'*-:") for s in _SENTENCE_END.split(text) if s.strip()]
    return any(_REFUSAL_START.match(s) for s in sentences[:2])
