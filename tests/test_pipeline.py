"""The pipeline: lineage in manifest.json, skipping finished stages, resuming a killed one, rerunning changed ones.
(Output verification, locks, numerics and the console: tests/test_rundir.py.)"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from helpers import tiny_pretrain_recipe
from workbench.atomic import sha256_path
from workbench.pipeline import run_recipe
from workbench.recipe import load_recipe


def recipe_file(tmp_path: Path, steps: int = 12) -> Path:
    p = tmp_path / "tiny.yaml"
    p.write_text(tiny_pretrain_recipe(steps, logging_steps=5))
    return p


def manifest(run_dir: Path) -> dict:
    return json.loads((run_dir / "manifest.json").read_text())


@pytest.mark.slow  # trains a model
def test_run_records_lineage_and_skips_finished_stages(tmp_path, capsys):
    run_dir = tmp_path / "run"
    recipe = load_recipe(recipe_file(tmp_path))
    m = run_recipe(recipe, run_dir)
    assert [m["stages"][n]["status"] for n in ("world", "tok", "pt")] == ["done"] * 3
    pt = m["stages"]["pt"]
    assert pt["inputs"].keys() == {"student", "world", "tok"}
    assert pt["outputs"]["model"] == sha256_path(run_dir / "pt" / "model")
    assert pt["metrics"]["val_perplexity"] > 1 and pt["wall_time_s"] > 0
    assert m["recipe_hash"] and m["recipe"]["name"] == "tiny"
    assert (run_dir / "pt" / "history.json").exists() and list((run_dir / "pt" / "runs").rglob("events.out.tfevents*"))

    capsys.readouterr()
    run_recipe(load_recipe(recipe_file(tmp_path)), run_dir)
    out = capsys.readouterr().out
    assert out.count("up to date, skipped") == 3

    # Changing the tokenizer reruns it and everything after it, but not the task world.
    run_recipe(load_recipe(recipe_file(tmp_path), ["stages.tok.vocab_size=520"]), run_dir)
    out = capsys.readouterr().out
    assert "world: up to date, skipped" in out and "tok: its config changed; rerunning" in out
    assert "pt: its input student, tok changed; rerunning" in out and "pt (pretrain): done in" in out


def test_two_runs_sharing_a_run_directory_keep_each_others_stages(tmp_path, capsys):
    """Two `workbench run`s in one run directory (e.g. one `--only` stage each, started together): neither loses
    the other's manifest entries, and a stage the other one finished is skipped, not rerun."""
    from workbench.pipeline import Pipeline

    text = ("name: two\nseed: 0\nstages:\n  - {kind: taskworld, name: a, n: 20, corpus_docs: 50}\n"
            "  - {kind: taskworld, name: b, n: 20, corpus_docs: 50, seed: 1}\n")
    (tmp_path / "two.yaml").write_text(text)
    run_dir = tmp_path / "run"
    first, second = (Pipeline(load_recipe(tmp_path / "two.yaml"), run_dir) for _ in range(2))  # both read it empty
    first.run(only=["a"])
    second.run(only=["b"])
    m = manifest(run_dir)
    assert {n: e["status"] for n, e in m["stages"].items()} == {"a": "done", "b": "done"}
    assert m["stages"]["a"]["recipe"] == {"name": "two", "hash": m["recipe_hash"]}
    capsys.readouterr()
    second.run()  # `a` was finished by the other process: skipped
    assert capsys.readouterr().out.count("up to date, skipped") == 2


@pytest.mark.slow  # trains a model
def test_same_seed_same_model(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    for d in (a, b):
        run_recipe(load_recipe(recipe_file(tmp_path, steps=4)), d)
    assert sha256_path(a / "pt" / "model") == sha256_path(b / "pt" / "model")


@pytest.mark.slow
def test_sigkill_mid_stage_then_resume(tmp_path):
    run_dir = tmp_path / "run"
    recipe = recipe_file(tmp_path, steps=400)
    cmd = [sys.executable, "-m", "workbench.cli", "run", str(recipe), "--run-dir", str(run_dir)]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    ckpt = run_dir / "pt" / "checkpoints" / "checkpoint-10" / "trainer_state.json"
    deadline = time.time() + 300
    while not ckpt.exists():
        assert proc.poll() is None, "run ended before it could be killed"
        assert time.time() < deadline, "no checkpoint appeared"
        time.sleep(0.2)
    # A second `workbench run` on the directory while the first is training: refused at once, naming the holder.
    second = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert second.returncode == 2 and len(second.stderr.splitlines()) == 1, second.stderr[-2000:]
    assert second.stderr.startswith(f"error: {run_dir} is in use by `workbench run {recipe} --run-dir {run_dir}` "
                                    f"(pid {proc.pid} on ")
    os.killpg(proc.pid, signal.SIGKILL)  # the OS drops its lock with it
    proc.wait()

    m = manifest(run_dir)
    assert m["stages"]["world"]["status"] == "done" and m["stages"]["tok"]["status"] == "done"
    assert m["stages"]["pt"]["status"] == "running"  # killed: not mistaken for finished
    assert not (run_dir / "pt" / "model").exists()
    finished_before = {n: m["stages"][n]["finished_at"] for n in ("world", "tok")}

    out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "world: up to date, skipped" in out.stdout and "tok: up to date, skipped" in out.stdout
    assert "pt (pretrain): resumed, done in" in out.stdout
    m = manifest(run_dir)
    assert {n: m["stages"][n]["finished_at"] for n in ("world", "tok")} == finished_before
    assert m["stages"]["pt"]["status"] == "done" and m["stages"]["pt"]["attempts"] == 2
    history = json.loads((run_dir / "pt" / "history.json").read_text())
    assert history[0]["step"] < 10 < history[-1]["step"] == 400  # one curve across the kill
    assert not (run_dir / "pt" / "checkpoints").exists()  # removed once the stage is done
    assert (run_dir / "pt" / "model" / "model.safetensors").exists()
