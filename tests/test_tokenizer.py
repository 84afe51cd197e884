"""Tests for workbench.tokenizer and the `tokenizer` stage: exact round trips, SentencePiece-equal ids, Gemma's ids and
chat format, the assistant mask, determinism, and one-line errors."""

from __future__ import annotations

import importlib.util
import inspect
import logging
import subprocess
import sys
from pathlib import Path

import pytest
import sentencepiece as spm

import workbench.tokenizer as tokenization
from workbench.cli import main
from workbench.errors import DataError, WorkbenchError
from workbench.stages import tokenizer as tokenizer_stage
from workbench.stages.base import StageContext
from workbench.tokenizer import CHAT_TEMPLATE, load_tokenizer, train_tokenizer

VOCAB = 700
STDLIB_MODULES = ["argparse", "collections", "json", "logging", "pathlib", "re", "shutil", "subprocess", "textwrap",
                  "unittest", "datetime", "decimal", "email.message", "string", "tempfile", "csv"]


def _docstring_corpus() -> str:
    """A few hundred KB of English from the standard library's docstrings, one docstring per line."""
    docs = []
    for name in STDLIB_MODULES:
        module = importlib.import_module(name)
        for _, obj in sorted(inspect.getmembers(module), key=lambda member: member[0]):
            doc = inspect.getdoc(obj)
            if doc:
                docs.append(doc.replace("\n", " "))
    return "\n".join(docs) + "\n"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("corpus") / "train.txt"
    path.write_text(_docstring_corpus(), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def trained(corpus, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("tok") / "tokenizer"
    train_tokenizer([corpus], vocab_size=VOCAB, out_dir=out, seed=0)
    return out


@pytest.fixture(scope="module")
def tok(trained):
    return load_tokenizer(trained)


@pytest.fixture(scope="module")
def sp(trained):
    return spm.SentencePieceProcessor(model_file=str(trained / "tokenizer.model"))


TEXTS = [
    "Hello, world!",
    "  leading and trailing spaces  ",
    "tabs\tand\nnewlines\n\n\nand    several   spaces",
    "windows\r\nline endings\r\n",
    "digits 1234567890, 3.14159 and -42",
    "accents: café, naïve, Ångström, straße",
    "emoji: 😀 👍🏽 🚀🚀",
    "CJK: 日本語の文章、中文句子、한국어 문장",
    "<start_of_turn>user\nhi<end_of_turn>\n",
    "control \x00 and \x7f bytes",
    "",
]


@pytest.mark.parametrize("text", TEXTS)
def test_text_round_trips_exactly_with_sentencepiece_ids(tok, sp, text):
    ids = tok(text, add_special_tokens=False)["input_ids"]
    assert ids == sp.encode(text)
    assert tok.decode(ids) == text


def test_ids_equal_sentencepiece_on_corpus_lines(tok, sp, corpus):
    lines = corpus.read_text(encoding="utf-8").splitlines()[::7]
    assert tok(lines, add_special_tokens=False)["input_ids"] == sp.encode(lines)


def test_plain_encoding_starts_with_bos_and_splits_digits(tok):
    ids = tok("year 2024")["input_ids"]
    assert ids[0] == 2
    assert tok.convert_ids_to_tokens(ids)[-4:] == ["2", "0", "2", "4"]


def test_control_and_turn_tokens_have_gemma_ids(tok, sp):
    assert (tok.pad_token_id, tok.eos_token_id, tok.bos_token_id, tok.unk_token_id) == (0, 1, 2, 3)
    assert tok.convert_tokens_to_ids(["<pad>", "<eos>", "<bos>", "<unk>"]) == [0, 1, 2, 3]
    assert tok.convert_tokens_to_ids(["<start_of_turn>", "<end_of_turn>"]) == [4, 5]
    assert [sp.id_to_piece(i) for i in range(6)] == [*tokenization.CONTROL_TOKENS, *tokenization.TURN_TOKENS]
    assert len(tok) == sp.get_piece_size() == VOCAB
    assert tok.convert_ids_to_tokens(6 + 0x41) == "<0x41>"


SYSTEM, QUESTION, ANSWER = "Answer briefly.", "What is 2 + 2?", "2 + 2 = 4."


def test_chat_template_renders_gemma_format_with_system_folded_into_first_user_turn(tok):
    messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": QUESTION},
                {"role": "assistant", "content": ANSWER}]
    rendered = tok.apply_chat_template(messages, tokenize=False)
    assert rendered == (f"<bos><start_of_turn>user\n{SYSTEM}\n\n{QUESTION}<end_of_turn>\n"
                        f"<start_of_turn>model\n{ANSWER}<end_of_turn>\n")
    # Google's own Gemma 3 template (as shipped by TRL) renders the same string.
    trl_dir = Path(importlib.util.find_spec("trl").submodule_search_locations[0])
    gemma3 = (trl_dir / "chat_templates" / "gemma3.jinja").read_text(encoding="utf-8")
    assert tok.apply_chat_template(messages, tokenize=False, chat_template=gemma3) == rendered


def test_chat_template_generation_prompt(tok):
    messages = [{"role": "user", "content": QUESTION}]
    prompt = tok.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    assert prompt == f"<bos><start_of_turn>user\n{QUESTION}<end_of_turn>\n<start_of_turn>model\n"
    assert tok.chat_template == CHAT_TEMPLATE


def test_assistant_mask_covers_exactly_model_text_and_end_of_turn(tok):
    answers = [ANSWER, "Six: 6."]
    messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": QUESTION},
                {"role": "assistant", "content": answers[0]}, {"role": "user", "content": "And 3 + 3?"},
                {"role": "assistant", "content": answers[1]}]
    out = tok.apply_chat_template(messages, return_dict=True, return_assistant_tokens_mask=True)
    ids, mask = out["input_ids"], out["assistant_masks"]
    spans, current = [], []
    for token_id, masked in zip(ids, mask):
        if masked:
            current.append(token_id)
        elif current:
            spans.append(current)
            current = []
    assert not current  # the newline after the last <end_of_turn> is not trained
    assert spans == [tok.encode(a + "<end_of_turn>", add_special_tokens=False) for a in answers]


def test_same_corpus_and_seed_give_byte_identical_files(corpus, trained, tmp_path):
    moved = tmp_path / "elsewhere.txt"
    moved.write_bytes(corpus.read_bytes())
    train_tokenizer([moved], vocab_size=VOCAB, out_dir=tmp_path / "again", seed=0)
    for name in ["tokenizer.model", "tokenizer.json", "tokenizer_config.json", "chat_template.jinja"]:
        assert (tmp_path / "again" / name).read_bytes() == (trained / name).read_bytes(), name


def test_sampled_corpus_depends_on_the_seed_only(corpus, tmp_path, monkeypatch):
    monkeypatch.setattr(tokenization, "MAX_TRAINING_BYTES", corpus.stat().st_size // 4)
    models = {}
    for name, seed in [("a", 1), ("b", 1), ("c", 2)]:
        train_tokenizer([corpus], vocab_size=VOCAB, out_dir=tmp_path / name, seed=seed)
        models[name] = (tmp_path / name / "tokenizer.model").read_bytes()
    assert models["a"] == models["b"]
    assert models["a"] != models["c"]


def test_lines_longer_than_sentencepiece_limit_are_used_whole(corpus, tmp_path):
    text = corpus.read_text(encoding="utf-8")
    one_line = tmp_path / "one_line.txt"
    one_line.write_text(text.replace("\n", " "), encoding="utf-8")
    from_lines = train_tokenizer([corpus], vocab_size=VOCAB, out_dir=tmp_path / "lines")
    from_one_line = train_tokenizer([one_line], vocab_size=VOCAB, out_dir=tmp_path / "one_line")
    sample = text[-20_000:]  # SentencePiece would have seen only the start of the line, had it not been cut up
    tokens_per_char = [len(t(sample)["input_ids"]) / len(sample) for t in (from_lines, from_one_line)]
    assert tokens_per_char[1] < 1.05 * tokens_per_char[0]


# --- errors ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("vocab_size, message",
                         [(100, "too small: the 6 control tokens"), (10**6, "larger than Gemma's")])
def test_vocab_size_out_of_range(corpus, tmp_path, vocab_size, message):
    with pytest.raises(WorkbenchError, match=message):
        train_tokenizer([corpus], vocab_size=vocab_size, out_dir=tmp_path / "tok")


def test_vocab_size_too_small_for_the_corpus_characters(tmp_path):
    path = tmp_path / "alphabets.txt"
    path.write_text("".join(chr(c) for c in range(0x4E00, 0x4E00 + 400)) + "\n", encoding="utf-8")
    with pytest.raises(WorkbenchError, match=r"vocab size 300 is too small for this corpus.*need 6\d\d"):
        train_tokenizer([path], vocab_size=300, out_dir=tmp_path / "tok")


def test_vocab_size_too_large_for_the_corpus(tmp_path):
    path = tmp_path / "tiny.txt"
    path.write_text("hello world\n" * 20, encoding="utf-8")
    with pytest.raises(WorkbenchError, match=r"vocab size 2000 is too large for this corpus: it yields at most \d+"):
        train_tokenizer([path], vocab_size=2000, out_dir=tmp_path / "tok")
    assert not (tmp_path / "tok").exists()


def test_non_utf8_corpus_names_the_line(tmp_path):
    path = tmp_path / "latin1.txt"
    path.write_bytes("first line\nsecond caf\u00e9\n".encode("latin-1"))
    with pytest.raises(DataError, match=r"latin1.txt:2: not UTF-8"):
        train_tokenizer([path], vocab_size=VOCAB, out_dir=tmp_path / "tok")


def test_no_corpus_files(tmp_path):
    with pytest.raises(WorkbenchError, match="no corpus files given"):
        train_tokenizer([], vocab_size=VOCAB, out_dir=tmp_path / "tok")


def test_load_tokenizer_without_one(tmp_path):
    with pytest.raises(WorkbenchError, match="no tokenizer here"):
        load_tokenizer(tmp_path)


@pytest.mark.parametrize("content, message", [(None, "corpus file not found"), ("\n  \n", "corpus file has no text")])
def test_cli_bad_corpus_exits_2_with_one_line(tmp_path, capsys, content, message):
    path = tmp_path / "corpus.txt"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    code = main(["tokenizer", "train", "--corpus", str(path), "--vocab-size", "500", "--out", str(tmp_path / "tok")])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith(f"error: {path}: {message}; ")
    assert err.count("\n") == 1 and "Traceback" not in err


def test_cli_trains_end_to_end(corpus, tmp_path):
    out = tmp_path / "tok"
    done = subprocess.run([sys.executable, "-m", "workbench.cli", "tokenizer", "train", "--corpus", str(corpus),
                           "--vocab-size", "500", "--out", str(out)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"tokenizer with 500 tokens written to {out}\n"
    assert load_tokenizer(out).convert_tokens_to_ids("<end_of_turn>") == 5


# --- the stage ---------------------------------------------------------------------------------------------


def _context(tmp_path: Path, data: Path) -> StageContext:
    stage_dir = tmp_path / "run" / "tok"
    stage_dir.mkdir(parents=True)
    return StageContext(run_dir=tmp_path / "run", stage_dir=stage_dir, stage_name="tok", seed=0, recipe=None,
                        resolve=lambda name, what: data, log=logging.getLogger("test"))


def test_stage_trains_on_a_taskworld_corpus_and_measures_validation(corpus, tmp_path):
    data = tmp_path / "world" / "data"
    (data / "corpus").mkdir(parents=True)
    lines = corpus.read_text(encoding="utf-8").splitlines()
    (data / "corpus" / "train.txt").write_text("\n".join(lines[:-200]) + "\n", encoding="utf-8")
    (data / "corpus" / "validation.txt").write_text("\n".join(lines[-200:]) + "\n", encoding="utf-8")
    ctx = _context(tmp_path, data)
    metrics = tokenizer_stage.run(tokenizer_stage.Config(corpus="world", vocab_size=600), ctx)
    assert metrics["vocab_size"] == 600
    assert metrics["corpus_bytes"] == (data / "corpus" / "train.txt").stat().st_size
    assert metrics["train_seconds"] > 0
    assert 2.0 < metrics["validation_chars_per_token"] < 10.0
    assert len(load_tokenizer(ctx.stage_dir / "tokenizer")) == 600


def test_stage_takes_a_text_file(corpus, tmp_path):
    cfg = tokenizer_stage.Config(corpus=str(corpus), vocab_size=500)
    metrics = tokenizer_stage.run(cfg, _context(tmp_path, corpus))
    assert metrics["vocab_size"] == 500
    assert "validation_chars_per_token" not in metrics


def test_stage_rejects_a_folder_without_a_corpus(tmp_path):
    with pytest.raises(WorkbenchError, match="no corpus/train.txt"):
        tokenizer_stage.run(tokenizer_stage.Config(corpus="x"), _context(tmp_path, tmp_path))


def test_stage_config_bounds_vocab_size():
    with pytest.raises(ValueError):
        tokenizer_stage.Config(corpus="x", vocab_size=262)
    assert tokenizer_stage.PRODUCES == {"tokenizer"}
    assert tokenizer_stage.Config(corpus="x").references() == [("corpus", "x", "data")]


def test_recipe_runs_the_stage_on_a_file_next_to_it(corpus, tmp_path, capsys):
    (tmp_path / "text.txt").write_bytes(corpus.read_bytes())
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text("name: t\nstages:\n  - {kind: tokenizer, name: tok, corpus: text.txt, vocab_size: 500}\n")
    assert main(["run", str(recipe), "--run-dir", str(tmp_path / "run")]) == 0, capsys.readouterr().err
    assert len(load_tokenizer(tmp_path / "run" / "tok" / "tokenizer")) == 500
