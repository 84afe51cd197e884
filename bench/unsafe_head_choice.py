"""How the Gemma unsafe head's layer, pooling and L2 were chosen: on the validation set, never the held-out set.

    python -m bench.unsafe_head_choice [--layers 3,6,8,9,12,15,18] [--l2 1e-5,1e-3,1e-2,1]

For each layer, pooling (mean over the response, the last token, both concatenated) and L2, a head is fitted on the
shipped training set (`gemma_classifier.training_examples`, as `workbench safety train-classifier` does) and scored
on the validation set (`unsafe_validation.jsonl`) as the filter scores it (every assistant turn; a record's score is
its highest): average precision, and precision and false positives per kind at the threshold `THRESHOLD_RULE`
chooses. The choice: among the poolings a shipped head supports (mean, last) and where the rule reaches its recall
(the threshold is kept >= 0.01), the fewest false positives at that threshold, ties broken by average precision
(mean+last is printed for comparison only).
Gemma features of all layers are extracted once per file and kept in /tmp/workbench-head-choice (keyed by the
file's sha256): ~1,800 forward passes, minutes on a CPU. The held-out set is never read here.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from pathlib import Path

import numpy as np

from workbench.safety import gemma_classifier as gc
from workbench.safety.labelled import TRAIN_FILE, VALIDATION_FILE

CACHE = Path("/tmp/workbench-head-choice")
LAYERS = list(range(19))


def all_layer_features(path: Path, pairs: list[tuple[str, str]]) -> dict[str, np.ndarray]:
    """Every layer's mean and last-token features of `pairs` (from the file at `path`), cached by its sha256."""
    cached = CACHE / f"{path.stem}-{hashlib.sha256(path.read_bytes()).hexdigest()[:16]}.npz"
    if cached.is_file():
        with np.load(cached) as saved:
            return dict(saved)
    started = time.perf_counter()
    found = gc.GemmaEncoder.load().features(pairs, LAYERS)
    print(f"{path.name}: features of {len(pairs)} responses in {time.perf_counter() - started:.0f} s", flush=True)
    out = {f"{layer}-{pooling}": v for (layer, pooling), v in found.items()}
    CACHE.mkdir(parents=True, exist_ok=True)
    np.savez(cached, **out)
    return out


def average_precision(scores: np.ndarray, positive: np.ndarray) -> float:
    hits = positive[np.argsort(-scores)]
    return float((np.cumsum(hits) / np.arange(1, len(hits) + 1) * hits).sum() / hits.sum())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layers", default="3,6,8,9,12,15,18")
    parser.add_argument("--l2", default="1e-5,1e-3,1e-2,1")
    args = parser.parse_args()
    train = [json.loads(line) for line in TRAIN_FILE.read_text().splitlines()]
    checks = [json.loads(line) for line in VALIDATION_FILE.read_text().splitlines()]
    pairs, targets = gc.training_examples(train)
    check_pairs, owners = gc.validation_examples(checks)
    train_features = all_layer_features(TRAIN_FILE, pairs)
    check_features = all_layer_features(VALIDATION_FILE, check_pairs)
    unsafe = [not r["label"] for r in checks]
    kinds = [r["meta"]["kind"] for r in checks]

    def pooled(features: dict[str, np.ndarray], layer: int, pooling: str) -> np.ndarray:
        if pooling == "mean+last":
            return np.concatenate([features[f"{layer}-mean"], features[f"{layer}-last"]], axis=1)
        return features[f"{layer}-{pooling}"]

    print("| layer | pooling | L2 | validation AP | threshold | precision | recall | false positives (look-alike / "
          "safety / chat / refusal) |\n|---|---|---|---|---|---|---|---|")
    results = []
    for layer in [int(a) for a in args.layers.split(",")]:
        for pooling in ("mean", "last", "mean+last"):
            for l2 in [float(a) for a in args.l2.split(",")]:
                weight, bias, mean, scale = gc.fit_head(pooled(train_features, layer, pooling), targets, l2)
                head = gc.GemmaClassifier(weight, bias, mean, scale, layer, "mean")
                scores = np.zeros(len(checks))
                turn_scores = [s for s, _ in head.predict_features(pooled(check_features, layer, pooling))]
                np.maximum.at(scores, np.array(owners), np.array(turn_scores))
                threshold = gc.recall_threshold(list(scores), unsafe)
                counts = gc.threshold_counts(list(scores), unsafe, kinds, threshold)
                by_kind = " / ".join(counts["false_positives_by_kind"][k].split()[0]
                                     for k in ("lookalike", "safety", "chat", "refusal"))
                ap = average_precision(scores, np.array(unsafe))
                if pooling in gc.POOLINGS and counts["recall"] >= gc.TARGET_RECALL:  # not where 0.01 clamps it
                    results.append((counts["fp"], -ap, layer, pooling, l2))
                print(f"| {layer} | {pooling} | {l2:g} | {ap:.3f} | {threshold:.4f} | {counts['precision']:.3f} | "
                      f"{counts['recall']:.3f} | {counts['fp']} ({by_kind}) |", flush=True)
    fp, ap, layer, pooling, l2 = min(results)
    print(f"chosen: layer {layer}, {pooling} pooling, L2 {l2:g} ({fp} false positives, AP {-ap:.3f})")


if __name__ == "__main__":
    main()
