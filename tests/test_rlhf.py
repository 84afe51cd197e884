"""Stage `rlhf`: RLOO and GRPO against a reward stage's model with the task-world verifier as a second reward, and
the EMA anchor (WARP) moving the reference during training while the fixed anchor stays put."""

from __future__ import annotations

import pytest
import torch

from workbench.models import ModelSpec, load_model
from workbench.pipeline import run_recipe
from workbench.recipe import load_recipe
from workbench.stages import rlhf

pytestmark = pytest.mark.slow  # every test here trains a model (make test-fast trains nothing)

TRAIN = "train: {max_steps: 2, batch_size: 4, lr: 0.001, warmup_ratio: 0, precision: fp32, save_steps: 2, logging_steps: 1}"
RL = f"reward_model: rm, data: world, num_generations: 2, max_new_tokens: 6, {TRAIN}"
RECIPE = f"""
name: rlhf
seed: 0
models:
  tiny: {{preset: gemma2-tiny-student, tokenizer: tok}}
stages:
  - {{kind: taskworld, name: world, n: 60, corpus_docs: 300}}
  - {{kind: tokenizer, name: tok, corpus: world, vocab_size: 512}}
  - {{kind: reward, name: rm, model: tiny, data: world, max_length: 256,
     train: {{max_steps: 2, batch_size: 4, precision: fp32, logging_steps: 1}}}}
  - {{kind: rlhf, name: rloo, algorithm: rloo, model: tiny, verifiable_reward_weight: 0.5, anchor: ema, ema_rate: 0.5,
     {RL}}}
  - {{kind: rlhf, name: grpo, algorithm: grpo, model: tiny, beta: 0.1, verifiable_reward_weight: 1.0, prompt_noise: 0.3,
     {RL}}}
"""


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """The run, with each rlhf stage's trainer kept for inspection."""
    tmp = tmp_path_factory.mktemp("rlhf")
    (tmp / "r.yaml").write_text(RECIPE)
    trainers = {}
    build = rlhf.build_trainer

    def keep(cfg, *args):
        trainers[cfg.stage_name] = build(cfg, *args)
        return trainers[cfg.stage_name]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(rlhf, "build_trainer", keep)
        manifest = run_recipe(load_recipe(tmp / "r.yaml"), tmp / "run")
    return tmp / "run", manifest["stages"], trainers


@pytest.mark.parametrize("stage", ["rloo", "grpo"])
def test_policy_trains_against_the_reward_model_and_the_verifier(run, stage):
    run_dir, stages, trainers = run
    metrics = stages[stage]["metrics"]
    assert metrics["algorithm"] == stage
    names = trainers[stage].reward_func_names
    assert names[1] == "verifiable_reward" and len(names) == 2
    for name in names:  # both rewards were computed at the first and the last step
        assert f"rewards/{name}/mean_start" in metrics and f"rewards/{name}/mean_end" in metrics
    assert 0 <= metrics["rewards/verifiable_reward/mean_end"] <= 1
    assert "kl_end" in metrics and metrics["steps_per_second"] > 0
    trained, _ = load_model(run_dir / stage / "model")
    start, _ = load_model(ModelSpec(preset="gemma2-tiny-student"), tokenizer=run_dir / "tok/tokenizer", seed=0)
    assert any(not torch.equal(a, b) for a, b in zip(trained.state_dict().values(), start.state_dict().values()))


def test_prompt_noise_adds_changed_prompts_that_keep_their_rows_meta(run):
    _, stages, trainers = run
    assert stages["rloo"]["metrics"]["noised_prompts"] == 0
    metrics, dataset = stages["grpo"]["metrics"], trainers["grpo"].train_dataset
    assert 0.75 * metrics["train_prompts"] <= metrics["noised_prompts"] <= metrics["train_prompts"]
    assert len(dataset) == metrics["train_prompts"] + metrics["noised_prompts"]
    originals = {row["meta"]["id"]: row for row in dataset.select(range(metrics["train_prompts"]))}
    for copy in dataset.select(range(metrics["train_prompts"], len(dataset))):
        original = originals[copy["meta"]["id"]]  # the verifier reads `meta`: the original's, with a new wording
        assert copy["meta"] == original["meta"] and copy["prompt"] != original["prompt"]


def test_verifiable_reward_reads_the_rows_meta():
    meta = [{"check": "number", "answer": 57, "id": "a"}, {"check": "refusal", "id": "b"}]
    completions = [[{"role": "assistant", "content": "12 + 45 = 57."}],
                   [{"role": "assistant", "content": "Sure, 3."}]]
    assert rlhf.verifiable_reward(prompts=[None, None], completions=completions, meta=meta, trainer_state=None) == [1.0,
                                                                                                                   0.0]


def test_ema_anchor_moves_with_the_policy_and_the_start_anchor_stays(run):
    from trl.trainer.callbacks import SyncRefModelCallback

    run_dir, _, trainers = run
    start, _ = load_model(ModelSpec(preset="gemma2-tiny-student"), tokenizer=run_dir / "tok/tokenizer", seed=0)
    start_weights = start.state_dict()

    ema = trainers["rloo"]
    syncs = [c for c in ema.callback_handler.callbacks if isinstance(c, SyncRefModelCallback)]
    assert len(syncs) == 1 and syncs[0].ref_model is ema.ref_model
    assert ema.args.ref_model_sync_steps == 1 and ema.args.ref_model_mixup_alpha == 0.5
    anchor, policy = ema.ref_model.state_dict(), ema.model.state_dict()
    moved = [name for name, w in start_weights.items() if not torch.equal(anchor[name], w)]
    assert moved  # the anchor left the start ...
    assert any(not torch.equal(anchor[n], policy[n]) for n in moved)  # ... without becoming the policy

    fixed = trainers["grpo"]
    assert not any(isinstance(c, SyncRefModelCallback) for c in fixed.callback_handler.callbacks)
    anchor = fixed.ref_model.state_dict()
    assert all(torch.equal(anchor[name], w) for name, w in start_weights.items())


def test_ema_anchor_needs_a_kl_term():
    with pytest.raises(ValueError, match="beta > 0"):
        rlhf.Config(model="m", reward_model="r", data="d", anchor="ema", beta=0)
    with pytest.raises(ValueError, match="multiple of num_generations"):
        rlhf.Config(model="m", reward_model="r", data="d", num_generations=3)
