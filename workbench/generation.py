"""Batched chat generation: a model answers a list of conversational prompts.

Owns `GenerationSettings` (the sampling block recipes use), `answer_prompts` / `generate_responses`, which the
`generate` stage, `sft`'s evaluation, the `lora` command, evaluation and the UI share, and the clean-ending measure.
Prompts are rendered with the tokenizer's chat template (Gemma's when it has none, see `chat_tokenizer`), left-padded
into batches, and answered with transformers' `generate` (or, for Gemma 2 and Gemma 3 models, plain or with LoRA,
`workbench.decoding.sample`, which gives the same tokens faster), stopping at `<eos>` or `<end_of_turn>`. Given a
seed, the answers are the same on every call: each batch draws from its own generator state (`seed`, batch index),
whatever ran before.

An answer's text is what the model wrote before its stop token, decoded without control tokens (`<end_of_turn>`,
`<start_of_turn>`, `<pad>`, ...: the special tokens and the chat template's turn markers, which a trained SentencePiece
tokenizer keeps as ordinary user-defined pieces that `skip_special_tokens` does not drop). It ended *cleanly* when
the model emitted a stop token within `max_new_tokens` and wrote no control token (as an id, or spelt out in pieces)
before it: `clean_ending_rate` is the share of such answers, the figure `sft`/`lora` metrics and the evaluation
report carry.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from pydantic import BaseModel, ConfigDict, Field, model_validator

END_OF_TURN = "<end_of_turn>"


class GenerationSettings(BaseModel):
    """How a model answers: sampling (or greedy with `do_sample: false`), length, answers per prompt, batch size."""

    model_config = ConfigDict(extra="forbid")

    do_sample: bool = Field(True, description="Sample (true) or decode greedily (false).")
    temperature: float = Field(1.0, gt=0, le=100, description="Sampling temperature.")
    top_p: float = Field(1.0, gt=0, le=1,
        description="Nucleus sampling: keep the most likely tokens up to this probability mass.")
    top_k: int = Field(0, ge=0, le=262_144, description="0: no top-k cut.")
    max_new_tokens: int = Field(64, ge=1, le=65_536, description="Tokens per answer at most.")
    num_return_sequences: int = Field(1, ge=1, le=1024, description="Answers per prompt.")
    batch_size: int = Field(16, ge=1, le=65_536, description="Prompts per generation batch.")

    @model_validator(mode="after")
    def _greedy_gives_one_answer(self):
        if not self.do_sample and self.num_return_sequences > 1:
            raise ValueError("greedy decoding (do_sample: false) gives one answer per prompt; "
                             "set do_sample: true or num_return_sequences: 1")
        return self


GREEDY = GenerationSettings(do_sample=False, max_new_tokens=64)  # evaluation answers


def chat_tokenizer(tokenizer: Any) -> Any:
    """`tokenizer`, given Gemma's chat template (`workbench.tokenizer.CHAT_TEMPLATE`) when it has none."""
    if tokenizer.chat_template is None:
        from workbench.tokenizer import CHAT_TEMPLATE

        tokenizer.chat_template = CHAT_TEMPLATE
    return tokenizer


def stop_token_ids(tokenizer: Any) -> list[int]:
    ids = [tokenizer.eos_token_id]
    end_of_turn = tokenizer.get_vocab().get(END_OF_TURN)
    if end_of_turn is not None and end_of_turn not in ids:
        ids.append(end_of_turn)
    return ids


@dataclass(frozen=True)
class Answer:
    """One generated answer: its text (control tokens dropped) and whether it ended cleanly (module docstring)."""

    text: str
    clean: bool


def control_tokens(tokenizer: Any) -> dict[int, str]:
    """{id: text} of the tokens an answer never shows: the tokenizer's special tokens and the chat template's turn
    markers."""
    from workbench.tokenizer import TURN_TOKENS

    vocab = tokenizer.get_vocab()
    ids = {i for i, token in tokenizer.added_tokens_decoder.items() if token.special}
    ids |= set(tokenizer.all_special_ids) | {vocab[t] for t in TURN_TOKENS if t in vocab}
    return dict(zip(sorted(ids), tokenizer.convert_ids_to_tokens(sorted(ids))))


def decode_answer(tokenizer: Any, ids: Sequence[int], stop_ids: Sequence[int], control: dict[int, str]) -> Answer:
    """An `Answer` from new token ids: cut at the first stop token, `control` tokens dropped; clean when a stop token
    came and no control token (an id, or its text spelt out in ordinary pieces) before it."""
    ids = list(ids)
    stop = next((i for i, t in enumerate(ids) if t in stop_ids), None)
    written = ids if stop is None else ids[:stop]
    clean = stop is not None and not any(t in control for t in written)
    text = tokenizer.decode([t for t in written if t not in control], skip_special_tokens=True)
    if "<" in text:
        spelt = [text.index(token) for token in control.values() if token and token in text]
        if spelt:  # the model wrote a control token's text piece by piece: the answer ends there
            text, clean = text[: min(spelt)], False
    return Answer(text.strip(), clean)


def clean_ending_rate(answers: Sequence[Answer]) -> float | None:
    """The share of `answers` that ended cleanly (None for no answers)."""
    return sum(a.clean for a in answers) / len(answers) if answers else None


def answer_prompts(model: Any, tokenizer: Any, prompts: list[list[dict]], settings: GenerationSettings = GREEDY,
                   seed: int = 0) -> list[Answer]:
    """The model's answers to `prompts` (each a list of {role, content} messages ending with a user turn).

    Returns `settings.num_return_sequences` answers per prompt, prompt by prompt (answers of prompt i at
    `i * n … i * n + n - 1`), each as plain text without the stop token, with whether it ended cleanly.
    """
    import torch

    from workbench.decoding import left_pad

    tokenizer = chat_tokenizer(tokenizer)
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    stop_ids, control = stop_token_ids(tokenizer), control_tokens(tokenizer)
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    texts = [tokenizer.apply_chat_template(p, tokenize=False, add_generation_prompt=True) for p in prompts]
    answers: list[Answer] = []
    for batch_index, start in enumerate(range(0, len(texts), settings.batch_size)):
        # The template already holds `<bos>`; left padding so that the answers start together.
        ids = tokenizer(texts[start:start + settings.batch_size], add_special_tokens=False)["input_ids"]
        input_ids, attention_mask = left_pad(ids, pad, device)
        with torch.random.fork_rng(devices=[]), torch.no_grad():
            torch.manual_seed(seed * 1_000_003 + batch_index)
            new = _answer_ids(model, input_ids, attention_mask, settings, stop_ids, pad)
        answers += [decode_answer(tokenizer, row, stop_ids, control) for row in new.tolist()]
    model.train(was_training)
    return answers


def generate_responses(model: Any, tokenizer: Any, prompts: list[list[dict]], settings: GenerationSettings = GREEDY,
                       seed: int = 0) -> list[str]:
    """The texts of `answer_prompts`."""
    return [a.text for a in answer_prompts(model, tokenizer, prompts, settings, seed)]


def _answer_ids(model: Any, input_ids, attention_mask, settings: GenerationSettings, stop_ids: list[int], pad: int):
    """New token ids (rows × settings.num_return_sequences, T): `workbench.decoding.sample` for the models it serves
    (the same tokens, faster: 1.3–1.9x on the 2-core CPU, more on a GPU), transformers' `generate` for the rest."""
    from workbench import decoding

    n = settings.num_return_sequences
    if decoding.supports(model):
        return decoding.sample(model, input_ids.repeat_interleave(n, 0), attention_mask.repeat_interleave(n, 0),
                               settings.max_new_tokens, stop_ids, pad, do_sample=settings.do_sample,
                               temperature=settings.temperature, top_k=settings.top_k, top_p=settings.top_p)
    out = model.generate(input_ids=input_ids, attention_mask=attention_mask, max_new_tokens=settings.max_new_tokens,
                         num_return_sequences=n, eos_token_id=stop_ids, pad_token_id=pad, **_sampling(settings))
    return out[:, input_ids.shape[1]:]


def _sampling(settings: GenerationSettings) -> dict:
    if not settings.do_sample:  # greedy: say so explicitly, so a model's own generation_config cannot turn sampling on
        return {"do_sample": False, "temperature": None, "top_p": None, "top_k": None}
    return {"do_sample": True, "temperature": settings.temperature, "top_p": settings.top_p, "top_k": settings.top_k}
