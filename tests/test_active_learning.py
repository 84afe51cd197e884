"""bench.active_learning: the active-vs-random measurement runs end to end on a small pool (hashed features, and a
run's own model with `--run`) and writes its table,
JSON and PNG; bad arguments are a usage error."""

from __future__ import annotations

import json

import pytest

from bench import active_learning


@pytest.mark.slow
def test_active_learning_bench_writes_table_json_and_png(tmp_path, capsys):
    out = tmp_path / "al"
    strategies = [s for s in active_learning.STRATEGIES if s not in active_learning.RUN_ONLY]
    assert active_learning.main(["--seeds", "1", "--budgets", "25,50", "--ensemble", "2", "--n", "200",
                                 "--strategies", ",".join(strategies), "--out", str(out)]) == 0
    result = json.loads((out / "active_learning.json").read_text())
    assert set(result["table"]) == set(strategies) and set(result["table"]["active"]) == {"25", "50"}
    assert len({runs[0]["25"] for runs in result["curves"].values()}) == 1  # the same cold start
    assert all(0 <= c["50"] <= 1 for runs in result["curves"].values() for c in runs)
    per_skill = result["per_skill"]["eer"]["50"]
    assert sum(s["rated"] for s in per_skill.values()) == 50 and set(per_skill) == set(result["held_out_per_skill"])
    assert (out / "active_learning.png").stat().st_size > 1000
    assert "| 50 |" in capsys.readouterr().out


def test_budgets_must_be_multiples_of_the_batch_and_strategies_known():
    with pytest.raises(SystemExit) as e:
        active_learning.main(["--budgets", "30,60"])
    assert e.value.code == 2
    with pytest.raises(SystemExit) as e:
        active_learning.main(["--strategies", "active,clever"])
    assert e.value.code == 2
    with pytest.raises(SystemExit) as e:  # the tie model reads a run's dense features
        active_learning.main(["--strategies", "tie-aware"])
    assert e.value.code == 2


def test_the_tie_model_learns_which_pairs_end_in_a_tie_from_the_rated_ones():
    import torch

    def pair(tie_like: bool, label):  # a tie's two answers alike, a preference's far apart
        return {"label": label, "answers": (torch.tensor([0.0, 1.0]), torch.tensor([0.0 if tie_like else 2.0, 1.0]))}

    pool = [pair(True, None) for _ in range(6)] + [pair(False, 1.0) for _ in range(6)] + [pair(True, None), pair(False, None)]
    p = active_learning.decisive_probability(pool, list(range(12)), [12, 13])
    assert p[0] < 0.3 < 0.7 < p[1]  # a pair like the rated ties is expected to be one, whatever its own outcome
    assert active_learning.decisive_probability(pool, list(range(6)), [12, 13]).tolist() == [1.0, 1.0]  # ties only


def test_diverse_batches_skip_near_copies_of_a_picked_pair():
    import torch

    sims = torch.tensor([[1.0, 0.99, 0.0], [0.99, 1.0, 0.0], [0.0, 0.0, 1.0]])  # pairs 0 and 1 near copies
    assert active_learning.diverse([0.9, 0.8, 0.5], [0, 1, 2], sims, 2) == [0, 2]  # not 0 and 1, the top two


def test_learnability_is_zero_where_out_of_fold_accuracy_is_a_coin_flip_and_optimistic_where_nothing_is_rated():
    clusters = [0] * 6 + [1] * 6 + [2] * 6
    correct = {i: True for i in range(6)} | {i: i % 2 == 0 for i in range(6, 12)}  # cluster 2: nothing rated
    learned, coin_flip, unrated = active_learning.learnability(clusters, correct, 3)
    assert learned > unrated > coin_flip
    assert coin_flip == pytest.approx(2 * ((3 + 1.5) / 8 - 0.5))  # the prior (0.75, weight 2) only lifts it a little
    assert active_learning.learnability(clusters, {i: False for i in range(6)}, 3)[0] == 0.0


def test_expected_error_prefers_the_pair_whose_label_settles_the_uncertain_ones():
    import torch

    margins = torch.tensor([0.0, 0.0, 0.0, 0.0, 3.0])  # pairs 0-3 uncertain, 4 settled
    gram = torch.eye(5) * 10
    gram[0, 1] = gram[1, 0] = gram[0, 2] = gram[2, 0] = 8.0  # pair 0 shares its differences with pairs 1 and 2
    errors = active_learning.expected_error(margins, gram, [0, 3, 4], [1, 2, 3], step=0.2)
    assert errors[0] < errors[1] and errors[0] < errors[2]  # pair 0's label moves two others; 3's only itself


def test_committee_disagreement_is_zero_when_the_views_agree_and_grows_as_they_split():
    kl = active_learning.kl_to_consensus
    assert kl([0.9, 0.9, 0.9, 0.9, 0.9]) == pytest.approx(0.0, abs=1e-12)
    assert kl([0.9, 0.9, 0.1, 0.1, 0.5]) > kl([0.6, 0.6, 0.4, 0.4, 0.5]) > kl([0.55, 0.5, 0.5, 0.5, 0.5]) > 0
    assert kl([0.9, 0.9, 0.9, 0.9, 0.1]) > kl([0.5, 0.5, 0.5, 0.5, 0.5])  # a confident split, not a coin flip, scores


def test_the_committees_views_see_different_parts_of_a_response():
    prompt, response = "Who are you?", "I am Workbench Assistant."
    views = active_learning.view_features(prompt, response)
    full = set(active_learning.features(prompt, response))
    assert set(active_learning.VIEWS) == set(views)
    assert all(set(views[v]) <= full for v in ("words", "chars", "cross"))  # each a part of the reward model's
    assert len({frozenset(f) for f in views.values()}) == len(views)  # and no two the same
    assert not set(views["format"]) <= full  # length and form: features the reward model does not have


RUN_RECIPE = """
name: al
seed: 0
models:
  tiny: {preset: gemma2-tiny-student, tokenizer: tok}
stages:
  - {kind: taskworld, name: world, n: 200, corpus_docs: 300}
  - {kind: tokenizer, name: tok, corpus: world, vocab_size: 512}
  - {kind: sft, name: student_sft, model: tiny, data: world, max_length: 128,
     train: {max_steps: 1, batch_size: 2, precision: fp32}}
"""


@pytest.mark.slow
def test_on_a_run_the_reward_head_reads_the_runs_model_and_every_dense_strategy_runs(tmp_path, capsys):
    from workbench.pipeline import run_recipe
    from workbench.recipe import load_recipe

    (tmp_path / "r.yaml").write_text(RUN_RECIPE)
    run_recipe(load_recipe(tmp_path / "r.yaml"), tmp_path / "run")
    strategies = [s for s in active_learning.STRATEGIES if s not in active_learning.HASHED_ONLY]
    out = tmp_path / "al"
    assert active_learning.main(["--run", str(tmp_path / "run"), "--seeds", "1", "--budgets", "25,50",
                                 "--ensemble", "2", "--strategies", ",".join(strategies), "--out", str(out)]) == 0
    result = json.loads((out / "active_learning.json").read_text())
    assert result["reward_model"] == "linear head on frozen student_sft features" and result["world_seed"] is None
    assert set(result["table"]) == set(strategies)
    assert len({runs[0]["25"] for runs in result["curves"].values()}) == 1  # the same cold start
    assert all(0 <= c["50"] <= 1 for runs in result["curves"].values() for c in runs)
    out_answers = tmp_path / "al_answers"  # the queue a pairs stage would build, ties included
    assert active_learning.main(["--run", str(tmp_path / "run"), "--pool", "answers", "--pair-models",
                                 "student_sft,student_sft", "--seeds", "1", "--budgets", "25,50",
                                 "--strategies", "margin,tie-aware,decisive", "--out", str(out_answers)]) == 0
    answers = json.loads((out_answers / "active_learning.json").read_text())
    assert answers["pool_kind"] == "answers of student_sft,student_sft" and 50 <= answers["pool"], answers["pool"]
    assert 0 <= answers["pool_decisive"] <= answers["pool"] and set(answers["table"]) == {"random", "margin",
                                                                                           "tie-aware", "decisive"}
    with pytest.raises(SystemExit) as stop:  # a strategy that reads hashed features
        active_learning.main(["--run", str(tmp_path / "run"), "--strategies", "eer", "--out", str(out)])
    assert stop.value.code == 2
    with pytest.raises(SystemExit) as stop:  # not a run directory
        active_learning.main(["--run", str(tmp_path), "--out", str(out)])
    assert stop.value.code == 2 and "needs world/data/preference" in capsys.readouterr().err
