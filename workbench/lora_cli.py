"""`workbench lora --model MODEL --data FILE [options] [key=value ...]`: the command line of `workbench.lora`.

Options map one to one onto the `sft` stage's settings; `key=value` overrides apply to the one-stage recipe
(e.g. `stages.lora.train.warmup_ratio=0.1`).
"""

from __future__ import annotations

import os
from pathlib import Path


def add_commands(sub) -> None:
    """Register `lora` on the main parser's subparsers."""
    from workbench.paths import seed_arg

    p = sub.add_parser("lora", help="LoRA fine-tuning of a model on a chat dataset, with before/after evaluation")
    p.add_argument("--model", required=True, help="a preset (with --tokenizer), a model folder, a hub id, a .gguf "
                                                  "file, or gemma3-270m")
    p.add_argument("--data", required=True, type=Path, help="SFT data: messages, prompt+completion, or text rows")
    p.add_argument("--eval", type=Path, help="eval data (default: a seeded 10%% of --data, at least one row)")
    p.add_argument("--out", type=Path, help="output folder (default runs/lora-<data file name>)")
    p.add_argument("--recipe", type=Path, help="take settings and seed from this recipe's first sft stage with lora")
    p.add_argument("--tokenizer", type=Path, help="tokenizer folder, for a preset model")
    p.add_argument("--merge", action="store_true", help="also write the adapter merged into the base (OUT/merged)")
    p.add_argument("--rank", type=int, help="LoRA rank r (default 16)")
    p.add_argument("--alpha", type=float, help="LoRA alpha (default 32)")
    p.add_argument("--dropout", type=float, help="LoRA dropout (default 0.05)")
    p.add_argument("--target-modules", help="all-linear (default) or comma-separated module names, e.g. q_proj,v_proj")
    length = p.add_mutually_exclusive_group()
    length.add_argument("--steps", type=int, help="optimizer steps")
    length.add_argument("--epochs", type=float, help="passes over the training rows (default: --recipe's max_steps, else 3)")
    p.add_argument("--lr", type=float, help="learning rate (default 2e-4)")
    p.add_argument("--schedule", choices=["cosine", "linear", "constant", "constant_with_warmup"])
    p.add_argument("--batch-size", type=int)
    p.add_argument("--grad-accum", type=int)
    p.add_argument("--max-length", type=int, help="tokens per example (default 512)")
    p.add_argument("--packing", action="store_true", help="pack examples into full rows")
    p.add_argument("--bf16", action="store_true", help="bf16 autocast (where the CPU or GPU supports it)")
    p.add_argument("--qlora", action="store_true", help="4-bit base (needs a CUDA GPU and bitsandbytes)")
    p.add_argument("--seed", type=seed_arg)
    p.add_argument("overrides", nargs="*", metavar="key.path=value", help="override the built recipe")
    p.set_defaults(fn=_cmd_lora)


def _check_out_dir(out: Path) -> None:
    """OUT becomes a run directory: it may be new, empty, or an earlier `workbench lora` run (it has a manifest)."""
    from workbench.errors import WorkbenchError
    from workbench.paths import claim_output_dir

    if out.is_dir() and (out / "manifest.json").is_file():
        return
    claim_output_dir(out, "lora", ())
    if out.exists() and not os.access(out, os.W_OK | os.X_OK):
        raise WorkbenchError(f"--out {out}: folder is not writable; give a folder you can write to")


def _cmd_lora(args) -> int:
    from workbench.lora import LoraRequest, run_lora, summary

    req = LoraRequest(
        model=args.model, data=args.data, eval=args.eval, out=args.out, recipe=args.recipe, tokenizer=args.tokenizer,
        merge=args.merge, rank=args.rank, alpha=args.alpha, dropout=args.dropout, target_modules=args.target_modules,
        steps=args.steps, epochs=args.epochs, lr=args.lr, schedule=args.schedule, batch_size=args.batch_size,
        grad_accum=args.grad_accum, max_length=args.max_length, packing=args.packing, bf16=args.bf16,
        qlora=args.qlora, seed=args.seed, overrides=args.overrides,
    )
    _check_out_dir(req.out_dir)
    metrics = run_lora(req)
    print(summary(metrics, req.out_dir))
    return 0
