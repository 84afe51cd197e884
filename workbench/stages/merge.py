"""Stage `merge`: weight averaging of several fine-tuned policies (WARP's SLERP + LITI, or a plain average).

Two methods:
  * `warp` (Ramé et al. 2024, "WARP: On the Benefits of Weight Averaged Rewarded Policies"): the task vectors
    delta_i = theta_i - theta_init of policies fine-tuned from one shared start `init` are combined by spherical
    linear interpolation (SLERP), tensor by tensor, then the result is pulled back towards the start by linear
    interpolation towards initialisation (LITI): theta = (1 - eta) * theta_init + eta * (theta_init + delta_slerp).
    eta = 0 gives the start, eta = 1 the SLERP merge; in between trades reward for KL to the start.
    Two policies: SLERP(delta_1, delta_2; t) with t = `t` (or the second of `weights`, normalised).
    More than two: iterative pairwise SLERP, delta <- SLERP(delta, delta_k; w_k / (w_1 + ... + w_k)) in list order,
    the spherical analogue of a running weighted mean (it equals the weighted mean when all vectors are parallel;
    unlike a barycentre on the sphere it depends on the order of `models`).
  * `average`: the (weighted) mean of the models' weights, a "model soup" as Gemma 2 reports for its final model.
    `init` is optional there and only used for the task-vector metrics.
Policies trained with LoRA are merged into their base first: a stage whose `model/` is missing but whose `adapter/`
exists (sft, rlhf or dpo with `lora.merge: false`) is applied to the base its `adapter_config.json` names (the stage's
own `model` where that is no folder), and a recipe model whose `path` is a peft adapter folder to the base named in
its `adapter_config.json`. WARP over LoRA policies is thus WARP over their merged weights: the task vectors are
(base + B A) - init, SLERPed and pulled back towards init, and the output is a plain model. Every model must then have the same architecture,
parameter names and shapes, and vocabulary, or the stage refuses in one line. Output: `stage_dir/model`, the merged
model with the tokenizer of `init` (or of the first model).
Metrics: the mean over policy pairs of the per-tensor cosine similarity of their task vectors, the norm of each
task vector and of the merged one (before and after LITI), the stage's wall time and peak memory.

Why our own code: the arithmetic is a few tensor operations on state dicts of models already in memory. `mergekit`
(on PyPI) works on model folders through its own YAML configs and loader and brings its own dependency set (scipy,
immutables, click, ...); its `slerp` interpolates two models' raw weights rather than task vectors, its `multislerp`
rescales the result to the mean norm (not SLERP's), and it has no LITI step, so WARP would still be ours around it.
"""

from __future__ import annotations

import json
import math
from itertools import combinations
from pathlib import Path
from typing import Any, Literal

import torch
from pydantic import Field, model_validator

from workbench.atomic import atomic_dir
from workbench.errors import WorkbenchError
from workbench.models.spec import ModelSpec
from workbench.stages.base import ModelRef, StageConfig, StageContext

PRODUCES = {"model"}

StateDict = dict[str, torch.Tensor]


class Config(StageConfig):
    kind: Literal["merge"] = Field("merge", description="The stage kind (fixed for this module).")
    method: Literal["warp", "average"] = Field("warp",
        description="warp: SLERP of the policies' task vectors, then LITI towards init; average: a weighted mean.")
    init: ModelRef | None = Field(None, description="The shared start of the policies; warp needs it.")
    models: list[ModelRef] = Field(min_length=2,
        description="The models to merge (e.g. RLHF policies trained from the same start with different seeds).")
    weights: list[float] | None = Field(None, description="One per model, normalised to sum 1; default: equal.")
    t: float | None = Field(None, ge=0, le=1,
        description="Warp with two models: SLERP's t (0: the first, 1: the second)")
    eta: float | None = Field(None, ge=0, le=1,
        description="Warp: LITI's factor towards the SLERP merge (0: init, 1: merge)")

    @model_validator(mode="after")
    def _consistent(self):
        if self.weights is not None and self.t is not None:
            raise ValueError("give `weights` or `t`, not both")
        if self.weights is not None and len(self.weights) != len(self.models):
            raise ValueError(f"{len(self.weights)} weights for {len(self.models)} models; give one weight per model")
        if self.weights is not None and not all(w > 0 for w in self.weights):
            raise ValueError("weights must be positive")
        if self.t is not None and len(self.models) != 2:
            raise ValueError("`t` is SLERP's factor between exactly two models; for more, give `weights`")
        if self.method == "warp" and (self.init is None or self.eta is None):
            raise ValueError("method warp needs `init` (the policies' shared start) and `eta` (0: init, 1: the SLERP "
                             "merge)")
        if self.method == "average" and (self.eta is not None or self.t is not None):
            raise ValueError("`eta` and `t` belong to method warp; method average takes `weights`")
        return self

    def normalised_weights(self) -> list[float]:
        raw = [1 - self.t, self.t] if self.t is not None else self.weights or [1.0] * len(self.models)
        return [w / sum(raw) for w in raw]


# --- the arithmetic ----------------------------------------------------------------------------------------------


def slerp(a: torch.Tensor, b: torch.Tensor, t: float) -> torch.Tensor:
    """Spherical interpolation between two tensors seen as vectors: at angle omega between them,
    (sin((1 - t) omega) a + sin(t omega) b) / sin(omega); linear where either is zero or they are parallel.
    t = 0 and t = 1 return `a` and `b` exactly. Computed in float64, returned in `a`'s dtype."""
    if t == 0:
        return a.clone()
    if t == 1:
        return b.clone()
    a64, b64 = a.double(), b.double()
    norm_a, norm_b = a64.norm(), b64.norm()
    if norm_a == 0 or norm_b == 0:
        return ((1 - t) * a64 + t * b64).to(a.dtype)
    omega = torch.arccos(((a64 * b64).sum() / (norm_a * norm_b)).clamp(-1, 1))
    if torch.sin(omega) < 1e-6:
        return ((1 - t) * a64 + t * b64).to(a.dtype)
    mixed = (torch.sin((1 - t) * omega) * a64 + torch.sin(t * omega) * b64) / torch.sin(omega)
    return mixed.to(a.dtype)


def slerp_iterated(vectors: list[torch.Tensor], weights: list[float]) -> torch.Tensor:
    """Iterative pairwise SLERP of one tensor's task vectors: delta <- SLERP(delta, delta_k; w_k / (w_1 + ... + w_k))."""
    merged, total = vectors[0], weights[0]
    for vector, weight in zip(vectors[1:], weights[1:]):
        total += weight
        merged = slerp(merged, vector, weight / total)
    return merged


def cosine(a: torch.Tensor, b: torch.Tensor) -> float | None:
    """The cosine similarity of two tensors seen as vectors; None where either is zero."""
    if a.norm() == 0 or b.norm() == 0:
        return None
    return torch.nn.functional.cosine_similarity(a.flatten(), b.flatten(), dim=0).item()


# --- loading -----------------------------------------------------------------------------------------------------


def load_policy(ref: str, ctx: StageContext) -> tuple[Any, Any]:
    """(model, tokenizer) of `ref`, with a LoRA adapter merged into its base."""
    from workbench.models import load_model

    source = ctx.model_path(ref)
    if isinstance(source, Path) and not source.exists() and (source.parent / "adapter").is_dir():
        adapter = source.parent / "adapter"
        base_path = json.loads((adapter / "adapter_config.json").read_text()).get("base_model_name_or_path")
        if base_path and (Path(base_path) / "config.json").is_file():  # the very base it was trained on
            base, tokenizer = load_model(Path(base_path), tokenizer=adapter, seed=ctx.seed)
            return _merge_adapter(base, adapter), tokenizer
        stage = next(s for s in ctx.recipe.stages if s.stage_name == ref)
        base, tokenizer = load_model(ctx.model_path(stage.model), tokenizer=ctx.tokenizer_path(stage.model),
                                     seed=ctx.seed)
        return _merge_adapter(base, source.parent / "adapter"), tokenizer
    folder = Path(source.path).expanduser() if isinstance(source, ModelSpec) and source.path else None
    if folder is not None and (folder / "adapter_config.json").is_file():
        base_path = json.loads((folder / "adapter_config.json").read_text()).get("base_model_name_or_path")
        if not base_path:
            raise WorkbenchError(f"model {ref!r}: the adapter {folder} names no base model (base_model_name_or_path); "
                                 "merge it into its base first or give a stage's merged model")
        base, tokenizer = load_model(Path(base_path), tokenizer=folder if (folder / "tokenizer_config.json").is_file()
                                     else None, seed=ctx.seed)
        return _merge_adapter(base, folder), tokenizer
    return load_model(source, tokenizer=ctx.tokenizer_path(ref), seed=ctx.seed)


def _merge_adapter(base, adapter: Path):
    from peft import PeftModel

    return PeftModel.from_pretrained(base, str(adapter)).merge_and_unload()


def check_same_architecture(named: list[tuple[str, Any, Any]]) -> None:
    """Refuse, in one line, models that differ in architecture, parameter names or shapes, or vocabulary."""
    first_name, first, first_tok = named[0]
    shapes = {k: tuple(v.shape) for k, v in first.state_dict().items()}
    for name, model, tokenizer in named[1:]:
        problem = None
        if type(model).__name__ != type(first).__name__:
            problem = f"{type(model).__name__} against {type(first).__name__}"
        else:
            other = {k: tuple(v.shape) for k, v in model.state_dict().items()}
            only = sorted(set(shapes) ^ set(other))
            resized = [k for k in shapes if k in other and shapes[k] != other[k]]
            if only:
                problem = f"parameter {only[0]!r} is in only one of them"
            elif resized:
                problem = f"parameter {resized[0]!r} has shape {other[resized[0]]} against {shapes[resized[0]]}"
            elif tokenizer.get_vocab() != first_tok.get_vocab():
                problem = "their vocabularies differ"
        if problem:
            raise WorkbenchError(f"merge: model {name!r} cannot be merged with {first_name!r}: {problem}; merge only "
                                 "models fine-tuned from the same start")


# --- the stage ---------------------------------------------------------------------------------------------------


def merge_states(cfg: Config, init: StateDict | None, states: list[StateDict]) -> tuple[StateDict, dict]:
    """The merged weights and the task-vector metrics (when there is an init). Tensor by tensor, so that besides the
    models only one tensor's task vectors are held in float64 at a time (whole float64 task vectors of Gemma 3 270M
    would take 2 GiB each), and tensors no policy changed (LoRA leaves the embeddings alone) are the init's as they
    are (Gemma 3 270M's 262k x 640 embedding alone takes 1.3 GiB in float64). For each floating-point tensor: the task vectors delta_i = theta_i - theta_init (float64);
    warp: theta = theta_init + eta * SLERP-iterated(delta_i) (LITI), cast back to the tensor's dtype; average:
    sum_i w_i theta_i. Other tensors (integer buffers) are the init's (warp) or the first model's (average)."""
    weights = cfg.normalised_weights()
    metrics: dict = {"method": cfg.method, "models": len(states), "weights": [round(w, 4) for w in weights]}
    reference = init if init is not None else states[0]
    merged: StateDict = {}
    squares = {"vectors": [0.0] * len(states), "slerp": 0.0, "merged": 0.0}
    cosines: dict[tuple[int, int], list[float]] = {pair: [] for pair in combinations(range(len(states)), 2)}
    for k, value in reference.items():
        if not value.is_floating_point():
            merged[k] = (init if cfg.method == "warp" else states[0])[k].clone()
            continue
        if init is not None and all(torch.equal(s[k], value) for s in states):
            merged[k] = value.clone()  # no policy moved it (e.g. outside LoRA's targets): no float64 copies of it
            continue
        vectors = [s[k].double() - init[k].double() for s in states] if init is not None else None
        if cfg.method == "warp":
            delta = slerp_iterated(vectors, weights)
            merged[k] = value.clone() if cfg.eta == 0 else (value.double() + cfg.eta * delta).to(value.dtype)
            squares["slerp"] += delta.pow(2).sum().item()
        else:
            merged[k] = sum(w * s[k].double() for s, w in zip(states, weights)).to(value.dtype)
        if vectors is not None:
            for i, vector in enumerate(vectors):
                squares["vectors"][i] += vector.pow(2).sum().item()
            for (i, j), found in cosines.items():
                if (c := cosine(vectors[i], vectors[j])) is not None:
                    found.append(c)
            squares["merged"] += (merged[k].double() - init[k].double()).pow(2).sum().item()
    if cfg.method == "warp":
        metrics.update(eta=cfg.eta, slerp_task_vector_norm=math.sqrt(squares["slerp"]))
    if init is not None:
        means = [sum(found) / len(found) for found in cosines.values() if found]
        metrics.update(
            task_vector_cosine_mean=sum(means) / len(means) if means else None,
            task_vector_norms=[round(math.sqrt(q), 4) for q in squares["vectors"]],
            merged_task_vector_norm=math.sqrt(squares["merged"]),
        )
    return merged, metrics


def run(cfg: Config, ctx: StageContext) -> dict:
    import time

    from workbench.adapters import resource_metrics
    from workbench.memory import reset_peak_memory
    from workbench.preference import rounded

    reset, started = reset_peak_memory(), time.perf_counter()
    refs = ([cfg.init] if cfg.init is not None else []) + cfg.models
    loaded = [(ref, *load_policy(ref, ctx)) for ref in refs]
    check_same_architecture(loaded)
    init = loaded[0][1].state_dict() if cfg.init is not None else None
    states = [model.state_dict() for _, model, _ in loaded[1 if cfg.init is not None else 0:]]
    merged, metrics = merge_states(cfg, init, states)
    _, target, tokenizer = loaded[0]
    target.load_state_dict(merged)
    with atomic_dir(ctx.stage_dir / "model") as tmp:
        target.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
    metrics.update(merge_seconds=time.perf_counter() - started, **resource_metrics(0.0, 0, reset))
    return rounded({k: v for k, v in metrics.items() if v is not None})
