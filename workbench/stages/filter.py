"""Stage `filter`: the safety filters (`workbench.safety`) over one dataset file, before `sft`, `reward`, `rlhf` or
on teacher-generated data.

`data` names a stage (its `data/` folder; `file` picks the dataset in it, default taskworld's raw SFT file) or a
dataset file. `rules` are the rules that run with their settings (`workbench.safety.filtering.Rules`; `{}` for a
rule's defaults), the identity is the recipe's. `overrides` optionally names a JSON file of a person's decisions
(the store's export, `{"overrides": [{"key", "action", "who", "why", "at"}]}`); since it is a reference, editing
it reruns the stage, which honours it. `store` (a database URL or a SQLite path relative to the recipe) reads the
overrides people made in the UI straight from the rating store (they win over the file's); they are an input of the
stage's fingerprint, so a new override reruns this stage and every stage that used its output. The overrides used
are written to STAGE_DIR/store_overrides.json. `classifier` optionally names a trained unsafe classifier file.

Writes:
  STAGE_DIR/filter/   kept.jsonl, rejected.jsonl, decisions.jsonl, summary.json (as `workbench filter --out`)
  STAGE_DIR/data/     a data folder later stages use like the one they would have used: when `data` is a stage,
                      a copy of its data folder; the kept records replace the file at `file` with `_raw` dropped
                      from its name (sft/train_raw.jsonl -> sft/train.jsonl; preference/train.jsonl in place).
                      When `data` is a file, the kept records go to `<folder>/train.jsonl` by the file's type
                      (sft, prompts, preference, or the type's name for the other types).
Metrics: counts per rule, and precision/recall per rule when the input carries `meta.contamination`.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Literal

from pydantic import Field

from workbench.atomic import atomic_dir, write_json, write_jsonl
from workbench.data import detect, read_records
from workbench.errors import WorkbenchError
from workbench.safety.filtering import (CLASSIFIER_NAMES, Rules, filter_records, load_overrides, load_unsafe_classifier,
                                        write_outputs)
from workbench.stages.base import DataRef, StageConfig, StageContext

PRODUCES = {"data"}
FOLDER_BY_TYPE = {"language_modeling": "sft", "prompt_only": "prompts", "preference": "preference"}


class Config(StageConfig):
    kind: Literal["filter"] = Field("filter", description="The stage kind (fixed for this module).")
    data: DataRef = Field(description="A stage with a data folder (e.g. generate) or a dataset file.")
    file: str = Field("sft/train_raw.jsonl", description="Inside `data` when it is a stage's data folder.")
    rules: Rules = Field(default_factory=Rules.all,
        description="The rules that run, with their settings (default: all, with their defaults).")
    overrides: DataRef | None = Field(None,
        description="A JSON file of decisions made by a person (`workbench filter-decisions overrides`).")
    store: str | None = Field(None, description="The rating store whose overrides apply (a database URL or a SQLite "
                                                "path relative to the recipe); they win over `overrides`.")
    classifier: DataRef | None = Field(None,
        description="The unsafe classifier: a shipped one by name (gemma3-270m, hashed-n-gram) or a file written by "
                    "`workbench safety train-classifier`; default: the Gemma 3 head when the Gemma 3 extra is "
                    "installed, else the hashed-n-gram model.")


    def references(self) -> list[tuple[str, str, str]]:
        """As every stage's, less a shipped classifier named in `classifier` (a name, not a file or stage)."""
        return [r for r in super().references() if not (r[0] == "classifier" and r[1] in CLASSIFIER_NAMES)]

    def runs_a_model(self, locate) -> bool:
        """When the Gemma classifier decides (shipped, by default or by name, or a trained Gemma head's file): its
        numbers, like a trained model's, depend on the precision, threads, libraries and CPU."""
        from workbench.safety.gemma_classifier import is_gemma_head

        shipped = self.shipped_classifier()
        if shipped:
            return shipped == "gemma3-270m"
        path = locate(self.classifier)
        return path.is_file() and is_gemma_head(path)

    def shipped_classifier(self) -> str | None:
        """The shipped classifier that decides (the default when none is named), or None for a trained file."""
        from workbench.safety.filtering import default_classifier_name

        if not self.classifier:
            return default_classifier_name()
        return self.classifier if self.classifier in CLASSIFIER_NAMES else None

    def external_inputs(self, locate) -> dict[str, str]:
        """Which shipped classifier decides when none is named or one is named (installing the Gemma 3 extra changes
        it) and a digest of its files (a new shipped head changes it), and the store's overrides (a hash, and how
        many), so that an override reruns this stage and its dependants."""
        from workbench.atomic import sha256_json
        from workbench.safety.filtering import shipped_classifier_digest
        from workbench.store.filters import stored_overrides

        shipped = self.shipped_classifier()
        default = {"unsafe_classifier": shipped, "unsafe_classifier_digest": shipped_classifier_digest(shipped)} \
            if shipped else {}
        if not self.store:
            return default
        entries = [{k: o[k] for k in ("key", "action")} for o in stored_overrides(_location(self.store, locate))["overrides"]]
        return {**default, "store_overrides": sha256_json(entries), "store_override_count": str(len(entries))}


def _location(store: str, locate) -> str:
    return store if "://" in store else str(locate(store))


def _input_file(cfg: Config, source: Path) -> Path:
    if not source.is_dir():
        return source
    path = source / cfg.file
    if not path.exists():
        raise WorkbenchError(f"stage filter: {cfg.data!r} has no {cfg.file} (looked for {path}); set `file` to one of "
                             f"its datasets, e.g. sft/train_raw.jsonl or preference/train.jsonl")
    return path


def _kept_path(cfg: Config, source: Path, data_type: str) -> Path:
    if source.is_dir():
        relative = Path(cfg.file)
        return relative.with_name(relative.name.replace("_raw", "", 1))
    return Path(FOLDER_BY_TYPE.get(data_type, data_type)) / "train.jsonl"


def run(cfg: Config, ctx: StageContext) -> dict:
    source = ctx.data_path(cfg.data)
    path = _input_file(cfg, source)
    records = read_records(path)
    info = detect(records, path)
    overrides = load_overrides(ctx.data_path(cfg.overrides)) if cfg.overrides else None
    if cfg.store:
        from workbench.store.filters import stored_overrides

        document = stored_overrides(_location(cfg.store, ctx.data_path))
        write_json(ctx.stage_dir / "store_overrides.json", document)
        overrides = {**(overrides or {}), **load_overrides(ctx.stage_dir / "store_overrides.json")}
    classifier = None
    if cfg.classifier:
        shipped = cfg.classifier in CLASSIFIER_NAMES
        classifier = load_unsafe_classifier(cfg.classifier if shipped else ctx.data_path(cfg.classifier))
    result = filter_records(records, cfg.rules, ctx.recipe.identity, overrides, records.lines, classifier)
    summary = write_outputs(result, ctx.stage_dir / "filter", {"input": str(path), "type": info.type, "form": info.form,
                                                               "classifier": cfg.classifier})
    kept_path = _kept_path(cfg, source, info.type)
    with atomic_dir(ctx.stage_dir / "data") as data_dir:
        if source.is_dir():
            shutil.copytree(source, data_dir, dirs_exist_ok=True)
        write_jsonl(data_dir / kept_path, result.kept)
    metrics = {key: summary[key] for key in ("records", "kept", "redacted", "dropped", "rules", "overrides",
                                             "records_per_second")}
    metrics["kept_file"] = str(kept_path)
    if "contamination" in summary:
        metrics["contamination"] = summary["contamination"]
    ctx.log.info("filter: %s", metrics)
    return metrics
