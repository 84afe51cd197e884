"""Stage `distill`: on-policy distillation from a teacher (Gemma 2 §4; GKD, Agarwal et al. 2024; MiniLLM).

The student (`model`, e.g. an sft stage) answers prompts itself and learns to match the teacher's next-token
distribution on its own answers, under the generalized Jensen-Shannon divergence of GKD: `beta` 0 is forward KL,
0.5 JSD, 1 reverse KL (the default: GKD found it best for instruction tuning; MiniLLM's objective). `temperature`
softens both distributions and the student's sampling; answers are at most `max_new_tokens` long.

`lmbda` is GKD's student-data fraction: each generation batch is the student's own samples with probability
`lmbda` (1: fully on-policy), otherwise off-policy sequences: the dataset's answers where the rows have them
(conversations ending in an assistant turn, or prompt + completion), else the teacher's samples (GKD's sequence-level
KD). The draw is seeded by (seed, step), so a resumed run makes the same choices. `top_k` restricts the divergence to
the teacher's k most likely tokens at each position, both distributions renormalised over them.

Prompts (`data`): a task-world stage (its `prompts/train.jsonl`), or a file of prompt-only, conversational or
prompt-completion rows. With a task world, the student's held-out score (greedy answers to the first `eval_limit`
prompts of `prompts/validation.jsonl`, `workbench.taskworld.score`) is measured before and after training.
`prompt_noise` adds a changed copy of every prompt (words dropped or inserted: `workbench.prompt_noise`), so the student
also learns the teacher's answers to wordings the prompt set does not have.

Built on TRL's stable `DistillationTrainer`, not `trl.experimental.gkd.GKDTrainer`: it handles multiple stop ids
(Gemma's `<end_of_turn>`), generates once per generation batch under gradient accumulation, applies the
temperature and Gemma's final-logit soft-cap in the loss (GKDTrainer samples at `temperature` but scores at 1, and
computes full-vocabulary logits over the prompt too), and logs completion lengths and student entropy. What it
lacks is added by `workbench.trl_private.gkd_distillation_trainer` (every override of TRL's private methods lives
there): `lmbda` (off-policy batches), and `top_k`. The top-k divergence is `generalized_jsd`, the same formula as GKDTrainer's `generalized_jsd_loss` (the tests check they agree), written
here because TRL's chunked loss takes no top-k and importing `trl.experimental` warns on every run that its APIs may
change or vanish. A teacher with another vocabulary is refused before
training (TRL would fail only on vocabulary size, and cannot see two same-sized vocabularies that differ).
Output: `stage_dir/model` (the student with its tokenizer), `history.json`.

**Context distillation** (Askell et al. 2021; Snell et al. 2022) when no bigger teacher exists: `teacher_context`
names a knowledge sheet (text or markdown, `workbench.stages.generate.read_teacher_context`); the teacher sees each
prompt with the sheet in its system turn (`workbench.stages.generate.with_context`), the student the prompt alone.
Both score the same completion tokens, each after its own prompt; the trainer aligns them (left-padded prompts, then
the completion: the completion's positions are the last ones of both sequences). The teacher is then usually the
student's own starting point (`teacher: sft` with `model: sft`), loaded as a second copy (the stage trains the
student in full; it has no LoRA). A longer-trained teacher of the same family (an sft stage with more steps, same
tokenizer) is just another `teacher:` stage.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field

from workbench import prompt_noise, trl_private
from workbench.data import detect, read_records
from workbench.errors import DataError, WorkbenchError
from workbench.generation import GenerationSettings, chat_tokenizer, generate_responses
from workbench.stages.base import DataRef, ModelRef, StageConfig, StageContext, neutral
from workbench.stages.generate import TEACHER_CONTEXT_HELP, context_problems, read_teacher_context, with_context
from workbench.training import MAX_BATCH, TrainSettings, callbacks, train_and_save_model, training_arguments

PRODUCES = {"model"}


class DistillTrainSettings(TrainSettings):
    # TRL's default 1e-6 barely moves a tiny model. A class field, so a partial `train:` block keeps it.
    lr: float = Field(1e-4, gt=0, le=10,
        description="Peak learning rate (TRL's default 1e-6 barely moves a tiny model).")
    batch_size: int = Field(8, ge=1, le=MAX_BATCH, description="Prompts per device per step.")


class Config(StageConfig):
    kind: Literal["distill"] = Field("distill", description="The stage kind (fixed for this module).")
    model: ModelRef = Field(description="The student, e.g. an sft stage.")
    teacher: ModelRef = Field(description="Must share the student's vocabulary.")
    data: DataRef = Field(description="A task-world stage (prompts/train.jsonl) or a prompt file.")
    beta: float = Field(1.0, ge=0, le=1, description="Generalized JSD: 0 forward KL, 0.5 JSD, 1 reverse KL.")
    lmbda: float = Field(1.0, ge=0, le=1, description="Fraction of generation batches the student writes itself.")
    temperature: float = Field(1.0, gt=0, le=100, description="Sampling temperature of the student's generations.")
    max_new_tokens: int = Field(64, ge=1, le=65_536, description="Tokens the student writes per prompt.")
    top_k: int | None = Field(None, ge=1, le=262_144,
        description="The divergence over the teacher's k most likely tokens only.")
    teacher_context: DataRef | None = Field(None, description=TEACHER_CONTEXT_HELP)
    prompt_noise: float = Field(0.0, ge=0, le=0.5, description=prompt_noise.HELP,
        json_schema_extra=neutral(0.0))
    eval_limit: int = Field(64, ge=0, le=1_000_000,
        description="Task-world validation prompts scored before and after.")
    train: DistillTrainSettings = Field(DistillTrainSettings(),
        description="Optimisation settings (TRL's DistillationTrainer underneath).")

    def file_problems(self, locate) -> list[tuple[str, str]]:
        return context_problems(self.teacher_context, locate)


# --- data ------------------------------------------------------------------------------------------------------


def prompt_file(ctx: StageContext, ref: str, split: str) -> Path | None:
    """A task world's `prompts/<split>.jsonl` (None if it has no such split), or the file `ref` names."""
    path = ctx.data_path(ref)
    if not path.is_dir():
        return path if split == "train" else None
    file = path / "prompts" / f"{split}.jsonl"
    if split == "train" and not file.is_file():
        raise WorkbenchError(f"stage {ctx.stage_name}: {ref!r} has no prompts/train.jsonl (looked for {file}); "
                             "name a taskworld stage or a prompt file")
    return file if file.is_file() else None


def read_prompt_rows(path: Path) -> list[dict]:
    """Rows `{"prompt": conversation, "answer": [assistant message] (if the row has one), "meta": ...}`."""
    records = read_records(path)
    info = detect(records, path)
    rows = []
    for record in records:
        if info.type == "prompt_only":
            prompt, answer = record["prompt"], None
        elif info.type == "prompt_completion":
            prompt, answer = record["prompt"], record["completion"]
        elif info.type == "language_modeling" and info.form == "conversational":
            messages = record["messages"]
            last = max((i for i, m in enumerate(messages) if m["role"] == "assistant"), default=None)
            if last is None:
                raise DataError(path, None, "a conversation has no assistant turn; give prompt-only rows instead")
            prompt, answer = messages[:last], [messages[last]]
        else:
            raise DataError(path, None, f"holds {info.type} rows ({info.form}); distill needs prompts: prompt-only, "
                                        "conversational messages or prompt + completion rows")
        row = {"prompt": _as_turns(prompt, "user"), "meta": record.get("meta")}
        if answer is not None:
            row["answer"] = _as_turns(answer, "assistant")
        rows.append(row)
    if not rows:
        raise DataError(path, None, "no prompts")
    return rows


def _as_turns(value: str | list[dict], role: str) -> list[dict]:
    return [{"role": role, "content": value}] if isinstance(value, str) else value


def answer_ids(tokenizer, prompt: list[dict], answer: list[dict], max_new_tokens: int, stop_ids: list[int]):
    """The token ids of `answer` after `prompt` as the chat template writes them, cut after the first stop token."""
    prompt_ids = tokenizer.apply_chat_template(prompt, add_generation_prompt=True, tokenize=True,
                                               return_dict=True)["input_ids"]
    whole = tokenizer.apply_chat_template(prompt + answer, tokenize=True, return_dict=True)["input_ids"]
    ids = list(whole[len(prompt_ids):])
    stops = [i for i, t in enumerate(ids) if t in stop_ids]
    return ids[: stops[0] + 1 if stops else None][:max_new_tokens]


def as_dataset(rows: list[dict], tokenizer, max_new_tokens: int, stop_ids: list[int], sheet: str | None = None):
    """The trainer's dataset: `prompt`, `answer_ids` where the rows carry answers (for off-policy batches), and
    `teacher_prompt` (the prompt with the sheet) for context distillation."""
    import datasets

    columns = {"prompt": [r["prompt"] for r in rows]}
    if sheet is not None:
        columns["teacher_prompt"] = [with_context(r["prompt"], sheet) for r in rows]
    if all("answer" in r for r in rows):
        columns["answer_ids"] = [answer_ids(tokenizer, r["prompt"], r["answer"], max_new_tokens, stop_ids)
                                 for r in rows]
    return datasets.Dataset.from_dict(columns)


# --- models ----------------------------------------------------------------------------------------------------


def load_student_and_teacher(cfg: Config, ctx: StageContext):
    """(student, teacher, tokenizer); refuses a teacher whose vocabulary differs from the student's."""
    from workbench.models import load_model

    student, tokenizer = load_model(ctx.model_path(cfg.model), tokenizer=ctx.tokenizer_path(cfg.model), seed=ctx.seed)
    teacher, teacher_tokenizer = load_model(ctx.model_path(cfg.teacher), tokenizer=ctx.tokenizer_path(cfg.teacher),
                                            seed=ctx.seed + 1)
    student_size = student.config.get_text_config().vocab_size
    teacher_size = teacher.config.get_text_config().vocab_size
    if teacher_tokenizer.get_vocab() != tokenizer.get_vocab() or student_size != teacher_size:
        raise WorkbenchError(f"stage {ctx.stage_name}: teacher {cfg.teacher!r} uses another vocabulary than student "
                             f"{cfg.model!r} ({len(teacher_tokenizer)} vs {len(tokenizer)} tokens); distillation "
                             "compares both models' next-token probabilities over the same tokens: give them the "
                             "same tokenizer")
    teacher.requires_grad_(False)
    return student, teacher.eval(), chat_tokenizer(tokenizer)


# --- training --------------------------------------------------------------------------------------------------


def generalized_jsd(student_logits, teacher_logits, beta: float, temperature: float):
    """GKD's generalized JSD per position (Agarwal et al. 2024, eq. 1) between the softmaxes of the logits (last
    dimension): beta KL(teacher || mixture) + (1 - beta) KL(student || mixture), mixture = beta teacher +
    (1 - beta) student; beta 0 is forward KL(teacher || student), 1 reverse KL(student || teacher)."""
    import math

    import torch

    student = torch.log_softmax(student_logits / temperature, dim=-1)
    teacher = torch.log_softmax(teacher_logits / temperature, dim=-1)
    if beta == 0:
        return (teacher.exp() * (teacher - student)).sum(-1)
    if beta == 1:
        return (student.exp() * (student - teacher)).sum(-1)
    mixture = torch.logsumexp(torch.stack([student + math.log(1 - beta), teacher + math.log(beta)]), dim=0)
    return (beta * (teacher.exp() * (teacher - mixture)).sum(-1)
            + (1 - beta) * (student.exp() * (student - mixture)).sum(-1))


def distillation_arguments(cfg: Config, ctx: StageContext):
    """TRL's `DistillationConfig` for the stage's settings."""
    from trl import DistillationConfig

    return training_arguments(cfg.train, ctx.stage_dir, ctx.seed, args_class=DistillationConfig, beta=cfg.beta,
                              temperature=cfg.temperature, max_completion_length=cfg.max_new_tokens)


def build_trainer(cfg: Config, ctx: StageContext, student, teacher, tokenizer, rows: list[dict],
                  sheet: str | None = None):
    """The stage's trainer (exposed for the benchmark, which times it against TRL's own)."""
    from workbench.generation import stop_token_ids

    args = distillation_arguments(cfg, ctx)
    dataset = as_dataset(rows, tokenizer, cfg.max_new_tokens, stop_token_ids(tokenizer), sheet)
    return trl_private.gkd_distillation_trainer()(
        model=student, teacher_model=teacher, args=args, train_dataset=dataset, processing_class=tokenizer,
        callbacks=callbacks(ctx.stage_dir), lmbda=cfg.lmbda, top_k=cfg.top_k, divergence=generalized_jsd)


def taskworld_score(model, tokenizer, rows: list[dict], max_new_tokens: int, seed: int) -> dict:
    """The task-world score of the model's greedy answers to `rows`."""
    from workbench.taskworld import score

    settings = GenerationSettings(do_sample=False, max_new_tokens=max_new_tokens)
    answers = generate_responses(model, tokenizer, [r["prompt"] for r in rows], settings, seed=seed)
    return score(rows, answers).to_dict()


def run(cfg: Config, ctx: StageContext) -> dict:
    from workbench.models import describe

    prompts = read_prompt_rows(prompt_file(ctx, cfg.data, "train"))
    rows = prompt_noise.with_noised_copies(prompts, cfg.prompt_noise, ctx.seed)
    sheet = read_teacher_context(ctx.data_path(cfg.teacher_context)) if cfg.teacher_context else None
    student, teacher, tokenizer = load_student_and_teacher(cfg, ctx)
    validation = prompt_file(ctx, cfg.data, "validation")
    held_out = read_prompt_rows(validation)[: cfg.eval_limit] if validation is not None and cfg.eval_limit else []
    scored = bool(held_out) and all(isinstance(r["meta"], dict) and "check" in r["meta"] for r in held_out)
    before = taskworld_score(student, tokenizer, held_out, cfg.max_new_tokens, ctx.seed) if scored else None
    trainer = build_trainer(cfg, ctx, student, teacher, tokenizer, rows, sheet)
    checkpoint = ctx.last_checkpoint()
    result, seconds = train_and_save_model(trainer, student, tokenizer, ctx)
    metrics = {
        "train_loss": round(result.training_loss, 4),
        "train_prompts": len(prompts),
        "noised_prompts": len(rows) - len(prompts),
        "train_seconds": round(seconds, 2),
        "steps_per_second": result.metrics.get("train_steps_per_second"),
        "off_policy_batches": trainer.off_policy_batches,
        "tokens_seen": trainer.state.num_input_tokens_seen,
        "resumed_from_step": int(checkpoint.name.split("-")[-1]) if checkpoint else None,
        "student": describe(student),
        "teacher": describe(teacher),
        "teacher_context": cfg.teacher_context,
    }
    if scored:
        metrics["taskworld_before"] = before
        metrics["taskworld_after"] = taskworld_score(student, tokenizer, held_out, cfg.max_new_tokens, ctx.seed)
    return metrics
