"""workbench.data: reading every supported file format, detecting TRL dataset types, and one-line errors."""

from __future__ import annotations

import json

import pyarrow
import pyarrow.parquet
import pytest

from helpers import write_jsonl
from workbench.cli import main
from workbench.data import DatasetInfo, detect, load_dataset, read_records, validate_file
from workbench.errors import DataError, WorkbenchError


def user(text):
    return {"role": "user", "content": text}


def assistant(text):
    return {"role": "assistant", "content": text}


# One row per (type, implicit prompt, form), each with an extra `meta` column that must survive.
GOOD_ROWS = {
    ("language_modeling", False, "standard"): {"text": "The sky is blue."},
    ("language_modeling", False, "conversational"): {"messages": [{"role": "system", "content": "Be brief."},
                                                                  user("Sky colour?"), assistant("Blue.")]},
    ("prompt_only", False, "standard"): {"prompt": "The sky is"},
    ("prompt_only", False, "conversational"): {"prompt": [user("Sky colour?")]},
    ("prompt_completion", False, "standard"): {"prompt": "The sky is", "completion": " blue."},
    ("prompt_completion", False, "conversational"): {"prompt": [user("Sky colour?")], "completion": [assistant("Blue.")]},
    ("preference", False, "standard"): {"prompt": "The sky is", "chosen": " blue.", "rejected": " green."},
    ("preference", False, "conversational"): {"prompt": [user("Sky colour?")], "chosen": [assistant("Blue.")],
                                              "rejected": [assistant("Green.")]},
    ("preference", True, "standard"): {"chosen": "The sky is blue.", "rejected": "The sky is green."},
    ("preference", True, "conversational"): {"chosen": [user("Sky colour?"), assistant("Blue.")],
                                             "rejected": [user("Sky colour?"), assistant("Green.")]},
    ("unpaired_preference", False, "standard"): {"prompt": "The sky is", "completion": " blue.", "label": True},
    ("unpaired_preference", False, "conversational"): {"prompt": [user("Sky colour?")],
                                                       "completion": [assistant("Green.")], "label": False},
}


def validate_cli(capsys, *argv):
    rc = main(["data", "validate", *map(str, argv)])
    out, err = capsys.readouterr()
    return rc, out, err


@pytest.mark.parametrize("key", list(GOOD_ROWS), ids=lambda k: f"{k[0]}{'-implicit' if k[1] else ''}-{k[2]}")
def test_every_type_and_form_is_detected_in_jsonl(tmp_path, capsys, key):
    type_, implicit, form = key
    row = GOOD_ROWS[key]
    path = write_jsonl(tmp_path / "data.jsonl", [{**row, "meta": {"id": i}} for i in range(3)])

    info = validate_file(path, expect=type_)
    assert info == DatasetInfo(type_, form, 3, [*row, "meta"], implicit)

    rc, out, err = validate_cli(capsys, path, "--expect", type_)
    assert (rc, err) == (0, "")
    shown = f"{type_} (implicit prompt)" if implicit else type_
    assert out == f"{path}: type={shown} form={form} rows=3\n"


def test_json_list_and_json_lines_named_json(tmp_path):
    rows = [GOOD_ROWS[("prompt_completion", False, "conversational")]] * 2
    listed = tmp_path / "list.json"
    listed.write_text(json.dumps(rows, indent=2))
    lines = write_jsonl(tmp_path / "lines.json", rows)
    one_line = write_jsonl(tmp_path / "one.json", rows[:1])
    for path, n in [(listed, 2), (lines, 2), (one_line, 1)]:
        info = validate_file(path)
        assert (info.type, info.form, info.rows) == ("prompt_completion", "conversational", n)


def test_csv_reads_quoted_multiline_cells_and_boolean_labels(tmp_path):
    path = tmp_path / "kto.csv"
    path.write_text('prompt,completion,label,id\nThe sky is," blue\nand wide",true,a\n\nGrass is, red,FALSE,b\n')
    records = read_records(path)
    assert list(records) == [{"prompt": "The sky is", "completion": " blue\nand wide", "label": True, "id": "a"},
                             {"prompt": "Grass is", "completion": " red", "label": False, "id": "b"}]
    assert records.lines == [2, 5]
    assert validate_file(path, expect="unpaired_preference").columns == ["prompt", "completion", "label", "id"]


def test_parquet_conversational_preference(tmp_path):
    row = GOOD_ROWS[("preference", False, "conversational")]
    path = tmp_path / "pref.parquet"
    pyarrow.parquet.write_table(pyarrow.Table.from_pylist([row, row]), path)
    info = validate_file(path, expect="preference")
    assert (info.type, info.form, info.rows, info.implicit_prompt) == ("preference", "conversational", 2, False)


def test_save_to_disk_folder(tmp_path):
    import datasets

    row = GOOD_ROWS[("language_modeling", False, "conversational")]
    datasets.Dataset.from_list([row] * 4).save_to_disk(str(tmp_path / "sft"))
    info = validate_file(tmp_path / "sft", expect="language_modeling")
    assert (info.type, info.form, info.rows) == ("language_modeling", "conversational", 4)


def test_load_dataset_is_ready_for_trl(tmp_path):
    from trl.data_utils import extract_prompt, is_conversational

    implicit = GOOD_ROWS[("preference", True, "conversational")]
    rows = [{**implicit, "meta": {"id": 1, "answer": "blue"}}, {**implicit, "meta": {"id": "two", "tags": ["x"]}}]
    ds = load_dataset(write_jsonl(tmp_path / "pref.jsonl", rows), expect="preference")
    assert ds.column_names == ["chosen", "rejected", "meta"]
    assert ds[0]["chosen"] == implicit["chosen"]  # lists of plain {"role", "content"} dicts
    assert [ds[i]["meta"] for i in range(2)] == [rows[0]["meta"], rows[1]["meta"]]
    assert is_conversational(ds[0])
    assert extract_prompt(ds[0])["prompt"] == [user("Sky colour?")]

    unpaired = load_dataset(write_jsonl(tmp_path / "kto.jsonl", [GOOD_ROWS[("unpaired_preference", False, "standard")]]))
    assert unpaired.features["label"].dtype == "bool"


def test_detect_on_plain_rows_names_the_record():
    rows = [{"text": "a"}, {"prompt": "b"}]
    with pytest.raises(DataError, match=r"^mem: record 2: row is prompt_only \(prompt\) but earlier rows are "
                                        r"language_modeling \(text\)$"):
        detect(rows, "mem")


def test_unknown_expected_type_is_a_user_error(tmp_path):
    path = write_jsonl(tmp_path / "d.jsonl", [{"text": "a"}])
    with pytest.raises(WorkbenchError, match="unknown dataset type 'sft'; use one of language_modeling"):
        validate_file(path, expect="sft")


def _jsonl(*rows) -> bytes:
    return "".join((json.dumps(r) if not isinstance(r, str) else r) + "\n" for r in rows).encode()


PREF = GOOD_ROWS[("preference", False, "conversational")]


def _parquet(rows):
    return lambda path: pyarrow.parquet.write_table(pyarrow.Table.from_pylist(rows), path)


def _saved(dataset_dict: bool):
    def write(path):
        import datasets

        ds = datasets.Dataset.from_list([{"text": "a"}])
        (datasets.DatasetDict(train=ds, test=ds) if dataset_dict else ds).save_to_disk(str(path))
    return write


# (file name, content: bytes | writer(path) | None for no file, extra CLI args, where, gist of the message)
# `where` is the line number, None for the whole file, or "record N" for formats without lines.
BAD = [
    ("missing.jsonl", None, [], None, "no such file or folder"),
    ("empty.jsonl", b"", [], None, "the dataset is empty: no rows"),
    ("blank.jsonl", b"\n  \n", [], None, "the dataset is empty"),
    ("empty.json", b"[]", [], None, "the dataset is empty"),
    ("header_only.csv", b"prompt,completion\n", [], None, "the dataset is empty"),
    ("notes.txt", b"hello\n", [], None, "unsupported file type '.txt'; use .jsonl, .json, .csv, .parquet"),
    ("latin1.jsonl", b'{"text": "a"}\n{"text": "b"}\n{"text": "caf\xe9"}\n', [], 3, "not UTF-8: byte 0xe9"),
    ("malformed.jsonl", _jsonl({"text": "a"}, '{"text": "b",}'), [], 2, "malformed JSON: Expecting property name"),
    ("array_row.jsonl", _jsonl({"text": "a"}, '["b"]'), [], 2, "row is a JSON array, not an object"),
    ("no_columns.jsonl", _jsonl({"id": 1, "body": "x"}), [], 1, "no dataset columns (found: id, body)"),
    ("missing_rejected.jsonl", _jsonl({"prompt": "a", "chosen": "b"}), [], 1,
     "missing column rejected: a preference row needs prompt, chosen, rejected"),
    ("missing_prompt.jsonl", _jsonl({"completion": "b"}), [], 1, "missing column prompt"),
    ("ill_typed.jsonl", _jsonl({"prompt": 3}), [], 1,
     "column prompt must be a string or a list of {role, content} messages, found number"),
    ("text_list.jsonl", _jsonl({"text": ["a"]}), [], 1, "column text must be a string, found array"),
    ("messages_string.jsonl", _jsonl({"messages": "hi"}), [], 1, "column messages must be a list of {role, content} messages, found string"),
    ("ambiguous.jsonl", _jsonl({"text": "a", "prompt": "b"}), [], 1, "columns text, prompt do not make one dataset type"),
    ("mixed_types.jsonl", _jsonl(PREF, "", {"prompt": "a", "completion": "b"}), [], 3,
     "row is prompt_completion (prompt, completion) but earlier rows are preference (prompt, chosen, rejected)"),
    ("mixed_forms.jsonl", _jsonl({"text": "a"}, GOOD_ROWS[("language_modeling", False, "conversational")]), [], 2,
     "row is conversational (lists of messages) but earlier rows are standard (strings)"),
    ("mixed_prompting.jsonl", _jsonl(PREF, GOOD_ROWS[("preference", True, "conversational")]), [], 2,
     "row has no prompt column but earlier rows have one"),
    ("mixed_in_row.jsonl", _jsonl({"prompt": "a", "completion": [assistant("b")]}), [], 1,
     "column completion is a list of messages but prompt is a string"),
    ("model_role.jsonl", _jsonl({"messages": [user("hi"), {"role": "model", "content": "yo"}]}), [], 1,
     "column messages, message 2 has role 'model'; roles must be system, user or assistant"),
    ("no_role.jsonl", _jsonl({"prompt": [{"content": "hi"}]}), [], 1, "column prompt, message 1 has no role"),
    ("content_list.jsonl", _jsonl({"prompt": [{"role": "user", "content": ["hi"]}]}), [], 1,
     "column prompt, message 1: content must be a string, found array"),
    ("empty_conversation.jsonl", _jsonl({"prompt": []}), [], 1, "column prompt is an empty list of messages"),
    ("no_assistant.jsonl", _jsonl({"messages": [user("hi")]}), [], 1, "column messages has no assistant turn"),
    ("prompt_ends_assistant.jsonl", _jsonl({"prompt": [user("hi"), assistant("yo")]}), [], 1,
     "column prompt ends with an assistant turn"),
    ("chosen_user.jsonl", _jsonl({**PREF, "chosen": [user("hi"), assistant("yo")]}), [], 1,
     "column chosen, message 1 has role 'user'; chosen turns must be assistant turns"),
    ("completion_user.jsonl", _jsonl({"prompt": [user("a")], "completion": [user("b")], "label": True}), [], 1,
     "column completion, message 1 has role 'user'"),
    ("label_int.jsonl", _jsonl({"prompt": "a", "completion": "b", "label": 1}), [], 1,
     "column label must be true or false, found number 1"),
    ("implicit_identical.jsonl", _jsonl({"chosen": "same", "rejected": "same"}), [], 1, "chosen and rejected are identical"),
    ("implicit_no_prompt.jsonl", _jsonl({"chosen": [user("a"), assistant("b")], "rejected": [user("c"), assistant("d")]}),
     [], 1, "chosen and rejected start with different messages, so the implicit prompt is empty"),
    ("implicit_user_after.jsonl", _jsonl({"chosen": [user("a"), assistant("b")], "rejected": [user("a"), user("d")]}),
     [], 1, "column rejected, message 2 has role 'user'; rejected turns after the 1 messages shared"),
    ("stepwise.jsonl", _jsonl({"prompt": "a", "completions": ["b"], "labels": [True]}), [], 1,
     "stepwise-supervision rows (prompt, completions, labels) are not supported"),
    ("expect.jsonl", _jsonl({"prompt": [user("a")]}), ["--expect", "preference"], None,
     "holds prompt_only rows (conversational) but preference is needed: rows with columns (prompt, chosen, rejected) "
     "or (chosen, rejected)"),
    ("malformed.json", b'[\n  {"text": "a"},\n  {"text": b}\n]\n', [], 3, "malformed JSON: Expecting value"),
    ("object.json", b'{\n  "data": [{"text": "a"}]\n}\n', [], 1, "the file holds a JSON object; write a list of rows"),
    ("string_record.json", b'[{"text": "a"}, "b"]', [], "record 2", "row is a JSON string, not an object"),
    ("bad_record.json", json.dumps([{"text": "a"}, {"text": None}]).encode(), [], "record 2",
     "column text must be a string, found null"),
    ("lines_bad.json", _jsonl({"text": "a"}, {"text": "b"}, "{oops"), [], 3, "malformed JSON"),
    ("fields.csv", b'prompt,completion\n"multi\nline",b\nc,d,e\n', [], 4, "row has 3 fields but the header has 2"),
    ("label.csv", b'prompt,completion,label\n"multi\nline",b,true\nc,d,maybe\n', [], 4,
     "column label must be true or false, found string 'maybe'"),
    ("rows.parquet", _parquet([{"text": "a"}, {"text": None}]), [], "record 2", "column text must be a string, found null"),
    ("corrupt.parquet", b"PAR1 not really", [], None, "not a readable Parquet file"),
    ("not_a_dataset", lambda path: path.mkdir(), [], None, "is a folder but not a dataset written by datasets' save_to_disk"),
    ("splits", _saved(dataset_dict=True), [], None, "holds several splits (train, test); point at one of them"),
]


@pytest.mark.parametrize("name, content, args, where, gist", BAD, ids=[case[0] for case in BAD])
def test_bad_input_is_one_line_with_its_place(tmp_path, capsys, name, content, args, where, gist):
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        content(path)
    capsys.readouterr()  # drop what writing the file printed (datasets' progress bars)

    rc, out, err = validate_cli(capsys, path, *args)

    place = f"{path}:{where}: " if isinstance(where, int) else f"{path}: " + (f"{where}: " if where else "")
    assert (rc, out) == (2, "")
    assert err.count("\n") == 1 and err.startswith(f"error: {place}"), err
    assert gist in err, err


def test_what_the_workbench_writes_is_strict_json_even_with_nan(tmp_path):
    """A diverged loss (NaN) or an infinite figure is written as null: metrics.json and JSONL stay RFC 8259 JSON."""
    import json

    from workbench.atomic import write_json, write_jsonl

    write_json(tmp_path / "metrics.json", {"loss": float("nan"), "curve": [1.0, float("inf")], "steps": 3})
    write_jsonl(tmp_path / "rows.jsonl", [{"score": float("-inf"), "text": "ok"}])

    def strict(text):
        return json.loads(text, parse_constant=lambda c: pytest.fail(f"non-JSON constant {c} written"))

    assert strict((tmp_path / "metrics.json").read_text()) == {"loss": None, "curve": [1.0, None], "steps": 3}
    assert strict((tmp_path / "rows.jsonl").read_text()) == {"score": None, "text": "ok"}
