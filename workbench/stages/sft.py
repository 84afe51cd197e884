"""Stage `sft`: supervised fine-tuning (behavioural cloning) on prompt + response, full or LoRA, through TRL's
`SFTTrainer` (Gemma 2 §4).

Data. `data` is one source or several with weights (`{world: 1, teacher_answers: 2}`, or a list of
`{data, weight}`). A source is a stage — taskworld, generate and filter stages all keep their SFT rows in
`data/sft/train.jsonl` — or a file in any format `workbench data validate` accepts: conversational `messages`,
prompt-completion, or plain `text` (all sources must share one type and form). A weight multiplies how often the
source's rows are seen: 2 repeats every row twice, 0.5 keeps a seeded half. `eval_data` is a stage (its
`sft/validation.jsonl`) or a file; without it, a seeded `eval_fraction` of every source (at least one row) is held out.
`prompt_noise` adds a changed copy of every training row, its last question reworded by dropped and inserted words
(`workbench.prompt_noise`), with the row's own answer.

Replay. `replay: world` mixes pretraining text into the batches (InstructGPT's "pretraining mix"): a share
`replay_fraction` of the training sequences are documents of that corpus (a taskworld stage's `corpus/train.txt` or a
text file, documents separated by blank lines), each `<bos> doc <eos>` trained on every token. Fine-tuning a small
model on a few thousand answers overwrites what pretraining taught it; measured on the task world, a student that
recalled 42 % of held-out towns' facts recalled about 10 % after SFT without replay (CHANGELOG.md, v7).

Loss. `assistant_only_loss` trains on what the model must write: for conversations the assistant turns, stop token
included (the chat template's `{% generation %}` markers, Gemma's when the tokenizer has no template); for
prompt-completion rows the completion; plain text trains on every token.

Why `compute_loss` is our own: TRL 1.16's SFTTrainer always patches the model with a fused LM head that, besides
the log-probabilities, computes the entropy and top-1 accuracy of every position for its logs, and on a CPU (no
Triton) scores every position — prompt and padding included — over the whole vocabulary in several torch passes,
then recomputes the projection in the backward. SFTConfig has no switch for those metrics (checked in
`trl/trainer/sft_trainer.py`: `outputs=("log_probs", "entropy", "is_top1")` is hard-coded). With Gemma 3's 262k
vocabulary that made a step about 2x slower than a plain loop (docs/benchmarks.md). `LeanSFTTrainer` keeps everything else
of SFTTrainer (tokenisation, masks, packing, PEFT, checkpoints) and projects only the positions that carry a label.

Outputs: `model/` (a full model; for LoRA the adapter merged into the base, unless `lora.merge` is false),
`adapter/` for LoRA (loadable on its own with `peft.AutoPeftModelForCausalLM.from_pretrained`: its
`base_model_name_or_path` is the base's absolute folder, for a preset built in memory a copy saved as `base/`),
`samples.jsonl` (the first `samples` eval prompts answered greedily before and after), `history.json`. Metrics: train
loss, eval loss and perplexity before and after, and for task-world eval data its score (greedy answers,
`workbench.taskworld.score`) before and after.
"""

from __future__ import annotations

import importlib.util
import math
import random
import time
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from workbench import prompt_noise, trl_private
from workbench.atomic import atomic_dir, write_jsonl
from workbench.data import detect, read_records
from workbench.data.corpus import corpus_files, document_ids, read_documents
from workbench.errors import DataError, WorkbenchError
from workbench.generation import GREEDY, answer_prompts, chat_tokenizer, clean_ending_rate
from workbench.stages.base import DataRef, ModelRef, StageConfig, StageContext, neutral
from workbench.ranks import is_main_process, wait_for_everyone
from workbench.training import (TrainSettings, callbacks, save_history, save_model, train_after_evaluate,
                                training_arguments, use_bf16)

PRODUCES = {"model"}
TRAINABLE_TYPES = ("language_modeling", "prompt_completion")


class AdapterSettings(BaseModel):
    """A LoRA adapter (peft) instead of full fine-tuning: the `lora:` block every training stage shares (reward, rlhf
    and dpo take exactly this; sft's `LoraSettings` adds what only SFT has)."""

    model_config = ConfigDict(extra="forbid")

    r: int = Field(16, ge=1, le=4096, description="LoRA rank.")
    alpha: float = Field(32, gt=0, le=1_000_000, description="LoRA alpha (the update is scaled by alpha / r).")
    dropout: float = Field(0.05, ge=0, lt=1, description="Dropout on the LoRA path.")
    target_modules: str | list[str] = Field("all-linear",
        description="all-linear, or the names of the modules to adapt (e.g. [q_proj, v_proj]).")
    merge: bool = Field(True, description="Also write the adapter merged into the base as `model/`, for later stages.")

    @model_validator(mode="before")
    @classmethod
    def _sft_only(cls, data):
        for key in SFT_ONLY_LORA:
            if isinstance(data, dict) and key in data:
                raise ValueError(f"{key} is supported by the sft stage only; remove it from this stage's lora block")
        return data


SFT_ONLY_LORA = ("qlora", "train_turn_tokens")


class LoraSettings(AdapterSettings):
    """sft's `lora:` block: the shared LoRA settings, plus a 4-bit base and trainable turn-marker rows."""

    @model_validator(mode="before")
    @classmethod
    def _sft_only(cls, data):
        return data  # this is the sft stage

    qlora: bool = Field(False, description="Load the base in 4 bits (bitsandbytes, CUDA only)")
    train_turn_tokens: bool = Field(True, description=(
        "also train the embedding rows (input and tied output) of the chat template's turn markers <start_of_turn> "
        "and <end_of_turn> (peft's trainable_token_indices): a pretrained base such as Gemma 3 270M never learnt to "
        "predict <end_of_turn> (log-prob about -35 where an answer ends), and LoRA on the linear layers alone does "
        "not lift it, so answers ran on past their end"))

    @model_validator(mode="after")
    def _no_merge_into_4_bits(self):
        if self.qlora and self.merge:
            raise ValueError("a 4-bit (qlora) base cannot be merged with its adapter; set merge: false")
        return self


class Config(StageConfig):
    kind: Literal["sft"] = Field("sft", description="The stage kind (fixed for this module).")
    model: ModelRef = Field(description="The model to fine-tune: a stage's model or a recipe model.")
    data: DataRef | dict[DataRef, float] = Field(description="One source, or source -> weight.")
    eval_data: DataRef | None = Field(None, description="Held-out rows; default: eval_fraction of every source.")
    eval_fraction: float = Field(0.1, gt=0, lt=1, description="Held out of every source when there is no eval_data.")
    assistant_only_loss: bool = Field(True,
        description="Learn the assistant turns only (and when to stop), not the prompts.")
    max_length: int = Field(512, ge=8, le=1_048_576, description="Tokens per example; longer ones are truncated.")
    packing: bool = Field(False, description="Pack examples into full rows of max_length tokens.")
    replay: DataRef | None = Field(None, description="Pretraining text mixed into the batches (module docstring)")
    replay_fraction: float = Field(0.5, gt=0, lt=1,
        description="Share of the training sequences that are replayed documents.")
    lora: LoraSettings | None = Field(None, description="Train a LoRA adapter (peft) instead of every weight.")
    prompt_noise: float = Field(0.0, ge=0, le=0.5, json_schema_extra=neutral(0.0),
        description=prompt_noise.HELP + " The copy keeps its row's answer.")
    samples: int = Field(3, ge=0, le=10_000, description="Eval prompts answered before and after, in samples.jsonl.")
    ending_prompts: int = Field(16, ge=0, le=1_000_000, description="Eval prompts of a chat set answered greedily "
                                "before and after to measure `clean_endings`, the share of answers that stop at the turn end.")
    score_prompts: int = Field(64, ge=0, le=1_000_000, description="Task-world eval prompts scored before and after.")
    train: TrainSettings = Field(TrainSettings(), description="Optimisation settings (TRL's SFTTrainer underneath).")

    @field_validator("data", mode="before")
    @classmethod
    def _list_of_sources(cls, value):
        """`[{data: a, weight: 2}, {data: b}]` is the same as `{a: 2, b: 1}`."""
        if not isinstance(value, list):
            return value
        mix: dict = {}
        for item in value:
            if not isinstance(item, dict) or "data" not in item or set(item) - {"data", "weight"}:
                raise ValueError("each source is {data: NAME, weight: W}")
            if item["data"] in mix:
                raise ValueError(f"source {item['data']!r} is listed twice")
            mix[item["data"]] = item.get("weight", 1.0)
        return mix

    @field_validator("data")
    @classmethod
    def _positive_weights(cls, value):
        if isinstance(value, dict):
            if not value:
                raise ValueError("give at least one data source")
            bad = [name for name, weight in value.items() if not weight > 0]
            if bad:
                raise ValueError(f"weights must be positive (source {bad[0]!r})")
        return value

    @model_validator(mode="after")
    def _replay_unpacked(self):
        if self.replay is not None and self.packing:
            raise ValueError("replay mixes whole documents into unpacked batches; set packing: false or drop replay")
        return self

    @property
    def sources(self) -> dict[str, float]:
        return self.data if isinstance(self.data, dict) else {self.data: 1.0}


# --- data ------------------------------------------------------------------------------------------------------


def data_file(ref: str, ctx: StageContext, split: str) -> Path:
    """The SFT file a reference stands for: a stage's `data/sft/<split>.jsonl`, or the file itself."""
    path = ctx.data_path(ref)
    if not path.is_dir():
        return path
    file = path / "sft" / f"{split}.jsonl"
    if not file.is_file():
        raise WorkbenchError(f"stage {ctx.stage_name}: {ref!r} has no sft/{split}.jsonl (looked for {file}); "
                             "name a stage that writes SFT data (taskworld, generate, filter) or a file")
    return file


def read_sft_rows(path: Path) -> tuple[list[dict], tuple[str, str]]:
    """The rows of an SFT file and their (type, form); only trainable types are accepted."""
    records = read_records(path)
    info = detect(records, path)
    if info.type not in TRAINABLE_TYPES:
        raise DataError(path, None, f"holds {info.type} rows; sft trains on messages, prompt + completion, or text")
    return list(records), (info.type, info.form)


def held_out(rows: list[dict], fraction: float, seed: int) -> tuple[list[dict], list[dict]]:
    """(train, eval): a seeded `fraction` of the rows, at least one, held out for evaluation."""
    if len(rows) < 2:
        raise WorkbenchError(f"{len(rows)} row: too few to hold any out for evaluation; add rows or give eval data")
    order = list(range(len(rows)))
    random.Random(seed).shuffle(order)
    n_eval = max(1, round(fraction * len(rows)))
    eval_ids = set(order[:n_eval])
    return [r for i, r in enumerate(rows) if i not in eval_ids], [r for i, r in enumerate(rows) if i in eval_ids]


def mix(sources: list[tuple[list[dict], float]], seed: int) -> list[dict]:
    """Rows of every source, each seen `weight` times on average (whole repeats plus a seeded sample), shuffled."""
    rng = random.Random(seed)
    out: list[dict] = []
    for rows, weight in sources:
        whole, part = divmod(weight, 1)
        out += rows * int(whole)
        out += rng.sample(rows, round(part * len(rows)))
    rng.shuffle(out)
    return out


def load_sft_data(cfg: Config, ctx: StageContext) -> tuple[list[dict], list[dict], tuple[str, str]]:
    """(train rows, eval rows, (type, form)) after mixing the sources and picking or holding out the eval rows."""
    parts, evals, kinds = [], [], {}
    for ref, weight in cfg.sources.items():
        path = data_file(ref, ctx, "train")
        rows, kinds[path] = read_sft_rows(path)
        if cfg.eval_data is None:
            rows, held = held_out(rows, cfg.eval_fraction, ctx.seed)
            evals += held
        parts.append((rows, weight))
    if cfg.eval_data is not None:
        path = data_file(cfg.eval_data, ctx, "validation")
        evals, kinds[path] = read_sft_rows(path)
    if len(set(kinds.values())) > 1:
        shown = "; ".join(f"{p}: {t} ({f})" for p, (t, f) in kinds.items())
        raise WorkbenchError(f"stage {ctx.stage_name}: the data sources hold different kinds of rows ({shown}); "
                             "convert them to one type and form")
    train = mix(parts, ctx.seed)
    if not train:
        raise WorkbenchError(f"stage {ctx.stage_name}: no training rows left after weighting; raise the weights")
    return train, evals, next(iter(kinds.values()))


def add_replay(trainer, cfg: Config, ctx: StageContext, tokenizer) -> int:
    """Mix replayed pretraining documents into the trainer's prepared (tokenised) training set, so that they make up
    `replay_fraction` of the sequences it trains on: the SFT rows are repeated to fill about one pass over the run's
    steps and as many distinct documents (seeded) join them. Returns how many documents were added."""
    import datasets

    prepared = trainer.train_dataset.select_columns(["input_ids", "labels"])
    f = cfg.replay_fraction
    repeats = max(1, round((1 - f) * sequences_seen(cfg, trainer) / len(prepared)))
    n = round(f / (1 - f) * repeats * len(prepared))
    docs = read_documents(corpus_files(ctx.data_path(cfg.replay))[0])
    rng = random.Random(ctx.seed)
    picked = rng.sample(docs, n) if n <= len(docs) else [rng.choice(docs) for _ in range(n)]
    ids = [doc[: cfg.max_length] for doc in document_ids(picked, tokenizer)]
    replay = datasets.Dataset.from_dict({"input_ids": ids, "labels": ids}).cast(prepared.features)
    trainer.train_dataset = datasets.concatenate_datasets([prepared] * repeats + [replay])
    return n


def sequences_seen(cfg: Config, trainer) -> int:
    """How many training sequences the run's optimizer steps go through, over all processes."""
    s = cfg.train
    return s.max_steps * s.batch_size * s.grad_accum * trainer.args.world_size


def _columns(kind: str) -> tuple[str, ...]:
    return {"language_modeling": ("messages", "text"), "prompt_completion": ("prompt", "completion")}[kind]


def as_dataset(rows: list[dict], kind: str):
    """A `datasets.Dataset` of the data columns only (`meta` stays out of tokenisation)."""
    import datasets

    columns = [c for c in _columns(kind) if c in rows[0]]
    return datasets.Dataset.from_list([{c: row[c] for c in columns} for row in rows])


def eval_prompts(rows: list[dict]) -> list[tuple[list[dict], dict]]:
    """(prompt conversation, row) for rows with a prompt: a conversation up to its last assistant turn, or the
    prompt of a prompt-completion row. Plain-text rows have none."""
    out = []
    for row in rows:
        if "messages" in row:
            last = max(i for i, m in enumerate(row["messages"]) if m["role"] == "assistant")
            out.append((row["messages"][:last], row))
        elif "prompt" in row:
            prompt = row["prompt"]
            out.append(([{"role": "user", "content": prompt}] if isinstance(prompt, str) else prompt, row))
    return out


# --- training --------------------------------------------------------------------------------------------------


def _loss_switches(cfg: Config, kind: str, form: str) -> dict:
    conversation = kind == "language_modeling" and form == "conversational"
    return {"assistant_only_loss": cfg.assistant_only_loss and conversation,
            "completion_only_loss": cfg.assistant_only_loss if kind == "prompt_completion" else False}


def _loss_on(switches: dict) -> str:
    if switches["assistant_only_loss"]:
        return "assistant turns"
    return "completions" if switches["completion_only_loss"] else "all tokens"


def build_trainer(cfg: Config, ctx: StageContext, model, tokenizer, train: list[dict], evals: list[dict],
                  kind: tuple[str, str], trainer_class=None):
    """The SFT trainer for the stage's rows (exposed for tests, which inspect its collated batches, and for
    bench.lora_step, which can swap in TRL's own `SFTTrainer` as `trainer_class`)."""
    from trl import SFTConfig

    from workbench.trainable_tokens import lean_trainable_tokens

    args = training_arguments(
        cfg.train, ctx.stage_dir, ctx.seed, args_class=SFTConfig,
        max_length=cfg.max_length, packing=cfg.packing,
        packing_strategy="wrapped", padding_free=False,  # the fastest with eager attention ("bfd" measured 2.7x slower)
        per_device_eval_batch_size=cfg.train.batch_size, prediction_loss_only=True,
        dataset_num_proc=None, **_loss_switches(cfg, *kind),
    )
    trainer = (trainer_class or trl_private.lean_sft_trainer())(
        model=model, args=args, processing_class=tokenizer, train_dataset=as_dataset(train, kind[0]),
        eval_dataset=as_dataset(evals, kind[0]), peft_config=_peft_config(cfg.lora, tokenizer),
        callbacks=callbacks(ctx.stage_dir),
    )
    lean_trainable_tokens(trainer.model)  # the turn-marker rows without a copy of the embedding per forward pass
    return trainer


def _peft_config(lora: LoraSettings | None, tokenizer=None):
    if lora is None:
        return None
    from peft import LoraConfig

    from workbench.tokenizer import TURN_TOKENS

    vocab = tokenizer.get_vocab() if tokenizer is not None and lora.train_turn_tokens else {}
    turn_ids = sorted(vocab[t] for t in TURN_TOKENS if t in vocab)
    return LoraConfig(r=lora.r, lora_alpha=lora.alpha, lora_dropout=lora.dropout, target_modules=lora.target_modules,
                      trainable_token_indices=turn_ids or None, task_type="CAUSAL_LM")


def qlora_unavailable() -> str | None:
    """Why a 4-bit (QLoRA) base cannot be loaded here, or None: bitsandbytes' 4-bit kernels need a CUDA GPU."""
    import torch

    if not torch.cuda.is_available():
        return "needs a CUDA GPU and bitsandbytes (4-bit kernels), and this machine has no GPU"
    if importlib.util.find_spec("bitsandbytes") is None:
        return "needs bitsandbytes, which is not installed (pip install bitsandbytes)"
    return None


def _quantization(lora: LoraSettings | None) -> dict:
    """from_pretrained arguments for a 4-bit base (QLoRA), which needs bitsandbytes and a CUDA GPU."""
    if lora is None or not lora.qlora:
        return {}
    reason = qlora_unavailable()
    if reason is not None:
        raise WorkbenchError(f"lora.qlora {reason}; set qlora: false for plain LoRA (which runs on a CPU)")
    import torch
    from transformers import BitsAndBytesConfig

    return {"quantization_config": BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4",
                                                      bnb_4bit_compute_dtype=torch.bfloat16)}


def load_base(cfg: Config, ctx: StageContext):
    from workbench.models import load_model

    model, tokenizer = load_model(ctx.model_path(cfg.model), tokenizer=ctx.tokenizer_path(cfg.model), seed=ctx.seed,
                                  **_quantization(cfg.lora))
    limit = getattr(model.config.get_text_config(), "max_position_embeddings", None)
    if limit is not None and cfg.max_length > limit:
        raise WorkbenchError(f"max_length {cfg.max_length} is beyond what model {cfg.model!r} can attend to "
                             f"(max_position_embeddings {limit}); use at most {limit}")
    if cfg.lora is not None and cfg.lora.merge and getattr(model.config, "quantization_config", None) is not None:
        raise WorkbenchError(f"model {cfg.model!r} is quantized, so an adapter cannot be merged into it; "
                             "set lora.merge: false (or drop --merge)")
    if cfg.lora is not None and cfg.lora.qlora:
        from peft import prepare_model_for_kbit_training

        model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=False)
    return model, chat_tokenizer(tokenizer)


def name_the_base(model, tokenizer, ctx: StageContext) -> str:
    """Make the saved adapter loadable on its own (`AutoPeftModelForCausalLM.from_pretrained(adapter/)`): peft
    records the model's `name_or_path` as `base_model_name_or_path`, so set it to the base's folder as an absolute
    path (a hub id stays as it is). A model built in memory (a preset) has no folder and would be recorded as null:
    it is saved once as `stage_dir/base` and named by that. Call before the trainer wraps the model."""
    name = model.name_or_path
    if name and Path(name).expanduser().is_dir():
        name = str(Path(name).expanduser().resolve())
    elif not name:
        folder = ctx.stage_dir / "base"
        if is_main_process() and not (folder / "config.json").is_file():
            with atomic_dir(folder) as tmp:
                model.save_pretrained(tmp)
                tokenizer.save_pretrained(tmp)
        name = str(folder.resolve())
    model.name_or_path = model.config._name_or_path = name
    return name


def evaluate(trainer, model, tokenizer, cfg: Config, prompts: list[tuple[list[dict], dict]], seed: int) -> dict:
    """Eval loss and perplexity, greedy answers to the first eval prompts, the share of them that end cleanly, and
    their task-world score if any."""
    loss = trainer.evaluate()["eval_loss"]
    n = max(cfg.samples, cfg.score_prompts if _is_taskworld(prompts) else cfg.ending_prompts)
    replies = answer_prompts(model, tokenizer, [p for p, _ in prompts[:n]], GREEDY, seed=seed)
    answers = [a.text for a in replies]
    out = {"eval_loss": round(loss, 4), "eval_perplexity": round(math.exp(min(loss, 50)), 4), "answers": answers,
           "clean_endings": clean_ending_rate(replies), "clean_endings_of": len(replies)}
    if _is_taskworld(prompts) and cfg.score_prompts:
        from workbench.taskworld import score

        scored = min(cfg.score_prompts, len(answers))
        out["taskworld"] = score([row for _, row in prompts[:scored]], answers[:scored]).to_dict()
    return out


def _is_taskworld(prompts: list[tuple[list[dict], dict]]) -> bool:
    return bool(prompts) and all(isinstance(row.get("meta"), dict) and "check" in row["meta"] for _, row in prompts)


def sample_rows(prompts, before: list[str], after: list[str], n: int) -> list[dict]:
    rows = []
    for stage, answers in (("before", before), ("after", after)):
        for i, ((prompt, row), answer) in enumerate(zip(prompts[:n], answers[:n])):
            rows.append({"id": (row.get("meta") or {}).get("id", i), "prompt": prompt, "response": answer,
                         "stage": stage})
    return rows


UNTRAINED_MARGIN = 10.0  # nats below <eos> at the answer ends: a turn-end row the base never learnt to predict


def turn_end_logprobs(trainer, tokenizer) -> dict | None:
    """Mean log-probabilities of `<end_of_turn>` and `<eos>` where the first (up to 8) eval rows end an assistant
    turn (the labelled `<end_of_turn>` positions of a collated batch); None where there are none."""
    import torch

    end, eos, dataset = tokenizer.get_vocab().get("<end_of_turn>"), tokenizer.eos_token_id, trainer.eval_dataset
    if end is None or eos is None or end == eos or dataset is None or len(dataset) == 0:
        return None
    model = trainer.model
    device = next(model.parameters()).device
    batch = trainer.data_collator([dataset[i] for i in range(min(8, len(dataset)))])
    labels = batch["labels"][:, 1:].to(device)
    if not (labels == end).any():
        return None
    was_training = model.training
    model.eval()
    with torch.no_grad():
        ids, mask = batch["input_ids"].to(device), batch["attention_mask"].to(device)
        logits = model(input_ids=ids, attention_mask=mask).logits
    model.train(was_training)
    logp = logits[:, :-1][labels == end].float().log_softmax(-1)
    return {"end_of_turn": round(logp[:, end].mean().item(), 3), "eos": round(logp[:, eos].mean().item(), 3)}


def start_untrained_turn_end(model, tokenizer, measured: dict | None) -> bool:
    """Where the base never learnt to predict `<end_of_turn>` (`measured` log-prob more than UNTRAINED_MARGIN below
    `<eos>`'s where answers end), start its embedding row (input, and output where untied; for LoRA the trainable
    token row) as a copy of `<eos>`'s, the end-of-text token the base does predict, so that training refines an
    ending it can already reach instead of lifting a row that points away from every answer.
    Returns whether it did."""
    import torch

    if measured is None or measured["end_of_turn"] > measured["eos"] - UNTRAINED_MARGIN:
        return False
    from peft.utils.other import TrainableTokensWrapper

    end, eos = tokenizer.convert_tokens_to_ids("<end_of_turn>"), tokenizer.eos_token_id
    embedding = model.get_input_embeddings()
    with torch.no_grad():
        if isinstance(embedding, TrainableTokensWrapper):
            adapter = embedding.token_adapter
            for name in adapter.active_adapters:
                if end in adapter.token_indices[name]:
                    delta = adapter.trainable_tokens_delta[name]
                    delta[adapter.token_indices[name].index(end)] = adapter.base_layer.weight[eos].to(delta.dtype)
            return any(end in adapter.token_indices[name] for name in adapter.active_adapters)
        if not embedding.weight.requires_grad:
            return False  # LoRA without trainable token rows: nothing of that row trains
        embedding.weight[end] = embedding.weight[eos]
        output = model.get_output_embeddings()
        if output is not None and output.weight is not embedding.weight:
            output.weight[end] = output.weight[eos]
    return True


def save_outputs(trainer, tokenizer, cfg: Config, ctx: StageContext) -> None:
    """`adapter/` for LoRA; `model/`: the trained model, or for LoRA the merged one (when `lora.merge`).
    (`save_model`: rank 0 writes in a distributed launch.)"""
    model = trainer.model
    if cfg.lora is not None:
        save_model(trainer, model, tokenizer, ctx.stage_dir / "adapter")
        if not cfg.lora.merge:
            return
        model = model.merge_and_unload()
        if is_main_process():  # merged in place on every rank, so no gathering (not for ZeRO-3/FSDP-sharded LoRA)
            with atomic_dir(ctx.stage_dir / "model") as tmp:
                model.save_pretrained(tmp)
                tokenizer.save_pretrained(tmp)
        wait_for_everyone()
        return
    save_model(trainer, model, tokenizer, ctx.stage_dir / "model")


def run(cfg: Config, ctx: StageContext) -> dict:
    from workbench.models import describe

    train, evals, kind = load_sft_data(cfg, ctx)
    train_rows = len(train)
    train = prompt_noise.with_noised_copies(train, cfg.prompt_noise, ctx.seed,
                                            key="messages" if kind[0] == "language_modeling" else "prompt")
    model, tokenizer = load_base(cfg, ctx)
    if cfg.lora is not None:
        name_the_base(model, tokenizer, ctx)
    trainer = build_trainer(cfg, ctx, model, tokenizer, train, evals, kind)
    replayed = add_replay(trainer, cfg, ctx, tokenizer) if cfg.replay is not None else 0
    prompts = eval_prompts(evals)
    before = evaluate(trainer, trainer.model, tokenizer, cfg, prompts, ctx.seed)
    turn_end = {"before": turn_end_logprobs(trainer, tokenizer)}
    turn_end["started_from_eos"] = start_untrained_turn_end(trainer.model, tokenizer, turn_end["before"])
    train_after_evaluate(trainer)  # else a distributed launch would train without gradient synchronisation
    checkpoint = ctx.last_checkpoint()
    started = time.perf_counter()
    result = trainer.train(resume_from_checkpoint=str(checkpoint) if checkpoint else None)
    seconds = time.perf_counter() - started
    save_history(trainer, ctx.stage_dir)
    after = evaluate(trainer, trainer.model, tokenizer, cfg, prompts, ctx.seed)
    turn_end["after"] = turn_end_logprobs(trainer, tokenizer)
    samples = sample_rows(prompts, before.pop("answers"), after.pop("answers"), cfg.samples)
    if is_main_process():
        write_jsonl(ctx.stage_dir / "samples.jsonl", samples)
    trained = describe(trainer.model)  # before save_outputs, whose merge takes the LoRA layers out of the model
    save_outputs(trainer, tokenizer, cfg, ctx)
    s = cfg.train
    return {
        "train_loss": round(result.training_loss, 4),
        "before": before,
        "after": after,
        "train_rows": train_rows,
        "noised_rows": len(train) - train_rows,
        "replayed_documents": replayed,
        "eval_rows": len(evals),
        "data_type": f"{kind[0]} ({kind[1]})",
        "loss_on": _loss_on(_loss_switches(cfg, *kind)),
        "epochs": round(sequences_seen(cfg, trainer) * (1 - cfg.replay_fraction if cfg.replay else 1) / len(train), 3),
        "train_seconds": round(seconds, 2),
        "resumed_from_step": int(checkpoint.name.split("-")[-1]) if checkpoint else None,
        "bf16": use_bf16(s.precision),
        "lora": cfg.lora.model_dump() if cfg.lora else None,
        "model": trained,
        "turn_end_logprob": turn_end,
    }
