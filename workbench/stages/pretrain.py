"""Stage `pretrain`: next-token prediction from scratch on a plain-text corpus (Gemma 2 §3, without a teacher).

Owns the corpus → packed token blocks step shared with `distill_pretrain`, and validation perplexity. Training
runs through transformers' `Trainer` (checkpoints, resume, TensorBoard, progress bar): plain causal-LM loss
needs nothing of our own.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Literal

import torch
from pydantic import Field

from workbench.data.corpus import corpus_files, document_ids, read_documents
from workbench.errors import WorkbenchError
from workbench.stages.base import DataRef, ModelRef, StageConfig, StageContext
from workbench.training import TrainSettings, callbacks, train_and_save_model, training_arguments, use_bf16

PRODUCES = {"model"}


class Config(StageConfig):
    kind: Literal["pretrain"] = Field("pretrain", description="The stage kind (fixed for this module).")
    model: ModelRef = Field(
        description="Usually a preset from `models:` (random init); a trained model continues pretraining.")
    data: DataRef = Field(description="A taskworld stage (its corpus/) or a text file, one document per line.")
    seq_len: int = Field(256, ge=8, le=1_048_576, description="Tokens per training block.")
    eval_blocks: int = Field(256, ge=1, le=1_000_000, description="Validation blocks used for perplexity.")
    train: TrainSettings = Field(TrainSettings(), description="Optimisation settings.")


# --- corpus ----------------------------------------------------------------------------------------------------


def pack_blocks(path: Path, tokenizer, seq_len: int, max_blocks: int | None = None) -> torch.Tensor:
    """Tokenize each document as <bos> doc <eos>, concatenate, cut into [N, seq_len] blocks."""
    ids: list[int] = []
    for doc in document_ids(read_documents(path), tokenizer):
        ids += doc
        if max_blocks and len(ids) >= max_blocks * seq_len:
            break
    n = len(ids) // seq_len
    if max_blocks:
        n = min(n, max_blocks)
    if n == 0:
        raise WorkbenchError(f"{path}: corpus has {len(ids)} tokens, fewer than one block of seq_len={seq_len}")
    return torch.tensor(ids[: n * seq_len], dtype=torch.long).view(n, seq_len)


def split_corpus(cfg: Config, ctx: StageContext, tokenizer) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
    """Train blocks, in-distribution validation blocks, and out-of-distribution ones where the data has them.

    A task world's `corpus/heldout.txt` is the in-distribution set; its `corpus/validation.txt` (held-out entities
    and phrasings) the out-of-distribution one. A single text file gives up its last 2 % of blocks instead."""
    source = ctx.data_path(cfg.data)
    train_file, val_file = corpus_files(source, "heldout")
    ood_file = corpus_files(source, "validation")[1] if source.is_dir() else None
    train = pack_blocks(train_file, tokenizer, cfg.seq_len)
    if val_file is not None:
        val = pack_blocks(val_file, tokenizer, cfg.seq_len, max_blocks=cfg.eval_blocks)
    else:
        n_val = max(1, min(cfg.eval_blocks, len(train) // 50))
        train, val = train[:-n_val], train[-n_val:]
    ood = pack_blocks(ood_file, tokenizer, cfg.seq_len, max_blocks=cfg.eval_blocks) if ood_file else None
    return train, val, ood


class BlockDataset(torch.utils.data.Dataset):
    def __init__(self, blocks: torch.Tensor):
        self.blocks = blocks

    def __len__(self) -> int:
        return len(self.blocks)

    def __getitem__(self, i: int) -> dict:
        return {"input_ids": self.blocks[i], "labels": self.blocks[i], "block_idx": i}


def collate(rows: list[dict]) -> dict:
    return {k: torch.stack([r[k] for r in rows]) if torch.is_tensor(rows[0][k]) else torch.tensor([r[k] for r in rows]) for k in rows[0]}


@torch.no_grad()
def perplexity(model, blocks: torch.Tensor, batch_size: int = 16, bf16: bool = False) -> float:
    """exp(mean next-token NLL) over the blocks."""
    model.eval()
    total, count = 0.0, 0
    device = next(model.parameters()).device
    for i in range(0, len(blocks), batch_size):
        x = blocks[i : i + batch_size].to(device)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
            logits = model(input_ids=x).logits.float()
        nll = torch.nn.functional.cross_entropy(logits[:, :-1].reshape(-1, logits.size(-1)), x[:, 1:].reshape(-1), reduction="sum")
        total += nll.item()
        count += x[:, 1:].numel()
    model.train()
    return math.exp(total / count)


# --- training --------------------------------------------------------------------------------------------------


def load_student(cfg, ctx: StageContext):
    from workbench.models import load_model

    return load_model(ctx.model_path(cfg.model), tokenizer=ctx.tokenizer_path(cfg.model), seed=ctx.seed)


def train_and_save(trainer, model, tokenizer, cfg, ctx: StageContext, val: torch.Tensor, ood: torch.Tensor | None,
                   train_blocks: int) -> dict:
    """Run (or resume) the trainer, save the model atomically, and return the metrics every pretraining stage reports."""
    result, wall = train_and_save_model(trainer, model, tokenizer, ctx)
    s = cfg.train
    tokens = s.max_steps * s.batch_size * s.grad_accum * trainer.args.world_size * cfg.seq_len  # batch_size is per rank
    bf16 = use_bf16(s.precision)
    return {
        "train_loss": round(result.training_loss, 4),
        "val_perplexity": round(perplexity(model, val, bf16=bf16), 4),
        "ood_val_perplexity": round(perplexity(model, ood, bf16=bf16), 4) if ood is not None else None,
        "tokens": tokens,
        "train_blocks": train_blocks,
        "epochs": round(tokens / cfg.seq_len / train_blocks, 3),
        "train_seconds": round(wall, 2),
        "tokens_per_second": round(tokens / max(result.metrics.get("train_runtime", wall), 1e-9), 1),
        "parameters": sum(p.numel() for p in model.parameters()),
    }


def build_trainer(cfg: Config, ctx: StageContext, model, train: torch.Tensor, trainer_class=None, **trainer_kwargs):
    from transformers import Trainer

    args = training_arguments(cfg.train, ctx.stage_dir, ctx.seed, remove_unused_columns=False)
    return (trainer_class or Trainer)(model=model, args=args, train_dataset=BlockDataset(train), data_collator=collate,
                                      callbacks=callbacks(ctx.stage_dir), **trainer_kwargs)


class _CausalLMTrainer:  # mixin: drop the bookkeeping column before the model sees the batch
    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        inputs = {k: v for k, v in inputs.items() if k != "block_idx"}
        return super().compute_loss(model, inputs, return_outputs=return_outputs, num_items_in_batch=num_items_in_batch)


def run(cfg: Config, ctx: StageContext) -> dict:
    from transformers import Trainer

    model, tokenizer = load_student(cfg, ctx)
    train, val, ood = split_corpus(cfg, ctx, tokenizer)
    trainer_class = type("PretrainTrainer", (_CausalLMTrainer, Trainer), {})
    trainer = build_trainer(cfg, ctx, model, train, trainer_class=trainer_class)
    return train_and_save(trainer, model, tokenizer, cfg, ctx, val, ood, len(train))
