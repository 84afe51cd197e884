"""Plain-text corpora for pretraining and tokenizer training.

A corpus file holds documents separated by blank lines (a document may span several lines, e.g. a chat in
Gemma's turn format). A DataRef to a taskworld stage means its `corpus/train.txt` (+ `corpus/validation.txt`).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from workbench.errors import DataError, WorkbenchError


def corpus_files(source: Path, validation: str = "validation") -> tuple[Path, Path | None]:
    """(training text, validation text or None) for a taskworld `data/` folder or a single text file.

    A task world has two validation texts: `heldout` (drawn like the training text) and `validation` (held-out
    entities and phrasings, out of distribution)."""
    if source.is_dir():
        train, val = source / "corpus" / "train.txt", source / "corpus" / f"{validation}.txt"
        if not train.is_file():
            raise WorkbenchError(f"{source}: no corpus/train.txt here; point it at a taskworld stage or a text file")
        return train, val if val.is_file() else None
    if not source.is_file():
        raise WorkbenchError(f"{source}: corpus file not found")
    return source, None


def read_documents(path: Path) -> list[str]:
    """The blank-line-separated documents of a UTF-8 text file."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        line = path.read_bytes()[: e.start].count(b"\n") + 1
        raise DataError(path, line, f"not UTF-8 text ({e.reason}); convert the file to UTF-8") from None
    docs = [d.strip("\n") for d in text.replace("\r\n", "\n").split("\n\n") if d.strip()]
    if not docs:
        raise DataError(path, None, "the corpus is empty")
    return docs


def document_ids(docs: list[str], tokenizer, chunk: int = 4096) -> Iterator[list[int]]:
    """Each document's token ids as pretraining sees them, `<bos> doc <eos>` (tokenised `chunk` documents at a time)."""
    bos, eos = tokenizer.bos_token_id, tokenizer.eos_token_id
    for start in range(0, len(docs), chunk):
        for ids in tokenizer(docs[start : start + chunk], add_special_tokens=False)["input_ids"]:
            yield [bos, *ids, eos]
