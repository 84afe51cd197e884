"""The pipeline: runs a recipe's stages in order inside a run directory, records lineage, skips and resumes.

RUN_DIR/manifest.json holds the recipe and its hash, and per stage: its resolved config, the fingerprints of
its inputs, its fingerprint (config + inputs + seed), outputs with hashes, metrics, wall time and status.
Running again skips a `done` stage whose fingerprint is unchanged; a stage left `running` (killed) or `failed`
with an unchanged fingerprint is run again and picks up its last checkpoint; a stage whose fingerprint changed
is wiped and rerun, and since fingerprints chain through references, so is every stage that depends on it.
Several `workbench run`s may share a run directory (e.g. one `--only` stage each): every save re-reads the
manifest under a lock and writes back only the entries this process ran, so none loses another's.
"""

from __future__ import annotations

import logging
import shutil
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from workbench.atomic import sha256_json, sha256_path, write_json
from workbench.distributed import LOG as LAUNCH_LOG, LauncherSettings, resolve_launcher, run_stage
from workbench.errors import WorkbenchError
from workbench.models.spec import ModelSpec
from workbench.paths import inside, regular_file
from workbench.recipe import Recipe
from workbench.stages import stage_modules
from workbench.stages.base import StageConfig, StageContext

log = logging.getLogger("workbench")

MANIFEST = "manifest.json"


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def read_manifest(run_dir: Path) -> dict:
    import json

    p = Path(run_dir) / MANIFEST
    if not p.exists():
        return {"stages": {}}
    regular_file(p, "manifest")  # a FIFO would block for ever
    try:
        manifest = json.loads(p.read_text())
    except ValueError:
        raise WorkbenchError(f"{p}: manifest is not valid JSON; move the run directory aside or pass another --run-dir") from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("stages", {}), dict) \
            or not all(isinstance(entry, dict) for entry in manifest.get("stages", {}).values()):
        raise WorkbenchError(f"{p}: not a workbench manifest (expected an object with a `stages` object); move the run "
                             "directory aside or pass another --run-dir")
    return manifest


@contextmanager
def _manifest_lock(run_dir: Path):
    """An exclusive lock on the run directory's manifest (POSIX; elsewhere, no lock)."""
    try:
        import fcntl
    except ImportError:
        yield
        return
    with open(run_dir / ".manifest.lock", "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


class Pipeline:
    def __init__(self, recipe: Recipe, run_dir: str | Path, launcher: LauncherSettings | None = None):
        self.recipe = recipe
        self.launcher = launcher or resolve_launcher(recipe)  # how training stages run (workbench.distributed)
        self.run_dir = Path(run_dir)
        self.mods = stage_modules()
        self.manifest = read_manifest(self.run_dir)
        self.fingerprints: dict[str, str] = {}
        self._ran: set[str] = set()  # the stages whose manifest entries this process writes

    # --- references ------------------------------------------------------------------------------------------

    def _stage_names(self) -> list[str]:
        return [s.stage_name for s in self.recipe.stages]

    def resolve(self, name: str, what: str) -> Any:
        if name in self.recipe.models:
            spec: ModelSpec = self.recipe.models[name]
            if what == "tokenizer" and spec.tokenizer:
                return self.resolve(spec.tokenizer, "tokenizer")
            kind, value = spec.source
            if kind in ("path", "gguf"):  # relative to the recipe file, like every other path in it
                return spec.model_copy(update={kind: str(self._recipe_relative(value))})
            return spec
        if name in self._stage_names():
            d = self.run_dir / name
            if what == "model":
                return d / "model"
            if what == "tokenizer":
                return d / "tokenizer" if (d / "tokenizer").exists() else d / "model"
            return d / "data"
        return self._recipe_relative(name)

    def _recipe_relative(self, value: str) -> Path:
        p = Path(value).expanduser()
        if not p.is_absolute() and self.recipe.path is not None:
            p = self.recipe.path.parent / p
        return p

    def _input_fingerprint(self, name: str) -> str:
        if name in self.recipe.models:
            spec = self.recipe.models[name]
            parts: dict[str, Any] = {"spec": spec.model_dump()}
            if spec.tokenizer:
                parts["tokenizer"] = self._input_fingerprint(spec.tokenizer)
            kind, value = spec.source
            if kind in ("path", "gguf"):
                p = self._recipe_relative(value)
                parts["content"] = sha256_path(p) if p.exists() else "missing"
            return sha256_json(parts)
        if name in self.fingerprints:
            return self.fingerprints[name]
        if name in self._stage_names():  # not run in this invocation (--only): take it from the manifest
            entry = self.manifest["stages"].get(name, {})
            if entry.get("status") != "done":
                raise WorkbenchError(f"stage {name!r} has not finished in {self.run_dir}; run it first (or drop --only)")
            return entry["fingerprint"]
        p = self.resolve(name, "data")
        if not p.exists():
            raise WorkbenchError(f"{p}: data file not found")
        return sha256_path(p)

    def seed(self, stage: StageConfig) -> int:
        """The stage's own `seed` if it sets one (e.g. several RLHF policies to merge), else the recipe's."""
        return self.recipe.seed if stage.seed is None else stage.seed

    def fingerprint(self, stage: StageConfig) -> tuple[str, dict[str, str]]:
        inputs = {ref: self._input_fingerprint(ref) for _, ref, _ in stage.references()}
        for spec_name in [r for r in inputs if r in self.recipe.models]:
            tok = self.recipe.models[spec_name].tokenizer
            if tok:
                inputs[tok] = self._input_fingerprint(tok)
        inputs.update(stage.external_inputs(self._recipe_relative))
        fp = sha256_json({"kind": stage.kind, "config": stage.model_dump(mode="json"), "inputs": inputs, "seed": self.seed(stage)})
        return fp, inputs

    # --- running ---------------------------------------------------------------------------------------------

    def _save(self) -> None:
        """Write this process's recipe and stage entries into the manifest as it is on disk now, and take up the
        entries other processes wrote meanwhile."""
        with _manifest_lock(self.run_dir):
            disk = read_manifest(self.run_dir)
            stages = disk.setdefault("stages", {})
            stages.update({name: self.manifest["stages"][name] for name in self._ran})
            disk.update({k: self.manifest[k] for k in ("recipe", "recipe_path", "recipe_hash")})
            disk.setdefault("created", self.manifest["created"])
            write_json(self.run_dir / MANIFEST, disk)
        self._take_others(disk)

    def _take_others(self, disk: dict | None = None) -> None:
        """Adopt the stage entries other processes have written to the manifest (all but the ones this one ran)."""
        if disk is None:
            with _manifest_lock(self.run_dir):
                disk = read_manifest(self.run_dir)
        self.manifest["stages"].update({n: e for n, e in disk.get("stages", {}).items() if n not in self._ran})

    def run(self, only: list[str] | None = None) -> dict:
        names = self._stage_names()
        for o in only or []:
            if o not in names:
                raise WorkbenchError(f"--only {o}: no such stage; stages are: {', '.join(names)}")
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.manifest.update(
            recipe=self.recipe.model_dump(mode="json"),
            recipe_path=str(self.recipe.path) if self.recipe.path else None,
            recipe_hash=sha256_json(self.recipe.model_dump(mode="json")),
        )
        self.manifest.setdefault("stages", {})
        self.manifest.setdefault("created", _now())
        for stage in self.recipe.stages:
            name = stage.stage_name
            if only and name not in only:
                continue
            self._take_others()  # another run in this directory may have finished stages meanwhile
            fp, inputs = self.fingerprint(stage)
            self.fingerprints[name] = fp
            entry = self.manifest["stages"].get(name, {})
            stage_dir = self.run_dir / name
            if entry.get("status") == "done" and entry.get("fingerprint") == fp and stage_dir.exists():
                log.info("stage %s: up to date, skipped", name)
                print(f"[workbench] {name}: up to date, skipped", flush=True)
                continue
            if entry.get("fingerprint") != fp and stage_dir.exists():
                log.info("stage %s: config or inputs changed, starting afresh", name)
                shutil.rmtree(inside(self.run_dir, stage_dir))
            self._run_stage(stage, fp, inputs, resumed=entry.get("fingerprint") == fp)
        return self.manifest

    def current_stages(self) -> list[str]:
        """The stages that are done with the fingerprint they would have now, in recipe order. A done stage whose
        config, inputs (an override or new ratings in the store included) or upstream stages changed since it ran
        is stale, and so is everything downstream of it (e.g. after `--only`)."""
        self._take_others()
        current = []
        for stage in self.recipe.stages:
            name = stage.stage_name
            try:
                fp = self.fingerprint(stage)[0]
            except WorkbenchError:  # e.g. an input that is missing, or waiting for ratings
                fp = f"unknown:{name}"
            self.fingerprints[name] = fp
            entry = self.manifest["stages"].get(name, {})
            if entry.get("status") == "done" and entry.get("fingerprint") == fp and (self.run_dir / name).exists():
                current.append(name)
        return current

    def context(self, stage: StageConfig) -> StageContext:
        """What `stage` sees of the run (also what every rank of a distributed launch rebuilds)."""
        return StageContext(run_dir=self.run_dir, stage_dir=self.run_dir / stage.stage_name,
                            stage_name=stage.stage_name, seed=self.seed(stage), recipe=self.recipe,
                            resolve=self.resolve, log=log)

    def _run_stage(self, stage: StageConfig, fp: str, inputs: dict, resumed: bool) -> None:
        name = stage.stage_name
        stage_dir = self.run_dir / name
        stage_dir.mkdir(parents=True, exist_ok=True)
        entry = {
            "kind": stage.kind,
            "config": stage.model_dump(mode="json"),
            "inputs": inputs,
            "fingerprint": fp,
            "status": "running",
            "started_at": _now(),
            "attempts": self.manifest["stages"].get(name, {}).get("attempts", 0) + 1,
            "recipe": {"name": self.recipe.name, "hash": self.manifest["recipe_hash"]},
        }
        self.manifest["stages"][name] = entry
        self._ran.add(name)
        self._save()
        handler = logging.FileHandler(stage_dir / "log.txt")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        log.addHandler(handler)
        ctx = self.context(stage)
        what = "resuming" if resumed and ctx.last_checkpoint() else "running"
        print(f"[workbench] {name} ({stage.kind}): {what}", flush=True)
        log.info("stage %s (%s): %s", name, stage.kind, what)
        t0 = time.perf_counter()
        try:
            metrics = run_stage(self.mods[stage.kind], stage, ctx, self.launcher)
        except BaseException as e:
            entry.update(status="interrupted" if isinstance(e, KeyboardInterrupt) else "failed", error=str(e).splitlines()[0] if str(e) else type(e).__name__,
                         wall_time_s=round(time.perf_counter() - t0, 3))
            self._save()
            raise
        finally:
            log.removeHandler(handler)
            handler.close()
        wall = time.perf_counter() - t0
        shutil.rmtree(ctx.checkpoint_dir, ignore_errors=True)  # only needed to resume an unfinished stage
        write_json(stage_dir / "metrics.json", metrics)
        outputs = {p.name: sha256_path(p) for p in sorted(stage_dir.iterdir())
                   if not p.name.startswith(".") and p.name not in ("checkpoints", "log.txt", LAUNCH_LOG, "runs")}
        entry.update(status="done", metrics=metrics, outputs=outputs, wall_time_s=round(wall, 3), finished_at=_now())
        entry.pop("error", None)
        self._save()
        print(f"[workbench] {name}: done in {wall:.1f}s", flush=True)


def run_recipe(recipe: Recipe, run_dir: str | Path, only: list[str] | None = None,
               launcher: LauncherSettings | None = None) -> dict:
    return Pipeline(recipe, run_dir, launcher).run(only)
