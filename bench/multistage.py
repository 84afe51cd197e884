"""Multi-stage distillation (teacher -> intermediate -> student) against direct distillation at equal student
compute: a measured yes or no, from a `recipes/multistage-distillation.yaml` run.

    workbench run recipes/multistage-distillation.yaml --run-dir RUN_DIR --only ...   (see the recipe's header)
    python -m bench.multistage RUN_DIR [--json OUT]

Reads `evaluate_multistage`'s `report.json` and `verdicts.jsonl` (greedy answers to the same test prompts). The arms
are the models named `student_direct<suffix>` and `student_via_mid<suffix>` (one pair per seed: `""`, `"_2"`, ...).
For each pair and for both pooled, on task-skill items and on all items: each arm's accuracy and the paired
difference via_mid - direct with two standard errors (`workbench.stages.evaluate.paired_gain` over the prompts;
pooled: per prompt, the mean over seeds of via_mid's verdict minus direct's, so a prompt counts once). The answer:
"holds" where via_mid is ahead by more than two standard errors, "does not hold" where direct is, otherwise
"no significant difference". Also each student's KL to the teacher on its own answers (the report's
`kl_to_teacher`: lower is closer to the teacher).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

STAGE = "evaluate_multistage"
DIRECT, VIA_MID = "student_direct", "student_via_mid"


def _fail(message: str) -> SystemExit:
    print(f"error: {message}", file=sys.stderr)
    return SystemExit(2)


def read_evaluation(run_dir: Path) -> tuple[dict[str, dict], dict[str, dict]]:
    """(model -> its report row, model -> {prompt id: (skill, correct)}) of the run's `evaluate_multistage`."""
    report, verdicts = run_dir / STAGE / "report.json", run_dir / STAGE / "verdicts.jsonl"
    for path in (report, verdicts):
        if not path.is_file():
            raise _fail(f"{path} not found: {run_dir} is not a finished recipes/multistage-distillation.yaml run "
                        "(run the recipe into it first; its header says how)")
    from workbench.data import read_records

    rows = {row["model"]: row for row in json.loads(report.read_text())["models"]}
    answers: dict[str, dict] = {}
    for row in read_records(verdicts):
        answers.setdefault(row["stage"], {})[row["id"]] = (row["skill"], bool(row["correct"]))
    return rows, answers


def seed_pairs(models) -> list[tuple[str, str, str]]:
    """(suffix, direct, via_mid) for every `student_direct<suffix>` that has its `student_via_mid<suffix>`."""
    pairs = [(m[len(DIRECT):], m, VIA_MID + m[len(DIRECT):]) for m in models if m.startswith(DIRECT)]
    if not pairs:
        raise _fail(f"{STAGE} evaluated no {DIRECT} model; the recipe's evaluate stage lists both arms")
    for _, direct, via in pairs:
        if via not in models:
            raise _fail(f"{STAGE} evaluated {direct} but not {via}: both arms of a seed are needed")
    return pairs


def _answer(gain: float, two_se: float) -> str:
    if gain > two_se:
        return "holds"
    if gain < -two_se:
        return "does not hold"
    return "no significant difference"


def compare(answers: dict[str, dict], pairs: list[tuple[str, str, str]], task_skills) -> list[dict]:
    """One row per (seed pair or "pooled", measure): both arms' accuracy, the paired difference, the answer."""
    from workbench.stages.evaluate import paired_gain

    for model in (m for _, d, v in pairs for m in (d, v)):
        if model not in answers:
            raise _fail(f"{STAGE}/verdicts.jsonl has no verdicts for {model}")
    ids = list(answers[pairs[0][1]])
    for _, direct, via in pairs:
        if answers[direct].keys() != answers[via].keys() or set(ids) != answers[direct].keys():
            raise _fail(f"{direct} and {via} were not scored on the same prompts in {STAGE}/verdicts.jsonl")
    measures = {"task items": [i for i in ids if answers[pairs[0][1]][i][0] in task_skills], "all items": ids}
    out = []
    for label, items in measures.items():
        if not items:
            continue
        for suffix, direct, via in pairs:
            now = [answers[via][i][1] for i in items]
            before = [answers[direct][i][1] for i in items]
            gain = paired_gain(now, before)
            out.append({"seed": suffix or "(first)", "measure": label, "n": len(items),
                        "direct": sum(before) / len(items), "via_mid": sum(now) / len(items), **gain,
                        "answer": _answer(gain["gain"], gain["two_se"])})
        if len(pairs) > 1:
            per_prompt = [sum(answers[v][i][1] - answers[d][i][1] for _, d, v in pairs) / len(pairs) for i in items]
            mean = sum(per_prompt) / len(items)
            variance = sum((x - mean) ** 2 for x in per_prompt) / (len(items) - 1) if len(items) > 1 else 0.0
            two_se = 2 * (variance / len(items)) ** 0.5
            mine = [r for r in out if r["measure"] == label]
            out.append({"seed": "pooled", "measure": label, "n": len(items),
                        "direct": sum(r["direct"] for r in mine) / len(mine),
                        "via_mid": sum(r["via_mid"] for r in mine) / len(mine),
                        "gain": mean, "two_se": two_se, "answer": _answer(mean, two_se)})
    return out


def kl_rows(rows: dict[str, dict], pairs: list[tuple[str, str, str]]) -> list[dict]:
    return [{"seed": suffix or "(first)", "direct": rows[d].get("kl_to_teacher"), "via_mid": rows[v].get("kl_to_teacher")}
            for suffix, d, v in pairs]


def table(comparison: list[dict], kl: list[dict]) -> str:
    lines = ["| seed | measure | n | direct | via mid | via mid - direct (2 s.e.) | answer |", "|---|---|---|---|---|---|---|"]
    lines += [f"| {r['seed']} | {r['measure']} | {r['n']} | {r['direct']:.1%} | {r['via_mid']:.1%} | "
              f"{100 * r['gain']:+.1f} ({100 * r['two_se']:.1f}) points | {r['answer']} |" for r in comparison]
    shown = [r for r in kl if r["direct"] is not None and r["via_mid"] is not None]
    if shown:
        lines += ["", "| seed | KL to the teacher, direct | via mid |", "|---|---|---|"]
        lines += [f"| {r['seed']} | {r['direct']:.3f} | {r['via_mid']:.3f} |" for r in shown]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    from workbench.atomic import write_json
    from workbench.taskworld.mixture import TASK_SKILLS

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--json", type=Path, help="also write the comparison as JSON here")
    args = parser.parse_args(argv)
    rows, answers = read_evaluation(args.run_dir)
    pairs = seed_pairs(list(rows))
    comparison, kl = compare(answers, pairs, TASK_SKILLS), kl_rows(rows, pairs)
    print(table(comparison, kl))
    if args.json:
        write_json(args.json, {"comparison": comparison, "kl_to_teacher": kl})


if __name__ == "__main__":
    main()
