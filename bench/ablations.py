"""The ablation table: the three claims behind the chain's design, each a measured yes or no.

    workbench run recipes/ablations.yaml --run-dir RUN_DIR
    python -m bench.ablations RUN_DIR [--json OUT]

Reads the run's manifest and its two evaluation reports (`evaluate`, `evaluate_ablations`: same prompts, greedy
answers, so the rows are comparable):
  1. distillation beats training from scratch: held-out (in-distribution) perplexity of `student_pretrain`
     (pretrained by distillation) below `student_scratch`'s, same steps, batch and sequence length;
  2. on-policy reverse-KL distillation beats SFT on teacher outputs alone: test accuracy (all items) of
     `student_distill` above `student_sft_more` (the same number of further steps of SFT on the teacher's answers)
     by more than two standard errors of the difference; a smaller difference counts as no: not shown. The
     standard error is the paired one (`workbench.stages.evaluate.paired_gain` over the prompts both answered)
     where both evaluation stages wrote `verdicts.jsonl`, else that of two independent proportions over n prompts;
  3. a WARP merge beats the best single RLHF policy at equal or lower KL: `warp`'s mean reward above the better of
     `rlhf_a` / `rlhf_b` (by reward) while its KL to their shared start is not larger.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path


def _report_rows(run_dir: Path, stage: str) -> dict[str, dict]:
    path = run_dir / stage / "report.json"
    if not path.is_file():
        print(f"error: {path} not found: {run_dir} is not a finished recipes/ablations.yaml run "
              "(workbench run recipes/ablations.yaml --run-dir RUN_DIR)", file=sys.stderr)
        raise SystemExit(2)
    report = json.loads(path.read_text())
    return {row["model"]: row for row in report["models"]}


def _verdicts(run_dir: Path, stage: str, model: str) -> dict | None:
    """prompt id -> correct, for `model` in `stage`'s verdicts.jsonl; None where the stage wrote none."""
    path = run_dir / stage / "verdicts.jsonl"
    if not path.is_file():
        return None
    from workbench.data import read_records

    return {row["id"]: row["correct"] for row in read_records(path) if row["stage"] == model}


def _noise(run_dir: Path, on_policy: float, sft_more: float, n: int) -> tuple[float, str]:
    """Two standard errors of distill's accuracy minus more SFT's: paired where both have verdicts."""
    from workbench.stages.evaluate import paired_gain

    now = _verdicts(run_dir, "evaluate", "student_distill")
    before = _verdicts(run_dir, "evaluate_ablations", "student_sft_more")
    if now and before and now.keys() == before.keys():
        return paired_gain([now[k] for k in now], [before[k] for k in now])["two_se"], "paired 2 s.e."
    return 2 * math.sqrt((on_policy * (1 - on_policy) + sft_more * (1 - sft_more)) / n), "2 s.e."


def claims(run_dir: Path) -> list[dict]:
    stages = json.loads((run_dir / "manifest.json").read_text())["stages"]
    rows = {**_report_rows(run_dir, "evaluate"), **_report_rows(run_dir, "evaluate_ablations")}
    distilled = stages["student_pretrain"]["metrics"]["val_perplexity"]
    scratch = stages["student_scratch"]["metrics"]["val_perplexity"]
    on_policy, sft_more = rows["student_distill"]["accuracy"], rows["student_sft_more"]["accuracy"]
    n = rows["student_distill"]["taskworld"]["n"]
    noise, noise_kind = _noise(run_dir, on_policy, sft_more, n)
    best = max((rows["rlhf_a"], rows["rlhf_b"]), key=lambda r: r["reward_mean"])
    warp = rows["warp"]
    return [
        {"claim": "distillation beats training from scratch (held-out perplexity, lower is better)",
         "ours": f"distilled {distilled:.3f}", "baseline": f"scratch {scratch:.3f}", "holds": distilled < scratch},
        {"claim": "on-policy reverse-KL distillation beats SFT on teacher outputs (test accuracy)",
         "ours": f"distill {on_policy:.3f}", "baseline": f"more SFT {sft_more:.3f} (n={n}, {noise_kind} {noise:.3f})",
         "holds": on_policy - sft_more > noise},
        {"claim": "WARP merge beats the best RLHF policy at equal or lower KL (reward, KL to start)",
         "ours": f"warp {warp['reward_mean']:.3f}, KL {warp['kl_to_reference']:.3f}",
         "baseline": f"{best['model']} {best['reward_mean']:.3f}, KL {best['kl_to_reference']:.3f}",
         "holds": warp["reward_mean"] > best["reward_mean"] and warp["kl_to_reference"] <= best["kl_to_reference"]},
    ]


def table(rows: list[dict]) -> str:
    lines = ["| claim | ours | baseline | holds |", "|---|---|---|---|"]
    lines += [f"| {r['claim']} | {r['ours']} | {r['baseline']} | {'yes' if r['holds'] else 'no'} |" for r in rows]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--json", type=Path, help="also write the claims as JSON here")
    args = parser.parse_args()
    rows = claims(args.run_dir)
    print(table(rows))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
