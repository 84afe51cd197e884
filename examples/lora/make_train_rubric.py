"""Writes rubric-train.jsonl: a rubric for the training prompts of train.jsonl, so the scripted rater can rate pairs
on them (the held-out rubric.jsonl stays for evaluation). Each chat, cut before its last answer, gets as `must` every
price, clock time, number with a unit, phone number and email address its reference answer states; chats whose
answer states none are left out. A rough rubric, written by this script, not by hand:

    python examples/lora/make_train_rubric.py
"""

import json
import re
from pathlib import Path

HERE = Path(__file__).parent
FACT = re.compile(r"€\d(?:[\d,.]*\d)?|\b\d{1,2}:\d\d\b|\b\d+(?:[.,]\d+)?\s?(?:%|km|days?|months?|years?|minutes|bar|cm)\b"
                  r"|\b0123 456 789\b|\b[\w.]+@[\w.]+\.example\b")


def main() -> None:
    rows = []
    for n, line in enumerate((HERE / "train.jsonl").read_text().splitlines()):
        messages = json.loads(line)["messages"]
        facts = list(dict.fromkeys(m.group(0) for m in FACT.finditer(messages[-1]["content"])))
        if facts:
            rows.append({"id": f"train-{n}", "group": "train", "prompt": messages[:-1], "must": facts})
    (HERE / "rubric-train.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    print(f"{len(rows)} entries")


if __name__ == "__main__":
    main()
