"""The pretraining-distillation table from a finished `recipes/pretrain-distillation.yaml` run.

    workbench run recipes/pretrain-distillation.yaml --run-dir RUN_DIR
    python -m bench.pretrain_distill RUN_DIR

Compares the student pretrained from scratch with the dense and the sparse distilled students at the
same token budget: validation perplexity, its change against scratch, wall time, and bytes of teacher targets.
Where `recipes/pretrain-distillation-seeds.yaml` ran into the same directory, also the mean and standard deviation
over seeds of each student (`NAME`, `NAME_s1`, `NAME_s2`, ...) and each sparse student's gap to dense per seed.
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path

SPARSE = [("student_topk", "sparse, k distinct ids (renormalised)"),
          ("student_sampled", "sparse, k draws with replacement (unbiased)"),
          ("student_sampled_k64", "sparse, 2k draws with replacement"),
          ("student_systematic", "sparse, k systematic draws (unbiased)")]


def table(run_dir: Path) -> str:
    stages = json.loads((run_dir / "manifest.json").read_text())["stages"]
    teacher = stages["teacher_pretrain"]["metrics"]
    scratch = stages["student_scratch"]["metrics"]["val_perplexity"]
    rows = [f"teacher ({teacher['parameters'] / 1e6:.1f} M params, {teacher['tokens'] / 1e6:.2f} M tokens, "
            f"{stages['teacher_pretrain']['wall_time_s']:.0f} s): val perplexity "
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
    out = ["", f"over {len(dense)} seeds (val perplexity, mean ± sd; gap to dense seed by seed):"]
    for name, label in [("student_scratch", "from scratch"), ("student_dense", "dense distillation"), *SPARSE]:
        values = runs(name)
        if len(values) != len(dense) or None in values:
            continue
        line = f"  {label}: {statistics.mean(values):.2f} ± {statistics.stdev(values):.2f}"
        if name != "student_dense":
            gaps = [v / d - 1 for v, d in zip(values, dense)]
            line += (f", {statistics.mean(values) / statistics.mean(dense) - 1:+.1%} vs dense on the mean "
                     f"(per seed {', '.join(f'{g:+.1%}' for g in gaps)})")
        out.append(line)
    return out


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("run_dir", type=Path)
    print(table(ap.parse_args(argv).run_dir))


if __name__ == "__main__":
    main()
