"""Pretrain-stage throughput and MFU on the tiny presets, against a large matmul measured in the same process.

    python -m bench.pretrain_mfu [--steps 30] [--seq-len 128] [--batch-size 16] [--vocab 2048] [--rounds 3]
                                 [--no-compile]

MFU = model FLOP/s / peak matmul FLOP/s, with model FLOPs per token = 6·N + 12·L·H·T (PaLM appendix B:
N parameters incl. the tied output projection, L layers, H = heads × head_dim, T = sequence length).
The trainer is the one the `pretrain` stage builds (same arguments, same precision choice), eager and with
`train.compile: true` (torch.compile; its compile time is in the warm-up steps, which are not timed).
The defaults are the shapes the task-world recipes pretrain with (128-token blocks, a 2048-token vocabulary).
These machines are noisy, so each figure is measured `--rounds` times, each time against a matmul peak measured
right before it; the table shows the median round's MFU (and the lowest and highest).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from itertools import product
from pathlib import Path

import torch
from transformers import ProgressCallback, Trainer, TrainerCallback

from workbench.models.presets import build_preset
from workbench.stages.base import StageContext
from workbench.stages.pretrain import Config, _CausalLMTrainer, build_trainer
from workbench.training import TrainSettings, use_bf16


def matmul_peak(dtype: torch.dtype, n: int = 2048, seconds: float = 2.0) -> float:
    """FLOP/s of n x n matmuls on the device the trainer uses (the GPU when there is one)."""
    device = "cuda" if torch.cuda.is_available() else "cpu"
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    a, b = torch.randn(n, n, dtype=dtype, device=device), torch.randn(n, n, dtype=dtype, device=device)
    for _ in range(3):
        a @ b
    sync()
    reps, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        a @ b
        reps += 1
    sync()
    return 2 * n**3 * reps / (time.perf_counter() - t0)


class _StepTimer(TrainerCallback):
    """Seconds, steps and input tokens (with `include_num_input_tokens_seen`) after the first `skip` (warm-up) steps."""

    def __init__(self, skip: int):
        self.skip, self.t0, self.steps = skip, None, 0

    def on_step_end(self, args, state, control, **kw):
        if state.global_step == self.skip:
            self.t0, self.tokens0 = time.perf_counter(), state.num_input_tokens_seen
        elif state.global_step > self.skip:
            self.steps += 1

    def on_train_end(self, args, state, control, **kw):
        self.seconds = time.perf_counter() - self.t0
        self.tokens = state.num_input_tokens_seen - self.tokens0


def pretrain_throughput(preset: str, steps: int, seq_len: int, batch_size: int, precision: str, vocab: int = 2048,
                        compile: bool = False) -> dict:
    model = build_preset(preset, vocab)
    cfg = Config(model="m", data="d", seq_len=seq_len,
                 train=TrainSettings(max_steps=steps, batch_size=batch_size, save_steps=10**9, logging_steps=10**9,
                                     precision=precision, compile=compile))
    with tempfile.TemporaryDirectory() as d:
        ctx = StageContext(run_dir=Path(d), stage_dir=Path(d), stage_name="bench", seed=0, recipe=None, resolve=None)
        blocks = torch.randint(4, vocab, (steps * batch_size, seq_len))
        trainer = build_trainer(cfg, ctx, model, blocks, trainer_class=type("T", (_CausalLMTrainer, Trainer), {}))
        trainer.remove_callback(ProgressCallback)  # no progress bars or log lines between the table's rows
        timer = _StepTimer(skip=min(5, steps // 3))
        trainer.add_callback(timer)
        trainer.train()
    c = model.config
    n_params = sum(p.numel() for p in model.parameters())
    flops_per_token = 6 * n_params + 12 * c.num_hidden_layers * c.num_attention_heads * c.head_dim * seq_len
    tok_s = timer.steps * batch_size * seq_len / timer.seconds
    return {"preset": preset, "params": n_params, "precision": "bf16" if use_bf16(precision) else "fp32",
            "compiled": compile, "tokens_per_s": tok_s, "model_flops_per_s": tok_s * flops_per_token}


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--seq-len", type=int, default=128)
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--vocab", type=int, default=2048)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--no-compile", action="store_true", help="eager only (skip the torch.compile rows)")
    args = ap.parse_args(argv)
    if min(args.steps, args.seq_len, args.batch_size, args.vocab, args.rounds) < 1:
        ap.error("--steps, --seq-len, --batch-size, --vocab and --rounds must be at least 1")
    torch.manual_seed(0)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; {args.batch_size} x {args.seq_len} tokens "
          f"a step, vocabulary {args.vocab}, {args.rounds} rounds")
    print(f"{'preset':22} {'params':>8} {'prec':>5} {'compiled':>8} {'tok/s':>8} {'GFLOP/s':>8} {'peak':>6} "
          f"{'MFU':>6} {'(min-max)':>13}")
    precisions = ("fp32", "bf16") if use_bf16("auto") else ("fp32",)  # bf16 only where the hardware has it
    compiles = (False,) if args.no_compile else (False, True)
    for preset, precision, compile in product(("gemma2-tiny-student", "gemma2-tiny-teacher"), precisions, compiles):
        dtype = torch.bfloat16 if precision == "bf16" else torch.float32
        rounds = []
        for _ in range(args.rounds):
            peak = matmul_peak(dtype)
            r = pretrain_throughput(preset, args.steps, args.seq_len, args.batch_size, precision, vocab=args.vocab,
                                    compile=compile)
            rounds.append({**r, "peak": peak, "mfu": r["model_flops_per_s"] / peak})
        rounds.sort(key=lambda x: x["mfu"])
        r = rounds[len(rounds) // 2]
        print(f"{preset:22} {r['params'] / 1e6:7.1f}M {r['precision']:>5} {'yes' if compile else 'no':>8} "
              f"{r['tokens_per_s']:8.0f} {r['model_flops_per_s'] / 1e9:8.1f} {r['peak'] / 1e9:6.0f} {r['mfu']:6.1%} "
              f"{'(' + format(rounds[0]['mfu'], '.1%') + '-' + format(rounds[-1]['mfu'], '.1%') + ')':>13}", flush=True)


if __name__ == "__main__":
    main()
