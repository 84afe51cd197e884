"""Stage `evaluate`: every model of the chain measured on the same held-out task-world prompts, and the run's report.

For each model in `models` (usually stage names in chain order) and the optional `teacher` (LoRA policies are merged
into their base first, as `merge` does):
  * greedy answers (`workbench.generation.generate_responses`, at most `max_new_tokens` tokens) to the first `limit`
    prompts of the task world's `prompts/<split>.jsonl`, scored by `workbench.taskworld.score`: accuracy per skill,
    refusal rate on unsafe prompts, false-refusal rate on benign ones, identity accuracy;
  * with a `reward` model: the mean reward of its answers (`workbench.preference.score_texts` on prompt + answer),
    and its win rate against the previous model in `models` (the fraction of prompts where its answer scores higher,
    ties counting half) and against the first (`win_rate_vs_first`: in a chain, against the SFT model);
  * with a `teacher`: KL to the teacher along the model's own greedy answers y to the same prompts: the sum over
    y's tokens of KL(p_model(.|x, y<t) || p_teacher(.|x, y<t)) between the full next-token distributions
    (`workbench.preference.completion_kl`), averaged over prompts; never negative. A teacher with another
    vocabulary gets the mean of log p_model(y|x) - log p_teacher(y|x) instead, which on greedy (not sampled)
    answers is no unbiased KL estimate and can come out negative;
  * with a `reference` (e.g. the start the RLHF policies and their merge were trained from): KL to it, the same
    way, so that reward can be read against the KL spent to get it as in WARP;
  * perplexity on the task world's validation corpus (`pretrain.perplexity`, `eval_blocks` blocks of `seq_len`);
  * clean endings: the share of its answers that stopped at a stop token within `max_new_tokens` with no control
    token written before it (`workbench.generation.clean_ending_rate`).
  * held-out phrasings (task world, `split: test`): greedy answers to the first `rephrased_limit` prompts of
    `prompts/rephrased.jsonl`, the same items as the first test prompts re-asked in wordings no training split and
    no corpus document uses (`workbench.taskworld.templates`), scored alike; the report sets accuracy, task-skill
    accuracy, refusal and false refusal on the shipped and on the held-out wordings of those items side by side, with
    the paired gap (held-out minus shipped) and two standard errors (`phrasing_figures`).
Standard errors on task-world items are cluster-robust: items about one town (its facts), one conversion or one unsafe
or benign request (asked in several wordings) count as one cluster (`taskworld.score.item_cluster`), since a model that
knows a town gets all its questions right together; counted as independent items, a test split's ~20 towns made the
2 s.e. of a facts difference about half what the towns allow.
With a `rubric` (a rubric file, `workbench.rubric`, docs/rubric.md), the answers are also checked against it:
accuracy overall and per prompt group, and paired gains over the previous model with two standard errors, overall
and per group. The prompts are then `data`'s rows matched to rubric entries (a prompt-only or chat file, whose
conversations are cut before their last assistant turn, or a taskworld stage), or, without `data`, the rubric's own
prompts; every prompt must have an entry. Perplexity needs a taskworld stage's corpus and is left out otherwise.
Writes (see `workbench.report`) `report.md`, `report.json`, the PNG plots, `samples.jsonl`: rows
{"id", "prompt", "response", "stage"} for the first 20 prompts of every model, the model's name as `stage`, and
`verdicts.jsonl`: rows {"id", "stage", "skill", "correct", "refused", "cluster"} (task world) and/or {"group", "rubric_correct",
"rubric_score"} (rubric) for every prompt and model, so that any two models can be compared item by item later.
Metrics: report.json's `summary`, model -> headline figures.
"""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Literal, Sequence

from pydantic import Field, model_validator

from workbench.atomic import write_jsonl
from workbench.errors import WorkbenchError
from workbench.generation import GenerationSettings, answer_prompts, chat_tokenizer, clean_ending_rate
from workbench.stages.base import DataRef, ModelRef, StageConfig, StageContext

PRODUCES: set[str] = set()
SAMPLES = 20  # prompts per model in samples.jsonl


REPORT_VERSION = 2  # 2: cluster-robust 2 s.e. and each verdict's cluster (2026-12-06)


class Config(StageConfig):
    kind: Literal["evaluate"] = Field("evaluate", description="The stage kind (fixed for this module).")
    models: list[ModelRef] = Field(min_length=1, description="In chain order: each is compared with the one before.")
    teacher: ModelRef | None = Field(None, description="The teacher, shown as the ceiling in the report.")
    reward: ModelRef | None = Field(None, description="A reward stage's model.")
    reference: ModelRef | None = Field(None,
        description="Also KL to this model, e.g. the policies' start (WARP's reward vs KL)")
    data: DataRef | None = Field(None, description="A taskworld stage (prompts/<split>.jsonl, corpus/validation.txt); "
                                 "with a rubric also a prompt-only or chat file, or nothing (the rubric's own prompts).")
    rubric: DataRef | None = Field(None, description="A rubric file (docs/rubric.md): answers checked against it, "
                                   "accuracy per group.")
    split: str = Field("test", description="Which task-world split to evaluate on (prompts/<split>.jsonl).")
    limit: int | None = Field(None, ge=1, le=10_000_000, description="Evaluate on the first N prompts only.")
    max_new_tokens: int = Field(48, ge=1, le=65_536, description="Tokens each model writes per prompt.")
    batch_size: int = Field(16, ge=1, le=65_536, description="Prompts per generation batch.")
    seq_len: int = Field(256, ge=8, le=1_048_576, description="Perplexity blocks.")
    eval_blocks: int = Field(64, ge=1, le=1_000_000, description="Validation blocks used for perplexity.")
    rephrased_limit: int = Field(32, ge=0, le=10_000_000,
        description="Also answer the first N held-out-phrasing prompts (the first test items re-asked in wordings "
                    "no training data uses), to report shipped against held-out phrasings; 0: skip.")

    def external_inputs(self, locate) -> dict[str, str]:
        """The report's version: an evaluation written before its standard errors became cluster-robust (version 2)
        is run again rather than restored from a run directory or the stage cache."""
        return {"report": str(REPORT_VERSION)}

    @model_validator(mode="after")
    def _prompts_from_somewhere(self):
        if self.data is None and self.rubric is None:
            raise ValueError("give `data` (a taskworld stage) or a `rubric` (its prompts, or prompts in `data`)")
        return self


# --- the figures -------------------------------------------------------------------------------------------------


def win_rate(scores: Sequence[float], baseline: Sequence[float]) -> float:
    """Fraction of prompts where `scores[i] > baseline[i]`, a tie counting half."""
    if len(scores) != len(baseline) or not scores:
        raise ValueError(f"need as many scores as baseline scores, at least one ({len(scores)}, {len(baseline)})")
    return sum(1.0 if s > b else 0.5 if s == b else 0.0 for s, b in zip(scores, baseline)) / len(scores)


def paired_gain(now: Sequence[bool], before: Sequence[bool], clusters: Sequence[str] | None = None) -> dict[str, float]:
    """The mean of now[i] - before[i] over the same items (= the difference of the two accuracies) and two standard
    errors of that mean. With `clusters` (one label per item: what the item is about, `taskworld.score.item_cluster`)
    the standard error is cluster-robust (CR1: the sum of squared per-cluster sums of deviations, times G / (G - 1),
    over n squared), since items about one town or one request move together; with every item its own cluster it
    equals the plain one. `clusters` then gives the number of clusters."""
    if len(now) != len(before) or not now:
        raise ValueError(f"need as many verdicts now as before, at least one ({len(now)}, {len(before)})")
    diffs = [int(a) - int(b) for a, b in zip(now, before)]
    mean = sum(diffs) / len(diffs)
    if clusters is not None and len(clusters) != len(diffs):
        raise ValueError(f"need one cluster per item ({len(clusters)} for {len(diffs)})")
    sums: dict = {}
    for i, d in enumerate(diffs):
        key = i if clusters is None else clusters[i]
        sums[key] = sums.get(key, 0.0) + d - mean
    g = len(sums)
    variance_of_mean = g / (g - 1) * sum(x * x for x in sums.values()) / len(diffs) ** 2 if g > 1 else 0.0
    out = {"gain": mean, "two_se": 2 * math.sqrt(variance_of_mean)}
    return out if clusters is None else {**out, "clusters": g}


def kl_estimate(model_logps: Sequence[float], teacher_logps: Sequence[float]) -> float:
    """Mean of log p_model(y) - log p_teacher(y) over answers y drawn from (or decoded by) the model."""
    if len(model_logps) != len(teacher_logps) or not model_logps:
        raise ValueError(f"need as many model as teacher log-probs, at least one "
                         f"({len(model_logps)}, {len(teacher_logps)})")
    return sum(m - t for m, t in zip(model_logps, teacher_logps)) / len(model_logps)


def _answer(text: str) -> list[dict]:
    return [{"role": "assistant", "content": text}]


def held_out_prompts(cfg: Config, ctx: StageContext, rubric=None) -> tuple[str, list[dict]]:
    """(where the prompts come from, the first `limit` prompt rows: `prompt` a conversation, `meta` with the task
    world's verifier data or an `id`). With a rubric, every row must have an entry in it."""
    from workbench.stages.generate import read_prompts

    path = ctx.data_path(cfg.data) if cfg.data is not None else None
    if path is None:
        source, rows = str(rubric.path), rubric.prompt_rows()[: cfg.limit]
    elif path.is_dir():
        source = path / "prompts" / f"{cfg.split}.jsonl"
        if not source.is_file():
            raise WorkbenchError(f"stage {ctx.stage_name}: data {cfg.data!r} has no prompts/{cfg.split}.jsonl "
                                 f"({source}); name a taskworld stage")
        rows = read_prompts(source, cfg.limit)
    elif rubric is not None:
        source, rows = path, chat_prompts(path)[: cfg.limit]
    else:
        raise WorkbenchError(f"stage {ctx.stage_name}: data {cfg.data!r} is a file; without a `rubric` name a taskworld "
                             "stage, whose verifiers check the answers")
    if rubric is None and not is_taskworld(rows):
        raise WorkbenchError(f"{source}: rows carry no task-world `meta` to verify answers against; name a taskworld "
                             "stage, or give a `rubric`")
    if rubric is not None:
        unmatched = [r for r in rows if rubric.entry_for(r["prompt"], r["meta"].get("id")) is None]
        if unmatched:
            raise WorkbenchError(f"{source}: {len(unmatched)} of {len(rows)} prompts have no entry in the rubric "
                                 f"{rubric.path}, the first {unmatched[0]['prompt'][-1]['content']!r}; add entries "
                                 "(matched by id or the exact last user message) or leave those prompts out")
    return str(source), rows


def rephrased_prompts(cfg: Config, ctx: StageContext, shipped: int) -> list[dict] | None:
    """The first `rephrased_limit` held-out-phrasing prompts (at most as many as test prompts are evaluated), or None
    where there are none to pair: another split than test, a limit of 0, or a world without the split."""
    from workbench.stages.generate import read_prompts
    from workbench.taskworld.templates import REPHRASED

    source = ctx.data_path(cfg.data) / "prompts" / f"{REPHRASED}.jsonl"
    if cfg.split != "test" or cfg.rephrased_limit == 0 or not source.is_file():
        return None
    rows = read_prompts(source, min(cfg.rephrased_limit, shipped))
    if not is_taskworld(rows):
        raise WorkbenchError(f"{source}: rows carry no task-world `meta`; generate the task world again")
    return rows


def is_taskworld(rows: list[dict]) -> bool:
    return bool(rows) and all(isinstance(r.get("meta"), dict) and "check" in r["meta"] for r in rows)


def chat_prompts(path: Path) -> list[dict]:
    """Prompt rows from a prompt-only file, or from a chat file (each conversation up to its last assistant turn)."""
    from workbench.data import read_records, detect
    from workbench.errors import DataError

    records = read_records(path)
    info = detect(records, path)
    if info.type == "prompt_only":
        prompts = [r["prompt"] if isinstance(r["prompt"], list) else [{"role": "user", "content": r["prompt"]}]
                   for r in records]
    elif info.type == "language_modeling" and info.form == "conversational":
        prompts = [r["messages"][: max(i for i, m in enumerate(r["messages"]) if m["role"] == "assistant")]
                   for r in records]
    else:
        raise DataError(path, None, f"holds {info.type} rows ({info.form}); the evaluate stage asks prompt-only rows "
                                    "(`prompt`) or chat rows (`messages`)")
    return [{"prompt": p, "meta": {"id": r.get("id", (r.get("meta") or {}).get("id", i))}}
            for i, (p, r) in enumerate(zip(prompts, records))]


def validation_corpus(cfg: Config, ctx: StageContext) -> Path:
    from workbench.data.corpus import corpus_files

    _, validation = corpus_files(ctx.data_path(cfg.data))
    if validation is None:
        raise WorkbenchError(f"stage {ctx.stage_name}: data {cfg.data!r} has no corpus/validation.txt; name a "
                             "taskworld stage")
    return validation


def load(ref: str, ctx: StageContext):
    """A policy with its tokenizer (a LoRA stage or adapter folder merged into its base, as `merge` does)."""
    from workbench.models import to_inference_device
    from workbench.stages.merge import load_policy

    model, tokenizer = load_policy(ref, ctx)
    return to_inference_device(model), chat_tokenizer(tokenizer)


def load_reward(ref: str, ctx: StageContext):
    from transformers import AutoModelForSequenceClassification

    from workbench.models import load_model, to_inference_device

    model, tokenizer = load_model(ctx.model_path(ref), tokenizer=ctx.tokenizer_path(ref), seed=ctx.seed,
                                  model_class=AutoModelForSequenceClassification, num_labels=1)
    return to_inference_device(model), chat_tokenizer(tokenizer)


def kl_on_answers(model, tokenizer, others: dict[str, tuple], prompts: list, answers: list[str],
                  batch_size: int) -> dict[str, float]:
    """KL of `model` to each of `others` (name -> (model, tokenizer)) along the model's own answers: the exact
    per-token KL summed over the answer (`completion_kl`) where the two share a vocabulary, else `kl_estimate` on
    the answers' log-probabilities (each model tokenizing them its own way)."""
    from workbench.preference import completion_kl, completion_logps

    completions = [_answer(a) for a in answers]
    vocab = tokenizer.get_vocab()
    shared = {name: other for name, (other, other_tokenizer) in others.items() if other_tokenizer.get_vocab() == vocab}
    out = completion_kl(model, tokenizer, shared, prompts, completions, batch_size=batch_size)
    foreign = {name: pair for name, pair in others.items() if name not in shared}
    if foreign:
        own = completion_logps(model, tokenizer, prompts, completions, batch_size=batch_size)
        out.update({name: kl_estimate(own, completion_logps(other, other_tokenizer, prompts, completions,
                                                            batch_size=batch_size))
                    for name, (other, other_tokenizer) in foreign.items()})
    return out


def measure(ref: str, cfg: Config, ctx: StageContext, prompt_rows: list[dict], corpus: Path | None, teacher, reward,
            reference=None, rubric=None, rephrased: list[dict] | None = None,
            clusters: list[str] | None = None) -> dict:
    """One model's row of the report (its answers included, under `answers`); with `rephrased` prompt rows (the first
    test items in held-out wordings) also its figures on them against the same items as shipped (`phrasings`, 2 s.e.
    over the prompts' `clusters`, `item_clusters`)."""
    from workbench.preference import score_texts
    from workbench.stages.pretrain import pack_blocks, perplexity
    from workbench.taskworld import score

    model, tokenizer = teacher if teacher is not None and ref == cfg.teacher else load(ref, ctx)
    prompts = [r["prompt"] for r in prompt_rows]
    settings = GenerationSettings(do_sample=False, max_new_tokens=cfg.max_new_tokens, batch_size=cfg.batch_size)
    started = time.perf_counter()
    replies = answer_prompts(model, tokenizer, prompts, settings, seed=ctx.seed)
    answers = [a.text for a in replies]
    row = {"model": ref, "generate_seconds": round(time.perf_counter() - started, 2), "answers": answers}
    row["clean_endings"] = clean_ending_rate(replies)  # stopped at the turn end within max_new_tokens
    if is_taskworld(prompt_rows):
        scored = score(prompt_rows, answers)
        row["taskworld"], row["results"] = scored.to_dict(), scored.results
        row.update({k: row["taskworld"][k] for k in ("task_skills_mean", "accuracy", "refusal_rate",
                                                      "false_refusal_rate", "identity_accuracy")})
    if rephrased:
        held_out = score(rephrased, [a.text for a in answer_prompts(model, tokenizer, [r["prompt"] for r in rephrased],
                                                                     settings, seed=ctx.seed)]).results
        row["phrasings"] = phrasing_figures(row["results"][: len(held_out)], held_out,
                                            clusters[: len(held_out)] if clusters else None)
        row.update({f"rephrased_{k}": row["phrasings"].get(k, {}).get("held_out")
                    for k in ("accuracy", "refusal_rate", "false_refusal_rate")})
    if rubric is not None:
        row.update(rubric_figures(rubric, prompt_rows, answers))
    if reward is not None:
        reward_model, reward_tokenizer = reward
        row["rewards"] = score_texts(reward_model, reward_tokenizer, [p + _answer(a) for p, a in zip(prompts, answers)],
                                     batch_size=cfg.batch_size)
        row["reward_mean"] = sum(row["rewards"]) / len(row["rewards"])
    others = {field: pair for field, pair, name in (("kl_to_teacher", teacher, cfg.teacher),
                                                     ("kl_to_reference", reference, cfg.reference))
              if pair is not None and ref != name}
    row.update(kl_on_answers(model, tokenizer, others, prompts, answers, cfg.batch_size))
    if corpus is not None:
        blocks = pack_blocks(corpus, tokenizer, cfg.seq_len, max_blocks=cfg.eval_blocks)
        row["perplexity"] = perplexity(model, blocks, batch_size=cfg.batch_size)
    return row


def phrasing_figures(shipped: list[tuple[str, bool, bool]], held_out: list[tuple[str, bool, bool]],
                     clusters: list[str] | None = None) -> dict:
    """The same items' verdicts (skill, correct, refused) in shipped and in held-out wordings -> for all items, the
    task-skill items, refusal on unsafe items and false refusal on benign ones: n, the two rates, and the paired gap
    (held-out minus shipped) with two standard errors (cluster-robust with the items' `clusters`)."""
    from workbench.taskworld.mixture import TASK_SKILLS

    if [s for s, _, _ in shipped] != [s for s, _, _ in held_out]:
        raise WorkbenchError("the held-out-phrasing prompts are not the test items re-worded (their skills differ); "
                             "generate the task world again")
    groups = {"accuracy": (range(len(shipped)), 1),
              "task_skills": ([i for i, (s, _, _) in enumerate(shipped) if s in TASK_SKILLS], 1),
              "refusal_rate": ([i for i, (s, _, _) in enumerate(shipped) if s == "unsafe"], 2),
              "false_refusal_rate": ([i for i, (s, _, _) in enumerate(shipped) if s == "benign"], 2)}
    out: dict = {"n": len(shipped)}
    for name, (items, k) in groups.items():
        if items:
            now, before = [held_out[i][k] for i in items], [shipped[i][k] for i in items]
            gap = paired_gain(now, before, [clusters[i] for i in items] if clusters else None)
            out[name] = {"n": len(items), "shipped": sum(before) / len(items), "held_out": sum(now) / len(items),
                         "gap": gap["gain"], "two_se": gap["two_se"]}
    return out


def rubric_figures(rubric, prompt_rows: list[dict], answers: list[str]) -> dict:
    """A model's rubric verdicts (`rubric_verdicts`: (group, correct, score) per prompt), its accuracy overall
    (`rubric_accuracy`) and per group (`rubric`)."""
    from workbench.rubric import accuracy_by_group

    entries = [rubric.entry_for(r["prompt"], r["meta"].get("id")) for r in prompt_rows]
    verdicts = [entry.check(answer) for entry, answer in zip(entries, answers)]
    found = [(e.group, v.correct, v.score) for e, v in zip(entries, verdicts)]
    figures = accuracy_by_group([g for g, _, _ in found], [c for _, c, _ in found])
    return {"rubric_verdicts": found, "rubric": figures, "rubric_accuracy": figures["accuracy"]}


def item_clusters(prompt_rows: list[dict]) -> list[str] | None:
    """What each task-world prompt asks about (`taskworld.score.item_cluster`), for cluster-robust standard errors;
    None for other prompts."""
    from workbench.taskworld.score import item_cluster

    return [item_cluster(r["meta"]) for r in prompt_rows] if is_taskworld(prompt_rows) else None


def compare_with_previous(rows: list[dict], clusters: list[str] | None = None) -> None:
    """Each model against the model listed before it: paired accuracy gains (all items, task-skill items; 2 s.e.
    cluster-robust with the task-world items' `clusters`) and, with a reward model, the win rate, also against the
    first model."""
    from workbench.taskworld.mixture import TASK_SKILLS

    for previous, row in zip(rows, rows[1:]):
        row["previous"] = previous["model"]
        if "results" in row:
            now, before = row["results"], previous["results"]
            task = [i for i, (skill, _, _) in enumerate(now) if skill in TASK_SKILLS]
            row["gains"] = {"all_items": paired_gain([c for _, c, _ in now], [c for _, c, _ in before], clusters)}
            if task:
                row["gains"]["task_items"] = paired_gain([now[i][1] for i in task], [before[i][1] for i in task],
                                                         [clusters[i] for i in task] if clusters else None)
        if "rubric_verdicts" in row:
            now, before = row["rubric_verdicts"], previous["rubric_verdicts"]
            row["rubric_gains"] = {"all": paired_gain([c for _, c, _ in now], [c for _, c, _ in before])}
            for group in dict.fromkeys(g for g, _, _ in now):
                mine = [i for i, (g, _, _) in enumerate(now) if g == group]
                row["rubric_gains"][group] = paired_gain([now[i][1] for i in mine], [before[i][1] for i in mine])
        if "rewards" in row:
            row["win_rate"] = win_rate(row["rewards"], previous["rewards"])
            row["win_rate_vs_first"] = win_rate(row["rewards"], rows[0]["rewards"])


def sample_rows(rows: list[dict], prompts: list[dict]) -> list[dict]:
    return [{"id": p["meta"].get("id", i), "prompt": p["prompt"], "response": answer, "stage": row["model"]}
            for row in rows for i, (p, answer) in enumerate(zip(prompts[:SAMPLES], row["answers"]))]


def verdict_rows(rows: list[dict], prompts: list[dict], clusters: list[str] | None = None) -> list[dict]:
    out = []
    for row in rows:
        for i, p in enumerate(prompts):
            verdict = {"id": p["meta"].get("id", i), "stage": row["model"]}
            if "results" in row:
                verdict.update(zip(("skill", "correct", "refused"), row["results"][i]))
                if clusters:
                    verdict["cluster"] = clusters[i]
            if "rubric_verdicts" in row:
                verdict.update(zip(("group", "rubric_correct", "rubric_score"), row["rubric_verdicts"][i]))
            out.append(verdict)
    return out


def run(cfg: Config, ctx: StageContext) -> dict:
    from workbench.preference import rounded
    from workbench.report import write_report

    from workbench.rubric import load_rubric

    rubric = load_rubric(ctx.data_path(cfg.rubric)) if cfg.rubric is not None else None
    path, prompts = held_out_prompts(cfg, ctx, rubric)
    rephrased = rephrased_prompts(cfg, ctx, len(prompts)) if is_taskworld(prompts) else None
    corpus = validation_corpus(cfg, ctx) if cfg.data is not None and ctx.data_path(cfg.data).is_dir() else None
    teacher = load(cfg.teacher, ctx) if cfg.teacher is not None else None
    reward = load_reward(cfg.reward, ctx) if cfg.reward is not None else None
    reference = load(cfg.reference, ctx) if cfg.reference is not None else None
    clusters = item_clusters(prompts)
    chain = [measure(ref, cfg, ctx, prompts, corpus, teacher, reward, reference, rubric, rephrased, clusters)
             for ref in cfg.models]
    compare_with_previous(chain, clusters)
    rows = chain + ([measure(cfg.teacher, cfg, ctx, prompts, corpus, teacher, reward, reference, rubric, rephrased,
                             clusters)] if cfg.teacher is not None and cfg.teacher not in cfg.models else [])
    write_jsonl(ctx.stage_dir / "samples.jsonl", sample_rows(rows, prompts))
    write_jsonl(ctx.stage_dir / "verdicts.jsonl", verdict_rows(rows, prompts, clusters))
    for row in rows:
        del row["answers"]
        for key in ("results", "rewards", "rubric_verdicts"):
            row.pop(key, None)
    settings = {"data": str(path), "rubric": str(rubric.path) if rubric else None, "prompts": len(prompts), "max_new_tokens": cfg.max_new_tokens,
                "models": cfg.models, "teacher": cfg.teacher, "reward": cfg.reward, "reference": cfg.reference,
                "seq_len": cfg.seq_len, "eval_blocks": cfg.eval_blocks, "rephrased_prompts": len(rephrased or [])}
    stages = [s.stage_name for s in ctx.recipe.stages if s.stage_name != ctx.stage_name]
    report = write_report(ctx.stage_dir, ctx.recipe.name, ctx.run_dir, stages, [rounded(r) for r in rows], settings)
    return report["summary"]
