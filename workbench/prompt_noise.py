"""Prompt noise: changed copies of training prompts, so a model learns on wordings its data does not have.

Used by the stages that sample their own answers to prompts (`distill`, `rlhf`): the copies are answered and scored
like any prompt, by the teacher's next-token distributions or by the reward model and the task world's verifiers,
whose verdict depends on the row's `meta`, not on its wording. `sft` pairs each changed question with the row's own
answer.

It is TinyBERT's augmentation for distillation (Jiao et al. 2020) with words drawn from the prompts themselves instead
of a masked language model: a few lines without dependencies, so no augmentation library (nlpaug and the like bring
models and corpora to download).
"""

from __future__ import annotations

from random import Random

HELP = ("Augmentation: every prompt also appears changed, each word of its last user turn dropped or preceded by a "
        "word of another prompt, each with probability prompt_noise / 2. 0: off.")


def with_noised_copies(rows: list[dict], noise: float, seed: int, key: str = "prompt") -> list[dict]:
    """`rows` (each with a conversation or a string under `key`: `prompt`, or `messages` for chats whose last user
    turn is the question) and, after them, one changed copy of each: in the copy's last user turn each word is
    dropped with probability noise / 2, or preceded by a word drawn from all rows' last user turns with probability
    noise / 2. Other keys (`meta`, answers) are kept; rows without `key` get no copy. Deterministic given `seed`; a
    copy that came out unchanged is left out."""
    if noise == 0:
        return rows
    texts = [_last_user_text(row.get(key)) for row in rows]
    vocabulary = sorted({w for text in texts if text is not None for w in text.split()})
    rng, copies = Random(seed), []
    for row, text in zip(rows, texts):
        if text is None:
            continue
        words, changed = text.split(), []
        for word in words:
            draw = rng.random()
            if draw < noise / 2:
                continue
            if draw < noise:
                changed.append(rng.choice(vocabulary))
            changed.append(word)
        if changed and changed != words:
            copies.append({**row, key: _with_last_user_text(row[key], " ".join(changed))})
    return rows + copies


def _last_user_index(prompt: list[dict]) -> int | None:
    return max((i for i, m in enumerate(prompt) if m["role"] == "user" and isinstance(m["content"], str)),
               default=None)


def _last_user_text(prompt: str | list[dict] | None) -> str | None:
    if prompt is None or isinstance(prompt, str):
        return prompt
    i = _last_user_index(prompt)
    return None if i is None else prompt[i]["content"]


def _with_last_user_text(prompt: str | list[dict], text: str) -> str | list[dict]:
    if isinstance(prompt, str):
        return text
    changed = [dict(m) for m in prompt]
    changed[_last_user_index(prompt)]["content"] = text
    return changed
