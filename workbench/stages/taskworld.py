"""Stage `taskworld`: generates the built-in task world into `data/` (corpus, SFT, prompts, preference).

The identity the model should give comes from the recipe's `identity`, the seed from the recipe's `seed`.
See `workbench.taskworld` for the skills, the split construction and the layout.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from workbench.stages.base import StageConfig, StageContext
from workbench.taskworld.generate import MIN_N, generate

PRODUCES = {"data"}


class Config(StageConfig):
    kind: Literal["taskworld"] = "taskworld"
    n: int = Field(2000, ge=MIN_N)  # size scale: gold SFT rows; the prompt pool is 5 n, eval sets n / 4
    corpus_docs: int = Field(20000, ge=1)  # pretraining documents in corpus/train.txt


def run(cfg: Config, ctx: StageContext) -> dict:
    return generate(ctx.stage_dir / "data", n=cfg.n, seed=ctx.seed, identity=ctx.recipe.identity,
                    corpus_docs=cfg.corpus_docs)
