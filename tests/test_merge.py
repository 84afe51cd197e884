"""Stage `merge`: WARP's SLERP of task vectors + LITI towards the start, plain weight averaging, and refusals."""

from __future__ import annotations

import math

import pytest
import torch

from workbench.errors import WorkbenchError
from workbench.models import load_model
from workbench.models.presets import build_preset
from workbench.pipeline import run_recipe
from workbench.recipe import load_recipe
from workbench.stages import merge


def state(**tensors) -> dict:
    return {k: torch.tensor(v, dtype=torch.float32) for k, v in tensors.items()}


def test_slerp_of_orthogonal_task_vectors_halfway():
    # delta_1 = (2, 0), delta_2 = (0, 4): omega = pi/2, so
    # SLERP(t=1/2) = sin(pi/4) (delta_1 + delta_2) = (sqrt2, 2 sqrt2)
    init = state(w=[1.0, -1.0])
    policies = [state(w=[3.0, -1.0]), state(w=[1.0, 3.0])]
    cfg = merge.Config(init="i", models=["a", "b"], t=0.5, eta=1.0)
    merged, metrics = merge.merge_states(cfg, init, policies)
    delta = merged["w"] - init["w"]
    assert delta.tolist() == pytest.approx([math.sqrt(2), 2 * math.sqrt(2)], rel=1e-6)
    assert delta.norm().item() == pytest.approx(math.sqrt(10), rel=1e-6)  # linear averaging would give sqrt(5)
    assert metrics["task_vector_cosine_mean"] == pytest.approx(0.0, abs=1e-7)
    assert metrics["task_vector_norms"] == [2.0, 4.0]
    assert metrics["merged_task_vector_norm"] == pytest.approx(math.sqrt(10), abs=1e-4)


def test_slerp_of_equal_orthogonal_vectors_keeps_norm_and_bisects_the_angle():
    a, b = torch.tensor([3.0, 0.0]), torch.tensor([0.0, 3.0])
    mid = merge.slerp(a, b, 0.5)
    assert mid.norm().item() == pytest.approx(3.0, rel=1e-6)
    angle = torch.arccos(torch.dot(mid, a) / (mid.norm() * a.norm())).item()
    assert angle == pytest.approx(math.pi / 4, rel=1e-6)
    quarter = merge.slerp(a, b, 0.25)  # a quarter of the way: 22.5 degrees from a
    assert torch.atan2(quarter[1], quarter[0]).item() == pytest.approx(math.pi / 8, rel=1e-6)


def random_states(n: int, seed: int = 0) -> list[dict]:
    g = torch.Generator().manual_seed(seed)
    return [{"w": torch.randn(5, 3, generator=g), "b": torch.randn(3, generator=g),
             "step": torch.tensor([7])} for _ in range(n)]


def test_eta_zero_gives_the_init_and_eta_one_t_zero_the_first_policy_exactly():
    init, first, second = random_states(3)
    at_init, _ = merge.merge_states(merge.Config(init="i", models=["a", "b"], t=0.3, eta=0.0), init, [first, second])
    at_first, _ = merge.merge_states(merge.Config(init="i", models=["a", "b"], t=0.0, eta=1.0), init, [first, second])
    for k in init:
        assert torch.equal(at_init[k], init[k]), k
        assert torch.equal(at_first[k], first[k]), k


def test_liti_is_linear_between_init_and_the_slerp_merge():
    init, first, second = random_states(3, seed=1)
    full, _ = merge.merge_states(merge.Config(init="i", models=["a", "b"], t=0.5, eta=1.0), init, [first, second])
    part, _ = merge.merge_states(merge.Config(init="i", models=["a", "b"], t=0.5, eta=0.3), init, [first, second])
    assert torch.allclose(part["w"], 0.7 * init["w"] + 0.3 * full["w"], atol=1e-6)


def test_three_policies_merge_iteratively_and_parallel_vectors_average():
    init = state(w=[0.0, 0.0])
    parallel = [state(w=[1.0, 1.0]), state(w=[2.0, 2.0]), state(w=[4.0, 4.0])]
    cfg = merge.Config(init="i", models=["a", "b", "c"], weights=[1, 1, 2], eta=1.0)
    merged, _ = merge.merge_states(cfg, init, parallel)
    assert merged["w"].tolist() == pytest.approx([2.75, 2.75])  # (1 + 2 + 2*4) / 4
    orthogonal = [state(w=[1.0, 0.0]), state(w=[0.0, 1.0]), state(w=[-1.0, 0.0])]
    merged, _ = merge.merge_states(merge.Config(init="i", models=["a", "b", "c"], eta=1.0), init, orthogonal)
    # SLERP(e1, e2; 1/2) = (e1 + e2)/sqrt2, at 135 degrees from -e1; a third of the way to -e1 lands on e2.
    assert merged["w"].tolist() == pytest.approx([0.0, 1.0], abs=1e-6)


def test_averaging_identical_models_is_the_identity():
    [same] = random_states(1, seed=2)
    averaged, metrics = merge.merge_states(merge.Config(method="average", models=["a", "b", "c"],
                                                        weights=[1, 2, 3]), None, [same, same, same])
    for k in same:
        assert torch.allclose(averaged[k], same[k], atol=1e-6), k
    assert "task_vector_cosine_mean" not in metrics
    first, second = random_states(2, seed=3)
    averaged, _ = merge.merge_states(merge.Config(method="average", models=["a", "b"], weights=[3, 1]), None,
                                     [first, second])
    assert torch.allclose(averaged["w"], 0.75 * first["w"] + 0.25 * second["w"], atol=1e-6)


def test_config_refusals():
    with pytest.raises(ValueError, match="needs `init`"):
        merge.Config(models=["a", "b"], eta=0.5)
    with pytest.raises(ValueError, match="`weights` or `t`"):
        merge.Config(init="i", models=["a", "b"], eta=0.5, t=0.5, weights=[1, 1])
    with pytest.raises(ValueError, match="exactly two"):
        merge.Config(init="i", models=["a", "b", "c"], eta=0.5, t=0.5)
    with pytest.raises(ValueError, match="one weight per model"):
        merge.Config(init="i", models=["a", "b"], eta=0.5, weights=[1])


def test_architecture_mismatch_is_refused():
    student, wider_vocabulary = build_preset("gemma2-tiny-student", 64), build_preset("gemma2-tiny-student", 80)

    class Vocab:
        def get_vocab(self):
            return {"a": 0}

    mismatch = r"^merge: model 'big' cannot be merged with 'small': parameter '.*' has shape \(80, 128\)"
    with pytest.raises(WorkbenchError, match=mismatch):
        merge.check_same_architecture([("small", student, Vocab()), ("big", wider_vocabulary, Vocab())])
    merge.check_same_architecture([("small", student, Vocab()), ("again", build_preset("gemma2-tiny-student", 64),
                                                                 Vocab())])


RECIPE = """
name: merge
seed: 0
models:
  tiny: {preset: gemma2-tiny-student, tokenizer: tok}
  big: {preset: gemma2-tiny-teacher, tokenizer: tok}
stages:
  - {kind: taskworld, name: world, n: 60, corpus_docs: 200}
  - {kind: tokenizer, name: tok, corpus: world, vocab_size: 512}
  - {kind: pretrain, name: base, model: tiny, data: world, seq_len: 64, eval_blocks: 4,
     train: {max_steps: 2, batch_size: 4, precision: fp32, logging_steps: 1}}
  - {kind: pretrain, name: left, model: base, data: world, seq_len: 64, eval_blocks: 4,
     train: {max_steps: 2, batch_size: 4, lr: 0.003, precision: fp32, logging_steps: 1}}
  - {kind: pretrain, name: right, model: base, data: world, seq_len: 64, eval_blocks: 4,
     train: {max_steps: 2, batch_size: 8, lr: 0.001, precision: fp32, logging_steps: 1}}
  - {kind: merge, name: warp, init: base, models: [left, right], t: 0.5, eta: 0.5}
"""


@pytest.mark.slow
def test_warp_stage_in_a_recipe(tmp_path):
    (tmp_path / "r.yaml").write_text(RECIPE)
    manifest = run_recipe(load_recipe(tmp_path / "r.yaml"), tmp_path / "run")
    run_dir = tmp_path / "run"
    metrics = manifest["stages"]["warp"]["metrics"]
    merged, tokenizer = load_model(run_dir / "warp/model")
    assert len(tokenizer) == len(load_model(run_dir / "base/model")[1])
    states = [load_model(run_dir / f"{name}/model")[0].state_dict() for name in ("base", "left", "right")]
    base, left, right = states
    name = "model.layers.0.mlp.up_proj.weight"
    delta = merge.slerp(left[name].double() - base[name].double(), right[name].double() - base[name].double(), 0.5)
    assert torch.allclose(merged.state_dict()[name], (base[name].double() + 0.5 * delta).float(), atol=1e-6)
    assert -1 <= metrics["task_vector_cosine_mean"] <= 1
    assert len(metrics["task_vector_norms"]) == 2 and min(metrics["task_vector_norms"]) > 0
    assert metrics["merged_task_vector_norm"] == pytest.approx(0.5 * metrics["slerp_task_vector_norm"], rel=1e-3)

    (tmp_path / "bad.yaml").write_text(RECIPE.replace("models: [left, right]", "models: [left, big]"))
    with pytest.raises(WorkbenchError, match=r"^merge: model 'big' cannot be merged with 'base'"):
        run_recipe(load_recipe(tmp_path / "bad.yaml"), tmp_path / "run")


LORA_RECIPE = """
name: merge-lora
seed: 0
models:
  tiny: {preset: gemma2-tiny-student, tokenizer: tok}
stages:
  - {kind: taskworld, name: world, n: 60, corpus_docs: 200}
  - {kind: tokenizer, name: tok, corpus: world, vocab_size: 512}
  - {kind: sft, name: kept, model: tiny, data: world, max_length: 128, score_prompts: 0, samples: 0,
     lora: {r: 4, merge: false}, train: {max_steps: 2, batch_size: 4, lr: 0.01, precision: fp32}}
  - {kind: sft, name: merged, model: tiny, data: world, max_length: 128, score_prompts: 0, samples: 0,
     lora: {r: 4}, train: {max_steps: 2, batch_size: 4, lr: 0.005, precision: fp32}}
  - {kind: merge, name: soup, method: average, init: tiny, models: [kept, merged]}
"""


@pytest.mark.slow
def test_lora_policies_are_merged_into_their_base_first(tmp_path):
    from peft import PeftModel

    (tmp_path / "r.yaml").write_text(LORA_RECIPE)
    manifest = run_recipe(load_recipe(tmp_path / "r.yaml"), tmp_path / "run")
    run_dir = tmp_path / "run"
    assert not (run_dir / "kept/model").exists() and (run_dir / "kept/adapter").is_dir()
    tokenizer = run_dir / "tok/tokenizer"
    start = build_preset("gemma2-tiny-student", len(load_model(run_dir / "merged/model")[1]), seed=0)
    kept = PeftModel.from_pretrained(start, str(run_dir / "kept/adapter")).merge_and_unload().state_dict()
    merged = load_model(run_dir / "merged/model")[0].state_dict()
    soup = load_model(run_dir / "soup/model", tokenizer=tokenizer)[0].state_dict()
    name = "model.layers.0.self_attn.q_proj.weight"
    assert torch.allclose(soup[name], (kept[name] + merged[name]) / 2, atol=1e-6)
    assert not torch.allclose(kept[name], merged[name])
    assert manifest["stages"]["soup"]["metrics"]["task_vector_cosine_mean"] is not None
    adapter_folder_is_applied_to_the_base_it_names(run_dir, kept, tmp_path)


def adapter_folder_is_applied_to_the_base_it_names(run_dir, kept: dict, tmp_path):
    """A recipe model whose `path` is a peft adapter folder: loaded onto the base its adapter_config.json names."""
    import json
    import shutil

    from workbench.models import ModelSpec
    from workbench.stages.base import StageContext

    _, tokenizer = load_model(run_dir / "merged/model")
    base = build_preset("gemma2-tiny-student", len(tokenizer), seed=0)
    base.save_pretrained(tmp_path / "base")
    tokenizer.save_pretrained(tmp_path / "base")
    adapter = tmp_path / "adapter"
    shutil.copytree(run_dir / "kept/adapter", adapter)
    config = json.loads((adapter / "adapter_config.json").read_text())
    assert config["base_model_name_or_path"] == str((run_dir / "kept/base").resolve())  # the sft stage saved it
    config["base_model_name_or_path"] = None  # an adapter from elsewhere that names no base
    (adapter / "adapter_config.json").write_text(json.dumps(config))
    ctx = StageContext(run_dir=run_dir, stage_dir=tmp_path, stage_name="m", seed=0, recipe=None,
                       resolve=lambda name, what: ModelSpec(path=str(adapter)))
    with pytest.raises(WorkbenchError, match=r"^model 'ad': the adapter .* names no base model"):
        merge.load_policy("ad", ctx)
    config["base_model_name_or_path"] = str(tmp_path / "base")
    (adapter / "adapter_config.json").write_text(json.dumps(config))
    model, _ = merge.load_policy("ad", ctx)
    name = "model.layers.0.self_attn.q_proj.weight"
    assert torch.equal(model.state_dict()[name], kept[name])
