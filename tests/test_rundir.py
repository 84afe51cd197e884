"""A run directory you can trust: outputs verified before they are reused, one writer at a time, what decides the
numerics recorded, a quiet console with one line per stage, and `workbench status`."""

from __future__ import annotations

import io
import json
import os
import shutil
import socket
import subprocess
import sys
import textwrap
from pathlib import Path
from types import SimpleNamespace

import pytest

from helpers import tiny_pretrain_recipe
from workbench import cli
from workbench.atomic import sha256_path
from workbench.console import Console
from workbench.pipeline import Pipeline
from workbench.recipe import load_recipe

ROOT = Path(__file__).resolve().parents[1]
RECIPE = tiny_pretrain_recipe(4, logging_steps=2)


def _manifest(run_dir: Path) -> dict:
    return json.loads((run_dir / "manifest.json").read_text())


@pytest.fixture(scope="module")
def finished(tmp_path_factory) -> tuple[Path, Path]:
    """(recipe, run directory) of the three-stage tiny recipe, run once for the whole module; copy before changing."""
    root = tmp_path_factory.mktemp("finished")
    recipe = root / "tiny.yaml"
    recipe.write_text(RECIPE)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("WORKBENCH_CACHE", str(root / "cache"))
        Pipeline(load_recipe(recipe), root / "run").run()
    return recipe, root / "run"


@pytest.fixture
def run_copy(finished, tmp_path, monkeypatch) -> tuple[Path, Path]:
    monkeypatch.setenv("WORKBENCH_CACHE", str(tmp_path / "cache"))
    recipe, run_dir = finished
    shutil.copytree(run_dir, tmp_path / "run")  # copy2 keeps mtimes, so the hash cache still applies
    return recipe, tmp_path / "run"


def _run(*args: str) -> int:
    return cli.main(["run", *map(str, args)])


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


# --- verify before trusting ----------------------------------------------------------------------------------


@pytest.mark.slow  # trains a model
def test_manifest_records_every_output_file_and_what_decides_numerics(finished):
    _, run_dir = finished
    pt = _manifest(run_dir)["stages"]["pt"]
    weights = "pt/model/model.safetensors"
    assert pt["files"][weights] == {"size": (run_dir / weights).stat().st_size,
                                    "sha256": sha256_path(run_dir / weights)}
    assert pt["outputs"]["model"] == sha256_path(run_dir / "pt" / "model")  # the tree hash, as before
    assert not [f for f in pt["files"] if "/checkpoints/" in f or f.endswith("log.txt") or "/runs/" in f]
    numerics = pt["numerics"]
    assert numerics["precision"] == "fp32" and numerics["threads"] >= 1
    assert numerics["torch"] and numerics["transformers"] and numerics["trl"] and numerics["peft"]
    assert numerics["device"] == "cpu" and isinstance(numerics["cpu_flags"], list) and numerics["cpu_capability"]
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists() and "vendor_id" in cpuinfo.read_text():  # x86: the vendor decides the BLAS's kernels too
        assert numerics["cpu_vendor"] in ("GenuineIntel", "AuthenticAMD")
    assert "numerics" not in _manifest(run_dir)["stages"]["world"]  # no model, nothing to record
    cache = json.loads((run_dir / ".hashes.json").read_text())
    assert cache[weights][2] == pt["files"][weights]["sha256"]


@pytest.mark.slow  # trains a model
def test_a_change_in_what_decides_numerics_changes_the_fingerprint(finished, monkeypatch):
    import torch

    from workbench import training

    recipe, run_dir = finished
    pipeline = Pipeline(load_recipe(recipe), run_dir)
    pt = load_recipe(recipe).stage("pt")
    recorded = _manifest(run_dir)["stages"]["pt"]
    fp, inputs, numerics = pipeline.fingerprint(pt)
    assert fp == recorded["fingerprint"]

    threads = torch.get_num_threads()
    torch.set_num_threads(threads + 1)
    try:
        other, _, more_threads = pipeline.fingerprint(pt)
    finally:
        torch.set_num_threads(threads)
    assert other != fp
    assert pipeline._what_changed(pt, recorded, inputs, more_threads) == \
        f"what decides its numerics changed (threads {threads} -> {threads + 1})"

    monkeypatch.setattr(training, "use_bf16", lambda precision: True)  # e.g. `auto` on a CPU with AMX
    assert pipeline.fingerprint(pt)[2]["precision"] == "bf16-autocast" and pipeline.fingerprint(pt)[0] != fp
    assert pipeline.fingerprint(load_recipe(recipe).stage("world"))[2] is None


def test_the_filter_records_numerics_when_the_gemma_classifier_decides(tmp_path, monkeypatch):
    """The filter runs no referenced model, but the Gemma classifier is one: its numbers depend on what a trained
    model's do, so they are recorded and fingerprinted; the hashed-n-gram classifier is not a neural model."""
    import numpy as np
    from safetensors.numpy import save_file

    from workbench.safety import gemma_classifier
    from workbench.safety.filtering import CLASSIFIER_CHOICE

    save_file({"w": np.zeros(2, dtype=np.float32)}, str(tmp_path / "head.safetensors"),
              metadata={"format": gemma_classifier.FORMAT})
    (tmp_path / "hashed.json").write_text("{}")
    (tmp_path / "recipe.yaml").write_text(textwrap.dedent("""
        name: filters
        stages:
          - {kind: taskworld, name: world, n: 60, corpus_docs: 1500}
          - {kind: filter, name: by_default, data: world}
          - {kind: filter, name: by_name, data: world, classifier: gemma3-270m}
          - {kind: filter, name: hashed, data: world, classifier: hashed-n-gram}
          - {kind: filter, name: gemma_file, data: world, classifier: head.safetensors}
          - {kind: filter, name: hashed_file, data: world, classifier: hashed.json}
        """))
    recipe = load_recipe(tmp_path / "recipe.yaml")
    pipeline = Pipeline(recipe, tmp_path / "run")
    recorded = {name: pipeline.numerics(recipe.stage(name)) is not None
                for name in ("by_name", "hashed", "gemma_file", "hashed_file", "world")}
    assert recorded == {"by_name": True, "hashed": False, "gemma_file": True, "hashed_file": False, "world": False}
    assert pipeline.numerics(recipe.stage("by_name"))["precision"] is None  # it runs a model, trains none
    for choice, records in (("gemma3-270m", True), ("hashed-n-gram", False)):
        monkeypatch.setenv(CLASSIFIER_CHOICE, choice)
        assert (pipeline.numerics(recipe.stage("by_default")) is not None) is records  # and so in its fingerprint


@pytest.mark.slow  # trains a model
def test_vanished_and_truncated_outputs_are_rebuilt(run_copy, capsys):
    recipe, run_dir = run_copy
    weights = run_dir / "pt" / "model" / "model.safetensors"
    recorded = _manifest(run_dir)["stages"]["pt"]["files"]["pt/model/model.safetensors"]

    shutil.rmtree(run_dir / "pt" / "model")
    capsys.readouterr()
    assert _run(recipe, "--run-dir", run_dir) == 0
    out, err = capsys.readouterr()
    assert "[workbench] world: up to date, skipped" in out and "[workbench] tok: up to date, skipped" in out
    assert "[workbench] pt: output model/ is missing; rerunning" in out
    assert "pt (pretrain): done in" in out and "(same artifacts as the last build)" in out
    assert sha256_path(weights) == recorded["sha256"]
    # The console: one line per stage, then the summary table; the libraries' chatter is in the stage's log.
    assert err == "" and "Warning" not in out and "Loading" not in out and "{'loss'" not in out
    stage_lines = [ln for ln in out.splitlines() if ln.startswith("[workbench]")]
    assert len(stage_lines) == 5  # 2 skipped, 1 why, 1 done, the run directory
    table = out[out.index("stage "):].splitlines()
    assert table[0].split() == ["stage", "state", "wall", "time", "key", "metric"]
    assert [row.split()[:2] for row in table[1:4]] == [["world", "done"], ["tok", "done"], ["pt", "done"]]
    assert "val ppl" in table[3]
    log = (run_dir / "pt" / "log.txt").read_text()
    assert "'loss'" in log and "stage pt (pretrain): running" in log

    with open(weights, "r+b") as f:
        f.truncate(recorded["size"] // 2)
    pipeline = Pipeline(load_recipe(recipe), run_dir)
    pipeline.console = Console(out=(terminal := _Terminal()))
    pipeline.run()
    shown = terminal.getvalue()
    assert "[workbench] pt: output model/model.safetensors changed since it was written; rerunning\n" in shown
    assert "\r\x1b[K[workbench] pt (pretrain)  [" in shown and " 4/4" in shown and "left" in shown  # drawn in place
    assert "pt (pretrain): done in" in shown.split("\r\x1b[K")[-1]
    assert sha256_path(weights) == recorded["sha256"]
    assert capsys.readouterr() == ("", "")


def test_a_rebuilt_stage_with_other_bytes_reruns_what_reads_it(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("WORKBENCH_CACHE", str(tmp_path / "cache"))
    recipe_path = tmp_path / "r.yaml"
    recipe_path.write_text(RECIPE[: RECIPE.index("  - kind: pretrain")])
    run_dir = tmp_path / "run"
    Pipeline(load_recipe(recipe_path), run_dir).run()
    shutil.rmtree(run_dir / "world" / "data" / "sft")

    pipeline = Pipeline(load_recipe(recipe_path), run_dir)
    real = pipeline.mods["taskworld"]

    def run_with_other_bytes(cfg, ctx):  # a stage that is not bit-reproducible (say, on a GPU)
        metrics = real.run(cfg, ctx)
        (ctx.stage_dir / "data" / "nonce.txt").write_text(os.urandom(8).hex())
        return metrics

    pipeline.mods = {**pipeline.mods, "taskworld": SimpleNamespace(run=run_with_other_bytes)}
    capsys.readouterr()
    pipeline.run()
    out = capsys.readouterr().out
    assert "world: output data/sft/" in out and "is missing; rerunning" in out
    assert "(artifacts differ from the last build)" in out
    assert "[workbench] tok: its input world changed; rerunning" in out


@pytest.mark.slow  # trains a model
def test_only_refuses_an_input_stage_whose_outputs_changed(run_copy, capsys):
    recipe, run_dir = run_copy
    (run_dir / "tok" / "tokenizer" / "tokenizer.model").write_bytes(b"not a tokenizer")
    assert _run(recipe, "--run-dir", run_dir, "--only", "pt") == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["error: stage tok: output tokenizer/tokenizer.model changed since it was written; "
                   "run it again first (or drop --only)"]


# --- one writer per run directory ----------------------------------------------------------------------------

HOLDER = textwrap.dedent("""
    import sys
    from workbench.rundir import RunLock
    stages = sys.argv[2].split(",") if len(sys.argv) > 2 else None
    with RunLock(sys.argv[1], stages, command="workbench run holder.yaml"):
        print("locked", flush=True)
        sys.stdin.read()
""")


def _hold(run_dir: Path, *stages: str) -> subprocess.Popen:
    """Another process holding the run directory's lock the way `workbench run` does, until its stdin closes."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    args = [sys.executable, "-c", HOLDER, str(run_dir), *([",".join(stages)] if stages else [])]
    proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
    assert proc.stdout.readline() == "locked\n"
    return proc


TWO = "name: two\nseed: 0\nstages:\n  - {kind: taskworld, name: a, n: 20, corpus_docs: 50}\n" \
      "  - {kind: taskworld, name: b, n: 20, corpus_docs: 50, seed: 1}\n"


def test_a_second_writer_is_refused_with_the_holder_named(tmp_path, capsys):
    recipe = tmp_path / "two.yaml"
    recipe.write_text(TWO)
    run_dir = tmp_path / "run"
    holder = _hold(run_dir)
    try:
        assert _run(recipe, "--run-dir", run_dir) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith(f"error: {run_dir} is in use by `workbench run holder.yaml` "
                                                   f"(pid {holder.pid} on {socket.gethostname()}, since ")
        assert err[0].endswith("wait for it to finish, or pass another --run-dir")
        assert _run(recipe, "--run-dir", run_dir, "--only", "b") == 2  # --only runs wait for a whole run too
        assert not (run_dir / "manifest.json").exists() and not (run_dir / "a").exists()
    finally:
        holder.kill()  # SIGKILL: the OS drops its lock; nothing to clean up
        holder.wait()
    assert _run(recipe, "--run-dir", run_dir) == 0
    assert json.loads((run_dir / ".locks" / "run.lock").read_text() or "null") is None  # released and cleared


def test_only_runs_lock_per_stage(tmp_path, capsys):
    recipe = tmp_path / "two.yaml"
    recipe.write_text(TWO)
    run_dir = tmp_path / "run"
    holder = _hold(run_dir, "a")  # as `workbench run --only a`
    try:
        assert _run(recipe, "--run-dir", run_dir, "--only", "a") == 2
        assert "is in use by `workbench run holder.yaml`" in capsys.readouterr().err
        assert _run(recipe, "--run-dir", run_dir) == 2  # a whole run waits for every --only run
        assert "is in use by `workbench run holder.yaml`" in capsys.readouterr().err
        assert _run(recipe, "--run-dir", run_dir, "--only", "b") == 0
        assert _manifest(run_dir)["stages"]["b"]["status"] == "done"
    finally:
        holder.stdin.close()
        holder.wait()


def test_a_lock_left_by_another_host_is_refused_and_one_left_here_by_a_dead_process_is_taken(tmp_path, capsys):
    recipe = tmp_path / "two.yaml"
    recipe.write_text(TWO)
    run_dir = tmp_path / "run"
    lock = run_dir / ".locks" / "run.lock"
    lock.parent.mkdir(parents=True)
    lock.write_text(json.dumps({"pid": 4242, "host": "elsewhere", "started": "2026-12-01T00:00:00+00:00",
                                "command": "workbench run big.yaml"}))
    assert _run(recipe, "--run-dir", run_dir) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"error: {lock}: held by `workbench run big.yaml` (pid 4242 on elsewhere, since "
                   f"2026-12-01T00:00:00+00:00) on another host, which this one cannot check; if that run has "
                   f"ended, delete {lock} and run again"]
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    lock.write_text(json.dumps({"pid": dead.pid, "host": socket.gethostname(), "command": "workbench run x"}))
    assert _run(recipe, "--run-dir", run_dir) == 0


# --- workbench status ------------------------------------------------------------------------------------------


@pytest.mark.slow  # trains a model
def test_status_reads_states_from_the_run_directory(run_copy, capsys):
    _, run_dir = run_copy
    assert cli.main(["status", str(run_dir)]) == 0
    rows = capsys.readouterr().out.splitlines()
    assert rows[0].split() == ["stage", "state", "wall", "time", "key", "metric"]
    assert [r.split()[:2] for r in rows[1:]] == [["world", "done"], ["tok", "done"], ["pt", "done"]]
    assert "val ppl" in rows[3] and "chars/token" in rows[2]

    shutil.rmtree(run_dir / "pt" / "model")
    manifest = _manifest(run_dir)
    manifest["stages"]["world"].update(status="running", pid=os.getpid(), host=socket.gethostname())
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    manifest["stages"]["tok"].update(status="running", pid=dead.pid, host=socket.gethostname())
    (run_dir / "manifest.json").write_text(json.dumps(manifest))
    assert cli.main(["status", str(run_dir)]) == 0
    rows = capsys.readouterr().out.splitlines()
    assert [r.split()[:2] for r in rows[1:]] == [["world", "running"], ["tok", "killed"], ["pt", "stale"]]
    assert "(output model/ is missing)" in rows[3]

    assert cli.main(["status", str(run_dir / "pt")]) == 2
    assert "no manifest.json here" in capsys.readouterr().err


@pytest.mark.slow  # trains a model
def test_rundir_reads_a_run_without_torch(finished):
    _, run_dir = finished
    code = ("import sys; from workbench.rundir import stage_states; "
            f"rows = stage_states({str(run_dir)!r}); assert [r['state'] for r in rows] == ['done'] * 3, rows; "
            "assert 'torch' not in sys.modules and 'workbench.pipeline' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True, env={**os.environ, "PYTHONPATH": str(ROOT)})


# --- the console -------------------------------------------------------------------------------------------------


@pytest.mark.slow  # trains a model
def test_library_chatter_goes_to_the_stage_log_and_minus_v_shows_it(tmp_path, capsys):
    import logging
    import warnings

    from tqdm import tqdm

    from transformers.utils import logging as hf_logging

    # As in a fresh `workbench run` process: transformers' console handler writes to the real stderr (earlier tests
    # in this process may have left it writing to a capture stream of theirs, which no console would redirect).
    hf_logging._reset_library_root_logger()
    hf_logging._configure_library_root_logger()
    recipe = tmp_path / "two.yaml"
    recipe.write_text(TWO)

    def chatty(cfg, ctx):
        print("a library's print")
        warnings.warn("`old_argument` is deprecated", FutureWarning)
        logging.getLogger("transformers.modeling_utils").warning("Loading weights: some note")
        for _ in tqdm(range(3), desc="Writing model shards"):
            pass
        logging.getLogger("workbench").warning("the teacher is not ahead of the student")
        return {"n": 20}

    for verbose in (False, True):
        pipeline = Pipeline(load_recipe(recipe), tmp_path / f"run{verbose}", verbose=verbose)
        pipeline.mods = {**pipeline.mods, "taskworld": SimpleNamespace(run=chatty)}
        capsys.readouterr()
        pipeline.run(only=["a"])
        out, err = capsys.readouterr()
        log = (tmp_path / f"run{verbose}" / "a" / "log.txt").read_text()
        if not verbose:
            assert out.splitlines() == ["[workbench] warning: the teacher is not ahead of the student",
                                        "[workbench] a (taskworld): done in " + out.split("done in ")[1].splitlines()[0]]
            assert err == ""
            for chatter in ("a library's print", "FutureWarning: `old_argument` is deprecated",
                            "Loading weights: some note", "the teacher is not ahead of the student"):
                assert chatter in log
        else:
            assert "[workbench] a (taskworld): running" in out and "a library's print" in out
            assert "Writing model shards" in err  # (warnings: pytest records them itself here)
            assert "the teacher is not ahead of the student" in log


def test_wall_times_read_as_minutes_and_seconds():
    """A stage of 179.7 s reads '3 min 00 s', not '2 min 60 s' (seen in a summary table)."""
    from workbench.rundir import format_seconds

    assert [format_seconds(s) for s in (None, 6.94, 59.7, 60, 179.7, 3725.2)] == [
        "-", "6.9 s", "59.7 s", "1 min 00 s", "3 min 00 s", "62 min 05 s"]
