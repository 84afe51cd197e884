"""LoRA after SFT: a reward model as adapter + score head, RLOO and GRPO with a LoRA policy whose anchor is the
adapter-disabled model (no second copy), DPO with LoRA, WARP over LoRA policies, and the memory and step-time figures
of each stage."""

from __future__ import annotations

import json
import math

import pytest
import torch
from safetensors.torch import load_file

from workbench.errors import WorkbenchError
from workbench.models import ModelSpec, load_model
from workbench.pipeline import run_recipe
from workbench.recipe import load_recipe, parse_recipe
from workbench.stages import dpo, rlhf

TRAIN = "{max_steps: 2, batch_size: 4, lr: 0.001, warmup_ratio: 0, precision: fp32, save_steps: 2, logging_steps: 1}"
LORA = "{r: 4, alpha: 8, dropout: 0.0}"
RL = f"model: tiny, reward_model: rm, data: world, beta: 0.1, num_generations: 2, max_new_tokens: 6, train: {TRAIN}"
RECIPE = f"""
name: lora-stages
seed: 0
models:
  tiny: {{preset: gemma2-tiny-student, tokenizer: tok}}
stages:
  - {{kind: taskworld, name: world, n: 60, corpus_docs: 300}}
  - {{kind: tokenizer, name: tok, corpus: world, vocab_size: 512}}
  - {{kind: reward, name: rm, model: tiny, data: world, eval_data: held_out.jsonl, max_length: 256, lora: {LORA},
     train: {TRAIN}}}
  - {{kind: rlhf, name: rloo, algorithm: rloo, lora: {{r: 4, alpha: 8, dropout: 0.0, merge: false}}, {RL}}}
  - {{kind: rlhf, name: grpo, algorithm: grpo, lora: {LORA}, {RL}}}
  - {{kind: merge, name: warp, method: warp, init: tiny, models: [rloo, grpo], t: 0.5, eta: 0.5}}
  - {{kind: dpo, name: dpo, model: tiny, data: world, eval_data: held_out.jsonl, max_length: 256, lora: {LORA},
     train: {TRAIN}}}
"""


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """The run, with each rlhf stage's trainer kept and TRL forbidden to build a reference model from a path."""
    import trl.trainer.grpo_trainer
    import trl.trainer.rloo_trainer

    tmp = tmp_path_factory.mktemp("lora_stages")
    (tmp / "r.yaml").write_text(RECIPE)
    (tmp / "held_out.jsonl").write_text("".join(  # a few held-out pairs keep the evaluations short
        json.dumps({"prompt": f"What is {i} plus {i}?", "chosen": f" {2 * i}.", "rejected": f" {2 * i + 1}."}) + "\n"
        for i in range(4)))
    trainers, held = {}, {}
    build, measure = rlhf.build_trainer, dpo.implicit_reward_metrics

    def keep(cfg, *args):
        trainers[cfg.stage_name] = build(cfg, *args)
        return trainers[cfg.stage_name]

    def capture(policy, reference, *args):
        held.update(policy=policy, reference=reference)
        return measure(policy, reference, *args)

    def no_second_copy(*args, **kwargs):
        raise AssertionError("TRL built a second model as the reference")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(rlhf, "build_trainer", keep)
        patch.setattr(dpo, "implicit_reward_metrics", capture)
        for module in (trl.trainer.rloo_trainer, trl.trainer.grpo_trainer):
            patch.setattr(module, "create_model_from_path", no_second_copy)
        manifest = run_recipe(load_recipe(tmp / "r.yaml"), tmp / "run")
    return tmp / "run", manifest["stages"], trainers, held


def start_model(run_dir):
    return load_model(ModelSpec(preset="gemma2-tiny-student"), tokenizer=run_dir / "tok/tokenizer", seed=0)[0]


def check_resources(metrics: dict, steps: bool = True):
    assert metrics["peak_rss_mib"] > 50 and metrics["peak_rss_since"] in ("stage start", "process start")
    if steps:
        assert metrics["seconds_per_step"] > 0
        # train_seconds is rounded to 1/100 s: over 2 steps up to 0.0025 s per step, more than 1 % of a 0.23 s step
        assert metrics["seconds_per_step"] == pytest.approx(metrics["train_seconds"] / 2, rel=0.01, abs=3e-3)


@pytest.mark.slow
def test_reward_model_is_an_adapter_and_a_trained_score_head(run):
    from peft import AutoPeftModelForSequenceClassification
    from transformers import AutoModelForSequenceClassification

    from workbench.preference import score_texts

    run_dir, stages, _, _ = run
    metrics = stages["rm"]["metrics"]
    check_resources(metrics)
    assert 0 < metrics["trainable_parameters"] < metrics["parameters"] / 4 and 0 <= metrics["pairwise_accuracy"] <= 1
    config = json.loads((run_dir / "rm/adapter/adapter_config.json").read_text())
    assert config["task_type"] == "SEQ_CLS" and "score" in config["modules_to_save"] and config["r"] == 4
    weights = load_file(run_dir / "rm/adapter/adapter_model.safetensors")
    assert any("lora_A" in k for k in weights) and any("score" in k for k in weights)

    merged = AutoModelForSequenceClassification.from_pretrained(run_dir / "rm/model")
    assert not any("lora" in k for k in merged.state_dict())  # a plain reward model for rlhf and evaluate
    with_adapter = AutoPeftModelForSequenceClassification.from_pretrained(run_dir / "rm/adapter")
    base = AutoModelForSequenceClassification.from_pretrained(config["base_model_name_or_path"])
    assert not torch.equal(merged.score.weight, base.score.weight)  # the head trained
    tokenizer = load_model(run_dir / "rm/model")[1]
    texts = [[{"role": "user", "content": "What is 2 plus 3?"}, {"role": "assistant", "content": answer}]
             for answer in ("5", "The answer is 6.")]
    assert score_texts(merged, tokenizer, texts) == pytest.approx(score_texts(with_adapter, tokenizer, texts), abs=1e-5)


@pytest.mark.slow
@pytest.mark.parametrize("stage", ["rloo", "grpo"])
def test_lora_policy_is_anchored_to_itself_with_the_adapter_disabled(run, stage):
    from accelerate.utils import is_peft_model

    run_dir, stages, trainers, _ = run
    trainer, metrics = trainers[stage], stages[stage]["metrics"]
    assert trainer.beta == 0.1 and trainer.ref_model is None and is_peft_model(trainer.model)  # (and no
    # create_model_from_path: the fixture forbids it)
    kls = [h["kl"] for h in json.loads((run_dir / stage / "history.json").read_text()) if "kl" in h]
    # zero-initialised B: the policy starts as its anchor, then leaves it (a sampled KL estimate: either sign)
    assert kls[0] == 0.0 and any(kl != 0.0 for kl in kls[1:])
    check_resources(metrics)
    assert metrics["model"]["trainable_parameters"] < metrics["model"]["parameters"] / 4
    assert (run_dir / stage / "adapter/adapter_config.json").is_file()
    assert (run_dir / stage / "model").is_dir() == (stage == "grpo")  # rloo keeps its adapter only (merge: false)


@pytest.mark.slow
def test_warp_merges_lora_policies_into_a_plain_model(run):
    """The merged model, recomputed from the adapters by hand: delta_i = scale * B_i A_i on the LoRA-targeted
    weights, theta = init + eta * SLERP(delta_1, delta_2; 1/2); every other tensor is the init's."""
    run_dir, stages, _, _ = run
    check_resources(stages["warp"]["metrics"], steps=False)
    init = start_model(run_dir).state_dict()
    merged, _ = load_model(run_dir / "warp/model")
    merged = merged.state_dict()
    assert set(merged) == set(init)  # a plain model, no LoRA tensors

    def deltas(stage):
        weights = load_file(run_dir / stage / "adapter/adapter_model.safetensors")
        out = {}
        for key, a in weights.items():
            if "lora_A" in key:
                b = weights[key.replace("lora_A", "lora_B")]
                name = key.removeprefix("base_model.model.").replace(".lora_A.weight", ".weight")
                out[name] = (8 / 4) * (b.double() @ a.double())
        return out

    first, second = deltas("rloo"), deltas("grpo")
    assert set(first) == set(second) and first
    changed = 0
    for name, d1 in first.items():
        d2 = second[name]
        omega = math.acos(max(-1.0, min(1.0, (d1 * d2).sum().item() / (d1.norm() * d2.norm()).item())))
        slerp = (math.sin(omega / 2) * d1 + math.sin(omega / 2) * d2) / math.sin(omega)
        expected = init[name].double() + 0.5 * slerp
        assert torch.allclose(merged[name].double(), expected, atol=1e-6), name
        changed += not torch.equal(merged[name], init[name])
    assert changed > 0
    assert all(torch.equal(merged[k], init[k]) for k in init if k not in first)


@pytest.mark.slow
def test_dpo_with_lora_uses_the_adapter_disabled_policy_as_reference(run):
    from accelerate.utils import is_peft_model

    run_dir, stages, _, held = run
    metrics = stages["dpo"]["metrics"]
    assert held["reference"] is None and is_peft_model(held["policy"])
    assert 0 <= metrics["implicit_reward_accuracy"] <= 1 and "eval_rewards/accuracies" in metrics
    assert metrics["trainable_parameters"] > 0 and metrics["lora"]["r"] == 4
    check_resources(metrics)
    trained, _ = load_model(run_dir / "dpo/model")
    start = start_model(run_dir)
    assert any(not torch.equal(a, b) for a, b in zip(trained.state_dict().values(), start.state_dict().values()))
    assert (run_dir / "dpo/adapter/adapter_config.json").is_file()


@pytest.mark.parametrize("stage, message", [
    ("{kind: rlhf, model: m, reward_model: m, data: d, anchor: ema, lora: {r: 4}}", "anchor: ema cannot move"),
    ("{kind: dpo, model: m, ref_model: m, data: d, lora: {r: 4}}", "drop ref_model"),
    ("{kind: reward, model: m, data: d, lora: {merge: false}}", "drop merge: false"),
    ("{kind: dpo, model: m, data: d, lora: {qlora: true, merge: false}}", "supported by the sft stage only"),
    ("{kind: reward, model: m, data: d, lora: {rank: 4}}", "rank"),
])
def test_lora_blocks_that_cannot_work_are_refused_in_one_line(tmp_path, stage, message):
    import yaml

    data = yaml.safe_load(f"name: x\nmodels: {{m: {{preset: gemma2-tiny-student, tokenizer: m}}}}\nstages:\n  - {stage}\n")
    with pytest.raises(WorkbenchError, match=message):
        parse_recipe(data)
