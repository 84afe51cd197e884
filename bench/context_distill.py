"""Context distillation on a real model: rubric accuracy of the teacher (the model with the knowledge sheet in its
system turn) and of the student without the sheet, before and after the `distill` stage.

    python -m bench.context_distill --student DIR [--distilled DIR] [--sheet examples/lora/sheet.md]
        [--rubric examples/lora/rubric.jsonl] [--max-new-tokens 64] [--out FILE] [--reuse FILE]

`--student` is the model the distill stage started from (a run's `sft/model`, or a merged LoRA SFT model) and also
the teacher (the same weights with the sheet); `--distilled` the distill stage's `model`. Greedy answers to every
rubric prompt; prints accuracy per group and overall, with the paired gain (2 s.e.) of the distilled student over
the student before, and writes the answers to `--out` (JSON) if given. Without `--distilled` only the teacher and the
student before are measured (they can run while the distill stage trains); `--reuse FILE` takes the models a
previous `--out` has instead of answering again.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def answers(model_dir: Path, prompts: list[list[dict]], max_new_tokens: int) -> tuple[list[str], float]:
    from workbench.generation import GenerationSettings, chat_tokenizer, generate_responses
    from workbench.models import load_model, to_inference_device

    model, tokenizer = load_model(model_dir, seed=0)
    model = to_inference_device(model)
    started = time.perf_counter()
    texts = generate_responses(model, chat_tokenizer(tokenizer), prompts,
                               GenerationSettings(do_sample=False, max_new_tokens=max_new_tokens, batch_size=8))
    return texts, time.perf_counter() - started


def paired_gain(before: list[bool], after: list[bool]) -> tuple[float, float]:
    """Mean gain in accuracy and two standard errors of the paired differences."""
    diffs = [float(a) - float(b) for a, b in zip(after, before)]
    n = len(diffs)
    mean = sum(diffs) / n
    var = sum((d - mean) ** 2 for d in diffs) / max(n - 1, 1)
    return mean, 2 * math.sqrt(var / n)


def main(argv: list[str] | None = None) -> None:
    from workbench.rubric import load_rubric
    from workbench.stages.generate import read_teacher_context, with_context

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--student", type=Path, required=True)
    parser.add_argument("--distilled", type=Path)
    parser.add_argument("--sheet", type=Path, default=ROOT / "examples/lora/sheet.md")
    parser.add_argument("--rubric", type=Path, default=ROOT / "examples/lora/rubric.jsonl")
    parser.add_argument("--max-new-tokens", type=int, default=64)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--reuse", type=Path)
    args = parser.parse_args(argv)

    rubric = load_rubric(args.rubric)
    rows = rubric.prompt_rows()
    entries = [rubric.entry_for(r["prompt"], r["meta"]["id"]) for r in rows]
    sheet = read_teacher_context(args.sheet)
    plain = [r["prompt"] for r in rows]
    runs = {"teacher (student + sheet)": (args.student, [with_context(p, sheet) for p in plain]),
            "student before": (args.student, plain)}
    if args.distilled:
        runs["student after distill"] = (args.distilled, plain)
    results = json.loads(args.reuse.read_text()) if args.reuse else {}
    results.pop("prompts", None)
    for name, (folder, prompts) in runs.items():
        if name in results:
            continue
        texts, seconds = answers(folder, prompts, args.max_new_tokens)
        correct = [e.check(t).correct for e, t in zip(entries, texts)]
        results[name] = {"texts": texts, "correct": correct, "seconds": round(seconds, 1)}
        print(f"{name}: {sum(correct)}/{len(correct)} right ({seconds:.0f} s)", flush=True)
    groups = list(dict.fromkeys(e.group for e in entries))
    print("\n| model | " + " | ".join(groups) + " | all |")
    print("|---|" + "---|" * (len(groups) + 1))
    for name, r in results.items():
        cells = []
        for g in groups + [None]:
            picked = [c for c, e in zip(r["correct"], entries) if g is None or e.group == g]
            cells.append(f"{100 * sum(picked) / len(picked):.0f} % ({sum(picked)}/{len(picked)})")
        print(f"| {name} | " + " | ".join(cells) + " |")
    for name in [n for n in ("student after distill", "teacher (student + sheet)") if n in results]:
        gain, two_se = paired_gain(results["student before"]["correct"], results[name]["correct"])
        print(f"{name} - student before: {100 * gain:+.1f} points (2 s.e. {100 * two_se:.1f})")
    if args.out:
        args.out.write_text(json.dumps({"prompts": [r["meta"]["id"] for r in rows], **results}, indent=1))


if __name__ == "__main__":
    main()
