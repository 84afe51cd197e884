"""Stage `generate`: a model answers a prompt set; the answers become SFT data (Gemma 2 §4: a teacher writes the
responses the student is trained on).

`prompts` names a taskworld (or filter) stage, whose `prompts/<split>.jsonl` is read (`file` picks another file in
its data folder), or a prompt-only file (conversational `prompt` lists, or plain strings taken as one user turn).
Generation is `workbench.generation.generate_responses` with the recipe's `sampling` settings and seed.

Writes `data/sft/train.jsonl` — TRL conversational language-modelling rows, `messages` = prompt + the assistant's
answer, `meta` carried over with `generated` provenance (model, seed, settings, sample index) — and
`data/responses.jsonl` rows `{"id", "sample", "response"}` in prompt order. When the prompts carry task-world
`meta`, the metrics include the task-world score of the answers.

`teacher_context` (a text or markdown file: a knowledge sheet and guidelines) is *context distillation*'s data step
(Askell et al. 2021; Snell et al. 2022): the model answers with the sheet in its system turn (`with_context`), and the
SFT rows keep the prompt without it, so a model trained on them learns to answer as if it had read the sheet. The file
is untrusted input (`read_teacher_context`: UTF-8 text, not empty, at most `MAX_CONTEXT_BYTES`); `distill` uses the
same two functions for its teacher.
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
from workbench.paths import regular_file
from workbench.stages.base import DataRef, ModelRef, StageConfig, StageContext

PRODUCES = {"data"}
MAX_CONTEXT_BYTES = 65_536  # the sheet goes into every prompt: 64 KiB is ~16k tokens, far beyond a useful sheet
TEACHER_CONTEXT_HELP = ("A text or markdown file (a knowledge sheet and guidelines; path relative to the recipe) put "
                        "into the teacher's system turn (merged after an existing system message); the prompts "
                        "trained on keep no trace of it: context distillation.")


class Config(StageConfig):
    kind: Literal["generate"] = Field("generate", description="The stage kind (fixed for this module).")
    model: ModelRef = Field(description="The model that answers.")
    prompts: DataRef = Field(description="A stage with a data folder, or a prompt-only file.")
    split: str = Field("train", description="With a stage: reads prompts/<split>.jsonl.")
    file: str | None = Field(None, description="With a stage: this file in its data folder instead.")
    limit: int | None = Field(None, ge=1, le=10_000_000, description="Answer only the first N prompts.")
    sampling: GenerationSettings = Field(GenerationSettings(),
        description="How the model answers: sampling, length, answers per prompt, batch size.")
    teacher_context: DataRef | None = Field(None, description=TEACHER_CONTEXT_HELP)

    def file_problems(self, locate) -> list[tuple[str, str]]:
        return context_problems(self.teacher_context, locate)


def context_problems(ref: str | None, locate) -> list[tuple[str, str]]:
    """`teacher_context`'s problem, if it names an existing file that is not a usable sheet (`file_problems`)."""
    path = locate(ref) if ref else None
    if path is None or not path.exists():
        return []
    try:
        read_teacher_context(path)
    except WorkbenchError as e:
        return [("teacher_context", str(e))]
    return []


def read_teacher_context(path: Path) -> str:
    """The sheet's text; one clear error (what, where, how to fix) for a missing, empty, oversized or binary file."""
    path = regular_file(path, "teacher_context sheet (a text or markdown file)")
    size = path.stat().st_size
    if size > MAX_CONTEXT_BYTES:
        raise DataError(path, None, f"teacher_context sheet is {size} bytes, more than {MAX_CONTEXT_BYTES}; it goes "
                                    "into every prompt the teacher sees: shorten it to the facts and guidelines")
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise DataError(path, None, f"teacher_context sheet is not UTF-8 text (byte {e.start}); give a text or "
                                    "markdown file") from None
    if any(ord(c) < 32 and c not in "\t\n\r" for c in text):
        raise DataError(path, None, "teacher_context sheet holds control characters (a binary file?); give a text "
                                    "or markdown file")
    if not text.strip():
        raise DataError(path, None, "teacher_context sheet is empty; write the facts and guidelines the teacher "
                                    "should know")
    return text.strip()


def with_context(prompt: list[dict], sheet: str) -> list[dict]:
    """`prompt` with `sheet` in its system turn: appended to the first message if that is a system message, else a
    new system message in front."""
    if prompt and prompt[0]["role"] == "system":
        return [{**prompt[0], "content": f"{prompt[0]['content']}\n\n{sheet}"}, *prompt[1:]]
    return [{"role": "system", "content": sheet}, *prompt]


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
    sheet = read_teacher_context(ctx.data_path(cfg.teacher_context)) if cfg.teacher_context else None
    model, tokenizer = load_model(ctx.model_path(cfg.model), tokenizer=ctx.tokenizer_path(cfg.model), seed=ctx.seed)
    model = to_inference_device(model)
    started = time.perf_counter()
    asked = [with_context(r["prompt"], sheet) if sheet else r["prompt"] for r in rows]
    answers = generate_responses(model, tokenizer, asked, cfg.sampling, seed=ctx.seed)
    seconds = time.perf_counter() - started
    n = cfg.sampling.num_return_sequences
    provenance = {"model": cfg.model, "seed": ctx.seed, "settings": cfg.sampling.model_dump()}
    if sheet:
        provenance["teacher_context"] = cfg.teacher_context
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
