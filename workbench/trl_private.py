"""Every private part of TRL the workbench relies on, in one list, and `check()`, which says clearly which of them an
installed TRL lacks.

TRL's trainers are extended by subclassing (`workbench.stages.distill`, `workbench.stages.sft`,
`workbench.stages.rlhf` with `workbench.decoding.FastGeneration`): a few overrides and calls go through TRL's private
methods and attributes, which a TRL release may rename or re-sign without notice. `pyproject.toml` pins TRL to the
range below; if another version is installed anyway (a user's environment, a forced upgrade), `check()` turns what
would be an `AttributeError` or `TypeError` deep inside a training run into one line per missing or changed part,
before the stage starts (`workbench.pipeline` calls it before the first stage that needs one, for every stage of the
recipe).

When you touch TRL internals anywhere in the workbench, add the part here; when TRL moves, this list and its test
(`tests/test_trl_private.py`) show what to port.
"""

from __future__ import annotations

import importlib
import inspect
import re
from dataclasses import dataclass
from typing import Iterable

from workbench.errors import WorkbenchError

WRITTEN_FOR = "trl>=1.16,<1.17"  # what the parts below were written and tested against (pyproject.toml pins it)


@dataclass(frozen=True)
class Private:
    """One private part of TRL: `module.owner.name` (or `module.name` without an owner)."""

    module: str
    owner: str | None
    name: str
    stages: tuple[str, ...]  # the stage kinds that need it
    used_by: str  # where the workbench uses it
    params: tuple[str, ...] = ()  # the leading parameters (after self) the workbench passes or overrides with
    instance: bool = False  # an attribute set in the owner's `__init__` (`self.name = ...`), not a class attribute

    @property
    def where(self) -> str:
        return ".".join(p for p in (self.module, self.owner, self.name) if p)


_DISTILL = "trl.trainer.distillation_trainer"
_RLOO = "trl.trainer.rloo_trainer"

PRIVATE: tuple[Private, ...] = (
    # GKDDistillationTrainer (workbench.stages.distill): off-policy batches, top-k teacher logits.
    Private(_DISTILL, "DistillationTrainer", "_generate_and_score_completions", ("distill",),
            "workbench.stages.distill: sees each generation batch's rows", ("inputs",)),
    Private(_DISTILL, "DistillationTrainer", "_generate_single_turn", ("distill",),
            "workbench.stages.distill and workbench.decoding.FastGeneration: who samples the batch",
            ("prompt_ids", "images", "multimodal_fields", "has_tool_images")),
    Private(_DISTILL, "DistillationTrainer", "_compute_loss", ("distill",),
            "workbench.stages.distill: the top-k generalized JSD", ("unwrapped_student", "inputs", "num_items_in_batch")),
    Private(_DISTILL, "DistillationTrainer", "_get_last_hidden_state", ("distill",),
            "workbench.stages.distill: hidden states for the top-k loss",
            ("unwrapped_model", "input_ids", "attention_mask", "logits_to_keep")),
    Private(_DISTILL, "DistillationTrainer", "_tokenizer", ("distill",),
            "workbench.decoding.FastGeneration: the pad id", instance=True),
    Private(_DISTILL, "DistillationTrainer", "_dist", ("distill",),
            "workbench.decoding.FastGeneration: summon_full_params around sampling", instance=True),
    # RLOOTrainer with FastGeneration (workbench.stages.rlhf): Gemma 2 policies sample with workbench.decoding.
    Private(_RLOO, "RLOOTrainer", "_generate_single_turn", ("rlhf",),
            "workbench.decoding.FastGeneration (workbench.stages.rlhf's RLOOTrainer)",
            ("prompt_ids", "images", "multimodal_fields")),
    Private(_RLOO, "RLOOTrainer", "_tokenizer", ("rlhf",),
            "workbench.decoding.FastGeneration: the pad id", instance=True),
    Private(_RLOO, "RLOOTrainer", "_dist", ("rlhf",),
            "workbench.decoding.FastGeneration: summon_full_params around sampling", instance=True),
    # LeanSFTTrainer (workbench.stages.sft): the loss through the DDP/FSDP wrapper's forward.
    Private("trl.models.utils", None, "_ForwardRedirection", ("sft",),
            "workbench.stages.sft: LeanSFTTrainer.compute_loss", ("wrapper_module", "original_module", "method")),
)

_checked: set[Private] = set()  # parts found in this process: checked once


def uses_private(kind: str) -> bool:
    """Whether stages of this kind rely on a private part of TRL."""
    return any(kind in p.stages for p in PRIVATE)


def problem(part: Private) -> str | None:
    """What is wrong with `part` in the installed TRL (missing or with other parameters), or None."""
    try:
        module = importlib.import_module(part.module)
    except ImportError as e:
        return f"{part.where}: cannot import {part.module} ({e})"
    owner = module
    if part.owner is not None:
        owner = getattr(module, part.owner, None)
        if owner is None:
            return f"{part.where}: {part.module} has no {part.owner}"
    if part.instance:
        try:
            source = inspect.getsource(owner)
        except (OSError, TypeError):
            source = ""
        if not re.search(rf"self\.{re.escape(part.name)}\s*=", source):
            return f"{part.where}: {part.owner}.__init__ no longer sets self.{part.name}"
        return None
    target = getattr(owner, part.name, None)
    if target is None:
        return f"{part.where}: missing"
    if part.params:
        call = target.__call__ if inspect.isclass(target) else target
        try:
            names = [p for p in inspect.signature(call).parameters if p != "self"]
        except (TypeError, ValueError):
            return None  # a signature Python cannot read: nothing to compare
        if tuple(names[:len(part.params)]) != part.params:
            return f"{part.where}: parameters are ({', '.join(names)}), expected ({', '.join(part.params)}, ...)"
    return None


def check(kinds: Iterable[str] | None = None, parts: Iterable[Private] = PRIVATE) -> None:
    """Raise a WorkbenchError naming every private part of TRL that stages of `kinds` (all, if None) need and the
    installed TRL lacks or has changed; nothing happens when all are there."""
    wanted = None if kinds is None else set(kinds)
    todo = [p for p in parts if p not in _checked and (wanted is None or wanted & set(p.stages))]
    problems = []
    for part in todo:
        why = problem(part)
        if why is None:
            _checked.add(part)
        else:
            problems.append(f"  {why}  (used by {part.used_by})")
    if problems:
        try:
            import trl

            installed = f"trl {trl.__version__} is installed"
        except ImportError:
            installed = "trl is not installed"
        raise WorkbenchError([f"{installed}, but the workbench was written for {WRITTEN_FOR} and relies on private "
                              f"parts of TRL that this version lacks or changed:", *problems,
                              f"install the tested version: pip install '{WRITTEN_FOR}'"])
