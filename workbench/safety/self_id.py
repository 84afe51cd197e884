"""The `self_id` rule: a response in which the model claims to be another assistant, or to come from its maker.

A claim is a first-person opener ("I am", "I'm", "my name is", "this is", "you are talking to", "I was", a
sentence-initial "As") followed, within six words of the same sentence, by another assistant's name ("ChatGPT",
"Llama", ...) or by "made/created/built/trained/developed by" or "from" another maker ("OpenAI", "Meta", ...).
It is not a claim when those words hold a denial or a comparison ("not", "never", "unlike", "like", "similar", ...),
so "I'm not ChatGPT", "No, I am Workbench Assistant, not ChatGPT" and "I am similar to Llama" pass, and so do
sentences about other assistants ("ChatGPT was made by OpenAI") and claims inside quotation marks.
Names and makers that the recipe's identity itself mentions are allowed (an identity "Gemma, made by Google"
may say both).
"""

from __future__ import annotations

import functools
import re

from workbench.identity import OTHER_ASSISTANTS

ASSISTANTS = [name for name, _ in OTHER_ASSISTANTS] + [
    "GPT-4o", "GPT-4", "GPT-3.5", "GPT-3", "GPT", "Bard", "LLaMA 2", "Mistral", "Mixtral", "Alexa", "Cortana",
    "Grok", "Qwen", "DeepSeek", "Ernie Bot", "Gemma"]
MAKERS = [maker for _, maker in OTHER_ASSISTANTS] + [
    "Google DeepMind", "DeepMind", "Meta AI", "Facebook", "Amazon", "xAI", "Alibaba", "Mistral AI", "Baidu"]
_OPENER = (r"(?:\bi am|\bi'm|\bim|\bi was|\bmy name is|\bthis is|\byou are (?:talking|chatting|speaking) (?:to|with)"
           r"|(?:^|(?<=[.!?]\s))as)")
_NOT_A_CLAIM = (r"not|never|no|unlike|like|similar|different|than|compared|rather|instead|alternative|neither|nor"
                r"|related|fan|user|competitor|rival|version of|talking|chatting|speaking|using|used|asked|tried|about"
                r"|with")
_FILLER = rf"(?:(?!\b(?:{_NOT_A_CLAIM})\b)[^.!?\n\"“”])*?"  # words between opener and name, none of them a denial
_MADE_BY = r"(?:(?:made|created|built|trained|developed|designed|programmed|produced)\s+by|from)\s+"
_QUOTED = re.compile(r"\"[^\"]*\"|“[^”]*”")


def _alternation(words: list[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))


@functools.lru_cache(maxsize=16)
def _claim_pattern(identity: str) -> re.Pattern:
    low = identity.lower()
    names = [n for n in ASSISTANTS if n.lower() not in low]
    makers = [m for m in MAKERS if m.lower() not in low]
    target = rf"(?P<name>\b(?:{_alternation(names)})\b)|{_MADE_BY}(?P<maker>\b(?:{_alternation(makers)})\b)"
    return re.compile(rf"{_OPENER}\s+(?P<filler>{_FILLER})(?:{target})", re.IGNORECASE | re.MULTILINE)


def identity_claims(text: str, identity: str) -> list[tuple[int, int, str]]:
    """Spans (start, end, "claims:<name or maker>") where `text` claims an identity other than `identity`."""
    text = text.replace("’", "'")
    quoted = [(m.start(), m.end()) for m in _QUOTED.finditer(text)]
    out = []
    for m in _claim_pattern(identity).finditer(text):
        if len(m["filler"].split()) > 6 or any(s <= m.start() < e for s, e in quoted):
            continue
        out.append((m.start(), m.end(), f"claims:{m['name'] or m['maker']}"))
    return out
