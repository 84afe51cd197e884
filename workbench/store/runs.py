"""What the UI shows of a run directory: its stages (from manifest.json), each stage's training curve
(history.json) and the answers each stage gave to the same prompts (samples.jsonl), plus registering the run and
its safety-filter decisions in the store.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from workbench.data import read_records
from workbench.errors import WorkbenchError
from workbench.pipeline import read_manifest
from workbench.store.db import Store
from workbench.store.filters import DECISIONS, import_decisions
from workbench.store.schema import Run
from workbench.training import read_history

SAMPLES = "samples.jsonl"


def stage_table(run_dir: str | Path) -> list[dict]:
    """One row per stage in manifest order: name, kind, status, wall time, attempts, error and metrics."""
    run_dir = Path(run_dir)
    if not (run_dir / "manifest.json").is_file():
        raise WorkbenchError(f"{run_dir}: no manifest.json; give a run directory written by `workbench run`")
    return [{"stage": name, "kind": entry.get("kind"), "status": entry.get("status"),
             "wall_time_s": entry.get("wall_time_s"), "attempts": entry.get("attempts"),
             "error": entry.get("error"), "metrics": entry.get("metrics") or {}}
            for name, entry in read_manifest(run_dir)["stages"].items()]


def history(run_dir: str | Path, stage: str) -> list[dict]:
    """The stage's trainer log history rows that carry a training loss (step, loss, learning rate, ...)."""
    return [row for row in read_history(Path(run_dir) / stage) if "loss" in row and "step" in row]


def side_by_side(run_dir: str | Path) -> tuple[list[str], list[dict]]:
    """(columns, rows `{"id", "prompt", <column>: response, ...}`) joined by sample id, in the order of the first
    file. A column is a stage folder, or `folder:model` when a row names its own `stage` (an evaluate stage's file
    holds one row per model and id; an sft stage's holds before and after); a missing answer is None."""
    run_dir = Path(run_dir)
    folders = [row["stage"] for row in stage_table(run_dir) if (run_dir / row["stage"] / SAMPLES).is_file()]
    columns: list[str] = []
    rows: dict[str, dict] = {}
    for folder in folders:
        path = run_dir / folder / SAMPLES
        records = read_records(path)
        for index, sample in enumerate(records):
            if not all(name in sample for name in ("id", "prompt", "response")):
                raise records.error(path, index, 'a sample row needs "id", "prompt" and "response"')
            named = str(sample.get("stage") or folder)
            column = folder if named == folder else f"{folder}:{named}"
            if column not in columns:
                columns.append(column)
            row = rows.setdefault(str(sample["id"]), {"id": str(sample["id"]), "prompt": _text(sample["prompt"])})
            row[column] = _text(sample["response"])
    return columns, [{**{c: None for c in columns}, **row} for row in rows.values()]


def _text(value) -> str:
    return value if isinstance(value, str) else "\n\n".join(m["content"] for m in value)


def register_run(store: Store, run_dir: str | Path) -> int:
    """Add the run to the store's runs and import every stage's filter decisions (in the stage's folder or its
`filter/` folder); returns decision rows read."""
    run_dir = Path(run_dir).resolve()
    stages = stage_table(run_dir)
    with store.writing() as session:
        if session.scalar(select(Run.id).where(Run.path == str(run_dir))) is None:
            session.add(Run(path=str(run_dir), name=run_dir.name))
    folders = [folder for row in stages for folder in (run_dir / row["stage"], run_dir / row["stage"] / "filter")
               if (folder / DECISIONS).is_file()]
    return sum(import_decisions(store, folder) for folder in folders)


def registered_runs(store: Store) -> list[str]:
    """The paths of the runs the UI has been started with, newest first."""
    with store.reading() as session:
        return list(session.scalars(select(Run.path).order_by(Run.added_at.desc(), Run.id.desc())))
