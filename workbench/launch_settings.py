"""The `launcher:` block of a recipe (and of `workbench run --launcher ...`): how training stages run.

Only the schema, pure pydantic, so that `workbench.recipe` can validate it without importing the launcher itself
(`workbench.launcher`), which runs stages and so needs the pipeline's world.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class LauncherSettings(BaseModel):
    """How training stages run: a recipe's `launcher:` block, or the `workbench run --launcher ...` flags."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["local", "accelerate"] = Field("local",
        description="local: every stage in this process; accelerate: each training stage as an "
                    "`accelerate launch` job.")
    accelerate_config: str | None = Field(None,
        description="An `accelerate launch --config_file`; relative to the recipe in a recipe.")
    num_processes: int | None = Field(None, ge=1, le=1024, description="Overrides the config's num_processes.")
