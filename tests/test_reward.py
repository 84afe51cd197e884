"""Stage `reward`: training on task-world pairs and on a rating-store export, held-out pairwise accuracy, scoring,
and refusing data that holds no preferences."""

from __future__ import annotations

import json

import pytest
import torch

from workbench.data import read_records
from workbench.errors import WorkbenchError
from workbench.pipeline import run_recipe
from workbench.preference import (accuracy_by_skill, explicit_pairs, off_topic_pairs, pair_conversations,
                                  pairwise_accuracy, score_texts)
from workbench.recipe import load_recipe
from workbench.store import open_store
from workbench.store.preference_io import import_file
from workbench.store.ratings import next_pair, record_comparison
from workbench.training import callbacks

pytestmark = pytest.mark.slow  # every test here trains a model (make test-fast trains nothing)

TRAIN = "{max_steps: 4, batch_size: 4, precision: fp32, save_steps: 2, logging_steps: 1}"
RECIPE = f"""
name: rw
seed: 0
models:
  tiny: {{preset: gemma2-tiny-student, tokenizer: tok}}
stages:
  - {{kind: taskworld, name: world, n: 60, corpus_docs: 300}}
  - {{kind: tokenizer, name: tok, corpus: world, vocab_size: 512}}
  - {{kind: reward, name: rm, model: tiny, data: world, max_length: 256, train: {TRAIN}}}
  - {{kind: reward, name: rm_store, model: tiny, store: ratings.db, eval_data: world, max_length: 256, train: {TRAIN}}}
  - {{kind: reward, name: rm_text, model: tiny, data: text_pairs.jsonl, eval_data: text_pairs.jsonl,
     off_topic_pairs: 0.5, train: {{max_steps: 2, batch_size: 4, precision: fp32}}}}
"""
TEXT_PAIRS = [{"chosen": f"Q: {i} + {i}? A: {2 * i}", "rejected": f"Q: {i} + {i}? A: {2 * i + 1}"} for i in range(6)]


def user(text):
    return [{"role": "user", "content": text}]


def assistant(text):
    return [{"role": "assistant", "content": text}]


def rated_store(path) -> int:
    """A store with response pairs (one with a multi-turn prompt) rated by one rater; returns the comparisons made."""
    rows = [{"prompt": user(f"What is {i} plus {i}?"), "responses": [
        {"model": "good", "completion": assistant(f"The answer is {2 * i}.")},
        {"model": "bad", "completion": assistant(f"{2 * i + 1}")}]} for i in range(5)]
    rows.append({"prompt": user("In what country is Plesby?") + assistant("Plesby is in Quessia.")
                 + user("And its founder?"),
                 "responses": [{"model": "good", "completion": assistant("It was founded by Ivo Kulock.")},
                               {"model": "bad", "completion": assistant("It was founded by nobody.")}]})
    pairs_file = path.parent / "pairs.jsonl"
    pairs_file.write_text("".join(json.dumps(row) + "\n" for row in rows))
    store = open_store(path)
    import_file(store, pairs_file)
    rated = 0
    while (shown := next_pair(store, "ann")) is not None:
        good_is_left = "answer is" in shown.left or "Kulock" in shown.left
        record_comparison(store, "ann", shown.pair_id, shown.left_id, shown.right_id, "A" if good_is_left else "B")
        rated += 1
    store.close()
    return rated


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("reward")
    comparisons = rated_store(tmp / "ratings.db")
    (tmp / "text_pairs.jsonl").write_text("".join(json.dumps(row) + "\n" for row in TEXT_PAIRS))
    (tmp / "r.yaml").write_text(RECIPE)
    manifest = run_recipe(load_recipe(tmp / "r.yaml"), tmp / "run")
    return tmp / "run", manifest["stages"], comparisons


def test_pairwise_accuracy_on_known_scores():
    # margins 1, 0 (a tie is not a win), -0.5, 4
    m = pairwise_accuracy([2.0, 1.0, 0.5, 3.0], [1.0, 1.0, 1.0, -1.0])
    assert m == {"pairs": 4, "accuracy": 0.5, "mean_margin": 1.125}
    by_skill = accuracy_by_skill([{"skill": "a"}, {"skill": "b"}, {"skill": "a"}, None],
                                 [2.0, 1.0, 0.5, 3.0], [1.0, 1.0, 1.0, -1.0])
    assert by_skill == {"a": {"pairs": 2, "accuracy": 0.5, "mean_margin": 0.25},
                        "b": {"pairs": 1, "accuracy": 0.0, "mean_margin": 0.0}}
    with pytest.raises(ValueError):
        pairwise_accuracy([1.0], [])


def test_off_topic_pairs_answer_another_prompt():
    from datasets import Dataset

    pairs = Dataset.from_list([{"chosen": f"Q: {i}? A: {i}", "rejected": f"Q: {i}? A: no", "id": i} for i in range(8)])
    rows = explicit_pairs(pairs)  # the implicit prompt split off, other columns kept
    assert rows[3] == {"prompt": "Q: 3? A:", "chosen": " 3", "rejected": " no", "id": 3}
    extra = off_topic_pairs(rows, 0.5, seed=1)
    assert len(extra) == 4 and extra == off_topic_pairs(rows, 0.5, seed=1)
    for row in extra:
        source = rows[row["id"]]
        assert {**row, "rejected": source["rejected"]} == source
        assert row["rejected"] in {r["chosen"] for r in rows if r["prompt"] != source["prompt"]}
    assert off_topic_pairs([rows[0], rows[0]], 1.0, seed=1) == []  # one prompt: nothing to borrow from


def test_reward_model_on_task_world_pairs(run):
    from transformers import AutoModelForSequenceClassification

    run_dir, stages, _ = run
    metrics = stages["rm"]["metrics"]
    validation = read_records(run_dir / "world/data/preference/validation.jsonl")
    assert metrics["train_pairs"] == len(read_records(run_dir / "world/data/preference/train.jsonl"))
    assert metrics["eval_pairs"] == len(validation)
    assert set(metrics["pairwise_accuracy_by_skill"]) == {row["meta"]["skill"] for row in validation}
    assert 0 <= metrics["off_topic_accuracy"] <= 1 and metrics["train_pairs_off_topic"] == 0
    assert list((run_dir / "rm/runs").glob("events.out.tfevents.*"))
    history = json.loads((run_dir / "rm/history.json").read_text())
    assert [entry["step"] for entry in history if "eval_accuracy" in entry] == [2, 4]  # TRL's eval at each save

    # The saved model reproduces the held-out metrics, scoring one conversation at a time (no padding).
    model = AutoModelForSequenceClassification.from_pretrained(run_dir / "rm/model")
    from workbench.tokenizer import load_tokenizer

    tokenizer = load_tokenizer(run_dir / "rm/model")
    assert model.config.num_labels == 1 and tokenizer.pad_token is not None
    chosen, rejected = zip(*(pair_conversations(row) for row in validation))
    chosen_scores = score_texts(model, tokenizer, chosen, batch_size=1)
    rejected_scores = score_texts(model, tokenizer, rejected, batch_size=1)
    assert score_texts(model, tokenizer, chosen, batch_size=8) == pytest.approx(chosen_scores, abs=1e-4)
    # the states it hands out (the pairs stage's tie model reads them) are what the score head reads, padding or not
    states = []
    assert score_texts(model, tokenizer, chosen, batch_size=8, states=states) == pytest.approx(chosen_scores, abs=1e-4)
    with torch.no_grad():
        assert model.score(torch.stack(states))[:, 0].tolist() == pytest.approx(chosen_scores, abs=1e-4)
    expected = pairwise_accuracy(chosen_scores, rejected_scores)
    assert metrics["pairwise_accuracy"] == pytest.approx(expected["accuracy"])
    assert metrics["mean_margin"] == pytest.approx(expected["mean_margin"], abs=1e-3)


def test_reward_model_trains_on_a_store_export_as_it_is(run):
    run_dir, stages, comparisons = run
    export = read_records(run_dir / "rm_store/preference.jsonl")
    assert len(export) == comparisons == 6
    assert any(len(row["prompt"]) == 3 for row in export)  # the multi-turn prompt
    metrics = stages["rm_store"]["metrics"]
    assert metrics["train_pairs"] == comparisons and metrics["eval_pairs"] == 20
    assert torch.isfinite(torch.tensor(metrics["train_loss"]))


def test_a_new_rating_reruns_the_store_trained_reward_model(run):
    """The store's content is an input of the stage: a new or changed rating gives `rm_store` a new fingerprint (so
    the next run retrains it), and leaves the other stages' fingerprints alone."""
    import shutil

    from workbench.pipeline import Pipeline

    run_dir, _, _ = run
    shutil.copy(run_dir.parent / "ratings.db", run_dir.parent / "ratings_copy.db")
    recipe_file = run_dir.parent / "r_copy.yaml"
    recipe_file.write_text(RECIPE.replace("store: ratings.db", "store: ratings_copy.db"))
    recipe = load_recipe(recipe_file)

    def fingerprints():
        pipeline = Pipeline(recipe, run_dir.parent / "unused_run")
        out = {}
        for stage in recipe.stages:
            out[stage.stage_name] = pipeline.fingerprints[stage.stage_name] = pipeline.fingerprint(stage)[0]
        return out

    before = fingerprints()
    assert before == fingerprints()  # stable while nothing changes
    store = open_store(run_dir.parent / "ratings_copy.db", create=False)
    shown = next_pair(store, "bob")  # a second rater's vote adds an exported row
    record_comparison(store, "bob", shown.pair_id, shown.left_id, shown.right_id, "A")
    store.close()
    after = fingerprints()
    assert after["rm_store"] != before["rm_store"]
    assert {k: v for k, v in after.items() if k != "rm_store"} == {k: v for k, v in before.items() if k != "rm_store"}


def test_standard_pairs_with_an_implicit_prompt(run):
    """Plain-text pairs are scored as TRL trains on them: <bos> text <eos>, the whole of chosen and of rejected."""
    from transformers import AutoModelForSequenceClassification

    from workbench.tokenizer import load_tokenizer

    run_dir, stages, _ = run
    metrics = stages["rm_text"]["metrics"]
    assert metrics["eval_pairs"] == len(TEXT_PAIRS)
    assert metrics["train_pairs"] == len(TEXT_PAIRS) + metrics["train_pairs_off_topic"] == len(TEXT_PAIRS) + 3
    assert "pairwise_accuracy_by_skill" not in metrics  # no task-world skills in these rows
    model = AutoModelForSequenceClassification.from_pretrained(run_dir / "rm_text/model")
    tokenizer = load_tokenizer(run_dir / "rm_text/model")
    ids = tokenizer(TEXT_PAIRS[0]["chosen"] + tokenizer.eos_token, return_tensors="pt")["input_ids"]
    assert ids[0, 0] == tokenizer.bos_token_id
    with torch.no_grad():
        direct = model(input_ids=ids).logits[0, 0].item()
    assert score_texts(model, tokenizer, [TEXT_PAIRS[0]["chosen"]])[0] == pytest.approx(direct, abs=1e-5)


def test_data_without_preferences_is_refused(run, tmp_path):
    run_dir = run[0]
    prompts = run_dir / "world/data/prompts/train.jsonl"
    (tmp_path / "r.yaml").write_text(RECIPE.split("  - {kind: reward")[0]
                                     + f"  - {{kind: reward, model: tiny, data: {prompts}, train: {TRAIN}}}\n")
    with pytest.raises(WorkbenchError, match=r"holds prompt_only rows .* but preference is needed: rows with columns "
                                             r"\(prompt, chosen, rejected\) or \(chosen, rejected\)"):
        run_recipe(load_recipe(tmp_path / "r.yaml"), tmp_path / "run")


def test_a_source_of_pairs_is_needed(tmp_path):
    (tmp_path / "r.yaml").write_text(RECIPE.replace("store: ratings.db, ", ""))
    with pytest.raises(WorkbenchError, match="give `data` .*, `store` .*, or both"):
        load_recipe(tmp_path / "r.yaml")
    (tmp_path / "r.yaml").write_text(RECIPE.replace("name: rm_store, model: tiny, store: ratings.db",
                                                    "name: rm_store, model: tiny, data: world, min_ratings: 3"))
    with pytest.raises(WorkbenchError, match="min_ratings counts the ratings in `store`"):
        load_recipe(tmp_path / "r.yaml")


def test_interrupted_training_resumes_from_its_checkpoint_to_the_same_model(run, tmp_path, monkeypatch):
    """Stop the `rm` stage after step 3 (its last checkpoint is step 2), run again: it resumes and ends with the
    weights of the uninterrupted run, so resuming and seeding are both deterministic."""
    from safetensors.torch import load_file
    from transformers import TrainerCallback

    from workbench.stages import reward

    steps: list[int] = []

    class StopOnceAtStep3(TrainerCallback):
        def on_step_end(self, args, state, control, **kwargs):
            steps.append(state.global_step)
            if steps == [1, 2, 3]:
                raise RuntimeError("stopped")

    (tmp_path / "r.yaml").write_text(RECIPE.split("  - {kind: reward, name: rm_store")[0])
    recipe = load_recipe(tmp_path / "r.yaml")
    monkeypatch.setattr(reward, "callbacks", lambda stage_dir: [*callbacks(stage_dir), StopOnceAtStep3()])
    with pytest.raises(RuntimeError, match="stopped"):
        run_recipe(recipe, tmp_path / "run")
    assert (tmp_path / "run/rm/checkpoints/checkpoint-2").is_dir() and not (tmp_path / "run/rm/model").exists()
    steps.clear()
    resumed = run_recipe(recipe, tmp_path / "run")["stages"]["rm"]
    assert steps == [3, 4]  # steps 1 and 2 came from the checkpoint
    assert resumed["metrics"]["pairwise_accuracy"] == run[1]["rm"]["metrics"]["pairwise_accuracy"]
    weights = load_file(tmp_path / "run/rm/model/model.safetensors")
    expected = load_file(run[0] / "rm/model/model.safetensors")
    assert all(torch.equal(weights[name], expected[name]) for name in expected)


def test_missing_store_is_an_error_not_a_new_empty_store(tmp_path):
    from types import SimpleNamespace

    from workbench.preference import export_store

    ctx = SimpleNamespace(data_path=lambda ref: tmp_path / ref)
    with pytest.raises(WorkbenchError, match=r"missing\.db: no store there"):
        export_store("missing.db", ctx, tmp_path / "out.jsonl")
    assert not (tmp_path / "missing.db").exists()
