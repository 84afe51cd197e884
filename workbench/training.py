"""What every training stage shares: the common settings block, precision choice, and Trainer arguments.

Training stages build on transformers' `Trainer` (or TRL's trainers, which subclass it), which already gives
checkpointing, `resume_from_checkpoint`, TensorBoard logging and per-step logs. This module only maps the recipe's
settings onto `TrainingArguments` the same way for every stage, with the CPU traps handled (use_cpu,
no gradient checkpointing, bf16 autocast only where the CPU supports it), reports progress to the console's stage
line (`workbench.console`; the Trainer's own tqdm bar only with `-v`), records what decides a stage's numerics
(`numerics`), and saves the trained model the same way under every launcher: in a distributed launch
(workbench.launcher) every rank takes part in gathering the weights (ZeRO-3 and FSDP shard them) and rank 0
alone writes.
"""

from __future__ import annotations

import functools
import math
import time
from pathlib import Path
from typing import Any, Literal

import torch
from pydantic import BaseModel, ConfigDict, Field

from workbench import console
from workbench.atomic import atomic_dir, write_json
from workbench.errors import TrainingDiverged
from workbench.ranks import is_main_process, wait_for_everyone
from workbench.rundir import HISTORY


MAX_STEPS = 10_000_000  # generous but finite bounds: a typo such as 1e30 steps is refused by `recipe check`
# (save_steps and logging_steps go up to 2**31 - 1: a huge value is a way to say "never")
MAX_BATCH = 65_536


class TrainSettings(BaseModel):
    """The optimisation block shared by training stages."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)  # every float finite: .inf or .nan is an error

    max_steps: int = Field(200, ge=1, le=MAX_STEPS, description="Optimizer steps to train for.")
    batch_size: int = Field(16, ge=1, le=MAX_BATCH, description="Examples per device per forward pass.")
    grad_accum: int = Field(1, ge=1, le=MAX_BATCH, description="Forward passes accumulated into one optimizer step.")
    lr: float = Field(2e-3, gt=0, le=10, description="Peak learning rate (finite, positive).")
    lr_schedule: Literal["cosine", "linear", "constant", "constant_with_warmup"] = Field(
        "cosine", description="How the learning rate changes over the steps (transformers' scheduler names).")
    warmup_ratio: float = Field(0.05, ge=0, le=1, description="Share of the steps spent warming the learning rate up.")
    weight_decay: float = Field(0.0, ge=0, le=10, description="AdamW weight decay.")
    max_grad_norm: float = Field(1.0, gt=0, description="Gradients are clipped to this global norm.")
    precision: Literal["auto", "fp32", "bf16"] = Field(
        "auto", description="auto: bf16 autocast where the GPU or CPU multiplies bf16 in hardware, else fp32.")
    save_steps: int = Field(100, ge=1, le=2**31 - 1, description="Steps between checkpoints (for resuming).")
    logging_steps: int = Field(10, ge=1, le=2**31 - 1, description="Steps between logged losses.")
    compile: bool = Field(False, exclude_if=lambda on: not on,
                          description="torch.compile the model: about 40 s up front, pays off on long pretraining runs.")


# CPU features that change which kernels torch (ATen, oneDNN) picks, and so the low bits of every result.
KERNEL_CPU_FLAGS = ("avx2", "fma", "avx512f", "avx512_vnni", "avx512_bf16", "avx512_fp16", "amx_tile", "amx_bf16",
                    "amx_int8", "asimd", "sve")


@functools.cache
def _cpuinfo_field(*keys: str) -> str:
    """The first /proc/cpuinfo line's value whose key starts with one of `keys` ("" where there is none)."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return ""
    line = next((ln for ln in text.splitlines() if ln.startswith(keys)), "")
    return line.partition(":")[2].strip()


def cpu_flags() -> frozenset[str]:
    """The CPU's feature flags (from /proc/cpuinfo; empty where there is none)."""
    return frozenset(_cpuinfo_field("flags", "Features").split())


def cpu_vendor() -> str | None:
    """The CPU's vendor (GenuineIntel, AuthenticAMD; on ARM the implementer code): the BLAS picks its fp32 kernels
    by vendor as well as by flags, so two CPUs with the same flags can still round differently."""
    return _cpuinfo_field("vendor_id", "CPU implementer") or None


def cpu_supports_bf16() -> bool:
    """True only where the CPU multiplies bf16 in hardware (AMX or AVX512-BF16). oneDNN also "supports" bf16 on
    plain AVX-512 by emulation, where it measured 5x slower than fp32 on this project's CI machines."""
    return bool({"amx_bf16", "avx512_bf16"} & cpu_flags())


def use_bf16(precision: str) -> bool:
    if precision == "fp32":
        return False
    if torch.cuda.is_available():
        return precision == "bf16" or torch.cuda.is_bf16_supported()
    return precision == "bf16" or cpu_supports_bf16()


@functools.cache
def _machine() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    def installed(package: str) -> str | None:
        try:
            return version(package)
        except PackageNotFoundError:
            return None

    out: dict[str, Any] = {package: installed(package) for package in ("torch", "transformers", "trl", "peft")}
    if torch.cuda.is_available():
        out.update(device=f"cuda: {torch.cuda.get_device_name(0)}", cuda=torch.version.cuda,
                   cudnn=torch.backends.cudnn.version())
    else:
        out.update(device="cpu", cpu_vendor=cpu_vendor(), cpu_capability=torch.backends.cpu.get_cpu_capability(),
                   cpu_flags=sorted(cpu_flags() & set(KERNEL_CPU_FLAGS)))
    return out


def numerics(precision: str | None) -> dict:
    """What decides a stage's numbers besides its config, inputs and seed: the precision `precision` resolves to
    here (`auto` becomes bf16 autocast only where the hardware multiplies bf16), torch/transformers/trl/peft
    versions, torch's thread count, and the device: the GPU, or the CPU's kernel-choosing features. Recorded per
    stage in the manifest and part of its fingerprint, so a run on another kind of machine reruns instead of mixing."""
    resolved = None if precision is None else ("bf16-autocast" if use_bf16(precision) else "fp32")
    return {"precision": resolved, "threads": torch.get_num_threads(), **_machine()}


def training_arguments(settings: TrainSettings, stage_dir: Path, seed: int, args_class=None, **extra):
    """`TrainingArguments` (or a TRL config class given as `args_class`) from the recipe's settings."""
    from transformers import TrainingArguments

    args_class = args_class or TrainingArguments
    on_gpu = torch.cuda.is_available()
    if settings.compile and not on_gpu:
        # Compiled CPU training differs from run to run otherwise (measured: four runs of one 40-step compiled
        # pretrain, four different models; eager runs are identical), because some of inductor's CPU kernels
        # accumulate in a varying order. Deterministic algorithms make it repeat, at no measured cost in tokens/s.
        torch.use_deterministic_algorithms(True, warn_only=True)
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
        torch_compile=settings.compile,
        logging_steps=settings.logging_steps,
        report_to=[],  # TensorBoard goes through `callbacks()`, which puts the events in the stage folder
        seed=seed,
        data_seed=seed,
        dataloader_num_workers=0,
        ddp_find_unused_parameters=False,  # every parameter takes part; True costs a graph traversal a step
        disable_tqdm=console.quiet(),  # the console's stage line shows progress; the log gets the log dicts
        **extra,
    )


def callbacks(stage_dir: Path) -> list:
    """TensorBoard event files in `stage_dir/runs` (transformers 5 has no `logging_dir` argument any more; the
    callback opens its writer lazily in `logging_dir`, so an evaluation after training logs to the same folder),
    and the console's progress line (steps, latest loss or reward, time left)."""
    from transformers import TrainerCallback
    from transformers.integrations import TensorBoardCallback

    class ConsoleProgress(TrainerCallback):
        def on_train_begin(self, args, state, control, **kwargs):
            console.progress(state.global_step, state.max_steps)

        def on_step_end(self, args, state, control, **kwargs):
            console.progress(state.global_step, state.max_steps)

        def on_log(self, args, state, control, logs=None, **kwargs):
            grad_norm = (logs or {}).get("grad_norm")
            if isinstance(grad_norm, (int, float)) and not math.isfinite(grad_norm):
                raise TrainingDiverged(f"{stage_dir.name}: the gradient norm is {grad_norm} at step "
                                       f"{state.global_step}: training diverged and the weights are lost; lower "
                                       "`train.lr`, or set `train.precision: fp32` (log: log.txt)")
            shown = [(label, (logs or {}).get(key)) for key, label in (("loss", "loss"), ("reward", "reward"))]
            figure = "  ".join(f"{label} {value:.4g}" for label, value in shown if isinstance(value, (int, float)))
            console.progress(state.global_step, state.max_steps, figure or None)

    tensorboard = TensorBoardCallback()
    tensorboard.logging_dir = str(stage_dir / "runs")
    return [tensorboard, ConsoleProgress()]


def train_and_save_model(trainer, model, tokenizer, ctx) -> tuple[Any, float]:
    """Train (from the stage's last checkpoint, if an interrupted run left one), keep the log history, and save the
    model with its tokenizer atomically to `stage_dir/model`. Returns (the trainer's result, seconds trained)."""
    checkpoint = ctx.last_checkpoint()
    started = time.perf_counter()
    result = trainer.train(resume_from_checkpoint=str(checkpoint) if checkpoint else None)
    seconds = time.perf_counter() - started
    save_history(trainer, ctx.stage_dir)
    save_model(trainer, model, tokenizer, ctx.stage_dir / "model")
    return result, seconds


def train_after_evaluate(trainer) -> None:
    """Call between a `trainer.evaluate()` and the `trainer.train()` that follows it. `evaluate()` prepares the model
    for evaluation only, which under DDP means no wrapper, but accelerate still marks the model as prepared, so
    `train()` would not wrap it either: every rank would then train alone, with no gradient synchronisation
    (measured with 2 ranks: their weights drifted apart). Unmarking the model lets `train()` wrap it in DDP.
    (Under DeepSpeed and FSDP, `evaluate()` already wraps the model for real, and this does nothing.)"""
    if trainer.accelerator.num_processes > 1 and trainer.model_wrapped is trainer.model:
        trainer.model.__dict__.pop("_is_accelerate_prepared", None)
        trainer.accelerator._models = [m for m in trainer.accelerator._models if m is not trainer.model]


def save_model(trainer, model, tokenizer, target: Path) -> None:
    """`model.save_pretrained` with its tokenizer, atomically, into `target`. In a distributed launch every rank must
    call this: the weights are gathered from all of them (accelerate's `get_state_dict`, which undoes ZeRO-3 and FSDP
    sharding), rank 0 writes, and the others wait until the folder is in place."""
    import torch.distributed as dist

    distributed = dist.is_available() and dist.is_initialized()
    state_dict = trainer.accelerator.get_state_dict(trainer.model_wrapped) if distributed else None
    if is_main_process():
        with atomic_dir(target) as tmp:
            model.save_pretrained(tmp, state_dict=state_dict)
            tokenizer.save_pretrained(tmp)
    wait_for_everyone()


def save_history(trainer, stage_dir: Path) -> list[dict]:
    """Keep the trainer's log history (loss, lr, grad norm per logging step) as `history.json` for plots."""
    history = [h for h in trainer.state.log_history]
    if is_main_process():
        write_json(stage_dir / HISTORY, history)
    return history
