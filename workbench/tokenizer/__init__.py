"""Training and loading the workbench's tokenizers: SentencePiece BPE with Gemma's ids and chat format.

Owns `train_tokenizer` (plain-text files -> a saved transformers tokenizer), `load_tokenizer`, and the Gemma chat
template (`CHAT_TEMPLATE`).

Choices, and why:
  * BPE, not unigram: Gemma's tokenizer is a SentencePiece BPE model, and transformers' `GemmaTokenizer` is a BPE
    backend: its converter reads a BPE `tokenizer.model` into a fast tokenizer whose ids equal SentencePiece's.
  * No text normalisation, no dummy prefix, whitespace kept, byte fallback, digits split one by one: text
    round-trips exactly, and the ids transformers produces equal SentencePiece's own (a dummy prefix makes them differ).
  * Ids as Gemma's: pad 0, eos 1, bos 2, unk 3; then `<start_of_turn>` 4 and `<end_of_turn>` 5 (user-defined symbols,
    so SentencePiece too recognises them in raw text); then the 256 byte tokens. Plain `tokenizer(text)` prepends
    `<bos>`, as Gemma's does; no `<mask>` token (the vocabulary is exactly the SentencePiece model's).
  * The training sample is drawn here, not by SentencePiece: its own sampling (`input_sentence_size`) ignores
    `set_random_generator_seed` in sentencepiece 0.2.3 (measured: a new model in every process for the same seed).
    We take whole lines in a seeded random order up to `MAX_TRAINING_BYTES` and feed them through
    `sentence_iterator`, which also keeps file paths out of `tokenizer.model`: the same text and seed give a
    byte-identical model wherever the files lie.
"""

from __future__ import annotations

import io
import random
import re
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

import sentencepiece as spm

from workbench.atomic import atomic_dir
from workbench.errors import DataError, WorkbenchError
from workbench.paths import regular_file

if TYPE_CHECKING:  # transformers takes seconds to import; stage discovery only needs this module's constants
    from transformers import PreTrainedTokenizerBase

CONTROL_TOKENS = {"<pad>": 0, "<eos>": 1, "<bos>": 2, "<unk>": 3}
TURN_TOKENS = ["<start_of_turn>", "<end_of_turn>"]
RESERVED_TOKENS = len(CONTROL_TOKENS) + len(TURN_TOKENS) + 256  # ... + one byte-fallback token per byte value
MAX_VOCAB_SIZE = 262_144  # Gemma 2's vocabulary size
MAX_TRAINING_BYTES = 16 * 2**20  # SentencePiece trains a 4096 vocabulary on this in about 2 s on 2 cores
TOKENIZER_FILES = ("tokenizer.model", "tokenizer.json", "tokenizer_config.json", "chat_template.jinja",
                   "special_tokens_map.json", "added_tokens.json")  # what a saved tokenizer folder may hold
CHUNK_CHARS = 2**14  # longer lines reach SentencePiece in pieces: it drops sentences over `max_sentence_length`

# Gemma's chat format (Gemma 3's template: a system message is folded into the first user turn, and turns are
# stripped of surrounding whitespace), with each model turn's text and its `<end_of_turn>` inside
# `{% generation %}`, so `return_assistant_tokens_mask` (and TRL's `assistant_only_loss`) train exactly what the
# model must write, stop token included.
CHAT_TEMPLATE = """{{- bos_token -}}
{%- if messages[0]['role'] == 'system' -%}
    {%- set first_user_prefix = messages[0]['content'] + '\n\n' -%}
    {%- set loop_messages = messages[1:] -%}
{%- else -%}
    {%- set first_user_prefix = '' -%}
    {%- set loop_messages = messages -%}
{%- endif -%}
{%- for message in loop_messages -%}
    {%- if (message['role'] == 'user') != (loop.index0 % 2 == 0) -%}
        {{- raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') -}}
    {%- endif -%}
    {%- if message['role'] == 'assistant' -%}
        {{- '<start_of_turn>model\n' -}}
        {%- generation -%}
            {{- message['content'] | trim + '<end_of_turn>' -}}
        {%- endgeneration -%}
        {{- '\n' -}}
    {%- else -%}
        {{- '<start_of_turn>' + message['role'] + '\n' + (first_user_prefix if loop.first else '') -}}
        {{- message['content'] | trim + '<end_of_turn>\n' -}}
    {%- endif -%}
{%- endfor -%}
{%- if add_generation_prompt -%}
    {{- '<start_of_turn>model\n' -}}
{%- endif -%}"""


def train_tokenizer(corpus: list[Path], vocab_size: int, out_dir: Path, seed: int = 0) -> PreTrainedTokenizerBase:
    """Train a SentencePiece BPE tokenizer on `corpus` (plain-text files, one document per line) into `out_dir`.

    `out_dir` receives `tokenizer.model` (SentencePiece) and the transformers files (`tokenizer.json`,
    `tokenizer_config.json`, `chat_template.jinja`), all at once or not at all. Returns the saved tokenizer.
    """
    if not corpus:
        raise WorkbenchError("no corpus files given; pass at least one plain-text file")
    if vocab_size <= RESERVED_TOKENS:
        raise WorkbenchError(f"vocab size {vocab_size} is too small: the {RESERVED_TOKENS - 256} control tokens and "
                             f"256 byte tokens alone take {RESERVED_TOKENS}; use a few thousand (the default is 4096)")
    if vocab_size > MAX_VOCAB_SIZE:
        raise WorkbenchError(f"vocab size {vocab_size} is larger than Gemma's {MAX_VOCAB_SIZE}; use a smaller one")
    line_sizes = [size for path in corpus for size in _line_sizes(Path(path))]
    model = _train_sentencepiece(_lines(corpus, _training_sample(line_sizes, seed)), vocab_size)
    from transformers import GemmaTokenizer  # here, not at the top: bad input is reported without waiting for it

    with atomic_dir(out_dir) as tmp:
        (tmp / "tokenizer.model").write_bytes(model)
        tokenizer = GemmaTokenizer.from_pretrained(tmp, mask_token=None, add_bos_token=True)
        tokenizer.init_kwargs.pop("vocab_file", None)  # the temporary folder's path; keep it out of the saved config
        tokenizer.chat_template = CHAT_TEMPLATE
        tokenizer.save_pretrained(tmp)
    return load_tokenizer(out_dir)


def load_tokenizer(path: str | Path) -> PreTrainedTokenizerBase:
    """The tokenizer saved in `path` (a tokenizer folder, or a model folder saved with its tokenizer)."""
    from transformers import AutoTokenizer

    path = Path(path)
    if not (path / "tokenizer_config.json").is_file():
        raise WorkbenchError(f"{path}: no tokenizer here (no tokenizer_config.json); "
                             "train one with `workbench tokenizer train` or point at a saved model folder")
    return AutoTokenizer.from_pretrained(path)


# --- the corpus ---------------------------------------------------------------------------------------------


def _line_sizes(path: Path) -> list[int]:
    """Byte size of every line of `path` (0 for blank lines), after checking it is UTF-8 with some text in it."""
    if not path.exists():
        raise WorkbenchError(f"{path}: corpus file not found; pass existing plain-text files")
    regular_file(path, "plain-text corpus file")
    sizes = []
    with open(path, "rb") as f:
        for number, line in enumerate(f, 1):
            try:
                text = line.decode("utf-8")
            except UnicodeDecodeError as e:
                raise DataError(path, number, f"not UTF-8 text ({e.reason} at byte {e.start}); "
                                              "convert the file to UTF-8") from None
            sizes.append(len(line) if text.strip() else 0)
    if not any(sizes):
        raise WorkbenchError(f"{path}: corpus file has no text; pass plain-text files with one document per line")
    return sizes


def _training_sample(line_sizes: list[int], seed: int) -> set[int]:
    """Indices of the lines to train on: every non-blank line, or if they hold more than MAX_TRAINING_BYTES, whole
    lines drawn in a seeded random order until about that many bytes."""
    candidates = [index for index, size in enumerate(line_sizes) if size]
    if sum(line_sizes) <= MAX_TRAINING_BYTES:
        return set(candidates)
    random.Random(seed).shuffle(candidates)
    sample, total = set(), 0
    for index in candidates:
        if total >= MAX_TRAINING_BYTES:
            break
        sample.add(index)
        total += line_sizes[index]
    return sample


def _lines(corpus: list[Path], wanted: set[int]) -> Iterator[str]:
    """The lines of the corpus files whose index (counted across all files) is in `wanted`, without line endings,
    in chunks of at most CHUNK_CHARS characters."""
    index = 0
    for path in corpus:
        with open(path, encoding="utf-8", newline="\n") as f:  # split on "\n" only, as the byte count did
            for line in f:
                if index in wanted:
                    text = line.rstrip("\r\n")
                    yield from (text[start:start + CHUNK_CHARS] for start in range(0, len(text), CHUNK_CHARS))
                index += 1


def _train_sentencepiece(sentences: Iterator[str], vocab_size: int) -> bytes:
    """Train the SentencePiece BPE model; its serialized bytes. SentencePiece's vocabulary-size errors become
    WorkbenchErrors that say what to change."""
    model = io.BytesIO()
    try:
        spm.SentencePieceTrainer.train(
            sentence_iterator=sentences, model_writer=model, model_type="bpe", vocab_size=vocab_size,
            byte_fallback=True, split_digits=True, add_dummy_prefix=False, normalization_rule_name="identity",
            remove_extra_whitespaces=False, max_sentence_length=4 * CHUNK_CHARS,  # UTF-8: at most 4 bytes a character
            pad_id=0, eos_id=1, bos_id=2, unk_id=3, pad_piece="<pad>", eos_piece="<eos>", bos_piece="<bos>",
            unk_piece="<unk>",
            user_defined_symbols=TURN_TOKENS,
            num_threads=2,  # a constant: the thread count is stored in the model file
            minloglevel=2,
        )
    except RuntimeError as e:
        if m := re.search(r"Vocabulary size is smaller than required_chars\. (\d+) vs (\d+)", str(e)):
            raise WorkbenchError(f"vocab size {m[1]} is too small for this corpus: its characters, the 256 byte tokens "
                                 f"and the control tokens need {m[2]}; raise the vocab size to at least that") from None
        if m := re.search(r"Vocabulary size too high \((\d+)\)\. Please set it to a value <= (\d+)", str(e)):
            raise WorkbenchError(f"vocab size {m[1]} is too large for this corpus: it yields at most {m[2]} tokens; "
                                 "lower the vocab size or train on more text") from None
        raise
    return model.getvalue()
