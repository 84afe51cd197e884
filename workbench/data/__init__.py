"""Dataset files in, validated TRL datasets out.

Owns the one way the workbench reads user data: `read_records` (readers.py) turns a file into rows, `detect`
(formats.py) names the TRL type and form they share, `validate_file` checks a file against the type a stage needs,
and `load_dataset` returns it as a `datasets.Dataset` a TRL trainer takes as is (conversational columns stay
lists of {"role", "content"} dicts; extra columns are kept). Every problem is a DataError `FILE:LINE: what`.
A rubric file is not a dataset: `workbench.rubric.validate` checks either (it builds on this package, not the
other way round).
"""

from __future__ import annotations

from workbench.data.formats import TYPES, DatasetInfo, columns_needed, detect
from workbench.data.readers import Records, read_records
from workbench.errors import DataError, WorkbenchError

__all__ = ["TYPES", "DatasetInfo", "Records", "detect", "load_dataset", "read_records", "validate_file"]


def validate_file(path, expect: str | None = None) -> DatasetInfo:
    """Read and check the dataset at `path`; with `expect` (one of TYPES), also require that type.

    `expect="preference"` accepts an explicit prompt column and an implicit prompt alike.
    """
    return _read_checked(read_records(path), path, expect)


def load_dataset(path, expect: str | None = None):
    """The dataset at `path` as a `datasets.Dataset`, after the checks of `validate_file`."""
    import datasets
    import pyarrow

    records = read_records(path)
    info = _read_checked(records, path, expect)
    columns = {name: [row.get(name) for row in records] for name in info.columns}
    try:  # "use_json" keeps columns whose values differ in type or keys across rows (e.g. `meta`) as Python objects
        return datasets.Dataset.from_dict(columns, on_mixed_types="use_json")
    except (pyarrow.ArrowException, TypeError, ValueError) as e:
        raise DataError(path, None, f"cannot build a dataset from the rows ({str(e).splitlines()[0]})") from None


def _read_checked(records: Records, path, expect: str | None) -> DatasetInfo:
    """The type `records` (read from `path`) share, checked against `expect`."""
    if expect is not None and expect not in TYPES:
        raise WorkbenchError(f"unknown dataset type {expect!r}; use one of {', '.join(TYPES)} (or rubric)")
    info = detect(records, path)
    if expect is not None and info.type != expect:
        raise DataError(path, None, f"holds {info.type} rows ({info.form}) but {expect} is needed: "
                                    f"rows with columns {columns_needed(expect)}")
    return info
