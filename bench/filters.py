"""Safety-filter throughput: the rule-based filters in records/s, and near-duplicate detection on 100,000 records.

    python -m bench.filters [--records 20000] [--dedup-records 100000]

Data: the task world's raw SFT file (n = 2000: 2,500 rows with marked PII, unsafe compliance, wrong identity and
duplicates), replicated with perturbations (numbers shifted, a word appended) up to the sizes asked for, so that
every copy differs from the others, but some copies stay near-duplicates of each other.
Goals (issue 4): rule-based filters (pii, unsafe, self_id) >= 2,000 records/s on 2 cores; near-duplicate
detection on 100,000 records < 60 s. The rule-based figure is given for one process and for two processes each
filtering half of the records (the rules are per record); near-duplicates are timed against exact-duplicate
detection alone (the baseline) in the same process.
"""

from __future__ import annotations

import argparse
import json
import re
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from random import Random

from workbench.data import read_records
from workbench.safety.duplicates import find_duplicates
from workbench.safety.filtering import Rules, filter_records, labelled_scores
from workbench.safety.texts import record_text
from workbench.taskworld import DEFAULT_IDENTITY, generate

LABELLED = Path(__file__).resolve().parents[1] / "tests" / "data" / "safety_labelled.jsonl"

WORDS = ["please", "thanks", "quickly", "now", "today", "again", "exactly", "briefly", "kindly", "also"]


def _perturb(text: str, rng: Random) -> str:
    text = re.sub(r"\d+", lambda m: str(int(m[0]) + rng.randrange(3)), text)
    return f"{text} {rng.choice(WORDS)}" if rng.random() < 0.5 else text


def workload(count: int, seed: int = 0) -> list[dict]:
    """`count` records: the raw SFT rows of a task world, then perturbed copies of them."""
    with tempfile.TemporaryDirectory() as tmp:
        generate(Path(tmp) / "world", n=2000, seed=seed, corpus_docs=1)
        base = list(read_records(Path(tmp) / "world" / "sft" / "train_raw.jsonl"))
    rng = Random(seed)
    rows = list(base)
    while len(rows) < count:
        row = rng.choice(base)
        rows.append({**row, "messages": [{**m, "content": _perturb(m["content"], rng)} for m in row["messages"]]})
    return rows[:count]


def _rule_based(rows: list[dict]) -> int:
    result = filter_records(rows, Rules.all().only(["pii", "unsafe", "self_id"]), DEFAULT_IDENTITY)
    return sum(d.action != "kept" for d in result.decisions)


def rules_per_second(rows: list[dict], processes: int) -> float:
    started = time.perf_counter()
    if processes == 1:
        _rule_based(rows)
    else:
        chunks = [rows[i::processes] for i in range(processes)]
        with ProcessPoolExecutor(processes) as pool:
            list(pool.map(_rule_based, chunks))
    return len(rows) / (time.perf_counter() - started)


def dedup_seconds(texts: list[str], near: bool) -> tuple[float, int]:
    started = time.perf_counter()
    found = find_duplicates(texts, near=near)
    return time.perf_counter() - started, sum(d is not None for d in found)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=20_000, help="records for the rule-based filters")
    parser.add_argument("--dedup-records", type=int, default=100_000, help="records for duplicate detection")
    args = parser.parse_args()

    labelled = [json.loads(line) for line in LABELLED.read_text().splitlines() if line.strip()]
    scores = labelled_scores(labelled, filter_records(labelled, Rules.all(), DEFAULT_IDENTITY).decisions)
    print(f"labelled set {LABELLED.name} ({len(labelled)} records):")
    for rule, sc in scores.items():
        print(f"  {rule:9} precision {sc['precision']:.3f}  recall {sc['recall']:.3f}  ({sc['labelled']} labelled, {sc['flagged']} flagged)")

    rows = workload(max(args.records, args.dedup_records))
    rule_rows = rows[:args.records]
    one = rules_per_second(rule_rows, 1)
    two = rules_per_second(rule_rows, 2)
    print(f"rule-based filters (pii, unsafe, self_id) on {len(rule_rows):,} records: "
          f"{one:,.0f} records/s in 1 process, {two:,.0f} records/s in 2 processes (goal >= 2,000 on 2 cores)")

    texts = [record_text(r) for r in rows[:args.dedup_records]]
    exact_s, exact_n = dedup_seconds(texts, near=False)
    near_s, near_n = dedup_seconds(texts, near=True)
    print(f"duplicates on {len(texts):,} records: exact only {exact_s:.1f} s ({exact_n:,} found); exact + MinHash-LSH "
          f"near {near_s:.1f} s ({near_n:,} found; {near_s / exact_s:.1f}x the exact-only baseline; goal < 60 s)")


if __name__ == "__main__":
    main()
