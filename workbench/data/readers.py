"""Reading dataset files into rows, remembering where each row came from.

Owns the file formats the workbench accepts and the errors for unreadable files:
  * `.jsonl`: one JSON object per line (blank lines are skipped); errors name the physical line.
  * `.json`: a top-level list of objects (errors name the record, 1-based), or JSON Lines in a file named `.json`
    (errors name the line). A single object on one line is a one-row JSON Lines file.
  * `.csv`: a header row, then one row per record; every cell is a string, except `true`/`false` in a `label`
    column, which become booleans. CSV holds the standard (string) form only. Errors name the line where the
    record starts.
  * `.parquet`: any Parquet file; errors name the record (1-based).
  * a folder written by `datasets.Dataset.save_to_disk` (one split); errors name the record (1-based).

We parse these ourselves rather than with `datasets.load_dataset("json"/"csv")` because those loaders neither report
the line of a bad row nor reject a row that is not an object, and the user needs `FILE:LINE: what is wrong`.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from workbench.errors import DataError

SUPPORTED = ".jsonl, .json, .csv, .parquet, or a folder written by datasets' save_to_disk"


class Records(list):
    """Rows (dicts) in file order, with each row's line in the file, or None where the format has no lines."""

    def __init__(self, rows: list[dict[str, Any]], lines: list[int] | None = None):
        super().__init__(rows)
        self.lines = lines

    def error(self, path, index: int, message: str) -> DataError:
        """A DataError pointing at row `index` (0-based): `FILE:LINE: …`, or `FILE: record N: …`."""
        if self.lines is not None:
            return DataError(path, self.lines[index], message)
        return DataError(path, None, f"record {index + 1}: {message}")


def json_kind(value: Any) -> str:
    """The JSON name of a value's type, for messages like `found array`."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, (list, tuple)):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def read_records(path) -> Records:
    """Every row of the dataset at `path`, or a DataError saying what is wrong and where."""
    path = Path(path)
    if not path.exists():
        raise DataError(path, None, "no such file or folder")
    if path.is_dir():
        records = _read_saved_dataset(path)
    else:
        reader = _READERS.get(path.suffix.lower())
        if reader is None:
            raise DataError(path, None, f"unsupported file type {path.suffix or '(no extension)'!r}; use {SUPPORTED}")
        records = reader(path)
    if not records:
        raise DataError(path, None, "the dataset is empty: no rows")
    return records


def _text(path: Path) -> str:
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        raise DataError(path, line, f"not UTF-8: byte {data[e.start]:#04x} cannot be decoded; save the file as UTF-8") from None
    return text.removeprefix("\ufeff")


def _require_objects(path: Path, records: Records) -> Records:
    for index, row in enumerate(records):
        if not isinstance(row, dict):
            raise records.error(path, index, f'row is a JSON {json_kind(row)}, not an object like {{"prompt": ...}}')
    return records


def _parse_json_lines(path: Path, text: str) -> Records:
    rows, lines = [], []
    for number, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError as e:
            raise DataError(path, number, f"malformed JSON: {e.msg} at column {e.colno}") from None
        lines.append(number)
    return _require_objects(path, Records(rows, lines))


def _read_jsonl(path: Path) -> Records:
    return _parse_json_lines(path, _text(path))


def _read_json(path: Path) -> Records:
    text = _text(path)
    if not text.strip():
        return Records([])
    try:
        document = json.loads(text)
    except json.JSONDecodeError as e:
        if e.msg == "Extra data":  # several top-level values: JSON Lines in a .json file
            return _parse_json_lines(path, text)
        raise DataError(path, e.lineno, f"malformed JSON: {e.msg} at column {e.colno}") from None
    if isinstance(document, dict) and "\n" not in text.strip():
        return _parse_json_lines(path, text)
    if not isinstance(document, list):
        raise DataError(path, 1, f"the file holds a JSON {json_kind(document)}; write a list of rows "
                                  "[{...}, {...}] or one object per line (JSON Lines)")
    return _require_objects(path, Records(document))


def _read_csv(path: Path) -> Records:
    reader = csv.reader(io.StringIO(_text(path), newline=""))
    rows, lines = [], []
    try:
        header = next(reader, None)
        if header is None:
            return Records([], [])
        if len(set(header)) != len(header):
            repeated = sorted({name for name in header if header.count(name) > 1})
            raise DataError(path, 1, f"the header repeats column {', '.join(repeated)}")
        start = reader.line_num + 1
        for fields in reader:
            if fields:  # csv yields [] for a blank line
                if len(fields) != len(header):
                    raise DataError(path, start, f"row has {len(fields)} fields but the header has {len(header)} "
                                                 f"({', '.join(header)})")
                row = dict(zip(header, fields))
                if row.get("label", "").lower() in ("true", "false"):
                    row["label"] = row["label"].lower() == "true"
                rows.append(row)
                lines.append(start)
            start = reader.line_num + 1
    except csv.Error as e:
        raise DataError(path, reader.line_num, f"malformed CSV: {e}") from None
    return Records(rows, lines)


def _read_parquet(path: Path) -> Records:
    import pyarrow
    import pyarrow.parquet

    try:
        table = pyarrow.parquet.read_table(path)
    except (pyarrow.ArrowException, OSError) as e:
        raise DataError(path, None, f"not a readable Parquet file ({str(e).splitlines()[0]})") from None
    return Records(table.to_pylist())


def _read_saved_dataset(path: Path) -> Records:
    import datasets

    try:
        dataset = datasets.load_from_disk(str(path))
    except FileNotFoundError:
        raise DataError(path, None, "is a folder but not a dataset written by datasets' save_to_disk "
                                    "(no state.json or dataset_dict.json)") from None
    if isinstance(dataset, datasets.DatasetDict):
        raise DataError(path, None, f"holds several splits ({', '.join(dataset)}); "
                                    f"point at one of them, e.g. {path / next(iter(dataset))}")
    return Records(dataset.to_list())


_READERS = {".jsonl": _read_jsonl, ".json": _read_json, ".csv": _read_csv, ".parquet": _read_parquet}
