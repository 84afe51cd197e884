"""Everything of the workbench that touches TRL's private parts: the list of them, `check()`, which says clearly which
of them an installed TRL lacks, and the trainer subclasses that override or call them.

TRL's trainers are extended by subclassing, and every such subclass lives here: `FastGeneration` (sampling through
`workbench.decoding` inside DistillationTrainer and RLOOTrainer), `rloo_trainer()` (the `rlhf` stage),
`gkd_distillation_trainer()` (the `distill` stage) and `lean_sft_trainer()` (the `sft` stage). Their overrides and
calls go through TRL's private methods and attributes, which a TRL release may rename or re-sign without notice. `pyproject.toml` pins TRL to the
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
import random
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
            "trl_private.gkd_distillation_trainer: sees each generation batch's rows", ("inputs",)),
    Private(_DISTILL, "DistillationTrainer", "_generate_single_turn", ("distill",),
            "trl_private.gkd_distillation_trainer and trl_private.FastGeneration: who samples the batch",
            ("prompt_ids", "images", "multimodal_fields", "has_tool_images")),
    Private(_DISTILL, "DistillationTrainer", "_compute_loss", ("distill",),
            "trl_private.gkd_distillation_trainer: the top-k generalized JSD", ("unwrapped_student", "inputs", "num_items_in_batch")),
    Private(_DISTILL, "DistillationTrainer", "_get_last_hidden_state", ("distill",),
            "trl_private.gkd_distillation_trainer: hidden states for the top-k loss; the teacher's own prompt "
            "(context distillation)",
            ("unwrapped_model", "input_ids", "attention_mask", "logits_to_keep")),
    Private(_DISTILL, "DistillationTrainer", "_tokenize_prompts", ("distill",),
            "trl_private.gkd_distillation_trainer: the teacher's prompts (context distillation)", ("prompts",)),
    Private(_DISTILL, "DistillationTrainer", "_tokenizer", ("distill",),
            "trl_private.FastGeneration: the pad id", instance=True),
    Private(_DISTILL, "DistillationTrainer", "_dist", ("distill",),
            "trl_private.FastGeneration: summon_full_params around sampling", instance=True),
    # RLOOTrainer with FastGeneration (workbench.stages.rlhf): Gemma 2 policies sample with workbench.decoding.
    Private(_RLOO, "RLOOTrainer", "_generate_single_turn", ("rlhf",),
            "trl_private.FastGeneration (workbench.stages.rlhf's RLOOTrainer)",
            ("prompt_ids", "images", "multimodal_fields")),
    Private(_RLOO, "RLOOTrainer", "_tokenizer", ("rlhf",),
            "trl_private.FastGeneration: the pad id", instance=True),
    Private(_RLOO, "RLOOTrainer", "_dist", ("rlhf",),
            "trl_private.FastGeneration: summon_full_params around sampling", instance=True),
    # LeanSFTTrainer (workbench.stages.sft): the loss through the DDP/FSDP wrapper's forward.
    Private("trl.models.utils", None, "_ForwardRedirection", ("sft",),
            "trl_private.lean_sft_trainer: LeanSFTTrainer.compute_loss", ("wrapper_module", "original_module", "method")),
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


# --- the overrides: every subclass of a TRL trainer that touches its private parts -------------------------------


class FastGeneration:
    """Mixin for a TRL trainer whose `_generate_single_turn(prompt_ids, images, multimodal_fields, ...)` returns
    completion ids (DistillationTrainer, RLOOTrainer): decodes with `sample` where it applies — a Gemma 2 model,
    text only, no vLLM, and only the sampling settings `sample` has — else TRL's own path. The model is unwrapped
    (and its shards gathered) as TRL does for `generate`."""

    # The generation settings `sample` honours or that do not change the tokens; min_p and repetition_penalty only
    # at their neutral values.
    PLAIN_SETTINGS = {"max_new_tokens", "do_sample", "pad_token_id", "bos_token_id", "eos_token_id", "temperature",
                      "top_p", "top_k", "min_p", "repetition_penalty", "cache_implementation", "disable_compile",
                      "transformers_version"}

    def _fast_generation_applies(self, images, multimodal_fields) -> bool:
        if (images or multimodal_fields or getattr(self, "use_vllm", False)
                or getattr(self, "use_transformers_continuous_batching", False)):
            return False  # (with vLLM, TRL's trainers have no generation_config)
        config = self.generation_config.to_diff_dict()
        plain = (set(config) <= self.PLAIN_SETTINGS and config.get("min_p") is None
                 and config.get("repetition_penalty", 1.0) == 1.0)
        from workbench.decoding import supports

        return plain and supports(self.accelerator.unwrap_model(self.model_wrapped))

    def _generate_single_turn(self, prompt_ids, images, multimodal_fields, *args, **kwargs):
        if not self._fast_generation_applies(images, multimodal_fields):
            return super()._generate_single_turn(prompt_ids, images, multimodal_fields, *args, **kwargs)
        from trl.models.utils import unwrap_model_for_generation

        from workbench.decoding import cut_after_stop, left_pad, sample

        config, device = self.generation_config, self.accelerator.device
        pad_id = self._tokenizer.pad_token_id
        input_ids, mask = left_pad(prompt_ids, pad_id, device)
        with (unwrap_model_for_generation(self.model_wrapped, self.accelerator,
                                          gather_deepspeed3_params=self.args.ds3_gather_for_generation) as model,
              self._dist.summon_full_params(self.model_wrapped, recurse=False)):
            new = sample(model, input_ids, mask, config.max_new_tokens, list(self.eos_token_ids), pad_id,
                         do_sample=config.do_sample, temperature=config.temperature or 1.0, top_k=config.top_k or 0,
                         top_p=config.top_p or 1.0)
        return cut_after_stop(new.tolist(), self.eos_token_ids)


def rloo_trainer():
    """TRL's RLOOTrainer sampling through `FastGeneration` (Gemma 2 and Gemma 3 policies)."""
    import trl

    check(["rlhf"])

    class RLOOTrainer(FastGeneration, trl.RLOOTrainer):
        pass

    return RLOOTrainer


def gkd_distillation_trainer():
    """`GKDDistillationTrainer`: TRL's DistillationTrainer plus GKD's `lmbda` (off-policy batches), the top-k
    teacher logits (`top_k`, scored with the `divergence` passed in: `workbench.stages.distill.generalized_jsd`),
    context distillation (rows with a `teacher_prompt`: the teacher scores the completion after that prompt, the
    student after its own), and sampling through `FastGeneration`.

    Context distillation: each generation batch gets `teacher_prompt_ids` / `teacher_prompt_mask`, the teacher's
    prompts tokenized as TRL tokenizes the student's and left-padded like them; TRL splits and shuffles them with the
    rest of the batch. Both models' inputs are (left-padded prompt, right-padded completion), so the completion sits
    at the same last `completion_ids.size(1)` positions of both, and TRL's `logits_to_keep` slice (and the loss mask,
    `completion_mask`) line them up token for token, whatever the two prompts' lengths."""
    import torch
    from trl import DistillationTrainer

    from workbench.models.presets import output_logits

    check(["distill"])  # the TRL internals overridden below

    class GKDDistillationTrainer(FastGeneration, DistillationTrainer):
        def __init__(self, *args, lmbda: float = 1.0, top_k: int | None = None, divergence=None, **kwargs):
            super().__init__(*args, **kwargs)
            self.divergence = divergence
            self.lmbda = lmbda
            self.top_k = top_k
            self._rows: list[dict] = []
            self._teacher_inputs = None  # set while _compute_loss runs: the teacher's (input_ids, attention_mask)
            self.off_policy_batches = 0

        def on_policy_now(self) -> bool:
            """This generation batch's draw: the student's samples with probability `lmbda`, seeded by the step."""
            return random.Random(f"{self.args.seed}:{self.state.global_step}").random() < self.lmbda

        def _generate_and_score_completions(self, inputs):
            self._rows = inputs
            batch = super()._generate_and_score_completions(inputs)
            if "teacher_prompt" in inputs[0]:
                batch["teacher_prompt_ids"], batch["teacher_prompt_mask"] = self.teacher_prompts(inputs)
            return batch

        def teacher_prompts(self, rows):
            """The rows' `teacher_prompt`s as (ids, mask), left-padded like TRL's prompts."""
            from trl.trainer.utils import pad

            ids = [torch.tensor(i) for i in self._tokenize_prompts([r["teacher_prompt"] for r in rows])[0]]
            device, multiple = self.accelerator.device, self.pad_to_multiple_of
            return (pad(ids, padding_value=self._tokenizer.pad_token_id, padding_side="left",
                        pad_to_multiple_of=multiple).to(device),
                    pad([torch.ones_like(i) for i in ids], padding_value=0, padding_side="left",
                        pad_to_multiple_of=multiple).to(device))

        def teacher_input(self, inputs):
            """(input_ids, attention_mask) the teacher scores: its own prompt (if any), then the completion."""
            prompt = "teacher_prompt_ids" if "teacher_prompt_ids" in inputs else "prompt_ids"
            mask = "teacher_prompt_mask" if "teacher_prompt_ids" in inputs else "prompt_mask"
            return (torch.cat([inputs[prompt], inputs["completion_ids"]], dim=1),
                    torch.cat([inputs[mask], inputs["completion_mask"]], dim=1))

        def _get_last_hidden_state(self, unwrapped_model, input_ids, attention_mask, logits_to_keep, *args, **kwargs):
            # TRL's dense loss passes the student's input to both models; the teacher gets its own (teacher_input).
            if self._teacher_inputs is not None and unwrapped_model is self.accelerator.unwrap_model(self.teacher_model):
                input_ids, attention_mask = self._teacher_inputs
            return super()._get_last_hidden_state(unwrapped_model, input_ids, attention_mask, logits_to_keep,
                                                  *args, **kwargs)

        def _generate_single_turn(self, prompt_ids, images, multimodal_fields, has_tool_images=False):
            if not self.model.training or self.on_policy_now():
                return super()._generate_single_turn(prompt_ids, images, multimodal_fields, has_tool_images)
            self.off_policy_batches += 1
            if "answer_ids" in self._rows[0]:
                return [list(row["answer_ids"]) for row in self._rows]
            # The teacher samples: TRL's generation path, run on the teacher instead of the student (after its own
            # prompts, with context distillation; completions do not depend on the prompt's length).
            if "teacher_prompt" in self._rows[0]:
                prompt_ids = self._tokenize_prompts([r["teacher_prompt"] for r in self._rows])[0]
            student = self.model_wrapped
            self.model_wrapped = self.teacher_model
            try:
                return super()._generate_single_turn(prompt_ids, images, multimodal_fields, has_tool_images)
            finally:
                self.model_wrapped = student

        def _compute_loss(self, unwrapped_student, inputs, num_items_in_batch):
            if self.top_k is None:
                self._teacher_inputs = self.teacher_input(inputs) if "teacher_prompt_ids" in inputs else None
                try:
                    return super()._compute_loss(unwrapped_student, inputs, num_items_in_batch)
                finally:
                    self._teacher_inputs = None
            input_ids = torch.cat([inputs["prompt_ids"], inputs["completion_ids"]], dim=1)
            attention_mask = torch.cat([inputs["prompt_mask"], inputs["completion_mask"]], dim=1)
            valid = inputs["completion_mask"].bool()
            width = inputs["completion_ids"].size(1)
            teacher = self.accelerator.unwrap_model(self.teacher_model)
            student_logits = output_logits(unwrapped_student, self._get_last_hidden_state(
                unwrapped_student, input_ids, attention_mask, width)[valid])
            with torch.no_grad():
                teacher_logits = output_logits(teacher, self._get_last_hidden_state(
                    teacher, *self.teacher_input(inputs), width)[valid])
                top, index = teacher_logits.topk(min(self.top_k, teacher_logits.size(-1)), dim=-1)
            divergence = self.divergence(student_logits.gather(-1, index), top, self.beta, self.temperature).sum()
            count = valid.sum()
            loss = divergence / (num_items_in_batch if num_items_in_batch is not None else count.clamp(min=1))
            with torch.no_grad():
                logp = torch.log_softmax(student_logits / self.temperature, dim=-1)
                entropy_sum = -(logp.exp() * logp).sum()
            return loss, entropy_sum, count

    return GKDDistillationTrainer


def lean_sft_trainer():
    """`LeanSFTTrainer`: SFTTrainer whose loss projects only the labelled positions onto the vocabulary (why:
    `workbench.stages.sft`), through the DDP/FSDP wrapper's forward with TRL's private `_ForwardRedirection`."""
    import torch
    from trl import SFTTrainer
    from trl.models.utils import _ForwardRedirection

    from workbench.models.presets import output_logits

    check(["sft"])

    class LeanSFTTrainer(SFTTrainer):
        """SFTTrainer whose loss projects only the labelled positions onto the vocabulary (module docstring)."""

        def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
            # Through the DDP/FSDP/DeepSpeed wrapper's forward (TRL's forward redirection, as its DistillationTrainer
            # does): calling the unwrapped model directly would skip DDP's gradient synchronisation.
            unwrapped = self.accelerator.unwrap_model(model)
            loss = _ForwardRedirection()(model, unwrapped, self._lean_loss, unwrapped, inputs, num_items_in_batch)
            if self.args.average_tokens_across_devices and num_items_in_batch is not None:
                loss = loss * self.accelerator.num_processes  # the count is every rank's tokens; DDP averages (as Trainer)
            return (loss, None) if return_outputs else loss

        def _lean_loss(self, unwrapped, inputs, num_items_in_batch):
            causal_lm = unwrapped
            if hasattr(causal_lm, "get_base_model"):  # a peft model: its LoRA layers live inside the base model
                causal_lm = causal_lm.get_base_model()
            labels = inputs["labels"][:, 1:]
            features = {k: v for k, v in inputs.items() if k not in ("labels", "use_cache")}
            hidden = causal_lm.base_model(**features, use_cache=False).last_hidden_state[:, :-1]
            mask = labels != -100
            logits = output_logits(causal_lm, hidden[mask])
            nll = torch.nn.functional.cross_entropy(logits, labels[mask], reduction="sum")
            count = num_items_in_batch if num_items_in_batch is not None else mask.sum().clamp(min=1)
            return nll / torch.as_tensor(count, device=nll.device)

    return LeanSFTTrainer
