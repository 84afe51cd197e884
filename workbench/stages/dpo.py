"""Stage `dpo`: offline preference optimisation with TRL's DPOTrainer, an alternative to `reward` + `rlhf`.

The policy (`model`, e.g. an sft stage's model) learns from preference pairs (`data`: a task-world stage's
`preference/train.jsonl` or any TRL preference file) against a frozen reference: `ref_model`, or by default a frozen
copy of the policy as it starts (built with TRL's `create_reference_model`, since TRL cannot rebuild a model made in
memory: it reloads the reference from the empty `_name_or_path`). `beta` and `loss_type` are TRL's (`loss_type` one
of TRL's DPO losses). Sequences longer than `max_length` tokens are cut at the end, as TRL does.
Metrics on the held-out pairs (`eval_data`, or a task world's validation split): TRL's evaluation (`eval_rewards/
accuracies`, `eval_rewards/margins`, …, batch means), and, per pair, the held-out pairwise accuracy and mean margin of
the implicit reward beta * (log pi(y|x) - log pi_ref(y|x)), overall and per task-world skill.
LoRA (`lora:`, `workbench.adapters`): the policy trains an adapter and the reference is the policy with the adapter
disabled (TRL's `ref_model=None` with a PEFT model), so there is no second copy of the model; `ref_model` must then
be left out. Output: `stage_dir/model`, the policy with its tokenizer (for LoRA the merged policy unless
`lora.merge` is false, and `adapter/`). Metrics include seconds per step and the stage's peak memory.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from workbench import adapters
from workbench.errors import WorkbenchError
from workbench.memory import reset_peak_memory
from workbench.preference import (completion_logps, held_out_metrics, held_out_path, load_pairs, preference_path,
                                  prompt_and_answers, rounded)
from workbench.stages.base import DataRef, ModelRef, StageConfig, StageContext
from workbench.training import TrainSettings, callbacks, save_history, train_and_save_model, training_arguments

PRODUCES = {"model"}


class DPOTrainSettings(TrainSettings):
    # Tiny models barely move at TRL's default 1e-6. A class field, so a partial `train:` block keeps it.
    lr: float = Field(1e-5, gt=0, le=10,
        description="Peak learning rate (tiny models barely move at TRL's default 1e-6).")


LOSS_TYPES = ("sigmoid", "hinge", "ipo", "exo_pair", "nca_pair", "robust", "bco_pair", "sppo_hard", "aot",
              "aot_unpaired", "apo_zero", "apo_down", "discopop", "sft", "sigmoid_norm")  # TRL 1.16's DPOConfig


class Config(StageConfig):
    kind: Literal["dpo"] = Field("dpo", description="The stage kind (fixed for this module).")
    model: ModelRef = Field(description="The policy to start from, e.g. an sft stage.")
    ref_model: ModelRef | None = Field(None, description="Default: a frozen copy of `model` as it starts.")
    data: DataRef = Field(description="A task-world stage or a TRL preference file.")
    eval_data: DataRef | None = Field(None, description="Held-out pairs; default: a task world's validation split.")
    beta: float = Field(0.1, gt=0, le=1000, description="DPO's beta: how far the policy may move from the reference.")
    loss_type: Literal[LOSS_TYPES] = Field("sigmoid", description="TRL's DPO loss variant.")
    max_length: int = Field(512, ge=8, le=1_048_576,
        description="Tokens per prompt + answer; longer pairs are truncated.")
    train: DPOTrainSettings = Field(DPOTrainSettings(),
        description="Optimisation settings (TRL's DPOTrainer underneath).")
    lora: adapters.AdapterSettings | None = Field(None, description="train a LoRA adapter on the policy; the "
                                                  "reference is the policy with the adapter disabled")

    @model_validator(mode="after")
    def _lora_reference(self):
        if self.lora is not None and self.ref_model is not None:
            raise ValueError("with lora the reference is the policy with its adapter disabled; drop ref_model")
        return self


def load_policy_and_reference(cfg: Config, ctx: StageContext):
    """(policy, frozen reference, tokenizer); the reference must read the policy's vocabulary."""
    try:  # its home since TRL 1.x; the top-level import warns that it will go
        from trl.experimental.utils import create_reference_model
    except ImportError:
        from trl import create_reference_model

    from workbench.models import load_model

    policy, tokenizer = load_model(ctx.model_path(cfg.model), tokenizer=ctx.tokenizer_path(cfg.model), seed=ctx.seed)
    if cfg.lora is not None:  # the reference is the adapter-disabled policy; name the base for adapter/
        from workbench.stages.sft import name_the_base

        name_the_base(policy, tokenizer, ctx)
        return policy, None, tokenizer
    if cfg.ref_model is None:
        return policy, create_reference_model(policy), tokenizer
    reference, ref_tokenizer = load_model(ctx.model_path(cfg.ref_model), tokenizer=ctx.tokenizer_path(cfg.ref_model),
                                          seed=ctx.seed)
    if ref_tokenizer.get_vocab() != tokenizer.get_vocab():
        raise WorkbenchError(f"ref_model {cfg.ref_model!r} uses another vocabulary than model {cfg.model!r}; "
                             "DPO compares both models' probabilities of the same tokens: give them the same tokenizer")
    return policy, create_reference_model(reference), tokenizer


def implicit_reward_metrics(policy, reference, tokenizer, pairs, beta: float) -> dict:
    """Held-out pairwise accuracy and mean margin of DPO's implicit reward, overall and per task-world skill. A
    reference of None means the policy (a PeftModel) with its adapter disabled."""
    rows = pairs.to_list()
    prompts, chosen, rejected = zip(*(prompt_and_answers(row) for row in rows))
    prompts_twice, answers = list(prompts) * 2, list(chosen) + list(rejected)
    policy_logps = completion_logps(policy, tokenizer, prompts_twice, answers)
    if reference is None:
        with policy.disable_adapter():
            reference_logps = completion_logps(policy, tokenizer, prompts_twice, answers)
    else:
        reference_logps = completion_logps(reference, tokenizer, prompts_twice, answers)
    rewards = [beta * (p - r) for p, r in zip(policy_logps, reference_logps)]
    return held_out_metrics([row.get("meta") for row in rows], rewards[: len(rows)], rewards[len(rows):],
                            accuracy="implicit_reward_accuracy", margin="implicit_reward_margin")


def run(cfg: Config, ctx: StageContext) -> dict:
    from trl import DPOConfig, DPOTrainer

    reset = reset_peak_memory()
    policy, reference, tokenizer = load_policy_and_reference(cfg, ctx)
    train_path = preference_path(ctx, cfg.data, "train")
    train = load_pairs(train_path, tokenizer)
    eval_path = held_out_path(ctx, cfg.data, cfg.eval_data)
    held_out = load_pairs(eval_path, tokenizer) if eval_path is not None else None
    s = cfg.train
    args = training_arguments(s, ctx.stage_dir, ctx.seed, args_class=DPOConfig, beta=cfg.beta,
                              loss_type=[cfg.loss_type], max_length=cfg.max_length,
                              per_device_eval_batch_size=s.batch_size,
                              eval_strategy="steps" if held_out is not None else "no", eval_steps=s.save_steps)
    trainer = DPOTrainer(model=policy, ref_model=reference, args=args, train_dataset=train, eval_dataset=held_out,
                         processing_class=tokenizer, callbacks=callbacks(ctx.stage_dir),
                         peft_config=adapters.peft_config(cfg.lora, "CAUSAL_LM") if cfg.lora else None)
    if len(trainer.train_dataset) == 0:
        raise WorkbenchError(f"{train_path}: every prompt fills max_length={cfg.max_length} tokens, leaving no answer "
                             "to learn from; raise max_length")
    if cfg.lora is None:
        result, wall = train_and_save_model(trainer, policy, tokenizer, ctx)
    else:
        result, wall = adapters.train(trainer, ctx)
        policy = trainer.model  # the PeftModel: measured with its adapter, saved at the end
    metrics = {
        "train_loss": result.training_loss,
        "train_pairs": len(trainer.train_dataset),
        "train_seconds": wall,
        "steps_per_second": result.metrics.get("train_steps_per_second"),
        "trainable_parameters": sum(p.numel() for p in policy.parameters() if p.requires_grad),
        "lora": cfg.lora.model_dump() if cfg.lora else None,
        **adapters.resource_metrics(wall, trainer.state.global_step, reset),
    }
    if held_out is not None:
        evaluation = trainer.evaluate()
        metrics.update({k: v for k, v in evaluation.items() if k.startswith(("eval_loss", "eval_rewards/"))})
        metrics.update(implicit_reward_metrics(policy, reference, tokenizer, held_out, cfg.beta))
    save_history(trainer, ctx.stage_dir)
    if cfg.lora is not None:
        adapters.save_adapter(trainer, tokenizer, cfg.lora, ctx)
    return rounded(metrics)
