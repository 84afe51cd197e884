"""What every training stage shares: the common settings block, precision choice, and Trainer arguments.

Training stages build on transformers' `Trainer` (or TRL's trainers, which subclass it), which already gives
checkpointing, `resume_from_checkpoint`, TensorBoard logging and a tqdm progress bar with time left. This module
only maps the recipe's settings onto `TrainingArguments` the same way for every stage, with the CPU traps from
NOTES.md handled (use_cpu, no gradient checkpointing, bf16 autocast only where the CPU supports it).
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import Any, Literal

import torch
from pydantic import BaseModel, ConfigDict, Field

from workbench.atomic import atomic_dir, write_json


class TrainSettings(BaseModel):
    """The optimisation block shared by training stages."""

    model_config = ConfigDict(extra="forbid")

    max_steps: int = Field(200, ge=1)
    batch_size: int = Field(16, ge=1)
    grad_accum: int = Field(1, ge=1)
    lr: float = Field(2e-3, gt=0)
    lr_schedule: Literal["cosine", "linear", "constant", "constant_with_warmup"] = "cosine"
    warmup_ratio: float = Field(0.05, ge=0, le=1)
    weight_decay: float = Field(0.0, ge=0)
    max_grad_norm: float = Field(1.0, gt=0)
    precision: Literal["auto", "fp32", "bf16"] = "auto"
    save_steps: int = Field(100, ge=1)
    logging_steps: int = Field(10, ge=1)


def cpu_supports_bf16() -> bool:
    """True only where the CPU multiplies bf16 in hardware (AMX or AVX512-BF16). oneDNN also "supports" bf16 on
    plain AVX-512 by emulation, where it measured 5x slower than fp32 on this project's CI machines."""
    try:
        flags = Path("/proc/cpuinfo").read_text().split()
    except OSError:
        return False
    return "amx_bf16" in flags or "avx512_bf16" in flags


def use_bf16(precision: str) -> bool:
    if precision == "fp32":
        return False
    if torch.cuda.is_available():
        return precision == "bf16" or torch.cuda.is_bf16_supported()
    return precision == "bf16" or cpu_supports_bf16()


def training_arguments(settings: TrainSettings, stage_dir: Path, seed: int, args_class=None, **extra):
    """`TrainingArguments` (or a TRL config class given as `args_class`) from the recipe's settings."""
    from transformers import TrainingArguments

    args_class = args_class or TrainingArguments
    on_gpu = torch.cuda.is_available()
    return args_class(
        output_dir=str(stage_dir / "checkpoints"),
        max_steps=settings.max_steps,
        per_device_train_batch_size=settings.batch_size,
        gradient_accumulation_steps=settings.grad_accum,
        learning_rate=settings.lr,
        lr_scheduler_type=settings.lr_schedule,
        warmup_steps=math.ceil(settings.warmup_ratio * settings.max_steps),
        weight_decay=settings.weight_decay,
        max_grad_norm=settings.max_grad_norm,
        bf16=use_bf16(settings.precision),
        use_cpu=not on_gpu,
        activation_checkpointing=False,  # (gradient checkpointing) TRL configs default it on; it only slows tiny models
        save_strategy="steps",
        save_steps=settings.save_steps,
        save_total_limit=2,
        logging_steps=settings.logging_steps,
        report_to=[],  # TensorBoard goes through `callbacks()`, which puts the events in the stage folder
        seed=seed,
        data_seed=seed,
        dataloader_num_workers=0,
        disable_tqdm=False,
        **extra,
    )


def callbacks(stage_dir: Path) -> list:
    """TensorBoard event files in `stage_dir/runs` (transformers 5 has no `logging_dir` argument any more). The
    callback opens its writer lazily in `logging_dir`, so an evaluation after training logs to the same folder."""
    from transformers.integrations import TensorBoardCallback

    tensorboard = TensorBoardCallback()
    tensorboard.logging_dir = str(stage_dir / "runs")
    return [tensorboard]


def train_and_save_model(trainer, model, tokenizer, ctx) -> tuple[Any, float]:
    """Train (from the stage's last checkpoint, if an interrupted run left one), keep the log history, and save the
    model with its tokenizer atomically to `stage_dir/model`. Returns (the trainer's result, seconds trained)."""
    checkpoint = ctx.last_checkpoint()
    started = time.perf_counter()
    result = trainer.train(resume_from_checkpoint=str(checkpoint) if checkpoint else None)
    seconds = time.perf_counter() - started
    save_history(trainer, ctx.stage_dir)
    with atomic_dir(ctx.stage_dir / "model") as tmp:
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
    return result, seconds


def save_history(trainer, stage_dir: Path) -> list[dict]:
    """Keep the trainer's log history (loss, lr, grad norm per logging step) as `history.json` for plots."""
    history = [h for h in trainer.state.log_history]
    write_json(stage_dir / "history.json", history)
    return history


def read_history(stage_dir: Path) -> list[dict]:
    p = Path(stage_dir) / "history.json"
    return json.loads(p.read_text()) if p.exists() else []
