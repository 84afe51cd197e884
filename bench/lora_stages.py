"""Peak memory and seconds per step of the LoRA reward, RLHF, WARP and DPO stages on a real model (Gemma 3 270M).

    python -m bench.lora_stages [--model gemma3-270m] [--steps 3] [--out DIR]

From examples/lora it writes preference pairs (each training chat's answer as chosen, the answer to another chat's
question as rejected: a weak but honest preference signal, enough to time the stages) and prompts (the chats cut
before their last answer), then runs the recipe
    reward (LoRA r16 + score head) -> rlhf_a, rlhf_b (RLOO, LoRA r16, seeds 0 and 1) -> warp (t 0.5, eta 0.5) ->
    dpo (LoRA r16)
from the base model (no SFT first: this measures cost, not quality) and prints, per stage, the wall time, seconds
per optimiser step, the peak resident memory during the stage, and RLHF's KL to its anchor and reward. Precision is
the recipe default (`auto`: bf16 where the CPU has bf16 arithmetic).
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "lora"


def write_data(out: Path, seed: int = 0) -> tuple[Path, Path]:
    chats = [json.loads(line)["messages"] for line in (EXAMPLES / "train.jsonl").read_text().splitlines() if line]
    rng = random.Random(seed)
    pairs, prompts = [], []
    for i, chat in enumerate(chats):
        other = chats[(i + rng.randrange(1, len(chats))) % len(chats)]
        pairs.append({"prompt": chat[:-1], "chosen": [chat[-1]], "rejected": [other[-1]]})
        prompts.append({"prompt": chat[:-1]})
    (out / "pairs.jsonl").write_text("".join(json.dumps(p) + "\n" for p in pairs))
    (out / "prompts.jsonl").write_text("".join(json.dumps(p) + "\n" for p in prompts))
    return out / "pairs.jsonl", out / "prompts.jsonl"


def recipe(model: str, steps: int) -> str:
    train = f"{{max_steps: {steps}, batch_size: 4, lr: 1.0e-4, warmup_ratio: 0, save_steps: 1000, logging_steps: 1}}"
    lora = "{r: 16, alpha: 32, dropout: 0.0}"
    rl = (f"algorithm: rloo, model: base, reward_model: rm, data: prompts.jsonl, beta: 0.05, num_generations: 2, "
          f"max_new_tokens: 32, lora: {lora}, train: {train}")
    return f"""
name: lora-stages-bench
seed: 0
models:
  base: {{pretrained: {model}}}
stages:
  - {{kind: reward, name: rm, model: base, data: pairs.jsonl, max_length: 256, lora: {lora}, train: {train}}}
  - {{kind: rlhf, name: rlhf_a, seed: 0, {rl}}}
  - {{kind: rlhf, name: rlhf_b, seed: 1, {rl}}}
  - {{kind: merge, name: warp, method: warp, init: base, models: [rlhf_a, rlhf_b], t: 0.5, eta: 0.5}}
  - {{kind: dpo, name: dpo, model: base, data: pairs.jsonl, max_length: 256, lora: {lora}, train: {train}}}
"""


def table(manifest: dict) -> str:
    lines = ["| stage | wall s | s/step | peak RSS MiB | trainable params | KL end | reward start -> end |",
             "|---|---|---|---|---|---|---|"]
    for name, entry in manifest["stages"].items():
        m = entry.get("metrics", {})
        trainable = m.get("trainable_parameters", (m.get("model") or {}).get("trainable_parameters"))
        reward = f"{m['reward_start']} -> {m['reward_end']}" if "reward_start" in m else "-"
        lines.append(f"| {name} | {entry.get('wall_time_s')} | {m.get('seconds_per_step', '-')} | "
                     f"{m.get('peak_rss_mib')} ({m.get('peak_rss_since')}) | {trainable or '-'} | "
                     f"{m.get('kl_end', '-')} | {reward} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="gemma3-270m", help="a `pretrained:` model name")
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--out", type=Path, help="run folder (default: a temporary one)")
    args = parser.parse_args(argv)
    if args.steps < 1:
        parser.error("--steps must be at least 1")
    from workbench.pipeline import run_recipe
    from workbench.recipe import load_recipe
    from workbench.training import use_bf16

    with tempfile.TemporaryDirectory() as tmp:
        out = args.out or Path(tmp)
        out.mkdir(parents=True, exist_ok=True)
        write_data(out)
        (out / "recipe.yaml").write_text(recipe(args.model, args.steps))
        manifest = run_recipe(load_recipe(out / "recipe.yaml"), out / "run")
        print(f"{args.model}, {args.steps} steps a stage, batch 4, bf16: {use_bf16('auto')}")
        print(table(manifest))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
