"""The pipeline: runs a recipe's stages in order inside a run directory, records lineage, skips and resumes.

RUN_DIR/manifest.json holds the recipe and its hash, and per stage: its resolved config, the fingerprints of
its inputs, its fingerprint (config + inputs + seed), outputs with hashes, metrics, wall time and status.
A stage's fingerprint covers what decides its numerics too (`numerics`: resolved precision, library versions,
thread count, CPU flags or GPU), so a run on another kind of machine or precision reruns rather than mixing.
Running again skips a `done` stage whose fingerprint is unchanged and whose recorded output files still have their
sizes and hashes (`workbench.rundir.verify_outputs`, cached by mtime); a missing or changed output, like a changed
fingerprint, wipes and reruns the stage with one line saying why, and since a stage's fingerprint takes in the
fingerprints and artifact hashes of the stages it reads, so is every stage that depends on it. A stage left
`running` (killed) or `failed` with an unchanged fingerprint is run again and picks up its last checkpoint.
With a stage cache (`workbench.stage_cache`, shared across run directories; `workbench run` turns it on), a stage
about to run is first looked up there by its fingerprint: a hit puts its verified outputs into the run directory and
records where they came from (`cached` in its manifest entry); a finished stage is stored there, as is a skipped one
the cache lacks. Stage kinds whose module sets `CACHEABLE = False` (they write outside their folder, e.g. `pairs`
into the rating store) and stages in the recipe's `cache.skip` are never cached.
One writer per run directory (`workbench.rundir.RunLock`): a second `workbench run` refuses at once, except
`--only` runs of other stages. Those may share the directory: every save re-reads the manifest under a lock and
writes back only the entries this process ran, so none loses another's.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import socket
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from workbench import trl_private
from workbench.atomic import sha256_json, sha256_path, write_json
from workbench.console import Console
from workbench.errors import WorkbenchError
from workbench.launch_settings import LauncherSettings
from workbench.launcher import is_training_stage, resolve_launcher, run_stage
from workbench.memory import peak_rss_mib, reset_peak_memory
from workbench.models.spec import ModelSpec
from workbench.paths import inside
from workbench.recipe import Recipe
from workbench.rundir import (MANIFEST, RunLock, hash_cache, input_fingerprint, key_metric, now as _now,
                              read_manifest, record_outputs, verify_outputs)
from workbench.stage_cache import DamagedEntry, StageCache
from workbench.stages import stage_modules
from workbench.stages.base import StageConfig, StageContext, without_neutral

log = logging.getLogger("workbench")

__all__ = ["MANIFEST", "Pipeline", "read_manifest", "run_recipe"]


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
    def __init__(self, recipe: Recipe, run_dir: str | Path, launcher: LauncherSettings | None = None,
                 verbose: bool = False, command: str | None = None, stage_cache: StageCache | None = None):
        self.recipe = recipe
        self.launcher = launcher or resolve_launcher(recipe)  # how training stages run (workbench.launcher)
        self.run_dir = Path(run_dir)
        self.mods = stage_modules()
        self.manifest = read_manifest(self.run_dir)
        self.console = Console(verbose)
        self.command = command  # what the run lock says holds the directory
        self.cache = hash_cache(self.run_dir)
        self.fingerprints: dict[str, str] = {}  # stage -> what later stages take as its fingerprint, when set by
        # the caller (planning fingerprints without running, e.g. a test); a run takes it from the manifest
        self._ran: set[str] = set()  # the stages whose manifest entries this process writes
        self._trusted: set[str] = set()  # stages run or verified by this process
        self.stage_cache = stage_cache  # outputs of finished stages by fingerprint, shared across run directories
        if stage_cache is not None and recipe.cache is not None:
            stage_cache.max_entry_bytes = int(recipe.cache.max_entry_gb * 2**30)

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
        if name in self._stage_names():
            entry = self.manifest["stages"].get(name, {})
            if entry.get("status") != "done":
                raise WorkbenchError(f"stage {name!r} has not finished in {self.run_dir}; run it first (or drop --only)")
            if name not in self._trusted:  # not run in this invocation (--only): check what it left
                why = verify_outputs(self.run_dir, entry, self.cache)
                if why:
                    raise WorkbenchError(f"stage {name}: {why}; run it again first (or drop --only)")
                self._trusted.add(name)
            return input_fingerprint(entry)
        p = self.resolve(name, "data")
        if not p.exists():
            raise WorkbenchError(f"{p}: data file not found")
        return sha256_path(p)

    def seed(self, stage: StageConfig) -> int:
        """The stage's own `seed` if it sets one (e.g. several RLHF policies to merge), else the recipe's."""
        return self.recipe.seed if stage.seed is None else stage.seed

    def numerics(self, stage: StageConfig) -> dict | None:
        """What decides a model stage's numbers besides its config and inputs (`workbench.training.numerics`);
        None for stages that neither train nor run a model."""
        if not (is_training_stage(stage) or any(what == "model" for _, _, what in stage.references())
                or stage.runs_a_model(self._recipe_relative)):
            return None
        from workbench.training import numerics

        train = getattr(stage, "train", None)
        return numerics(train.precision if train is not None else None)

    def fingerprint(self, stage: StageConfig) -> tuple[str, dict[str, str], dict | None]:
        inputs = {ref: self._input_fingerprint(ref) for _, ref, _ in stage.references()}
        for spec_name in [r for r in inputs if r in self.recipe.models]:
            tok = self.recipe.models[spec_name].tokenizer
            if tok:
                inputs[tok] = self._input_fingerprint(tok)
        inputs.update(stage.external_inputs(self._recipe_relative))
        numerics = self.numerics(stage)
        parts = {"kind": stage.kind, "config": stage.fingerprint_config(), "inputs": inputs, "seed": self.seed(stage)}
        if numerics is not None:
            parts["numerics"] = numerics
        return sha256_json(parts), inputs, numerics

    def _what_changed(self, stage: StageConfig, entry: dict, inputs: dict, numerics: dict | None) -> str:
        """Why a finished stage's fingerprint no longer matches, in words."""
        if "files" not in entry:
            return "it was recorded by an older workbench (no output hashes, no numerics)"
        recorded = entry.get("config")
        if not isinstance(recorded, dict) or without_neutral(stage, recorded) != stage.fingerprint_config():
            return "its config changed"
        changed = [ref for ref in inputs if (entry.get("inputs") or {}).get(ref) != inputs[ref]]
        if changed:
            return f"its input {', '.join(changed)} changed"
        old = entry.get("numerics") or {}
        diff = [f"{k} {old.get(k)} -> {v}" for k, v in (numerics or {}).items() if old.get(k) != v]
        if diff:
            diff = "; ".join(diff)
            return f"what decides its numerics changed ({diff if len(diff) < 160 else diff[:159] + '…'})"
        return "its fingerprint changed"

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
        with RunLock(self.run_dir, only, self.command):
            return self._run(only)

    def _run(self, only: list[str] | None) -> dict:
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
            fp, inputs, numerics = self.fingerprint(stage)
            entry = self.manifest["stages"].get(name, {})
            stage_dir = self.run_dir / name
            why = None
            if entry.get("status") == "done" and entry.get("fingerprint") == fp:
                why = verify_outputs(self.run_dir, entry, self.cache)
                why = why or (None if stage_dir.exists() else "its folder is missing")
                self.cache.save()
                if why is None:
                    log.info("stage %s: up to date, skipped", name)
                    self.console.line(f"{name}: up to date, skipped")
                    self._trusted.add(name)
                    self._store(stage, entry)
                    continue
            elif entry.get("status") == "done":
                why = self._what_changed(stage, entry, inputs, numerics)
            if why:
                log.info("stage %s: %s; rerunning", name, why)
                self.console.line(f"{name}: {why}; rerunning")
            if (why or entry.get("fingerprint") != fp) and stage_dir.exists():
                shutil.rmtree(inside(self.run_dir, stage_dir))
            if self._restore(stage, fp, inputs, numerics):
                continue
            self._run_stage(stage, fp, inputs, numerics, resumed=entry.get("fingerprint") == fp and not why)
            self._store(stage, self.manifest["stages"][name])
        return self.manifest

    # --- the stage cache -------------------------------------------------------------------------------------

    def cacheable(self, stage: StageConfig) -> bool:
        return (self.stage_cache is not None and getattr(self.mods[stage.kind], "CACHEABLE", True)
                and stage.stage_name not in (self.recipe.cache.skip if self.recipe.cache else []))

    def _cache_trouble(self, e: OSError) -> None:
        """A cache that cannot be read or written is a lost shortcut, not a failed run: say so once, go on without."""
        self.console.line(f"stage cache {self.stage_cache.root}: {e.strerror or type(e).__name__}"
                          f"{f' ({e.filename})' if e.filename else ''}; running without the cache")
        self.stage_cache = None

    def _restore(self, stage: StageConfig, fp: str, inputs: dict, numerics: dict | None) -> bool:
        """Take the stage's outputs from the cache if it holds them (True), recording where they came from."""
        if not self.cacheable(stage):
            return False
        name = stage.stage_name
        stage_dir = self.run_dir / name
        inside(self.run_dir, stage_dir)
        t0 = time.perf_counter()
        try:
            cached = self.stage_cache.restore(fp, stage_dir, self.cache)
        except DamagedEntry as e:
            self.console.line(f"{name}: stage cache entry {self.stage_cache.entry_dir(fp)} refused: {e}; running "
                              "the stage (its result replaces the entry)")
            try:
                self.stage_cache.discard(fp)
            except OSError as err:
                self._cache_trouble(err)
            return False
        except OSError as e:
            self._cache_trouble(e)
            return False
        if cached is None:
            return False
        outputs, files = record_outputs(self.run_dir, name, self.cache)  # hashes known from the restore: no reading
        self.cache.save()
        built = cached.get("built") if isinstance(cached.get("built"), dict) else {}
        previous = self.manifest["stages"].get(name, {})
        metrics = cached.get("metrics") if isinstance(cached.get("metrics"), dict) else {}
        entry = {"kind": stage.kind, "config": stage.model_dump(mode="json"), "inputs": inputs, "fingerprint": fp,
                 "status": "done", "started_at": _now(), "attempts": previous.get("attempts", 0) + 1,
                 "recipe": {"name": self.recipe.name, "hash": self.manifest["recipe_hash"]},
                 "host": socket.gethostname(), "metrics": metrics, "outputs": outputs, "files": files,
                 "wall_time_s": round(time.perf_counter() - t0, 3), "finished_at": _now(),
                 "cached": {"entry": str(self.stage_cache.entry_dir(fp)), "from_run": built.get("run_dir"),
                            "from_host": built.get("host"), "built_at": built.get("finished_at"),
                            "build_wall_time_s": built.get("wall_time_s"), "restored_at": _now()}}
        if numerics is not None:
            entry["numerics"] = numerics
        self.manifest["stages"][name] = entry
        self._ran.add(name)
        self._save()
        with contextlib.suppress(OSError):
            (stage_dir / "log.txt").write_text(f"restored from the stage cache: {entry['cached']}\n", encoding="utf-8")
        log.info("stage %s: restored from the stage cache", name)
        took = built.get("wall_time_s")
        self.console.line(f"{name} ({stage.kind}): from the stage cache (built by {built.get('run_dir')} at "
                          f"{built.get('finished_at')}{f' in {took:.1f} s' if isinstance(took, (int, float)) else ''})"
                          f"  {key_metric(metrics)}".rstrip())
        self._trusted.add(name)
        return True

    def _store(self, stage: StageConfig, entry: dict) -> None:
        """Put a finished stage into the cache (if it is not there yet); a failure to is one line, never fatal."""
        if not self.cacheable(stage) or entry.get("status") != "done" or not entry.get("files"):
            return
        try:
            why = self.stage_cache.store(entry["fingerprint"], self.run_dir, stage.stage_name, entry)
        except OSError as e:
            self._cache_trouble(e)
            return
        if why:
            self.console.line(f"{stage.stage_name}: not stored in the stage cache: {why}")

    def current_stages(self) -> list[str]:
        """The stages that are done with the fingerprint they would have now, in recipe order. A done stage whose
        config, inputs (an override or new ratings in the store included) or upstream stages changed since it ran
        is stale, and so is everything downstream of it (e.g. after `--only`)."""
        self._take_others()
        current, stale = [], set()
        for stage in self.recipe.stages:
            name = stage.stage_name
            entry = self.manifest["stages"].get(name, {})
            try:
                fp = self.fingerprint(stage)[0]
            except WorkbenchError:  # e.g. an input that is missing, or waiting for ratings
                fp = None
            upstream_stale = any(ref in stale for _, ref, _ in stage.references())
            if (entry.get("status") == "done" and entry.get("fingerprint") == fp and not upstream_stale
                    and (self.run_dir / name).exists()):
                current.append(name)
            else:
                stale.add(name)
        return current

    def context(self, stage: StageConfig) -> StageContext:
        """What `stage` sees of the run (also what every rank of a distributed launch rebuilds)."""
        return StageContext(run_dir=self.run_dir, stage_dir=self.run_dir / stage.stage_name,
                            stage_name=stage.stage_name, seed=self.seed(stage), recipe=self.recipe,
                            resolve=self.resolve, log=log)

    def _run_stage(self, stage: StageConfig, fp: str, inputs: dict, numerics: dict | None, resumed: bool) -> None:
        if trl_private.uses_private(stage.kind):  # before the first such stage trains: every stage of the recipe
            trl_private.check(s.kind for s in self.recipe.stages)
        name = stage.stage_name
        stage_dir = self.run_dir / name
        stage_dir.mkdir(parents=True, exist_ok=True)
        previous = self.manifest["stages"].get(name, {})
        rebuild = previous.get("status") == "done" and previous.get("fingerprint") == fp  # its outputs failed checks
        entry = {
            "kind": stage.kind,
            "config": stage.model_dump(mode="json"),
            "inputs": inputs,
            "fingerprint": fp,
            "status": "running",
            "started_at": _now(),
            "attempts": self.manifest["stages"].get(name, {}).get("attempts", 0) + 1,
            "recipe": {"name": self.recipe.name, "hash": self.manifest["recipe_hash"]},
            "host": socket.gethostname(),
            "pid": os.getpid(),
        }
        if numerics is not None:
            entry["numerics"] = numerics
        self.manifest["stages"][name] = entry
        self._ran.add(name)
        self._save()
        ctx = self.context(stage)
        what = "resuming" if resumed and ctx.last_checkpoint() else "running"
        line = self.console.start(name, stage.kind, what, stage_dir / "log.txt")
        log.info("stage %s (%s): %s", name, stage.kind, what)
        since_start = reset_peak_memory()
        t0 = time.perf_counter()
        try:
            metrics = run_stage(self.mods[stage.kind], stage, ctx, self.launcher)
            wall = time.perf_counter() - t0
            # this process's peak; a training stage launched as an accelerate job reports its own in its metrics
            peak = peak_rss_mib() if not (self.launcher and self.launcher.kind != "local"
                                          and is_training_stage(stage)) else None
            shutil.rmtree(ctx.checkpoint_dir, ignore_errors=True)  # only needed to resume an unfinished stage
            write_json(stage_dir / "metrics.json", metrics)
            outputs, files = record_outputs(self.run_dir, name, self.cache)
            self.cache.save()
        except BaseException as e:
            stopped = "interrupted" if isinstance(e, KeyboardInterrupt) else "failed"
            entry.update(status=stopped, error=str(e).splitlines()[0] if str(e) else type(e).__name__,
                         wall_time_s=round(time.perf_counter() - t0, 3))
            self.console.finish(line, f"{name} ({stage.kind}): {stopped} after {time.perf_counter() - t0:.1f} s "
                                      f"(log: {stage_dir / 'log.txt'})")
            self._save()
            raise
        entry.update(status="done", metrics=metrics, outputs=outputs, files=files, wall_time_s=round(wall, 3),
                     peak_rss_mib=peak, peak_rss_since=None if peak is None else
                     "stage start" if since_start else "process start",
                     finished_at=_now())
        entry.pop("error", None)
        entry.pop("pid", None)
        self._save()
        note = ""
        if rebuild:  # stages that read this one rerun only if what they read differs from what they were built on
            same = input_fingerprint(previous) == input_fingerprint(entry)
            note = "  (same artifacts as the last build)" if same else "  (artifacts differ from the last build)"
        memory = f", peak memory {peak / 1024:.1f} GiB" if peak is not None else ""
        self.console.finish(line, f"{name} ({stage.kind}): {'resumed, ' if what == 'resuming' else ''}done in "
                                  f"{wall:.1f} s{memory}  {key_metric(metrics)}".rstrip() + note)
        self._trusted.add(name)


def run_recipe(recipe: Recipe, run_dir: str | Path, only: list[str] | None = None,
               launcher: LauncherSettings | None = None, verbose: bool = False, command: str | None = None,
               stage_cache: StageCache | None = None) -> dict:
    return Pipeline(recipe, run_dir, launcher, verbose, command, stage_cache).run(only)
