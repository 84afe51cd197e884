"""Stage `rlhf`: policy optimisation against a reward model (Gemma 2 §4's RLHF) with TRL's RLOOTrainer or
GRPOTrainer (`algorithm: rloo | grpo`).

The policy (`model`, e.g. an sft or distill stage) samples `num_generations` answers per prompt (`data`: a task-world
stage's `prompts/train.jsonl`, or a prompt-only file) at `temperature`, at most `max_new_tokens` long. Each answer's
reward is the reward model's score (`reward_model`: a reward stage), plus, with `verifiable_reward_weight` > 0, that
weight times the task-world verifier's verdict (1 if `workbench.taskworld.verify` accepts the answer for the row's
`meta`, else 0; the data then must be task-world prompts). TRL hands every dataset column but the prompt to reward
functions as keyword arguments, so the rows' `meta` reaches `verifiable_reward` as it is.
`prompt_noise` adds a changed copy of every prompt (`workbench.prompt_noise`); the copy keeps its row's `meta`, so the
verifier judges answers to wordings the data does not have by what was asked, not how.

KL regularisation: `beta` times the KL to an anchor policy. `anchor: start` keeps the policy as it started; `anchor:
ema` is WARP's first stage: the anchor is an exponential moving average of the policy, updated after every
optimiser step as anchor <- (1 - ema_rate) * anchor + ema_rate * policy. That is exactly TRL's `sync_ref_model`
with `ref_model_mixup_alpha = ema_rate` and `ref_model_sync_steps = 1` (its SyncRefModelCallback mixes every
parameter in place), so the stage uses it. TRL rebuilds the anchor from the policy's `name_or_path`; a policy built
in memory (a preset) is saved to `stage_dir/start_model` first (RLOO has no `ref_model` argument).

With RLOO, a Gemma 2 policy samples through `workbench.trl_private.FastGeneration` (the same tokens as TRL's `generate`
path, faster); GRPO's generation step also returns log-probabilities and keeps TRL's path.

LoRA (`lora:`, `workbench.adapters`): the policy trains an adapter, and TRL's trainer, which wraps the model itself,
computes the reference log-probabilities with the adapter disabled: the anchor is the starting policy without a second
copy of it in memory. (TRL cannot move an EMA anchor of a PEFT model, so `anchor: ema` needs full fine-tuning.)
Output: `stage_dir/model` (the policy with its tokenizer; for LoRA the merged policy, unless `lora.merge` is false,
and `adapter/`), `history.json`. Metrics: mean reward (weighted total and per reward) at the first and last logging
step, the KL to the anchor at the last one, steps/s, seconds per step and the stage's peak memory.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from workbench import adapters, prompt_noise, trl_private
from workbench.atomic import atomic_dir
from workbench.ranks import is_main_process, wait_for_everyone
from workbench.errors import WorkbenchError
from workbench.memory import reset_peak_memory
from workbench.generation import chat_tokenizer
from workbench.stages.base import DataRef, ModelRef, StageConfig, StageContext, neutral
from workbench.training import MAX_BATCH, TrainSettings, callbacks, train_and_save_model, training_arguments

PRODUCES = {"model"}


class RLHFTrainSettings(TrainSettings):
    # TRL's default 1e-6 barely moves a tiny model. Class fields, so a partial `train:` block keeps them.
    lr: float = Field(1e-5, gt=0, le=10,
        description="Peak learning rate (TRL's default 1e-6 barely moves a tiny model).")
    batch_size: int = Field(8, ge=1, le=MAX_BATCH, description="Completions per step: prompts x num_generations.")


class Config(StageConfig):
    kind: Literal["rlhf"] = Field("rlhf", description="The stage kind (fixed for this module).")
    algorithm: Literal["rloo", "grpo"] = Field("rloo",
        description="rloo: REINFORCE leave-one-out; grpo: group-relative policy optimisation (TRL's trainers).")
    model: ModelRef = Field(description="The policy to start from.")
    reward_model: ModelRef = Field(description="A reward stage.")
    data: DataRef = Field(description="A task-world stage (prompts/train.jsonl) or a prompt-only file.")
    beta: float = Field(0.05, ge=0, le=1000, description="KL coefficient towards the anchor.")
    num_generations: int = Field(4, ge=2, le=1024,
        description="Answers sampled per prompt (the group the baseline is taken over).")
    max_new_tokens: int = Field(64, ge=1, le=65_536, description="Tokens per sampled answer.")
    temperature: float = Field(1.0, gt=0, le=100, description="Sampling temperature of the policy.")
    verifiable_reward_weight: float = Field(0.0, ge=0, le=1000,
        description="> 0: add the task-world verifier's verdict, so weighted.")
    anchor: Literal["start", "ema"] = Field("start",
        description="The KL anchor: the starting policy, or an exponential moving average of the policy (WARP).")
    ema_rate: float = Field(0.01, gt=0, le=1, description="With anchor: ema.")
    prompt_noise: float = Field(0.0, ge=0, le=0.5, description=prompt_noise.HELP,
        json_schema_extra=neutral(0.0))
    train: RLHFTrainSettings = Field(RLHFTrainSettings(), description="Optimisation settings.")
    lora: adapters.AdapterSettings | None = Field(None, description="train a LoRA adapter on the policy; the anchor "
                                                  "is the policy with the adapter disabled (workbench.adapters)")

    @model_validator(mode="after")
    def _consistent(self):
        if self.train.batch_size % self.num_generations:
            raise ValueError(f"train.batch_size ({self.train.batch_size}) must be a multiple of num_generations "
                             f"({self.num_generations}): a step takes whole groups of answers to one prompt")
        if self.anchor == "ema" and self.beta == 0:
            raise ValueError("anchor: ema needs beta > 0 (with beta 0 there is no KL to an anchor)")
        if self.anchor == "ema" and self.lora is not None:
            raise ValueError("anchor: ema cannot move the anchor of a LoRA policy (TRL's anchor is then the policy "
                             "with its adapter disabled); use anchor: start, or drop the lora block")
        return self


# --- data and rewards ------------------------------------------------------------------------------------------


def prompt_path(ctx: StageContext, ref: str) -> Path:
    path = ctx.data_path(ref)
    if not path.is_dir():
        return path
    file = path / "prompts" / "train.jsonl"
    if not file.is_file():
        raise WorkbenchError(f"stage {ctx.stage_name}: {ref!r} has no prompts/train.jsonl (looked for {file}); "
                             "name a taskworld stage or a prompt-only file")
    return file


def load_prompts(path: Path, verifiable: bool):
    """The prompt-only dataset at `path` (extra columns such as `meta` kept for the reward functions)."""
    from workbench.data import load_dataset

    dataset = load_dataset(path, expect="prompt_only")
    if verifiable and ("meta" not in dataset.column_names
                       or not all(isinstance(m, dict) and "check" in m for m in dataset["meta"])):
        raise WorkbenchError(f"{path}: verifiable_reward_weight needs task-world prompts (every row's `meta` with a "
                             "`check`); name a taskworld stage, or set verifiable_reward_weight: 0")
    return dataset


def completion_text(completion) -> str:
    """The answer's text: a string, or the last message of a conversational completion."""
    return completion if isinstance(completion, str) else completion[-1]["content"]


def verifiable_reward(prompts, completions, meta, **_) -> list[float]:
    """1.0 where the task-world verifier accepts the answer for the row's `meta`, else 0.0 (a TRL reward function)."""
    from workbench.taskworld import verify

    return [float(verify(m, completion_text(c))) for m, c in zip(meta, completions)]


# --- models ----------------------------------------------------------------------------------------------------


def load_policy(cfg: Config, ctx: StageContext):
    """(policy, tokenizer); the policy's config `_name_or_path` names a folder holding its starting weights, from which TRL
    builds the KL anchor."""
    from workbench.models import load_model

    policy, tokenizer = load_model(ctx.model_path(cfg.model), tokenizer=ctx.tokenizer_path(cfg.model), seed=ctx.seed)
    tokenizer = chat_tokenizer(tokenizer)
    if cfg.lora is not None:  # the anchor is the adapter-disabled policy; name the base for adapter/
        from workbench.stages.sft import name_the_base

        name_the_base(policy, tokenizer, ctx)
        return policy, tokenizer
    source = policy.config._name_or_path
    if not source or not (Path(source) / "config.json").is_file():
        start = ctx.stage_dir / "start_model"
        if is_main_process():
            with atomic_dir(start) as tmp:
                policy.save_pretrained(tmp)
                tokenizer.save_pretrained(tmp)
        wait_for_everyone()
        policy.config._name_or_path = str(start)
    return policy, tokenizer


def load_reward_model(cfg: Config, ctx: StageContext, tokenizer):
    """(reward model, its tokenizer); it must read the policy's vocabulary."""
    from transformers import AutoModelForSequenceClassification

    from workbench.models import load_model

    model, reward_tokenizer = load_model(ctx.model_path(cfg.reward_model),
                                         tokenizer=ctx.tokenizer_path(cfg.reward_model), seed=ctx.seed,
                                         model_class=AutoModelForSequenceClassification, num_labels=1)
    if reward_tokenizer.get_vocab() != tokenizer.get_vocab():
        raise WorkbenchError(f"stage {ctx.stage_name}: reward_model {cfg.reward_model!r} uses another vocabulary than "
                             f"model {cfg.model!r}; train the reward model on the policy's tokenizer")
    model.requires_grad_(False)
    return model.eval(), chat_tokenizer(reward_tokenizer)


def build_trainer(cfg: Config, ctx: StageContext, policy, tokenizer, reward_model, reward_tokenizer, dataset):
    """The RLOO or GRPO trainer with the stage's rewards and anchor."""
    import trl

    config_class, trainer_class = {"rloo": (trl.RLOOConfig, trl_private.rloo_trainer()),
                                   "grpo": (trl.GRPOConfig, trl.GRPOTrainer)}[cfg.algorithm]
    reward_funcs, reward_classes, weights = [reward_model], [reward_tokenizer], [1.0]
    if cfg.verifiable_reward_weight > 0:
        reward_funcs.append(verifiable_reward)
        reward_classes.append(None)
        weights.append(cfg.verifiable_reward_weight)
    anchor = ({"sync_ref_model": True, "ref_model_mixup_alpha": cfg.ema_rate, "ref_model_sync_steps": 1}
              if cfg.anchor == "ema" else {})
    args = training_arguments(cfg.train, ctx.stage_dir, ctx.seed, args_class=config_class, beta=cfg.beta,
                              num_generations=cfg.num_generations, max_completion_length=cfg.max_new_tokens,
                              temperature=cfg.temperature, reward_weights=weights, **anchor)
    return trainer_class(model=policy, reward_funcs=reward_funcs, args=args, train_dataset=dataset,
                         processing_class=tokenizer, reward_processing_classes=reward_classes,
                         callbacks=callbacks(ctx.stage_dir),
                         peft_config=adapters.peft_config(cfg.lora, "CAUSAL_LM") if cfg.lora else None)


def history_metrics(history: list[dict]) -> dict:
    """Mean rewards at the first and last logging step, and the KL to the anchor at the last."""
    logged = [h for h in history if "reward" in h]
    if not logged:
        return {}
    first, last = logged[0], logged[-1]
    keys = ["reward"] + sorted(k for k in first if k.startswith("rewards/") and k.endswith("/mean"))
    out = {f"{k}_start": first[k] for k in keys} | {f"{k}_end": last[k] for k in keys}
    if "kl" in last:
        out["kl_end"] = last["kl"]
    return out


def run(cfg: Config, ctx: StageContext) -> dict:
    from workbench.models import describe

    reset = reset_peak_memory()
    path = prompt_path(ctx, cfg.data)
    prompts = load_prompts(path, cfg.verifiable_reward_weight > 0)
    dataset = prompts if cfg.prompt_noise == 0 else type(prompts).from_list(
        prompt_noise.with_noised_copies(prompts.to_list(), cfg.prompt_noise, ctx.seed), features=prompts.features)
    policy, tokenizer = load_policy(cfg, ctx)
    reward_model, reward_tokenizer = load_reward_model(cfg, ctx, tokenizer)
    trainer = build_trainer(cfg, ctx, policy, tokenizer, reward_model, reward_tokenizer, dataset)
    checkpoint = ctx.last_checkpoint()
    if cfg.lora is None:
        result, seconds = train_and_save_model(trainer, policy, tokenizer, ctx)
    else:
        result, seconds = adapters.train(trainer, ctx)
        trained = describe(trainer.model)  # with its LoRA layers, before merging takes them out
        adapters.save_adapter(trainer, tokenizer, cfg.lora, ctx)
    history = trainer.state.log_history
    return {
        "algorithm": cfg.algorithm,
        "anchor": cfg.anchor,
        "train_loss": round(result.training_loss, 4),
        "train_prompts": len(prompts),
        "noised_prompts": len(dataset) - len(prompts),
        "train_seconds": round(seconds, 2),
        "steps_per_second": result.metrics.get("train_steps_per_second"),
        "resumed_from_step": int(checkpoint.name.split("-")[-1]) if checkpoint else None,
        **{k: round(v, 4) for k, v in history_metrics(history).items() if isinstance(v, float)},
        "model": describe(policy) if cfg.lora is None else trained,
        "lora": cfg.lora.model_dump() if cfg.lora else None,
        **adapters.resource_metrics(seconds, trainer.state.global_step, reset),
    }
