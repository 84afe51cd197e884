"""The pretraining-distillation table from a finished `recipes/pretrain-distillation.yaml` run.

    workbench run recipes/pretrain-distillation.yaml --run-dir RUN_DIR
    python -m bench.pretrain_distill RUN_DIR
    python -m bench.pretrain_distill RUN_DIR --suffix _600    # recipes/pretrain-distillation-long.yaml's students

Compares the student pretrained from scratch with the dense and the sparse distilled students at the
same token budget: validation perplexity, its change against scratch, wall time, and bytes of teacher targets.
Where `recipes/pretrain-distillation-seeds.yaml` ran into the same directory, also the mean and standard deviation
over seeds of each student (`NAME`, `NAME_s1`, `NAME_s2`, ...) and each sparse student's gap to dense per seed.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
from pathlib import Path

SPARSE = [("student_topk", "sparse, k distinct ids (renormalised)"),
          ("student_sampled", "sparse, k draws with replacement (unbiased)"),
          ("student_sampled_k64", "sparse, 2k draws with replacement"),
          ("student_systematic", "sparse, k systematic draws (unbiased)")]


def _refuse(message: str) -> None:
    print(f"error: {message}", file=sys.stderr)
    raise SystemExit(2)


def students(stages: dict, suffix: str = "") -> dict:
    """The students `student_<variant><suffix>[_s<seed>]` under the names `student_<variant>[_s<seed>]`, and as
    `teacher` the stage the dense student learned from."""
    out = {}
    for name, entry in stages.items():
        match = re.fullmatch(rf"(student_[a-z0-9_]+?){re.escape(suffix)}(_s\d+)?", name)
        if match:
            out[match.group(1) + (match.group(2) or "")] = entry
    teacher = out.get("student_dense", {}).get("config", {}).get("teacher", "teacher_pretrain")
    if teacher in stages:
        out["teacher"] = {**stages[teacher], "name": teacher}
    return out


def table(run_dir: Path, suffix: str = "") -> str:
    """The table for the students named `student_<variant><suffix>` (other seeds: `..._s1`, `..._s2`, ...)."""
    manifest = run_dir / "manifest.json"
    if not manifest.is_file():
        _refuse(f"{run_dir} has no manifest.json; give the run directory of recipes/pretrain-distillation.yaml")
    stages = students(json.loads(manifest.read_text())["stages"], suffix)
    for needed in ("student_scratch", "student_dense", "teacher"):
        if stages.get(needed, {}).get("status") != "done":
            name = "the teacher" if needed == "teacher" else needed + suffix
            _refuse(f"stage {name} has not finished in {run_dir}; run its recipe into that directory first")
    teacher = stages["teacher"]["metrics"]
    scratch = stages["student_scratch"]["metrics"]["val_perplexity"]
    rows = [f"teacher ({teacher['parameters'] / 1e6:.1f} M params, {teacher['tokens'] / 1e6:.2f} M tokens, "
            f"{stages['teacher']['wall_time_s']:.0f} s, stage {stages['teacher']['name']}): val perplexity "
            f"{stages['student_dense']['metrics']['teacher_val_perplexity']:.3f} (measured by the distillation stage)",
            "",
            "| student (equal token budget) | tokens | val perplexity | vs scratch | OOD perplexity | wall time (s) | teacher targets stored |",
            "|---|---|---|---|---|---|---|"]
    sparse = [(name, label) for name, label in SPARSE if stages.get(name, {}).get("status") == "done"]
    for name, label in [("student_scratch", "from scratch"), ("student_dense", "dense distillation"), *sparse]:
        e = stages[name]
        m = e["metrics"]
        ppl = m["val_perplexity"]
        if name == "student_dense":
            stored = f"0 B (online teacher; caching would need {m['dense_targets_would_need_bytes'] / 2**30:.1f} GiB)"
        elif m.get("mode") == "sparse":
            stored = (f"{m['teacher_target_bytes'] / 2**20:.1f} MiB (k={m['top_k']}, {m['teacher_mass_covered']:.0%} of teacher "
                      f"mass, made in {m['teacher_targets_seconds']:.0f} s)")
        else:
            stored = "—"
        rows.append(f"| {label} | {m['tokens'] / 1e6:.2f} M | {ppl:.3f} | {ppl / scratch - 1:+.1%} | {m['ood_val_perplexity']:.1f} "
                    f"| {e['wall_time_s']:.0f} | {stored} |")
    dense = stages["student_dense"]["metrics"]
    rows.append("")
    for name, label in sparse:
        m = stages[name]["metrics"]
        rows.append(f"{label}: perplexity {m['val_perplexity'] / dense['val_perplexity'] - 1:+.2%} vs dense; target "
                    f"storage {dense['dense_targets_would_need_bytes'] / m['teacher_target_bytes']:.0f}x less than dense")
    return "\n".join(rows + seeds_summary(stages))


def seeds_summary(stages: dict) -> list[str]:
    """Mean ± sd over the seeds each student ran with, and each sparse variant's gap to dense seed by seed."""
    def runs(name: str) -> list[float | None]:
        names = [name] + [f"{name}_s{i}" for i in range(1, 100) if f"{name}_s{i}" in stages]
        return [stages[n]["metrics"]["val_perplexity"] if stages.get(n, {}).get("status") == "done" else None
                for n in names]

    dense = runs("student_dense")
    if len(dense) < 2 or None in dense:
        return []
    out = ["", f"over {len(dense)} seeds (val perplexity, mean ± sd; change of the mean against scratch and dense; "
                   "gap to dense seed by seed):"]
    scratch = runs("student_scratch")
    for name, label in [("student_scratch", "from scratch"), ("student_dense", "dense distillation"), *SPARSE]:
        values = runs(name)
        if len(values) != len(dense) or None in values:
            continue
        line = f"  {label}: {statistics.mean(values):.2f} ± {statistics.stdev(values):.2f}"
        if name != "student_scratch" and len(scratch) == len(values) and None not in scratch:
            line += f", {statistics.mean(values) / statistics.mean(scratch) - 1:+.1%} vs scratch"
        if name != "student_dense":
            gaps = [v / d - 1 for v, d in zip(values, dense)]
            line += (f", {statistics.mean(values) / statistics.mean(dense) - 1:+.1%} vs dense on the mean "
                     f"(per seed {', '.join(f'{g:+.1%}' for g in gaps)})")
        out.append(line)
    return out


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("run_dir", type=Path)
    ap.add_argument("--suffix", default="", help="read the students named student_<variant><suffix> (e.g. _600)")
    args = ap.parse_args(argv)
    print(table(args.run_dir, args.suffix))


if __name__ == "__main__":
    main()
