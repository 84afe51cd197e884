"""`workbench lora`: LoRA fine-tuning of any model on a chat dataset in one command.

A thin front end over the pipeline: `LoraRequest` (what the user asked for) becomes a one-stage recipe — an `sft`
stage with a `lora:` block — run into the output folder like any recipe (so a rerun skips or resumes it), and the
folder gets the names a user looks for, as links into the stage's own folder:

  OUT/adapter        the LoRA adapter (`peft.PeftModel.from_pretrained(base, OUT/adapter)`)
  OUT/merged         with --merge: adapter merged into the base (`AutoModelForCausalLM.from_pretrained`)
  OUT/metrics.json   eval loss and perplexity before and after, the share of eval answers that end cleanly
                     (`clean_endings`), `<end_of_turn>`'s log-prob where answers end, training figures
  OUT/samples.jsonl  eval prompts answered before and after ({"id", "prompt", "response", "stage"})
  OUT/lora/          the stage folder (checkpoints, history, TensorBoard); OUT/manifest.json the run record

A preset (random init) has no weights to load: it is built once for `--tokenizer` into OUT/base. Every check a user
can fail (files, columns, assistant turns, model path, bf16, qlora, merge) fails before any training, in one line;
`--max-length` against the model's context is checked when the model is loaded.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workbench.errors import WorkbenchError
from workbench.models.spec import ModelSpec

STAGE = "lora"


@dataclass
class LoraRequest:
    """The command's options; None means "the recipe's (or the stage's) default"."""

    model: str
    data: Path
    eval: Path | None = None
    out: Path | None = None
    recipe: Path | None = None
    tokenizer: Path | None = None
    merge: bool = False
    rank: int | None = None
    alpha: float | None = None
    dropout: float | None = None
    target_modules: str | None = None  # "all-linear" or comma-separated module names
    steps: int | None = None
    epochs: float | None = None
    lr: float | None = None
    schedule: str | None = None
    batch_size: int | None = None
    grad_accum: int | None = None
    max_length: int | None = None
    packing: bool = False
    bf16: bool = False
    qlora: bool = False
    seed: int | None = None
    overrides: list[str] = field(default_factory=list)

    @property
    def out_dir(self) -> Path:
        return self.out or Path("runs") / f"lora-{self.data.stem}"


DEFAULT_STAGE: dict[str, Any] = {"kind": "sft", "name": STAGE, "max_length": 512, "lora": {},
                                 "train": {"lr": 2e-4, "batch_size": 8, "lr_schedule": "cosine"}}
DEFAULT_EPOCHS = 3


def check_request(req: LoraRequest) -> None:
    """The refusals that need no model: options that cannot work here."""
    from workbench.stages.sft import qlora_unavailable, read_sft_rows
    from workbench.training import cpu_supports_bf16

    for path in (req.data, req.eval):
        if path is not None and not path.exists():
            raise WorkbenchError(f"{path}: data file not found")
        if path is not None:
            read_sft_rows(path)  # columns, types, assistant turns: a one-line DataError
    if req.steps is not None and req.epochs is not None:
        raise WorkbenchError("give --steps or --epochs, not both")
    if req.qlora and req.merge:
        raise WorkbenchError("--merge cannot merge an adapter into a 4-bit (--qlora) base; drop --merge, or train "
                             "without --qlora to get a mergeable model")
    import torch

    reason = qlora_unavailable() if req.qlora else None
    if reason is not None:
        raise WorkbenchError(f"--qlora {reason}: drop --qlora (plain LoRA runs on a CPU)")
    if req.bf16 and not (torch.cuda.is_available() or cpu_supports_bf16()):
        raise WorkbenchError("--bf16: this CPU has no bf16 arithmetic (AMX or AVX512-BF16) and no GPU is present; "
                             "drop --bf16 (fp32 is used)")
    kind, value = ModelSpec.classify(req.model).popitem()
    if kind == "preset" and req.tokenizer is None:
        raise WorkbenchError(f"--model {value}: a preset is built for a tokenizer's vocabulary; give --tokenizer DIR")
    if kind in ("path", "gguf") and not Path(value).expanduser().exists():
        raise WorkbenchError(f"--model {value}: no such {'file' if kind == 'gguf' else 'folder'}; give a model folder, "
                             "a .gguf file, a preset, a hub id or gemma3-270m")
    if kind == "path" and req.max_length is not None:
        _check_context(Path(value).expanduser(), req.max_length)


def _check_context(folder: Path, max_length: int) -> None:
    """--max-length against the model folder's context length, before the model is loaded (the stage checks too)."""
    import json

    config_file = folder / "config.json"
    if not config_file.is_file():
        return  # not a model folder: loading it reports that
    config = json.loads(config_file.read_text(encoding="utf-8"))
    limit = config.get("max_position_embeddings", config.get("text_config", {}).get("max_position_embeddings"))
    if limit is not None and max_length > limit:
        raise WorkbenchError(f"--max-length {max_length} is beyond what {folder} can attend to "
                             f"(max_position_embeddings {limit}); use at most {limit}")


def base_model(req: LoraRequest) -> dict:
    """The recipe's model entry; a preset is first built for the tokenizer and saved as OUT/base."""
    spec = ModelSpec.classify(req.model)
    if "preset" not in spec:
        return {k: str(Path(v).expanduser().resolve()) if k in ("path", "gguf") else v for k, v in spec.items()}
    folder = req.out_dir / "base"
    if not folder.is_dir():
        from workbench.atomic import atomic_dir
        from workbench.models import load_model

        model, tokenizer = load_model(ModelSpec(**spec), tokenizer=req.tokenizer, seed=req.seed or 0)
        with atomic_dir(folder) as tmp:
            model.save_pretrained(tmp)
            tokenizer.save_pretrained(tmp)
    return {"path": str(folder.resolve())}


def _template(req: LoraRequest) -> tuple[dict, int]:
    """(sft stage settings, seed) from --recipe's first LoRA sft stage, or the defaults."""
    if req.recipe is None:
        return {**DEFAULT_STAGE, "train": dict(DEFAULT_STAGE["train"])}, 0
    from workbench.recipe import load_recipe

    recipe = load_recipe(req.recipe)
    stages = [s for s in recipe.stages if s.kind == "sft" and s.lora is not None]
    if not stages:
        raise WorkbenchError(f"{req.recipe}: no sft stage with a lora block to take settings from")
    stage = stages[0].model_dump(mode="json", exclude={"model", "data", "eval_data"})
    if "max_steps" not in stages[0].train.model_fields_set:  # a default, not the recipe's choice: --epochs decides
        del stage["train"]["max_steps"]
    return {**stage, "name": STAGE}, recipe.seed


def build_recipe(req: LoraRequest) -> dict:
    """The one-stage recipe (a plain dict, before overrides) for the request."""
    stage, seed = _template(req)
    seed = req.seed if req.seed is not None else seed
    lora = {**(stage.get("lora") or {}), "merge": req.merge, "qlora": req.qlora}
    for key, value in (("r", req.rank), ("alpha", req.alpha), ("dropout", req.dropout)):
        if value is not None:
            lora[key] = value
    if req.target_modules:
        names = [m.strip() for m in req.target_modules.split(",") if m.strip()]
        lora["target_modules"] = "all-linear" if names == ["all-linear"] else names
    train = dict(stage.get("train") or {})
    for key, value in (("lr", req.lr), ("lr_schedule", req.schedule), ("batch_size", req.batch_size),
                       ("grad_accum", req.grad_accum)):
        if value is not None:
            train[key] = value
    train["precision"] = "bf16" if req.bf16 else "fp32"
    stage.update(model="base", data=str(req.data.resolve()), lora=lora, train=train)
    if req.eval is not None:
        stage["eval_data"] = str(req.eval.resolve())
    if req.max_length is not None:
        stage["max_length"] = req.max_length
    if req.packing:
        stage["packing"] = True
    if req.steps is not None:
        train["max_steps"] = req.steps
    elif req.epochs is not None or "max_steps" not in train:  # --recipe's own max_steps stands unless --epochs
        train["max_steps"] = _steps_for_epochs(req, stage, seed)
    train.setdefault("logging_steps", max(1, min(10, train["max_steps"] // 10)))
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", req.data.stem).replace("..", "-")[:58]  # a plain name (workbench.paths)
    return {"name": f"lora-{name}", "seed": seed, "models": {"base": base_model(req)}, "stages": [stage]}


def _steps_for_epochs(req: LoraRequest, stage: dict, seed: int) -> int:
    """Optimizer steps for --epochs (default 3) over the training rows left after holding out the eval rows."""
    from workbench.stages.sft import held_out, read_sft_rows

    rows, _ = read_sft_rows(req.data)
    if req.eval is None:
        rows, _ = held_out(rows, stage.get("eval_fraction", 0.1), seed)
    per_step = stage["train"].get("batch_size", 16) * stage["train"].get("grad_accum", 1)
    return max(1, math.ceil((req.epochs or DEFAULT_EPOCHS) * len(rows) / per_step))


def run_lora(req: LoraRequest) -> dict:
    """Check, build the recipe, run it into the output folder, link the outputs; the stage's metrics."""
    from workbench.pipeline import run_recipe
    from workbench.recipe import apply_override, parse_recipe

    check_request(req)
    data = build_recipe(req)
    for assignment in req.overrides:
        apply_override(data, assignment)
    manifest = run_recipe(parse_recipe(data), req.out_dir)
    _link_outputs(req.out_dir, merged=req.merge)
    return manifest["stages"][STAGE]["metrics"]


def _link_outputs(out: Path, merged: bool) -> None:
    links = {"adapter": "adapter", "metrics.json": "metrics.json", "samples.jsonl": "samples.jsonl", "merged": "model"}
    for name, target in links.items():
        link = out / name
        if link.is_symlink():
            link.unlink()
        if name != "merged" or merged:
            os.symlink(Path(STAGE) / target, link)


def summary(metrics: dict, out: Path) -> str:
    """The before/after lines the command prints."""
    before, after = metrics["before"], metrics["after"]
    lines = [
        f"eval loss {before['eval_loss']:.4f} -> {after['eval_loss']:.4f}   "
        f"perplexity {before['eval_perplexity']:.2f} -> {after['eval_perplexity']:.2f}",
        f"{metrics['train_rows']} training rows, {metrics['eval_rows']} eval rows, "
        f"train loss {metrics['train_loss']:.4f}, {metrics['train_seconds']:.1f} s",
        f"adapter: {out / 'adapter'}" + (f"   merged model: {out / 'merged'}" if (out / "merged").exists() else ""),
    ]
    if before.get("clean_endings") is not None:
        lines.insert(1, f"clean endings {before['clean_endings']:.0%} -> {after['clean_endings']:.0%} of "
                        f"{after['clean_endings_of']} eval answers (stopped at the turn end within 64 tokens)")
    samples = [_row(line) for line in (out / "samples.jsonl").read_text(encoding="utf-8").splitlines() if line]
    by_stage = {stage: [s for s in samples if s["stage"] == stage] for stage in ("before", "after")}
    for i, (b, a) in enumerate(zip(by_stage["before"], by_stage["after"]), 1):
        lines += [f"[{i}] {b['prompt'][-1]['content']}",
                  f"    before: {b['response']!r}",
                  f"    after:  {a['response']!r}"]
    return "\n".join(lines)


def _row(line: str) -> dict:
    import json

    return json.loads(line)
