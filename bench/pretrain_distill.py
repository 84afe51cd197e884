"""The pretraining-distillation table from a finished `recipes/pretrain-distillation.yaml` run.

    workbench run recipes/pretrain-distillation.yaml --run-dir RUN_DIR
    python -m bench.pretrain_distill RUN_DIR

Compares the student pretrained from scratch with the dense and both sparse distilled students at the
same token budget: validation perplexity, its change against scratch, wall time, and bytes of teacher targets.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


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
    sparse = [("student_topk", "sparse, k distinct ids (renormalised)"),
              ("student_sampled", "sparse, k draws with replacement (unbiased)"),
              ("student_sampled_k64", "sparse, 2k draws with replacement")]
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
    return "\n".join(rows)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("run_dir", type=Path)
    print(table(ap.parse_args(argv).run_dir))


if __name__ == "__main__":
    main()
