"""Stage `distill_pretrain`: pretraining by distillation (Gemma 2 §3; sparse targets as in the Gemma 3 report).

The student learns the teacher's next-token distribution instead of the one-hot next token:
loss = −Σₓ P_T(x|c) log P_S(x|c), averaged over positions.
  * `dense`: the teacher runs on every batch and its full distribution is the target.
  * `sparse`: per position, k token ids are drawn from the teacher's distribution, computed once, stored on disk in
    the workbench cache keyed by teacher, corpus and settings, and reused by every later student, so the teacher is
    not run again. `sampling`:
      - `with_replacement` (default): k independent draws, each weighing 1/k. The target's expectation is the
        teacher's distribution, so the loss -1/k Σⱼ log P_S(xⱼ|c) is an unbiased estimate of the dense loss
        ("random sampling KD", Anshumann et al. 2025). Only the ids are stored (2 bytes each below 32k tokens).
      - `systematic`: the same k ids-only draws at weight 1/k, taken by systematic sampling: one uniform offset u
        per position, draw j is the token whose cumulative teacher probability first exceeds (j + u)/k. Still
        unbiased (token x is drawn k·P_T(x) times in expectation), but a token is drawn floor or ceil of
        k·P_T(x) times, never more or fewer, so the estimate's variance is far lower than with independent draws.
      - `without_replacement`: k distinct ids (Gumbel-top-k) with their teacher probabilities renormalised (ids +
        fp16 probabilities); biased towards the sampled tail, kept for comparison.

Our own code because neither transformers nor TRL offers pretraining distillation over a text corpus with
cached sparse teacher targets (TRL's distillation trainers are for prompt/response post-training).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Literal

import numpy as np
import torch
from pydantic import Field
from tqdm.auto import tqdm

from workbench.atomic import atomic_dir, sha256_json, sha256_path
from workbench.ranks import main_process_first, world_size
from workbench.errors import WorkbenchError
from workbench.stages.base import DataRef, ModelRef, StageConfig, StageContext
from workbench.data.corpus import corpus_files
from workbench.stages.pretrain import _CausalLMTrainer, build_trainer, load_student, split_corpus, train_and_save
from workbench.training import TrainSettings, use_bf16

PRODUCES = {"model"}


class Config(StageConfig):
    kind: Literal["distill_pretrain"] = Field("distill_pretrain", description="The stage kind (fixed for this module).")
    model: ModelRef = Field(description="The student (usually a preset: random init)")
    teacher: ModelRef = Field(description="A trained model sharing the student's vocabulary.")
    data: DataRef = Field(description="A taskworld stage (its corpus/) or a text file, one document per line.")
    mode: Literal["dense", "sparse"] = Field("sparse",
        description="dense: the full teacher distribution per position; sparse: top_k sampled teacher tokens (cached).")
    top_k: int = Field(16, ge=1, le=262_144, description="Sparse: teacher tokens drawn per position.")
    sampling: Literal["with_replacement", "systematic", "without_replacement"] = Field("with_replacement",
        description="Sparse: how the teacher tokens are drawn per position (see the module docstring).")
    temperature: float = Field(1.0, gt=0, le=100, description="Temperature of the teacher's distribution.")
    seq_len: int = Field(256, ge=8, le=1_048_576, description="Tokens per training block.")
    eval_blocks: int = Field(256, ge=1, le=1_000_000, description="Validation blocks used for perplexity.")
    train: TrainSettings = Field(TrainSettings(), description="Optimisation settings.")


def _teacher(cfg: Config, ctx: StageContext, student_vocab: int):
    from workbench.models import load_model

    teacher, _ = load_model(ctx.model_path(cfg.teacher), tokenizer=ctx.tokenizer_path(cfg.teacher), seed=ctx.seed)
    t_vocab = teacher.get_output_embeddings().weight.shape[0]
    if t_vocab != student_vocab:
        raise WorkbenchError(f"teacher {cfg.teacher!r} has a {t_vocab}-token vocabulary but the student has {student_vocab}; "
                             "distillation needs a shared tokenizer")
    teacher.eval().requires_grad_(False)
    return teacher


@torch.no_grad()
def sparse_targets(teacher, blocks: torch.Tensor, k: int, temperature: float, seed: int, bf16: bool,
                   batch_size: int = 16, sampling: str = "with_replacement"):
    """Per position, k teacher-sampled token ids (int16/int32) and, without replacement, their renormalised
    probabilities (fp16; None otherwise, where every draw weighs 1/k); and the teacher mass the distinct
    drawn ids cover, averaged over positions."""
    replacement = sampling != "without_replacement"
    gen = torch.Generator().manual_seed(seed)
    vocab = teacher.get_output_embeddings().weight.shape[0]
    id_dtype = np.int16 if vocab < 2**15 else np.int32
    ids_out = np.empty((*blocks.shape, k), dtype=id_dtype)
    probs_out = None if replacement else np.empty((*blocks.shape, k), dtype=np.float16)
    coverage = 0.0
    for i in tqdm(range(0, len(blocks), batch_size), desc="teacher targets", unit="batch"):
        x = blocks[i : i + batch_size]
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            logits = teacher(input_ids=x).logits.float() / temperature
        logp = logits.log_softmax(-1)
        if not replacement:
            gumbel = -torch.empty_like(logp).exponential_(generator=gen).log()
            ids = (logp + gumbel).topk(k, dim=-1).indices  # k draws without replacement, ∝ P_T
            p = logp.gather(-1, ids).exp()
            coverage += p.sum().item()
            probs_out[i : i + len(x)] = (p / p.sum(-1, keepdim=True)).numpy().astype(np.float16)
        else:
            if sampling == "systematic":
                cdf = logp.double().exp().cumsum(-1)
                u = (torch.arange(k, dtype=torch.float64) + torch.rand((*logp.shape[:-1], 1), generator=gen,
                                                                        dtype=torch.float64)) / k
                ids = torch.searchsorted(cdf, u * cdf[..., -1:]).clamp_(max=vocab - 1)
            else:
                ids = torch.multinomial(logp.exp().reshape(-1, vocab), k, replacement=True, generator=gen)
                ids = ids.reshape(*logp.shape[:-1], k)
            drawn = torch.zeros_like(logp, dtype=torch.bool).scatter_(-1, ids, True)
            coverage += logp.exp().masked_fill(~drawn, 0).sum().item()
        ids_out[i : i + len(x)] = ids.numpy().astype(id_dtype)
    return ids_out, probs_out, coverage / blocks.numel()


def cached_sparse_targets(cfg: Config, ctx: StageContext, teacher, train: torch.Tensor, bf16: bool) -> tuple[Path, dict]:
    """Compute sparse targets once per (teacher, corpus, settings) and keep them in the workbench cache."""
    from workbench.models.loading import cache_dir

    teacher_src = ctx.model_path(cfg.teacher)
    key = sha256_json({
        "teacher": sha256_path(teacher_src) if isinstance(teacher_src, Path) else str(teacher_src),
        "corpus": sha256_path(corpus_files(ctx.data_path(cfg.data))[0]),
        "blocks": list(train.shape), "k": cfg.top_k, "temperature": cfg.temperature, "seed": ctx.seed,
        "sampling": cfg.sampling,
    })[:16]
    folder = cache_dir() / "teacher_targets" / key
    if (folder / "meta.json").exists():
        meta = json.loads((folder / "meta.json").read_text())
        return folder, {**meta, "reused": True}
    t0 = time.perf_counter()
    ids, probs, coverage = sparse_targets(teacher, train, cfg.top_k, cfg.temperature, ctx.seed, bf16,
                                          sampling=cfg.sampling)
    with atomic_dir(folder) as tmp:
        np.save(tmp / "ids.npy", ids)
        if probs is not None:
            np.save(tmp / "probs.npy", probs)
        meta = {"bytes": ids.nbytes + (probs.nbytes if probs is not None else 0), "seconds": round(time.perf_counter() - t0, 2),
                "teacher_mass_covered": round(coverage, 4), "shape": list(ids.shape)}
        (tmp / "meta.json").write_text(json.dumps(meta))
    return folder, {**meta, "reused": False}


class _DistillTrainer(_CausalLMTrainer):
    """Trainer whose loss is cross-entropy against the teacher's (dense or cached sparse) distribution."""

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        x = inputs["input_ids"]
        logits = model(input_ids=x).logits.float() / self.temperature
        logp = logits.log_softmax(-1)
        if self.targets is None:  # dense
            with torch.no_grad():
                q = (self.teacher(input_ids=x).logits.float() / self.temperature).softmax(-1)
            loss = -(q * logp).sum(-1).mean()
        else:
            idx = inputs["block_idx"].cpu().numpy()
            ids = torch.from_numpy(self.targets[0][idx].astype(np.int64)).to(x.device)
            if self.targets[1] is None:  # k draws (independent or systematic), each weighing 1/k
                loss = -logp.gather(-1, ids).mean()
            else:
                q = torch.from_numpy(self.targets[1][idx].astype(np.float32)).to(x.device)
                loss = -(q * logp.gather(-1, ids)).sum(-1).mean()
        return (loss, None) if return_outputs else loss


def run(cfg: Config, ctx: StageContext) -> dict:
    from transformers import Trainer

    model, tokenizer = load_student(cfg, ctx)
    train, val, ood = split_corpus(cfg, ctx, tokenizer)
    s = cfg.train
    needed = s.max_steps * s.batch_size * s.grad_accum * world_size()  # batch_size is per rank
    train = train[: max(needed, 1)] if needed < len(train) else train  # targets only for blocks that will be seen
    teacher = _teacher(cfg, ctx, model.get_output_embeddings().weight.shape[0])
    bf16 = use_bf16(s.precision)
    extra: dict = {"teacher_val_perplexity": None}
    trainer_class = type("DistillPretrainTrainer", (_DistillTrainer, Trainer), {})
    trainer = build_trainer(cfg, ctx, model, train, trainer_class=trainer_class)
    trainer.temperature = cfg.temperature
    if cfg.mode == "dense":
        trainer.teacher, trainer.targets = teacher.to(trainer.args.device), None
        dense_bytes = train.numel() * teacher.get_output_embeddings().weight.shape[0] * 2
        extra.update(teacher_target_bytes=0, dense_targets_would_need_bytes=dense_bytes)
    else:
        with main_process_first():  # rank 0 fills the cache, the other ranks then reuse it
            folder, meta = cached_sparse_targets(cfg, ctx, teacher, train, bf16)
        probs = folder / "probs.npy"
        trainer.targets = (np.load(folder / "ids.npy", mmap_mode="r"),
                           np.load(probs, mmap_mode="r") if probs.exists() else None)
        extra.update(teacher_target_bytes=meta["bytes"], teacher_targets_seconds=meta["seconds"],
                     teacher_targets_reused=meta["reused"], teacher_mass_covered=meta["teacher_mass_covered"])
    from workbench.stages.pretrain import perplexity

    extra["teacher_val_perplexity"] = round(perplexity(teacher, val, bf16=bf16), 4)
    if cfg.mode == "sparse":
        del teacher  # not needed while training on cached targets
    metrics = train_and_save(trainer, model, tokenizer, cfg, ctx, val, ood, len(train))
    return {**metrics, **extra, "mode": cfg.mode, "top_k": cfg.top_k if cfg.mode == "sparse" else None,
            "sampling": cfg.sampling if cfg.mode == "sparse" else None}
