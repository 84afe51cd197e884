"""Stage `distill`: on-policy distillation on a tiny task world (student and teacher presets, one tokenizer), GKD's
`lmbda` off-policy batches and top-k teacher logits, and a teacher with another vocabulary refused before training."""

from __future__ import annotations

import json

import pytest
import torch

from helpers import WORLD_AND_TOKENIZER
from workbench.errors import WorkbenchError
from workbench.models import load_model
from workbench.pipeline import run_recipe
from workbench.recipe import load_recipe
from workbench.stages import distill

TRAIN = "train: {max_steps: 2, batch_size: 4, precision: fp32, save_steps: 2, logging_steps: 1}"
RECIPE = f"""
name: distill
seed: 0
models:
  student: {{preset: gemma2-tiny-student, tokenizer: tok}}
  teacher: {{preset: gemma2-tiny-teacher, tokenizer: tok}}
stages:
{WORLD_AND_TOKENIZER}  - {{kind: distill, name: kd, model: student, teacher: teacher, data: world, max_new_tokens: 8, eval_limit: 4,
     prompt_noise: 0.3, {TRAIN}}}
"""
MISMATCH = RECIPE.replace("stages:", "  other_teacher: {preset: gemma2-tiny-teacher, tokenizer: tok_other}\nstages:") + f"""  - {{kind: tokenizer, name: tok_other, corpus: world, vocab_size: 400}}
  - {{kind: distill, name: bad, model: student, teacher: other_teacher, data: world, max_new_tokens: 8, {TRAIN}}}
"""


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("distill")
    (tmp / "r.yaml").write_text(RECIPE)
    manifest = run_recipe(load_recipe(tmp / "r.yaml"), tmp / "run")
    return tmp, manifest["stages"]["kd"]["metrics"]


@pytest.mark.slow  # trains a model
def test_distill_trains_the_student_and_scores_it_before_and_after(run):
    tmp, metrics = run
    run_dir = tmp / "run"
    trained, _ = load_model(run_dir / "kd/model")
    start, _ = load_model(distill_spec("gemma2-tiny-student"), tokenizer=run_dir / "tok/tokenizer", seed=0)
    assert any(not torch.equal(a, b) for a, b in zip(trained.state_dict().values(), start.state_dict().values()))
    assert metrics["off_policy_batches"] == 0  # lmbda 1: every batch is the student's own samples
    assert metrics["taskworld_before"]["n"] == metrics["taskworld_after"]["n"] == 4
    history = json.loads((run_dir / "kd/history.json").read_text())
    losses = [h["loss"] for h in history if "loss" in h]
    assert len(losses) == 2 and all(loss >= 0 for loss in losses)
    prompts = len(distill.read_prompt_rows(run_dir / "world/data/prompts/train.jsonl"))
    assert metrics["train_prompts"] == prompts and 0.75 * prompts <= metrics["noised_prompts"] <= prompts


def distill_spec(preset):
    from workbench.models import ModelSpec

    return ModelSpec(preset=preset)


@pytest.mark.slow  # trains a model
def test_teacher_with_another_vocabulary_is_refused_before_training(run, monkeypatch):
    tmp, _ = run
    (tmp / "m.yaml").write_text(MISMATCH)
    monkeypatch.setattr(distill, "build_trainer", lambda *a, **k: pytest.fail("training started"))
    with pytest.raises(WorkbenchError, match="another vocabulary"):
        run_recipe(load_recipe(tmp / "m.yaml"), tmp / "run")


class Ctx:
    """Just enough of a StageContext for `build_trainer`."""

    def __init__(self, stage_dir):
        self.stage_dir, self.seed, self.stage_name = stage_dir, 0, "kd"


def tiny_trainer(tmp, run_dir, **settings):
    cfg = distill.Config(model="student", teacher="teacher", data="world", max_new_tokens=6,
                         train={"max_steps": 2, "batch_size": 2, "precision": "fp32", "logging_steps": 1}, **settings)
    student, _ = load_model(distill_spec("gemma2-tiny-student"), tokenizer=run_dir / "tok/tokenizer", seed=0)
    teacher, tokenizer = load_model(distill_spec("gemma2-tiny-teacher"), tokenizer=run_dir / "tok/tokenizer", seed=1)
    return cfg, student, teacher, tokenizer


@pytest.mark.slow  # trains a model
def test_lmbda_zero_trains_on_the_dataset_answers_and_top_k_restricts_the_loss(run, tmp_path):
    tmp, _ = run
    run_dir = tmp / "run"
    rows = distill.read_prompt_rows(run_dir / "world/data/sft/train.jsonl")[:4]
    assert all("answer" in r for r in rows)
    cfg, student, teacher, tokenizer = tiny_trainer(tmp_path, run_dir, lmbda=0.0, top_k=5)
    trainer = distill.build_trainer(cfg, Ctx(tmp_path), student, teacher, distill.chat_tokenizer(tokenizer), rows)
    trainer.model.train()
    batch = trainer._generate_and_score_completions(list(trainer.train_dataset))
    expected = [row["answer_ids"] for row in trainer.train_dataset]
    got = [ids[mask.bool()].tolist() for ids, mask in zip(batch["completion_ids"], batch["completion_mask"])]
    assert got == expected and trainer.off_policy_batches == 1
    for row, ids in zip(rows, expected):  # the answer and its stop token as the template writes them, cut at 6
        assert len(ids) <= 6 and (row["answer"][0]["content"] + "<end_of_turn>").startswith(tokenizer.decode(ids))
    # top-k: the loss equals the generalized JSD over the teacher's 5 best tokens, computed by hand here.
    loss, _, count = trainer._compute_loss(trainer.model, batch, None)
    ids = torch.cat([batch["prompt_ids"], batch["completion_ids"]], 1)
    mask = torch.cat([batch["prompt_mask"], batch["completion_mask"]], 1)
    width, valid = batch["completion_ids"].size(1), batch["completion_mask"].bool()
    with torch.no_grad():
        s = student(input_ids=ids, attention_mask=mask).logits[:, -width - 1:-1][valid]
        t = teacher(input_ids=ids, attention_mask=mask).logits[:, -width - 1:-1][valid]
    top, index = t.topk(5, dim=-1)
    log_s, log_t = torch.log_softmax(s.gather(-1, index), -1), torch.log_softmax(top, -1)
    reverse_kl = (log_s.exp() * (log_s - log_t)).sum() / count
    assert loss.item() == pytest.approx(reverse_kl.item(), rel=1e-4)


@pytest.mark.slow  # trains a model
def test_off_policy_batches_without_answers_are_written_by_the_teacher(run, tmp_path, monkeypatch):
    tmp, _ = run
    run_dir = tmp / "run"
    rows = distill.read_prompt_rows(run_dir / "world/data/prompts/train.jsonl")[:2]
    cfg, student, teacher, tokenizer = tiny_trainer(tmp_path, run_dir, lmbda=0.0)
    trainer = distill.build_trainer(cfg, Ctx(tmp_path), student, teacher, distill.chat_tokenizer(tokenizer), rows)
    assert "answer_ids" not in trainer.train_dataset.column_names
    from workbench import decoding

    generated_by, names = [], {id(student): "student", id(teacher): "teacher"}
    monkeypatch.setattr(decoding, "sample", lambda model, *a, _sample=decoding.sample, **k:
                        generated_by.append(names[id(model)]) or _sample(model, *a, **k))
    trainer.model.train()
    trainer._generate_and_score_completions(list(trainer.train_dataset))
    assert generated_by == ["teacher"] and trainer.off_policy_batches == 1


@pytest.mark.parametrize("beta", [0.0, 0.3, 1.0])
def test_generalized_jsd_agrees_with_trl_gkd(beta):
    from trl.experimental.gkd import GKDTrainer

    torch.manual_seed(0)
    student, teacher = torch.randn(7, 11), torch.randn(7, 11)
    ours = distill.generalized_jsd(student, teacher, beta, temperature=0.7).sum()
    theirs = GKDTrainer.generalized_jsd_loss(student, teacher, beta=beta, temperature=0.7, reduction="sum")
    assert ours.item() == pytest.approx(theirs.item(), rel=1e-5)
    assert distill.generalized_jsd(student, student, beta, 1.0).abs().max() < 1e-6  # zero between equals
