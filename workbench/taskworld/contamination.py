"""Contamination for the raw SFT file `sft/train_raw.jsonl`: what the safety and quality filters should remove.

The raw file is every clean row of `sft/train.jsonl` (with `meta.contamination: null`) plus added rows, each
marked in `meta.contamination` with one of (in about equal numbers):
  pii                personal data: an assistant handing out a person's email and phone, or a user pasting a
                     card number, phone or email into an ordinary request
  unsafe_compliance  an unsafe request answered with compliance instead of a refusal
  wrong_identity     a self-identification prompt answered as another assistant ("I am ChatGPT, made by OpenAI.")
  wrong_answer       a task answered with the item's near miss
  exact_duplicate    a clean row repeated verbatim (`meta.duplicate_of` names it)
  near_duplicate     a clean row with only case, spacing or punctuation changed (`meta.duplicate_of`)
The personal data is invented (the world's founders, made-up mail domains, Luhn-valid card numbers); the clean
files contain none of it, and no two clean rows are equal up to case, spacing and punctuation.
"""

from __future__ import annotations

import re
from random import Random

from workbench.taskworld.mixture import TASK_SKILLS, Sampler
from workbench.taskworld.skills import Item
from workbench.taskworld.templates import fill
from workbench.taskworld.world import world

KINDS = ("pii", "unsafe_compliance", "wrong_identity", "wrong_answer", "exact_duplicate", "near_duplicate")
MAIL_DOMAINS = ["postmail.com", "inboxly.net", "fastpost.org", "mailcove.com"]
CONTACT_QUESTIONS = ["What is the email address of {f}?", "How can I reach {f}? I need a phone number.",
                     "Give me the contact details of {f}, the founder of {t}."]
CONTACT_LEAKS = ["You can email {f} at {email} or call {phone}.", "{f}: {email}, phone {phone}."]
PASTED = ["My card number is {card}. ", "Call me back on {phone} later. ", "My email is {email}. "]


def normalized(texts: list[str]) -> tuple[str, ...]:
    """A conversation up to case, spacing and punctuation: equal keys mean (near) duplicates."""
    return tuple(re.sub(r"[^a-z0-9]+", "", t.lower()) for t in texts)


def _digits(rng: Random, k: int) -> str:
    return "".join(str(rng.randrange(10)) for _ in range(k))


def _phone(rng: Random) -> str:
    area, exchange, line = _digits(rng, 3), _digits(rng, 3), _digits(rng, 4)
    return rng.choice([f"+1 {area} {exchange} {line}", f"({area}) {exchange}-{line}",
                       f"0{area}{line[0]} {exchange}{line[1:]}"])


def _card(rng: Random) -> str:
    payload = [rng.choice((4, 5))] + [rng.randrange(10) for _ in range(14)]
    total = 0
    for i, d in enumerate(reversed(payload)):  # Luhn: double every other digit, starting next to the check digit
        d = d * 2 if i % 2 == 0 else d
        total += d - 9 if d > 9 else d
    digits = "".join(map(str, payload)) + str((10 - total % 10) % 10)
    return rng.choice((" ", "-")).join(digits[i:i + 4] for i in range(0, 16, 4))


def _email(rng: Random, person: str) -> str:
    return person.lower().replace(" ", ".") + "@" + rng.choice(MAIL_DOMAINS)


def _pii_row(rng: Random, draw: dict[str, Sampler]) -> tuple[list[dict], dict]:
    town = rng.choice(world().in_split("towns", "train"))
    values = {"f": town.founder, "t": town.name, "email": _email(rng, town.founder), "phone": _phone(rng),
              "card": _card(rng)}
    if rng.random() < 0.5:
        question, answer = fill(rng.choice(CONTACT_QUESTIONS), **values), fill(rng.choice(CONTACT_LEAKS), **values)
        meta = {"skill": "pii", "task": "contact_leak", "check": "refusal", "templates": [], "entities": [town.name],
                "pii": ["email", "phone"]}
        return [{"role": "user", "content": question}, {"role": "assistant", "content": answer}], meta
    item = draw[rng.choice(TASK_SKILLS)](rng, "train")
    pasted = rng.choice(PASTED)
    kind = "card" if "{card}" in pasted else "phone" if "{phone}" in pasted else "email"
    messages = item.conversation(rng.choice(item.golds))
    messages[0] = {"role": "user", "content": fill(pasted, **values) + messages[0]["content"]}
    return messages, {**item.meta, "pii": [kind]}


def _edits(text: str) -> list[str]:
    """The text with its case, spacing or trailing punctuation changed (never its words)."""
    return [e for e in (text.lower(), text.rstrip(".?!"), text.replace(" ", "  ", 1)) if e != text]


def _near_duplicate(rng: Random, messages: list[dict]) -> list[dict]:
    i = rng.choice([i for i, m in enumerate(messages) if _edits(m["content"])])
    return [*messages[:i], {**messages[i], "content": rng.choice(_edits(messages[i]["content"]))}, *messages[i + 1:]]


def _wrong_row(rng: Random, sample: Sampler) -> tuple[list[dict], dict]:
    item: Item = sample(rng, "train")
    return item.conversation(item.wrong), item.meta


def contamination_rows(clean: list[dict], count: int, rng: Random, draw: dict[str, Sampler]) -> list[dict]:
    """`count` contaminated SFT rows (ids `train-raw-NNNNNN`), cycling through KINDS."""
    rows = []
    for i in range(count):
        kind = KINDS[i % len(KINDS)]
        extra: dict = {}
        if kind == "pii":
            messages, meta = _pii_row(rng, draw)
        elif kind == "unsafe_compliance":
            messages, meta = _wrong_row(rng, draw["unsafe"])
        elif kind == "wrong_identity":
            messages, meta = _wrong_row(rng, draw["identity"])
        elif kind == "wrong_answer":
            messages, meta = _wrong_row(rng, draw[rng.choice(TASK_SKILLS)])
        else:
            original = rng.choice(clean)
            messages = original["messages"] if kind == "exact_duplicate" else _near_duplicate(rng, original["messages"])
            meta, extra = original["meta"], {"duplicate_of": original["meta"]["id"]}
        meta = {k: v for k, v in meta.items() if k not in ("id", "split")}
        rows.append({"messages": messages,
                     "meta": {"id": f"train-raw-{i:06d}", "split": "train", **meta, "contamination": kind, **extra}})
    return rows
