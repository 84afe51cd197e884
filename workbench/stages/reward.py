"""Stage `reward`: a reward model (Gemma 2 §4's RLHF reward) trained on preference pairs with TRL's RewardTrainer.

The model is a sequence-classification head with one output on the given model (`AutoModelForSequenceClassification`,
`num_labels=1`): a stage's trained model keeps its backbone and gets a new, seeded score head. Pairs come from
exactly one of
  * `data`: a task-world stage (its `preference/train.jsonl`: a correct answer against a wrong or unsafe one) or any
    TRL preference file (standard or conversational, explicit or implicit prompt, multi-turn prompts included);
  * `store`: the rating store (a database URL or SQLite path), exported into `stage_dir/preference.jsonl` with
    `workbench.store.preference_io.export_file` and trained on as it is, with no conversion step;
  * or both: `data`'s pairs and the store's ratings in one file (a task world's pairs plus people's ratings).
With `store`, the number of ratings and a hash of them are inputs of the stage's fingerprint (the manifest shows the
count as `store_ratings`), so new ratings rerun this stage and everything downstream; `min_ratings` makes
`workbench run` stop before this stage (`WaitingForPeople`, exit 3) until the store has that many.
Held-out pairs (`eval_data`, or a task world's validation split) give the metrics: pairwise accuracy (the fraction of
pairs where r(chosen) > r(rejected)) and the mean margin, overall and per task-world skill, computed per pair with
`workbench.preference.score_texts`, and `off_topic_accuracy`: how often the model prefers each held-out pair's
chosen answer to another prompt's chosen answer. `off_topic_pairs` > 0 adds that fraction of such pairs to training
(`workbench.preference.off_topic_pairs`): without them a reward model learns what good answers look like, not that
they must answer the question, and RLHF exploits it. Pairs longer than `max_length` tokens are left out, as TRL
does, and counted.
With a `lora:` block (`workbench.adapters`), the backbone trains a LoRA adapter and the new score head trains in full
(peft `task_type=SEQ_CLS`, `modules_to_save=["score"]`); `adapter/` holds both and `model/` the merged reward model.
Output: `stage_dir/model`, the reward model with its tokenizer (pad token set). Metrics include the stage's peak
memory and seconds per step.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from workbench import adapters
from workbench.errors import WorkbenchError
from workbench.memory import reset_peak_memory
from workbench.preference import (combine_with_store, explicit_dataset, explicit_pairs, export_store,
                                  held_out_metrics, held_out_path,
                                  load_pairs, off_topic_pairs, pair_conversations, pairwise_accuracy, preference_path,
                                  rounded, score_texts)
from workbench.stages.base import DataRef, ModelRef, StageConfig, StageContext
from workbench.training import TrainSettings, callbacks, train_and_save_model, training_arguments

PRODUCES = {"model"}


class RewardTrainSettings(TrainSettings):
    # TRL's RewardConfig default. A class field, so a partial `train:` block keeps it.
    lr: float = Field(1e-4, gt=0, le=10, description="Peak learning rate (TRL's RewardConfig default).")


class Config(StageConfig):
    kind: Literal["reward"] = Field("reward", description="The stage kind (fixed for this module).")
    model: ModelRef = Field(description="The backbone: a stage's model (e.g. sft) or a recipe model.")
    data: DataRef | None = Field(None, description="A task-world stage or a TRL preference file.")
    store: str | None = Field(None, description="And/or the rating store: a database URL or a SQLite path.")
    min_ratings: int = Field(0, ge=0, le=10_000_000, description="With `store`: wait for this many ratings (rows the "
                                                                  "store exports) before training; below it, "
                                                                  "`workbench run` stops before this stage, exit 3.")
    eval_data: DataRef | None = Field(None, description="Held-out pairs; default: a task world's validation split.")
    max_length: int = Field(512, ge=8, le=1_048_576, description="Longer pairs are left out of training.")
    off_topic_pairs: float = Field(0.0, ge=0, le=1,
        description="Add this fraction of pairs rejecting another prompt's answer.")
    train: RewardTrainSettings = Field(RewardTrainSettings(),
        description="Optimisation settings (TRL's RewardTrainer underneath).")
    lora: adapters.AdapterSettings | None = Field(None, description="train a LoRA adapter and the score head instead "
                                                  "of the whole model (workbench.adapters)")

    @model_validator(mode="after")
    def _lora_merged(self):
        if self.lora is not None and not self.lora.merge:
            raise ValueError("lora.merge: false would leave no reward model for rlhf and evaluate to load (they read "
                             "model/); drop merge: false")
        return self

    @model_validator(mode="after")
    def _a_source(self):
        if self.data is None and self.store is None:
            raise ValueError("give `data` (a task world or a preference file), `store` (the rating store), or both")
        if self.min_ratings and self.store is None:
            raise ValueError("min_ratings counts the ratings in `store`; give `store` too")
        return self

    def external_inputs(self, locate) -> dict[str, str]:
        """The store's ratings: how many, and a hash of them, so that new ratings rerun this stage and its
        dependants. Fewer than `min_ratings`: WaitingForPeople, before the stage starts."""
        from workbench.errors import WaitingForPeople
        from workbench.preference import store_ratings

        if not self.store:
            return {}
        count, digest, url = store_ratings(self.store, locate)
        if count < self.min_ratings:
            raise WaitingForPeople(self.stage_name, count, self.min_ratings, url)
        return {"store": digest, "store_ratings": str(count)}


def load_reward_model(cfg: Config, ctx: StageContext):
    """The backbone of `cfg.model` with a one-output score head, seeded. (RewardTrainer sets the pad token.)"""
    from transformers import AutoModelForSequenceClassification, set_seed

    from workbench.models import load_model

    set_seed(ctx.seed)  # the new score head's initialisation
    return load_model(ctx.model_path(cfg.model), tokenizer=ctx.tokenizer_path(cfg.model), seed=ctx.seed,
                      model_class=AutoModelForSequenceClassification, num_labels=1)


def reward_metrics(model, tokenizer, pairs, seed: int) -> dict:
    """Pairwise accuracy and mean margin of the reward model on `pairs`, overall and per task-world skill, and its
    accuracy on off-topic pairs built from them (each chosen answer against another prompt's)."""

    def scored(rows):  # (chosen scores, rejected scores)
        chosen, rejected = zip(*(pair_conversations(row) for row in rows))
        scores = score_texts(model, tokenizer, list(chosen) + list(rejected))
        return scores[: len(rows)], scores[len(rows):]

    rows = explicit_pairs(pairs)
    metrics = held_out_metrics([row.get("meta") for row in rows], *scored(rows), accuracy="pairwise_accuracy",
                               margin="mean_margin")
    if off_topic := off_topic_pairs(rows, 1.0, seed):
        metrics["off_topic_accuracy"] = pairwise_accuracy(*scored(off_topic))["accuracy"]
    return metrics


def _train_file(cfg: Config, ctx: StageContext):
    """The training pairs: `data`'s, the store's (exported into the stage folder), or both in one file."""
    if cfg.store is None:
        return preference_path(ctx, cfg.data, "train")
    out = ctx.stage_dir / "preference.jsonl"
    if cfg.data is None:
        return export_store(cfg.store, ctx, out)
    return combine_with_store(preference_path(ctx, cfg.data, "train"), cfg.store, ctx, out)


def run(cfg: Config, ctx: StageContext) -> dict:
    from trl import RewardConfig, RewardTrainer

    reset = reset_peak_memory()
    model, tokenizer = load_reward_model(cfg, ctx)
    if cfg.lora is not None:
        from workbench.stages.sft import name_the_base

        name_the_base(model, tokenizer, ctx)  # so that adapter/ names its base
    train_path = _train_file(cfg, ctx)
    train = load_pairs(train_path, tokenizer)
    added = []
    if cfg.off_topic_pairs:
        rows = explicit_pairs(train)
        added = off_topic_pairs(rows, cfg.off_topic_pairs, ctx.seed)
        if not added and round(cfg.off_topic_pairs * len(rows)):
            raise WorkbenchError(f"{train_path}: off_topic_pairs needs pairs with at least two different prompts; "
                                 "set off_topic_pairs: 0")
        train = explicit_dataset(train, rows + added)
    eval_path = held_out_path(ctx, cfg.data, cfg.eval_data)
    held_out = load_pairs(eval_path, tokenizer) if eval_path is not None else None
    s = cfg.train
    args = training_arguments(s, ctx.stage_dir, ctx.seed, args_class=RewardConfig, max_length=cfg.max_length,
                              per_device_eval_batch_size=s.batch_size,
                              eval_strategy="steps" if held_out is not None else "no", eval_steps=s.save_steps)
    trainer = RewardTrainer(model=model, args=args, train_dataset=train, eval_dataset=held_out,
                            processing_class=tokenizer, callbacks=callbacks(ctx.stage_dir),
                            peft_config=adapters.peft_config(cfg.lora, "SEQ_CLS") if cfg.lora else None)
    kept = len(trainer.train_dataset)
    if kept == 0:
        raise WorkbenchError(f"{train_path}: every pair is longer than max_length={cfg.max_length} tokens; "
                             "raise max_length")
    if cfg.lora is None:
        result, wall = train_and_save_model(trainer, model, tokenizer, ctx)
    else:
        result, wall = adapters.train(trainer, ctx)
        model = trainer.model  # the PeftModel: measured with its adapter, then saved (adapter/, merged model/)
    metrics = {
        "train_loss": result.training_loss,
        "train_pairs": kept,
        "train_pairs_off_topic": len(added),
        "train_pairs_too_long": len(train) - kept,
        "train_seconds": wall,
        "steps_per_second": result.metrics.get("train_steps_per_second"),
        "parameters": sum(p.numel() for p in model.parameters()),
        "trainable_parameters": sum(p.numel() for p in model.parameters() if p.requires_grad),
        "lora": cfg.lora.model_dump() if cfg.lora else None,
        **adapters.resource_metrics(wall, trainer.state.global_step, reset),
    }
    if held_out is not None:
        metrics.update(reward_metrics(model, tokenizer, held_out, ctx.seed))
    if cfg.lora is not None:
        adapters.save_adapter(trainer, tokenizer, cfg.lora, ctx)
    return rounded(metrics)
