"""The `distill` stage at Gemma 2 2B-student / 9B-teacher shapes against TRL's `DistillationTrainer`, one GPU.

    python -m bench.distill_2b_9b                 # GPU: random-weight gemma2-2b / gemma2-9b presets, bf16
    python -m bench.distill_2b_9b --tiny          # CPU smoke test: the tiny presets, fp32, a few tokens

Same as `bench.distill_vs_trl` (same task-world prompts, same settings and seed, fully on-policy reverse KL,
alternating rounds), at the Gemma 2 report's shapes: the student `gemma2-2b` (2.6 B parameters, 256k vocabulary)
trains with bf16 autocast (fp32 master weights, AdamW), the teacher `gemma2-9b` (9.2 B) is frozen in bf16; both are
built with random weights directly on the GPU (no download). The prompts' ids come from the task world's small
tokenizer, which the 256k vocabulary contains. Printed per trainer and round: on-policy tokens/s (completion tokens
the student generated per second of training), seconds, where the time went (generation, teacher forward, the rest)
and the peak GPU memory; then the ratio. The run is bounded: `--steps` (default 4) x `--batch-size` (8) prompts x
`--max-new-tokens` (128) per trainer and round, `--rounds` (default 1); about 2-3 minutes on an H200 including model
construction (an estimate until measured; `bench/gpu_distill_2b_9b.sh` caps it at 5 minutes).
"""

from __future__ import annotations

import argparse
import gc
import sys
import tempfile
import time
from pathlib import Path


def build(preset: str, vocab_size: int | None, device, dtype, seed: int):
    """A random-weight preset model built on `device` (no CPU copy of 9 B parameters)."""
    import torch
    from transformers import Gemma2ForCausalLM

    from workbench.models.presets import preset_config

    config = preset_config(preset, vocab_size)
    config._attn_implementation = "eager"  # Gemma 2's soft-capping (as the workbench loads it)
    torch.manual_seed(seed)
    with torch.device(device):
        model = Gemma2ForCausalLM(config)
    return model.to(dtype)


def run(tiny: bool, steps: int, batch_size: int, max_new_tokens: int, rounds: int) -> list[dict]:
    import datasets
    import torch
    from trl import DistillationTrainer

    from bench.distill_vs_trl import Ctx, build_world, measure
    from workbench.models import load_tokenizer
    from workbench.stages import distill

    device = "cuda" if torch.cuda.is_available() and not tiny else "cpu"
    student_preset, teacher_preset = ("gemma2-tiny-student", "gemma2-tiny-teacher") if tiny else ("gemma2-2b",
                                                                                                  "gemma2-9b")
    precision = "fp32" if tiny else "bf16"
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        world = build_world(Path(tmp))
        tokenizer = distill.chat_tokenizer(load_tokenizer(world / "tok/tokenizer"))
        vocab = len(tokenizer) if tiny else None  # the big presets keep Gemma's 256k vocabulary
        rows = distill.read_prompt_rows(world / "world/data/prompts/train.jsonl")
        cfg = distill.Config(model="student", teacher="teacher", data="world", max_new_tokens=max_new_tokens,
                             train={"max_steps": steps, "batch_size": batch_size, "precision": precision,
                                    "logging_steps": 1, "save_steps": 10_000})
        prompts = datasets.Dataset.from_dict({"prompt": [r["prompt"] for r in rows]})
        builders = {
            "stage": lambda s, t, d: distill.build_trainer(cfg, Ctx(d, 0), s, t, tokenizer, rows),
            "trl": lambda s, t, d: DistillationTrainer(model=s, teacher_model=t, train_dataset=prompts,
                                                       args=distill.distillation_arguments(cfg, Ctx(d, 0)),
                                                       processing_class=tokenizer),
        }
        for r in range(rounds):  # alternating, so that warm-up and load favour neither
            result = {}
            for name, make in builders.items():
                gc.collect()
                if device == "cuda":
                    torch.cuda.empty_cache()
                    torch.cuda.reset_peak_memory_stats()
                started = time.perf_counter()
                student = build(student_preset, vocab, device, torch.float32, seed=0)
                teacher = build(teacher_preset, vocab, device, torch.float32 if tiny else torch.bfloat16, seed=1)
                teacher.eval().requires_grad_(False)
                built = time.perf_counter() - started
                trainer = make(student, teacher, Path(tmp) / f"{name}{r}")
                result[name] = measure(trainer, teacher)
                result[name]["build_seconds"] = built
                result[name]["peak_gib"] = torch.cuda.max_memory_allocated() / 2**30 if device == "cuda" else None
                result[name]["params"] = (sum(p.numel() for p in student.parameters()),
                                          sum(p.numel() for p in teacher.parameters()))
                del trainer, student, teacher
            results.append(result)
    return results


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.distill_2b_9b", description=__doc__.splitlines()[0])
    ap.add_argument("--tiny", action="store_true", help="tiny presets on the CPU: a smoke test of this script")
    ap.add_argument("--steps", type=int, default=4)
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--max-new-tokens", type=int, default=128)
    ap.add_argument("--rounds", type=int, default=1)
    a = ap.parse_args(argv)
    if min(a.steps, a.batch_size, a.max_new_tokens, a.rounds) < 1:
        ap.error("--steps, --batch-size, --max-new-tokens and --rounds must be at least 1")
    import torch

    if not a.tiny and not torch.cuda.is_available():
        print("error: no CUDA GPU here; the 2B/9B shapes need one (run with --tiny for a CPU smoke test)",
              file=sys.stderr)
        return 2
    rounds = run(a.tiny, a.steps, a.batch_size, a.max_new_tokens, a.rounds)
    where = torch.cuda.get_device_name() if torch.cuda.is_available() and not a.tiny else "CPU"
    student, teacher = rounds[0]["stage"]["params"]
    print(f"\ndistill, student {student / 1e9:.2f} B / teacher {teacher / 1e9:.2f} B parameters (random weights), "
          f"{'fp32' if a.tiny else 'bf16'}, {a.steps} steps x {a.batch_size} prompts x up to {a.max_new_tokens} "
          f"new tokens, reverse KL, on-policy, on {where}")
    for r, result in enumerate(rounds, 1):
        for name, label in (("stage", "distill stage"), ("trl", "TRL DistillationTrainer")):
            m = result[name]
            peak = f", peak {m['peak_gib']:.1f} GiB" if m["peak_gib"] is not None else ""
            split = ", ".join(f"{k} {v:.1f} s" for k, v in m["split"].items())
            print(f"round {r} {label:>24}: {m['tokens_per_second']:8.1f} tok/s, {m['seconds']:.1f} s ({split}), "
                  f"models built in {m['build_seconds']:.1f} s{peak}")
        ratio = result["stage"]["tokens_per_second"] / result["trl"]["tokens_per_second"]
        print(f"round {r}: ratio {ratio:.2f}x; losses stage {[round(x, 4) for x in result['stage']['losses']]}, "
              f"TRL {[round(x, 4) for x in result['trl']['losses']]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
