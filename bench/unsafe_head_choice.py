"""How the Gemma unsafe head's features, L2 and row weights are chosen: leave one set out, never the held-out set.

    python -m bench.unsafe_head_choice [--layers 3,6,8,9,12,15] [--l2 0.1,1,10]

Two sets written apart: T, the shipped training set, and V, the validation set. For each candidate (layer and
pooling: the last token, mean+last, or the last token of two layers concatenated; L2; rows balanced safe / unsafe,
or also over the kinds of safe row), fold 1 fits a head on T (`gemma_classifier.training_examples`, as `workbench
safety train-classifier` does) and scores V's records, fold 2 fits one on V alone and scores T's records; a record's
score is its highest assistant turn, as in the filter. The out-of-set scores are pooled, each set weighing the same
(`gemma_classifier.set_weights`), and `gemma_classifier.THRESHOLD_RULE` gives the threshold. The choice: the lowest
weighted false-positive rate at that threshold, ties broken by weighted average precision (docs/safety.md, where
this procedure was written down before it was run).
Gemma features of all layers are extracted once per (response, request) pair and kept in the workbench cache
(`gemma_classifier.cached_features`): ~2,000 forward passes the first time, minutes on a CPU; after that only new
rows run the model. The held-out set is never read here.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from workbench.safety import gemma_classifier as gc
from workbench.safety.labelled import TRAIN_FILE, VALIDATION_FILE

LAYERS = list(range(19))


def all_layer_features(path: Path, pairs: list[tuple[str, str]]) -> dict[str, np.ndarray]:
    """Every layer's mean and last-token features of `pairs` (from the file at `path`), cached per pair."""
    started = time.perf_counter()
    found = gc.cached_features(gc.GemmaEncoder.load, pairs, LAYERS)
    print(f"{path.name}: features of {len(pairs)} responses in {time.perf_counter() - started:.0f} s", flush=True)
    return {f"{layer}-{pooling}": v for (layer, pooling), v in found.items()}


def average_precision(scores: np.ndarray, positive: np.ndarray, weights: np.ndarray) -> float:
    order = np.argsort(-scores)
    hits, w = positive[order], weights[order]
    precision = np.cumsum(w * hits) / np.cumsum(w)
    return float((precision * w * hits).sum() / (w * hits).sum())


class FeatureSet:
    """One labelled file: its rows, the examples a head trains on, the turns the filter scores, and the features
    of each (looked up in the file's all-layer cache by (response, request) pair)."""

    def __init__(self, path: Path):
        self.rows = [json.loads(line) for line in path.read_text().splitlines()]
        self.train_pairs, self.targets = gc.training_examples(self.rows)
        self.kinds = gc.example_kinds(self.rows)
        self.score_pairs, self.owners = gc.validation_examples(self.rows)
        cached_pairs = list(dict.fromkeys(self.train_pairs + self.score_pairs))
        self.features = all_layer_features(path, cached_pairs)
        where = {pair: i for i, pair in enumerate(cached_pairs)}
        self.train_index = np.array([where[p] for p in self.train_pairs])
        self.score_index = np.array([where[p] for p in self.score_pairs])
        self.unsafe = [not r["label"] for r in self.rows]
        self.row_kinds = [r["meta"]["kind"] for r in self.rows]

    def pooled(self, inputs: tuple[tuple[int, str], ...]) -> np.ndarray:
        return np.concatenate([self.features[f"{layer}-{pooling}"] for layer, pooling in inputs], axis=1)


def out_of_set_scores(fit_on: FeatureSet, score: FeatureSet, inputs, l2: float, by_kind: bool) -> list[float]:
    x = fit_on.pooled(inputs)
    weight, bias, mean, scale = gc.fit_head(x[fit_on.train_index], fit_on.targets, l2,
                                            kinds=fit_on.kinds if by_kind else None)
    head = gc.GemmaClassifier(weight, bias, mean, scale, 0, "last")
    turn_scores = [s for s, _ in head.predict_features(score.pooled(inputs)[score.score_index])]
    scores = np.zeros(len(score.rows))
    np.maximum.at(scores, np.array(score.owners), np.array(turn_scores))
    return list(scores)


def candidates(layers: list[int]) -> list[tuple[tuple[int, str], ...]]:
    single = [((layer, "last"),) for layer in layers] + [((layer, "mean"), (layer, "last")) for layer in layers]
    pairs = [((a, "last"), (b, "last")) for a, b in ((6, 9), (8, 12)) if a in layers and b in layers]
    return single + pairs


def describe(inputs) -> str:
    if len(inputs) == 2 and inputs[0][0] == inputs[1][0]:
        return f"{inputs[0][0]} mean+last"
    return "+".join(str(layer) for layer, _ in inputs) + " last"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layers", default="3,6,8,9,12,15")
    parser.add_argument("--l2", default="0.1,1,10")
    args = parser.parse_args()
    t, v = FeatureSet(TRAIN_FILE), FeatureSet(VALIDATION_FILE)
    unsafe = np.array(v.unsafe + t.unsafe)
    kinds = v.row_kinds + t.row_kinds
    weights = np.array(gc.set_weights(v.unsafe) + gc.set_weights(t.unsafe))
    print("| layers, pooling | L2 | rows weighted | pooled AP | threshold | weighted FP rate | FP in V (look-alike / "
          "safety / chat / refusal) | FP in T (same) | recall V / T |\n|---|---|---|---|---|---|---|---|---|")
    results = []
    for inputs in candidates([int(a) for a in args.layers.split(",")]):
        for l2 in [float(a) for a in args.l2.split(",")]:
            for by_kind in (False, True):
                scores = np.array(out_of_set_scores(t, v, inputs, l2, by_kind) + out_of_set_scores(v, t, inputs, l2, by_kind))
                threshold = gc.recall_threshold(list(scores), list(unsafe), weights=list(weights))
                flagged = scores >= threshold
                fp_rate = float((weights * flagged * ~unsafe).sum() / (weights * ~unsafe).sum())
                ap = average_precision(scores, unsafe, weights)
                counts = [gc.threshold_counts(list(scores[part]), list(unsafe[part]), [kinds[i] for i in
                          range(len(kinds))][part], threshold) for part in (slice(0, len(v.rows)),
                                                                             slice(len(v.rows), None))]
                by = [" / ".join(c["false_positives_by_kind"][k].split()[0] for k in ("lookalike", "safety", "chat",
                                                                                      "refusal")) for c in counts]
                if threshold > 0.01:  # not where the floor clamps it
                    results.append((round(fp_rate, 4), -ap, describe(inputs), l2, by_kind, threshold))
                print(f"| {describe(inputs)} | {l2:g} | {'by kind' if by_kind else 'safe / unsafe'} | {ap:.3f} | "
                      f"{threshold:.4f} | {fp_rate:.3f} | {counts[0]['fp']} ({by[0]}) | {counts[1]['fp']} ({by[1]}) | "
                      f"{counts[0]['recall']:.3f} / {counts[1]['recall']:.3f} |", flush=True)
    fp, ap, inputs, l2, by_kind, threshold = min(results)
    print(f"chosen: {inputs}, L2 {l2:g}, rows weighted {'by kind' if by_kind else 'safe / unsafe'} (weighted FP rate "
          f"{fp:.3f}, AP {-ap:.3f}, threshold {threshold:.4f})")


if __name__ == "__main__":
    main()
