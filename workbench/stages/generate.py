"""Stage `generate`: a model answers a prompt set; the answers become SFT data (Gemma 2 §4: a teacher writes the
responses the student is trained on).

`prompts` names a taskworld (or filter) stage, whose `prompts/<split>.jsonl` is read (`file` picks another file in
its data folder), or a prompt-only file (conversational `prompt` lists, or plain strings taken as one user turn).
Generation is `workbench.generation.generate_responses` with the recipe's `sampling` settings and seed.

Writes `data/sft/train.jsonl` — TRL conversational language-modelling rows, `messages` = prompt + the assistant's
answer, `meta` carried over with `generated` provenance (model, seed, settings, sample index) — and
`data/responses.jsonl` rows `{"id", "sample", "response"}` in prompt order. When the prompts carry task-world
`meta`, the metrics include the task-world score of the answers.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Literal

from pydantic import Field

from workbench.atomic import atomic_dir, write_jsonl
from workbench.data import detect, read_records
from workbench.errors import DataError, WorkbenchError
from workbench.generation import GenerationSettings, generate_responses
from workbench.stages.base import DataRef, ModelRef, StageConfig, StageContext

PRODUCES = {"data"}


class Config(StageConfig):
    kind: Literal["generate"] = Field("generate", description="The stage kind (fixed for this module).")
    model: ModelRef = Field(description="The model that answers.")
    prompts: DataRef = Field(description="A stage with a data folder, or a prompt-only file.")
    split: str = Field("train", description="With a stage: reads prompts/<split>.jsonl.")
    file: str | None = Field(None, description="With a stage: this file in its data folder instead.")
    limit: int | None = Field(None, ge=1, le=10_000_000, description="Answer only the first N prompts.")
    sampling: GenerationSettings = Field(GenerationSettings(),
        description="How the model answers: sampling, length, answers per prompt, batch size.")


def prompt_file(cfg: Config, ctx: StageContext) -> Path:
    source = ctx.data_path(cfg.prompts)
    if not source.is_dir():
        return source
    path = source / (cfg.file or f"prompts/{cfg.split}.jsonl")
    if not path.is_file():
        raise WorkbenchError(f"stage {ctx.stage_name}: {cfg.prompts!r} has no {path.relative_to(source)} "
                             f"(looked for {path}); set `split` or `file`")
    return path


def read_prompts(path: Path, limit: int | None = None) -> list[dict]:
    """Prompt-only rows of `path` with the prompt as a conversation (`{"prompt": [...], "meta": {...}}`)."""
    records = read_records(path)
    info = detect(records, path)
    if info.type != "prompt_only":
        raise DataError(path, None, f"holds {info.type} rows but generate needs prompt-only rows (a `prompt` column)")
    rows = []
    for row in records[:limit]:
        prompt = row["prompt"]
        rows.append({**row, "prompt": [{"role": "user", "content": prompt}] if isinstance(prompt, str) else prompt})
    return rows


def run(cfg: Config, ctx: StageContext) -> dict:
    from workbench.models import describe, load_model, to_inference_device

    path = prompt_file(cfg, ctx)
    rows = read_prompts(path, cfg.limit)
    model, tokenizer = load_model(ctx.model_path(cfg.model), tokenizer=ctx.tokenizer_path(cfg.model), seed=ctx.seed)
    model = to_inference_device(model)
    started = time.perf_counter()
    answers = generate_responses(model, tokenizer, [r["prompt"] for r in rows], cfg.sampling, seed=ctx.seed)
    seconds = time.perf_counter() - started
    n = cfg.sampling.num_return_sequences
    provenance = {"model": cfg.model, "seed": ctx.seed, "settings": cfg.sampling.model_dump()}
    sft_rows, responses = [], []
    for i, answer in enumerate(answers):
        row, sample = rows[i // n], i % n
        meta = {**row.get("meta", {}), "generated": {**provenance, "sample": sample}}
        sft_rows.append({"messages": [*row["prompt"], {"role": "assistant", "content": answer}], "meta": meta})
        responses.append({"id": row.get("meta", {}).get("id", i // n), "sample": sample, "response": answer})
    with atomic_dir(ctx.stage_dir / "data") as tmp:
        write_jsonl(tmp / "sft" / "train.jsonl", sft_rows)
        write_jsonl(tmp / "responses.jsonl", responses)
    new_tokens = sum(len(ids) for ids in tokenizer(answers, add_special_tokens=False)["input_ids"])
    metrics = {"prompts": len(rows), "responses": len(answers), "source": str(path),
               "mean_response_chars": round(sum(map(len, answers)) / max(len(answers), 1), 1),
               "generate_seconds": round(seconds, 2), "tokens_per_second": round(new_tokens / max(seconds, 1e-9), 1),
               "model": describe(model)}
    if rows and all("check" in r.get("meta", {}) for r in rows):
        from workbench.taskworld import score

        metrics["taskworld"] = score([rows[i // n] for i in range(len(answers))], answers).to_dict()
    return metrics
