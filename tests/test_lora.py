"""`workbench lora`: end to end on a tiny model folder (adapter, merged model, metrics, samples) and every refusal."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
import torch

from workbench import cli
from workbench.models import ModelSpec, load_model
from workbench.tokenizer import train_tokenizer

EXAMPLES = Path(__file__).parent.parent / "examples" / "lora"


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBENCH_CACHE", str(tmp_path / "cache"))


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory) -> Path:
    """A tiny Gemma 2 (random init) saved with a tokenizer trained on the example chats."""
    root = tmp_path_factory.mktemp("tiny")
    corpus = root / "corpus.txt"
    corpus.write_text("\n".join(m["content"] for line in (EXAMPLES / "train.jsonl").read_text().splitlines()
                                for m in json.loads(line)["messages"]))
    tokenizer = train_tokenizer([corpus], vocab_size=400, out_dir=root / "tokenizer")
    model, tokenizer = load_model(ModelSpec(preset="gemma2-tiny-student"), tokenizer=tokenizer, seed=0)
    model.save_pretrained(root / "model")
    tokenizer.save_pretrained(root / "model")
    return root / "model"


def _lora(*args) -> int:
    return cli.main(["lora", *map(str, args)])


@pytest.mark.slow
def test_lora_end_to_end_with_merge(tiny_model, tmp_path, capsys):
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    out = tmp_path / "out"
    assert _lora("--model", tiny_model, "--data", EXAMPLES / "train.jsonl", "--out", out, "--steps", 3,
                 "--batch-size", 4, "--max-length", 128, "--lr", 3e-3, "--rank", 4, "--merge") == 0
    printed = capsys.readouterr().out
    assert "eval loss" in printed and printed.count("before:") == 3 and printed.count("after:") == 3
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["eval_rows"] == 10 and metrics["train_rows"] == 91  # 10 % of 101 held out
    assert metrics["before"]["eval_loss"] > 0 and metrics["after"]["eval_perplexity"] > 1
    assert metrics["lora"]["r"] == 4
    assert 0 < metrics["model"]["trainable_parameters"] < metrics["model"]["parameters"] / 5  # counted before merging
    samples = [json.loads(line) for line in (out / "samples.jsonl").read_text().splitlines()]
    assert len(samples) == 6 and {tuple(sorted(s)) for s in samples} == {("id", "prompt", "response", "stage")}

    ids = torch.tensor([[2, 4, 40, 41, 42, 5, 4, 43]])
    adapted = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(tiny_model), out / "adapter").eval()
    merged = AutoModelForCausalLM.from_pretrained(out / "merged").eval()
    base = AutoModelForCausalLM.from_pretrained(tiny_model).eval()
    with torch.no_grad():
        a, m, b = (x(input_ids=ids).logits for x in (adapted, merged, base))
    assert torch.allclose(a, m, atol=1e-4)
    assert not torch.allclose(m, b, atol=1e-4)  # the adapter changed something
    config = json.loads((out / "adapter" / "adapter_config.json").read_text())
    assert config["base_model_name_or_path"] == str(tiny_model.resolve())  # loadable on its own


@pytest.mark.slow
def test_adapter_of_a_preset_built_in_memory_loads_on_its_own(tiny_model, tmp_path):
    """A recipe's sft stage on a preset: the base exists only in memory, so the stage saves it as `base/` and the
    adapter names that folder; `AutoPeftModelForCausalLM` then needs nothing but the adapter folder."""
    from peft import AutoPeftModelForCausalLM
    from transformers import AutoModelForCausalLM

    from workbench.pipeline import run_recipe
    from workbench.recipe import parse_recipe

    tokenizer = {"kind": "tokenizer", "name": "tok", "corpus": str(tiny_model.parent / "corpus.txt"), "vocab_size": 400}
    lora = {"kind": "sft", "name": "lora", "model": "m", "data": str(EXAMPLES / "train.jsonl"),
            "eval_data": str(EXAMPLES / "eval.jsonl"), "max_length": 128, "samples": 1, "lora": {"r": 4},
            "train": {"max_steps": 2, "batch_size": 4, "lr": 3e-3}}
    recipe = parse_recipe({"name": "p", "seed": 0, "stages": [tokenizer, lora],
                           "models": {"m": {"preset": "gemma2-tiny-student", "tokenizer": "tok"}}})
    run_recipe(recipe, tmp_path / "run")
    stage = tmp_path / "run" / "lora"
    config = json.loads((stage / "adapter" / "adapter_config.json").read_text())
    assert config["base_model_name_or_path"] == str((stage / "base").resolve())
    ids = torch.tensor([[2, 4, 40, 41, 42, 5, 4, 43]])
    adapted = AutoPeftModelForCausalLM.from_pretrained(stage / "adapter").eval()
    merged = AutoModelForCausalLM.from_pretrained(stage / "model").eval()
    with torch.no_grad():
        assert torch.allclose(adapted(input_ids=ids).logits, merged(input_ids=ids).logits, atol=1e-4)


def test_recipe_settings_are_taken_and_options_override_them(tiny_model):
    from workbench.lora import LoraRequest, build_recipe
    from workbench.recipe import load_recipe

    recipe = EXAMPLES.parent.parent / "recipes" / "lora-custom.yaml"
    stage = load_recipe(recipe).stages[0]

    def train(**options) -> dict:
        return build_recipe(LoraRequest(model=str(tiny_model), data=EXAMPLES / "train.jsonl",
                                        eval=EXAMPLES / "eval.jsonl", **options))["stages"][0]["train"]

    taken = train(recipe=recipe)
    assert (taken["max_steps"], taken["lr"], taken["batch_size"]) == (stage.train.max_steps, stage.train.lr,
                                                                       stage.train.batch_size)
    assert train(recipe=recipe, epochs=1)["max_steps"] == -(-101 // stage.train.batch_size)  # 101 rows, rounded up
    assert train(recipe=recipe, steps=7, lr=0.01)["max_steps"] == 7 and train(recipe=recipe, lr=0.01)["lr"] == 0.01
    assert train()["max_steps"] == -(-3 * 101 // 8)  # no recipe: 3 epochs at the default batch size 8


@pytest.mark.parametrize("args,message", [
    (["--data", "{tmp}/nowhere.jsonl"], "nowhere.jsonl: data file not found"),
    (["--data", "{tmp}/question.jsonl"], "question.jsonl:1: no dataset columns"),
    (["--data", "{tmp}/user_only.jsonl"], "user_only.jsonl:1: column messages has no assistant turn"),
    (["--eval", "{tmp}/user_only.jsonl"], "user_only.jsonl:1: column messages has no assistant turn"),
    (["--model", "/no/such/model"], "/no/such/model: no such folder"),
    (["--model", "gemma2-tiny-student"], "give --tokenizer"),
    (["--qlora", "--merge"], "cannot merge"),
    (["--qlora"], "needs a CUDA GPU"),
    (["--steps", "2", "--epochs", "1"], "not allowed with argument"),
    (["--max-length", "5000"], "max_position_embeddings 1024"),
], ids=["missing data", "wrong columns", "no assistant turn", "bad eval file", "missing model",
        "preset without tokenizer", "merge into 4 bits", "qlora without a GPU", "steps and epochs",
        "max length beyond the context"])
def test_bad_input_is_one_line_and_exit_2(tiny_model, tmp_path, capsys, args, message):
    (tmp_path / "question.jsonl").write_text(json.dumps({"question": "q", "answer": "a"}) + "\n")
    (tmp_path / "user_only.jsonl").write_text(json.dumps({"messages": [{"role": "user", "content": "hi"}]}) + "\n")
    given = dict.fromkeys(a for a in args if a.startswith("--"))
    defaults = [x for key, value in (("--model", tiny_model), ("--data", EXAMPLES / "train.jsonl"))
                if key not in given for x in (key, value)]
    try:
        code = _lora(*defaults, "--out", tmp_path / "out", *[a.format(tmp=tmp_path) for a in args])
    except SystemExit as e:  # argparse's own usage errors
        code = e.code
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and message in err[0], err
    assert not (tmp_path / "out" / "lora").exists()  # refused before anything ran


def test_qlora_is_refused_in_one_line_without_gpu_or_bitsandbytes(tiny_model, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    common = ["--model", tiny_model, "--data", EXAMPLES / "train.jsonl", "--out", tmp_path / "o", "--steps", 1]
    # the recipe's own switch (lora.qlora), reached through an override: the stage refuses before loading the model
    assert _lora(*common, "stages.lora.lora.qlora=true") == 2
    err = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error:")]
    assert len(err) == 1 and "lora.qlora needs a CUDA GPU" in err[0], err
    assert not (tmp_path / "o" / "lora" / "adapter").exists()
    # a GPU without bitsandbytes
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "bitsandbytes" else real_find_spec(name, *a))
    assert _lora(*common, "--qlora") == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--qlora needs bitsandbytes" in err[0], err


def test_bf16_is_refused_where_the_cpu_lacks_it(tiny_model, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("workbench.training.cpu_supports_bf16", lambda: False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert _lora("--model", tiny_model, "--data", EXAMPLES / "train.jsonl", "--out", tmp_path / "o", "--bf16") == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--bf16" in err[0]


def test_max_length_beyond_the_context_of_a_preset_is_caught_by_the_stage(tiny_model, tmp_path, capsys):
    code = _lora("--model", "gemma2-tiny-student", "--tokenizer", tiny_model, "--data", EXAMPLES / "train.jsonl",
                 "--out", tmp_path / "o", "--steps", 1, "--max-length", 5000)
    errors = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error:")]
    assert code == 2 and len(errors) == 1 and "max_position_embeddings 1024" in errors[0]


@pytest.mark.slow
def test_step_benchmark_runs_both_loops_on_the_same_batches():
    from bench.lora_step import report, run

    r = run(model="gemma2-tiny-student", steps=2, warmup=1)
    assert r["trainer"] == "LeanSFTTrainer" and r["batch_shapes"] == [(4, 256)] and not r["gradient_checkpointing"]
    assert len(r["workbench_step_s"]) == len(r["plain_step_s"]) == 3
    assert r["first_step_loss"]["workbench"] == pytest.approx(r["first_step_loss"]["plain"], rel=1e-4)
    assert r["ratio"] == pytest.approx(r["workbench_s_per_step"] / r["plain_s_per_step"], rel=0.01)
    assert "ratio" in report(r)


@pytest.mark.slow  # a short LoRA run (~10 s)
def test_a_turn_end_row_the_base_never_learnt_starts_from_eos_and_answers_stop(tiny_model, tmp_path, capsys):
    """Gemma 3 270M's case at toy size: the base puts `<end_of_turn>` tens of nats below `<eos>` where answers end
    (its row points away from the answer-end states). Plain LoRA cannot lift it; `workbench lora` starts that row as
    a copy of `<eos>`'s and trains it, and reports the log-probs and the share of answers that end cleanly."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model, tokenizer = AutoModelForCausalLM.from_pretrained(tiny_model), AutoTokenizer.from_pretrained(tiny_model)
    row = json.loads((EXAMPLES / "train.jsonl").read_text().splitlines()[0])
    ids = tokenizer.apply_chat_template(row["messages"], return_dict=True, return_tensors="pt")["input_ids"]
    end = tokenizer.convert_tokens_to_ids("<end_of_turn>")
    with torch.no_grad():
        hidden = model.model(input_ids=ids).last_hidden_state[0, (ids[0] == end).nonzero().flatten() - 1].mean(0)
        model.get_input_embeddings().weight[end] = -40 * hidden / hidden.norm() ** 2  # logit about -40 there
    model.save_pretrained(tmp_path / "base")
    tokenizer.save_pretrained(tmp_path / "base")

    assert _lora("--model", tmp_path / "base", "--data", EXAMPLES / "train.jsonl", "--eval", EXAMPLES / "eval.jsonl",
                 "--out", tmp_path / "out", "--steps", 3, "--batch-size", 4, "--max-length", 128, "--lr", 3e-3,
                 "--rank", 4, "stages.lora.ending_prompts=4") == 0
    metrics = json.loads((tmp_path / "out" / "metrics.json").read_text())
    turn_end = metrics["turn_end_logprob"]
    assert turn_end["before"]["end_of_turn"] < turn_end["before"]["eos"] - 10, turn_end
    assert turn_end["started_from_eos"] and turn_end["after"]["end_of_turn"] > turn_end["before"]["end_of_turn"] + 10
    assert 0 <= metrics["after"]["clean_endings"] <= 1 and metrics["after"]["clean_endings_of"] == 4
    assert "clean endings" in capsys.readouterr().out
