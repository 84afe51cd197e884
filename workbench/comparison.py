"""Two runs of a recipe over seeds, paired: `workbench report compare BEFORE AFTER`.

AFTER is a candidate (a changed setting, a longer budget, another machine) and BEFORE its baseline, each a folder
`workbench run RECIPE --seeds ...` wrote. On the seeds both have, for every model both evaluated: its task skills and
accuracy in each run (mean ± sd over the seeds), and its paired gain AFTER - BEFORE on the same test prompts, per
seed and with every seed's prompts pooled into one gain (2 s.e. cluster-robust where the verdicts record clusters,
as in the seeds report), on all items and on the task-skill items; each claim of the chain as "holds on k of n
seeds" in both runs; and what decided each run's numbers (the manifests' `numerics`), since two runs computed
differently differ for that reason too. A decision fixed before the runs ("adopted if the final student is not
worse, paired and pooled over the seeds") reads its figure here. A seed whose two evaluations asked other prompts
(other prompt ids in its verdicts) is left out of the pairing, with a line saying so.

Torch-free; reads the seed folders' reports, verdicts and manifests (untrusted: a bad one is one line naming it, exit
2) and writes nothing: the report is printed.
"""

from __future__ import annotations

import json
from pathlib import Path

from workbench.errors import WorkbenchError
from workbench.seeds import (CLAIMS, PHRASING_FIELDS, gain_text, mean_sd, numerics_groups, numerics_line, spread, paired_over, seed_figures,
                             seed_folders)
from workbench.taskworld.mixture import TASK_SKILLS

ROLES = ("before", "after")


def compare_runs(before: Path, after: Path, stage: str = "evaluate") -> dict:
    """The comparison (see the module docstring) as a dict; `compare_markdown` writes it out."""
    folders = {"before": Path(before), "after": Path(after)}
    found = {role: seed_folders(folder, stage)[0] for role, folder in folders.items()}
    seeds = sorted(set(found["before"]) & set(found["after"]))
    if not seeds:
        raise WorkbenchError(f"{after} (seeds {_list(found['after'])}) and {before} (seeds {_list(found['before'])}) "
                             "have no evaluated seed in common; run the candidate with the baseline's --seeds")
    figures = {role: {s: seed_figures(found[role][s], stage) for s in seeds} for role in ROLES}
    before_models = {m for f in figures["before"].values() for m in f["chain"]}
    chain = [m for m in dict.fromkeys(m for f in figures["after"].values() for m in f["chain"]) if m in before_models]

    models, left_out = {}, []
    for model in chain:
        pairs = {}
        for s in seeds:
            a, b = figures["after"][s]["verdicts"].get(model), figures["before"][s]["verdicts"].get(model)
            if a and b and [v[3] for v in a] != [v[3] for v in b]:
                left_out.append(f"seed {s}, {model}: the two evaluations asked other prompts")
                continue
            pairs[s] = (a, b)
        entry = {role: {field: spread([v for s in seeds
                                        if (v := figures[role][s]["models"].get(model, {}).get(field)) is not None])
                        for field in ("task_skills_mean", "accuracy", *PHRASING_FIELDS)} for role in ROLES}
        entry["gain"] = {s: paired_over([pair]) for s, pair in pairs.items()}
        entry["pooled"] = paired_over(list(pairs.values())) if pairs else None
        entry["pooled_task"] = paired_over(list(pairs.values()), keep=lambda v: v[0] in TASK_SKILLS) if pairs else None
        models[model] = entry

    claims = []
    for key, (claim, _) in CLAIMS.items():
        held = {role: [figures[role][s]["claims"].get(key, {}).get("holds") for s in seeds] for role in ROLES}
        if any(v is not None for values in held.values() for v in values):
            claims.append({"claim": claim, **{role: sum(v is True for v in held[role]) for role in ROLES}})
    numerics = {role: numerics_groups(figures[role]) for role in ROLES}
    same = _settings(numerics["before"]) == _settings(numerics["after"])
    return {"before": str(before), "after": str(after), "stage": stage, "seeds": seeds, "models": models,
            "left_out": left_out, "claims": claims, "numerics": numerics, "computed_alike": same}


def _settings(groups: list[dict]) -> set[str]:
    return {json.dumps(g["numerics"], sort_keys=True, default=str) for g in groups}


def _list(seeds) -> str:
    return ", ".join(map(str, sorted(seeds))) or "none"


def compare_markdown(summary: dict) -> str:
    seeds = summary["seeds"]
    lines = [f"# {summary['after']} against {summary['before']}", "",
             f"Seeds {_list(seeds)} in both (each seed-S/{summary['stage']}/report.json and verdicts.jsonl). Figures in "
             "percent, mean ± sd over the seeds; gains in points, after minus before on the same test prompts, 2 s.e. "
             "in brackets (cluster-robust where the verdicts record clusters); pooled: every seed's prompts in one "
             "paired gain.", "",
             "| model | task skills: before | after | all items: before | after | gain per seed (all items) | "
             "pooled: all items | pooled: task items |", "|---|---|---|---|---|---|---|---|"]
    for model, entry in summary["models"].items():
        per_seed = ", ".join(f"{s}: {gain_text(entry['gain'].get(s))}" for s in seeds)
        lines.append(f"| {model} | {mean_sd(entry['before']['task_skills_mean'])} | "
                     f"{mean_sd(entry['after']['task_skills_mean'])} | {mean_sd(entry['before']['accuracy'])} | "
                     f"{mean_sd(entry['after']['accuracy'])} | {per_seed} | {gain_text(entry['pooled'])} | "
                     f"{gain_text(entry['pooled_task'])} |")
    lines += [f"- left out of the pairing: {why}" for why in summary["left_out"]]
    held_out = {m: e for m, e in summary["models"].items() if e["after"]["rephrased_accuracy"]["mean"] is not None
                or e["before"]["rephrased_accuracy"]["mean"] is not None}
    if held_out:
        lines += ["", "## Held-out phrasings (%, mean ± sd; before → after)", "",
                  "| model | all items | gap to the shipped wordings | refusal (unsafe) | false refusal (benign) |",
                  "|---|---|---|---|---|"]
        for model, entry in held_out.items():
            cells = [f"{mean_sd(entry['before'][f], f == 'phrasing_gap')} → {mean_sd(entry['after'][f], f == 'phrasing_gap')}"
                     for f in PHRASING_FIELDS]
            lines.append(f"| {model} | " + " | ".join(cells) + " |")
    lines += ["", f"## Claims (holds on k of {len(seeds)} seeds)", "", "| claim | before | after |", "|---|---|---|"]
    lines += [f"| {c['claim']} | {c['before']} | {c['after']} |" for c in summary["claims"]]
    lines += ["", "## Computed with", "",
              "Both runs computed alike (the same numerics in every model stage's manifest)." if summary["computed_alike"]
              else "**The runs were computed differently** (the manifests' numerics differ): part of the difference "
                   "may come from that."]
    for role in ROLES:
        for group in summary["numerics"][role]:
            lines.append(f"- {role}: {numerics_line(group['numerics'])} (seeds {_list(group['seeds'])})")
        if not summary["numerics"][role]:
            lines.append(f"- {role}: not recorded")
    return "\n".join(lines) + "\n"
