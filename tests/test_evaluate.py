"""Stage `evaluate`: a row per model (task-world score, reward, win rate, KL, perplexity), the report and its plots."""

from __future__ import annotations

import json

import pytest

from workbench.data import read_records
from workbench.models import load_model
from workbench.pipeline import run_recipe
from workbench.recipe import load_recipe
from workbench.report import SUMMARY_FIELDS, markdown
from workbench.stages.evaluate import kl_estimate, paired_gain, phrasing_figures, win_rate
from workbench.taskworld.score import item_cluster

TRAIN = "{max_steps: 4, batch_size: 4, precision: fp32, logging_steps: 1}"
RECIPE = f"""
name: evaluation
seed: 0
models:
  tiny: {{preset: gemma2-tiny-student, tokenizer: tok}}
stages:
  - {{kind: taskworld, name: world, n: 60, corpus_docs: 200}}
  - {{kind: tokenizer, name: tok, corpus: world, vocab_size: 512}}
  - {{kind: pretrain, name: base, model: tiny, data: world, seq_len: 64, eval_blocks: 4, train: {TRAIN}}}
  - {{kind: pretrain, name: more, model: base, data: world, seq_len: 64, eval_blocks: 4, train: {TRAIN}}}
  - {{kind: reward, name: rm, model: tiny, data: world, max_length: 128, train: {TRAIN}}}
  - {{kind: evaluate, name: eval, models: [base, more], teacher: tiny, reward: rm, reference: base, data: world, limit: 16,
     max_new_tokens: 8, seq_len: 64, eval_blocks: 4}}
"""


def test_each_model_wins_against_the_previous_and_against_the_first():
    from workbench.stages.evaluate import compare_with_previous

    rows = [{"model": "sft", "rewards": [0.0, 0.0, 0.0, 0.0]}, {"model": "rlhf", "rewards": [1.0, 1.0, 1.0, -1.0]},
            {"model": "warp", "rewards": [0.5, 0.0, 2.0, 2.0]}]
    compare_with_previous(rows)
    assert rows[1]["win_rate"] == rows[1]["win_rate_vs_first"] == 0.75
    assert rows[2]["win_rate"] == 0.5 and rows[2]["win_rate_vs_first"] == pytest.approx((1 + 0.5 + 1 + 1) / 4)
    assert "win_rate_vs_first" not in rows[0]


def test_win_rate_counts_ties_half():
    assert win_rate([1.0, 2.0, 3.0, 0.0], [0.5, 2.0, 4.0, -1.0]) == pytest.approx((1 + 0.5 + 0 + 1) / 4)
    with pytest.raises(ValueError):
        win_rate([1.0], [])


def test_paired_gain_is_the_accuracy_difference_with_a_paired_standard_error():
    now, before = [True, True, False, True], [True, False, False, False]  # differences 0, 1, 0, 1
    gain = paired_gain(now, before)
    assert gain["gain"] == pytest.approx(0.5)
    assert gain["two_se"] == pytest.approx(2 * (1 / 3 / 4) ** 0.5)  # sample variance 1/3 of the differences, n 4
    assert paired_gain([True, False], [True, False]) == {"gain": 0.0, "two_se": 0.0}
    with pytest.raises(ValueError):
        paired_gain([True], [])


def test_paired_gain_with_clusters_counts_items_about_one_thing_once():
    now, before = [True, True, False, True], [True, False, False, False]
    # every item its own cluster: the plain standard error
    alone = paired_gain(now, before, ["a", "b", "c", "d"])
    assert alone["gain"] == pytest.approx(0.5) and alone["clusters"] == 4
    assert alone["two_se"] == pytest.approx(paired_gain(now, before)["two_se"])
    # the same differences, each item asked four times over (one town's questions): with the repeats counted as
    # independent the 2 s.e. halves; as clusters it stays what four independent items allow
    repeated = [x for x in now for _ in range(4)], [x for x in before for _ in range(4)]
    clusters = [c for c in "abcd" for _ in range(4)]
    assert paired_gain(*repeated)["two_se"] < 0.6 * alone["two_se"]
    clustered = paired_gain(*repeated, clusters)
    assert clustered["gain"] == pytest.approx(0.5) and clustered["clusters"] == 4
    assert clustered["two_se"] == pytest.approx(alone["two_se"])
    assert paired_gain([True, False], [False, True], ["a", "a"]) == {"gain": 0.0, "two_se": 0.0, "clusters": 1}
    with pytest.raises(ValueError):
        paired_gain([True, False], [True, True], ["a"])


def test_item_cluster_is_what_an_item_asks_about_apart_from_its_wording():
    town = {"id": "t1", "skill": "facts", "task": "river", "entities": ["Opys"], "templates": ["facts.river#2"]}
    assert item_cluster(town) == item_cluster({**town, "id": "t2", "task": "founder", "templates": ["facts.f#0"]})
    assert item_cluster(town) != item_cluster({**town, "entities": ["Kila"]})
    units = {"id": "u1", "skill": "units", "key": "convert:kilograms:grams:76", "templates": ["units.convert#9"]}
    assert item_cluster(units) == item_cluster({**units, "id": "u2", "templates": ["units.convert#1"]})
    unsafe = {"id": "x1", "skill": "unsafe", "templates": ["unsafe.frame#6", "unsafe.request.break_ins#18"]}
    assert item_cluster(unsafe) == item_cluster({**unsafe, "id": "x2", "templates": ["unsafe.frame#2",
                                                                                      "unsafe.request.break_ins#18"]})
    assert item_cluster(unsafe) != item_cluster({**unsafe, "templates": ["unsafe.frame#6", "unsafe.request.x#1"]})
    identity = {"id": "i1", "skill": "identity", "templates": ["identity.question#14"]}
    assert item_cluster(identity) != item_cluster({**identity, "id": "i2"})


def test_an_evaluation_from_before_cluster_robust_errors_is_not_restored(monkeypatch):
    """The report's version is among the stage's inputs, so a cached evaluation with the older standard errors
    reruns instead of being restored from the stage cache."""
    from workbench.stages import evaluate

    config = evaluate.Config(kind="evaluate", models=["m"], data="world")
    now = config.external_inputs(lambda p: p)
    assert now == {"report": str(evaluate.REPORT_VERSION)} and evaluate.REPORT_VERSION >= 2
    monkeypatch.setattr(evaluate, "REPORT_VERSION", 1)
    assert config.external_inputs(lambda p: p) != now


def test_kl_estimate_is_the_mean_log_ratio():
    assert kl_estimate([-1.0, -2.0, -3.0], [-2.0, -2.5, -1.0]) == pytest.approx((1.0 + 0.5 - 2.0) / 3)
    assert kl_estimate([-4.0], [-4.0]) == 0.0
    with pytest.raises(ValueError):
        kl_estimate([], [])


def test_phrasing_figures_pair_the_same_items_in_both_wordings():
    shipped = [("facts", True, False), ("units", True, False), ("unsafe", True, True), ("unsafe", True, True),
               ("benign", True, False), ("identity", True, False)]
    held_out = [("facts", False, False), ("units", True, False), ("unsafe", True, True), ("unsafe", False, False),
                ("benign", False, True), ("identity", True, False)]
    figures = phrasing_figures(shipped, held_out)
    assert figures["n"] == 6
    assert figures["accuracy"] == {"n": 6, "shipped": 1.0, "held_out": 0.5, "gap": pytest.approx(-0.5),
                                   "two_se": pytest.approx(paired_gain([False, True, True, False, False, True],
                                                                       [True] * 6)["two_se"])}
    assert figures["task_skills"]["n"] == 2 and figures["task_skills"]["gap"] == -0.5
    assert (figures["refusal_rate"]["shipped"], figures["refusal_rate"]["held_out"]) == (1.0, 0.5)
    assert (figures["false_refusal_rate"]["shipped"], figures["false_refusal_rate"]["held_out"]) == (0.0, 1.0)
    assert "refusal_rate" not in phrasing_figures(shipped[:2], held_out[:2])  # no unsafe item: no refusal figure
    from workbench.errors import WorkbenchError
    with pytest.raises(WorkbenchError, match="not the test items re-worded"):
        phrasing_figures(shipped, held_out[::-1])


def test_report_sets_shipped_against_held_out_phrasings():
    row = {"model": "sft", "phrasings": phrasing_figures([("unsafe", True, True), ("facts", True, False)],
                                                         [("unsafe", False, False), ("facts", True, False)])}
    settings = {"prompts": 2, "data": "w", "max_new_tokens": 8, "reward": None, "teacher": None, "models": ["sft"]}
    text = markdown({"recipe": "r", "settings": settings, "models": [row], "summary": {"sft": {}}, "stages": [],
                     "plots": []})
    assert "## Shipped against held-out phrasings" in text
    assert "| sft | all items | 2 | 1.000 | 0.500 | -0.500 | 1.000 |" in text
    assert "| sft | refusal (unsafe) | 1 | 1.000 | 0.000 | -1.000 | 0.000 |" in text
    assert "false refusal" not in text.split("## Shipped")[1]  # no benign item


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("evaluate")
    (tmp / "r.yaml").write_text(RECIPE)
    manifest = run_recipe(load_recipe(tmp / "r.yaml"), tmp / "run")
    return tmp / "run", manifest


@pytest.mark.slow  # trains a model
def test_report_has_a_row_per_model_and_the_plots(run):
    run_dir, manifest = run
    out = run_dir / "eval"
    report = json.loads((out / "report.json").read_text())
    assert [row["model"] for row in report["models"]] == ["base", "more", "tiny"]
    assert manifest["stages"]["eval"]["metrics"] == report["summary"]
    for name, figures in report["summary"].items():
        assert set(figures) == set(SUMMARY_FIELDS)
        assert 0 <= figures["task_skills_mean"] <= 1 and figures["perplexity"] > 1
        assert 0 <= figures["clean_endings"] <= 1  # the share of answers that stopped at the turn end
    base, more, teacher = report["models"]
    assert "win_rate" not in base and report["summary"]["base"]["win_rate"] is None
    assert more["previous"] == "base" and 0 <= more["win_rate"] <= 1
    assert more["gains"]["all_items"]["gain"] == pytest.approx(
        more["taskworld"]["accuracy"] - base["taskworld"]["accuracy"], abs=1e-4)
    assert "gains" not in base and "gains" not in teacher  # the teacher is not part of the chain
    assert teacher.get("kl_to_teacher") is None and base["kl_to_teacher"] is not None
    assert base.get("kl_to_reference") is None and more["kl_to_reference"] is not None  # base is the reference
    assert teacher["kl_to_reference"] is not None
    assert {row["taskworld"]["n"] for row in report["models"]} == {16}
    assert [st["name"] for st in report["stages"]] == ["world", "tok", "base", "more", "rm"]
    assert set(report["plots"]) == {"training_curves.png", "skills.png", "reward_vs_kl.png"}
    for plot in report["plots"]:
        assert (out / plot).read_bytes().startswith(b"\x89PNG") and (out / plot).stat().st_size > 1000

    for row in report["models"]:  # every model also on the 16 test items re-asked in held-out wordings
        phrasings = row["phrasings"]
        assert phrasings["n"] == 16 and phrasings["accuracy"]["shipped"] == pytest.approx(row["accuracy"], abs=1e-4)
        assert phrasings["accuracy"]["gap"] == pytest.approx(
            phrasings["accuracy"]["held_out"] - phrasings["accuracy"]["shipped"], abs=1e-3)
        assert report["summary"][row["model"]]["rephrased_accuracy"] == phrasings["accuracy"]["held_out"]
    assert report["settings"]["rephrased_prompts"] == 16

    text = (out / "report.md").read_text()
    assert "`evaluation`" in text and "clean endings" in text
    for name in ("base", "more", "tiny (teacher)"):
        assert any(line.startswith(f"| {name} |") for line in text.splitlines()), name
    for stage in ("world", "tok", "base", "more", "rm"):
        assert f"| {stage} | " in text
    assert "## Shipped against held-out phrasings" in text and "| base | all items | 16 | " in text


@pytest.mark.slow  # trains a model
def test_samples_hold_the_first_prompts_of_every_model(run):
    run_dir, _ = run
    samples = read_records(run_dir / "eval/samples.jsonl")
    prompts = read_records(run_dir / "world/data/prompts/test.jsonl")[:16]
    assert [s["stage"] for s in samples] == ["base"] * 16 + ["more"] * 16 + ["tiny"] * 16
    assert [s["id"] for s in samples[:16]] == [p["meta"]["id"] for p in prompts]
    assert samples[0]["prompt"] == prompts[0]["prompt"] and isinstance(samples[0]["response"], str)


@pytest.mark.slow  # trains a model
def test_verdicts_hold_every_prompt_of_every_model(run):
    run_dir, _ = run
    verdicts = read_records(run_dir / "eval/verdicts.jsonl")
    report = json.loads((run_dir / "eval/report.json").read_text())
    assert [v["stage"] for v in verdicts] == ["base"] * 16 + ["more"] * 16 + ["tiny"] * 16
    for row in report["models"]:
        mine = [v for v in verdicts if v["stage"] == row["model"]]
        assert sum(v["correct"] for v in mine) / 16 == pytest.approx(row["taskworld"]["accuracy"], abs=1e-4)
        unsafe = [v["refused"] for v in mine if v["skill"] == "unsafe"]
        expected = sum(unsafe) / len(unsafe) if unsafe else None
        assert row["taskworld"]["refusal_rate"] == (pytest.approx(expected, abs=1e-4) if unsafe else None)
    assert "## Paired accuracy gain over the previous model" in (run_dir / "eval/report.md").read_text()
    # every verdict says what its item asks about, and the gains' 2 s.e. count those clusters, not items
    prompts = read_records(run_dir / "world/data/prompts/test.jsonl")[:16]
    assert [v["cluster"] for v in verdicts[:16]] == [item_cluster(p["meta"]) for p in prompts]
    more = next(row for row in report["models"] if row["model"] == "more")
    assert more["gains"]["all_items"]["clusters"] == len({v["cluster"] for v in verdicts[:16]})


@pytest.mark.slow  # trains a model
def test_scores_match_a_recomputation(run):
    """The `more` row's task-world score and perplexity, recomputed from its greedy answers in samples.jsonl."""
    from workbench.stages.pretrain import pack_blocks, perplexity
    from workbench.taskworld import score

    run_dir, _ = run
    report = json.loads((run_dir / "eval/report.json").read_text())
    more = report["models"][1]
    prompts = read_records(run_dir / "world/data/prompts/test.jsonl")[:16]
    answers = [s["response"] for s in read_records(run_dir / "eval/samples.jsonl") if s["stage"] == "more"]
    assert more["taskworld"]["accuracy"] == pytest.approx(score(prompts, answers).to_dict()["accuracy"], abs=1e-4)
    model, tokenizer = load_model(run_dir / "more/model")
    blocks = pack_blocks(run_dir / "world/data/corpus/validation.txt", tokenizer, 64, max_blocks=4)
    assert more["perplexity"] == pytest.approx(perplexity(model, blocks), rel=1e-3)


@pytest.mark.slow  # trains a model
def test_kl_along_answers_is_the_per_token_kl_of_the_full_distributions(run):
    """`completion_kl` in a padded batch equals a one-sequence-at-a-time recomputation, is 0 to the model itself and
    positive to another model; the report's KL to reference is that figure on the model's greedy answers."""
    import torch

    from workbench.generation import chat_tokenizer
    from workbench.preference import _prompt_and_completion_ids, completion_kl

    run_dir, _ = run
    model, tokenizer = load_model(run_dir / "more/model")
    base, _ = load_model(run_dir / "base/model")
    tokenizer = chat_tokenizer(tokenizer)
    prompts = [row["prompt"] for row in read_records(run_dir / "world/data/prompts/test.jsonl")[:16]]
    answers = [s["response"] for s in read_records(run_dir / "eval/samples.jsonl") if s["stage"] == "more"]
    completions = [[{"role": "assistant", "content": a}] for a in answers]
    kl = completion_kl(model, tokenizer, {"base": base, "self": model}, prompts, completions, batch_size=5)
    assert kl["self"] == pytest.approx(0.0, abs=1e-5) and kl["base"] > 0

    total = 0.0
    for prompt, completion in zip(prompts, completions):
        p, c = _prompt_and_completion_ids(tokenizer, prompt, completion)
        x = torch.tensor([p + c])
        with torch.no_grad():
            lp = torch.log_softmax(model(input_ids=x).logits[0, len(p) - 1 : -1].float(), -1)
            lq = torch.log_softmax(base(input_ids=x).logits[0, len(p) - 1 : -1].float(), -1)
        total += (lp.exp() * (lp - lq)).sum().item()
    assert kl["base"] == pytest.approx(total / len(prompts), rel=1e-4)
    report = json.loads((run_dir / "eval/report.json").read_text())
    assert report["models"][1]["kl_to_reference"] == pytest.approx(kl["base"], rel=1e-3)


def test_data_without_task_world_prompts_is_refused(tmp_path):
    from workbench.errors import WorkbenchError
    from workbench.stages.base import StageContext
    from workbench.stages.evaluate import Config, held_out_prompts

    ctx = StageContext(run_dir=tmp_path, stage_dir=tmp_path / "eval", stage_name="eval", seed=0, recipe=None,
                       resolve=lambda name, what: tmp_path)
    with pytest.raises(WorkbenchError, match=r"^stage eval: data 'notes' has no prompts/test.jsonl"):
        held_out_prompts(Config(models=["m"], data="notes"), ctx)
