"""Rubrics (verifiers for a user's own data): matching facts, strict checking through `workbench data validate`, the
shipped examples/lora rubric, the scripted rater on the rating store, and the evaluate stage's accuracy per group
with paired gains."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from workbench.cli import main
from workbench.errors import WorkbenchError
from workbench.rubric import ScriptedRater, load_rubric, validate

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "lora"


def write(path: Path, rows: list) -> Path:
    path.write_text("".join((row if isinstance(row, str) else json.dumps(row)) + "\n" for row in rows))
    return path


def user(text: str) -> list[dict]:
    return [{"role": "user", "content": text}]


RUBRIC = [
    {"id": "hours", "group": "seen", "prompt": "When do you open?", "must": [["9:00", "nine"]], "must_not": ["sunday"]},
    {"id": "price", "group": "reworded", "prompt": "What does a tune-up cost?", "must": [{"regex": r"€\s?49\b"}]},
    {"id": "poem", "group": "reworded", "prompt": "Write a poem.", "must": [["sorry", "only help"]]},
]


def test_keywords_match_whole_words_any_of_and_ignore_case(tmp_path):
    rubric = load_rubric(write(tmp_path / "r.jsonl", [
        {"id": "a", "group": "g", "must": [["ten euros", "€10"], "helmet"], "must_not": [{"regex": r"\bopen\s+sundays?"}]}]))
    entry = rubric.by_id["a"]
    assert entry.check("A HELMET costs ten\n euros.").correct  # case, any whitespace inside a phrase
    assert entry.check("Helmets: €10.").stated == (True, False)  # "helmet" is a whole word, not a prefix
    assert not entry.check("A helmet is €100.").stated[0]  # "€10" ends with a word character: no match inside €100
    verdict = entry.check("Helmet €10, and we are open on Sunday... no: OPEN  SUNDAYS")
    assert verdict.said == (True,) and not verdict.correct and verdict.score == 2 - 1


@pytest.mark.parametrize("row, message", [
    ({"id": "a", "group": "g", "must": [{"regex": "(unclosed"}]}, "must[0]: bad regular expression '(unclosed'"),
    ({"id": "a", "group": "g", "must": ["x"], "mustnt": ["y"]}, "unknown key 'mustnt'"),
    ({"id": "a", "group": "g", "must": []}, "`must` must be a non-empty list"),
    ({"id": "a", "group": "g", "must": ["x", []]}, "must[1]: a fact is a keyword, a non-empty list of keywords"),
    ({"id": "a", "group": "g", "must": [{"regex": "x", "flags": "i"}]}, 'must[0]: an object fact is {"regex"'),
    ({"id": "a", "must": ["x"]}, "`group` must be a non-empty string"),
    ({"group": "g", "must": ["x"]}, "the entry names no prompt"),
    ({"id": "a", "group": "g", "prompt": [{"role": "assistant", "content": "hi"}], "must": ["x"]},
     "must end with the user's message"),
])
def test_a_bad_entry_is_one_line_with_file_and_line_and_exit_2(tmp_path, capsys, row, message):
    path = write(tmp_path / "r.jsonl", [RUBRIC[0], row])
    assert main(["data", "validate", str(path), "--expect", "rubric"]) == 2
    assert main(["data", "validate", str(path)]) == 2  # recognised as a rubric without --expect
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 2 and lines[0] == lines[1]
    assert lines[0].startswith(f"error: {path}:2: ") and message in lines[0], lines[0]


def test_a_rubric_with_a_typo_on_its_first_line_is_still_recognised(tmp_path, capsys):
    path = write(tmp_path / "r.jsonl", [{"id": "a", "group": "g", "mustnt": ["y"]}, RUBRIC[0]])
    assert main(["data", "validate", str(path)]) == 2
    assert capsys.readouterr().err.strip() == f"error: {path}:1: unknown key 'mustnt'; an entry has id, group, prompt, " \
                                              "must, must_not"


def test_duplicate_prompts_are_refused(tmp_path):
    path = write(tmp_path / "r.jsonl", [RUBRIC[0], {**RUBRIC[1], "prompt": "When do you open?"}])
    with pytest.raises(WorkbenchError, match=r"r.jsonl:2: the same prompt as the entry on line 1"):
        load_rubric(path)


def test_shipped_rubric_validates_and_accepts_the_reference_answers(capsys):
    path = EXAMPLES / "rubric.jsonl"
    assert main(["data", "validate", str(path)]) == 0
    assert "type=rubric rows=30 groups=3 (eval, reworded, off_topic)" in capsys.readouterr().out
    assert validate(path, expect="rubric").rows == 30
    rubric = load_rubric(path)
    for line in (EXAMPLES / "eval.jsonl").read_text().splitlines():  # every held-out question has an entry ...
        messages = json.loads(line)["messages"]
        entry = rubric.entry_for(messages[:-1])
        assert entry is not None and entry.group == "eval"
        assert entry.check(messages[-1]["content"]).correct, entry.id  # ... that the reference answer passes
        assert not entry.check("I don't know.").correct
    train_prompts = {json.loads(line)["messages"][-2]["content"] for line in (EXAMPLES / "train.jsonl").open()}
    reworded = [e for e in rubric.entries if e.group == "reworded"]
    assert len(reworded) >= 10 and not any(e.prompt[-1]["content"] in train_prompts for e in reworded)


def test_the_training_rubric_gives_the_reference_answers_full_marks_and_docks_an_invented_price():
    rubric = load_rubric(EXAMPLES / "rubric-train.jsonl")
    answers = {json.loads(line)["messages"][-2]["content"]: json.loads(line)["messages"][-1]["content"]
               for line in (EXAMPLES / "train.jsonl").open()}
    for entry in rubric.entries:
        reference = answers[entry.prompt[-1]["content"]]
        assert entry.check(reference).correct and entry.check(reference).score == len(entry.must), entry.id
        assert entry.check("A new chain is €999.").said == (True,)  # no shop price is €999
        assert entry.check("A new chain is €1,690 or €20.").said == (False,)  # both are shop prices


def test_scripted_rater_rates_the_store_by_the_rubric(tmp_path):
    from workbench.store import open_store
    from workbench.store.preference_io import import_file
    from workbench.store.stats import comparison_table

    def responses(good, bad):
        return [{"model": "good", "completion": [{"role": "assistant", "content": good}]},
                {"model": "bad", "completion": [{"role": "assistant", "content": bad}]}]

    pairs = write(tmp_path / "pairs.jsonl", [
        {"prompt": user("When do you open?"), "responses": responses("At 9:00.", "At 9:00, also on Sunday.")},
        {"prompt": user("What does a tune-up cost?"), "responses": responses("It is € 49.", "It is €490.")},
        {"prompt": user("Write a poem."), "responses": responses("Roses are red.", "Violets are blue.")}])
    store = open_store(tmp_path / "ratings.db")
    import_file(store, pairs)
    rater = ScriptedRater(load_rubric(write(tmp_path / "r.jsonl", RUBRIC)))
    assert rater.rate_store(store) == 3 and rater.rate_store(store) == 0  # its queue is empty afterwards
    table = {row["prompt"]: row for row in comparison_table(store)}
    assert {row["rater"] for row in table.values()} == {"rubric-rater"}
    assert table["When do you open?"]["winner_model"] == "good"
    assert table["What does a tune-up cost?"]["winner_model"] == "good"
    assert table["Write a poem."]["choice"] == "tie"  # both miss the one fact: equal scores
    store.close()
    with pytest.raises(WorkbenchError, match=r"no rubric entry for the prompt 'Hello\?'"):
        rater.rate(user("Hello?"), "a", "b")


def test_scripted_rater_can_rate_by_the_task_world_verifiers():
    from workbench.rubric import taskworld_score

    rows = [{"prompt": user("What is 12 plus 45?"), "meta": {"check": "number", "answer": 57, "id": "a"}}]
    rater = ScriptedRater(score=taskworld_score(rows), name="verifier")
    assert rater.rate(user("What is 12 plus 45?"), "12 + 45 = 57.", "It is 56.") == "A"
    assert rater.rate(user("What is 12 plus 45?"), "56", "58") == "tie"
    with pytest.raises(WorkbenchError, match="no task-world prompt"):
        rater.rate(user("What is 1 plus 1?"), "2", "3")


RECIPE = """
name: rubric-eval
seed: 0
models:
  a: {preset: gemma2-tiny-student, tokenizer: tok}
  b: {preset: gemma2-tiny-student, tokenizer: tok}
stages:
  - {kind: taskworld, name: world, n: 40, corpus_docs: 100}
  - {kind: tokenizer, name: tok, corpus: world, vocab_size: 400}
  - {kind: evaluate, name: own_prompts, models: [a, b], rubric: rubric.jsonl, max_new_tokens: 4}
  - {kind: evaluate, name: chat_file, models: [a, b], rubric: rubric.jsonl, data: chat.jsonl, max_new_tokens: 4}
"""
ANSWERS = {"a": ["We open at 9:00.", "It is €50.", "Sure! Roses are red."],  # right, wrong, wrong
           "b": ["At 9:00, and on Sunday.", "A tune-up is €49.", "Sorry, I only help with bikes."]}  # wrong, right, right


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory):
    """The recipe run with canned answers (a's, then b's, in each evaluate stage), so the figures are known."""
    from workbench.pipeline import run_recipe
    from workbench.recipe import load_recipe
    from workbench.stages import evaluate

    tmp = tmp_path_factory.mktemp("rubric")
    write(tmp / "rubric.jsonl", RUBRIC)
    write(tmp / "chat.jsonl", [{"messages": user(r["prompt"]) + [{"role": "assistant", "content": "ref"}]}
                               for r in reversed(RUBRIC)])  # matched by text, in another order
    (tmp / "r.yaml").write_text(RECIPE)
    asked = []

    def canned(model, tokenizer, prompts, settings, seed=0):
        from workbench.generation import Answer

        name = "ab"[len(asked) % 2]
        asked.append([p[-1]["content"] for p in prompts])
        by_prompt = {r["prompt"]: answer for r, answer in zip(RUBRIC, ANSWERS[name])}
        return [Answer(by_prompt[p[-1]["content"]], True) for p in prompts]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(evaluate, "answer_prompts", canned)
        run_recipe(load_recipe(tmp / "r.yaml"), tmp / "run")
    return tmp / "run", asked


@pytest.mark.slow
def test_evaluate_reports_rubric_accuracy_per_group_with_paired_gains(evaluated):
    run_dir, asked = evaluated
    assert asked[0] == [r["prompt"] for r in RUBRIC] and asked[2] == [r["prompt"] for r in reversed(RUBRIC)]
    for stage in ("own_prompts", "chat_file"):
        report = json.loads((run_dir / stage / "report.json").read_text())
        a, b = report["models"]
        assert report["summary"]["a"]["rubric_accuracy"] == pytest.approx(1 / 3, abs=1e-4)
        assert report["summary"]["b"]["rubric_accuracy"] == pytest.approx(2 / 3, abs=1e-4)
        assert a["rubric"]["groups"] == {"seen": {"accuracy": 1.0, "n": 1}, "reworded": {"accuracy": 0.0, "n": 2}}
        gains = b["rubric_gains"]  # b - a per prompt: seen -1, reworded +1, +1
        assert gains["all"]["gain"] == pytest.approx(1 / 3, abs=1e-4)
        assert gains["all"]["two_se"] == pytest.approx(2 * (4 / 3 / 3) ** 0.5, abs=1e-4)  # sample variance 4/3, n 3
        assert gains["seen"] == {"gain": -1.0, "two_se": 0.0} and gains["reworded"] == {"gain": 1.0, "two_se": 0.0}
        assert "gains" not in b and a.get("perplexity") is None  # no task world here
        text = (run_dir / stage / "report.md").read_text()
        assert "## Rubric accuracy per prompt group" in text and "## Paired rubric gain" in text
        assert "| reworded | 2 | 0.000 | 1.000 |" in text and "| b | a | 0.333 |" in text
        assert "task skills" not in text  # columns no model has are left out
        verdicts = [json.loads(line) for line in (run_dir / stage / "verdicts.jsonl").read_text().splitlines()]
        assert {(v["stage"], v["group"], v["rubric_correct"]) for v in verdicts} >= {("b", "seen", False),
                                                                                     ("a", "seen", True)}


def test_evaluate_refuses_prompts_without_a_rubric_entry(tmp_path):
    from workbench.stages.evaluate import Config, held_out_prompts

    write(tmp_path / "chat.jsonl", [{"prompt": user("When do you open?")}, {"prompt": user("Unknown question?")}])
    rubric = load_rubric(write(tmp_path / "r.jsonl", RUBRIC))
    cfg = Config(models=["a"], rubric="r.jsonl", data="chat.jsonl")

    class Ctx:
        stage_name = "eval"

        @staticmethod
        def data_path(ref):
            return tmp_path / ref

    with pytest.raises(WorkbenchError, match=r"1 of 2 prompts have no entry in the rubric .* 'Unknown question\?'"):
        held_out_prompts(cfg, Ctx, rubric)
