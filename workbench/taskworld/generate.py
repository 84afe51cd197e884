"""`generate`: writes the task world's files (layout in the package docstring) into a folder, atomically.

Sizes for a scale `n` (defaults in brackets, n = 2000):
  sft/train.jsonl            n gold conversations, no two equal up to case, spacing and punctuation [2,000]
  sft/train_raw.jsonl        the same plus n // 4 contaminated rows (`workbench.taskworld.contamination`) [2,500]
  prompts/train.jsonl        5 n prompts without answers, for a teacher to answer or a policy to sample [10,000]
  preference/train.jsonl     n pairs: a gold answer (chosen) against the item's near miss (rejected) [2,000]
  {sft,prompts,preference}/{validation,test}.jsonl   max(20, n // 4) items each, the same items in all three [500]
  {sft,prompts,preference}/rephrased.jsonl          the test items again, row for row (`meta.rephrases` names the
                             test row), each prompt in wordings no other split or the corpus uses
                             (`templates.reworded`): the held-out-phrasing split, whatever `phrasings` is [500]
  corpus/train.txt           `corpus_docs` documents (default 10 n) [20,000]; validation and test: 1/20 of that
  corpus/heldout.txt         1/20 of `corpus_docs` other documents drawn like train.txt (its entities and
                             phrasings): in-distribution text for pretraining perplexity [1,000]
  summary.json               the counts per file and skill (also returned)
"""

from __future__ import annotations

import itertools
from collections import Counter
from pathlib import Path
from random import Random

from workbench.atomic import atomic_dir, atomic_file, write_json, write_jsonl
from workbench.errors import WorkbenchError
from workbench.paths import claim_output_dir
from workbench.taskworld.contamination import contamination_rows, normalized
from workbench.taskworld.corpus import corpus_documents
from workbench.taskworld.mixture import WEIGHTS, Sampler, allocate, samplers, stream
from workbench.taskworld.safety import DEFAULT_IDENTITY
from workbench.taskworld.skills import Item
from workbench.taskworld.templates import REPHRASED, reworded, shared_phrasings
from workbench.taskworld.world import towns_limit, world

MIN_N = 20
# Bumped whenever the same settings would write a different world; part of the taskworld stage's fingerprint, so a
# run directory made by an older generator regenerates its world (and reruns what depends on it).
# 2: held-out unsafe and benign requests are compositions (`safety.compositions`), not wholly new requests.
# 3: the rephrased (held-out-phrasing) split.
# 4: unsafe and benign prompts take frames from either family; `phrasings: shared` pools train, validation, test.
GENERATOR_VERSION = 4
PHRASINGS = ("held_out", "shared")
SUMMARY = "summary.json"


def _meta(row_id: str, split: str, item: Item) -> dict:
    return {"id": row_id, "split": split, **item.meta}


def sft_row(row_id: str, split: str, item: Item, answer: str) -> dict:
    return {"messages": item.conversation(answer), "meta": _meta(row_id, split, item)}


def prompt_row(row_id: str, split: str, item: Item) -> dict:
    return {"prompt": item.conversation(), "meta": _meta(row_id, split, item)}


def preference_row(row_id: str, split: str, item: Item, chosen: str) -> dict:
    return {"prompt": item.conversation(), "chosen": [{"role": "assistant", "content": chosen}],
            "rejected": [{"role": "assistant", "content": item.wrong}], "meta": _meta(row_id, split, item)}


def _items(rng: Random, split: str, count: int, draw: dict[str, Sampler], weights: dict[str, float]) -> list[Item]:
    return [draw[category](rng, split) for category in allocate(count, rng, weights)]


def _gold_sft_rows(rng: Random, count: int, draw: dict[str, Sampler], weights: dict[str, float]) -> list[dict]:
    """The small gold SFT set: distinct conversations (a category whose phrasings run out yields to facts, or to
    the heaviest category of a world without facts)."""
    fallback = "facts" if "facts" in weights else max(weights, key=weights.get)
    seen: set[tuple[str, ...]] = set()
    rows = []
    for i, category in enumerate(allocate(count, rng, weights)):
        for attempt in itertools.count():
            item = draw[category if attempt < 40 else fallback](rng, "train")
            answer = rng.choice(item.golds)
            key = normalized([*item.turns, answer])
            if key not in seen:
                break
        seen.add(key)
        rows.append(sft_row(f"train-sft-{i:06d}", "train", item, answer))
    return rows


OUTPUT_ENTRIES = ("corpus", "sft", "prompts", "preference", SUMMARY)  # what the output folder holds at the top


def _check_out_dir(out_dir: Path) -> None:
    """The output folder is replaced as a whole: refuse one holding anything a task world does not."""
    claim_output_dir(out_dir, "taskworld generate", OUTPUT_ENTRIES)


ORDERING_MIN_TOWNS = 40  # alphabetical items name up to 4 towns of one split; a split gets 1 town in 10


def _skills(rows: list[dict]) -> dict[str, int]:
    return dict(sorted(Counter(r["meta"]["skill"] for r in rows).items()))


def check_skills(skills: dict[str, float]) -> dict[str, float]:
    """`skills` (category -> weight) if every category exists and has a positive weight, else a WorkbenchError."""
    unknown = sorted(set(skills) - set(WEIGHTS))
    if unknown:
        raise WorkbenchError(f"unknown task-world skill {unknown[0]!r}; choose from {', '.join(WEIGHTS)}")
    if not skills or any(not w > 0 for w in skills.values()):
        raise WorkbenchError("skills: give at least one category, each with a positive weight")
    return skills


def generate(out_dir: Path, n: int = 2000, seed: int = 0, identity: str = DEFAULT_IDENTITY,
             corpus_docs: int | None = None, towns: int | None = None,
             skills: dict[str, float] | None = None, phrasings: str = "held_out") -> dict:
    """Write the task world for scale `n` into `out_dir` (replaced as a whole) and return its summary.

    `towns` keeps only the first towns of the table (`world.towns_limit`); `skills` replaces the category weights
    (`mixture.WEIGHTS`) of every file and of the corpus's worked examples; `phrasings="shared"` draws the prompt
    wordings of every split from the pooled train, validation and test lists (`templates.shared_phrasings`)."""
    weights = WEIGHTS if skills is None else check_skills(skills)
    if phrasings not in PHRASINGS:
        raise WorkbenchError(f"phrasings={phrasings!r}: choose one of {', '.join(PHRASINGS)}")
    with towns_limit(towns), shared_phrasings(phrasings == "shared"):
        return _generate(Path(out_dir), n, seed, identity, corpus_docs, towns, weights, phrasings)


def _generate(out_dir: Path, n: int, seed: int, identity: str, corpus_docs: int | None, towns: int | None,
              weights: dict[str, float], phrasings: str) -> dict:
    if n < MIN_N:
        raise WorkbenchError(f"n={n}: the task world needs n >= {MIN_N} (try the default, 2000)")
    if towns is not None and towns < ORDERING_MIN_TOWNS and "ordering" in weights:
        raise WorkbenchError(f"towns={towns}: the ordering skill lists up to 4 towns of one split; give towns >= "
                             f"{ORDERING_MIN_TOWNS} or leave ordering out of skills")
    corpus_docs = 10 * n if corpus_docs is None else corpus_docs
    if corpus_docs < 1:
        raise WorkbenchError(f"corpus_docs={corpus_docs}: needs at least 1 document")
    if not identity.strip():
        raise WorkbenchError("identity is empty; set the recipe's `identity` to the name the model should give")
    _check_out_dir(out_dir)
    draw = samplers(identity)

    rows: dict[str, list[dict]] = {}
    gold = _gold_sft_rows(stream(seed, "train", "sft"), n, draw, weights)
    rows["sft/train.jsonl"] = gold
    rng = stream(seed, "train", "raw")
    added = contamination_rows(gold, n // 4, rng, draw)
    raw = [{**r, "meta": {**r["meta"], "contamination": None}} for r in gold] + added
    rng.shuffle(raw)
    rows["sft/train_raw.jsonl"] = raw
    rng = stream(seed, "train", "prompts")
    rows["prompts/train.jsonl"] = [prompt_row(f"train-prompt-{i:06d}", "train", it)
                                   for i, it in enumerate(_items(rng, "train", 5 * n, draw, weights))]
    rng = stream(seed, "train", "preference")
    rows["preference/train.jsonl"] = [preference_row(f"train-pref-{i:06d}", "train", it, rng.choice(it.golds))
                                      for i, it in enumerate(_items(rng, "train", n, draw, weights))]
    for split in ("validation", "test", REPHRASED):
        if split == REPHRASED:  # the test items drawn again from the test stream, worded from the rephrased lists
            rng = stream(seed, "test", "eval")
            with reworded(stream(seed, REPHRASED, "wording")):
                items = _items(rng, "test", max(MIN_N, n // 4), draw, weights)
            for i, it in enumerate(items):
                it.meta["rephrases"] = f"test-{i:06d}"
        else:
            rng = stream(seed, split, "eval")
            items = _items(rng, split, max(MIN_N, n // 4), draw, weights)
        ids = [f"{split}-{i:06d}" for i in range(len(items))]
        rows[f"sft/{split}.jsonl"] = [sft_row(i, split, it, rng.choice(it.golds)) for i, it in zip(ids, items)]
        rows[f"prompts/{split}.jsonl"] = [prompt_row(i, split, it) for i, it in zip(ids, items)]
        rows[f"preference/{split}.jsonl"] = [preference_row(i, split, it, rng.choice(it.golds))
                                             for i, it in zip(ids, items)]

    docs = {"train": corpus_docs, "validation": max(1, corpus_docs // 20), "test": max(1, corpus_docs // 20),
            "heldout": max(1, corpus_docs // 20)}
    summary = {
        "n": n, "seed": seed, "identity": identity, "towns": len(world().towns),
        **({} if weights is WEIGHTS else {"skills": weights}),
        **({} if phrasings == "held_out" else {"phrasings": phrasings}),
        "files": {
            **{f"corpus/{split}.txt": {"documents": k} for split, k in docs.items()},
            **{path: {"rows": len(r), "skills": _skills(r)} for path, r in sorted(rows.items())},
        },
        "contamination": dict(sorted(Counter(r["meta"]["contamination"] for r in added).items())),
    }
    with atomic_dir(out_dir) as tmp:
        for path, r in rows.items():
            write_jsonl(tmp / path, r)
        for split, k in docs.items():
            with atomic_file(tmp / f"corpus/{split}.txt") as f:
                split_docs = (corpus_documents(k, seed, "train", identity, part="heldout", weights=weights)
                              if split == "heldout" else corpus_documents(k, seed, split, identity, weights=weights))
                for doc in split_docs:
                    f.write(doc + "\n\n")  # documents are separated by blank lines (see workbench.data.corpus)
        write_json(tmp / SUMMARY, summary)
    return summary
