"""From a run to the raters and back into training (issue 18 items 1, 3, 7), through `workbench run` as users run it:
the `pairs` stage fills the store (control tokens stripped, identical answers dropped, lineage kept); a reward stage
with `min_ratings` waits for people (exit 3, one line, earlier stages done) and reruns on new ratings with the count
in the manifest; a `pairs` stage with a reward model sets priorities; a filter stage with `store:` reruns on an
override, `--only` does not call a stale stage done; unsafe flags export as labelled data."""

from __future__ import annotations

import json
import random

import pytest
from sqlalchemy import select

from helpers import FEEDBACK_LOOP_RECIPE as RECIPE
from workbench.cli import main
from workbench.data import validate_file
from workbench.stages.pairs import candidate_pairs, clean, decisive_probability, priority
from workbench.store import open_store
from workbench.store.filters import decisions, override
from workbench.store.ratings import record_comparison
from workbench.store.runs import register_run
from workbench.store.schema import Pair, Response


def test_candidates_drop_empty_and_identical_answers_and_pair_two_models_first():
    assert clean("Paris<end_of_turn>\n", ["<end_of_turn>"]) == "Paris"
    answers = [("a", "Paris"), ("a", ""), ("b", " paris "), ("b", "Lyon")]
    pairs, dropped = candidate_pairs(answers, 10, random.Random(0))
    assert dropped == {"empty": 3, "identical": 1}
    assert pairs[0][0][0] != pairs[0][1][0]  # two models' answers come first
    assert {frozenset((x[1], y[1])) for x, y in pairs} == {frozenset(("Paris", "Lyon")), frozenset((" paris ", "Lyon"))}
    assert priority([0.5]) == 1.0 and priority([1.0]) == 0.0 and priority([0.75]) == 0.5
    assert priority([0.9, 0.1]) == priority([0.5, 0.5]) == 1.0  # the mean's closeness; disagreement adds nothing


@pytest.mark.slow
def test_pairs_like_the_rated_ties_are_expected_to_be_ties():
    import torch

    def pair(apart: float, where: float):  # two answers' states: how far apart, and where
        return torch.tensor([where, 0.0]), torch.tensor([where + apart, 0.0])

    rated = [pair(0.0, w) for w in (0.0, 0.1, 0.2, 0.3)] + [pair(2.0, w) for w in (0.0, 0.1, 0.2, 0.3)]
    decisive = [False] * 4 + [True] * 4  # the ties: two answers alike
    alike, apart = decisive_probability([pair(0.05, 0.15), pair(1.9, 0.15)], rated, decisive)
    assert alike < 0.3 < 0.7 < apart
    assert decisive_probability([pair(0.05, 0.15)], rated[:4], decisive[:4]) is None  # only ties seen: no model


def test_a_run_fills_the_queue_waits_for_ratings_and_reruns_on_ratings_and_overrides(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("WORKBENCH_CACHE", str(tmp_path / "cache"))
    recipe, run, db = tmp_path / "loop.yaml", tmp_path / "run", tmp_path / "store.db"
    recipe.write_text(RECIPE)
    command = ["run", str(recipe), "--run-dir", str(run)]

    # 1. No ratings yet: the run stops before `rm`, exit 3, with one line saying what to do.
    assert main(command) == 3
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"waiting: stage rm needs 2 ratings and the store has 0; rate 2 more with "
                   f"`workbench ui --run-dir {run} --db {db}`, then run the same command again"]
    stages = json.loads((run / "manifest.json").read_text())["stages"]
    assert {n for n, e in stages.items() if e["status"] == "done"} == {"world", "tok", "filtered", "to_rate"}
    rows = [json.loads(line) for line in (run / "to_rate" / "data" / "pairs.jsonl").read_text().splitlines()]
    assert rows and all("<end_of_turn>" not in r["completion"] and r["completion"].strip()
                        for row in rows for r in row["responses"])
    store = open_store(db)
    with store.reading() as session:
        pairs = session.scalars(select(Pair).order_by(Pair.id)).all()
        response = session.get(Response, pairs[0].first_id)
    assert len(pairs) == len(rows) and pairs[0].lineage[0]["stage"] == "to_rate"
    assert response.lineage[0]["model"] == "student" and response.lineage[0]["settings"]["max_new_tokens"] == 8
    assert response.run_id is not None and pairs[0].priority is None

    # 2. Two ratings: the same command continues; the manifest shows the count in rm's inputs.
    for pair, unsafe in zip(pairs[:2], (True, False)):
        record_comparison(store, "r1", pair.id, pair.first_id, pair.second_id, "B", unsafe_left=unsafe)
    assert main(command) == 0
    out = capsys.readouterr().out
    assert "rm (reward): done in" in out and "ranked (pairs): done in" in out and "(6/6 stages done)" in out
    assert f"[workbench] next: rate the {len(rows)} pairs of stage to_rate with `workbench ui --run-dir {run} " \
           f"--db {db}`, then run the same command again to retrain on them" in out  # what to do next, said
    stages = json.loads((run / "manifest.json").read_text())["stages"]
    assert stages["rm"]["inputs"]["store_ratings"] == "2"
    # every stage's entry says how much memory it took (this process's high-water mark, reset when the stage started)
    assert all(e["peak_rss_mib"] > 50 and e["peak_rss_since"] in ("stage start", "process start")
               for e in stages.values())
    assert "rm (reward): done in" in out and ", peak memory " in out.split("rm (reward): done in")[1].splitlines()[0]
    world_pairs = (run / "world" / "data" / "preference" / "train.jsonl").read_text().splitlines()
    trained_on = (run / "rm" / "preference.jsonl").read_text().splitlines()
    assert len(trained_on) == len(world_pairs) + 2  # the world's pairs and the two ratings
    ranked = [json.loads(line) for line in (run / "ranked" / "data" / "pairs.jsonl").read_text().splitlines()]
    assert ranked and all(0 <= row["priority"] <= 1.5 for row in ranked)
    with store.reading() as session:
        assert session.scalars(select(Pair.priority).where(Pair.priority.is_not(None))).all()

    # 3. Nothing new: everything skipped. A third rating: rm and what follows rerun, nothing else.
    assert main(command) == 0
    assert "done in" not in capsys.readouterr().out
    ranked_before = json.loads((run / "ranked" / "metrics.json").read_text())  # ratings of another stage's pairs
    assert ranked_before["tie_model_ratings"] == 0 and ranked_before["mean_decisive_probability"] is None
    with store.reading() as session:
        own = [p for p in session.scalars(select(Pair).order_by(Pair.id)).all()
               if any(e.get("stage") == "ranked" for e in p.lineage)]
    record_comparison(store, "r2", pairs[0].id, pairs[0].first_id, pairs[0].second_id, "A")
    record_comparison(store, "r2", own[0].id, own[0].first_id, own[0].second_id, "B")
    record_comparison(store, "r2", own[1].id, own[1].first_id, own[1].second_id, "tie")
    assert main(command) == 0
    out = capsys.readouterr().out
    assert "rm (reward): done in" in out and "ranked (pairs): done in" in out and "to_rate (pairs): done in" not in out
    assert json.loads((run / "manifest.json").read_text())["stages"]["rm"]["inputs"]["store_ratings"] == "4"
    ranked_after = json.loads((run / "ranked" / "metrics.json").read_text())  # its own pairs' tie is read
    assert (ranked_after["tie_model_ratings"], ranked_after["tie_model_ties"]) == (2, 1)
    assert 0 < ranked_after["mean_decisive_probability"] < 1

    # 4. An override in the store: `--only filtered` reruns it and says to_rate is stale; a full run reruns to_rate.
    register_run(store, run)  # what `workbench ui --run-dir` does: imports the filter's decisions
    kept = next(d for d in decisions(store) if d.action == "kept")
    override(store, kept.key, "drop", "me", "looks unsafe to me")
    assert main([*command, "--only", "filtered"]) == 0
    out = capsys.readouterr().out
    assert "filtered (filter): done in" in out and "(5/6 stages done; not up to date: to_rate (run without --only))" in out
    assert main(command) == 0
    out = capsys.readouterr().out
    assert "to_rate (pairs): done in" in out and "filtered: up to date" in out and "rm: up to date" in out
    assert json.loads((run / "filtered" / "metrics.json").read_text())["overrides"]

    # 5. Raters' unsafe flags as labelled data.
    assert main(["ratings", "export", "--db", str(db)]) == 2
    assert "give --out FILE.jsonl (preferences), --unsafe-flags FILE.jsonl" in capsys.readouterr().err
    assert main(["ratings", "export", "--unsafe-flags", str(tmp_path / "flags.jsonl"), "--db", str(db)]) == 0
    assert "1 flagged unsafe" in capsys.readouterr().out
    assert validate_file(tmp_path / "flags.jsonl", expect="unpaired_preference").rows >= 4
    store.close()
