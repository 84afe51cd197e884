"""Stage `taskworld`: generates the built-in task world into `data/` (corpus, SFT, prompts, preference).

The identity the model should give comes from the recipe's `identity`, the seed from the recipe's `seed`. `towns`
and `skills` shrink the world for small models (fewer towns, so each is described more often in the corpus; a
subset of the categories, or other weights); the test split stays held out in the same way. `phrasings: shared`
words every split from one pool of wordings (towns, numbers and requests stay held out).
Either way the world also holds the test items in wordings no other split uses (`prompts/rephrased.jsonl`), which
the evaluate stage scores next to the shipped test prompts.
See `workbench.taskworld` for the skills, the split construction and the layout.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from workbench.errors import WorkbenchError
from workbench.stages.base import StageConfig, StageContext
from workbench.taskworld.generate import GENERATOR_VERSION, MIN_N, check_skills, generate
from workbench.taskworld.world import MIN_TOWNS

PRODUCES = {"data"}


class Config(StageConfig):
    kind: Literal["taskworld"] = Field("taskworld", description="The stage kind (fixed for this module).")
    n: int = Field(2000, ge=MIN_N, le=1_000_000,
        description="Size scale: gold SFT rows; the prompt pool is 5 n, eval sets n / 4.")
    corpus_docs: int = Field(20000, ge=1, le=10_000_000, description="Pretraining documents in corpus/train.txt.")
    # a world small models can learn: only the first `towns` towns, and other category weights (or a subset)
    towns: int | None = Field(None, ge=MIN_TOWNS, le=1000, exclude_if=lambda v: v is None,
        description="A world small models can learn: only the first `towns` towns of the table.")
    skills: dict[str, float] | None = Field(None, exclude_if=lambda v: v is None,
        description="Category weights replacing the default mixture (or a subset of the categories).")
    phrasings: Literal["held_out", "shared"] = Field("held_out", exclude_if=lambda v: v == "held_out",
        description="held_out: test prompts use wordings training never saw; shared: every split draws "
                    "from all wordings but the held-out-phrasing split's (train, validation and test lists pooled).")

    def external_inputs(self, locate) -> dict[str, str]:
        """The generator's version: a world an older generator wrote is generated again."""
        return {"generator": str(GENERATOR_VERSION)}

    @field_validator("skills")
    @classmethod
    def _known_skills(cls, value):
        if value is not None:
            try:
                check_skills(value)
            except WorkbenchError as e:
                raise ValueError(str(e)) from None
        return value


def run(cfg: Config, ctx: StageContext) -> dict:
    return generate(ctx.stage_dir / "data", n=cfg.n, seed=ctx.seed, identity=ctx.recipe.identity,
                    corpus_docs=cfg.corpus_docs, towns=cfg.towns, skills=cfg.skills,
                    phrasings=cfg.phrasings)
