"""LoRA for the stages after SFT (reward, rlhf, dpo): their shared `lora:` block, the peft config, training and
saving an adapter, and the memory and step-time figures every training stage reports.

The block is `workbench.stages.sft.AdapterSettings` (r, alpha, dropout, target_modules, merge): sft's without a
4-bit base or trainable turn-marker rows. The stage hands the peft config to TRL's trainer, which wraps the model
itself, so TRL knows it is a PEFT model: DPOTrainer, RLOOTrainer and GRPOTrainer then take the adapter-disabled model as the frozen reference instead of
building a second copy of the model. A reward model's score head is new, so it is trained in full next to the
adapter (peft's `modules_to_save`). Outputs: `adapter/` (loadable with peft's `AutoPeftModelFor...` classes: its
base is named by an absolute folder) and, with `merge` (the default), `model/`, the adapter merged into the base, a
plain model later stages load as they load any other.
"""

from __future__ import annotations

import time
from typing import Any, Literal

from workbench.atomic import atomic_dir
from workbench.distributed import is_main_process, wait_for_everyone
from workbench.memory import peak_rss_mib
from workbench.stages.sft import AdapterSettings
from workbench.training import save_history, save_model


def peft_config(settings: AdapterSettings, task: Literal["CAUSAL_LM", "SEQ_CLS"]):
    """peft's LoraConfig for a policy (CAUSAL_LM) or a reward model (SEQ_CLS, whose `score` head trains in full)."""
    from peft import LoraConfig

    return LoraConfig(r=settings.r, lora_alpha=settings.alpha, lora_dropout=settings.dropout,
                      target_modules=settings.target_modules, task_type=task,
                      modules_to_save=["score"] if task == "SEQ_CLS" else None)


def train(trainer, ctx) -> tuple[Any, float]:
    """Train (from the stage's last checkpoint, if any) and keep the log history; (the trainer's result, seconds)."""
    checkpoint = ctx.last_checkpoint()
    started = time.perf_counter()
    result = trainer.train(resume_from_checkpoint=str(checkpoint) if checkpoint else None)
    seconds = time.perf_counter() - started
    save_history(trainer, ctx.stage_dir)
    return result, seconds


def save_adapter(trainer, tokenizer, settings: AdapterSettings, ctx) -> None:
    """`adapter/`, and with `settings.merge` `model/`: the adapter merged into the base (which changes
    `trainer.model` into the plain merged model, so measure with the adapter before calling this)."""
    save_model(trainer, trainer.model, tokenizer, ctx.stage_dir / "adapter")
    if not settings.merge:
        return
    merged = trainer.model.merge_and_unload()
    if is_main_process():
        with atomic_dir(ctx.stage_dir / "model") as tmp:
            merged.save_pretrained(tmp)
            tokenizer.save_pretrained(tmp)
    wait_for_everyone()


def resource_metrics(seconds: float, steps: int, reset: bool) -> dict:
    """Peak resident memory (MiB; `workbench.memory.peak_rss_mib`) since `reset_peak_memory` (`reset`: whether that worked,
    else since the process started) and wall seconds per optimiser step."""
    return {"peak_rss_mib": peak_rss_mib(), "peak_rss_since": "stage start" if reset else "process start",
            "seconds_per_step": round(seconds / steps, 4) if steps else None}
