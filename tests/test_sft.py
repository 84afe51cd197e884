"""Stage `sft`: full and LoRA fine-tuning on the task world, assistant-only labels, the lean loss, mixing, resume."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import pytest
import torch

from workbench.errors import WorkbenchError
from workbench.pipeline import Pipeline, run_recipe
from workbench.recipe import load_recipe, parse_recipe
from workbench.stages import sft
from workbench.stages.base import StageContext

WORLD = """
name: s
seed: 0
models:
  student: {preset: gemma2-tiny-student, tokenizer: tok}
stages:
  - {kind: taskworld, name: world, n: 60, corpus_docs: 300}
  - {kind: tokenizer, name: tok, corpus: world, vocab_size: 512}
"""
TRAIN = "train: {max_steps: 4, batch_size: 4, precision: fp32, logging_steps: 1, lr: 0.003}"


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Path:
    """A run folder holding a small task world and a 512-token tokenizer."""
    root = tmp_path_factory.mktemp("world")
    (root / "r.yaml").write_text(WORLD)
    run_recipe(load_recipe(root / "r.yaml"), root / "run")
    return root


def _run(world: Path, tmp_path: Path, stages: str) -> dict:
    """Run WORLD + `stages` in a copy-free run folder that reuses the world's finished stages."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    recipe = tmp_path / "r.yaml"
    recipe.write_text(WORLD + stages)
    run_dir = tmp_path / "run"
    if not run_dir.exists():
        shutil.copytree(world / "run", run_dir)
    return run_recipe(load_recipe(recipe), run_dir)["stages"]


def _context(world: Path, tmp_path: Path, stage_yaml: str) -> tuple[sft.Config, StageContext]:
    recipe = tmp_path / "r.yaml"
    recipe.write_text(WORLD + stage_yaml)
    pipeline = Pipeline(load_recipe(recipe), world / "run")
    cfg = pipeline.recipe.stages[-1]
    ctx = StageContext(run_dir=world / "run", stage_dir=tmp_path / "stage", stage_name=cfg.stage_name, seed=0,
                       recipe=pipeline.recipe, resolve=pipeline.resolve)
    return cfg, ctx


@pytest.mark.slow  # trains a model
def test_full_and_lora_sft_on_the_task_world(world, tmp_path):
    stages = _run(world, tmp_path, f"""
  - {{kind: sft, name: full, model: student, data: world, eval_data: world, max_length: 128, score_prompts: 6,
     prompt_noise: 0.3, {TRAIN}}}
  - {{kind: sft, name: lora, model: full, data: world, max_length: 128, score_prompts: 6, lora: {{r: 4}}, packing: true,
     {TRAIN}}}
""")
    full, lora = stages["full"]["metrics"], stages["lora"]["metrics"]
    assert full["after"]["eval_loss"] < full["before"]["eval_loss"]
    assert math.isclose(full["after"]["eval_perplexity"], math.exp(full["after"]["eval_loss"]), rel_tol=1e-3)
    assert full["before"]["taskworld"]["n"] == 6 and "skills" in full["after"]["taskworld"]
    assert full["loss_on"] == "assistant turns" and full["lora"] is None
    assert 0.75 * full["train_rows"] <= full["noised_rows"] <= full["train_rows"] and lora["noised_rows"] == 0
    assert lora["model"]["trainable_parameters"] < lora["model"]["parameters"] / 5
    run = tmp_path / "run"
    assert (run / "lora" / "adapter" / "adapter_config.json").is_file()
    assert (run / "lora" / "model" / "config.json").is_file()  # merged, loadable by later stages
    samples = [json.loads(line) for line in (run / "full" / "samples.jsonl").read_text().splitlines()]
    assert [s["stage"] for s in samples] == ["before"] * 3 + ["after"] * 3
    assert all(s["prompt"][-1]["role"] == "user" and isinstance(s["response"], str) for s in samples)


def test_labels_cover_exactly_the_assistant_turns(world, tmp_path):
    cfg, ctx = _context(world, tmp_path, f"""
  - {{kind: sft, model: student, data: world, eval_data: world, max_length: 512, {TRAIN}}}
""")
    train, evals, kind = sft.load_sft_data(cfg, ctx)
    model, tokenizer = sft.load_base(cfg, ctx)
    trainer = sft.build_trainer(cfg, ctx, model, tokenizer, train, evals, kind)
    assert len(trainer.train_dataset) == len(train)  # nothing dropped, so row i is train[i]
    batch = trainer.data_collator([trainer.train_dataset[i] for i in range(16)])
    end_of_turn = tokenizer.convert_tokens_to_ids("<end_of_turn>")
    checked_multiturn = False
    for i in range(16):
        ids, labels = batch["input_ids"][i], batch["labels"][i]
        kept = labels != -100
        assert torch.equal(labels[kept], ids[kept])
        assistant = [m["content"].strip() for m in train[i]["messages"] if m["role"] == "assistant"]
        assert tokenizer.decode(ids[kept]) == "".join(a + "<end_of_turn>" for a in assistant)
        starts = [j for j in range(len(kept)) if kept[j] and (j == 0 or not kept[j - 1])]
        ends = [j for j in range(len(kept)) if kept[j] and (j + 1 == len(kept) or not kept[j + 1])]
        assert len(starts) == len(assistant)  # one contiguous span per assistant turn ...
        assert all(ids[j] == end_of_turn for j in ends)  # ... ending with the stop token
        assert all(tokenizer.decode(ids[:j]).endswith("<start_of_turn>model\n") for j in starts)
        checked_multiturn |= len(assistant) > 1
    assert checked_multiturn
    # Packed rows (several conversations wrapped into one) keep the same mask.
    packed = sft.build_trainer(cfg.model_copy(update={"packing": True, "max_length": 128}), ctx, model, tokenizer,
                               train, evals, kind)
    batch = packed.data_collator([packed.train_dataset[i] for i in range(4)])
    starts = [tokenizer.decode(ids).count("<bos>") for ids in batch["input_ids"]]
    assert sum(starts) > len(starts), starts  # more conversations than rows (a long one may fill a row alone)
    for ids, labels in zip(batch["input_ids"], batch["labels"]):
        learned = tokenizer.decode(ids[labels != -100])
        assert "<end_of_turn>" in learned and "<start_of_turn>" not in learned


def test_replay_mixes_corpus_documents_trained_on_every_token(world, tmp_path):
    cfg, ctx = _context(world, tmp_path, f"""
  - {{kind: sft, model: student, data: world, eval_data: world, max_length: 64, replay: world, replay_fraction: 0.25,
     train: {{max_steps: 50, batch_size: 8}}}}
""")
    train, evals, kind = sft.load_sft_data(cfg, ctx)
    model, tokenizer = sft.load_base(cfg, ctx)
    trainer = sft.build_trainer(cfg, ctx, model, tokenizer, train, evals, kind)
    n_sft = len(trainer.train_dataset)
    added = sft.add_replay(trainer, cfg, ctx, tokenizer)
    rows = trainer.train_dataset
    repeats = (len(rows) - added) // n_sft
    assert repeats * n_sft + added == len(rows) and repeats == round(0.75 * 50 * 8 / n_sft)
    assert added / len(rows) == pytest.approx(0.25, abs=0.01)
    docs = set((world / "run" / "world" / "data" / "corpus" / "train.txt").read_text().split("\n\n"))
    replayed = [rows[i] for i in range(repeats * n_sft, len(rows))]
    for row in replayed:
        assert row["labels"] == row["input_ids"] and len(row["input_ids"]) <= 64  # every token, cut at max_length
        text = tokenizer.decode(row["input_ids"])
        assert text.startswith("<bos>")
        if text.endswith("<eos>"):
            assert text[len("<bos>"):-len("<eos>")].strip("\n") in docs
    assert len({tuple(r["input_ids"]) for r in replayed}) > 0.9 * added  # distinct documents, not one repeated
    sft_rows = [rows[i] for i in range(n_sft)]
    assert all(-100 in r["labels"] for r in sft_rows)  # the SFT rows keep their assistant-only labels
    with pytest.raises(ValueError, match="packing"):
        sft.Config(model="m", data="d", replay="d", packing=True)


def test_prompt_completion_trains_the_completion_and_text_every_token(world, tmp_path):
    pc = _write(tmp_path / "pc.jsonl", [{"prompt": [{"role": "user", "content": f"Name {i}?"}],
                                         "completion": [{"role": "assistant", "content": f"Item {i}."}]}
                                        for i in range(4)])
    text = _write(tmp_path / "text.jsonl", [{"text": f"plain line {i}"} for i in range(4)])
    for data, expected in ((pc, lambda i: f"Item {i}.<end_of_turn>"), (text, None)):
        cfg, ctx = _context(world, tmp_path, f"""
  - {{kind: sft, model: student, data: {data}, eval_data: {data}, max_length: 64, {TRAIN}}}
""")
        train, evals, kind = sft.load_sft_data(cfg, ctx)
        model, tokenizer = sft.load_base(cfg, ctx)
        trainer = sft.build_trainer(cfg, ctx, model, tokenizer, train, evals, kind)
        for row, example in zip(train, trainer.train_dataset):
            batch = trainer.data_collator([example])
            ids, labels = batch["input_ids"][0], batch["labels"][0]
            if expected is not None:
                i = int(row["prompt"][0]["content"].split()[1].rstrip("?"))
                # TRL's completion mask also takes the template's newline after <end_of_turn>
                assert tokenizer.decode(ids[labels != -100]) in (expected(i), expected(i) + "\n")
            else:
                assert (labels == ids).all() and tokenizer.decode(ids).startswith("<bos>" + row["text"])


def test_lean_loss_equals_the_models_own_loss(world, tmp_path):
    cfg, ctx = _context(world, tmp_path, f"""
  - {{kind: sft, model: student, data: world, eval_data: world, max_length: 256, {TRAIN}}}
""")
    train, evals, kind = sft.load_sft_data(cfg, ctx)
    model, tokenizer = sft.load_base(cfg, ctx)
    trainer = sft.build_trainer(cfg, ctx, model, tokenizer, train, evals, kind)
    batch = trainer.data_collator([trainer.train_dataset[i] for i in range(8)])
    with torch.no_grad():
        lean = trainer.compute_loss(trainer.model, dict(batch))
        reference = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"],
                          labels=batch["labels"]).loss
    assert torch.isclose(lean, reference, rtol=1e-5)


def test_lora_turn_rows_train_through_the_lean_layers(world, tmp_path):
    """The stage's LoRA model trains the turn-marker rows through workbench.trainable_tokens, not peft's copy."""
    from peft.tuners.trainable_tokens.layer import TrainableTokensLayer

    cfg, ctx = _context(world, tmp_path, f"""
  - {{kind: sft, model: student, data: world, max_length: 128, lora: {{r: 4}}, {TRAIN}}}
""")
    train, evals, kind = sft.load_sft_data(cfg, ctx)
    model, tokenizer = sft.load_base(cfg, ctx)
    trainer = sft.build_trainer(cfg, ctx, model, tokenizer, train, evals, kind)
    layers = [m for m in trainer.model.modules() if isinstance(m, TrainableTokensLayer)]
    assert len(layers) == 2 and all("forward_adapters" in vars(m) for m in layers)  # embedding and output layer


def _write(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def _chat(tag: str, i: int) -> dict:
    return {"messages": [{"role": "user", "content": f"{tag} question {i}"},
                         {"role": "assistant", "content": f"{tag} answer {i}"}]}


def test_data_mixing_honours_the_weights(tmp_path):
    a = _write(tmp_path / "a.jsonl", [_chat("a", i) for i in range(10)])
    b = _write(tmp_path / "b.jsonl", [_chat("b", i) for i in range(10)])
    ev = _write(tmp_path / "ev.jsonl", [_chat("e", 0)])
    listed = sft.Config(model="m", data=[{"data": str(a), "weight": 2}, {"data": str(b), "weight": 0.5}],
                        eval_data=str(ev))
    assert listed.data == {str(a): 2, str(b): 0.5}
    assert [r[1] for r in listed.references()] == ["m", str(a), str(b), str(ev)]
    ctx = StageContext(run_dir=tmp_path, stage_dir=tmp_path / "st", stage_name="sft", seed=0, recipe=None,
                       resolve=lambda name, what: Path(name))
    train, evals, kind = sft.load_sft_data(listed, ctx)
    tags = [r["messages"][0]["content"].split()[0] for r in train]
    assert tags.count("a") == 20 and tags.count("b") == 5 and len(evals) == 1
    assert len({r["messages"][0]["content"] for r in train if r["messages"][0]["content"].startswith("b")}) == 5
    assert kind == ("language_modeling", "conversational")
    held = sft.Config(model="m", data={str(a): 1.0}, eval_fraction=0.2)
    train, evals, _ = sft.load_sft_data(held, ctx)
    assert len(train) == 8 and len(evals) == 2 and not {r["messages"][0]["content"] for r in evals} & {
        r["messages"][0]["content"] for r in train}
    text = _write(tmp_path / "t.jsonl", [{"text": "plain"}, {"text": "more"}])
    with pytest.raises(WorkbenchError, match="different kinds of rows"):
        sft.load_sft_data(sft.Config(model="m", data={str(a): 1, str(text): 1}, eval_data=str(ev)), ctx)


def test_recipe_errors_for_sources_and_qlora_merge(tmp_path):
    base = {"name": "x", "models": {"m": {"path": str(tmp_path)}}}
    with pytest.raises(WorkbenchError, match="weights must be positive"):
        parse_recipe({**base, "stages": [{"kind": "sft", "model": "m", "data": {"a": 0}}]}, tmp_path / "r.yaml")
    with pytest.raises(WorkbenchError, match="cannot be merged"):
        parse_recipe({**base, "stages": [{"kind": "sft", "model": "m", "data": "a", "lora": {"qlora": True}}]})


class _Killed(Exception):
    pass


@pytest.mark.slow  # trains a model
def test_resume_from_the_last_checkpoint(world, tmp_path, monkeypatch):
    from transformers import TrainerCallback

    from workbench import training

    stage = """
  - {kind: sft, name: ft, model: student, data: world, eval_data: world, max_length: 128, samples: 0, score_prompts: 0,
     train: {max_steps: 4, batch_size: 4, precision: fp32, save_steps: 2, lr: 0.003}}
"""
    straight = _run(world, tmp_path / "straight", stage)["ft"]["metrics"]

    class KillAtStep3(TrainerCallback):
        def on_step_end(self, args, state, control, **kwargs):
            if state.global_step == 3:
                raise _Killed

    monkeypatch.setattr(sft, "callbacks", lambda stage_dir: [*training.callbacks(stage_dir), KillAtStep3()])
    with pytest.raises(_Killed):
        _run(world, tmp_path / "killed", stage)
    monkeypatch.setattr(sft, "callbacks", training.callbacks)
    resumed = _run(world, tmp_path / "killed", stage)["ft"]["metrics"]
    assert straight["resumed_from_step"] is None and resumed["resumed_from_step"] == 2
    assert resumed["after"]["eval_loss"] == pytest.approx(straight["after"]["eval_loss"], abs=1e-4)
