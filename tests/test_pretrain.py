"""Stages `pretrain` and `distill_pretrain`: dense and sparse teacher targets, the sparse cache, vocabulary checks."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from workbench.errors import WorkbenchError
from workbench.pipeline import run_recipe
from workbench.recipe import load_recipe
from workbench.stages.distill_pretrain import sparse_targets

RECIPE = """
name: pd
seed: 0
models:
  teacher: {preset: gemma2-tiny-student, tokenizer: tok}
  student: {preset: gemma2-tiny-student, tokenizer: tok}
stages:
  - {kind: taskworld, name: world, n: 60, corpus_docs: 1500}
  - {kind: tokenizer, name: tok, corpus: world, vocab_size: 512}
  - {kind: pretrain, name: teacher_pt, model: teacher, data: world, seq_len: 64, eval_blocks: 8,
     train: {max_steps: 6, batch_size: 4, precision: fp32}}
  - {kind: distill_pretrain, name: dense, model: student, teacher: teacher_pt, data: world, mode: dense, seq_len: 64,
     eval_blocks: 8, train: {max_steps: 6, batch_size: 4, precision: fp32}}
  - {kind: distill_pretrain, name: sparse, model: student, teacher: teacher_pt, data: world, mode: sparse, top_k: 4,
     sampling: without_replacement, seq_len: 64, eval_blocks: 8, train: {max_steps: 6, batch_size: 4, precision: fp32}}
  - {kind: distill_pretrain, name: sparse_again, model: student, teacher: teacher_pt, data: world, mode: sparse, top_k: 4,
     sampling: without_replacement, seq_len: 64, eval_blocks: 8, train: {max_steps: 6, batch_size: 4, precision: fp32, lr: 0.001}}
"""


@pytest.mark.slow  # trains a model
def test_dense_and_sparse_distillation_with_a_shared_target_cache(tmp_path):
    (tmp_path / "r.yaml").write_text(RECIPE)
    m = run_recipe(load_recipe(tmp_path / "r.yaml"), tmp_path / "run")["stages"]
    dense, sparse, again = m["dense"]["metrics"], m["sparse"]["metrics"], m["sparse_again"]["metrics"]
    assert dense["teacher_target_bytes"] == 0 and dense["dense_targets_would_need_bytes"] == 6 * 4 * 64 * 512 * 2
    assert sparse["teacher_target_bytes"] == 6 * 4 * 64 * 4 * (2 + 2)  # int16 ids + fp16 probabilities
    assert sparse["teacher_targets_reused"] is False and again["teacher_targets_reused"] is True
    assert 0 < sparse["teacher_mass_covered"] <= 1
    for e in (dense, sparse, again):
        assert np.isfinite(e["val_perplexity"]) and e["val_perplexity"] > 1


def test_sparse_targets_follow_the_teacher():
    """Sampled ids are distinct per position, probabilities renormalised, and mostly the teacher's likely tokens."""

    class Peaked(torch.nn.Module):
        def get_output_embeddings(self):
            return torch.nn.Linear(1, 50)

        def forward(self, input_ids):
            logits = torch.full((*input_ids.shape, 50), -10.0)
            logits[..., 7] = 5.0
            logits[..., 8] = 4.0
            return type("Out", (), {"logits": logits})

    ids, probs, coverage = sparse_targets(Peaked(), torch.zeros(3, 5, dtype=torch.long), k=4, temperature=1.0, seed=0,
                                          bf16=False, sampling="without_replacement")
    assert ids.shape == (3, 5, 4) and probs.dtype == np.float16
    assert all(len(set(row)) == 4 for row in ids.reshape(-1, 4).tolist())
    assert np.allclose(probs.astype(np.float32).sum(-1), 1, atol=1e-2)
    assert (ids[..., 0] == 7).mean() > 0.5 and coverage > 0.99


def test_draws_with_replacement_are_unbiased_and_store_ids_only():
    """With replacement, the drawn ids' frequencies estimate the teacher's distribution (no probabilities stored)."""
    probs = torch.tensor([0.5, 0.3, 0.15, 0.05])

    class Fixed(torch.nn.Module):
        def get_output_embeddings(self):
            return torch.nn.Linear(1, 4)

        def forward(self, input_ids):
            return type("Out", (), {"logits": probs.log().expand(*input_ids.shape, 4).clone()})

    ids, stored, coverage = sparse_targets(Fixed(), torch.zeros(50, 40, dtype=torch.long), k=8, temperature=1.0,
                                           seed=0, bf16=False)
    assert stored is None and ids.shape == (50, 40, 8) and ids.dtype == np.int16
    frequency = np.bincount(ids.reshape(-1), minlength=4) / ids.size
    assert np.allclose(frequency, probs.numpy(), atol=0.01)  # 16,000 draws: the estimate is within 1 point
    assert 0.9 < coverage <= 1


def test_systematic_draws_take_each_token_floor_or_ceil_of_k_times_its_probability():
    """Systematic sampling: unbiased like independent draws, but per position a token appears floor(k p) or
    ceil(k p) times, so a 0.5-probability token is exactly 4 of 8 draws every time."""
    probs = torch.tensor([0.5, 0.3, 0.15, 0.05])

    class Fixed(torch.nn.Module):
        def get_output_embeddings(self):
            return torch.nn.Linear(1, 4)

        def forward(self, input_ids):
            return type("Out", (), {"logits": probs.log().expand(*input_ids.shape, 4).clone()})

    ids, stored, _ = sparse_targets(Fixed(), torch.zeros(50, 40, dtype=torch.long), k=8, temperature=1.0, seed=0,
                                    bf16=False, sampling="systematic")
    assert stored is None and ids.shape == (50, 40, 8)
    counts = np.stack([(ids == t).sum(-1) for t in range(4)], -1)  # (50, 40, 4) draws per token and position
    expected = 8 * probs.numpy()
    assert (counts >= np.floor(expected - 1e-6)).all() and (counts <= np.ceil(expected + 1e-6)).all()
    assert (counts[..., 0] == 4).all()
    assert np.allclose(counts.reshape(-1, 4).mean(0), expected, atol=0.05)


@pytest.mark.slow  # trains a model
def test_sampled_sparse_stage_stores_two_bytes_per_draw(tmp_path):
    text = RECIPE.split("  - {kind: distill_pretrain, name: dense")[0] + (
        "  - {kind: distill_pretrain, name: sampled, model: student, teacher: teacher_pt, data: world, mode: sparse,\n"
        "     top_k: 4, seq_len: 64, eval_blocks: 8, train: {max_steps: 6, batch_size: 4, precision: fp32}}\n")
    (tmp_path / "r.yaml").write_text(text)
    m = run_recipe(load_recipe(tmp_path / "r.yaml"), tmp_path / "run")["stages"]["sampled"]["metrics"]
    assert m["sampling"] == "with_replacement" and m["teacher_target_bytes"] == 6 * 4 * 64 * 4 * 2
    assert np.isfinite(m["val_perplexity"]) and m["val_perplexity"] > 1


@pytest.mark.slow  # trains a model
def test_teacher_with_another_vocabulary_is_refused(tmp_path):
    text = RECIPE.replace("teacher: {preset: gemma2-tiny-student, tokenizer: tok}",
                          "teacher: {preset: gemma2-tiny-student, tokenizer: tok2}")
    text = text.replace("  - {kind: tokenizer, name: tok, corpus: world, vocab_size: 512}",
                        "  - {kind: tokenizer, name: tok, corpus: world, vocab_size: 512}\n"
                        "  - {kind: tokenizer, name: tok2, corpus: world, vocab_size: 600}")
    (tmp_path / "r.yaml").write_text(text)
    with pytest.raises(WorkbenchError, match="600-token vocabulary but the student has 512"):
        run_recipe(load_recipe(tmp_path / "r.yaml"), tmp_path / "run", only=None)


def test_compile_is_left_out_of_the_config_while_off():
    """`train.compile` joined the schema later: off, a stage's config (and so its fingerprint) is what it was."""
    from workbench.training import TrainSettings

    assert "compile" not in TrainSettings().model_dump(mode="json")
    assert TrainSettings(compile=True).model_dump(mode="json")["compile"] is True


@pytest.mark.slow
@pytest.mark.skipif(__import__("shutil").which("cc") is None, reason="torch.compile on a CPU needs a C compiler")
def test_compiled_pretrain_stage_trains_and_saves_a_plain_model_and_repeats(tmp_path):
    """`train.compile: true` runs the stage under torch.compile and still saves a loadable, uncompiled model; a second
    run of the same recipe gives the same weights (compiled CPU kernels otherwise accumulate in a varying order)."""
    text = RECIPE.split("  - {kind: distill_pretrain, name: dense")[0].replace(
        "train: {max_steps: 6, batch_size: 4, precision: fp32}}", "train: {max_steps: 4, batch_size: 4, precision: fp32, compile: true}}")
    (tmp_path / "r.yaml").write_text(text)
    was_deterministic = torch.are_deterministic_algorithms_enabled()
    try:
        m = run_recipe(load_recipe(tmp_path / "r.yaml"), tmp_path / "run")["stages"]["teacher_pt"]
        run_recipe(load_recipe(tmp_path / "r.yaml"), tmp_path / "again")
    finally:
        torch.use_deterministic_algorithms(was_deterministic)
    weights = [(tmp_path / run / "teacher_pt/model/model.safetensors").read_bytes() for run in ("run", "again")]
    assert weights[0] == weights[1]
    assert m["config"]["train"]["compile"] is True
    assert np.isfinite(m["metrics"]["val_perplexity"])
    from safetensors import safe_open

    with safe_open(str(tmp_path / "run" / "teacher_pt" / "model" / "model.safetensors"), "pt") as f:
        keys = list(f.keys())
    assert "model.embed_tokens.weight" in keys and not any("_orig_mod" in k for k in keys)


@pytest.mark.slow
@pytest.mark.skipif(__import__("shutil").which("cc") is None, reason="torch.compile on a CPU needs a C compiler")
def test_compiled_pretrain_in_bf16_autocast_keeps_finite_gradients(tmp_path):
    """`compile: true` with bf16 autocast, as `precision: auto` resolves on a CPU with AVX512-BF16: torch 2.14's
    inductor gave NaN gradients from the first step through Gemma 2's final logit soft cap in bf16 (a whole
    `taskworld-full` teacher trained on NaN); the cap now runs in fp32, and the loss starts where an fp32 model's does."""
    import json

    text = RECIPE.split("  - {kind: distill_pretrain, name: dense")[0].replace(
        "train: {max_steps: 6, batch_size: 4, precision: fp32}}",
        "train: {max_steps: 4, batch_size: 4, precision: bf16, compile: true, logging_steps: 1}}")
    (tmp_path / "r.yaml").write_text(text)
    was_deterministic = torch.are_deterministic_algorithms_enabled()
    try:
        run_recipe(load_recipe(tmp_path / "r.yaml"), tmp_path / "run")
    finally:
        torch.use_deterministic_algorithms(was_deterministic)
    logs = json.loads((tmp_path / "run/teacher_pt/history.json").read_text())
    steps = [log for log in logs if "grad_norm" in log]
    assert len(steps) == 4 and all(np.isfinite(log["grad_norm"]) and log["grad_norm"] > 0 for log in steps)
    assert abs(steps[0]["loss"] - np.log(512)) < 1.0  # a fresh model's loss is about log(vocabulary size)


def test_a_non_finite_gradient_norm_stops_training_with_one_line(tmp_path):
    """A diverged step (grad_norm NaN or inf in the Trainer's log) ends the stage at once with a line saying what to
    change, instead of training on for the rest of its budget on ruined weights."""
    from types import SimpleNamespace

    from workbench.errors import TrainingDiverged
    from workbench.training import callbacks

    progress = callbacks(tmp_path / "teacher_pt")[-1]
    state = SimpleNamespace(global_step=10, max_steps=100)
    progress.on_log(None, state, None, logs={"loss": 4.2, "grad_norm": 1.5})
    for bad in (float("nan"), float("inf")):
        with pytest.raises(TrainingDiverged, match="teacher_pt: the gradient norm is .* at step 10.*precision: fp32"):
            progress.on_log(None, state, None, logs={"loss": 0.0, "grad_norm": bad})
