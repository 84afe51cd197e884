"""The evaluation report of a run: `report.md`, `report.json` and PNG plots, written by the `evaluate` stage.

Owns how the measured rows (one per model, as `workbench.stages.evaluate` computes them) are rendered: the markdown
tables (one row per model, shipped against held-out phrasings, accuracy per skill, with a rubric accuracy per prompt
group and paired gains per group,
each finished stage's wall time from the run's manifest), the plots
(training curves of every stage that kept a `history.json`, per-skill accuracy by model as grouped bars, reward
against KL to the teacher), and the JSON document whose `summary` is the stage's metrics. Plots use matplotlib's
Agg backend, so no display is needed.
"""

from __future__ import annotations

from pathlib import Path

from workbench.atomic import atomic_file, write_json, write_text
from workbench.rundir import read_history, read_manifest

SUMMARY_FIELDS = ("task_skills_mean", "accuracy", "refusal_rate", "false_refusal_rate", "identity_accuracy",
                  "rubric_accuracy", "reward_mean", "win_rate", "win_rate_vs_first", "kl_to_teacher", "kl_to_reference",
                  "perplexity",
                  "clean_endings", "rephrased_accuracy", "rephrased_refusal_rate", "rephrased_false_refusal_rate")
COLUMNS = {  # summary field -> report.md column
    "task_skills_mean": "task skills", "accuracy": "all items", "refusal_rate": "refusal (unsafe)",
    "false_refusal_rate": "false refusal (benign)", "identity_accuracy": "identity",
    "rubric_accuracy": "rubric accuracy", "reward_mean": "reward",
    "win_rate": "win rate vs previous", "win_rate_vs_first": "win rate vs first model",
    "kl_to_teacher": "KL to teacher",
    "kl_to_reference": "KL to reference", "perplexity": "perplexity",
    "clean_endings": "clean endings",  # a stop token within max_new_tokens, no control-token text before it
}


def stage_times(run_dir: Path) -> list[dict]:
    """Every finished stage of the run, in manifest order: name, kind, wall time, whether it came from the stage
    cache (its wall time is then the restore's)."""
    stages = read_manifest(run_dir)["stages"]
    return [{"name": name, "kind": entry.get("kind"), "wall_time_s": entry.get("wall_time_s"),
             "cached": isinstance(entry.get("cached"), dict)}
            for name, entry in stages.items() if entry.get("status") == "done"]


def summary(rows: list[dict]) -> dict:
    """model -> its headline figures (`SUMMARY_FIELDS`)."""
    return {row["model"]: {f: row.get(f) for f in SUMMARY_FIELDS} for row in rows}


def write_report(out: Path, recipe_name: str, run_dir: Path, stage_names: list[str], rows: list[dict],
                 settings: dict) -> dict:
    """Write report.md, report.json and the plots into `out`; return report.json's content."""
    histories = {name: read_history(run_dir / name) for name in stage_names}
    plots = [name for name, drawn in (
        ("training_curves.png", plot_training_curves(out / "training_curves.png", histories)),
        ("skills.png", plot_skills(out / "skills.png", rows)),
        ("reward_vs_kl.png", plot_reward_vs_kl(out / "reward_vs_kl.png", rows)),
    ) if drawn]
    report = {"recipe": recipe_name, "settings": settings, "models": rows, "stages": stage_times(run_dir),
              "plots": plots, "summary": summary(rows)}
    write_json(out / "report.json", report)
    write_text(out / "report.md", markdown(report))
    return report


# --- markdown ----------------------------------------------------------------------------------------------------


def _cell(value) -> str:
    if value is None:
        return "-"
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def _table(header: list[str], body: list[list]) -> list[str]:
    return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)] + \
           ["| " + " | ".join(_cell(v) for v in line) + " |" for line in body]


def _label(model: str, settings: dict) -> str:
    return f"{model} (teacher)" if model == settings["teacher"] and model not in settings["models"] else model


def markdown(report: dict) -> str:
    s = report["settings"]
    lines = [f"# Evaluation of recipe `{report['recipe']}`", "",
             f"{s['prompts']} test prompts from `{s['data']}`, greedy answers of at most {s['max_new_tokens']} tokens. "
             f"Reward model: {s['reward'] or 'none'}. Teacher: {s['teacher'] or 'none'}. "
             "Win rate: against the previous model in the list, and against the first (in a chain, the SFT model), "
             "under the reward model (ties count half). "
             "KL to teacher (and to reference): per answer, the sum over its tokens of KL(model || teacher) between "
             "the two next-token distributions, along the model's own answers (nats). "
             "Perplexity: on the validation corpus. "
             "Clean endings: the share of answers that stopped at a stop token within the token budget, with no "
             "control token written before it."
             + (f" Rubric: `{s['rubric']}` (an answer is right when it states every `must` fact and no `must_not` one)."
                if s.get("rubric") else ""), ""]
    shown = [f for f in COLUMNS if any(figures.get(f) is not None for figures in report["summary"].values())]
    lines += _table(["model"] + [COLUMNS[f] for f in shown],
                    [[_label(name, s)] + [figures.get(f) for f in shown] for name, figures in report["summary"].items()])
    lines += teacher_warning(report)
    gained = [row for row in report["models"] if "gains" in row]
    if gained:
        lines += ["", "## Paired accuracy gain over the previous model", "",
                  "On the same prompts: the mean of (correct now - correct before), which equals the difference of the "
                  "two accuracies, and two standard errors of that paired mean, cluster-robust on task-world items (the "
                  "questions about one town, one conversion or one request count as one cluster). A gain is "
                  "significant at about 95 % where it exceeds its 2 s.e.", ""]
        lines += _table(["model", "previous", "all items", "2 s.e.", "task-skill items", "2 s.e."],
                        [[row["model"], row["previous"]] + [row["gains"].get(kind, {}).get(field)
                                                             for kind in ("all_items", "task_items")
                                                             for field in ("gain", "two_se")] for row in gained])
    lines += phrasing_table(report["models"])
    skills = sorted({skill for row in report["models"] for skill in _skills(row)})
    if skills:
        lines += ["", "## Accuracy per skill", ""]
        lines += _table(["skill"] + [row["model"] for row in report["models"]],
                        [[skill] + [_skills(row).get(skill, {}).get("accuracy") for row in report["models"]]
                         for skill in skills])
    lines += rubric_tables(report["models"])
    lines += ["", "## Stages", ""]
    lines += _table(["stage", "kind", "wall time (s)"],
                    [[st["name"], st["kind"] + (" (from the stage cache)" if st.get("cached") else ""),
                      st["wall_time_s"]] for st in report["stages"]])
    if report["plots"]:
        lines += ["", "## Plots", ""] + [f"![{p.removesuffix('.png')}]({p})" for p in report["plots"]]
    return "\n".join(lines) + "\n"


def teacher_warning(report: dict) -> list[str]:
    """One line when the teacher is not ahead of every student in the chain (on task skills, else all items, else
    the rubric): distilling from it has no gap to close."""
    s, summary = report["settings"], report["summary"]
    teacher = summary.get(s.get("teacher")) if s.get("teacher") else None
    if not teacher:
        return []
    field = next((f for f in ("task_skills_mean", "accuracy", "rubric_accuracy")
                  if isinstance(teacher.get(f), (int, float))), None)
    if field is None:
        return []
    behind = [(m, summary[m][field]) for m in s["models"] if m != s["teacher"] and m in summary
              and isinstance(summary[m].get(field), (int, float)) and summary[m][field] >= teacher[field]]
    if not behind:
        return []
    students = ", ".join(f"{m} ({v:.3f})" for m, v in behind)
    return ["", f"**Warning: the teacher {s['teacher']} ({COLUMNS[field]} {teacher[field]:.3f}) is not ahead of "
                f"{students}: the students it teaches have no gap to close.**"]


def _skills(row: dict) -> dict:
    return row.get("taskworld", {}).get("skills", {})


PHRASING_FIGURES = {"accuracy": "all items", "task_skills": "task-skill items", "refusal_rate": "refusal (unsafe)",
                    "false_refusal_rate": "false refusal (benign)"}


def phrasing_table(rows: list[dict]) -> list[str]:
    """Each model on the same test items in the shipped wordings and in held-out ones (`phrasings`, see
    `workbench.stages.evaluate.phrasing_figures`): both rates, the gap and its two standard errors."""
    measured = [row for row in rows if "phrasings" in row]
    if not measured:
        return []
    lines = ["", "## Shipped against held-out phrasings", "",
             f"The first {measured[0]['phrasings']['n']} test items as shipped and re-asked in wordings that no "
             "training split and no corpus document uses (the task world's `prompts/rephrased.jsonl`). Gap: held-out "
             "minus shipped on the same items, with two standard errors of that paired difference; with the "
             "recipe's `phrasings: shared` the shipped test wordings are the training wordings.", ""]
    lines += _table(["model", "figure", "items", "shipped", "held-out", "gap", "2 s.e."],
                    [[row["model"], label, f["n"], f["shipped"], f["held_out"], f["gap"], f["two_se"]]
                     for row in measured for key, label in PHRASING_FIGURES.items()
                     if (f := row["phrasings"].get(key)) is not None])
    return lines


def rubric_tables(rows: list[dict]) -> list[str]:
    """Rubric accuracy per prompt group for every model, and each model's paired gain over the previous one, overall
    and per group."""
    rubric_rows = [row for row in rows if "rubric" in row]
    if not rubric_rows:
        return []
    groups = list(dict.fromkeys(g for row in rubric_rows for g in row["rubric"]["groups"]))
    sizes = {g: next(row["rubric"]["groups"][g]["n"] for row in rubric_rows if g in row["rubric"]["groups"])
             for g in groups}
    lines = ["", "## Rubric accuracy per prompt group", ""]
    lines += _table(["group", "prompts"] + [row["model"] for row in rubric_rows],
                    [[g, sizes[g]] + [row["rubric"]["groups"].get(g, {}).get("accuracy") for row in rubric_rows]
                     for g in groups]
                    + [["all", sum(sizes.values())] + [row["rubric"]["accuracy"] for row in rubric_rows]])
    gained = [row for row in rubric_rows if "rubric_gains" in row]
    if gained:
        lines += ["", "## Paired rubric gain over the previous model", "",
                  "Per prompt group: the mean of (right now - right before) on the same prompts, and two standard "
                  "errors of that paired mean.", ""]
        lines += _table(["model", "previous"] + [h for g in ["all"] + groups for h in (g, "2 s.e.")],
                        [[row["model"], row["previous"]] + [row["rubric_gains"].get(g, {}).get(k)
                                                             for g in ["all"] + groups for k in ("gain", "two_se")]
                         for row in gained])
    return lines


# --- plots -------------------------------------------------------------------------------------------------------


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: Path) -> bool:
    with atomic_file(path, "wb", encoding=None) as f:
        fig.savefig(f, format="png", dpi=100, bbox_inches="tight")
    _pyplot().close(fig)
    return True


def plot_training_curves(path: Path, histories: dict[str, list[dict]]) -> bool:
    """One panel per stage with a history: training loss (and eval loss where logged) against the step."""
    curves = {name: h for name, h in histories.items() if any("loss" in e for e in h)}
    if not curves:
        return False
    plt = _pyplot()
    fig, axes = plt.subplots(len(curves), 1, figsize=(6, 2.4 * len(curves)), squeeze=False)
    for ax, (name, history) in zip(axes[:, 0], curves.items()):
        for key in ("loss", "eval_loss"):
            points = [(e["step"], e[key]) for e in history if key in e and "step" in e]
            if points:
                ax.plot(*zip(*points), marker=".", label=key)
        ax.set_title(name)
        ax.set_xlabel("step")
        ax.legend()
    fig.tight_layout()
    return _save(fig, path)


def plot_skills(path: Path, rows: list[dict]) -> bool:
    """Accuracy per skill, one bar per model in each skill's group."""
    skills = sorted({skill for row in rows for skill in _skills(row)})
    if not skills:
        return False
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(max(6, 0.9 * len(skills) * max(1, len(rows)) / 2), 3.5))
    width = 0.8 / len(rows)
    for i, row in enumerate(rows):
        heights = [_skills(row).get(s, {}).get("accuracy") or 0 for s in skills]
        ax.bar([x + i * width for x in range(len(skills))], heights, width, label=row["model"])
    ax.set_xticks([x + 0.4 - width / 2 for x in range(len(skills))], skills, rotation=30, ha="right")
    ax.set_ylim(0, 1)
    ax.set_ylabel("accuracy")
    ax.legend(fontsize="small")
    return _save(fig, path)


def plot_reward_vs_kl(path: Path, rows: list[dict]) -> bool:
    """Mean reward against KL to the reference model (to the teacher when there is none), one labelled point per
    model that has both."""
    field = "kl_to_reference" if any(row.get("kl_to_reference") is not None for row in rows) else "kl_to_teacher"
    points = [(row[field], row["reward_mean"], row["model"]) for row in rows
              if row.get(field) is not None and row.get("reward_mean") is not None]
    if not points:
        return False
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5, 4))
    for kl, reward, name in points:
        ax.scatter(kl, reward)
        ax.annotate(name, (kl, reward), textcoords="offset points", xytext=(4, 4))
    ax.set_xlabel(f"KL to {field.removeprefix('kl_to_')} (nats per answer)")
    ax.set_ylabel("mean reward")
    return _save(fig, path)
