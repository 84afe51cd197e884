"""Run directories, read and guarded without torch: the manifest, output verification, stage states, locks.

A run directory holds `manifest.json` (written by `workbench.pipeline`), one folder per stage (a training stage's
with `history.json`), and hidden
bookkeeping: `.hashes.json` (a cache of file hashes by size and mtime, so verifying an unchanged tree only stats it)
and `.locks/` (who is writing the directory now). This module is what the CLI's `workbench status`, the report, the
store and the UI use to read a run: it imports neither torch nor the stages, so reading a run costs milliseconds.

Verification: a finished stage's manifest entry lists every file it wrote with its size and sha256 (`files`);
`verify_outputs` says which one is missing or changed, so the pipeline reruns the stage instead of trusting it.

Locks (`RunLock`): `workbench run` holds `.locks/run.lock` exclusively; `workbench run --only A,B` holds it shared
and `.locks/stage-A.lock`, `.locks/stage-B.lock` exclusively, so runs of different stages may share a directory but
never two writers of one stage, and never a whole run beside anything else. Locks are `fcntl.flock`s on open files:
the OS drops them when their process dies, however it dies. The holder writes who it is into the lock file and
clears it when it lets go; a file still naming a holder on another host, whose lock this host can take, is refused
(flock is not shared between hosts on every network file system), with how to clear it.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import sys
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath

from workbench.atomic import HashCache, sha256_json
from workbench.errors import WorkbenchError
from workbench.paths import regular_file

MANIFEST = "manifest.json"
HISTORY = "history.json"  # in a training stage's folder
HASH_CACHE = ".hashes.json"
LOCKS = ".locks"
NOT_OUTPUTS = ("checkpoints", "log.txt", "launch.log", "runs")  # in a stage folder, but not what it produced
ARTIFACTS = ("model", "tokenizer", "data")  # what later stages read from a stage's folder


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def read_manifest(run_dir: str | Path) -> dict:
    p = Path(run_dir) / MANIFEST
    if not p.exists():
        return {"stages": {}}
    regular_file(p, "manifest")  # a FIFO would block for ever
    try:
        manifest = json.loads(p.read_text())
    except ValueError:
        raise WorkbenchError(f"{p}: manifest is not valid JSON; move the run directory aside or pass another --run-dir") from None
    if not isinstance(manifest, dict) or not isinstance(manifest.setdefault("stages", {}), dict) \
            or not all(isinstance(entry, dict) for entry in manifest["stages"].values()):
        raise WorkbenchError(f"{p}: not a workbench manifest (expected an object with a `stages` object); "
                             "move the run directory aside or pass another --run-dir")
    return manifest


def read_history(stage_dir: str | Path) -> list[dict]:
    """A training stage's log history (loss, lr, grad norm per logging step; written by `workbench.training`)."""
    p = Path(stage_dir) / HISTORY
    return json.loads(p.read_text()) if p.exists() else []


def hash_cache(run_dir: str | Path) -> HashCache:
    return HashCache(run_dir, Path(run_dir) / HASH_CACHE)


# --- outputs -----------------------------------------------------------------------------------------------------


def record_outputs(run_dir: Path, stage: str, cache: HashCache) -> tuple[dict[str, str], dict[str, dict]]:
    """What a finished stage wrote: (top-level name -> tree hash, as `atomic.sha256_path` computes it; file path
    relative to the run directory -> {size, sha256})."""
    files = cache.files(Path(run_dir) / stage, skip=NOT_OUTPUTS)
    trees: dict[str, list[tuple[tuple[str, ...], str]]] = {}
    for rel, info in files.items():
        parts = PurePosixPath(rel).parts[1:]  # drop the stage folder
        trees.setdefault(parts[0], []).append((parts[1:], info["sha256"]))
    outputs = {}
    for name, members in sorted(trees.items()):
        if members == [((), members[0][1])]:  # a file
            outputs[name] = members[0][1]
        else:  # a folder: the digest `sha256_path` gives it (members in Path order, by relative name)
            h = hashlib.sha256()
            for parts, digest in sorted(members):
                h.update(str(PurePosixPath(*parts)).encode() + b"\0" + digest.encode())
            outputs[name] = h.hexdigest()
    return outputs, files


def verify_outputs(run_dir: Path, entry: dict, cache: HashCache) -> str | None:
    """Why a finished stage's recorded outputs cannot be trusted (the first missing or changed file), or None.
    Entries from before files were recorded have nothing to check."""
    files = entry.get("files")
    if files is None:
        return None
    def inside(rel: str) -> bool:  # STAGE/..., never above the run directory
        parts = PurePosixPath(rel).parts
        return len(parts) > 1 and ".." not in parts and not PurePosixPath(rel).is_absolute()

    if not isinstance(files, dict) or not all(isinstance(i, dict) and inside(r) for r, i in files.items()):
        return "its manifest record of output files is unreadable"
    for rel, info in files.items():
        shown = PurePosixPath(*PurePosixPath(rel).parts[1:])
        try:
            st = os.stat(Path(run_dir) / rel)
        except OSError:
            top = PurePosixPath(rel).parts[1]
            if len(PurePosixPath(rel).parts) > 2 and not (Path(run_dir) / PurePosixPath(rel).parts[0] / top).exists():
                return f"output {top}/ is missing"
            return f"output {shown} is missing"
        if st.st_size != info.get("size") or cache.sha256(rel, st) != info.get("sha256"):
            return f"output {shown} changed since it was written"
    return None


def input_fingerprint(entry: dict) -> str:
    """What a later stage's fingerprint takes from a finished stage it reads: its own fingerprint and the hashes
    of the artifacts it wrote, so a stage rebuilt with different bytes reruns everything that read it."""
    outputs = entry.get("outputs") if isinstance(entry.get("outputs"), dict) else {}
    return sha256_json({"fingerprint": entry.get("fingerprint"),
                        "artifacts": {k: v for k, v in outputs.items() if k in ARTIFACTS}})


# --- states, for `workbench status`, the summary table and the UI ------------------------------------------------

KEY_METRICS = (  # (dotted path in metrics.json, label): the first one present is the stage's key figure
    ("val_perplexity", "val ppl"), ("after.eval_perplexity", "eval ppl"), ("taskworld_after.accuracy", "accuracy"),
    ("pairwise_accuracy", "pair accuracy"), ("reward_end", "reward"), ("taskworld.accuracy", "accuracy"),
    ("kept", "kept"), ("validation_chars_per_token", "chars/token"), ("models", "models merged"), ("n", "items"),
    ("train_loss", "loss"),
)


def _get(metrics: dict, path: str):
    value = metrics
    for key in path.split("."):
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


def key_metric(metrics: dict | None) -> str:
    """One figure that says what a stage did, e.g. `val ppl 78.84`, or ''. An evaluation (model -> its figures)
    gives the best task skills and whose they are."""
    metrics = metrics or {}
    models = [(v["task_skills_mean"], m) for m, v in metrics.items()
              if isinstance(v, dict) and isinstance(v.get("task_skills_mean"), (int, float))]
    if models and len(models) == len(metrics):
        best, model = max(models)
        return f"best task skills {best:.3g} ({model})"
    for path, label in KEY_METRICS:
        value = _get(metrics, path)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return f"{label} {value:.4g}" if isinstance(value, float) else f"{label} {value}"
    return ""


def _alive(pid) -> bool:
    try:
        os.kill(int(pid), 0)
    except (OSError, ValueError, TypeError, OverflowError):
        return False
    return True


def stage_states(run_dir: Path, stage_names: list[str] | None = None, verify: bool = True) -> list[dict]:
    """One row per stage (the given order, else the manifest's): name, kind, state, wall time, key metric, why.
    States: done, cached (done, its outputs taken from the stage cache: wall time is the restore's), stale (an output
    changed, or an input was rebuilt since), failed, killed (left `running` by a process that is gone), running,
    not run."""
    run_dir = Path(run_dir)
    stages = {n: e for n, e in read_manifest(run_dir)["stages"].items() if isinstance(e, dict)}
    cache = hash_cache(run_dir) if verify else None
    rows = []
    for name in stage_names or list(stages):
        entry = stages.get(name) or {}
        status, why = entry.get("status"), ""
        if status == "done":
            why = verify_outputs(run_dir, entry, cache) if cache else None
            # (a stage's plain fingerprint is what manifests recorded as input before output verification)
            stale_inputs = [ref for ref, fp in (entry.get("inputs") or {}).items()
                            if ref in stages and ref != name and stages[ref].get("status") == "done"
                            and fp not in (input_fingerprint(stages[ref]), stages[ref].get("fingerprint"))]
            if not why and stale_inputs:
                why = f"{', '.join(stale_inputs)} rebuilt since"
            state = "stale" if why else "cached" if isinstance(entry.get("cached"), dict) else "done"
        elif status == "running":
            here = entry.get("host") in (None, socket.gethostname())
            state = "running" if not here or _alive(entry.get("pid")) else "killed"
            why = "" if here else f"on {entry.get('host')}"
        elif status in ("failed", "interrupted"):
            state, why = "failed", entry.get("error", "")
        else:
            state = "not run"
        wall = entry.get("wall_time_s") if state != "not run" else None
        if state == "running" and entry.get("started_at"):  # so far
            try:
                wall = (datetime.now(timezone.utc) - datetime.fromisoformat(entry["started_at"])).total_seconds()
            except (TypeError, ValueError):
                wall = None
        rows.append({"name": name, "kind": entry.get("kind", ""), "state": state, "wall_time_s": wall,
                     "metric": key_metric(entry.get("metrics")) if status == "done" else "", "why": why or ""})
        if state == "cached":
            rows[-1]["why"] = f"from {Path(str(entry['cached'].get('from_run'))).name}"
    if cache:
        cache.save()
    return rows


def format_seconds(seconds) -> str:
    """'59.7 s' under a minute, else whole minutes and seconds ('3 min 00 s' for 179.7 s)."""
    if seconds is None:
        return "-"
    seconds = float(seconds)
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s"


def states_table(rows: list[dict]) -> str:
    """Plain aligned columns: stage, state, wall time, key metric (and why, for stale or failed stages)."""
    table = [("stage", "state", "wall time", "key metric")]
    for r in rows:
        why = r["why"] if len(r["why"]) <= 48 else r["why"][:47] + "…"
        table.append((r["name"], f"{r['state']} ({why})" if why else r["state"], format_seconds(r["wall_time_s"]),
                      r["metric"]))
    widths = [max(len(row[i]) for row in table) for i in range(3)]
    return "\n".join("  ".join([*(cell.ljust(w) for cell, w in zip(row, widths)), row[3]]).rstrip() for row in table)


# --- locks -------------------------------------------------------------------------------------------------------


class RunLock:
    """One writer per run directory (the whole run), or per stage for `--only` runs; see the module docstring."""

    def __init__(self, run_dir: str | Path, stages: list[str] | None = None, command: str | None = None):
        self.run_dir, self.stages = Path(run_dir), stages
        self.me = {"pid": os.getpid(), "host": socket.gethostname(), "started": now(),
                   "command": command or " ".join(["workbench", *sys.argv[1:]])}
        self._held: list[tuple[object, bool]] = []  # (open file, whether we wrote our name into it)

    def __enter__(self) -> "RunLock":
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()

    def acquire(self) -> None:
        try:
            import fcntl
        except ImportError:  # not POSIX: no locking
            return
        folder = self.run_dir / LOCKS
        folder.mkdir(parents=True, exist_ok=True)
        try:
            whole = self.stages is None
            self._take(fcntl, folder / "run.lock", exclusive=whole)
            for stage in self.stages or []:
                self._take(fcntl, folder / f"stage-{stage}.lock", exclusive=True)
        except BaseException:
            self.release()
            raise

    def _take(self, fcntl, path: Path, exclusive: bool) -> None:
        f = open(path, "a+", encoding="utf-8")
        try:
            fcntl.flock(f, (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB)
        except BlockingIOError:
            f.close()
            raise WorkbenchError(f"{self.run_dir} is in use by {self._describe_holders(path)}; wait for it to "
                                 "finish, or pass another --run-dir") from None
        left = _holder(path)
        if left and left.get("host") != self.me["host"]:
            fcntl.flock(f, fcntl.LOCK_UN)
            f.close()
            raise WorkbenchError(
                f"{path}: held by {_describe(left)} on another host, which this one cannot check; if that run has "
                f"ended, delete {path} and run again")
        if exclusive:
            f.seek(0)
            f.truncate()
            f.write(json.dumps(self.me) + "\n")
            f.flush()
        self._held.append((f, exclusive))

    def _describe_holders(self, path: Path) -> str:
        def live(h: dict | None) -> bool:  # a file may still name a holder that was killed: check what we can
            return bool(h) and (h.get("host") != socket.gethostname() or _alive(h.get("pid")))

        holders = [h for h in [_holder(path)] if live(h)] or \
            [h for p in sorted((self.run_dir / LOCKS).glob("stage-*.lock")) if live(h := _holder(p))]
        return "; ".join(_describe(h) for h in holders) or "another `workbench run`"

    def release(self) -> None:
        import fcntl

        while self._held:
            f, ours = self._held.pop()
            try:
                if ours:
                    f.seek(0)
                    f.truncate()
                    f.flush()
                fcntl.flock(f, fcntl.LOCK_UN)
            finally:
                f.close()


def _holder(path: Path) -> dict | None:
    try:
        holder = json.loads(path.read_text(encoding="utf-8") or "null")
    except (OSError, ValueError):
        return None
    return holder if isinstance(holder, dict) else None


def _describe(holder: dict) -> str:
    return (f"`{holder.get('command', 'workbench run')}` (pid {holder.get('pid')} on {holder.get('host')}, "
            f"since {holder.get('started')})")

