"""The preference store: migrations, import/export of preference data, the rating queue, filter decisions and
overrides, statistics, run directories, the CLI, and concurrent writers."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, select, text

from helpers import assistant, decision_rows, make_run, pairs_file, rate, user, write_jsonl
from workbench.cli import main
from workbench.data import load_dataset, validate_file
from workbench.errors import DataError, WorkbenchError
from workbench.store import open_store
from workbench.store.filters import decisions, import_decisions, override, overrides_document
from workbench.store.preference_io import export_file, import_file, preference_rows
from workbench.store.ratings import left_is_first, next_pair, progress, record_comparison, set_overlap
from workbench.store.runs import history, register_run, side_by_side, stage_table
from workbench.store.schema import Base, Comparison
from workbench.store.stats import (agreement, choice_distribution, cohens_kappa, comparison_table, fleiss_kappa,
                                   krippendorff_alpha, win_rates)


@pytest.fixture
def store(tmp_path):
    """A new SQLite store, or with WORKBENCH_TEST_DB=URL (e.g. postgresql+psycopg://...) that database, emptied."""
    url = os.environ.get("WORKBENCH_TEST_DB")
    if url:
        engine = create_engine(url)
        with engine.begin() as connection:
            Base.metadata.drop_all(connection)
            connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
        engine.dispose()
    store = open_store(url or tmp_path / "workbench.db")
    yield store
    store.close()


# --- schema --------------------------------------------------------------------------------------------------


def test_a_new_store_is_migrated_to_the_models_schema_in_wal_mode(store, tmp_path):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    with store.engine.connect() as connection:
        context = MigrationContext.configure(connection)
        assert context.get_current_revision() == _head_revision()  # every migration ran
        assert compare_metadata(context, Base.metadata) == []  # the migration builds exactly the ORM's tables
        if store.engine.dialect.name == "sqlite":
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    assert set(inspect(store.engine).get_table_names()) >= {
        "prompts", "responses", "pairs", "comparisons", "filter_decisions", "filter_overrides", "runs"}
    open_store(tmp_path / "workbench.db").close()  # opening again finds it up to date


def _head_revision() -> str:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from workbench.store.db import _MIGRATIONS

    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    return ScriptDirectory.from_config(config).get_current_head()


def test_a_bad_database_url_is_a_one_line_error(tmp_path):
    with pytest.raises(WorkbenchError, match="--db nosuch://x: cannot open this database URL"):
        open_store("nosuch://x")
    (tmp_path / "file").write_text("")
    with pytest.raises(WorkbenchError, match="cannot create the store.s folder"):
        open_store(tmp_path / "file" / "sub.db")


# --- import and export ---------------------------------------------------------------------------------------


def test_trl_preference_files_of_every_form_round_trip_as_conversational_rows(store, tmp_path):
    conversational = write_jsonl(tmp_path / "conv.jsonl", [
        {"prompt": user("2+2?"), "chosen": assistant("4"), "rejected": assistant("5"), "meta": {"id": 1}}])
    standard = write_jsonl(tmp_path / "std.jsonl", [{"prompt": "capital of France?", "chosen": "Paris", "rejected": "Rome"}])
    implicit = write_jsonl(tmp_path / "implicit.jsonl", [
        {"chosen": user("hi") + assistant("hello"), "rejected": user("hi") + assistant("go away")}])
    for path in (conversational, standard, implicit):
        result = import_file(store, path)
        assert (result.kind, result.rows, result.pairs, result.comparisons) == ("preference", 1, 1, 1)
    assert import_file(store, conversational).pairs == 0  # idempotent

    out = tmp_path / "export.jsonl"
    assert export_file(store, out) == 3
    info = validate_file(out, expect="preference")
    assert (info.form, info.implicit_prompt, info.rows) == ("conversational", False, 3)
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    triples = {(r["prompt"][-1]["content"], r["chosen"][0]["content"], r["rejected"][0]["content"]) for r in rows}
    assert triples == {("2+2?", "4", "5"), ("capital of France?", "Paris", "Rome"), ("hi", "hello", "go away")}
    assert len(load_dataset(out, expect="preference")) == 3  # what the reward and dpo stages load


def test_response_pairs_are_checked_at_their_line(store, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"prompt": "x", "responses": [{"model": "a", "completion": "y"}, {"model": "b", "completion": "z"}]})
                   + "\n\n" + json.dumps({"prompt": "x", "responses": [{"model": "a", "completion": 3}, {"model": "b", "completion": "z"}]}) + "\n")
    with pytest.raises(DataError, match=r"bad.jsonl:3: column completion must be a string"):
        import_file(store, bad)
    bad.write_text(json.dumps({"prompt": "x", "responses": [{"model": "a", "completion": "y"}]}) + "\n")
    with pytest.raises(DataError, match=r"bad.jsonl:1: responses must be a list of exactly two"):
        import_file(store, bad)
    sft = write_jsonl(tmp_path / "sft.jsonl", [{"messages": user("a") + assistant("b")}])
    with pytest.raises(DataError, match="holds language_modeling rows"):
        import_file(store, sft)
    with pytest.raises(WorkbenchError, match="nothing to export"):
        export_file(store, tmp_path / "out.jsonl")


# --- rating --------------------------------------------------------------------------------------------------


def test_a_rater_works_through_a_blind_stable_queue(store, tmp_path):
    result = import_file(store, pairs_file(tmp_path / "pairs.jsonl", 6))
    assert (result.kind, result.pairs) == ("pairs", 6)
    assert progress(store, "ann") == {"rated": 0, "left": 6, "pairs": 6, "complete": 0, "overlap": 2}
    first = next_pair(store, "ann")
    assert next_pair(store, "ann") == first  # nothing changes until she rates it
    assert first.prompt == user("question 0")
    assert {first.left, first.right} == {"sft answer 0", "dpo answer 0"}
    assert 80 < sum(left_is_first("ann", pair) for pair in range(200)) < 120  # each order about half the time
    seen = []
    while (shown := next_pair(store, "ann")) is not None:
        seen.append(shown.pair_id)
        record_comparison(store, "ann", shown.pair_id, shown.left_id, shown.right_id, "A", unsafe_right=True, comment=" ok ")
    assert sorted(seen) == list(range(1, 7))
    assert progress(store, "ann") == {"rated": 6, "left": 0, "pairs": 6, "complete": 0, "overlap": 2}
    assert next_pair(store, "bob").pair_id == 1  # another rater's queue is his own

    # a second rating of the same pair replaces the first
    shown = first
    record_comparison(store, "ann", shown.pair_id, shown.right_id, shown.left_id, "tie")
    with store.reading() as session:
        rows = session.scalars(select(Comparison).where(Comparison.rater == "ann")).all()
    assert len(rows) == 6
    replaced = next(r for r in rows if r.pair_id == shown.pair_id)
    assert (replaced.choice, replaced.left_id, replaced.unsafe_right, replaced.comment) == ("tie", shown.right_id, False, "")
    assert next(r for r in rows if r.pair_id != shown.pair_id).comment == "ok"


def test_bad_ratings_are_refused(store, tmp_path):
    import_file(store, pairs_file(tmp_path / "pairs.jsonl", 2))
    shown = next_pair(store, "ann")
    with pytest.raises(WorkbenchError, match="unknown choice 'C'"):
        record_comparison(store, "ann", shown.pair_id, shown.left_id, shown.right_id, "C")
    with pytest.raises(WorkbenchError, match="not the two responses of pair"):
        record_comparison(store, "ann", shown.pair_id, shown.left_id, shown.left_id + 100, "A")
    with pytest.raises(WorkbenchError, match="needs a name"):
        record_comparison(store, "  ", shown.pair_id, shown.left_id, shown.right_id, "A")
    with pytest.raises(WorkbenchError, match="no pair 99"):
        record_comparison(store, "ann", 99, 1, 2, "A")


def test_export_leaves_out_ties_both_bad_and_unsafe_winners_and_can_take_the_majority(store, tmp_path):
    import_file(store, pairs_file(tmp_path / "pairs.jsonl", 4))
    set_overlap(store, 6)
    rate(store, "ann", "dpo")
    rate(store, "bob", "dpo")
    rate(store, "cat", "sft")
    rate(store, "dan", "tie")
    rate(store, "eve", "both_bad")
    shown = next_pair(store, "fay")  # fay prefers sft on one pair but flags it unsafe: not a preference to learn
    chosen_is_left = shown.left.startswith("sft")
    record_comparison(store, "fay", shown.pair_id, shown.left_id, shown.right_id, "A" if chosen_is_left else "B",
                      unsafe_left=chosen_is_left, unsafe_right=not chosen_is_left)

    each = preference_rows(store, "each")
    assert len(each) == 3 * 4  # ann, bob, cat
    assert sorted(r["meta"]["chosen_model"] for r in each).count("dpo") == 8
    majority = preference_rows(store, "majority")
    assert len(majority) == 4
    assert all(r["meta"]["chosen_model"] == "dpo" and r["meta"]["raters"] == "ann,bob" for r in majority)
    assert all(r["chosen"][0]["content"].startswith("dpo answer") for r in majority)
    with pytest.raises(WorkbenchError, match="unknown aggregate"):
        preference_rows(store, "mean")

    table = comparison_table(store)
    assert choice_distribution(table)["tie"] == 4 and choice_distribution(table)["both_bad"] == 4
    rates = {r["model"]: r for r in win_rates(table)}
    assert rates["dpo"]["wins"] == 8 and rates["sft"]["wins"] == 5 and rates["dpo"]["comparisons"] == 21
    assert rates["dpo"]["win_rate"] == round((8 + 4 / 2) / 21, 4)


# --- agreement -----------------------------------------------------------------------------------------------


def test_cohens_kappa_matches_the_textbook_example():
    # 50 items: both yes 20, A yes B no 5, A no B yes 10, both no 15 -> kappa 0.4 (Wikipedia, "Cohen's kappa")
    a = ["yes"] * 20 + ["yes"] * 5 + ["no"] * 10 + ["no"] * 15
    b = ["yes"] * 20 + ["no"] * 5 + ["yes"] * 10 + ["no"] * 15
    assert cohens_kappa(a, b) == pytest.approx(0.4)
    assert cohens_kappa(["x", "x"], ["x", "x"]) is None


def test_fleiss_kappa_matches_the_textbook_example():
    # 10 subjects, 14 raters, 5 categories -> kappa 0.210 (Wikipedia, "Fleiss' kappa")
    counts = [(0, 0, 0, 0, 14), (0, 2, 6, 4, 2), (0, 0, 3, 5, 6), (0, 3, 9, 2, 0), (2, 2, 8, 1, 1), (7, 7, 0, 0, 0),
              (3, 2, 6, 3, 0), (2, 5, 3, 2, 2), (6, 5, 2, 1, 0), (0, 2, 2, 3, 7)]
    items = [[category for category, n in enumerate(row) for _ in range(n)] for row in counts]
    assert fleiss_kappa(items) == pytest.approx(0.210, abs=5e-4)


def test_agreement_compares_outcomes_in_the_pairs_own_order(store, tmp_path):
    import_file(store, pairs_file(tmp_path / "pairs.jsonl", 4))
    set_overlap(store, 3)
    rate(store, "ann", "dpo")
    rate(store, "bob", "dpo")  # bob sees other sides than ann on some pairs, yet agrees with her on every outcome
    rate(store, "cat", "sft")
    result = agreement(comparison_table(store))
    kappas = {c["raters"]: c["kappa"] for c in result["cohen"]}
    assert kappas[("ann", "bob")] is None  # total agreement on a single outcome: chance agreement is 1
    assert result["fleiss"]["raters_per_pair"] == 3 and result["fleiss"]["pairs"] == 4
    assert result["fleiss"]["kappa"] == pytest.approx(-0.5)  # two agree, one always disagrees


# --- filter decisions ----------------------------------------------------------------------------------------


def test_filter_decisions_import_override_and_export(store, tmp_path):
    folder = tmp_path / "filter"
    folder.mkdir()
    write_jsonl(folder / "decisions.jsonl", decision_rows())
    assert import_decisions(store, folder) == 3
    assert import_decisions(store, folder) == 3  # again: updated, not duplicated
    found = decisions(store)
    assert [d.action for d in found] == ["dropped", "redacted", "kept"]
    assert found[1].spans == [[8, 21, "EMAIL", "text"]] and found[0].override is None

    override(store, found[0].key, "keep", "ann", "a question about history")
    override(store, found[1].key, "drop", "bob", "still identifying")
    override(store, found[0].key, "drop", "cat", "on reflection, harmful")  # the latest wins
    document = overrides_document(store)
    assert [(o["key"], o["action"], o["who"]) for o in document["overrides"]] == [("a" * 16, "drop", "cat"), ("b" * 16, "drop", "bob")]
    assert document["overrides"][0]["at"].endswith("+00:00")
    assert decisions(store)[0].override == "drop"
    assert import_decisions(store, folder) == 3 and decisions(store)[0].override == "drop"  # overrides outlive re-imports
    with pytest.raises(WorkbenchError, match="needs who made it and why"):
        override(store, found[2].key, "keep", "ann", " ")
    with pytest.raises(WorkbenchError, match="unknown override"):
        override(store, found[2].key, "redact", "ann", "x")
    with pytest.raises(WorkbenchError, match="no filter decision for record 0000"):
        override(store, "0000", "keep", "ann", "x")


def test_the_safety_filters_output_imports_with_each_record_as_it_came_in(store, tmp_path):
    records = [{"messages": user("Who should I write to?") + assistant("Write to jane.doe@example.org today.")},
               {"messages": user("What is 2+2?") + assistant("4")},
               {"messages": user("What is 2+2?") + assistant("4")}]
    data = write_jsonl(tmp_path / "sft.jsonl", records)
    assert main(["filter", str(data), "--out", str(tmp_path / "filtered"), "--rules", "pii,duplicate"]) == 0
    assert import_decisions(store, tmp_path / "filtered") == 3
    redacted, kept, duplicate = decisions(store)
    assert (redacted.action, redacted.rule, redacted.record) == ("redacted", "pii", records[0])
    start, end, label, path = redacted.spans[0]
    assert path == "messages[1].content" and records[0]["messages"][1]["content"][start:end] == "jane.doe@example.org"
    assert (kept.action, duplicate.action, duplicate.rule, duplicate.key) == ("kept", "dropped", "duplicate", kept.key)
    assert duplicate.record == records[2]

    override(store, redacted.key, "keep", "ann", "a public address")
    overrides = tmp_path / "overrides.json"
    assert main(["filter-decisions", "overrides", "--out", str(overrides), "--db", store.url]) == 0
    assert main(["filter", str(data), "--out", str(tmp_path / "again"), "--rules", "pii,duplicate",
                 "--overrides", str(overrides)]) == 0  # the filter reads the store's export as it is
    again = [json.loads(line) for line in (tmp_path / "again" / "decisions.jsonl").read_text().splitlines()]
    assert again[0]["action"] == "kept" and (again[0]["override"]["action"], again[0]["override"]["who"]) == ("keep", "ann")


def test_a_record_missing_from_the_filters_output_is_imported_empty(store, tmp_path):
    folder = tmp_path / "filtered"
    folder.mkdir()
    write_jsonl(folder / "decisions.jsonl", [{"key": "k" * 16, "index": 0, "action": "redacted", "rule": "pii",
                                              "reason": "email", "spans": [[0, 3, "email", "text"]]}])
    (folder / "summary.json").write_text(json.dumps({"input": str(tmp_path / "gone.jsonl")}))
    assert import_decisions(store, folder) == 1
    assert decisions(store)[0].record == {}


def test_bad_decision_files_are_refused_at_their_line(store, tmp_path):
    folder = tmp_path / "filter"
    folder.mkdir()
    rows = decision_rows()
    rows[1]["action"] = "maybe"
    write_jsonl(folder / "decisions.jsonl", rows)
    with pytest.raises(DataError, match=r"decisions.jsonl:2: action must be one of kept, redacted, dropped"):
        import_decisions(store, folder)
    with pytest.raises(WorkbenchError, match="no decisions.jsonl here"):
        import_decisions(store, tmp_path)


# --- runs ----------------------------------------------------------------------------------------------------


def test_a_run_directory_shows_stages_curves_and_side_by_side_answers(store, tmp_path):
    run_dir = make_run(tmp_path / "runs" / "demo")
    table = stage_table(run_dir)
    assert [(r["stage"], r["status"]) for r in table] == [("filter", "done"), ("sft", "done"), ("dpo", "failed")]
    assert [row["loss"] for row in history(run_dir, "sft")] == [3.0, 1.5, 1.0]
    stages, rows = side_by_side(run_dir)
    assert stages == ["sft", "dpo"]
    assert rows[0] == {"id": "0", "prompt": "q0", "sft": "sft says 0", "dpo": "dpo says 0"}
    assert rows[2]["dpo"] is None
    # An evaluate stage's file holds one row per model and id: one column per model.
    (run_dir / "manifest.json").write_text(json.dumps({"stages": {"evaluate": {"kind": "evaluate", "status": "done"}}}))
    (run_dir / "evaluate").mkdir()
    write_jsonl(run_dir / "evaluate" / "samples.jsonl", [{"id": 0, "prompt": "q0", "response": f"{m} says 0", "stage": m}
                                                         for m in ("sft", "dpo")])
    assert side_by_side(run_dir) == (["evaluate:sft", "evaluate:dpo"],
                                     [{"id": "0", "prompt": "q0", "evaluate:sft": "sft says 0", "evaluate:dpo": "dpo says 0"}])
    make_run(tmp_path / "runs" / "demo2")
    assert register_run(store, tmp_path / "runs" / "demo2") == 3 and len(decisions(store)) == 3
    with pytest.raises(WorkbenchError, match="no manifest.json"):
        stage_table(tmp_path)


# --- command line --------------------------------------------------------------------------------------------


def test_cli_imports_exports_and_reports_user_errors_in_one_line(tmp_path, capsys):
    db = str(tmp_path / "cli.db")
    pref = write_jsonl(tmp_path / "pref.jsonl", [{"prompt": "a?", "chosen": "yes", "rejected": "no"}])
    assert main(["ratings", "import", str(pref), "--db", db, "--rater", "ann"]) == 0
    assert "1 comparisons by 'ann'" in capsys.readouterr().out
    out = tmp_path / "out.jsonl"
    assert main(["ratings", "export", "--out", str(out), "--db", db]) == 0
    assert validate_file(out, expect="preference").form == "conversational"

    folder = tmp_path / "filter"
    folder.mkdir()
    write_jsonl(folder / "decisions.jsonl", decision_rows())
    assert main(["filter-decisions", "import", str(folder), "--db", db]) == 0
    store = open_store(db)
    override(store, decisions(store)[0].key, "keep", "ann", "fine")
    store.close()
    overrides = tmp_path / "overrides.json"
    assert main(["filter-decisions", "overrides", "--out", str(overrides), "--db", db]) == 0
    assert json.loads(overrides.read_text())["overrides"][0]["action"] == "keep"
    capsys.readouterr()

    assert main(["ratings", "import", str(tmp_path / "missing.jsonl"), "--db", db]) == 2
    assert main(["ratings", "export", "--out", str(tmp_path / "x.csv"), "--db", db]) == 2
    assert main(["ui", "--db", "nosuch://x"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 3 and all(line.startswith("error: ") for line in err)
    assert "missing.jsonl: no such file" in err[0]


# --- concurrency ---------------------------------------------------------------------------------------------


def test_concurrent_raters_lose_and_duplicate_nothing(tmp_path):
    from bench.store_load import run

    result = run(str(tmp_path / "load.db"), processes=8, ratings=25)
    assert result["expected"] == result["acknowledged"] == result["rows"] == 200
    assert result["lost"] == 0 and result["duplicated"] == 0


# --- the export trains a reward model ------------------------------------------------------------------------


@pytest.mark.slow  # trains a tokenizer and a tiny reward model for a few steps (~10 s)
def test_trls_reward_trainer_trains_on_the_export_as_it_is(store, tmp_path):
    """The `reward` stage is not written yet; TRL's RewardTrainer, which it will use, takes the export unconverted."""
    import inspect
    import re

    from transformers import AutoModelForSequenceClassification
    from trl import RewardConfig, RewardTrainer

    from workbench.models import ModelSpec, load_model
    from workbench.tokenizer import train_tokenizer

    (tmp_path / "corpus.txt").write_text("\n".join(inspect.getdoc(o) for o in (json, re, inspect, Path)))
    train_tokenizer([tmp_path / "corpus.txt"], vocab_size=400, out_dir=tmp_path / "tok")
    import_file(store, pairs_file(tmp_path / "pairs.jsonl", 8))
    rate(store, "ann", "dpo")
    export_file(store, tmp_path / "preference.jsonl")

    model, tokenizer = load_model(ModelSpec(preset="gemma2-tiny-student"), tokenizer=tmp_path / "tok",
                                  model_class=AutoModelForSequenceClassification, num_labels=1)
    args = RewardConfig(output_dir=str(tmp_path / "reward"), max_steps=4, per_device_train_batch_size=4, use_cpu=True,
                        bf16=False, activation_checkpointing=False, report_to=[], logging_steps=1, save_strategy="no",
                        learning_rate=1e-3)
    trainer = RewardTrainer(model=model, args=args, processing_class=tokenizer,
                            train_dataset=load_dataset(tmp_path / "preference.jsonl", expect="preference"))
    trainer.train()
    losses = [h["loss"] for h in trainer.state.log_history if "loss" in h]
    assert len(losses) == 4 and losses[-1] < losses[0]


def test_reading_commands_do_not_create_a_store(tmp_path, capsys):
    missing = tmp_path / "nowhere" / "w.db"
    assert main(["ratings", "export", "--out", str(tmp_path / "e.jsonl"), "--db", str(missing)]) == 2
    assert main(["filter-decisions", "overrides", "--out", str(tmp_path / "o.json"), "--db", str(missing)]) == 2
    err = capsys.readouterr().err
    assert err.count("no store there") == 2 and "Traceback" not in err
    assert not missing.parent.exists() and not (tmp_path / "e.jsonl").exists()


def test_a_failed_import_leaves_no_new_store_behind(tmp_path, capsys):
    """Importing a bad file into a store that did not exist yet fails in one line and removes the store it made;
    into an existing store it fails the same way and keeps what was there."""
    new = tmp_path / "new.db"
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"prompt": "hi", "chosen": "a"}\n')  # no `rejected`: not a preference row
    assert main(["ratings", "import", str(bad), "--db", str(new)]) == 2
    assert main(["filter-decisions", "import", str(tmp_path / "no_filter_output"), "--db", str(new)]) == 2
    assert not any(tmp_path.glob("new.db*"))
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2 and all(line.startswith("error: ") for line in err)

    good = tmp_path / "good.jsonl"
    good.write_text(json.dumps({"prompt": "hi", "chosen": "hello", "rejected": "go away"}) + "\n")
    assert main(["ratings", "import", str(good), "--db", str(new)]) == 0
    assert main(["ratings", "import", str(bad), "--db", str(new)]) == 2
    assert main(["ratings", "export", "--out", str(tmp_path / "e.jsonl"), "--db", str(new)]) == 0
    assert len((tmp_path / "e.jsonl").read_text().splitlines()) == 1


# --- team rating -----------------------------------------------------------------------------------------------


def test_raters_overlap_each_pair_is_offered_until_overlap_raters_rated_it(store, tmp_path):
    import_file(store, pairs_file(tmp_path / "pairs.jsonl", 4))

    def rate_one(rater):
        shown = next_pair(store, rater)
        record_comparison(store, rater, shown.pair_id, shown.left_id, shown.right_id, "tie")
        return shown.pair_id

    assert [rate_one("ann"), rate_one("ann")] == [1, 2]
    assert [rate_one("bob"), rate_one("bob"), rate_one("bob")] == [1, 2, 3]  # ann's pairs first: they overlap
    assert rate_one("cat") == 3  # pairs 1 and 2 have their two raters: cat completes 3, then takes 4
    assert rate_one("cat") == 4
    assert next_pair(store, "dan").pair_id == 4 and rate_one("ann") == 4
    assert next_pair(store, "dan") is None  # every pair has two raters
    assert progress(store, "dan") == {"rated": 0, "left": 0, "pairs": 4, "complete": 4, "overlap": 2}
    set_overlap(store, 3)
    assert next_pair(store, "dan").pair_id == 1
    with pytest.raises(WorkbenchError, match="overlap 0: give how many raters"):
        set_overlap(store, 0)


def test_gold_pairs_go_to_every_rater_and_measure_their_accuracy(store, tmp_path):
    from workbench.store.gold import gold_answers, import_gold
    from workbench.store.stats import rater_table

    import_file(store, pairs_file(tmp_path / "pairs.jsonl", 2))
    gold = write_jsonl(tmp_path / "gold.jsonl", [{"prompt": "2+2?", "chosen": "4", "rejected": "5"},
                                                 {"prompt": "capital of France?", "chosen": "Paris", "rejected": "Rome"}])
    assert import_gold(store, gold) == (2, 2) and import_gold(store, gold) == (2, 0)
    assert sorted(gold_answers(store).values()) == ["first", "first"]
    set_overlap(store, 1)
    for rater, right in (("ann", True), ("bob", False), ("cat", True)):
        while (shown := next_pair(store, rater)) is not None:
            correct = shown.left in ("4", "Paris")
            choice = "A" if correct == right else "B"
            record_comparison(store, rater, shown.pair_id, shown.left_id, shown.right_id, choice)
    table = {row["rater"]: row for row in rater_table(comparison_table(store), gold_answers(store))}
    assert {r: (row["gold_pairs"], row["gold_accuracy"]) for r, row in table.items()} == {
        "ann": (2, 1.0), "bob": (2, 0.0), "cat": (2, 1.0)}  # overlap 1, yet every rater got both gold pairs
    assert table["ann"]["pairs"] == 4 and table["cat"]["pairs"] == 2  # the two ordinary pairs went to ann only
    with pytest.raises(DataError, match="gold pairs are preference rows with an explicit prompt"):
        import_gold(store, pairs_file(tmp_path / "not_gold.jsonl", 1))


def test_krippendorffs_alpha_matches_krippendorffs_own_example():
    # Krippendorff (2011), "Computing Krippendorff's alpha-reliability": 4 coders, 12 units, missing values; nominal 0.743
    coders = ["1 2 3 3 2 1 4 1 2 . . .", "1 2 3 3 2 2 4 1 2 5 . 3", ". 3 3 3 2 3 4 2 2 5 1 .", "1 2 3 3 2 4 4 1 2 5 1 ."]
    units = [[v for v in unit if v != "."] for unit in zip(*(c.split() for c in coders))]
    assert krippendorff_alpha(units) == pytest.approx(0.743, abs=5e-4)
    assert krippendorff_alpha([["a", "a"], ["a", "a"]]) is None and krippendorff_alpha([["a"]]) is None


def test_cli_sets_guidelines_overlap_gold_and_tokens(tmp_path, capsys):
    from workbench.store.access import tokens, user_for_token
    from workbench.store.ratings import guidelines, overlap

    db = str(tmp_path / "team.db")
    (tmp_path / "guide.txt").write_text("Prefer correct answers.\n")
    assert main(["ratings", "guidelines", str(tmp_path / "guide.txt"), "--db", db]) == 0
    assert main(["ratings", "overlap", "3", "--db", db]) == 0
    gold = write_jsonl(tmp_path / "gold.jsonl", [{"prompt": "2+2?", "chosen": "4", "rejected": "5"}])
    assert main(["ratings", "gold", str(gold), "--db", db]) == 0
    capsys.readouterr()
    assert main(["ratings", "tokens", "add", "ann", "--db", db]) == 0
    token = capsys.readouterr().out.splitlines()[-1]
    assert main(["ratings", "tokens", "add", "ada", "--admin", "--db", db]) == 0
    store = open_store(db, create=False)
    assert guidelines(store) == "Prefer correct answers." and overlap(store) == 3
    assert user_for_token(store, token).name == "ann" and not user_for_token(store, token).admin
    assert user_for_token(store, "nope") is None and [u.admin for u in tokens(store)] == [True, False]
    with store.reading() as session:  # only the token's hash is stored
        assert token not in json.dumps([list(r) for r in session.execute(text("SELECT * FROM rater_tokens"))], default=str)
    assert main(["ratings", "tokens", "remove", "ann", "--db", db]) == 0
    assert user_for_token(store, token) is None
    store.close()
    capsys.readouterr()
    assert main(["ratings", "tokens", "remove", "ann", "--db", db]) == 2
    assert main(["ratings", "guidelines", str(tmp_path / "none.txt"), "--db", db]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2 and "no token for 'ann'" in err[0] and "cannot read the guidelines" in err[1]


# --- databases that are not ours -------------------------------------------------------------------------------


def test_a_missing_corrupt_or_foreign_database_is_one_line_and_leaves_no_file(tmp_path, capsys):
    import sqlite3

    corrupt = tmp_path / "corrupt.db"
    corrupt.write_bytes(b"this is not a database" * 200)
    foreign = tmp_path / "foreign.db"
    with sqlite3.connect(foreign) as connection:
        connection.execute("CREATE TABLE customers (id INTEGER)")
    newer = tmp_path / "newer.db"
    open_store(newer).close()
    with sqlite3.connect(newer) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '9999'")
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir() if not p.name.endswith("-shm")}
    pref = write_jsonl(tmp_path / "pref.jsonl", [{"prompt": "a?", "chosen": "yes", "rejected": "no"}])
    capsys.readouterr()
    for db in (corrupt, foreign, newer, tmp_path / "missing.db"):
        assert main(["ui", "--db", str(db)]) == 2
        assert main(["ratings", "export", "--out", str(tmp_path / "out.jsonl"), "--db", str(db)]) == 2
        if db.name != "missing.db":
            assert main(["ratings", "import", str(pref), "--db", str(db)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 11 and all(line.startswith("error: --db ") for line in err) and "Traceback" not in "".join(err)
    assert "file is not a database" in err[0] and "not a workbench store (it has other tables: customers)" in err[3]
    assert "written by a newer workbench (schema revision 9999)" in err[6] and "no store there" in err[9]
    after = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.name != "pref.jsonl" and not p.name.endswith("-shm")}
    assert after == before  # nothing written, nothing new (no -wal, no empty missing.db, no out.jsonl)


def test_ui_beyond_this_machine_needs_a_token_in_the_store_first(tmp_path, capsys):
    db = str(tmp_path / "w.db")
    open_store(db).close()
    assert main(["ui", "--db", db, "--host", "0.0.0.0"]) == 2
    assert "the UI then needs a login, and the store has no tokens yet" in capsys.readouterr().err


def test_the_queue_offers_the_highest_priority_pair_first(store, tmp_path):
    """The pairs stage's priority (reward-model uncertainty) orders a fresh rater's queue; pairs without one last."""
    import_file(store, pairs_file(tmp_path / "pairs.jsonl", 4))
    from workbench.store.schema import Pair

    with store.writing() as session:
        ids = sorted(session.scalars(select(Pair.id)))
        session.get(Pair, ids[2]).priority = 0.9
        session.get(Pair, ids[1]).priority = 0.1
    order = []
    while (shown := next_pair(store, "ann")) is not None:
        order.append(shown.pair_id)
        record_comparison(store, "ann", shown.pair_id, shown.left_id, shown.right_id, "A")
    assert order == [ids[2], ids[1], ids[0], ids[3]]
