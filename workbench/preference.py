"""Preference pairs as the `reward` and `dpo` stages (and later the rlhf and evaluate stages) use them.

Owns: finding a stage's pairs (a task world's `preference/<split>.jsonl`, a preference file, or the rating store
exported into the stage folder), loading them as a checked TRL preference dataset, scoring conversations with a
reward model (`score_texts`), the log-probability of a completion under a causal LM (`completion_logps`, for DPO's
implicit reward), and pairwise accuracy on held-out pairs, overall and per task-world skill.

Training itself is TRL's (`RewardTrainer`, `DPOTrainer`). Scoring is ours because TRL logs only batch means of its
accuracies and exposes no per-pair scores; held-out accuracy per pair (exact, and per skill) needs them. Both
scoring functions tokenize exactly as TRL does in training (chat template for conversations; `<bos>` text `<eos>`
for plain strings), so a score here is the score the trainer optimised. They score whole sequences: a held-out
pair longer than a stage's `max_length` is scored in full, where TRL's own evaluation would drop or cut it.
"""

from __future__ import annotations

import random
from collections import defaultdict
from pathlib import Path
from typing import Any, Sequence

import torch

from workbench.ranks import is_main_process, wait_for_everyone
from workbench.errors import WorkbenchError

Conversation = str | list[dict]  # standard (a string) or conversational (a list of {"role", "content"} messages)


# --- where pairs come from -------------------------------------------------------------------------------------


def _world_pairs(ctx, ref: str) -> Path | None:
    """A task world's `preference/` folder, where `ref` names a task-world stage (or its data folder)."""
    path = ctx.data_path(ref)
    return path / "preference" if (path / "preference").is_dir() else None


def preference_path(ctx, ref: str, split: str) -> Path:
    """The pairs `ref` names: a task world's `preference/<split>.jsonl`, or the file itself."""
    world = _world_pairs(ctx, ref)
    return world / f"{split}.jsonl" if world is not None else ctx.data_path(ref)


def held_out_path(ctx, data: str | None, eval_data: str | None) -> Path | None:
    """The held-out pairs: `eval_data` (a task world gives its validation split), else the validation split of a
    task world given as `data`, else none."""
    if eval_data is not None:
        return preference_path(ctx, eval_data, "validation")
    world = _world_pairs(ctx, data) if data is not None else None
    return world / "validation.jsonl" if world is not None else None


def _store_url(store: str, locate) -> str:
    """A database URL as it is; a SQLite path resolved relative to the recipe by `locate`."""
    return store if "://" in store else str(locate(store))


def export_store(store: str, ctx, out: Path) -> Path:
    """Export the rating store `store` (a database URL, or a SQLite path relative to the recipe) to `out`."""
    from workbench.store import open_store
    from workbench.store.preference_io import export_file

    store = _store_url(store, ctx.data_path)
    if is_main_process():  # in a distributed launch, rank 0 exports and the other ranks read its file
        db = open_store(store, create=False)
        try:
            export_file(db, out)
        finally:
            db.close()
    wait_for_everyone()
    return out


def store_ratings(store: str, locate) -> tuple[int, str, str]:
    """(how many preference rows the rating store `store` would export now, a hash of them, its URL or path). New or
    changed ratings change the hash, so the stage that trains on them reruns; a SQLite file that does not exist yet
    holds no ratings, like an empty store (so creating the store, e.g. by a later `pairs` stage, reruns nothing).
    `locate` resolves a recipe-relative path."""
    from workbench.atomic import sha256_json
    from workbench.store import open_store
    from workbench.store.preference_io import preference_rows

    store = _store_url(store, locate)
    rows = []
    if "://" in store or Path(store).exists():
        db = open_store(store, create=False)
        try:
            rows = preference_rows(db)
        finally:
            db.close()
    return len(rows), sha256_json(rows), store


def combine_with_store(data: Path, store: str, ctx, out: Path) -> Path:
    """`data`'s preference rows followed by the rating store's, written to `out` (rank 0 writes, others wait)."""
    from workbench.atomic import write_jsonl
    from workbench.data import read_records
    from workbench.store import open_store
    from workbench.store.preference_io import preference_rows

    url = _store_url(store, ctx.data_path)
    if is_main_process():
        rows = list(read_records(data))
        if "://" in url or Path(url).exists():
            db = open_store(url, create=False)
            try:
                rows += preference_rows(db)
            finally:
                db.close()
        write_jsonl(out, rows)
    wait_for_everyone()
    return out


def load_pairs(path: Path, tokenizer):
    """The preference dataset at `path` (checked row by row), ready for a TRL trainer."""
    from workbench.data import load_dataset, validate_file

    info = validate_file(path, expect="preference")
    if info.form == "conversational" and tokenizer.chat_template is None:
        raise WorkbenchError(f"{path}: conversational pairs need a tokenizer with a chat template, and this model's "
                             "tokenizer has none; use a tokenizer from the `tokenizer` stage, or string pairs")
    return load_dataset(path, expect="preference")


def prompt_and_answers(row: dict) -> tuple[Conversation, Conversation, Conversation]:
    """(prompt, chosen, rejected) of a pair; an implicit prompt is split off as TRL's DPOTrainer does."""
    if "prompt" in row:
        return row["prompt"], row["chosen"], row["rejected"]
    from trl.data_utils import extract_prompt

    split = extract_prompt(row)
    return split["prompt"], split["chosen"], split["rejected"]


def pair_conversations(row: dict) -> tuple[Conversation, Conversation]:
    """The whole chosen and rejected conversations of a pair, prompt included (as TRL's RewardTrainer joins them)."""
    if "prompt" not in row:  # implicit prompt: chosen and rejected already start with it
        return row["chosen"], row["rejected"]
    return row["prompt"] + row["chosen"], row["prompt"] + row["rejected"]


def explicit_pairs(pairs) -> list[dict]:
    """The rows of preference dataset `pairs` with an explicit prompt (an implicit one split off), other columns
    kept."""
    return [dict(row, **dict(zip(("prompt", "chosen", "rejected"), prompt_and_answers(row))))
            for row in pairs.to_list()]


def explicit_dataset(pairs, rows: list[dict]):
    """`rows` (as `explicit_pairs` gives them) as a dataset with the column types of `pairs`, plus a prompt column
    typed like the answers where `pairs` had an implicit prompt."""
    from datasets import Dataset, Features

    features = Features({"prompt": pairs.features["chosen"], **pairs.features})
    return Dataset.from_list(rows, features=features)


def off_topic_pairs(rows: list[dict], fraction: float, seed: int) -> list[dict]:
    """`round(fraction * len(rows))` new pairs (`rows` as `explicit_pairs` gives them): seeded draws of a pair whose
    rejected answer is replaced by the chosen answer of a pair with another prompt, a fluent, correct answer to the
    wrong question. Trained on, they teach a reward model that an answer must fit its prompt: without them, a reward
    model trained on task-world pairs scored well-formed but unrelated answers highly, and RLHF against it learned to
    answer every prompt with pieces of the benign requests' answers. Other columns come from the drawn pair. None
    when all pairs share one prompt."""
    if len({repr(row["prompt"]) for row in rows}) < 2:
        return []
    rng = random.Random(seed)
    extra = []
    for i in rng.sample(range(len(rows)), round(fraction * len(rows))):
        j = rng.randrange(len(rows))
        while rows[j]["prompt"] == rows[i]["prompt"]:
            j = rng.randrange(len(rows))
        extra.append(dict(rows[i], rejected=rows[j]["chosen"]))
    return extra


# --- scoring -----------------------------------------------------------------------------------------------------


def _token_ids(tokenizer, conversation: Conversation, **template_kwargs) -> list[int]:
    if isinstance(conversation, str):
        text = conversation if conversation.endswith(tokenizer.eos_token) else conversation + tokenizer.eos_token
        return tokenizer(text)["input_ids"]
    return list(tokenizer.apply_chat_template(conversation, tokenize=True, return_dict=True,
                                              **template_kwargs)["input_ids"])


def _pad_id(tokenizer) -> int:
    return tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id


def _right_padded(sequences: list[list[int]], pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    width = max(len(s) for s in sequences)
    ids = torch.full((len(sequences), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(sequences), width), dtype=torch.long)
    for i, s in enumerate(sequences):
        ids[i, : len(s)] = torch.tensor(s)
        mask[i, : len(s)] = 1
    return ids, mask


@torch.no_grad()
def score_texts(model, tokenizer, conversations: Sequence[Conversation], batch_size: int = 32,
                states: list | None = None) -> list[float]:
    """The reward model's score for each whole conversation (a list of messages, or a plain string). With `states`
    (a list), each conversation's final hidden state at its last token (what the score head reads) is appended to
    it, as a float32 CPU tensor."""
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    pad_id = _pad_id(tokenizer)
    token_ids = [_token_ids(tokenizer, c) for c in conversations]
    scores: list[float] = [0.0] * len(token_ids)
    last_states: list = [None] * len(token_ids)
    for rows in by_length([len(t) for t in token_ids], batch_size):
        ids, mask = _right_padded([token_ids[i] for i in rows], pad_id)
        output = model(input_ids=ids.to(device), attention_mask=mask.to(device), output_hidden_states=states is not None)
        for i, score in zip(rows, output.logits[:, 0].float().tolist()):
            scores[i] = score
        if states is not None:
            last = output.hidden_states[-1][torch.arange(len(ids)), mask.sum(1).to(device) - 1]
            for i, state in zip(rows, last.float().cpu()):
                last_states[i] = state
    if states is not None:
        states += last_states
    model.train(was_training)
    return scores


def by_length(lengths: Sequence[int], batch_size: int) -> list[list[int]]:
    """Batches of indices into `lengths`, shortest first, so each batch pads to a length close to its own (a
    taskworld evaluation's answers run 20-71 tokens, mean 34: their KL took 2.3x less time sorted than in input
    order, docs/benchmarks.md). Callers put each result back at its index."""
    order = sorted(range(len(lengths)), key=lengths.__getitem__)
    return [order[start : start + batch_size] for start in range(0, len(order), batch_size)]


def _prompt_and_completion_ids(tokenizer, prompt: Conversation,
                               completion: Conversation) -> tuple[list[int], list[int]]:
    """Split prompt+completion into ids as TRL's DPOTrainer does: the completion starts where the tokenized prompt
    (with the generation prompt) and the tokenized whole diverge."""
    if isinstance(prompt, str):
        prompt_ids = tokenizer(prompt)["input_ids"]
    else:
        prompt_ids = _token_ids(tokenizer, prompt, add_generation_prompt=True)
    whole = _token_ids(tokenizer, prompt + completion)
    shared = 0
    while shared < min(len(prompt_ids), len(whole)) and prompt_ids[shared] == whole[shared]:
        shared += 1
    return whole[:shared], whole[shared:]


def completion_batches(tokenizer, prompts: Sequence[Conversation], completions: Sequence[Conversation],
                       batch_size: int):
    """Per batch, shortest sequences first (`by_length`): the indices of its pairs in `prompts`, prompt + completion
    ids right-padded, their attention mask, and a mask of the completion tokens."""
    everything = [_prompt_and_completion_ids(tokenizer, p, c) for p, c in zip(prompts, completions)]
    for rows in by_length([len(p) + len(c) for p, c in everything], batch_size):
        parts = [everything[i] for i in rows]
        ids, mask = _right_padded([p + c for p, c in parts], _pad_id(tokenizer))
        completion_mask = torch.zeros_like(mask)
        for i, (p, c) in enumerate(parts):
            completion_mask[i, len(p) : len(p) + len(c)] = 1
        yield rows, ids, mask, completion_mask


def _predicting_hidden(model, ids, mask, predicting):
    """(the causal LM, its last hidden states at the positions `predicting` marks) — position t of `predicting`
    (B x T-1) predicts token t+1 — or (None, the float logits there) for a model that is not a transformers causal LM.
    Projecting only these positions onto the vocabulary spares the output layer's work (most of a small Gemma's
    FLOPs: its 262k-row vocabulary) and memory on prompts and padding; `_logps_in_chunks` projects them."""
    lm = model.get_base_model() if hasattr(model, "get_base_model") else model
    device = next(model.parameters()).device
    ids, mask, predicting = ids.to(device), mask.to(device), predicting.to(device)
    decoder = getattr(lm, "base_model", None)
    if decoder is None or decoder is lm or not hasattr(lm, "get_output_embeddings"):
        return None, model(input_ids=ids, attention_mask=mask).logits[:, :-1][predicting].float()
    return lm, decoder(input_ids=ids, attention_mask=mask, use_cache=False).last_hidden_state[:, :-1][predicting]


CHUNK = 512  # positions projected onto the vocabulary at once: 512 x 262k floats = 0.5 GB for Gemma


def _logps_in_chunks(lm, hidden):
    """Log-softmax over the vocabulary of each row of `hidden` (logits where `lm` is None), CHUNK rows at a time."""
    from workbench.models.presets import output_logits

    for part in hidden.split(CHUNK):
        yield torch.log_softmax(part if lm is None else output_logits(lm, part), dim=-1)


@torch.no_grad()
def completion_logps(model, tokenizer, prompts: Sequence[Conversation], completions: Sequence[Conversation],
                     batch_size: int = 16) -> list[float]:
    """log p(completion | prompt) under a causal LM: the sum of the completion tokens' log-probabilities."""
    was_training = model.training
    model.eval()
    out: list[float] = [0.0] * len(prompts)
    for batch, ids, mask, completion_mask in completion_batches(tokenizer, prompts, completions, batch_size):
        predicting = completion_mask[:, 1:].bool()
        lm, hidden = _predicting_hidden(model, ids, mask, predicting)
        targets, rows = ids[:, 1:][predicting], predicting.nonzero()[:, 0]
        token_logps = torch.cat([logps.gather(-1, part[:, None].to(logps.device))[:, 0].cpu()
                                 for logps, part in zip(_logps_in_chunks(lm, hidden), targets.split(CHUNK))])
        for i, logp in zip(batch, torch.zeros(len(ids)).index_add_(0, rows, token_logps).tolist()):
            out[i] = logp
    model.train(was_training)
    return out


@torch.no_grad()
def completion_kl(model, tokenizer, others: dict[str, Any], prompts: Sequence[Conversation],
                  completions: Sequence[Conversation], batch_size: int = 16) -> dict[str, float]:
    """For each model in `others` (name -> model, sharing `tokenizer`'s vocabulary): the sum over the completion's
    tokens of the exact KL(p_model(.|x, y<t) || p_other(.|x, y<t)) between the two full next-token distributions,
    averaged over prompts. Every term is a KL between distributions, so the figure is never negative, unlike the
    log-ratio of one decoded sequence; each model runs once per batch."""
    if not others:
        return {}
    models = [model, *others.values()]
    states = [m.training for m in models]
    for m in models:
        m.eval()
    totals = dict.fromkeys(others, 0.0)
    for _, ids, mask, completion_mask in completion_batches(tokenizer, prompts, completions, batch_size):
        predicting = completion_mask[:, 1:].bool()  # positions whose next token is a completion token
        own = _logps_in_chunks(*_predicting_hidden(model, ids, mask, predicting))
        theirs = {name: _logps_in_chunks(*_predicting_hidden(other, ids, mask, predicting))
                  for name, other in others.items()}
        for own_chunk in own:  # each model's hidden states once per batch; the vocabulary a chunk at a time
            for name, chunks in theirs.items():
                totals[name] += (own_chunk.exp() * (own_chunk - next(chunks).to(own_chunk.device))).sum().item()
    for m, state in zip(models, states):
        m.train(state)
    return {name: total / len(prompts) for name, total in totals.items()}


# --- held-out accuracy -------------------------------------------------------------------------------------------


def pairwise_accuracy(chosen: Sequence[float], rejected: Sequence[float]) -> dict[str, float]:
    """Fraction of pairs where the chosen response scores strictly higher, and the mean margin chosen - rejected."""
    if len(chosen) != len(rejected) or not chosen:
        raise ValueError(f"need as many chosen as rejected scores, at least one ({len(chosen)}, {len(rejected)})")
    margins = [c - r for c, r in zip(chosen, rejected)]
    return {"pairs": len(margins), "accuracy": sum(m > 0 for m in margins) / len(margins),
            "mean_margin": sum(margins) / len(margins)}


def accuracy_by_skill(metas: Sequence[Any], chosen: Sequence[float], rejected: Sequence[float]) -> dict[str, dict]:
    """`pairwise_accuracy` per task-world skill (`meta.skill`); empty for pairs without skills."""
    groups: dict[str, tuple[list[float], list[float]]] = defaultdict(lambda: ([], []))
    for meta, c, r in zip(metas, chosen, rejected):
        if isinstance(meta, dict) and isinstance(meta.get("skill"), str):
            groups[meta["skill"]][0].append(c)
            groups[meta["skill"]][1].append(r)
    return {skill: pairwise_accuracy(c, r) for skill, (c, r) in sorted(groups.items())}


def held_out_metrics(metas: Sequence[Any], chosen: Sequence[float], rejected: Sequence[float], accuracy: str,
                     margin: str) -> dict:
    """A stage's held-out metrics under its names: pairs, accuracy, mean margin, and accuracy per skill if any."""
    overall = pairwise_accuracy(chosen, rejected)
    metrics = {"eval_pairs": overall["pairs"], accuracy: overall["accuracy"], margin: overall["mean_margin"]}
    by_skill = accuracy_by_skill(metas, chosen, rejected)
    if by_skill:
        metrics[f"{accuracy}_by_skill"] = {skill: m["accuracy"] for skill, m in by_skill.items()}
    return metrics


def rounded(metrics: dict, digits: int = 4) -> dict:
    """Floats rounded for metrics.json, nested dicts included."""
    return {k: rounded(v, digits) if isinstance(v, dict) else round(v, digits) if isinstance(v, float) else v
            for k, v in metrics.items()}
