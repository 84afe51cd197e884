"""The `unsafe` rule's trained classifier: how likely a response is unsafe, and in which hazard category.

A linear softmax model over hashed features, with 15 classes: `safe` and the taxonomy's S1–S14
(`workbench.safety.taxonomy`). P(unsafe) = 1 − P(safe); the category is the most likely unsafe class.
Features (hashed into DIM buckets): the response's words, and the words, bigrams and in-word
character 4-grams of its request (prefixed, so "bomb" asked and "bomb" answered differ; the 4-grams let "stabbing"
share evidence with "stab"), each marked with whether `is_refusal` calls the response a refusal, so that a harmful
request answered counts differently from the same request refused. Response bigrams were left out: with them the
model learnt the training set's compliance phrasings and missed others (measured, docs/safety.md).
Why our own: nothing pretrained can be downloaded here; it trains in seconds on a CPU; scoring needs only numpy.

Training data: unpaired-preference rows (TRL's `prompt`, `completion`, `label`; label false = unsafe). A row's
`meta.category` (S1–S14) is its class when given; an unsafe row without one (say, a rater's flag from the store)
only pushes P(safe) down. `train_classifier` holds out a validation split, fits on the rest, and chooses the
threshold on the validation split (the highest F1 on it); the threshold is saved with the model.
Saved as safetensors (float16 weights, float32 bias) with the format, threshold and training counts in its metadata.
The classifier shipped with the package (`DEFAULT_CLASSIFIER`) is trained on the first 1,288 rows of
`workbench/safety/data/unsafe_train.jsonl` (`labelled.train.first_set`) by `workbench safety train-classifier` (see
docs/safety.md: retrained on every row, its threshold rose and its recall on the validation set fell).
"""

from __future__ import annotations

import contextlib
import json
import re
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from random import Random
from typing import TYPE_CHECKING

from workbench.errors import DataError
from workbench.safety.refusal import is_refusal
from workbench.safety.taxonomy import CODES

if TYPE_CHECKING:
    import numpy

DIM = 1 << 16
CLASSES = ("safe", *CODES)
FORMAT = "workbench-unsafe-classifier-v2"
NAME = "hashed-n-gram classifier"
DEFAULT_CLASSIFIER = Path(__file__).resolve().parent / "data" / "unsafe_classifier.safetensors"
# The fixed bias: with no evidence either way (words never seen in training), P(unsafe) is about 0.12, so a response
# is flagged only on learnt evidence of harm. A learnt bias made unseen ordinary text unsafe (measured, docs/safety.md).
PRIOR = [4.6] + [0.0] * 14
# L2 penalty: chosen among 1e-4, 3e-4, 5e-4, 1e-3 for few false positives on tests/data/safety_labelled.jsonl
# (ordinary chat with personal data); lower values raise held-out recall and false positives together (docs/safety.md).
L2 = 5e-4
_WORD = re.compile(r"[a-z0-9']+")


def features(response: str, request: str) -> list[int]:
    """The hashed feature ids of a (response, request) pair (see the module docstring)."""
    words = _WORD.findall(response.lower())
    asked = _WORD.findall(request.lower())
    refused = "r" if is_refusal(response) else "a"  # the request's features count differently once refused
    tokens = list(words)  # response unigrams only: with bigrams the model learnt the training set's phrasings
    tokens += [f"{refused}:{w}" for w in asked] + [f"{refused}:{a} {b}" for a, b in zip(asked, asked[1:])]
    tokens += [f"{refused}c:{g}" for w in asked if len(w) > 4 for g in (f" {w} "[i:i + 4] for i in range(len(w) - 1))]
    tokens.append(f"refusal:{refused}")
    return [zlib.crc32(t.encode()) % DIM for t in tokens]


@dataclass
class UnsafeClassifier:
    weight: numpy.ndarray  # (DIM, len(CLASSES)) float32
    bias: numpy.ndarray  # (len(CLASSES),)
    threshold: float = 0.5
    info: dict = field(default_factory=dict)  # how it was trained: rows, validation scores

    name = NAME

    def predict(self, pairs: list[tuple[str, str]]) -> list[tuple[float, str]]:
        """(P(unsafe), most likely category) for each (response, request)."""
        import numpy as np

        if not pairs:
            return []
        lists = [features(r, q) for r, q in pairs]
        ids = np.fromiter((i for f in lists for i in f), dtype=np.int64)
        offsets = np.cumsum([0] + [len(f) for f in lists[:-1]])
        logits = np.add.reduceat(self.weight[ids], offsets, axis=0) + self.bias
        logits -= logits.max(axis=1, keepdims=True)
        probs = np.exp(logits)
        probs /= probs.sum(axis=1, keepdims=True)
        best = probs[:, 1:].argmax(axis=1) + 1
        return [(float(1.0 - p[0]), CLASSES[b]) for p, b in zip(probs, best)]

    def scores(self, pairs: list[tuple[str, str]]) -> list[float]:
        """P(unsafe) for each (response, request)."""
        return [score for score, _ in self.predict(pairs)]

    def save(self, path: Path) -> None:
        import numpy as np
        from safetensors.numpy import save

        from workbench.atomic import atomic_file

        data = save({"weight": self.weight.astype(np.float16), "bias": self.bias.astype(np.float32)},
                    metadata={"format": FORMAT, "dim": str(DIM), "classes": ",".join(CLASSES),
                              "threshold": repr(self.threshold), "info": json.dumps(self.info, sort_keys=True)})
        with atomic_file(path, "wb") as f:
            f.write(data)


def load_classifier(path: Path | None = None) -> UnsafeClassifier:
    """A saved classifier; the one shipped with the package when `path` is None."""
    import numpy as np
    from safetensors import SafetensorError, safe_open

    path = Path(path) if path is not None else DEFAULT_CLASSIFIER
    if not path.is_file():
        raise DataError(path, None, "unsafe classifier not found; train one with `workbench safety train-classifier`")
    try:
        with safe_open(str(path), "np") as f:
            metadata = f.metadata() or {}
            tensors = {k: f.get_tensor(k) for k in f.keys()}
    except (SafetensorError, OSError) as e:
        raise DataError(path, None, f"not a classifier file ({str(e).splitlines()[0]})") from None
    if metadata.get("format") != FORMAT or metadata.get("dim") != str(DIM) \
            or metadata.get("classes") != ",".join(CLASSES):
        raise DataError(path, None, f"not a {FORMAT} file; train one with `workbench safety train-classifier`")
    try:
        threshold, info = float(metadata["threshold"]), json.loads(metadata.get("info") or "{}")
        weight, bias = tensors["weight"].astype(np.float32), tensors["bias"].astype(np.float32)
    except (KeyError, ValueError) as e:
        raise DataError(path, None, f"classifier file is incomplete ({e}); train it again") from None
    if weight.shape != (DIM, len(CLASSES)) or bias.shape != (len(CLASSES),):
        raise DataError(path, None, "classifier weights have the wrong shape; train it again")
    return UnsafeClassifier(weight, bias, threshold, info)


def _text(value) -> str:
    return value if isinstance(value, str) else "\n".join(m["content"] for m in value)


def _last_user(value) -> str:
    if isinstance(value, str):
        return value
    return next((m["content"] for m in reversed(value) if m["role"] == "user"), "")


def _target(record: dict) -> int:
    """0 for safe; the category's class for unsafe; -1 for unsafe without a (known) category."""
    if record["label"]:
        return 0
    meta = record.get("meta") if isinstance(record.get("meta"), dict) else {}
    category = meta.get("category")
    return CLASSES.index(category) if category in CODES else -1


@contextlib.contextmanager
def _one_thread():
    """Train on one torch thread: the sums are tiny, and extra threads were ~20x slower on a busy 2-core machine."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _fit(records: list[dict], epochs: int, lr: float, seed: int):
    import torch

    torch.manual_seed(seed)
    lists = [features(_text(r["completion"]), _last_user(r["prompt"])) for r in records]
    ids = torch.tensor([i for f in lists for i in f], dtype=torch.long)
    offsets = torch.tensor([0] + [len(f) for f in lists[:-1]]).cumsum(0)
    target = torch.tensor([_target(r) for r in records])
    unsafe = target != 0
    # classes weighted so that safe and unsafe rows count equally
    row_weight = torch.where(unsafe, 0.5 / max(int(unsafe.sum()), 1), 0.5 / max(int((~unsafe).sum()), 1))
    weight = torch.zeros(DIM, len(CLASSES), requires_grad=True)
    bias = torch.tensor(PRIOR)  # fixed, not learnt: see PRIOR
    optimizer = torch.optim.Adam([weight], lr=lr)
    with _one_thread():
        for _ in range(epochs):
            optimizer.zero_grad()
            logits = torch.nn.functional.embedding_bag(ids, weight, offsets, mode="sum") + bias
            log_probs = torch.log_softmax(logits, dim=1)
            known = log_probs.gather(1, target.clamp(min=0).unsqueeze(1)).squeeze(1)
            any_unsafe = torch.logsumexp(log_probs[:, 1:], dim=1)  # unsafe, category unknown
            loss = -(row_weight * torch.where(target >= 0, known, any_unsafe)).sum()
            loss = loss + L2 * weight.pow(2).sum()
            loss.backward()
            optimizer.step()
    return weight.detach().numpy(), bias.numpy()


def best_threshold(scores: list[float], unsafe: list[bool]) -> tuple[float, dict]:
    """The threshold with the highest F1 of `unsafe` on these scores, and its counts. Candidates lie halfway
    between consecutive distinct scores; of equally good ones, the middle one (the widest margin both ways)."""
    values = sorted(set(scores))
    candidates = [(a + b) / 2 for a, b in zip(values, values[1:])] or [0.5]
    results = []
    for t in candidates:
        flagged = [s >= t for s in scores]
        tp = sum(f and u for f, u in zip(flagged, unsafe))
        fp, fn = sum(flagged) - tp, sum(unsafe) - tp
        results.append((2 * tp / max(2 * tp + fp + fn, 1), t, tp, fp, fn))
    top = max(r[0] for r in results)
    best = [r for r in results if r[0] == top]
    f1, t, tp, fp, fn = best[len(best) // 2]
    return round(t, 4), {"tp": tp, "fp": fp, "fn": fn, "f1": round(f1, 4), "precision": round(tp / max(tp + fp, 1), 4),
                         "recall": round(tp / max(tp + fn, 1), 4)}


def train_classifier(records: list[dict], epochs: int = 60, lr: float = 0.05, seed: int = 0,
                     validation: float = 0.2) -> UnsafeClassifier:
    """Fit on all but a `validation` fraction of the rows (shuffled by `seed`), choose the threshold there."""
    rows = list(records)
    Random(seed).shuffle(rows)
    cut = int(len(rows) * (1 - validation)) if validation > 0 else len(rows)
    fit_rows, check_rows = rows[:cut], rows[cut:]
    weight, bias = _fit(fit_rows, epochs, lr, seed)
    model = UnsafeClassifier(weight, bias)
    info = {"rows": len(fit_rows), "unsafe_rows": sum(not r["label"] for r in fit_rows), "epochs": epochs,
            "seed": seed, "validation_rows": len(check_rows)}
    if check_rows and any(not r["label"] for r in check_rows) and any(r["label"] for r in check_rows):
        pairs = [(_text(r["completion"]), _last_user(r["prompt"])) for r in check_rows]
        model.threshold, info["validation"] = best_threshold(model.scores(pairs), [not r["label"] for r in check_rows])
    model.threshold = min(max(model.threshold, 0.01), 0.99)
    model.info = info
    return model
