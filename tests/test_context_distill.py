"""Context distillation and same-family teachers in `distill` and `generate`: the teacher sees the knowledge sheet in
its system turn, the student does not, and the loss compares both at the same completion tokens (checked on a
hand-made batch with prompts of different lengths against a per-row reference); the sheet as untrusted input; an sft
stage of the same model as teacher. And the rest of recipes/gemma3-chain.yaml's new parts: the pairs stage's
unattended scripted rating (`rate: RUBRIC`). (tests/test_recipe.py checks every shipped recipe, that one too.)"""

from __future__ import annotations

import pytest
import torch

from helpers import WORLD_AND_TOKENIZER, user, write_jsonl
from workbench.cli import main
from workbench.errors import WorkbenchError
from workbench.models import ModelSpec, load_model
from workbench.pipeline import run_recipe
from workbench.recipe import load_recipe
from workbench.stages import distill, generate

SHEET = "Facts: the shop opens at nine. Rentals cost 15 a day. Be brief."
RECIPE = f"""
name: cd
seed: 0
models:
  student: {{preset: gemma2-tiny-student, tokenizer: tok}}
stages:
{WORLD_AND_TOKENIZER}  - {{kind: sft, name: longer, model: student, data: world, max_length: 128, score_prompts: 0, samples: 0,
     train: {{max_steps: 3, batch_size: 4, lr: 0.005, precision: fp32}}}}
  - {{kind: generate, name: gen, model: longer, prompts: world, limit: 3, teacher_context: sheet.md,
     sampling: {{max_new_tokens: 6}}}}
  - {{kind: distill, name: cd, model: student, teacher: longer, data: world, teacher_context: sheet.md,
     max_new_tokens: 6, eval_limit: 0, train: {{max_steps: 1, batch_size: 2, precision: fp32, logging_steps: 1}}}}
  - {{kind: pairs, name: rated, models: [student, longer], prompts: rubric.jsonl, rate: rubric.jsonl, limit: 3,
     store: ratings.db, sampling: {{temperature: 1.0, max_new_tokens: 4}}}}
"""
RUBRIC = [{"id": "yes", "group": "g", "prompt": "Say yes.", "must": ["yes"]},
          {"id": "no", "group": "g", "prompt": "Say no.", "must": ["no"]},
          {"id": "hi", "group": "g", "prompt": "Say hi.", "must": ["hi"], "must_not": ["bye"]}]


@pytest.fixture(scope="module")
def cd_run(tmp_path_factory):
    """The recipe above run once: a tokenizer, a longer-trained sft teacher, generate and distill with the sheet;
    the prompts `generate` asked and the batches the distill trainer built are recorded."""
    tmp = tmp_path_factory.mktemp("cd")
    (tmp / "r.yaml").write_text(RECIPE)
    (tmp / "sheet.md").write_text(SHEET)
    write_jsonl(tmp / "rubric.jsonl", RUBRIC)
    asked, batches = [], []
    trainer_class = distill.trl_private.gkd_distillation_trainer()

    class Recording(trainer_class):
        def _generate_and_score_completions(self, inputs):
            batches.append(super()._generate_and_score_completions(inputs))
            return batches[-1]

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(generate, "generate_responses", lambda model, tok, prompts, *a, _g=generate.generate_responses,
                   **k: asked.extend(prompts) or _g(model, tok, prompts, *a, **k))
        mp.setattr(distill.trl_private, "gkd_distillation_trainer", lambda: Recording)
        manifest = run_recipe(load_recipe(tmp / "r.yaml"), tmp / "run")
    return tmp, manifest, asked, batches


@pytest.mark.slow  # trains a tiny sft teacher and one distill step
def test_a_longer_trained_sft_teacher_with_the_sheet_in_generate_and_distill(cd_run):
    tmp, manifest, asked, batches = cd_run
    import json

    rows = [json.loads(line) for line in (tmp / "run/gen/data/sft/train.jsonl").read_text().splitlines()]
    prompts = [r["prompt"] for r in generate.read_prompts(tmp / "run/world/data/prompts/train.jsonl", 3)]
    assert asked == [generate.with_context(p, SHEET) for p in prompts]  # the model answered with the sheet
    assert [r["messages"][:-1] for r in rows] == prompts  # the SFT rows do not carry it
    assert rows[0]["meta"]["generated"]["teacher_context"] == "sheet.md"
    metrics = manifest["stages"]["cd"]["metrics"]
    assert metrics["teacher_context"] == "sheet.md" and metrics["train_loss"] > 0  # the teacher is not the student
    batch = batches[0]  # the teacher's prompts: longer than the student's by the sheet, left-padded like them
    assert batch["teacher_prompt_ids"].size(1) > batch["prompt_ids"].size(1)
    assert torch.equal(batch["teacher_prompt_mask"].sum(1) - batch["prompt_mask"].sum(1),
                       torch.full((2,), batch["teacher_prompt_mask"].sum(1)[0].item()
                                  - batch["prompt_mask"].sum(1)[0].item()))
    assert (tmp / "run/cd/model/config.json").is_file()


class Ctx:
    """Just enough of a StageContext for `build_trainer`."""

    def __init__(self, stage_dir):
        self.stage_dir, self.seed, self.stage_name = stage_dir, 0, "cd"


def tiny(preset, tmp, seed):
    return load_model(ModelSpec(preset=preset), tokenizer=tmp / "run/tok/tokenizer", seed=seed)


def left_pad(rows, pad):
    width = max(map(len, rows))
    return (torch.tensor([[pad] * (width - len(r)) + r for r in rows]),
            torch.tensor([[0] * (width - len(r)) + [1] * len(r) for r in rows]))


def right_pad(rows, pad):
    width = max(map(len, rows))
    return (torch.tensor([r + [pad] * (width - len(r)) for r in rows]),
            torch.tensor([[1] * len(r) + [0] * (width - len(r)) for r in rows]))


def completion_logits(model, prompt, completion):
    """The slow reference: the model on one unpadded (prompt, completion), the logits that predict the completion."""
    with torch.no_grad():
        logits = model(input_ids=torch.tensor([prompt + completion])).logits[0]
    return logits[len(prompt) - 1: len(prompt) + len(completion) - 1]


def reverse_kl(student_logits, teacher_logits, top_k=None):
    if top_k is not None:
        teacher_logits, index = teacher_logits.topk(top_k, dim=-1)
        student_logits = student_logits.gather(-1, index)
    s, t = torch.log_softmax(student_logits, -1), torch.log_softmax(teacher_logits, -1)
    return (s.exp() * (s - t)).sum()


@pytest.mark.slow  # needs the trained tokenizer of the module's run
@pytest.mark.parametrize("top_k", [None, 5])
def test_teacher_and_student_are_compared_at_the_same_completion_tokens(cd_run, tmp_path, top_k):
    student, tokenizer = tiny("gemma2-tiny-student", cd_run[0], 0)
    teacher, _ = tiny("gemma2-tiny-teacher", cd_run[0], 1)
    tokenizer = distill.chat_tokenizer(tokenizer)
    rows = [{"prompt": user("Hi")},
            {"prompt": [{"role": "system", "content": "You are a shop assistant."},
                        *user("When do you open on weekdays, and how much is a bike for a whole day?")]},
            {"prompt": user("Rent a bike?")}]
    cfg = distill.Config(model="s", teacher="t", data="d", teacher_context="sheet.md", top_k=top_k,
                         train={"max_steps": 1, "batch_size": 3, "precision": "fp32"})
    trainer = distill.build_trainer(cfg, Ctx(tmp_path), student, teacher, tokenizer, rows, SHEET)
    pad = tokenizer.pad_token_id
    student_prompts = trainer._tokenize_prompts([r["prompt"] for r in rows])[0]
    teacher_prompts = [tokenizer.apply_chat_template(generate.with_context(r["prompt"], SHEET),
                                                     add_generation_prompt=True, tokenize=True, return_dict=True)
                       ["input_ids"] for r in rows]
    assert len({len(p) for p in student_prompts}) == 3  # three prompt lengths: padding differs per row
    assert all(len(t) > len(s) for s, t in zip(student_prompts, teacher_prompts))
    completions = [[5, 6, 7, 8, 9], [10, 11], [12, 13, 14, 15]]  # hand-made, three lengths
    batch = {}
    batch["prompt_ids"], batch["prompt_mask"] = left_pad(student_prompts, pad)
    batch["completion_ids"], batch["completion_mask"] = right_pad(completions, pad)
    batch["teacher_prompt_ids"], batch["teacher_prompt_mask"] = trainer.teacher_prompts(trainer.train_dataset)
    assert torch.equal(batch["teacher_prompt_ids"], left_pad(teacher_prompts, pad)[0])

    loss, _, count = trainer._compute_loss(student, batch, None)

    expected = sum(reverse_kl(completion_logits(student, s, c), completion_logits(teacher, t, c), top_k)
                   for s, t, c in zip(student_prompts, teacher_prompts, completions)) / 11
    without_sheet = sum(reverse_kl(completion_logits(student, s, c), completion_logits(teacher, s, c), top_k)
                        for s, c in zip(student_prompts, completions)) / 11
    assert count == 11
    assert loss.item() == pytest.approx(expected.item(), rel=1e-4, abs=1e-6)
    assert abs(expected.item() - without_sheet.item()) > 1e-3  # the sheet changes what the teacher says


def test_the_teacher_sees_the_sheet_in_its_system_turn_and_the_student_does_not():
    plain = user("Hi")
    with_system = [{"role": "system", "content": "Be kind."}, *user("Hi")]
    assert generate.with_context(plain, SHEET) == [{"role": "system", "content": SHEET}, *plain]
    assert generate.with_context(with_system, SHEET)[0] == {"role": "system", "content": f"Be kind.\n\n{SHEET}"}
    assert with_system[0]["content"] == "Be kind."  # the student's prompt is left alone
    rows = [{"prompt": plain}]
    dataset = distill.as_dataset(rows, None, 8, [1], SHEET)
    assert dataset[0]["prompt"] == plain and dataset[0]["teacher_prompt"] == generate.with_context(plain, SHEET)


SHEET_RECIPE = """
name: cd
models:
  base: {preset: gemma2-tiny-student, tokenizer: tok}
stages:
  - {kind: taskworld, name: world, n: 20}
  - {kind: tokenizer, name: tok, corpus: world, vocab_size: 400}
  - {kind: KIND, name: x, model: base, FIELDS, teacher_context: SHEET}
"""


@pytest.mark.parametrize("kind, fields", [("distill", "teacher: base, data: world"), ("generate", "prompts: world")])
@pytest.mark.parametrize("sheet, expected", [
    (None, "is neither a stage name nor an existing file"),
    (b"x" * 70_000, "teacher_context sheet is 70000 bytes, more than 65536"),
    (b"\x89PNG\r\n\x1a\n\x00\x00", "is not UTF-8 text"),
    (b"facts\x00\x01", "holds control characters"),
    (b"  \n", "teacher_context sheet is empty"),
], ids=["missing", "too-big", "binary", "control-characters", "empty"])
def test_a_bad_sheet_is_one_line_and_exit_2_at_recipe_check(tmp_path, capsys, kind, fields, sheet, expected):
    if sheet is not None:
        (tmp_path / "sheet.md").write_bytes(sheet)
    recipe = tmp_path / "r.yaml"
    recipe.write_text(SHEET_RECIPE.replace("KIND", kind).replace("FIELDS", fields).replace("SHEET", "sheet.md"))
    assert main(["recipe", "check", str(recipe)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and expected in err and "stages[2]" in err and "Traceback" not in err, err
    if sheet is not None:
        (tmp_path / "sheet.md").write_text(SHEET)
        assert main(["recipe", "check", str(recipe)]) == 0


def test_the_shipped_sheet_is_a_valid_sheet():
    from pathlib import Path

    text = generate.read_teacher_context(Path(__file__).parents[1] / "examples/lora/sheet.md")
    assert "Mill Lane" in text and "€139" in text


@pytest.mark.slow  # uses the module's run
def test_pairs_with_rate_are_rated_unattended_by_the_rubric(cd_run):
    from workbench.rubric import load_rubric
    from workbench.store import open_store
    from workbench.store.ratings import next_pair

    tmp, manifest, _, _ = cd_run
    metrics = manifest["stages"]["rated"]["metrics"]
    assert metrics["pairs"] >= 1 and metrics["rated_by"] == "rubric-rater" and metrics["rated"] == metrics["pairs"]
    store = open_store(str(tmp / "ratings.db"))
    try:
        assert next_pair(store, "rubric-rater") is None  # its queue is empty: every pair rated
        assert next_pair(store, "someone") is not None  # people still see them
    finally:
        store.close()
    rubric = load_rubric(tmp / "rubric.jsonl")
    assert rubric.score([{"role": "user", "content": "Say hi."}], "hi there") == 1


def test_pairs_refuse_prompts_the_rubric_does_not_cover_before_any_model_runs(tmp_path, monkeypatch):
    from workbench.stages import pairs

    write_jsonl(tmp_path / "rubric.jsonl", RUBRIC[:2])
    write_jsonl(tmp_path / "prompts.jsonl", [{"prompt": "Say yes."}, {"prompt": "Something else"}])
    cfg = pairs.Config(models=["m"], samples=2, prompts="prompts.jsonl", rate="rubric.jsonl")

    class Ctx:
        stage_name, seed, run_dir = "pairs", 0, tmp_path / "run"
        data_path = staticmethod(lambda ref: tmp_path / ref)

    monkeypatch.setattr(pairs, "_answers", lambda *a: pytest.fail("a model ran"))
    with pytest.raises(WorkbenchError, match=r"no entry for 1 of the 2 prompts, e.g. 'Something else'"):
        pairs.run(cfg, Ctx())


def test_a_broken_rate_rubric_is_one_line_at_recipe_check(tmp_path, capsys):
    (tmp_path / "bad.jsonl").write_text('{"id": "x", "group": "g", "prompt": "hi", "must": [{"regex": "("}]}\n')
    recipe = tmp_path / "r.yaml"
    recipe.write_text(SHEET_RECIPE.replace("KIND", "pairs").replace("model: base, FIELDS, teacher_context: SHEET",
                                                                     "models: [base], samples: 2, prompts: world, "
                                                                     "rate: bad.jsonl"))
    assert main(["recipe", "check", str(recipe)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "stages[2].rate" in err and "bad.jsonl" in err, err


BEST_WORST_ANSWERS = {"Say yes.": ["nope", "yes", "maybe", "yes yes"],  # scores 0 1 0 1
                      "Say no.": ["a", "b", "c", "d"],  # all 0: the rubric cannot tell them apart
                      "Say hi.": ["hi", "hi bye", "", "hello"]}  # 1, 0 (bye is must_not), empty, 0


def run_best_worst(tmp_path, monkeypatch, **fields):
    """A `pair: best_worst` pairs stage on canned answers (no model runs): its metrics, pairs and store."""
    import json
    import logging
    from types import SimpleNamespace

    from workbench.stages import pairs
    from workbench.stages.base import StageContext
    from workbench.store import open_store

    write_jsonl(tmp_path / "rubric.jsonl", RUBRIC)
    cfg = pairs.Config(models=["m"], samples=4, prompts="rubric.jsonl", pair="best_worst", store="ratings.db",
                       **fields)
    (tmp_path / "run/pairs").mkdir(parents=True)
    ctx = StageContext(tmp_path / "run", tmp_path / "run/pairs", "pairs", 0,
                       SimpleNamespace(stages=[], path=tmp_path / "r.yaml"), lambda ref, what: tmp_path / ref,
                       logging.getLogger("test"))
    ctx.data_path = lambda ref: tmp_path / ref
    monkeypatch.setattr(pairs, "_answers", lambda cfg, ctx, prompts: {
        "m": [a for p in prompts for a in BEST_WORST_ANSWERS[p[-1]["content"]]]})
    metrics = pairs.run(cfg, ctx)
    rows = [json.loads(line) for line in (tmp_path / "run/pairs/data/pairs.jsonl").read_text().splitlines()]
    return metrics, [{r["completion"] for r in row["responses"]} for row in rows], open_store(str(tmp_path / "ratings.db"))


def test_best_worst_pairs_the_rubric_best_and_worst_answers_and_the_rater_tells_them_apart(tmp_path, monkeypatch):
    import json

    from sqlalchemy import select

    from workbench.store.schema import Comparison, Response

    metrics, chosen, store = run_best_worst(tmp_path, monkeypatch, rate="rubric.jsonl")
    try:
        assert chosen[0] == {"yes", "nope"} and chosen[2] == {"hi", "hi bye"}  # the first highest, the first lowest
        assert len(chosen[1]) == 2 and chosen[1] <= set(BEST_WORST_ANSWERS["Say no."])  # a tie: still a pair
        assert metrics["ranked_apart"] == 2 and metrics["rated"] == 3 and metrics["rated_decisive"] == 2
        with store.reading() as session:
            text = dict(session.execute(select(Response.id, Response.text)).all())
            verdicts = sorted((c.choice == "tie", text[c.left_id] if c.choice == "A" else text[c.right_id])
                              for c in session.scalars(select(Comparison)))
        assert [v for tie, v in verdicts if not tie] == ["hi", "yes"] and len(verdicts) == 3
    finally:
        store.close()
    scored = [json.loads(line) for line in (tmp_path / "run/pairs/data/answers.jsonl").read_text().splitlines()]
    assert [a["rank_score"] for a in scored] == [0, 1, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0]


def test_best_worst_for_people_ranks_by_the_rubric_but_records_no_verdict(tmp_path, monkeypatch):
    from workbench.store.ratings import next_pair

    metrics, chosen, store = run_best_worst(tmp_path, monkeypatch, rank_by="rubric.jsonl")
    try:
        assert chosen[0] == {"yes", "nope"} and chosen[2] == {"hi", "hi bye"}
        assert "rated" not in metrics and metrics["ranked_apart"] == 2
        assert next_pair(store, "rubric-rater") is not None  # nothing rated: people see the pairs unjudged
    finally:
        store.close()


@pytest.mark.parametrize("fields, message", [({}, "give `rank_by`"),
                                             ({"rate": "r.jsonl", "pairs_per_prompt": 2}, "one pair per prompt")])
def test_best_worst_needs_a_rubric_and_makes_one_pair_per_prompt(fields, message):
    from pydantic import ValidationError

    from workbench.stages import pairs

    with pytest.raises(ValidationError, match=message):
        pairs.Config(models=["m"], samples=4, prompts="p.jsonl", pair="best_worst", **fields)
