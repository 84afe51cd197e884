"""Dataset files in, validated TRL datasets out.

Owns the one way the workbench reads user data: `read_records` (readers.py) turns a file into rows, `detect`
(formats.py) names the TRL type and form they share, `validate_file` checks a file against the type a stage needs,
and `load_dataset` returns it as a `datasets.Dataset` a TRL trainer takes as is (conversational columns stay
lists of {"role", "content"} dicts; extra columns are kept). Every problem is a DataError `FILE:LINE: what`.
`validate_file` also knows a rubric file (`workbench.rubric`, type "rubric"), by `expect="rubric"` or by its rows.
"""

from __future__ import annotations

from workbench.data.formats import TYPES, DatasetInfo, columns_needed, detect
from workbench.data.readers import Records, read_records
from workbench.errors import DataError, WorkbenchError

RUBRIC = "rubric"  # a rubric file (workbench.rubric), which validate_file also checks

__all__ = ["TYPES", "DatasetInfo", "Records", "detect", "load_dataset", "read_records", "validate_file"]


def validate_file(path, expect: str | None = None) -> DatasetInfo:
    """Read and check the dataset at `path`; with `expect` (one of TYPES, or "rubric"), also require that type.

    `expect="preference"` accepts an explicit prompt column and an implicit prompt alike. A rubric file (checked
    by `workbench.rubric.load_rubric`) is type and form "rubric"; without `expect` it is recognised by its rows.
    """
    if expect == RUBRIC:
        return _rubric_info(path)
    records, info = _read_checked(path, expect)
    return info if info is not None else _rubric_info(path)


def load_dataset(path, expect: str | None = None):
    """The dataset at `path` as a `datasets.Dataset`, after the checks of `validate_file`."""
    import datasets
    import pyarrow

    records, info = _read_checked(path, expect)
    if info is None:
        raise DataError(path, None, "is a rubric file (for the evaluate stage), not a dataset")
    columns = {name: [row.get(name) for row in records] for name in info.columns}
    try:  # "use_json" keeps columns whose values differ in type or keys across rows (e.g. `meta`) as Python objects
        return datasets.Dataset.from_dict(columns, on_mixed_types="use_json")
    except (pyarrow.ArrowException, TypeError, ValueError) as e:
        raise DataError(path, None, f"cannot build a dataset from the rows ({str(e).splitlines()[0]})") from None


def _read_checked(path, expect: str | None) -> tuple[Records, DatasetInfo | None]:
    """The rows and their type; (rows, None) for a rubric file when no type is expected."""
    if expect is not None and expect not in TYPES:
        raise WorkbenchError(f"unknown dataset type {expect!r}; use one of {', '.join(TYPES)} (or {RUBRIC})")
    from workbench.rubric import looks_like_rubric  # (here: workbench.rubric reads files with workbench.data)

    records = read_records(path)
    if expect is None and looks_like_rubric(records):
        return records, None
    info = detect(records, path)
    if expect is not None and info.type != expect:
        raise DataError(path, None, f"holds {info.type} rows ({info.form}) but {expect} is needed: "
                                    f"rows with columns {columns_needed(expect)}")
    return records, info


def _rubric_info(path) -> DatasetInfo:
    from workbench.rubric import KEYS, load_rubric

    return DatasetInfo(RUBRIC, RUBRIC, len(load_rubric(path).entries), list(KEYS), False)
