"""Hostile input never escapes and never tracebacks: a seeded fuzz of recipes, datasets and command lines (issue 22).

Three families of generated cases, each driven through `workbench.cli.main` in-process (a few also as subprocesses):
  * `recipe check` (and `run` for the name cases): the shipped recipes mutated in targeted ways (hostile names, values
    that cannot work, wrong shapes, duplicate keys, extends bases of the wrong shape, YAML bombs, special files) plus
    random line and byte mutations;
  * `data validate` and `filter`: tests/data and examples/lora files mutated (deep nesting, huge integers, NaN,
    lone surrogates, bad UTF-8, Parquet with timestamp / Decimal / binary columns, a corrupt save_to_disk folder,
    FIFOs and devices) plus random byte mutations, and hostile `--out` folders;
  * overrides and arguments of every command that takes untrusted paths or numbers.

Every case runs in a sandbox with a per-case timeout (SIGALRM). The rules asserted:
  * a targeted case (`must_fail`: it cannot work) exits 2; a random mutation may also exit 0 (it may still be valid);
  * nothing exits 1 (an internal error), and no output holds "Traceback";
  * exit 2 prints 1 to `cli.MAX_PROBLEM_LINES` + 1 lines on stderr: one per problem (a recipe with several problems
    lists each), at most ten and a count of the rest;
  * nothing under the sandbox's parent is created, changed or deleted except the case's declared outputs (and those
    only on exit 0); a filter output that was written holds strict JSON (no bare NaN).
Run `python tests/test_fuzz.py` for the table of outcomes per family.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import random
import shutil
import signal
import stat
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pytest
import yaml

from workbench import cli

ROOT = Path(__file__).resolve().parents[1]
SEED = 22
CASE_TIMEOUT_S = 30
MAX_LINES = cli.MAX_PROBLEM_LINES + 1
LABELLED = ROOT / "tests" / "data" / "safety_labelled.jsonl"
LORA_TRAIN = ROOT / "examples" / "lora" / "train.jsonl"
BASE_RECIPES = ("quickstart.yaml", "taskworld-full.yaml", "pretrain-distillation.yaml", "lora-custom.yaml")


@dataclass
class Case:
    family: str  # "recipe" | "data" | "args"
    name: str
    argv: list[str]  # `{box}`: the sandbox folder; `{ro}`: a location nobody may write to; `{input}`: what setup returned
    setup: Callable[[Path], Path | None] | None = None  # writes the case's inputs into the sandbox
    must_fail: bool = True  # the input cannot work: exit 2 is required
    writes: tuple[str, ...] = ()  # sandbox-relative paths the command may write on exit 0


@dataclass
class Outcome:
    code: int | None
    out: str
    err: str
    hang: bool = False
    escaped: str = ""  # an exception that got past main()
    touched: list[str] = field(default_factory=list)

    def problems(self, case: Case) -> list[str]:
        found = []
        if self.hang:
            return [f"hang (> {CASE_TIMEOUT_S} s)"]
        if self.escaped or "Traceback" in self.out + self.err:
            found.append("traceback")
        if self.code == 0 and case.must_fail:
            found.append("exit 0 that should fail")
        elif self.code not in (0, 2):
            found.append(f"exit {self.code}")
        lines = self.err.strip("\n").split("\n") if self.err.strip() else []
        if self.code == 2 and not 1 <= len(lines) <= MAX_LINES:
            found.append(f"{len(lines)} stderr lines")
        if self.touched:
            found.append(f"touched outside its outputs: {', '.join(self.touched[:3])}")
        return found


# --- the sandbox -----------------------------------------------------------------------------------------------


class _Hang(BaseException):
    """Raised by SIGALRM; a BaseException so that main()'s catch-all cannot swallow it."""


def _on_alarm(signum, frame):
    raise _Hang()


def _snapshot(root: Path) -> dict[str, tuple]:
    state = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = Path(dirpath) / name
            st = p.lstat()
            kind = stat.S_IFMT(st.st_mode)  # a folder's own mtime is left out: a temporary file made and removed
            state[str(p.relative_to(root))] = (kind,) if kind == stat.S_IFDIR else (kind, st.st_size, st.st_mtime_ns)
    return state


def _changed(before: dict, after: dict, allowed: list[str]) -> list[str]:
    def ok(rel: str) -> bool:
        return any(rel == a or rel.startswith(a + os.sep) for a in allowed)

    keys = set(before) | set(after)
    return sorted(k for k in keys if before.get(k) != after.get(k) and not ok(k))


def _readonly(root: Path) -> Path:
    """A folder nobody may write in: chmod 555 for a user; root writes anywhere, except into /sys."""
    if os.geteuid() == 0:
        return Path("/sys/kernel/workbench-fuzz")
    ro = root / "readonly"
    ro.mkdir(exist_ok=True)
    ro.chmod(0o555)
    return ro


def run_case(case: Case, parent: Path, index: int) -> Outcome:
    box = parent / f"box{index}"
    box.mkdir()
    ro = _readonly(parent)
    made = case.setup(box) if case.setup else None
    argv = [a.replace("{box}", str(box)).replace("{ro}", str(ro)).replace("{input}", str(made)) for a in case.argv]
    before = _snapshot(parent)
    out, err = io.StringIO(), io.StringIO()
    outcome = Outcome(None, "", "")
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    cwd = os.getcwd()
    os.chdir(box)
    signal.alarm(CASE_TIMEOUT_S)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                outcome.code = cli.main(argv)
            except SystemExit as e:  # argparse
                outcome.code = e.code if isinstance(e.code, int) else 1
    except _Hang:
        outcome.hang = True
    except BaseException as e:  # noqa: BLE001 (what escaped main is what we count)
        outcome.escaped = f"{type(e).__name__}: {e}"
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
        os.chdir(cwd)
    outcome.out, outcome.err = out.getvalue(), err.getvalue()
    allowed = [f"box{index}{os.sep}{w}" for w in case.writes] if outcome.code == 0 else []
    outcome.touched = _changed(before, _snapshot(parent), allowed)
    if outcome.code == 0:
        for name in ("kept.jsonl", "rejected.jsonl", "decisions.jsonl"):
            for written in box.rglob(name):
                for line in written.read_text(encoding="utf-8").splitlines():
                    try:
                        json.loads(line, parse_constant=_no_constant)
                    except ValueError:
                        outcome.touched.append(f"{written.name} holds invalid JSON: {line[:60]}")
    shutil.rmtree(box)  # keeps the parent small, so that every snapshot is quick
    return outcome


def _no_constant(name):
    raise ValueError(name)


# --- shared inputs -------------------------------------------------------------------------------------------------


def _copy_recipes(box: Path) -> None:
    shutil.copytree(ROOT / "recipes", box / "recipes", ignore=shutil.ignore_patterns("accelerate"))
    (box / "examples").mkdir()
    shutil.copytree(ROOT / "examples" / "lora", box / "examples" / "lora")
    (box / "victim").mkdir()
    (box / "victim" / "keep.txt").write_text("not yours")


def _recipe_case(name: str, text: str | bytes, argv_tail=(), must_fail=True, command=("recipe", "check"),
                 family="recipe") -> Case:
    def setup(box: Path) -> None:
        _copy_recipes(box)
        target = box / "recipes" / "case.yaml"
        target.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass"))

    return Case(family, name, [*command, "{box}/recipes/case.yaml", *argv_tail], setup, must_fail)


def _dump(data) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def _base(name: str) -> dict:
    return yaml.safe_load((ROOT / "recipes" / name).read_text())


def _first_rows(path: Path, n: int) -> list[str]:
    return [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()][:n]


# --- family 1: recipes ----------------------------------------------------------------------------------------------

HOSTILE_NAMES = [".", "..", "../victim", "../../victim", "/tmp/workbench-fuzz-abs", "a/b", "", " ", "-x", "x" * 65,
                 "a..b", "name\nx", "nul\x00x", "..\\x", "~", "ünï", "$HOME", 5, ["x"]]


def _set_stage(data: dict, index: int, key: str, value) -> dict:
    data["stages"][index % len(data["stages"])][key] = value
    return data


def _train_stage(data: dict) -> int:
    return next(i for i, s in enumerate(data["stages"]) if "train" in s)


def _mutations(rng: random.Random) -> list[tuple[str, Callable[[dict], dict | str | bytes]]]:
    """(name, recipe dict -> mutated dict or YAML text) for every targeted mutation."""
    m: list = []
    for bad in HOSTILE_NAMES:
        m.append((f"stage name {bad!r}", lambda d, bad=bad: _set_stage(d, rng.randrange(99), "name", bad)))
    for bad in ["../../../somewhere", "/tmp/x", ".", "a/b", "", "../x"]:
        m.append((f"recipe name {bad!r}", lambda d, bad=bad: {**d, "name": bad}))
    m.append(("model name '../m'", lambda d: {**d, "models": {"../m": {"preset": "gemma2-tiny-student"}}}))
    for key, bad in [("seed", -5), ("seed", 2**32), ("seed", 10**40), ("seed", float("inf")), ("seed", "x")]:
        m.append((f"recipe {key}={bad!r}", lambda d, key=key, bad=bad: {**d, key: bad}))
    m.append(("stage seed -1", lambda d: _set_stage(d, 0, "seed", -1)))
    for key, bad in [("lr", float("inf")), ("lr", float("nan")), ("lr", -1.0), ("lr", 0), ("lr", 1e30),
                     ("max_steps", 1e30), ("max_steps", 0), ("max_steps", 10**12), ("batch_size", 10**9),
                     ("grad_accum", -1), ("warmup_ratio", float("nan")), ("max_grad_norm", float("inf")),
                     ("weight_decay", float("-inf"))]:
        m.append((f"train.{key}={bad!r}", lambda d, key=key, bad=bad: _set_train(d, key, bad)))
    for kind, key, bad in [("pretrain", "seq_len", 10**12), ("taskworld", "n", 10**12), ("tokenizer", "vocab_size", 10**9),
                           ("taskworld", "corpus_docs", 10**15), ("sft", "max_length", 10**12),
                           ("distill", "max_new_tokens", 10**12), ("evaluate", "limit", 10**15),
                           ("sft", "eval_fraction", float("nan"))]:
        m.append((f"{kind}.{key}={bad!r}", lambda d, kind=kind, key=key, bad=bad: _set_kind(d, kind, key, bad)))
    m.append(("tokenizer from a data stage", lambda d: _tokenizer_from_data_stage(d)))
    m.append(("missing path: model", lambda d: {**d, "models": {**(d.get("models") or {}), "gone": {"path": "no/such/model"}}}))
    m.append(("missing gguf: model", lambda d: {**d, "models": {**(d.get("models") or {}), "gone": {"gguf": "nope.gguf"}}}))
    for bad in [[1, 2], "x", 5]:
        m.append((f"models: {bad!r}", lambda d, bad=bad: {**d, "models": bad}))
    for bad in [{}, "x", [], [1], [None], [{"kind": "sft"}]]:
        m.append((f"stages: {bad!r}", lambda d, bad=bad: {**d, "stages": bad}))
    m.append(("duplicate top-level key", lambda d: _dump(d) + f"seed: {d.get('seed', 0) + 1}\n"))
    m.append(("duplicate stage key", lambda d: _dump(d).replace("- kind:", "- kind: taskworld\n  kind:", 1)))
    m.append(("top-level list", lambda d: _dump([d])))
    m.append(("top-level scalar", lambda d: "just text\n"))
    m.append(("empty file", lambda d: ""))
    m.append(("deep YAML nesting", lambda d: "name: x\nstages: " + "[" * 1_000 + "]" * 1_000 + "\n"))
    m.append(("billion laughs in description", lambda d: _laughs(d, "description")))
    m.append(("billion laughs as stages", lambda d: _laughs(d, "stages")))
    m.append(("not UTF-8", lambda d: b"name: \xff\xfe\n"))
    m.append(("python tag", lambda d: "!!python/object/apply:os.system ['true']\n"))
    m.append(("tab indentation", lambda d: _dump(d).replace("  ", "\t", 3)))
    m.append(("lone surrogate in identity", lambda d: _dump({**d, "identity": "x"}).replace("identity: x",
                                                                                          'identity: "Bot \\ud800"')))
    m.append(("lone surrogate in a stage name", lambda d: _dump(d).replace("- kind:", '- name: "w\\udc00"\n  kind:', 1)))
    m.append(("unknown kind", lambda d: _set_stage(d, 0, "kind", "pretrian")))
    m.append(("stage is a string", lambda d: {**d, "stages": ["pretrain"]}))
    m.append(("reference to a later stage", lambda d: _set_stage(d, 0, "model", d["stages"][-1].get("name", "x"))))
    return m


def _set_train(data: dict, key: str, value) -> dict:
    data["stages"][_train_stage(data)].setdefault("train", {})[key] = value
    return data


def _set_kind(data: dict, kind: str, key: str, value) -> dict:
    stages = [s for s in data["stages"] if s.get("kind") == kind]
    if not stages:
        data["stages"].append({"kind": kind, "name": f"added_{kind}"})
        stages = data["stages"][-1:]
    stages[0][key] = value
    return data


def _tokenizer_from_data_stage(data: dict) -> dict:
    data["models"] = {**(data.get("models") or {}), "tiny": {"preset": "gemma2-tiny-student", "tokenizer": "world"}}
    if not any(s.get("name") == "world" for s in data["stages"]):
        data["stages"].insert(0, {"kind": "taskworld", "name": "world", "n": 50})
    return data


def _laughs(data: dict, key: str) -> str:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 9)]
    body = _dump({k: v for k, v in data.items() if k != key})
    return "\n".join(lines) + "\n" + body + f"{key}: *a8\n"


def _random_text_mutation(rng: random.Random, text: str) -> str:
    lines = text.split("\n")
    for _ in range(rng.randint(1, 3)):
        i = rng.randrange(len(lines))
        op = rng.choice(("drop", "dup", "char", "swap", "indent"))
        if op == "drop":
            lines.pop(i)
        elif op == "dup":
            lines.insert(i, lines[i])
        elif op == "swap" and len(lines) > 1:
            j = rng.randrange(len(lines))
            lines[i], lines[j] = lines[j], lines[i]
        elif op == "indent":
            lines[i] = " " * rng.randint(1, 5) + lines[i]
        elif lines[i]:
            k = rng.randrange(len(lines[i]))
            lines[i] = lines[i][:k] + rng.choice(":-[]{}&*!|>'\"%@`#,?\t0.e-9\\/") + lines[i][k + 1:]
    return "\n".join(lines)


def _special_recipe(name: str, make: Callable[[Path], None]) -> Case:
    def setup(box: Path) -> None:
        _copy_recipes(box)
        make(box / "recipes" / "case.yaml")

    return Case("recipe", name, ["recipe", "check", "{box}/recipes/case.yaml"], setup)


def _extends_case(name: str, base: dict | str, child: str = "extends: base.yaml\nname: child\n") -> Case:
    def setup(box: Path) -> None:
        _copy_recipes(box)
        (box / "recipes" / "base.yaml").write_text(base if isinstance(base, str) else _dump(base))
        (box / "recipes" / "case.yaml").write_text(child)

    return Case("recipe", name, ["recipe", "check", "{box}/recipes/case.yaml"], setup)


def recipe_cases(rng: random.Random) -> list[Case]:
    cases = []
    for name, mutate in _mutations(rng):  # each on one of the shipped recipes, drawn by the seeded generator
        base = rng.choice(BASE_RECIPES)
        result = mutate(_base(base))
        text = result if isinstance(result, (str, bytes)) else _dump(result)
        cases.append(_recipe_case(f"{base}: {name}", text))
    for name in (".", "../victim", "../../victim", "/tmp/workbench-fuzz-abs", "a/b"):  # `run` refuses before any write
        data = _set_stage(_base("quickstart.yaml"), 0, "name", name)
        cases.append(_recipe_case(f"run: stage name {name!r}", _dump(data), ["--run-dir", "{box}/runs/r"],
                                  command=("run",)))
    cases.append(_recipe_case("run: recipe name '../../../somewhere'", _dump({**_base("quickstart.yaml"),
                              "name": "../../../somewhere"}), command=("run",)))
    for base in BASE_RECIPES:
        text = (ROOT / "recipes" / base).read_text()
        for k in range(10):
            cases.append(_recipe_case(f"{base}: random mutation {k}", _random_text_mutation(rng, text), must_fail=False))
    cases += [
        _special_recipe("recipe is a FIFO", lambda p: os.mkfifo(p)),
        _special_recipe("recipe is a device", lambda p: p.symlink_to("/dev/zero")),
        _special_recipe("recipe is a folder", lambda p: p.mkdir()),
        _special_recipe("recipe is missing", lambda p: None),
        _extends_case("extends: base models is a list", {**_base("quickstart.yaml"), "models": [1, 2]}),
        _extends_case("extends: base stages is a mapping", {**_base("quickstart.yaml"), "stages": {"a": 1}}),
        _extends_case("extends: base stages is a string", {**_base("quickstart.yaml"), "stages": "x"}),
        _extends_case("extends: base is a list", "- 1\n- 2\n"),
        _extends_case("extends: child stages is a string", _base("quickstart.yaml"),
                      "extends: base.yaml\nname: child\nstages: x\n"),
        _extends_case("extends: a number", _base("quickstart.yaml"), "extends: 5\nname: child\n"),
        _extends_case("extends: missing file", _base("quickstart.yaml"), "extends: nope.yaml\nname: child\n"),
        _extends_case("extends: itself", _base("quickstart.yaml"), "extends: case.yaml\nname: child\n"),
        _extends_case("extends: a FIFO", _base("quickstart.yaml"), "extends: /dev/zero\nname: child\n"),
    ]
    return cases


# --- family 2: datasets -------------------------------------------------------------------------------------------


def _data_case(name: str, make: Callable[[Path], Path], must_fail=True, commands=("validate", "filter")) -> list[Case]:
    """The dataset `make(box)` writes, through `data validate` and `filter` (its output folder in the sandbox)."""
    out = []
    if "validate" in commands:
        out.append(Case("data", f"validate: {name}", ["data", "validate", "{input}"], make, must_fail))
    if "filter" in commands:
        out.append(Case("data", f"filter: {name}", ["filter", "{input}", "--out", "{box}/out"], make, must_fail,
                        writes=("out",)))
    return out


def _jsonl(lines: list[str], suffix=".jsonl", raw: bytes | None = None):
    def make(box: Path) -> Path:
        p = box / f"data{suffix}"
        p.write_bytes(raw if raw is not None else ("\n".join(lines) + "\n").encode("utf-8", "surrogatepass"))
        return p
    return make


def _parquet(column, arrow_type=None):
    def make(box: Path) -> Path:
        import pyarrow as pa
        import pyarrow.parquet as pq

        rows = [json.loads(line) for line in _first_rows(LABELLED, 3)]
        table = pa.table({"messages": [r["messages"] for r in rows], "extra": pa.array(column, type=arrow_type)})
        pq.write_table(table, box / "data.parquet")
        return box / "data.parquet"
    return make


def _saved_dataset(corrupt: Callable[[Path], None]):
    def make(box: Path) -> Path:
        import datasets

        rows = [json.loads(line) for line in _first_rows(LABELLED, 3)]
        datasets.Dataset.from_list([{"messages": r["messages"]} for r in rows]).save_to_disk(box / "saved")
        corrupt(box / "saved")
        return box / "saved"
    return make


def _special(kind: str):
    def make(box: Path) -> Path:
        p = box / "special.jsonl"
        if kind == "fifo":
            os.mkfifo(p)
        elif kind == "device":
            p.symlink_to("/dev/zero")
        elif kind == "null":
            p.symlink_to("/dev/null")
        elif kind == "folder":
            p.mkdir()
        elif kind == "dangling":
            p.symlink_to(box / "nothing-here")
        return p
    return make


def data_cases(rng: random.Random) -> list[Case]:
    import datetime
    import decimal

    rows = _first_rows(LABELLED, 20)
    lora = _first_rows(LORA_TRAIN, 20)
    chat = json.loads(rows[0])
    hostile_lines = {
        "nested 100,000 deep": '{"messages": ' + "[" * 100_000 + "]" * 100_000 + "}",
        "nested 1,000 deep in meta": json.dumps({**chat, "meta": 0})[:-2] + "[" * 1000 + "]" * 1000 + "}",
        "5,000-digit integer": json.dumps(chat)[:-1] + ', "n": ' + "9" * 5000 + "}",
        "200-digit integer": json.dumps(chat)[:-1] + ', "n": ' + "9" * 200 + "}",
        "NaN in an extra column": json.dumps(chat)[:-1] + ', "score": NaN}',
        "Infinity in an extra column": json.dumps(chat)[:-1] + ', "score": Infinity}',
        "-Infinity in meta": json.dumps(chat)[:-1] + ', "meta": {"x": -Infinity}}',
        "1e999": json.dumps(chat)[:-1] + ', "score": 1e999}',
        "lone surrogate in content": json.dumps(chat).replace("invoice", "inv\\ud800oice"),
        "lone low surrogate in a key": json.dumps(chat)[:-1] + ', "\\udc00": 1}',
        "row is an array": "[1, 2]",
        "row is null": "null",
        "truncated object": json.dumps(chat)[:40],
        "row with no dataset columns": '{"meta": 1}',
        "content is a number": json.dumps({"messages": [{"role": "user", "content": 5}]}),
    }
    cases = []
    for name, bad in hostile_lines.items():
        at = rng.randrange(len(rows))
        cases += _data_case(f"{name} (line {at + 1})", _jsonl(rows[:at] + [bad] + rows[at:]))
    cases += _data_case("NaN in a .json list", _jsonl([], ".json", ("[" + json.dumps(chat)[:-1] + ', "s": NaN}]').encode()))
    cases += _data_case("deep .json", _jsonl([], ".json", b"[" * 100_000 + b"]" * 100_000))
    cases += _data_case("not UTF-8", _jsonl([], raw=("\n".join(rows[:3]) + "\n").encode() + b'{"text": "\xff\xfe"}\n'))
    cases += _data_case("empty file", _jsonl([], raw=b""))
    cases += _data_case("only blank lines", _jsonl([], raw=b"\n\n  \n"))
    cases += _data_case("unsupported extension", _jsonl(rows[:3], ".txt"))
    cases += _data_case("CSV with an open quote", _jsonl([], ".csv", b'prompt,completion\n"a,b\n'))
    cases += _data_case("CSV with a ragged row", _jsonl([], ".csv", b"prompt,completion\na,b,c\n"))
    cases += _data_case("CSV with a huge field", _jsonl([], ".csv", b"text\n" + b"x" * 200_000 + b"\n"))
    for kind in ("fifo", "device", "null", "folder", "dangling"):
        cases += _data_case(f"a {kind} named .jsonl", _special(kind))
    cases += _data_case("Parquet timestamp column", _parquet([datetime.datetime(2026, 1, 1)] * 3))
    cases += _data_case("Parquet Decimal column", _parquet([decimal.Decimal("1.5")] * 3))
    cases += _data_case("Parquet binary column", _parquet([b"\x00\x01"] * 3))
    cases += _data_case("Parquet date column", _parquet([datetime.date(2026, 1, 1)] * 3))
    cases += _data_case("Parquet NaN float", _parquet([float("nan"), 1.0, 2.0]))
    cases += _data_case("Parquet list of timestamps", _parquet([[datetime.datetime(2026, 1, 1)]] * 3))
    cases += _data_case("Parquet file that is not Parquet", _jsonl([], ".parquet", b"PAR1 not really"))
    cases += _data_case("save_to_disk: state.json truncated", _saved_dataset(lambda d: (d / "state.json").write_text("{")))
    cases += _data_case("save_to_disk: state.json a list", _saved_dataset(lambda d: (d / "state.json").write_text("[]")))
    cases += _data_case("save_to_disk: state.json wrong shape", _saved_dataset(
        lambda d: (d / "state.json").write_text('{"_data_files": 5}')))
    cases += _data_case("save_to_disk: arrow file missing", _saved_dataset(
        lambda d: [p.unlink() for p in d.glob("*.arrow")]))
    cases += _data_case("save_to_disk: arrow file garbage", _saved_dataset(
        lambda d: [p.write_bytes(b"garbage") for p in d.glob("*.arrow")]))
    cases += _data_case("save_to_disk: dataset_info.json garbage", _saved_dataset(
        lambda d: (d / "dataset_info.json").write_text("{")))
    cases += _data_case("folder that is no dataset", lambda box: (box / "plain").mkdir() or box / "plain")
    # hostile --out folders for filter (the input is fine)
    good = _jsonl(rows[:5])
    for name, out, prepare in [
        ("--out is a foreign folder", "{box}/out", lambda b: (b / "out").mkdir() or (b / "out" / "notes.txt").write_text("x")),
        ("--out is a file", "{box}/out", lambda b: (b / "out").write_text("x")),
        ("--out under a file", "{box}/afile/out", lambda b: (b / "afile").write_text("x")),
        ("--out on a read-only location", "{ro}/out", lambda b: None),
        ("--out is the input's folder", "{box}", lambda b: None),
    ]:
        def setup(box, prepare=prepare):
            good(box)
            prepare(box)
        cases.append(Case("data", f"filter: {name}", ["filter", "{box}/data.jsonl", "--out", out], setup))
    for name, extra in [("--rules ''", ["--rules", ""]), ("--rules ','", ["--rules", ","]),
                        ("--overrides FIFO", ["--overrides", "{box}/fifo"]), ("--overrides missing", ["--overrides", "{box}/nope.json"]),
                        ("--classifier garbage", ["--classifier", "{box}/data.jsonl"]),
                        ("--recipe with a '../x' stage", ["--recipe", "{box}/bad.yaml"])]:
        def setup(box):
            good(box)
            os.mkfifo(box / "fifo")
            (box / "bad.yaml").write_text(_dump(_set_stage(_base("quickstart.yaml"), 6, "name", "../x")))
        cases.append(Case("data", f"filter: {name}", ["filter", "{box}/data.jsonl", "--out", "{box}/out", *extra], setup))
    # random byte mutations of valid files: may stay valid (exit 0), must never traceback
    for k in range(30):
        source = rng.choice((rows, lora))
        text = "\n".join(source[:8])
        chars = list(text)
        for _ in range(rng.randint(1, 4)):
            i = rng.randrange(len(chars))
            chars[i] = rng.choice(['"', "{", "}", "[", "]", ",", ":", "\\", "NaN", "\\ud800", "\x00", "9" * 50, "", "é"])
        cases += _data_case(f"random mutation {k}", _jsonl(["".join(chars)]), must_fail=False)
    return cases


# --- family 3: overrides and arguments ---------------------------------------------------------------------------

TINY = {"name": "tiny", "seed": 0, "stages": [{"kind": "taskworld", "name": "world", "n": 20, "corpus_docs": 5}]}


def _with_tiny(box: Path) -> None:
    (box / "tiny.yaml").write_text(_dump(TINY))
    (box / "corpus.txt").write_text("some text to train on\n" * 50)
    (box / "afile").write_text("x")
    (box / "foreign").mkdir()
    (box / "foreign" / "notes.txt").write_text("keep me")
    os.mkfifo(box / "fifo.txt")
    (box / "bad.txt").write_bytes(b"\xff\xfe\x00 not text")
    (box / "garbage.db").write_bytes(b"this is not a SQLite database" * 10)
    shutil.copy(LORA_TRAIN, box / "train.jsonl")


def args_cases(rng: random.Random) -> list[Case]:
    cases = []
    overrides = ["seed=[", "seed={", "seed=-5", "seed=4294967296", "seed=.inf", "seed=*a", "seed=!!python/name:os.system",
                 "seed=" + "[" * 1_000, "stages.world.name=../x", "stages.world.name=.", "name=../../x", "name=/abs",
                 "a..b=1", "=1", "stages[99999999999999999999].n=1", "stages[" + "9" * 5000 + "].n=1",
                 "stages.nosuch.n=1", "models=[1]", "stages=x", "stages[0]=5", "stages.world.n=1e400",
                 "stages.world.n=-1", "stages.world.n=1000000000000", "stages.world.kind=../x",
                 "seed.x=1", "name.x.y=1", "stages.world.n[0]=1", "identity=", "stages.world.towns=.nan"]
    for o in overrides:
        cases.append(Case("args", f"recipe check {o[:40]}", ["recipe", "check", "{box}/tiny.yaml", o], _with_tiny))
        cases.append(Case("args", f"run {o[:40]}", ["run", "{box}/tiny.yaml", "--run-dir", "{box}/runs/tiny", o], _with_tiny))
    cases += [Case("args", f"run --only {only!r}", ["run", "{box}/tiny.yaml", "--run-dir", "{box}/runs/t", "--only", only],
                   _with_tiny) for only in ("", ",", " , ", "nosuch", "world,nosuch")]
    cases += [
        Case("args", "run --run-dir a file", ["run", "{box}/tiny.yaml", "--run-dir", "{box}/afile"], _with_tiny),
        Case("args", "run --run-dir under a file", ["run", "{box}/tiny.yaml", "--run-dir", "{box}/afile/run"], _with_tiny),
        Case("args", "run --run-dir read-only", ["run", "{box}/tiny.yaml", "--run-dir", "{ro}/run"], _with_tiny),
        Case("args", "run --num-processes -1", ["run", "{box}/tiny.yaml", "--run-dir", "{box}/r", "--num-processes", "-1"],
             _with_tiny),
        Case("args", "run --accelerate-config missing", ["run", "{box}/tiny.yaml", "--run-dir", "{box}/r",
                                                        "--launcher", "accelerate", "--accelerate-config", "{box}/nope.yaml"],
             _with_tiny),
        Case("args", "run stray argument", ["run", "{box}/tiny.yaml", "--bogus"], _with_tiny),
    ]
    tw = ["taskworld", "generate", "--out"]
    cases += [Case("args", f"taskworld generate {' '.join(a)}", tw + a, _with_tiny) for a in [
        ["{box}/foreign", "--n", "20"], ["{box}/afile", "--n", "20"], ["{ro}/world", "--n", "20"],
        ["{box}/afile/world", "--n", "20"], ["{box}/w", "--n", "-1"], ["{box}/w", "--n", "0"],
        ["{box}/w", "--n", str(10**30)], ["{box}/w", "--n", "abc"], ["{box}/w", "--seed", "-5"],
        ["{box}/w", "--seed", str(2**33)], ["{box}/w", "--seed", "9" * 5000], ["{box}/w", "--n", "9" * 5000]]]
    tok = ["tokenizer", "train", "--corpus"]
    cases += [Case("args", f"tokenizer train {' '.join(a)[:60]}", tok + a, _with_tiny) for a in [
        ["{box}/fifo.txt", "--out", "{box}/tok"], ["{box}", "--out", "{box}/tok"], ["{box}/nope.txt", "--out", "{box}/tok"],
        ["{box}/bad.txt", "--out", "{box}/tok"], ["{box}/corpus.txt", "--out", "{box}/foreign"],
        ["{box}/corpus.txt", "--out", "{box}/afile"], ["{box}/corpus.txt", "--out", "{ro}/tok"],
        ["{box}/corpus.txt", "--out", "{box}/tok", "--vocab-size", "-1"],
        ["{box}/corpus.txt", "--out", "{box}/tok", "--vocab-size", str(10**30)],
        ["{box}/corpus.txt", "--out", "{box}/tok", "--seed", "-1"], ["/dev/zero", "--out", "{box}/tok"]]]
    cases += [Case("args", f"ratings export {' '.join(a)[:60]}", ["ratings", "export", *a], _with_tiny) for a in [
        ["--out", "{box}/x.jsonl", "--db", "{box}/nope.db"], ["--out", "{box}/x.jsonl", "--db", "{box}/garbage.db"],
        ["--out", "{box}/x.jsonl", "--db", "{box}"], ["--out", "{box}/x.jsonl", "--db", "{box}/fifo.txt"],
        ["--out", "{ro}/x.jsonl", "--db", "{box}/garbage.db"], ["--out", "{box}/foreign", "--db", "{box}/garbage.db"],
        ["--out", "{box}/fifo.txt", "--db", "{box}/garbage.db"], ["--out", "{box}/afile/x.jsonl", "--db", "{box}/garbage.db"]]]
    cases += [Case("args", f"ratings import {name}", ["ratings", "import", path, "--db", "{box}/new.db"], _with_tiny)
              for name, path in [("a FIFO", "{box}/fifo.txt"), ("binary", "{box}/bad.txt"), ("missing", "{box}/nope.jsonl")]]
    cases += [Case("args", "filter-decisions overrides --out a folder",
                   ["filter-decisions", "overrides", "--out", "{box}/foreign", "--db", "{box}/garbage.db"], _with_tiny)]
    lora = ["lora", "--data", "{box}/train.jsonl"]
    cases += [Case("args", f"lora {' '.join(a)[:60]}", lora + a, _with_tiny) for a in [
        ["--model", "{box}/no-model", "--out", "{box}/foreign"], ["--model", "{box}/no-model", "--out", "{box}/afile"],
        ["--model", "{box}/no-model", "--out", "{ro}/lora"], ["--model", "{box}/no-model", "--seed", "-1"],
        ["--model", "{box}/no-model", "--lr", "inf"], ["--model", "{box}/no-model", "--steps", "9" * 5000],
        ["--model", "{box}/no-model", "--data", "{box}/fifo.txt"], ["--model", "{box}/no-model"],
        ["--model", "gemma2-tiny-student", "--out", "{box}/l"]]]
    cases += [Case("args", f"data validate --expect {e!r}", ["data", "validate", "{box}/train.jsonl", "--expect", e], _with_tiny)
              for e in ("bogus", "", "preference")]
    cases += [Case("args", f"taskworld score {name}", ["taskworld", "score", "--data", d, "--responses", r], _with_tiny)
              for name, d, r in [("FIFO data", "{box}/fifo.txt", "{box}/train.jsonl"),
                                 ("binary responses", "{box}/train.jsonl", "{box}/bad.txt")]]
    for name, text in [("a list", "[]"), ("stages a list", '{"stages": [1, 2]}'), ("a stage entry a number",
                       '{"stages": {"world": 5}}'), ("not JSON", "{"), ("a FIFO", None)]:
        def setup(box, text=text):
            _with_tiny(box)
            (box / "runs" / "t").mkdir(parents=True)
            os.mkfifo(box / "runs" / "t" / "manifest.json") if text is None else (box / "runs" / "t" / "manifest.json").write_text(text)
        cases.append(Case("args", f"run: manifest.json is {name}", ["run", "{box}/tiny.yaml", "--run-dir", "{box}/runs/t"], setup))
    cases += [Case("args", f"safety train-classifier {' '.join(a)[:60]}", ["safety", "train-classifier", *a], _with_tiny)
              for a in [["{box}/fifo.txt", "--out", "{box}/c"], ["{box}/train.jsonl", "--out", "{box}/c", "--epochs", "0"],
                        ["{box}/train.jsonl", "--out", "{box}/c", "--epochs", str(10**12)],
                        ["{box}/train.jsonl", "--out", "{box}/c", "--seed", "-3"]]]
    return cases


FAMILIES = {"recipe check": recipe_cases, "data validate + filter": data_cases, "overrides / CLI arguments": args_cases}
COLUMNS = ("cases", "clean exit 2", "exit 0 (may be valid)", "exit 0 that should fail", "traceback", "hang", "other")


def run_family(family: str, parent: Path) -> tuple[dict[str, int], list[str]]:
    cases = FAMILIES[family](random.Random(SEED))
    counts = dict.fromkeys(COLUMNS, 0)
    failures = []
    timings = []
    for index, case in enumerate(cases):
        started = time.perf_counter()
        outcome = run_case(case, parent, index)
        timings.append((time.perf_counter() - started, case.name))
        problems = outcome.problems(case)
        counts["cases"] += 1
        if outcome.hang:
            counts["hang"] += 1
        elif "traceback" in problems:
            counts["traceback"] += 1
        elif "exit 0 that should fail" in problems:
            counts["exit 0 that should fail"] += 1
        elif problems:
            counts["other"] += 1
        elif outcome.code == 2:
            counts["clean exit 2"] += 1
        else:
            counts["exit 0 (may be valid)"] += 1
        if problems:
            failures.append(f"{case.name}: {'; '.join(problems)}\n    stderr: {outcome.err.strip()[:300]!r}"
                            f"{' escaped: ' + outcome.escaped[:200] if outcome.escaped else ''}")
    if os.environ.get("FUZZ_TIMINGS"):
        for seconds, name in sorted(timings, reverse=True)[:8]:
            print(f"    {seconds:6.2f} s  {name}", file=sys.stderr)
    return counts, failures


def _restore(parent: Path) -> None:
    ro = parent / "readonly"
    if ro.exists():
        ro.chmod(0o755)


@pytest.mark.slow  # 10-25 s a family on one core
@pytest.mark.parametrize("family", list(FAMILIES))
def test_fuzz_family_exits_2_with_one_line_and_touches_nothing(family, tmp_path):
    try:
        counts, failures = run_family(family, tmp_path)
    finally:
        _restore(tmp_path)
    print(family, counts)
    assert counts["cases"] >= 80
    assert not failures, f"{len(failures)} of {counts['cases']} cases failed:\n" + "\n".join(failures[:40])


def test_internal_error_is_one_line_naming_a_log_with_the_traceback(monkeypatch, capsys):
    def broken(args):
        raise RuntimeError("boom")

    monkeypatch.setattr(cli, "_cmd_recipe_check", broken)
    assert cli.main(["recipe", "check", "any.yaml"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err and "RuntimeError: boom" in err
    log = Path(err.split("traceback in ")[1].split(")")[0])
    assert "Traceback" in log.read_text() and "boom" in log.read_text()
    log.unlink()
    assert cli.main(["-v", "recipe", "check", "any.yaml"]) == 1  # -v prints the traceback too
    err = capsys.readouterr().err
    assert "Traceback" in err
    Path(err.split("traceback in ")[1].split(")")[0]).unlink()


def test_path_escape_messages_name_the_yaml_path(tmp_path, capsys):
    for field_path, mutate in [("stages[0].name", lambda d, v: _set_stage(d, 0, "name", v)),
                               ("name", lambda d, v: {**d, "name": v})]:
        for bad in (".", "../x", str(tmp_path / "abs"), "../../../somewhere"):
            recipe = tmp_path / "r.yaml"
            recipe.write_text(_dump(mutate(_base("quickstart.yaml"), bad)))
            assert cli.main(["recipe", "check", str(recipe)]) == 2
            err = capsys.readouterr().err
            assert err.startswith(f"error: {field_path}: ") and "not a plain name" in err and err.count("\n") == 1


def test_inside_and_claim_output_dir(tmp_path):
    from workbench.errors import WorkbenchError
    from workbench.paths import claim_output_dir, inside

    run = tmp_path / "run"
    (run / "a").mkdir(parents=True)
    (run / "link").symlink_to(tmp_path)
    assert inside(run, run / "a") == (run / "a").resolve()
    for escape in (run, run / ".", run / "..", run / "a" / ".." / ".." / "x", run / "link" / "x", Path("/etc")):
        with pytest.raises(WorkbenchError, match="outside"):
            inside(run, escape)
    out = tmp_path / "out"
    out.mkdir()
    for name in ("kept.jsonl", ".kept.jsonl.abc123.tmp", ".summary.json.old"):
        (out / name).write_text("x")
    assert claim_output_dir(out, "filter", ("kept.jsonl", "summary.json")) == out
    (out / "notes.txt").write_text("mine")
    with pytest.raises(WorkbenchError, match=r"did not write \(notes.txt\)"):
        claim_output_dir(out, "filter", ("kept.jsonl", "summary.json"))


@pytest.mark.slow
def test_subprocess_spot_checks(tmp_path):
    """The real process: stderr as a user sees it (logging, warnings included), and a FIFO that cannot block."""
    os.mkfifo(tmp_path / "fifo.jsonl")
    (tmp_path / "nan.jsonl").write_text('{"text": "a", "score": NaN}\n')
    recipe = tmp_path / "r.yaml"
    recipe.write_text(_dump(_set_stage(_base("quickstart.yaml"), 0, "name", "../victim")))
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    for argv, expected in [(["recipe", "check", str(recipe)], "stages[0].name"),
                           (["data", "validate", str(tmp_path / "fifo.jsonl")], "not a regular file"),
                           (["filter", str(tmp_path / "nan.jsonl"), "--out", str(tmp_path / "out")], "NaN is not JSON"),
                           (["run", str(recipe), "--only", ","], "no stage names")]:
        done = subprocess.run([sys.executable, "-m", "workbench.cli", *argv], capture_output=True, text=True,
                              timeout=120, env=env, cwd=tmp_path)
        assert done.returncode == 2, done.stderr
        assert done.stderr.count("\n") == 1 and expected in done.stderr and "Traceback" not in done.stderr, done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fifo.jsonl", "nan.jsonl", "r.yaml"]


if __name__ == "__main__":  # the table of outcomes per family
    import tempfile

    print("| family | " + " | ".join(COLUMNS) + " |")
    print("|---" * (len(COLUMNS) + 1) + "|")
    for family in FAMILIES:
        with tempfile.TemporaryDirectory() as tmp:
            counts, failures = run_family(family, Path(tmp))
            _restore(Path(tmp))
        print(f"| `{family}` | " + " | ".join(str(counts[c]) for c in COLUMNS) + " |")
        for failure in failures:
            print("    " + failure, file=sys.stderr)
