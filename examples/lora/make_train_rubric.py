"""Writes rubric-train.jsonl: a rubric for the training prompts of train.jsonl, so the scripted rater can rate pairs
on them (the held-out rubric.jsonl stays for evaluation). A rough rubric, written by this script, not by hand:

    python examples/lora/make_train_rubric.py

Each chat, cut before its last answer, gets
  * as `must`, every price, clock time, number with a unit, phone number and email address its reference answer
    states (chats whose answer states none are left out), then the answer's content words: words of four letters or
    more that are not in the prompt and not common function words (singular or plural form), at most KEYWORDS;
  * as `must_not`, an invented price: a euro amount that is none of the shop's prices (every € amount in sheet.md
    and in the training answers).
A 270M student rarely states an exact price, so two of its answers almost always tie on the numbers alone; the
content words and the invented-price penalty tell more of them apart (docs/gemma3.md, "The chain").
"""

import json
import re
from pathlib import Path

HERE = Path(__file__).parent
KEYWORDS = 6
FACT = re.compile(r"€\d(?:[\d,.]*\d)?|\b\d{1,2}:\d\d\b|\b\d+(?:[.,]\d+)?\s?(?:%|km|days?|months?|years?|minutes|bar|cm)\b"
                  r"|\b0123 456 789\b|\b[\w.]+@[\w.]+\.example\b")
PRICE = re.compile(r"€\s?(\d(?:[\d,.]*\d)?)")
WORD = re.compile(r"[A-Za-z][A-Za-z'-]*[A-Za-z]")
FUNCTION_WORDS = set("""the and for with your you our are can not but from that this have has will into per each also
just about any more most then than when what which while there their they them it's we'll we're we've don't isn't
doesn't can't won't you're you'll usually only even both after before other some such very well here over under
until would could should been being does done make makes during plus every first course taking""".split())


def invented_price(texts: list[str]) -> dict:
    """{"regex": …} matching a euro amount that is none of the prices in `texts` (1,690 and 1690 alike)."""
    known = {m.group(1).rstrip(".,") for text in texts for m in PRICE.finditer(text)}
    known |= {k.replace(",", "") for k in known}
    alternatives = "|".join(re.escape(k) for k in sorted(known, key=len, reverse=True))
    return {"regex": rf"€\s?(?!(?:{alternatives})(?:[.,]00)?(?!\d|[.,]\d))\d"}


def forms(word: str) -> list[str]:
    """A word and its plural (or singular): "brand" -> ["brand", "brands"], "brakes" -> ["brakes", "brake"]."""
    word = word.lower()
    if word.endswith("s") and not word.endswith(("ss", "us")):
        return [word, word[:-1]]
    return [word] if word.endswith(("s", "x", "y", "ch", "sh")) else [word, word + "s"]


def content_words(prompt: list[dict], answer: str) -> list[list[str]]:
    """Up to KEYWORDS words of `answer` worth stating, each with its other number (singular or plural)."""
    asked = {form for m in prompt for w in WORD.findall(m["content"]) for form in forms(w)}
    out: dict[str, list[str]] = {}
    for word in WORD.findall(answer):
        if len(word) >= 4 and word.lower() not in FUNCTION_WORDS and word.lower() not in asked:
            out.setdefault(word.lower(), forms(word))
    return list(out.values())[:KEYWORDS]


def main() -> None:
    chats = [json.loads(line)["messages"] for line in (HERE / "train.jsonl").read_text().splitlines()]
    no_invented_price = invented_price([(HERE / "sheet.md").read_text()] + [c[-1]["content"] for c in chats])
    rows = []
    for n, messages in enumerate(chats):
        answer = messages[-1]["content"]
        facts = list(dict.fromkeys(m.group(0) for m in FACT.finditer(answer)))
        if facts:
            rows.append({"id": f"train-{n}", "group": "train", "prompt": messages[:-1],
                         "must": facts + content_words(messages[:-1], answer), "must_not": [no_invented_price]})
    (HERE / "rubric-train.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    print(f"{len(rows)} entries")


if __name__ == "__main__":
    main()
