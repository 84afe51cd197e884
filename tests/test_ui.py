"""The UI's pages, driven headless with Streamlit's AppTest against a real store and a hand-made run directory."""

from __future__ import annotations

import inspect
import json
import os
import re
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from helpers import TRICKY, assistant, decision_rows, make_run, pairs_file, rate, user, write_jsonl
from workbench.store import open_store
from workbench.store.filters import decisions, import_decisions, overrides_document
from workbench.store.preference_io import import_file
from workbench.store.ratings import next_pair, set_overlap, set_setting
from workbench.store.schema import Comparison, Pair, Prompt, Response

CHOICES = {"A is better": "A", "B is better": "B", "Tie": "tie", "Both bad": "both_bad"}
AppTest = pytest.importorskip("streamlit.testing.v1").AppTest
UI = Path(__file__).resolve().parents[1] / "ui"


@pytest.fixture(autouse=True)
def real_main_module(monkeypatch):
    """AppTest leaves the app script as sys.modules["__main__"]; put the real one back after each test, or processes
    spawned later (by any test) would run ui/app.py as their main module."""
    monkeypatch.setitem(sys.modules, "__main__", sys.modules["__main__"])


@pytest.fixture
def db(tmp_path, monkeypatch):
    """A store with five pairs to rate (one response of each full of HTML and markdown), and the UI pointed at it."""
    url = f"sqlite:///{tmp_path / 'workbench.db'}"
    monkeypatch.setenv("WORKBENCH_DB", url)
    monkeypatch.delenv("WORKBENCH_RUN_DIRS", raising=False)
    monkeypatch.syspath_prepend(str(UI))  # what `streamlit run ui/app.py` does for the pages' `import common`
    path = pairs_file(tmp_path / "pairs.jsonl", 4)
    with path.open("a") as f:
        f.write(json.dumps({"prompt": "show me a picture", "responses": [
            {"model": "sft", "stage": "sft", "completion": TRICKY}, {"model": "dpo", "stage": "dpo", "completion": "no"}]}) + "\n")
    store = open_store(url)
    import_file(store, path)
    yield store
    store.close()


def app(page: str) -> AppTest:
    at = AppTest.from_file(str(UI / "app.py"), default_timeout=30).run()
    assert not at.exception
    return at.switch_page(f"pages/{page}.py").run()


def submit(at: AppTest) -> AppTest:
    """Click the Rate page's "Submit rating" and rerun."""
    next(b for b in at.button if b.label == "Submit rating").click()
    at.run()
    assert not at.exception, at.exception
    return at


def test_highlighted_text_escapes_everything_and_marks_overlapping_spans(monkeypatch):
    monkeypatch.syspath_prepend(str(UI))
    from common import highlighted

    body = highlighted('say <b>hi</b> & ![x](y)', [(4, 12, "tag<>"), (8, 14, "overlap"), (50, 60, "outside")])
    assert body.endswith('say <mark title="tag&lt;&gt;">&lt;b&gt;hi&lt;/b</mark><mark title="overlap">&gt; </mark>'
                         '&amp; ![x](y)</pre>')


def test_rate_asks_for_a_name_then_shows_pairs_blind_and_records_choices(db):
    at = app("rate")
    assert at.info[0].value == "Type your name to start rating." and not at.code
    at.text_input(key="rater").input("ann").run()
    assert "0 rated by you, 5 left for you" in at.get("progress")[0].proto.text
    assert not any(name in md.value for md in at.markdown for name in ("sft", "dpo"))  # blind
    first = next_pair(db, "ann")
    assert [c.value for c in at.code] == ["question 0", first.left, first.right]

    submit(at)  # no choice yet
    assert at.warning[0].value == "Choose A, B, tie or both bad first."
    at.radio[0].set_value("B is better")
    at.checkbox[0].check()
    at.text_area[0].input("A is rude")
    submit(at)
    assert "1 rated by you, 4 left for you" in at.get("progress")[0].proto.text
    assert at.success[0].value == f"Saved your rating of pair {first.pair_id}."
    with db.reading() as session:
        row = session.scalars(select(Comparison)).one()
    assert (row.rater, row.pair_id, row.left_id, row.right_id, row.choice, row.unsafe_left, row.unsafe_right, row.comment) \
        == ("ann", first.pair_id, first.left_id, first.right_id, "B", True, False, "A is rude")

    for choice in ("Tie", "Both bad", "A is better", "A is better"):
        at.radio[0].set_value(choice)
        submit(at)
    assert at.success[1].value.startswith("Nothing left to rate")
    with db.reading() as session:
        assert [c.choice for c in session.scalars(select(Comparison).order_by(Comparison.id))] == ["B", "tie", "both_bad", "A", "A"]


def test_model_text_is_shown_as_text(db):
    at = app("rate")
    at.text_input(key="rater").input("ann").run()
    for _ in range(4):
        at.radio[0].set_value("Tie")
        submit(at)
    assert at.code[0].value == "show me a picture"
    assert TRICKY in [c.value for c in at.code]
    assert not any("evil.example" in md.value for md in at.markdown)  # never passed to a markdown element


@pytest.mark.slow  # trains a tokenizer and builds two models (~10 s)
def test_a_rater_asks_two_models_and_rates_their_answers_next(db, tmp_path, monkeypatch):
    from workbench.models import ModelSpec, load_model
    from workbench.tokenizer import train_tokenizer

    (tmp_path / "corpus.txt").write_text("\n".join(inspect.getdoc(o) for o in (json, re, inspect, Path)))
    train_tokenizer([tmp_path / "corpus.txt"], vocab_size=400, out_dir=tmp_path / "tok")
    run_dir = make_run(tmp_path / "run")
    for seed, stage in enumerate(("sft", "dpo")):
        model, tok = load_model(ModelSpec(preset="gemma2-tiny-student"), tokenizer=tmp_path / "tok", seed=seed)
        model.save_pretrained(run_dir / stage / "model")
        tok.save_pretrained(run_dir / stage / "model")
    (run_dir / "rm" / "model").mkdir(parents=True)  # a reward model cannot answer: not offered
    (run_dir / "rm" / "model" / "config.json").write_text(json.dumps({"architectures": ["Gemma2ForSequenceClassification"]}))
    monkeypatch.setenv("WORKBENCH_RUN_DIRS", str(run_dir))

    at = app("rate")
    at.text_input(key="rater").input("ann").run()
    assert at.selectbox[0].options == ["dpo", "sft"]
    at.text_area[0].input("What is the capital of France?")
    at.selectbox[0].set_value("sft")
    at.selectbox[1].set_value("dpo")
    at.number_input[0].set_value(4)
    at.button[0].click().run()
    assert not at.exception
    with db.reading() as session:
        pair = session.scalars(select(Pair).order_by(Pair.id.desc())).first()
        models = {session.get(Response, pair.first_id).model, session.get(Response, pair.second_id).model}
        settings = session.get(Response, pair.first_id).settings
    assert models == {"sft", "dpo"} and settings == {"max_new_tokens": 4, "do_sample": False}
    assert at.code[0].value == "What is the capital of France?"  # the asked pair comes next
    assert "0 rated by you, 6 left for you" in at.get("progress")[0].proto.text
    assert not any("<end_of_turn>" in c.value for c in at.code)


def test_safety_page_counts_filters_searches_and_overrides(db, tmp_path):
    folder = tmp_path / "filter"
    folder.mkdir()
    write_jsonl(folder / "decisions.jsonl", decision_rows())
    import_decisions(db, folder)
    at = app("safety")
    counts = at.dataframe[0].value
    assert counts.loc["email", "redacted"] == 1 and counts.loc["unsafe_request", "dropped"] == 1
    assert len(at.dataframe[1].value) == 2  # kept records are not listed
    at.multiselect(key="rules").set_value(["email"]).run()
    assert list(at.dataframe[1].value.rule) == ["email"]
    html = at.get("html")[0].proto.body
    assert 'mail me <mark title="EMAIL">a@example.org</mark>' in html
    at.multiselect(key="rules").set_value([]).run()
    at.text_input(key="search").input("harm").run()
    assert list(at.dataframe[1].value.rule) == ["unsafe_request"]

    decision = next(d for d in decisions(db) if d.rule == "unsafe_request")
    at.radio(key="override_action").set_value("keep")
    at.text_input(key="override_who").input("ann")
    at.text_area(key="override_why").input("a history question")
    at.button[0].click().run()
    assert not at.exception
    assert [(o["key"], o["action"], o["who"], o["why"]) for o in overrides_document(db)["overrides"]] == [
        (decision.key, "keep", "ann", "a history question")]
    assert at.text[0].value.startswith("Overridden: keep by ann") and at.success[0].value.startswith("Saved: keep")


def test_preference_page_filters_and_summarises_comparisons(db):
    set_overlap(db, 3)
    for rater, prefer in (("ann", "dpo"), ("bob", "dpo"), ("cat", "sft")):
        rate(db, rater, prefer)
    at = app("preferences")
    assert len(at.dataframe[0].value) == 15
    rates = at.dataframe[1].value.set_index("model")
    assert (rates.loc["dpo", "wins"], rates.loc["sft", "wins"], rates.loc["dpo", "comparisons"]) == (10, 5, 15)
    assert at.metric[0].label == "Krippendorff's alpha (5 pairs with 2+ raters)" and at.metric[0].value == "-0.400"
    assert at.metric[1].label.startswith("Fleiss' kappa (5 pairs with 3 raters each)")
    per_rater = at.dataframe[3].value.set_index("rater")
    assert list(per_rater.agreement) == [0.5, 0.5, 0.0] and list(per_rater.pairs) == [5, 5, 5]
    at.multiselect(key="raters").set_value(["cat"]).run()
    assert set(at.dataframe[0].value.rater) == {"cat"}
    at.text_input(key="search").input("picture").run()
    assert len(at.dataframe[0].value) == 1
    exported = at.get("download_button")[0]
    assert not at.exception and exported is not None


def test_runs_page_shows_stages_metrics_report_plots_and_one_prompt_at_a_time(db, tmp_path, monkeypatch):
    run_dir = make_run(tmp_path / "run")
    add_evaluation(run_dir)
    monkeypatch.setenv("WORKBENCH_RUN_DIRS", str(run_dir))
    at = app("runs")
    assert not at.exception
    stages = at.dataframe[0].value
    assert list(stages.stage) == ["filter", "sft", "dpo", "evaluate"]
    assert list(stages.status) == ["done", "done", "failed", "done"]
    metrics = at.dataframe[1].value
    assert metrics.loc["loss", "sft"] == 1.5 and metrics.loc["dropped", "filter"] == 1
    assert metrics.loc["sft.accuracy", "evaluate"] == 0.25
    assert at.get("arrow_line_chart") or at.get("vega_lite_chart")
    summary, skills = at.dataframe[2].value, at.dataframe[3].value
    assert list(summary.model) == ["sft", "dpo"] and list(summary.accuracy) == [0.25, 0.5]
    assert list(skills.skill) == ["add", "capital"] and list(skills.dpo) == [0.5, 1.0]
    assert len(at.get("image")) == 1  # the stage's PNG plot
    # one prompt at a time, each answer in its own block; a sample id full of markdown is shown as text only
    texts = [t.value for t in at.text]
    assert f"Prompt 1 of 3 · sample id {TRICKY}" in texts and "evaluate:dpo" in texts
    assert [c.value for c in at.code][-5:] == ["q0", "sft says 0", "dpo says 0", "sft evaluated", "dpo evaluated"]
    assert not any("evil.example" in md.value for md in at.markdown)
    at.text_input(key="sample_search").input("q2").run()
    assert [c.value for c in at.code][-5:] == ["q2", "sft says 2", "(no answer)", "(no answer)", "(no answer)"]


def test_runs_page_opens_only_the_run_directories_the_ui_was_started_with(db, tmp_path, monkeypatch):
    first, second = make_run(tmp_path / "first"), make_run(tmp_path / "second")
    monkeypatch.setenv("WORKBENCH_RUN_DIRS", f"{first}{os.pathsep}{second}")
    at = app("runs")
    assert [w.key for w in at.text_input] == ["sample_search"]  # no free-text path anywhere on the page ...
    assert at.selectbox(key="run").options == [str(first), str(second)]  # ... only the runs it was started with
    monkeypatch.setenv("WORKBENCH_RUN_DIRS", "")
    at = app("runs")
    assert at.info[0].value.startswith("No run to show")


def add_evaluation(run_dir: Path) -> None:
    """An evaluate stage with a report.json, a PNG plot and samples whose first id is full of markdown."""
    manifest = json.loads((run_dir / "manifest.json").read_text())
    manifest["stages"]["evaluate"] = {"kind": "evaluate", "status": "done", "metrics": {
        "sft": {"accuracy": 0.25}, "dpo": {"accuracy": 0.5}}}
    (run_dir / "manifest.json").write_text(json.dumps(manifest))
    (run_dir / "evaluate").mkdir()
    report = {"summary": {"sft": {"accuracy": 0.25, "reward_mean": None}, "dpo": {"accuracy": 0.5, "reward_mean": None}},
              "models": [{"model": "sft", "taskworld": {"skills": {"add": {"accuracy": 0.0}, "capital": {"accuracy": 0.5}}}},
                         {"model": "dpo", "taskworld": {"skills": {"add": {"accuracy": 0.5}, "capital": {"accuracy": 1.0}}}}],
              "stages": [{"name": "sft", "kind": "sft", "wall_time_s": 12.0}], "plots": ["skills.png"], "settings": {}}
    (run_dir / "evaluate" / "report.json").write_text(json.dumps(report))
    (run_dir / "evaluate" / "skills.png").write_bytes(PNG)
    samples = [json.loads(line) for line in (run_dir / "sft" / "samples.jsonl").read_text().splitlines()]
    samples[0]["id"] = TRICKY
    write_jsonl(run_dir / "sft" / "samples.jsonl", samples)
    dpo = [json.loads(line) for line in (run_dir / "dpo" / "samples.jsonl").read_text().splitlines()]
    dpo[0]["id"] = TRICKY
    write_jsonl(run_dir / "dpo" / "samples.jsonl", dpo)
    write_jsonl(run_dir / "evaluate" / "samples.jsonl", [{"id": TRICKY, "prompt": "q0", "response": f"{m} evaluated",
                                                          "stage": m} for m in ("sft", "dpo")])


PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c63f8ffff3f0005fe02fe"
                    "a7d6a4560000000049454e44ae426082")


# --- no rating lost, team rating -------------------------------------------------------------------------------


def rater_session(name: str) -> AppTest:
    at = app("rate")
    at.text_input(key="rater").input(name).run()
    return at


def on_screen(at: AppTest) -> tuple[str, str, str]:
    """(prompt, left response, right response) as the Rate page shows them."""
    prompt, left, right = [c.value for c in at.code if c.value][-3:]
    return prompt, left, right


def test_a_rating_is_stored_for_the_pair_shown_even_when_others_completed_that_pair_meanwhile(db):
    ann, bob, cat = rater_session("ann"), rater_session("bob"), rater_session("cat")
    assert on_screen(ann)[0] == on_screen(bob)[0] == on_screen(cat)[0] == "question 0"  # all given the same pair
    ann.radio[0].set_value("A is better")
    submit(ann)
    cat.radio[0].set_value("Tie")
    submit(cat)  # pair 1 now has its two raters and leaves every queue; bob's form still shows it
    bob.radio[0].set_value("B is better")
    bob.text_area[0].input("B is clearer")
    submit(bob)
    assert bob.success[0].value == "Saved your rating of pair 1." and not bob.error
    with db.reading() as session:
        rows = [(c.rater, c.pair_id, c.choice, c.comment) for c in session.scalars(select(Comparison).order_by(Comparison.id))]
    assert rows == [("ann", 1, "A", ""), ("cat", 1, "tie", ""), ("bob", 1, "B", "B is clearer")]
    assert on_screen(ann)[0] == on_screen(bob)[0] == "question 1"  # the next pair: ann and bob overlap again


def test_a_rating_that_cannot_be_stored_says_so_and_keeps_the_pair(db):
    ann = rater_session("ann")
    with db.writing() as session:  # the pair vanishes between showing and submitting
        session.execute(Pair.__table__.delete().where(Pair.id == 1))
    ann.radio[0].set_value("Tie")
    submit(ann)
    assert ann.error[0].value == "Your rating was NOT saved: no pair 1 in the store"
    assert on_screen(ann)[0] == "question 0" and ann.radio[0].value == "Tie"  # still there, as chosen
    next(b for b in ann.button if b.label == "Show another pair").click().run()
    assert on_screen(ann)[0] == "question 1"


def test_a_rater_revises_a_rating_in_the_order_first_shown_and_reads_the_guidelines(db):
    set_setting(db, "guidelines", "Prefer the correct answer. **Never** reward rudeness.")
    ann = rater_session("ann")
    assert ann.code[0].value == "Prefer the correct answer. **Never** reward rudeness."  # as text, beside the pair
    prompt, left, right = on_screen(ann)
    ann.radio[0].set_value("A is better")
    ann.text_area[0].input("first thought")
    submit(ann)
    ann.selectbox(key="revise_pair").set_value(1)
    next(b for b in ann.button if b.label == "Revise this rating").click().run()
    assert ann.info[0].value == "Revising your rating of pair 1."
    assert on_screen(ann) == (prompt, left, right)
    assert ann.radio[0].value == "A is better" and ann.text_area[0].value == "first thought"
    ann.radio[0].set_value("B is better")
    submit(ann)
    with db.reading() as session:
        rows = session.scalars(select(Comparison)).all()
    assert [(c.pair_id, c.choice, c.comment) for c in rows] == [(1, "B", "first thought")]
    assert on_screen(ann)[0] == "question 1"


def rate_through_the_page(names: list[str], submissions: int, barrier) -> list[tuple]:
    """Raters' sessions in one process of the load test: open the Rate page for each, wait for the other process,
    then submit `submissions` ratings per rater, taking turns; returns what was on screen for each submission:
    (rater, prompt, left, right, choice)."""
    sessions, submitted = {name: rater_session(name) for name in names}, []
    barrier.wait()
    for round_ in range(submissions):
        for name, at in sessions.items():
            prompt, left, right = on_screen(at)
            choice = ("A is better", "B is better", "Tie", "Both bad")[(round_ + len(submitted)) % 4]
            at.radio[0].set_value(choice)
            submit(at)
            if at.error:
                raise AssertionError(f"{name}: {at.error[0].value}")
            submitted.append((name, prompt, left, right, CHOICES[choice]))
    return submitted


@pytest.mark.slow  # 8 raters x 50 submissions through the Rate page (~30 s on 2 busy cores)
def test_eight_raters_submitting_fifty_ratings_each_through_the_rate_page_lose_and_duplicate_nothing(tmp_path, monkeypatch):
    """Eight raters, each an AppTest session of the Rate page, on one SQLite store with 200 pairs and overlap 2,
    submit 50 ratings each: two processes at the same time, each taking turns between four raters (so every pair
    a rater sees may be rated by others before they submit). Every submission must be stored exactly once, for the
    pair and the left/right order it showed."""
    import multiprocessing

    url = f"sqlite:///{tmp_path / 'load.db'}"
    monkeypatch.setenv("WORKBENCH_DB", url)
    monkeypatch.delenv("WORKBENCH_RUN_DIRS", raising=False)
    monkeypatch.syspath_prepend(str(UI))
    monkeypatch.syspath_prepend(str(Path(__file__).parent))
    store = open_store(url)
    import_file(store, pairs_file(tmp_path / "pairs.jsonl", 200))
    context = multiprocessing.get_context("spawn")
    barrier = context.Manager().Barrier(2)
    with context.Pool(2) as pool:
        jobs = [pool.apply_async(rate_through_the_page, ([f"rater-{i}" for i in range(p, 8, 2)], 50, barrier))
                for p in range(2)]
        expected = [row for job in jobs for row in job.get(timeout=600)]
    with store.reading() as session:
        responses = {r.id: r.text for r in session.scalars(select(Response))}
        prompts = {p.id: p.text for p in session.scalars(select(Prompt))}
        pairs = {p.id: p.prompt_id for p in session.scalars(select(Pair))}
        stored = [(c.rater, prompts[pairs[c.pair_id]], responses[c.left_id], responses[c.right_id], c.choice)
                  for c in session.scalars(select(Comparison))]
    store.close()
    lost = len(set(expected) - set(stored))
    duplicated = len(stored) - len(set(stored))
    print(f"8 raters x 50 submissions through the Rate page: {len(expected)} submitted, {len(stored)} stored, "
          f"lost {lost}, duplicated {duplicated}")
    assert (len(expected), len(stored), lost, duplicated) == (400, 400, 0, 0)
    assert sorted(stored) == sorted(expected)


# --- login ---------------------------------------------------------------------------------------------------


def test_served_beyond_this_machine_nothing_shows_before_a_token_and_the_token_decides_the_name(db, monkeypatch):
    from workbench.store.access import add_token

    bob_token, admin_token = add_token(db, "bob"), add_token(db, "ada", admin=True)
    monkeypatch.setenv("WORKBENCH_HOST", "0.0.0.0")
    at = AppTest.from_file(str(UI / "app.py"), default_timeout=30).run()
    assert [w.label for w in at.text_input] == ["Your token"] and not at.code and not at.radio  # nothing to rate
    at.text_input(key="token").input("guess")
    next(b for b in at.button if b.label == "Log in").click().run()
    assert at.error[0].value.startswith("Unknown token") and not at.code
    at.text_input(key="token").input(bob_token)
    next(b for b in at.button if b.label == "Log in").click().run()
    assert at.caption[0].value == "Rating as bob" and not [w for w in at.text_input if w.label == "Your name"]
    at.radio[0].set_value("Tie")
    submit(at)
    with db.reading() as session:
        assert [c.rater for c in session.scalars(select(Comparison))] == ["bob"]
    for page in ("safety", "preferences", "runs"):  # a rater sees no overrides, exports or runs
        at.switch_page(f"pages/{page}.py").run()
        assert at.error[0].value == "This page is for admins only." and not at.get("download_button")

    admin = AppTest.from_file(str(UI / "app.py"), default_timeout=30).run()
    admin.text_input(key="token").input(admin_token)
    next(b for b in admin.button if b.label == "Log in").click().run()
    admin.switch_page("pages/preferences.py").run()
    assert not admin.error and admin.get("download_button")


def test_on_this_machine_a_login_is_needed_only_once_the_store_has_tokens(db, monkeypatch):
    from workbench.store.access import add_token

    monkeypatch.delenv("WORKBENCH_HOST", raising=False)
    at = app("rate")
    assert at.text_input(key="rater")  # no tokens: a local user types a name
    add_token(db, "bob")
    at = AppTest.from_file(str(UI / "app.py"), default_timeout=30).run()
    assert [w.label for w in at.text_input] == ["Your token"]


def test_an_override_of_a_record_imported_twice_is_saved(db, tmp_path):
    for name in ("filter", "filter_again"):  # the same records from two filter outputs: two decisions per key
        folder = tmp_path / name
        folder.mkdir()
        write_jsonl(folder / "decisions.jsonl", decision_rows())
        import_decisions(db, folder)
    at = app("safety")
    copies = [d.id for d in decisions(db) if d.rule == "unsafe_request"]
    assert len(copies) == 2 and len(set(at.selectbox(key="record").options)) == len(at.selectbox(key="record").options)
    at.selectbox(key="record").set_value(copies[1]).run()
    at.radio(key="override_action").set_value("keep")
    at.text_input(key="override_who").input("ann")
    at.text_area(key="override_why").input("history")
    next(b for b in at.button if b.label == "Save override").click().run()
    assert not at.exception and at.success[0].value.startswith("Saved: keep record")
    assert [(o["action"], o["who"]) for o in overrides_document(db)["overrides"]] == [("keep", "ann")]


def test_safety_page_shows_category_and_score(db, tmp_path):
    """Every unsafe decision on the Safety page names its hazard category, the classifier's score and what decided."""

    folder = tmp_path / "filter"
    folder.mkdir()
    reason = "messages[1].content: [S9 Indiscriminate Weapons] lexicon: complies (gemma3-270m classifier P(unsafe) 0.93)"
    write_jsonl(folder / "decisions.jsonl", [{"key": "a" * 16, "action": "dropped", "rule": "unsafe",
                                             "reason": reason, "spans": [], "record": {"messages": user("q") + assistant("a")}}])
    import_decisions(db, folder)
    at = app("safety")
    table = at.dataframe[1].value
    assert list(table.category) == ["S9"] and list(table.score) == [0.93] and list(table["decided by"]) == ["lexicon"]
    assert any("hazard category **S9 Indiscriminate Weapons** · classifier P(unsafe) **0.93** · decided by **lexicon**"
               in m.value for m in at.markdown)
