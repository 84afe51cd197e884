"""What the UI shows of a run directory: its stages (from manifest.json) and their metrics, each stage's training
curve (history.json), the answers each stage gave to the same prompts (samples.jsonl), the evaluation report
(an evaluate stage's report.json and PNG plots), plus registering the run and its safety-filter decisions in the
store. Only JSON is read here (no torch, no pipeline import), so the UI stays light.
"""

from __future__ import annotations

from pathlib import Path

import json

from sqlalchemy import select

from workbench.data import read_records
from workbench.errors import WorkbenchError
from workbench.store.db import Store
from workbench.store.filters import DECISIONS, import_decisions
from workbench.store.schema import Run

SAMPLES = "samples.jsonl"
REPORT = "report.json"


def _json(path: Path, what: str):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as e:
        raise WorkbenchError(f"{path}: cannot read this {what} ({e}); rerun the stage that wrote it") from None


def read_manifest(run_dir: Path) -> dict:
    manifest = _json(run_dir / "manifest.json", "manifest")
    if not isinstance(manifest, dict) or not isinstance(manifest.get("stages"), dict):
        raise WorkbenchError(f"{run_dir / 'manifest.json'}: not a run manifest (no stages); give a run directory "
                             "written by `workbench run`")
    return manifest


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
    path = Path(run_dir) / stage / "history.json"
    rows = _json(path, "training history") if path.is_file() else []
    return [row for row in rows if isinstance(row, dict) and "loss" in row and "step" in row]


def metrics_table(stages: list[dict]) -> list[dict]:
    """One row per stage and metric (nested metrics flattened to `a.b`): stage, metric, value."""
    rows = []

    def flatten(stage: str, prefix: str, value) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                flatten(stage, f"{prefix}.{key}" if prefix else str(key), inner)
        else:
            rows.append({"stage": stage, "metric": prefix, "value": value if isinstance(value, (int, float)) or value is None
                         else json.dumps(value)})

    for row in stages:
        flatten(row["stage"], "", row["metrics"])
    return rows


def evaluations(run_dir: str | Path) -> list[dict]:
    """Each evaluate stage's report: `{"stage", "report": report.json's content or None, "plots": [PNG paths]}`,
    the plots being the PNG files in the stage's folder (no other path is ever read)."""
    run_dir = Path(run_dir)
    found = []
    for row in stage_table(run_dir):
        folder = run_dir / row["stage"]
        if row["kind"] != "evaluate" or not folder.is_dir():
            continue
        report = _json(folder / REPORT, "evaluation report") if (folder / REPORT).is_file() else None
        found.append({"stage": row["stage"], "report": report if isinstance(report, dict) else None,
                      "plots": sorted(path for path in folder.glob("*.png") if path.is_file() and not path.is_symlink())})
    return found


def report_tables(report: dict) -> dict[str, list[dict]]:
    """report.json as tables: `summary` (a row per model), `skills` (a row per skill, a column per model), `gains`
    (paired accuracy gain over the previous model), `stages` (wall times); missing parts give empty tables."""
    models = [m for m in report.get("models") or [] if isinstance(m, dict)]
    summary = [{"model": model, **figures} for model, figures in (report.get("summary") or {}).items()
               if isinstance(figures, dict)]
    skill_names = sorted({skill for m in models for skill in ((m.get("taskworld") or {}).get("skills") or {})})
    skills = [{"skill": skill, **{str(m.get("model")): ((m.get("taskworld") or {}).get("skills") or {}).get(skill, {})
                                   .get("accuracy") for m in models}} for skill in skill_names]
    gains = [{"model": m.get("model"), "previous": m.get("previous"),
              **{f"{kind} {field}": (m["gains"].get(kind) or {}).get(field)
                 for kind in ("all_items", "task_items") for field in ("gain", "two_se")}}
             for m in models if isinstance(m.get("gains"), dict)]
    stages = [s for s in report.get("stages") or [] if isinstance(s, dict)]
    return {"summary": summary, "skills": skills, "gains": gains, "stages": stages}


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
