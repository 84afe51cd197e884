"""Stage `pairs`: from a run to the raters. The run's models answer prompts, and the answers become pairs to rate in
the preference store, with their lineage (run, stage, model, sampling settings).

Each model in `models` gives `samples` answers per prompt (`workbench.generation.generate_responses` with `sampling`;
the i-th model draws with seed `seed + 7919 i`, so two close models do not share one random stream). Control tokens (`<end_of_turn>`, `<start_of_turn>`, the tokenizer's special tokens) are
stripped from each answer; then, per prompt, candidate pairs are every two answers, answers of two different models
first, and a candidate is dropped when one answer is empty or both say the same (equal after collapsing whitespace
and case). The first `pairs_per_prompt` candidates left become pairs (`pair: any`, the default).

`pair: best_worst` makes one pair per prompt from more samples (`samples: 4` or more): the answer a rubric scores
highest against the one it scores lowest (`rank_by`, a rubric file; default the `rate` rubric), shown in random
order. A small model's two random answers often state the same number of a rubric's facts (a tie, which teaches a
reward model nothing); the spread of several samples rarely does. Where every answer scores the same, the prompt
still gets a random pair of different answers, as with `pair: any`: nothing is dropped for being a tie. The pair is
chosen before anyone rates it: with people rating (no `rate`), `rank_by` only decides which two answers they see,
never shown to them and never recorded as a verdict, so the store holds their judgement, not the rubric's. The
pairs then lean to answers that differ in what the rubric checks. `data/answers.jsonl` keeps every answer with its
rank score, so the choice can be audited.

With `reward_models` (one or several reward stages: an ensemble), each pair gets a priority, higher = rate first:
how unsure the models are which answer is better, `1 - 2 |p - 0.5|` for the ensemble's mean P(first > second) =
sigmoid(r(first) - r(second)) (`priority`), times how likely a rater is to prefer one answer at all rather than
call a tie or "both bad" (`decisive_probability`, on the first reward model's final hidden states of the two
answers, learnt from the ratings of the pairs this stage of this run put in the store, at most the latest
`TIE_MODEL_RATINGS`; 1 until they include a tie and a preference). Most pairs of two
sampled answers are ties (both right or both wrong), which cost a rater's time and teach a reward model nothing:
on the long recipe's queues this order reaches random order's reward-model accuracy at 200 ratings with 49-82
(docs/rating.md, `bench/active_learning.py --pool answers`). The Rate page shows high-priority pairs first. The
stage reruns when its reward models do, i.e. when new preferences reach a reward stage that reads the store; the
ties rated meanwhile are read then.

Writes `data/pairs.jsonl` (the `workbench ratings import` pair format, one row per pair, with `priority` when set)
and adds the pairs to the store (`store`: a database URL or a SQLite path relative to the recipe; default the file
`workbench ui` opens by default for a run in `runs/`, i.e. RUN_DIR/../workbench.db). Pairs already in the store
(same prompt, same two answers) are not added again; their priority is updated.

`rate` (a rubric file, `workbench.rubric`) makes the stage rate its pairs unattended, for tests, benchmarks and
recipes that must run through without people (recipes/gemma3-chain.yaml): once the pairs are in the store, the
scripted rater `rubric-rater` rates every pair in its queue by the rubric, as a person would on the Rate page. Every
prompt must have a rubric entry (matched by the text of its last user message); checked before any model runs.
People rate in the UI instead: leave `rate` out.
"""

from __future__ import annotations

import math
import random
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from workbench.atomic import atomic_dir, write_jsonl
from workbench.generation import GenerationSettings
from workbench.stages.base import DataRef, ModelRef, StageConfig, StageContext

PRODUCES = {"data"}
CACHEABLE = False  # it writes into the rating store, which a copy from the stage cache would not
CONTROL_TOKENS = ("<start_of_turn>", "<end_of_turn>", "<bos>", "<eos>", "<pad>")
STORE_NAME = "workbench.db"
TIE_MODEL_RATINGS = 5000  # the tie model learns from at most the latest so many ratings of the stage's own pairs


class Config(StageConfig):
    kind: Literal["pairs"] = "pairs"
    models: list[ModelRef] = Field(min_length=1, description="the models that answer (stages or recipe models); "
                                                             "answers of two different models are paired first")
    prompts: DataRef = Field(description="a stage with a data folder (a task world: prompts/<split>.jsonl) or a "
                                         "prompt-only file")
    split: str = Field("validation", description="with a stage: read prompts/<split>.jsonl")
    file: str | None = Field(None, description="with a stage: this file in its data folder instead")
    limit: int = Field(16, ge=1, le=100_000, description="answer the first N prompts")
    samples: int = Field(1, ge=1, le=16, description="answers per model and prompt")
    pairs_per_prompt: int = Field(1, ge=1, le=100, description="at most this many pairs per prompt")
    sampling: GenerationSettings = Field(GenerationSettings(temperature=0.7, max_new_tokens=32),
                                         description="sampling settings for every model")
    reward_models: list[ModelRef] = Field(default_factory=list,
                                          description="reward stages whose uncertainty sets each pair's priority")
    store: str | None = Field(None, description="the preference store: a database URL or a SQLite path relative to "
                                                "the recipe; default RUN_DIR/../workbench.db")
    rate: DataRef | None = Field(None, description="a rubric file: the scripted rater (`rubric-rater`) rates every "
                                                   "pair in its queue by it, unattended; leave out for people to rate")
    pair: Literal["any", "best_worst"] = Field(
        "any", description="any: up to `pairs_per_prompt` pairs of different answers, two models' answers first; "
                           "best_worst: one pair per prompt, the answer `rank_by` scores highest against the one it "
                           "scores lowest (all equal: a random pair of different answers)")
    rank_by: DataRef | None = Field(None, description="with pair: best_worst, the rubric file that ranks the answers "
                                                      "(default: `rate`); people who rate never see its scores")

    def file_problems(self, locate) -> list[tuple[str, str]]:
        from workbench.errors import WorkbenchError
        from workbench.rubric import load_rubric

        problems = []
        for field in ("rate", "rank_by"):
            path = locate(getattr(self, field)) if getattr(self, field) else None
            if path is None or not path.exists():
                continue
            try:
                load_rubric(path)
            except WorkbenchError as e:
                problems.append((field, str(e).replace("\n", "; ")))
        return problems

    @model_validator(mode="after")
    def _two_answers(self):
        if len(self.models) * self.samples < 2:
            raise ValueError("a pair needs two answers: give two models, or samples: 2 or more with one model")
        if self.pair == "best_worst" and self.rank_by is None and self.rate is None:
            raise ValueError("pair: best_worst ranks the answers by a rubric: give `rank_by` (or `rate`)")
        if self.pair == "best_worst" and self.pairs_per_prompt != 1:
            raise ValueError("pair: best_worst makes one pair per prompt: leave out pairs_per_prompt")
        return self


def priority(probabilities: list[float]) -> float:
    """How much rating a pair should teach, from each reward model's P(first > second): the mean's closeness to a
    coin flip (1 at 0.5, 0 at 0 or 1). The models' disagreement is left out: adding it, or ranking by it alone, made
    the reward model learn more slowly than random order did (docs/rating.md, "A reward head on the run's own
    model")."""
    mean = sum(probabilities) / len(probabilities)
    return 1.0 - 2.0 * abs(mean - 0.5)


def clean(text: str, control_tokens: list[str]) -> str:
    """`text` without control tokens, trimmed."""
    for token in control_tokens:
        text = text.replace(token, "")
    return text.strip()


def _same(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def candidate_pairs(answers: list[tuple[str, str]], limit: int, rng: random.Random) -> tuple[list, dict]:
    """Up to `limit` pairs ((model, text), (model, text)) from one prompt's answers, two models' answers first,
    and counts of candidates dropped as empty or identical."""
    cross, same_model, dropped = [], [], {"empty": 0, "identical": 0}
    for i in range(len(answers)):
        for j in range(i + 1, len(answers)):
            (ma, a), (mb, b) = answers[i], answers[j]
            if not a or not b:
                dropped["empty"] += 1
            elif _same(a, b):
                dropped["identical"] += 1
            else:
                (cross if ma != mb else same_model).append((answers[i], answers[j]))
    rng.shuffle(cross)
    rng.shuffle(same_model)
    return (cross + same_model)[:limit], dropped


def best_and_worst(answers: list[tuple[str, str]], scores: list[float], rng: random.Random) -> tuple[list, dict, bool]:
    """`pair: best_worst` for one prompt's answers and their scores: [(highest-scored, lowest-scored)] in random
    order (the first of equals), or, where all score the same, a random pair as `candidate_pairs` picks it; the drop
    counts of `candidate_pairs`, and whether the scores told the two apart."""
    fallback, dropped = candidate_pairs(answers, 1, rng)
    scored = [(score, n) for n, ((_, text), score) in enumerate(zip(answers, scores)) if text]
    if scored:
        best, worst = max(scored, key=lambda s: (s[0], -s[1])), min(scored)
        if best[0] > worst[0]:
            pair = [answers[best[1]], answers[worst[1]]]
            rng.shuffle(pair)
            return [tuple(pair)], dropped, True
    return fallback, dropped, False


def store_location(cfg: Config, ctx: StageContext) -> str:
    """The store's URL or SQLite path: `store` (a URL, or a path relative to the recipe), else RUN_DIR/../workbench.db."""
    if cfg.store is None:
        return str(Path(ctx.run_dir).resolve().parent / STORE_NAME)
    if "://" in cfg.store:
        return cfg.store
    path = Path(cfg.store).expanduser()
    if not path.is_absolute() and getattr(ctx.recipe, "path", None) is not None:
        path = ctx.recipe.path.parent / path
    return str(path.resolve())


def _answers(cfg: Config, ctx: StageContext, prompts: list[list[dict]]) -> dict[str, list[str]]:
    """{model ref: answers, `samples` per prompt, prompt by prompt}, control tokens stripped."""
    from workbench.generation import generate_responses
    from workbench.models import load_model, to_inference_device

    settings = cfg.sampling.model_copy(update={"num_return_sequences": cfg.samples})
    out = {}
    for index, ref in enumerate(cfg.models):
        model, tokenizer = load_model(ctx.model_path(ref), tokenizer=ctx.tokenizer_path(ref), seed=ctx.seed)
        model = to_inference_device(model)
        tokens = sorted({*CONTROL_TOKENS, *(t for t in tokenizer.all_special_tokens if t)}, key=len, reverse=True)
        # Each model its own random stream: two close models (a policy and its merge) would otherwise often draw
        # the same answers.
        answers = generate_responses(model, tokenizer, prompts, settings, seed=ctx.seed + 7919 * index)
        out[ref] = [clean(a, tokens) for a in answers]
        del model
    return out


def decisive_probability(new: list, rated: list, decisive: list[bool]) -> list[float] | None:
    """P(a rater prefers one answer of each `new` pair rather than calling a tie or "both bad"), from a logistic
    model fitted to the `rated` pairs' outcomes (`decisive`); None until a tie and a preference have both been seen.
    A pair is (state of its first answer, state of its second): the reward model's final hidden state at the
    answer's last token. The model reads the two states' absolute difference (scaled per feature) and their mean
    (standardised), with an intercept, L2 1e-2, fitted with L-BFGS from zero (deterministic); as measured in
    `bench.active_learning` (`decisive_probability` there)."""
    import torch

    if all(decisive) or not any(decisive):
        return None
    first = torch.stack([a for a, _ in rated + new])
    second = torch.stack([b for _, b in rated + new])
    apart, mean = (first - second).abs(), (first + second) / 2
    x = torch.cat([apart / apart.pow(2).mean(0).sqrt().clamp(min=1e-6),
                   (mean - mean.mean(0)) / mean.std(0).clamp(min=1e-6), torch.ones(len(apart), 1)], 1)
    target = torch.tensor(decisive, dtype=torch.float32)
    weight = torch.zeros(x.shape[1], requires_grad=True)
    optimizer = torch.optim.LBFGS([weight], lr=1, max_iter=100, line_search_fn="strong_wolfe")

    def closure():
        optimizer.zero_grad()
        loss = torch.nn.functional.binary_cross_entropy_with_logits(x[:len(rated)] @ weight, target)
        (loss + 1e-2 * weight.pow(2).sum()).backward()
        return loss

    optimizer.step(closure)
    with torch.no_grad():
        return torch.sigmoid(x[len(rated):] @ weight).tolist()


def _priorities(cfg: Config, ctx: StageContext, rows: list[dict], outcomes: list[dict]) -> tuple[list[float], dict]:
    """Each row's priority, and what the tie model learnt from (`outcomes`: `pair_outcomes` of the store)."""
    from transformers import AutoModelForSequenceClassification

    from workbench.models import load_model, to_inference_device
    from workbench.preference import score_texts

    def answered(prompt: list[dict], answer) -> list[dict]:
        return prompt + (answer if isinstance(answer, list) else [{"role": "assistant", "content": answer}])

    firsts = [answered(row["prompt"], row["responses"][0]["completion"]) for row in rows]
    seconds = [answered(row["prompt"], row["responses"][1]["completion"]) for row in rows]
    per_model, decisive = [], None
    for index, ref in enumerate(cfg.reward_models):
        model, tokenizer = load_model(ctx.model_path(ref), tokenizer=ctx.tokenizer_path(ref), seed=ctx.seed,
                                      model_class=AutoModelForSequenceClassification, num_labels=1)
        model = to_inference_device(model)
        states = [] if index == 0 else None
        scores = score_texts(model, tokenizer, firsts + seconds, states=states)
        per_model.append([1 / (1 + math.exp(-(a - b))) for a, b in zip(scores[:len(rows)], scores[len(rows):])])
        if index == 0 and 0 < sum(o["decisive"] for o in outcomes) < len(outcomes):  # else nothing to learn
            rated = []
            score_texts(model, tokenizer, [answered(o["prompt"], o["first"]) for o in outcomes]
                        + [answered(o["prompt"], o["second"]) for o in outcomes], states=rated)
            decisive = decisive_probability(list(zip(states[:len(rows)], states[len(rows):])),
                                            list(zip(rated[:len(outcomes)], rated[len(outcomes):])),
                                            [o["decisive"] for o in outcomes])
        del model
    info = {"tie_model_ratings": len(outcomes), "tie_model_ties": sum(not o["decisive"] for o in outcomes),
            "mean_decisive_probability": None if decisive is None else round(sum(decisive) / len(decisive), 4)}
    if decisive is None:
        decisive = [1.0] * len(rows)
    return [round(priority(list(ps)) * d, 6) for ps, d in zip(zip(*per_model), decisive)], info


def _outcomes(location: str, ctx: StageContext) -> list[dict]:
    """The latest `TIE_MODEL_RATINGS` ratings of the pairs this stage of this run put in the store at `location`,
    with whether each was decisive (`pair_outcomes`); none where the store does not exist yet."""
    from workbench.store import open_store
    from workbench.store.preference_io import pair_outcomes

    if "://" not in location and not Path(location).exists():
        return []
    store = open_store(location, create=False)
    try:
        return pair_outcomes(store, run=str(Path(ctx.run_dir).resolve()), stage=ctx.stage_name, limit=TIE_MODEL_RATINGS)
    finally:
        store.close()


def scripted_rater(cfg: Config, ctx: StageContext, prompt_rows: list[dict], field: str = "rate"):
    """The rubric rater of `rate` (or the ranker of `rank_by`); refuses (before any model runs) prompts the rubric
    has no entry for."""
    from workbench.errors import WorkbenchError
    from workbench.rubric import ScriptedRater, last_user_text, load_rubric

    ref = getattr(cfg, field)
    rubric = load_rubric(ctx.data_path(ref))
    missing = [last_user_text(r["prompt"]) for r in prompt_rows if rubric.entry_for(r["prompt"]) is None]
    if missing:
        fix = "rate in the UI (drop `rate`)" if field == "rate" else "give `rank_by` a rubric that covers them"
        raise WorkbenchError(f"stage {ctx.stage_name}: the rubric {ref} ({field}) has no entry for {len(missing)} of "
                             f"the {len(prompt_rows)} prompts, e.g. {missing[0]!r}; add entries (matched by the last "
                             f"user message) or {fix}")
    return ScriptedRater(rubric)


def run(cfg: Config, ctx: StageContext) -> dict:
    from workbench.stages.generate import prompt_file, read_prompts
    from workbench.store import open_store
    from workbench.store.preference_io import add_pairs

    path = prompt_file(cfg, ctx)
    prompt_rows = read_prompts(path, cfg.limit)
    rater = scripted_rater(cfg, ctx, prompt_rows) if cfg.rate else None
    ranker = None
    if cfg.pair == "best_worst":
        ranker = rater if cfg.rank_by in (None, cfg.rate) else scripted_rater(cfg, ctx, prompt_rows, "rank_by")
    answers = _answers(cfg, ctx, [row["prompt"] for row in prompt_rows])
    stages = {s.stage_name for s in ctx.recipe.stages}
    settings = {**cfg.sampling.model_dump(), "num_return_sequences": cfg.samples, "seed": ctx.seed}
    rng = random.Random(ctx.seed)
    rows, dropped, scored, told_apart = [], {"empty": 0, "identical": 0}, [], 0
    for i, prompt_row in enumerate(prompt_rows):
        mine = [(ref, answers[ref][i * cfg.samples + k]) for ref in cfg.models for k in range(cfg.samples)]
        if ranker is None:
            chosen, dropped_here = candidate_pairs(mine, cfg.pairs_per_prompt, rng)
        else:
            ranks = [ranker.score(prompt_row["prompt"], text) for _, text in mine]
            chosen, dropped_here, apart = best_and_worst(mine, ranks, rng)
            told_apart += apart
            scored += [{"prompt": prompt_row["prompt"], "model": ref, "completion": text, "rank_score": rank}
                       for (ref, text), rank in zip(mine, ranks)]
        dropped = {k: dropped[k] + dropped_here[k] for k in dropped}
        for pair in chosen:
            rows.append({"prompt": prompt_row["prompt"], "meta": prompt_row.get("meta", {}),
                         "responses": [{"model": ref, "stage": ref if ref in stages else None, "settings": settings,
                                        "completion": text} for ref, text in pair]})
    location = store_location(cfg, ctx)
    tie_model = None
    if cfg.reward_models and rows:
        values, tie_model = _priorities(cfg, ctx, rows, _outcomes(location, ctx))
        for row, value in zip(rows, values):
            row["priority"] = value
    with atomic_dir(ctx.stage_dir / "data") as tmp:
        write_jsonl(tmp / "pairs.jsonl", rows)
        if ranker is not None:
            write_jsonl(tmp / "answers.jsonl", scored)
    store = open_store(location)
    try:
        new = add_pairs(store, rows, source=f"{Path(ctx.run_dir).resolve()}/{ctx.stage_name}",
                        run_dir=ctx.run_dir, stage=ctx.stage_name)
        rated = rater.rate_store(store) if rater is not None else None
    finally:
        store.close()
    metrics = {"prompts": len(prompt_rows), "answers": sum(map(len, answers.values())), "pairs": len(rows),
               "new_pairs_in_store": new, "dropped_empty": dropped["empty"], "dropped_identical": dropped["identical"],
               "store": location, "source": str(path)}
    if rater is not None:
        metrics["rated_by"], metrics["rated"] = rater.name, rated
        metrics["rated_decisive"] = rated - rater.choices["tie"]
    if ranker is not None:
        metrics["ranked_by"], metrics["ranked_apart"] = str(cfg.rank_by or cfg.rate), told_apart
    if cfg.reward_models and rows:
        metrics["mean_priority"] = round(sum(r["priority"] for r in rows) / len(rows), 4)
        metrics.update(tie_model)
    ctx.log.info("pairs: %s", metrics)
    return metrics
