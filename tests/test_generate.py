"""Stage `generate` and `workbench.generation`: batched answers, seed determinism, the SFT rows it writes."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from workbench.data import validate_file
from workbench.errors import DataError
from workbench.generation import (GenerationSettings, answer_prompts, clean_ending_rate, control_tokens,
                                  decode_answer, generate_responses, stop_token_ids)
from workbench.models import ModelSpec, load_model
from workbench.pipeline import run_recipe
from workbench.recipe import load_recipe
from workbench.tokenizer import CHAT_TEMPLATE

WORLD = """
name: g
seed: {seed}
models:
  student: {{preset: gemma2-tiny-student, tokenizer: tok}}
stages:
  - {{kind: taskworld, name: world, n: 60, corpus_docs: 300}}
  - {{kind: tokenizer, name: tok, corpus: world, vocab_size: 512}}
"""
GENERATE = """  - {{kind: generate, name: gen, model: student, prompts: {prompts}, limit: 5,
     sampling: {{max_new_tokens: 12, num_return_sequences: 2, batch_size: 3, temperature: 0.9, top_k: 20}}}}
"""


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBENCH_CACHE", str(tmp_path / "cache"))


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("world")
    (root / "r.yaml").write_text(WORLD.format(seed=0))
    run_recipe(load_recipe(root / "r.yaml"), root / "run")
    return root / "run"


def _generate(world: Path, where: Path, seed: int = 0, prompts: str = "world") -> Path:
    where.mkdir(parents=True)
    shutil.copytree(world, where / "run")
    (where / "r.yaml").write_text(WORLD.format(seed=seed) + GENERATE.format(prompts=prompts))
    run_recipe(load_recipe(where / "r.yaml"), where / "run")
    return where / "run" / "gen"


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_generate_writes_valid_sft_rows_deterministically(world, tmp_path):
    first = _generate(world, tmp_path / "a")
    second = _generate(world, tmp_path / "b")
    other_seed = _generate(world, tmp_path / "c", seed=1)
    info = validate_file(first / "data" / "sft" / "train.jsonl", expect="language_modeling")
    assert info.form == "conversational" and info.rows == 10  # 5 prompts x 2 answers
    rows = _lines(first / "data" / "sft" / "train.jsonl")
    prompts = _lines(world / "world" / "data" / "prompts" / "train.jsonl")[:5]
    for i, row in enumerate(rows):
        source = prompts[i // 2]
        assert row["messages"][:-1] == source["prompt"] and row["messages"][-1]["role"] == "assistant"
        assert row["meta"]["id"] == source["meta"]["id"] and row["meta"]["skill"] == source["meta"]["skill"]
        assert row["meta"]["generated"]["sample"] == i % 2 and row["meta"]["generated"]["model"] == "student"
        assert row["meta"]["generated"]["settings"]["top_k"] == 20
        assert "<end_of_turn>" not in row["messages"][-1]["content"]
    sft_file = Path("data") / "sft" / "train.jsonl"
    assert (first / sft_file).read_bytes() == (second / sft_file).read_bytes()
    answers = [r["response"] for r in _lines(first / "data" / "responses.jsonl")]
    assert answers != [r["response"] for r in _lines(other_seed / "data" / "responses.jsonl")]
    assert answers[0::2] != answers[1::2]  # two samples per prompt, drawn independently
    metrics = json.loads((first / "metrics.json").read_text())
    assert metrics["responses"] == 10 and metrics["taskworld"]["n"] == 10


def test_generate_reads_a_prompt_file_with_plain_string_prompts(world, tmp_path):
    prompts = tmp_path / "prompts.jsonl"
    prompts.write_text("".join(json.dumps({"prompt": f"Say {w}."}) + "\n" for w in ("yes", "no", "maybe")))
    gen = _generate(world, tmp_path / "a", prompts=str(prompts))
    rows = _lines(gen / "data" / "sft" / "train.jsonl")
    assert rows[0]["messages"][0] == {"role": "user", "content": "Say yes."} and len(rows) == 6
    assert "taskworld" not in json.loads((gen / "metrics.json").read_text())


def test_greedy_settings_refuse_several_answers():
    with pytest.raises(ValueError, match="one answer per prompt"):
        GenerationSettings(do_sample=False, num_return_sequences=2)


def test_generate_refuses_rows_that_are_not_prompts(world, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"text": "hello"}) + "\n")
    with pytest.raises(DataError, match="prompt-only"):
        _generate(world, tmp_path / "a", prompts=str(bad))


@pytest.mark.parametrize("fast", [True, False])
def test_greedy_answers_repeat_and_stop_at_the_turn_end(world, monkeypatch, fast):
    """With `workbench.decoding` (Gemma 2 models) and with transformers' `generate` (every other model)."""
    from workbench import decoding

    model, tokenizer = load_model(ModelSpec(preset="gemma2-tiny-student"), tokenizer=world / "tok" / "tokenizer",
                                  seed=3)
    if not fast:
        monkeypatch.setattr(decoding, "supports", lambda model: False)
    prompts = [[{"role": "user", "content": "What is 2 plus 2?"}], [{"role": "user", "content": "Hi"}]]
    settings = GenerationSettings(do_sample=False, max_new_tokens=10, batch_size=2)
    tokenizer.chat_template = None  # a tokenizer without a template gets Gemma's
    once = generate_responses(model, tokenizer, prompts, settings)
    assert tokenizer.chat_template == CHAT_TEMPLATE
    assert once == generate_responses(model, tokenizer, prompts, settings) and len(once) == 2
    # A model that always prefers <end_of_turn> after its first token stops there: one more forward, not ten.
    end = tokenizer.convert_tokens_to_ids("<end_of_turn>")
    decoding_steps = []

    def eager_to_stop(logits):
        decoding_steps.append(1)
        logits[..., end] += 1e4
        return logits

    if fast:  # through the float32 output layer, whose logits can be edited
        monkeypatch.setattr(decoding, "_bf16_head_pays", lambda weight: False)
        step = decoding._Decoder.step_logits
        monkeypatch.setattr(decoding._Decoder, "step_logits", lambda self, *a: eager_to_stop(step(self, *a)))
    else:
        forward = model.forward

        def hf_forward(*args, **kwargs):
            out = forward(*args, **kwargs)
            if out.logits.shape[1] == 1:  # a decoding step, not the prompt
                eager_to_stop(out.logits)
            return out

        model.forward = hf_forward
    answers = answer_prompts(model, tokenizer, prompts, settings)
    assert len(decoding_steps) == 1 and all("<end_of_turn>" not in a.text for a in answers)
    assert clean_ending_rate(answers) == 1.0


def test_answers_are_decoded_without_control_tokens_and_clean_only_when_they_stop(world):
    """What the UI and the reports show: no `<end_of_turn>`/`<start_of_turn>`/`<pad>` text (the trained tokenizer's
    turn markers are user-defined pieces, which `skip_special_tokens` keeps), and `clean` only for an answer that
    stopped at a stop token with no control token before it."""
    tokenizer = load_model(ModelSpec(preset="gemma2-tiny-student"), tokenizer=world / "tok" / "tokenizer")[1]
    stops, control = stop_token_ids(tokenizer), control_tokens(tokenizer)
    words = tokenizer("Paris is big", add_special_tokens=False)["input_ids"]
    start, end = (tokenizer.convert_tokens_to_ids(t) for t in ("<start_of_turn>", "<end_of_turn>"))
    spelt = [i for piece in ("<", "end", "_of", "_turn", ">")
             for i in tokenizer(piece, add_special_tokens=False)["input_ids"]]
    cases = {
        "stopped": (words + [end, tokenizer.pad_token_id, tokenizer.pad_token_id], "Paris is big", True),
        "ran out of tokens": (words, "Paris is big", False),
        "wrote a turn marker": (words + [start] + words + [end], "Paris is bigParis is big", False),
        "spelt the marker out": (words + spelt + words + [end], "Paris is big", False),
    }
    for case, (ids, text, clean) in cases.items():
        got = decode_answer(tokenizer, ids, stops, control)
        assert (got.text, got.clean) == (text, clean), case
    assert clean_ending_rate([decode_answer(tokenizer, ids, stops, control) for ids, _, _ in cases.values()]) == 0.25


def test_commands_outside_run_keep_library_chatter_off_the_console_unless_verbose(world, tmp_path):
    """`workbench chat FOLDER` in a fresh process, as a person runs it: no "Loading weights" bar on the console; with
    `-v` the libraries print as they like."""
    import subprocess
    import sys

    model, tokenizer = load_model(ModelSpec(preset="gemma2-tiny-student"), tokenizer=world / "tok" / "tokenizer")
    model.save_pretrained(tmp_path / "model")
    tokenizer.save_pretrained(tmp_path / "model")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "TRANSFORMERS_"))}
    env.update(OMP_NUM_THREADS="1", PYTHONWARNINGS="always::FutureWarning")

    def chat(*flags: str) -> str:
        done = subprocess.run([sys.executable, "-m", "workbench.cli", *flags, "chat", str(tmp_path / "model"),
                               "--max-new-tokens", "2"], input="hi\n/quit\n", capture_output=True, text=True,
                              env=env, timeout=300)
        assert done.returncode == 0, done.stderr
        return done.stderr

    assert "Loading weights" not in chat()
    assert "Loading weights" in chat("-v")


def test_chat_answers_each_line_keeps_the_conversation_and_refuses_what_is_no_model(world, tmp_path, monkeypatch,
                                                                                      capsys):
    """`workbench chat STAGE --run-dir RUN` as a person uses it: lines in, one answer per line, /reset, /quit."""
    import io

    from workbench.cli import main

    model, tokenizer = load_model(ModelSpec(preset="gemma2-tiny-student"), tokenizer=world / "tok" / "tokenizer")
    run = tmp_path / "run"
    model.save_pretrained(run / "sft" / "model")
    tokenizer.save_pretrained(run / "sft" / "model")
    monkeypatch.setattr("sys.stdin", io.StringIO("What is 2 + 3?\n\n/reset\nAnd 4 + 4?\n/quit\nnever read\n"))
    assert main(["chat", "sft", "--run-dir", str(run), "--max-new-tokens", "6"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("[workbench] chatting with") and "(greedy)" in out[0]
    answers = [line for line in out if line.startswith("model> ")]
    assert len(answers) == 2 and "[workbench] new conversation" in out
    assert all("<end_of_turn>" not in a for a in answers)

    assert main(["chat", "nope", "--run-dir", str(run)]) == 2
    assert "stages with a model: sft" in capsys.readouterr().err
    assert main(["chat", str(tmp_path)]) == 2
    assert "not a model folder" in capsys.readouterr().err
    for hostile in (["../sft", "--run-dir", str(run)], ["sft", "--run-dir", str(run), "--temperature", "nan"],
                    ["sft", "--run-dir", str(run), "--max-new-tokens", "0"]):
        try:
            code = main(["chat", *hostile])
        except SystemExit as e:  # argparse's usage error: one line, exit 2
            code = e.code
        assert code == 2, hostile
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, hostile
    fifo = tmp_path / "fifo_model"
    fifo.mkdir()
    os.mkfifo(fifo / "config.json")  # a special file is refused, not opened (it would block for ever)
    assert main(["chat", str(fifo)]) == 2
    assert "not a model folder" in capsys.readouterr().err
