"""The optional trained classifier of the `unsafe` rule: how likely a response is unsafe, from labelled records.

Training data: an unpaired-preference dataset (TRL's `prompt`, `completion`, `label`), standard or conversational,
in which `label: false` marks an unsafe completion and `label: true` an acceptable one (a refusal, a helpful answer).
The model is logistic regression over hashed features of the response: its word unigrams and bigrams, the words of
its request (prefixed, so "bomb" asked and "bomb" answered differ), and whether `is_refusal` calls it a refusal.
Why our own: nothing pretrained can be downloaded here, and a linear model over hashed n-grams trains in seconds on
a CPU and gives a probability a person can threshold; torch's EmbeddingBag does the sparse sums.
Saved as safetensors (weights and bias) with the feature settings in its metadata.
"""

from __future__ import annotations

import contextlib
import re
import zlib
from dataclasses import dataclass
from pathlib import Path

from workbench.errors import DataError
from workbench.safety.refusal import is_refusal

DIM = 1 << 18
_WORD = re.compile(r"[a-z0-9']+")
FORMAT = "workbench-unsafe-classifier-v1"


def features(response: str, request: str) -> list[int]:
    words = _WORD.findall(response.lower())
    tokens = words + [f"{a} {b}" for a, b in zip(words, words[1:])]
    tokens += [f"q:{w}" for w in _WORD.findall(request.lower())]
    tokens.append(f"refusal:{is_refusal(response)}")
    return [zlib.crc32(t.encode()) % DIM for t in tokens]


@contextlib.contextmanager
def _one_thread():
    """Run torch on one thread: these sparse sums are tiny, and extra threads made them ~20x slower on a busy
    2-core machine (measured)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@dataclass
class UnsafeClassifier:
    weight: "torch.Tensor"  # noqa: F821  (DIM, 1)
    bias: float

    def scores(self, pairs: list[tuple[str, str]]) -> list[float]:
        """P(unsafe) for each (response, request)."""
        import torch

        if not pairs:
            return []
        ids, offsets = _batch([features(r, q) for r, q in pairs])
        with torch.no_grad(), _one_thread():
            logits = torch.nn.functional.embedding_bag(ids, self.weight, offsets, mode="sum").squeeze(1) + self.bias
        return torch.sigmoid(logits).tolist()

    def save(self, path: Path) -> None:
        import torch
        from safetensors.torch import save

        from workbench.atomic import atomic_file

        data = save({"weight": self.weight.contiguous(), "bias": torch.tensor([self.bias])},
                    metadata={"format": FORMAT, "dim": str(DIM)})
        with atomic_file(path, "wb") as f:
            f.write(data)


def _batch(feature_lists: list[list[int]]):
    import torch

    offsets = torch.tensor([0] + [len(f) for f in feature_lists[:-1]]).cumsum(0)
    return torch.tensor([i for f in feature_lists for i in f], dtype=torch.long), offsets


def load_classifier(path: Path) -> UnsafeClassifier:
    from safetensors import SafetensorError
    from safetensors.torch import load_file, safe_open

    path = Path(path)
    if not path.is_file():
        raise DataError(path, None, "unsafe classifier not found; train one with `workbench safety train-classifier`")
    try:
        with safe_open(str(path), "pt") as f:
            metadata = f.metadata() or {}
        tensors = load_file(str(path))
    except (SafetensorError, OSError) as e:
        raise DataError(path, None, f"not a classifier file ({str(e).splitlines()[0]})") from None
    if metadata.get("format") != FORMAT or metadata.get("dim") != str(DIM):
        raise DataError(path, None, f"not a {FORMAT} file; train one with `workbench safety train-classifier`")
    return UnsafeClassifier(tensors["weight"], float(tensors["bias"][0]))


def _text(value) -> str:
    return value if isinstance(value, str) else "\n".join(m["content"] for m in value)


def _last_user(value) -> str:
    if isinstance(value, str):
        return value
    return next((m["content"] for m in reversed(value) if m["role"] == "user"), "")


def train_classifier(records: list[dict], epochs: int = 30, lr: float = 0.1, seed: int = 0) -> UnsafeClassifier:
    """Fit on unpaired-preference rows (label false = unsafe); classes are weighted to count equally."""
    import torch

    torch.manual_seed(seed)
    pairs = [(_text(r["completion"]), _last_user(r["prompt"])) for r in records]
    target = torch.tensor([0.0 if r["label"] else 1.0 for r in records])
    ids, offsets = _batch([features(resp, req) for resp, req in pairs])
    positives = float(target.sum())
    pos_weight = torch.tensor((len(records) - positives) / max(positives, 1.0))
    weight = torch.zeros(DIM, 1, requires_grad=True)
    bias = torch.zeros(1, requires_grad=True)
    optimizer = torch.optim.Adam([weight, bias], lr=lr)
    with _one_thread():
        for _ in range(epochs):
            optimizer.zero_grad()
            logits = torch.nn.functional.embedding_bag(ids, weight, offsets, mode="sum").squeeze(1) + bias
            loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, target, pos_weight=pos_weight)
            loss.backward()
            optimizer.step()
    return UnsafeClassifier(weight.detach(), float(bias.detach()[0]))
