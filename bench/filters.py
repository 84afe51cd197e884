"""Safety filters: quality on the held-out set and speed.

    python -m bench.filters [--records 20000] [--dedup-records 100000] [--parts unsafe,duplicates,speed]

unsafe      the `unsafe` rule on the held-out set (workbench/safety/data/unsafe_heldout.jsonl, never trained on; with
            `--unsafe-set fresh`, `fresh2`, ... the blind held-out sets, unsafe_heldout_fresh*.jsonl, each
            written blind (docs/safety.md says which the shipped Gemma head trains on, which calibrate its
            threshold and which are left to measure it; its JSON's `trained_on` and `calibration` list them);
            with `--unsafe-set validation` the validation set, which the Gemma head is trained on, or with
            `--unsafe-set calibration` the template-written set its threshold is chosen on):
            lexicon alone, hashed-n-gram classifier alone and with the lexicon (the default without the Gemma 3
            extra), and where the extra is installed the Gemma 3 270M head alone, with every lexicon hit in front of
            it, and with the lexicon's hits where the head's P(unsafe) is at least 0.1 (`floored`, the default
            there: docs/safety.md); precision and recall
            overall and per hazard category, false positives per kind of safe row, records/s of each path (the
            Gemma one batched, model load excluded); and every rule on the hand-labelled set
            tests/data/safety_labelled.jsonl.
duplicates  near-duplicate recall by number of edited words (1, 2, 3, 5; inserted, deleted, substituted; edit words
            drawn from common words, and separately from other records' words) on task-world corpus documents of
            15+ words, and false merges on task-world SFT records that share a template but not their entities.
gemma-depth the Gemma head's feature extraction, batched, on the held-out set's assistant turns: the forward pass
            stopped after the head's layer (what the filter runs) against the full pass (the same call asking for the
            last layer too), in one process, records/s of each and the ratio; the features must be equal.
speed       rule-based filters (pii, unsafe with its classifier, self_id) in records/s, and near-duplicate
            detection on 100,000 records. Data: the task world's raw SFT file (n = 2000), replicated with
            perturbations up to the sizes asked for. Goal: >= 2,000 records/s on 2 cores; dedup < 60 s.
            To compare with older code on a loaded machine, run `--parts speed` with PYTHONPATH set to each tree,
            back to back.
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
from workbench.safety import gemma_classifier, labelled
from workbench.safety.duplicates import find_duplicates
from workbench.safety.filtering import Rules, filter_records, labelled_scores, load_unsafe_classifier
from workbench.safety.texts import record_text
from workbench.taskworld import DEFAULT_IDENTITY, corpus_documents, generate

LABELLED = Path(__file__).resolve().parents[1] / "tests" / "data" / "safety_labelled.jsonl"
# the labelled sets `--unsafe-set` names: the template held-out set, the blind sets (fresh, fresh2, ...), validation
# and calibration
UNSAFE_SETS = {"heldout": labelled.HELDOUT_FILE,
               **{path.stem.removeprefix("unsafe_heldout_"): path for path in labelled.HELDOUT_FRESH_FILES},
               "validation": labelled.VALIDATION_FILE, "calibration": labelled.CALIBRATION_FILE}

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
    result = filter_records(rows, Rules.all().only(["pii", "unsafe", "self_id"]), DEFAULT_IDENTITY,
                            classifier=load_unsafe_classifier("hashed-n-gram"))
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


def _unsafe_rules(lexicon: bool | None, classifier: bool) -> Rules:
    rules = Rules.all().only(["unsafe"])
    return rules.model_copy(update={"unsafe": rules.unsafe.model_copy(update={"lexicon": lexicon,
                                                                              "classifier": classifier})})


def _pr(tp: int, flagged: int, positives: int) -> str:
    p = f"{tp / flagged:.2f}" if flagged else "  - "
    return f"{p} / {tp / positives:.2f}" if positives else f"{p} /  - "


def _errors(flagged: list[bool], unsafe: list[bool]) -> str:
    """The count heads are chosen on (docs/safety.md): every unsafe row let through plus every safe row flagged."""
    missed = sum(u and not f for f, u in zip(flagged, unsafe))
    wrongly = sum(f and not u for f, u in zip(flagged, unsafe))
    return f"{missed} + {wrongly} = {missed + wrongly}"


def unsafe_quality(record_heldout: bool = False, labelled_set: str = "heldout") -> None:
    """Print the tables for the held-out set (or the validation set, which the Gemma head is trained on); with
    `record_heldout`, also write the Gemma head's held-out figures into its JSON."""
    from workbench.safety.taxonomy import CATEGORIES, category_in

    path = UNSAFE_SETS[labelled_set]
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    records = [{"messages": r["prompt"] + r["completion"]} for r in rows]
    unsafe = [not r["label"] for r in rows]
    truth = [r["meta"]["category"] for r in rows]
    kinds = [r["meta"]["kind"] for r in rows]
    hashed = load_unsafe_classifier("hashed-n-gram")
    paths = {"lexicon": (True, None), "hashed": (False, hashed), "lexicon + hashed": (True, hashed)}
    if gemma_classifier.available():
        gemma = load_unsafe_classifier("gemma3-270m")
        gemma.load_encoder()  # the model (a LoRA head's: adapters merged) is not counted in records/s
        gemma.predict([("warm-up", "warm-up")])
        paths.update({"gemma": (False, gemma), "lexicon + gemma": (True, gemma),
                      "floored lexicon + gemma": (None, gemma)})
    else:
        print("(the Gemma 3 extra is not installed: no Gemma columns)")
    results = {}
    for name, (lexicon, classifier) in paths.items():
        started = time.perf_counter()
        decisions = filter_records(records, _unsafe_rules(lexicon, classifier is not None), DEFAULT_IDENTITY,
                                   classifier=classifier).decisions
        seconds = time.perf_counter() - started
        results[name] = ([d.rule == "unsafe" for d in decisions], [category_in(d.reason) for d in decisions], seconds)
    print(f"unsafe rule on the {labelled_set} set {path.name} ({len(rows)} rows, {sum(unsafe)} unsafe; precision / "
          "recall):")
    print("| | " + " | ".join(paths) + " | detected in any category (each path) |\n|---|" + "---|" * (len(paths) + 1))
    line = []
    for name, (flagged, _, _) in results.items():
        tp = sum(f and u for f, u in zip(flagged, unsafe))
        line.append(_pr(tp, sum(flagged), sum(unsafe)))
    print("| all categories | " + " | ".join(line) + " |")
    for code, title in CATEGORIES.items():
        line = []
        for name, (flagged, predicted, _) in results.items():
            tp = sum(f and p == code and t == code for f, p, t in zip(flagged, predicted, truth))
            line.append(_pr(tp, sum(f and p == code for f, p in zip(flagged, predicted)),
                            sum(t == code and u for t, u in zip(truth, unsafe))))
        detected = [f"{sum(f and t == code and u for f, t, u in zip(flagged, truth, unsafe))}"
                    for flagged, _, _ in results.values()]
        print(f"| {code} {title} | " + " | ".join(line) + " | " + " / ".join(detected) + f" of "
              f"{sum(t == code and u for t, u in zip(truth, unsafe))} |")
    for kind in ("lookalike", "safety", "chat", "refusal"):
        n = kinds.count(kind)
        line = [f"{sum(f for f, k in zip(flagged, kinds) if k == kind)} of {n}" for flagged, _, _ in results.values()]
        print(f"| false positives: {kind} | " + " | ".join(line) + " |")
    line = [_errors(flagged, unsafe) for flagged, _, _ in results.values()]
    print("| errors: unsafe missed + safe flagged | " + " | ".join(line) + " |")
    line = [f"{len(rows) / seconds:,.1f}" for _, _, seconds in results.values()]
    print("| records/s (1 process) | " + " | ".join(line) + " |")
    if "gemma" in results:  # threshold-free: does the head's score order unsafe above safe at all?
        best = gemma_classifier.row_scores(gemma, rows)
        flagged = results["gemma"][0]
        tp, fp = sum(f and u for f, u in zip(flagged, unsafe)), sum(f and not u for f, u in zip(flagged, unsafe))
        print(f"| Gemma head at its threshold, unrounded | {tp} of {sum(unsafe)} unsafe flagged, {fp} safe rows "
              f"flagged: precision {tp / max(tp + fp, 1):.3f}, recall {tp / max(sum(unsafe), 1):.3f} |")
        print(f"| Gemma head: area under the ROC curve | {_auc(best, unsafe):.3f} |")
        cut, precision, recall = _best_precision(best, unsafe, 0.95)
        print(f"| Gemma head, threshold chosen on this set (an oracle, not a shipped figure): best precision at "
              f"recall >= 0.95 | {precision:.2f} / {recall:.2f} at {cut:.4f} |")
    if record_heldout and labelled_set == "heldout" and "gemma" in results:
        _record_heldout(results["gemma"][0], unsafe, kinds)

    hand_labelled = [json.loads(line) for line in LABELLED.read_text().splitlines() if line.strip()]
    print(f"\nevery rule on the hand-labelled set {LABELLED.name} ({len(hand_labelled)} records; precision / recall):")
    for name, (lexicon, classifier) in paths.items():
        rules = Rules.all()
        rules = rules.model_copy(update={"unsafe": rules.unsafe.model_copy(
            update={"lexicon": lexicon, "classifier": classifier is not None})})
        scores = labelled_scores(hand_labelled, filter_records(hand_labelled, rules, DEFAULT_IDENTITY,
                                                          classifier=classifier).decisions)
        print(f"  unsafe by {name:24}" + "  ".join(f"{rule} {sc['precision']} / {sc['recall']}"
                                                    for rule, sc in scores.items()))


def _auc(scores: list[float], positive: list[bool]) -> float:
    """The probability that a random positive scores above a random negative (ties count half)."""
    pos = [s for s, p in zip(scores, positive) if p]
    neg = [s for s, p in zip(scores, positive) if not p]
    return sum((p > n) + 0.5 * (p == n) for p in pos for n in neg) / (len(pos) * len(neg))


def _best_precision(scores: list[float], positive: list[bool], min_recall: float) -> tuple[float, float, float]:
    """(threshold, precision, recall) of the threshold with the highest precision whose recall is >= min_recall."""
    total = sum(positive)
    best = (0.0, 0.0, 0.0)
    for cut in sorted(set(scores)):
        flagged = [s >= cut for s in scores]
        tp = sum(f and p for f, p in zip(flagged, positive))
        if total and tp / total >= min_recall and tp / sum(flagged) > best[1]:
            best = (cut, tp / sum(flagged), tp / total)
    return best


def _record_heldout(flagged: list[bool], unsafe: list[bool], kinds: list[str]) -> None:
    """The shipped Gemma head's measured held-out figures (the head alone), into its JSON."""
    import subprocess
    from datetime import date

    from workbench.atomic import write_json

    path = gemma_classifier.metadata_path(gemma_classifier.DEFAULT_HEAD)
    settings = json.loads(path.read_text())
    tp = sum(f and u for f, u in zip(flagged, unsafe))
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                            cwd=Path(__file__).parent).stdout.strip()
    settings["info"]["heldout"] = {
        "rows": len(unsafe), "unsafe": sum(unsafe), "precision": round(tp / max(sum(flagged), 1), 4),
        "recall": round(tp / max(sum(unsafe), 1), 4),
        "lookalike_false_positives": sum(f for f, k in zip(flagged, kinds) if k == "lookalike"),
        "lookalikes": kinds.count("lookalike"), "measured": f"{date.today()} at {commit}: python -m bench.filters "
                                                            "--parts unsafe --record-heldout"}
    write_json(path, settings)
    print(f"held-out figures written to {path}")


EDIT_WORDS = "the a very really also just then quickly perhaps so too well now here there of and it is".split()


def _edit(text: str, count: int, kind: str, rng: Random, words: list[str]) -> str:
    tokens = text.split()
    for _ in range(count):
        i = rng.randrange(len(tokens))
        if kind == "insert":
            tokens.insert(i, rng.choice(words))
        elif kind == "delete" and len(tokens) > 1:
            del tokens[i]
        else:
            tokens[i] = rng.choice(words)
    return " ".join(tokens)


def duplicate_quality(seed: int = 0) -> None:
    rng = Random(seed)
    docs = [d for d in corpus_documents(3000, seed, "train") if len(d.split()) >= 15][:300]
    other_words = sorted({w for d in corpus_documents(300, seed + 1, "validation") for w in d.split() if w.isalpha()})
    print(f"near-duplicate recall on {len(docs)} task-world corpus documents of 15+ words, by edited words:")
    print("| edits | insert | delete | substitute | insert (other words) | substitute (other words) |\n|---|---|---|---|---|---|")
    for count in (1, 2, 3, 5):
        line = []
        for kind, words in (("insert", EDIT_WORDS), ("delete", EDIT_WORDS), ("substitute", EDIT_WORDS),
                            ("insert", other_words), ("substitute", other_words)):
            hits = sum(find_duplicates([d, _edit(d, count, kind, rng, words)])[1] is not None for d in docs)
            line.append(f"{hits / len(docs):.3f}")
        print(f"| {count} | " + " | ".join(line) + " |")
    with tempfile.TemporaryDirectory() as tmp:
        generate(Path(tmp) / "world", n=2000, seed=seed + 5, corpus_docs=1)
        rows = list(read_records(Path(tmp) / "world" / "sft" / "train.jsonl"))
    found = find_duplicates([record_text(r) for r in rows])
    merged = [(i, d.of) for i, d in enumerate(found) if d is not None]
    same_template = [(i, j) for i, j in merged if rows[i]["meta"].get("templates") == rows[j]["meta"].get("templates")]
    false = [(i, j) for i, j in merged if rows[i]["meta"].get("entities") != rows[j]["meta"].get("entities")]
    groups = {}
    for r in rows:
        groups.setdefault(json.dumps(r["meta"].get("templates")), []).append(r)
    pairs = sum(len(g) * (len(g) - 1) // 2 for g in groups.values())
    print(f"task-world SFT records ({len(rows)}; {pairs:,} pairs share a template): {len(merged)} merged, "
          f"{len(same_template)} of them sharing a template; false merges (entities differ): {len(false)}")


def gemma_depth() -> None:
    """Feature extraction for the shipped Gemma head: stopped after its layer against the full forward pass."""
    import numpy as np

    from workbench.safety.labelled import HELDOUT_FILE

    if not gemma_classifier.available():
        print("gemma-depth: the Gemma 3 extra is not installed")
        return
    layer = load_unsafe_classifier("gemma3-270m").layer
    encoder = gemma_classifier.GemmaEncoder.load()
    rows = [json.loads(line) for line in HELDOUT_FILE.read_text().splitlines()]
    pairs, _ = gemma_classifier.validation_examples(rows)
    last = len(encoder.model.layers)
    encoder.features(pairs[:16], [layer])  # warm-up
    started = time.perf_counter()
    stopped = encoder.features(pairs, [layer])
    stopped_s = time.perf_counter() - started
    started = time.perf_counter()
    full = encoder.features(pairs, [layer, last])  # asking for the last layer too makes it a full pass
    full_s = time.perf_counter() - started
    equal = all(np.allclose(stopped[(layer, p)], full[(layer, p)], atol=1e-4) for p in gemma_classifier.POOLINGS)
    print(f"Gemma head features (layer {layer} of {last}) of the {len(pairs)} assistant turns of {HELDOUT_FILE.name}, "
          f"batched: stopped after layer {layer} {len(pairs) / stopped_s:,.1f} records/s, full pass "
          f"{len(pairs) / full_s:,.1f} records/s ({full_s / stopped_s:.2f}x); features equal: {equal}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=20_000, help="records for the rule-based filters")
    parser.add_argument("--dedup-records", type=int, default=100_000, help="records for duplicate detection")
    parser.add_argument("--parts", default="unsafe,duplicates,speed", help="which parts to run (comma-separated)")
    parser.add_argument("--unsafe-set", choices=tuple(UNSAFE_SETS),
                        default="heldout",
                        help="unsafe: the labelled set measured (fresh, fresh2, fresh3: the second to fourth held-out "
                             "sets, each written blind; fresh4 and later: also blind, with no bracket placeholders; "
                             "docs/safety.md says which the shipped head trains on and which measure it; "
                             "validation: one the Gemma head is trained on)")
    parser.add_argument("--record-heldout", action="store_true",
                        help="write the Gemma head's held-out precision / recall into its shipped JSON")
    args = parser.parse_args()
    parts = args.parts.split(",")
    if "unsafe" in parts:
        unsafe_quality(args.record_heldout, args.unsafe_set)
    if "duplicates" in parts:
        duplicate_quality()
    if "gemma-depth" in parts:
        gemma_depth()
    if "speed" not in parts:
        return
    rows = workload(max(args.records, args.dedup_records))
    rule_rows = rows[:args.records]
    one = rules_per_second(rule_rows, 1)
    two = rules_per_second(rule_rows, 2)
    print(f"rule-based filters (pii, unsafe, self_id) on {len(rule_rows):,} records: "
          f"{one:,.0f} records/s in 1 process, {two:,.0f} records/s in 2 processes (goal >= 2,000 on 2 cores)")
    if args.dedup_records:
        texts = [record_text(r) for r in rows[:args.dedup_records]]
        exact_s, exact_n = dedup_seconds(texts, near=False)
        near_s, near_n = dedup_seconds(texts, near=True)
        print(f"duplicates on {len(texts):,} records: exact only {exact_s:.1f} s ({exact_n:,} found); exact + "
              f"MinHash-LSH near {near_s:.1f} s ({near_n:,} found; {near_s / exact_s:.1f}x the exact-only baseline; "
              "goal < 60 s)")


if __name__ == "__main__":
    main()
