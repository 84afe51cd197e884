"""The `tokenizer` stage: trains the run's SentencePiece tokenizer (see `workbench.tokenizer`) on a text corpus.

`corpus` names a taskworld stage (its `data/corpus/train.txt` is the training text, and `corpus/validation.txt`,
when there is one, measures characters per token) or a plain-text file. Writes `STAGE_DIR/tokenizer`.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Literal

from pydantic import Field

from workbench.data.corpus import corpus_files
from workbench.stages.base import DataRef, StageConfig, StageContext
from workbench.tokenizer import MAX_VOCAB_SIZE, RESERVED_TOKENS, train_tokenizer

PRODUCES = {"tokenizer"}


class Config(StageConfig):
    kind: Literal["tokenizer"] = Field("tokenizer", description="The stage kind (fixed for this module).")
    corpus: DataRef = Field(description="A taskworld stage (its corpus/) or a plain-text file.")
    vocab_size: int = Field(4096, gt=RESERVED_TOKENS, le=MAX_VOCAB_SIZE,
        description="Vocabulary size, control and byte tokens included.")


def run(cfg: Config, ctx: StageContext) -> dict:
    train, validation = corpus_files(ctx.data_path(cfg.corpus))
    started = time.perf_counter()
    tokenizer = train_tokenizer([train], vocab_size=cfg.vocab_size, out_dir=ctx.stage_dir / "tokenizer", seed=ctx.seed)
    metrics = {
        "vocab_size": len(tokenizer),
        "corpus_bytes": train.stat().st_size,
        "train_seconds": round(time.perf_counter() - started, 3),
    }
    if validation is not None:
        metrics["validation_chars_per_token"] = round(_chars_per_token(tokenizer, validation), 4)
    ctx.log.info("tokenizer: %s", metrics)
    return metrics


def _chars_per_token(tokenizer, path: Path) -> float:
    """Mean characters per token over the non-blank lines of `path` (without `<bos>`): higher is a tighter code."""
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    tokens = sum(len(ids) for ids in tokenizer(lines, add_special_tokens=False)["input_ids"])
    return sum(map(len, lines)) / max(tokens, 1)
