"""Batched chat generation: a model answers a list of conversational prompts.

Owns `GenerationSettings` (the sampling block recipes use) and `generate_responses`, which the `generate` stage,
`sft`'s evaluation, the `lora` command and the UI share. Prompts are rendered with the tokenizer's chat template
(Gemma's when it has none, see `chat_tokenizer`), left-padded into batches, and answered with transformers'
`generate` (or, for Gemma 2 models, `workbench.decoding.sample`, which gives the same tokens faster), stopping at
`<eos>` or `<end_of_turn>`. Given a seed, the answers are the same on every call: each batch
draws from its own generator state (`seed`, batch index), whatever ran before.
"""

from __future__ import annotations

from typing import Any

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


def generate_responses(model: Any, tokenizer: Any, prompts: list[list[dict]], settings: GenerationSettings = GREEDY,
                       seed: int = 0) -> list[str]:
    """The model's answers to `prompts` (each a list of {role, content} messages ending with a user turn).

    Returns `settings.num_return_sequences` answers per prompt, prompt by prompt (answers of prompt i at
    `i * n … i * n + n - 1`), as plain text without the stop token.
    """
    import torch

    from workbench.decoding import left_pad

    tokenizer = chat_tokenizer(tokenizer)
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    texts = [tokenizer.apply_chat_template(p, tokenize=False, add_generation_prompt=True) for p in prompts]
    answers: list[str] = []
    for batch_index, start in enumerate(range(0, len(texts), settings.batch_size)):
        # The template already holds `<bos>`; left padding so that the answers start together.
        ids = tokenizer(texts[start:start + settings.batch_size], add_special_tokens=False)["input_ids"]
        input_ids, attention_mask = left_pad(ids, pad, device)
        with torch.random.fork_rng(devices=[]), torch.no_grad():
            torch.manual_seed(seed * 1_000_003 + batch_index)
            new = _answer_ids(model, input_ids, attention_mask, settings, stop_token_ids(tokenizer), pad)
        decoded = tokenizer.batch_decode(new, skip_special_tokens=True)
        answers += [text.split(END_OF_TURN)[0].strip() for text in decoded]
    model.train(was_training)
    return answers


def _answer_ids(model: Any, input_ids, attention_mask, settings: GenerationSettings, stop_ids: list[int], pad: int):
    """New token ids (rows × settings.num_return_sequences, T): `workbench.decoding.sample` for Gemma 2 models
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
