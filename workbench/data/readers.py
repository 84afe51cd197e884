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

A dataset is untrusted input, so reading is bounded and every value must have a JSON form (rows are written back
as JSON Lines): only regular files are read (a FIFO would block for ever), a JSON line is at most MAX_LINE_BYTES,
values nest at most MAX_DEPTH deep, integers have at most MAX_INT_DIGITS digits, and NaN, infinities, lone
surrogates, and Parquet / Arrow values such as timestamps, decimals and bytes are refused with the row and column.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import stat
from pathlib import Path
from typing import Any

from workbench.errors import DataError

SUPPORTED = ".jsonl, .json, .csv, .parquet, or a folder written by datasets' save_to_disk"
MAX_LINE_BYTES = 16 * 2**20  # one JSON Lines row
MAX_DEPTH = 64  # nesting of objects and arrays in a row (a conversation is 3 deep)
MAX_INT_DIGITS = 100
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


class _NotJson(ValueError):
    """A value with no JSON form (or beyond the bounds above); `_check_values` adds the row."""


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
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise DataError(path, None, "no such file or folder") from None
    except OSError as e:
        raise DataError(path, None, f"cannot read it ({e.strerror})") from None
    if stat.S_ISDIR(mode):
        records = _read_saved_dataset(path)
    else:
        if not stat.S_ISREG(mode):
            raise DataError(path, None, f"is not a regular file (a FIFO, device or socket); give a dataset file: {SUPPORTED}")
        reader = _READERS.get(path.suffix.lower())
        if reader is None:
            raise DataError(path, None, f"unsupported file type {path.suffix or '(no extension)'!r}; use {SUPPORTED}")
        records = reader(path)
    if not records:
        raise DataError(path, None, "the dataset is empty: no rows")
    return _check_values(path, records)


def _check_values(path: Path, records: Records) -> Records:
    """Every value JSON can hold, within the bounds; else a DataError at the row, naming the column."""
    for index, row in enumerate(records):
        for column, value in row.items():
            try:
                _check_value(column, 1)
                _check_value(value, 1)
            except _NotJson as e:
                raise records.error(path, index, f"column {str(column)[:80]}: {e}") from None
    return records


def _check_value(value: Any, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise _NotJson(f"values nest more than {MAX_DEPTH} levels deep")
    if value is None or isinstance(value, bool):
        return
    if isinstance(value, str):
        if not value.isascii() and _LONE_SURROGATE.search(value):
            raise _NotJson("text holds a lone UTF-16 surrogate (e.g. \\ud800), which is not Unicode text; "
                           "fix the escape or remove it")
    elif isinstance(value, int):
        if abs(value) >= 10**MAX_INT_DIGITS:
            raise _NotJson(f"an integer with more than {MAX_INT_DIGITS} digits; write it as a string")
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise _NotJson(f"the number {value} (NaN or infinite) has no JSON form; use null or a finite number")
    elif isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise _NotJson(f"an object key of type {type(key).__name__}; keys must be strings")
            _check_value(key, depth)
            _check_value(item, depth + 1)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _check_value(item, depth + 1)
    else:
        raise _NotJson(f"a value of type {type(value).__name__} has no JSON form (e.g. a timestamp, decimal or "
                       "bytes); convert the column to strings or numbers")


def _no_constants(name: str):
    raise _NotJson(f"{name} is not JSON; use null or a finite number")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _NotJson(f"the number {text[:40]} is too large for a float; use a smaller one or a string")
    return value


def _int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise _NotJson(f"an integer with {len(text.lstrip('-'))} digits (at most {MAX_INT_DIGITS}); write it as a string")
    return int(text)


def _loads(text: str):
    """json.loads, bounded: NaN and Infinity, huge numbers and deep nesting raise _NotJson (JSON errors stay
    JSONDecodeError)."""
    try:
        return json.loads(text, parse_constant=_no_constants, parse_float=_finite_float, parse_int=_int)
    except RecursionError:
        raise _NotJson(f"values nest more than {MAX_DEPTH} levels deep") from None


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
        if len(line) > MAX_LINE_BYTES:
            raise DataError(path, number, f"line is {len(line)} characters long (at most {MAX_LINE_BYTES}); "
                                          "one row per line, each a JSON object")
        try:
            rows.append(_loads(line))
        except json.JSONDecodeError as e:
            raise DataError(path, number, f"malformed JSON: {e.msg} at column {e.colno}") from None
        except _NotJson as e:
            raise DataError(path, number, str(e)) from None
        lines.append(number)
    return _require_objects(path, Records(rows, lines))


def _read_jsonl(path: Path) -> Records:
    return _parse_json_lines(path, _text(path))


def _read_json(path: Path) -> Records:
    text = _text(path)
    if not text.strip():
        return Records([])
    try:
        document = _loads(text)
    except json.JSONDecodeError as e:
        if e.msg == "Extra data":  # several top-level values: JSON Lines in a .json file
            return _parse_json_lines(path, text)
        raise DataError(path, e.lineno, f"malformed JSON: {e.msg} at column {e.colno}") from None
    except _NotJson as e:
        raise DataError(path, None, str(e)) from None
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
        raise DataError(path, None, f"not a readable Parquet file ({_first_line(e)})") from None
    return Records(_rows(path, table))


def _first_line(e: BaseException) -> str:
    text = str(e).strip()
    return text.splitlines()[0][:200] if text else type(e).__name__


def _rows(path: Path, table) -> list[dict]:
    """An Arrow table's rows, after refusing columns whose type has no JSON form (timestamps, decimals, bytes, ...)."""
    import pyarrow.types as t

    def json_like(type_) -> bool:
        if t.is_null(type_) or t.is_boolean(type_) or t.is_integer(type_) or t.is_floating(type_):
            return True
        if t.is_string(type_) or t.is_large_string(type_):
            return True
        if t.is_list(type_) or t.is_large_list(type_) or t.is_fixed_size_list(type_):
            return json_like(type_.value_type)
        if t.is_struct(type_):
            return all(json_like(type_.field(i).type) for i in range(type_.num_fields))
        if t.is_dictionary(type_):
            return json_like(type_.value_type)
        return False

    for field in table.schema:
        if not json_like(field.type):
            raise DataError(path, None, f"column {field.name[:80]} has type {field.type}, which has no JSON form; "
                                        "convert it to strings or numbers before saving")
    try:
        return table.to_pylist()
    except Exception as e:  # noqa: BLE001 (arrow raises many kinds; all mean the same to the user)
        raise DataError(path, None, f"cannot read the rows ({_first_line(e)})") from None


def _read_saved_dataset(path: Path) -> Records:
    import datasets

    if not any((path / name).is_file() for name in ("state.json", "dataset_dict.json")):
        raise DataError(path, None, "is a folder but not a dataset written by datasets' save_to_disk "
                                    "(no state.json or dataset_dict.json)")
    try:
        dataset = datasets.load_from_disk(str(path))
    except FileNotFoundError as e:
        raise DataError(path, None, f"is a folder but not a complete dataset written by datasets' save_to_disk "
                                    f"({_first_line(e)})") from None
    except Exception as e:  # noqa: BLE001 (a corrupt state.json or arrow file raises anything from JSON to Arrow)
        raise DataError(path, None, f"a dataset folder that cannot be read, corrupt or from another datasets version "
                                    f"({type(e).__name__}: {_first_line(e)}); save it again with save_to_disk") from None
    if isinstance(dataset, datasets.DatasetDict):
        raise DataError(path, None, f"holds several splits ({', '.join(dataset)}); "
                                    f"point at one of them, e.g. {path / next(iter(dataset))}")
    return Records(_rows(path, dataset.data.table))


_READERS = {".jsonl": _read_jsonl, ".json": _read_json, ".csv": _read_csv, ".parquet": _read_parquet}
