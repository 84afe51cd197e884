"""The contract every stage follows.

A stage module under `workbench/stages/` defines:
  * `Config`, a pydantic model subclassing `StageConfig` with `kind: Literal["<kind>"]` and its settings.
    Fields that name another model, tokenizer or dataset use the `ModelRef`, `TokenizerRef` and `DataRef`
    types, so the recipe checker can verify every reference before anything runs.
  * `PRODUCES`: what later stages may take from it ({"model", "tokenizer", "data"}).
  * `run(cfg, ctx) -> dict`: does the work, writes into `ctx.stage_dir` (a model into `ctx.stage_dir/"model"`
    with its tokenizer, a tokenizer into `"tokenizer"`, datasets into `"data"`), and returns its metrics.

`StageContext` is the stage's only window on the run: where to write, how to resolve references, the seed,
and where its checkpoints live for resume.
"""

from __future__ import annotations

import logging
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Callable

from pydantic import BaseModel, ConfigDict, Field, field_validator

from workbench.paths import MAX_SEED, check_name


class Ref:
    """Marks a config field as a reference to something another stage (or the recipe) provides."""

    def __init__(self, what: str):
        self.what = what  # "model" | "tokenizer" | "data"

    def __repr__(self) -> str:
        return f"Ref({self.what!r})"


ModelRef = Annotated[str, Ref("model")]
TokenizerRef = Annotated[str, Ref("tokenizer")]
DataRef = Annotated[str, Ref("data")]


def neutral(value: Any) -> dict:
    """`json_schema_extra` for a field added after stages were fingerprinted: at `value` the stage computes exactly what
    it computed before the field existed, so at that value the field is left out of the stage's fingerprint and stage
    caches made before it stay valid. Keyed on the value, not the default: a changed default still changes
    fingerprints."""
    return {"neutral": value}


def without_neutral(config: BaseModel, dumped: dict) -> dict:
    """`dumped` (a `config.model_dump(mode="json")`, or an older dump of a config of the same class) without the fields
    that sit at their `neutral` value, in `config` and in the models nested in it."""
    out = {}
    for name, value in dumped.items():
        info = type(config).model_fields.get(name)
        extra = info.json_schema_extra if info is not None and isinstance(info.json_schema_extra, dict) else {}
        if "neutral" in extra and value == extra["neutral"]:
            continue
        child = getattr(config, name, None)
        out[name] = without_neutral(child, value) if isinstance(child, BaseModel) and isinstance(value, dict) else value
    return out


def _refs_in(annotation: Any) -> list[Ref]:
    out = []
    if typing.get_origin(annotation) is Annotated:
        out += [m for m in typing.get_args(annotation)[1:] if isinstance(m, Ref)]
    for arg in typing.get_args(annotation):
        out += _refs_in(arg)
    return out


class StageConfig(BaseModel):
    """Settings shared by every stage."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)  # every float finite: .inf or .nan is an error

    kind: str = Field(description="The stage kind: which module under workbench/stages/ runs it.")
    name: str | None = Field(None, description="The stage's name (default: its kind): unique in the recipe, its "
                                               "folder in the run directory, so a plain name (letters, digits, _ . -).")
    seed: int | None = Field(None, ge=0, le=MAX_SEED,
                             description="This stage's seed (default: the recipe's), e.g. to train several RLHF "
                                         "policies to merge.")

    @field_validator("name")
    @classmethod
    def _plain_name(cls, value):
        return value if value is None else check_name(value)

    @property
    def stage_name(self) -> str:
        return self.name or self.kind

    def fingerprint_config(self) -> dict:
        """The config as the stage's fingerprint reads it: its JSON dump without fields at their `neutral` value."""
        return without_neutral(self, self.model_dump(mode="json"))

    def references(self) -> list[tuple[str, str, str]]:
        """(field path, referenced name, what) for every reference in this config."""
        out = []
        for fname, finfo in type(self).model_fields.items():
            refs = _refs_in(finfo.annotation) + [m for m in finfo.metadata if isinstance(m, Ref)]
            if not refs:
                continue
            value = getattr(self, fname)
            values = value if isinstance(value, (list, tuple)) else [value]
            if isinstance(value, dict):
                values = list(value.keys())
            for i, v in enumerate(values):
                if v is None:
                    continue
                path = fname if not isinstance(value, (list, tuple)) else f"{fname}[{i}]"
                out.append((path, str(v), refs[0].what))
        return out

    def file_problems(self, locate: Callable[[str], Path | None]) -> list[tuple[str, str]]:
        """(field, problem) for each file this stage reads whose content is bad, found when the recipe is checked,
        before anything runs. `locate` gives a recipe-relative file's path (None for a stage or model name); missing
        files are reported by the reference check, not here."""
        return []

    def runs_a_model(self, locate: Callable[[str], Path]) -> bool:
        """Whether the stage runs a neural model that no reference names (e.g. the filter's Gemma classifier), so
        that what decides its numerics is recorded and fingerprinted as a training stage's is."""
        return False

    def external_inputs(self, locate: Callable[[str], Path]) -> dict[str, str]:
        """Fingerprints of what the stage reads from outside the run and the recipe's references (e.g. the rating
        store), so that a change there reruns the stage. `locate` resolves a recipe-relative path."""
        return {}


@dataclass
class StageContext:
    """What a running stage can see of the run."""

    run_dir: Path
    stage_dir: Path
    stage_name: str
    seed: int
    recipe: Any  # workbench.recipe.Recipe
    resolve: Callable[[str, str], Any]  # (name, what) -> Path | ModelSpec
    log: logging.Logger = field(default_factory=lambda: logging.getLogger("workbench"))

    @property
    def checkpoint_dir(self) -> Path:
        return self.stage_dir / "checkpoints"

    def last_checkpoint(self) -> Path | None:
        """The newest complete `checkpoint-N` folder left by an interrupted run of this stage, if any."""
        if not self.checkpoint_dir.is_dir():
            return None
        ckpts = [p for p in self.checkpoint_dir.glob("checkpoint-*") if p.name.split("-")[-1].isdigit()]
        ckpts = [p for p in ckpts if (p / "trainer_state.json").exists()]
        return max(ckpts, key=lambda p: int(p.name.split("-")[-1]), default=None)

    def model_path(self, ref: str):
        """A loadable model for `ref`: a Path to a model folder, or a ModelSpec from the recipe's `models`."""
        return self.resolve(ref, "model")

    def tokenizer_path(self, ref: str) -> Path:
        return self.resolve(ref, "tokenizer")

    def data_path(self, ref: str) -> Path:
        """A stage's `data` folder, or an external data file named in the recipe."""
        return self.resolve(ref, "data")
