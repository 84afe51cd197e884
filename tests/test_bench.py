"""`python -m bench`: one entry point, one table."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow  # the mfu bench trains (in a subprocess): ~25 s
def test_quick_bench_prints_its_table(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "manifest.json").write_text(json.dumps({"stages": {
        "world": {"kind": "taskworld", "status": "done", "wall_time_s": 1.5},
        "pt": {"kind": "pretrain", "status": "done", "wall_time_s": 4.5},
        "sft": {"kind": "sft", "status": "failed", "wall_time_s": 2.0}}}))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1", "WORKBENCH_CACHE": str(tmp_path / "cache")}
    out = subprocess.run([sys.executable, "-m", "bench", "--quick", "--only", "mfu,quickstart", "--run-dir", str(run)],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    table = out.stdout[out.stdout.index("| bench |"):].splitlines()
    assert table[1] == "|---|---|---|---|---|"
    mfu = [line for line in table if line.startswith("| mfu |")]
    assert mfu and all("tok/s" in line and "MFU" in line for line in mfu)
    assert "| quickstart | stage pt (pretrain) | 4.5 s |" in out.stdout and "75% of the run" in out.stdout
    assert "| quickstart | all 2 finished stages | 6.0 s |" in out.stdout


def test_unknown_bench_name_is_a_usage_error():
    out = subprocess.run([sys.executable, "-m", "bench", "--only", "nope"], cwd=ROOT, capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert out.returncode == 2 and "--only nope: unknown" in out.stderr


def test_distill_bench_refuses_zero_rounds():
    out = subprocess.run([sys.executable, "-m", "bench.distill_vs_trl", "--rounds", "0"], cwd=ROOT,
                         capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert out.returncode == 2 and "--rounds must be at least 1" in out.stderr and "Traceback" not in out.stderr


def test_pretrain_distill_table_reads_suffixed_students_and_their_seeds(tmp_path):
    """`--suffix _600` reads student_<variant>_600[_sN] as the table's students; seeds give mean ± sd and per-seed
    gaps to dense; an unfinished student is refused in one line."""
    sys.path.insert(0, str(ROOT))
    from bench.pretrain_distill import main

    def student(ppl, mode=None, seconds=10.0):
        m = {"val_perplexity": ppl, "ood_val_perplexity": 100.0, "tokens": 600 * 8 * 128}
        if mode == "dense":
            m.update(teacher_val_perplexity=7.0, dense_targets_would_need_bytes=64 * 2**20)
        if mode == "sparse":
            m.update(mode="sparse", top_k=32, teacher_target_bytes=2**20, teacher_mass_covered=0.8,
                     teacher_targets_seconds=5.0)
        return {"status": "done", "wall_time_s": seconds, "metrics": m}

    stages = {"teacher_pretrain": {"status": "done", "wall_time_s": 100.0,
                                   "metrics": {"parameters": 12e6, "tokens": 4e5}},
              "student_scratch": student(20.0), "student_dense": student(15.0, "dense"),  # the 200-step ones: ignored
              "student_scratch_600": student(10.0), "student_dense_600": student(8.0, "dense"),
              "student_sampled_600": student(8.08, "sparse"),
              "student_dense_600_s1": student(8.2, "dense"), "student_scratch_600_s1": student(10.4),
              "student_sampled_600_s1": student(8.2, "sparse")}
    (tmp_path / "manifest.json").write_text(json.dumps({"stages": stages}))
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        main([str(tmp_path), "--suffix", "_600"])
    text = out.getvalue()
    assert "| from scratch | 0.61 M | 10.000 | +0.0% |" in text and "| dense distillation | 0.61 M | 8.000 | -20.0% |" in text
    assert "k draws with replacement (unbiased): perplexity +1.00% vs dense; target storage 64x less" in text
    assert "over 2 seeds" in text and "8.14 ± 0.08, -20.2% vs scratch, +0.5% vs dense on the mean (per seed +1.0%, +0.0%)" in text

    stages["student_dense_600"]["status"] = "running"
    (tmp_path / "manifest.json").write_text(json.dumps({"stages": stages}))
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        try:
            main([str(tmp_path), "--suffix", "_600"])
        except SystemExit as e:
            assert e.code == 2
    assert err.getvalue() == f"error: stage student_dense_600 has not finished in {tmp_path}; run its recipe into that directory first\n"


def test_best_precision_at_a_recall_floor_picks_the_highest_qualifying_threshold():
    """bench.filters' oracle operating point: of the thresholds keeping recall >= the floor, the most precise."""
    from bench.filters import _best_precision

    scores = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4]
    positive = [True, False, True, True, False, True]
    assert _best_precision(scores, positive, 0.75) == (0.6, 0.75, 0.75)  # 3 of 4 positives among the top 4
    assert _best_precision(scores, positive, 1.0) == (0.4, 4 / 6, 1.0)


def test_heads_are_chosen_on_missed_unsafe_rows_plus_flagged_safe_rows():
    """bench.filters' error count, the figure the shipped head is chosen on (docs/safety.md)."""
    from bench.filters import _errors

    flagged = [True, False, False, True, True]
    unsafe = [True, True, False, False, True]
    assert _errors(flagged, unsafe) == "1 + 1 = 2"
    assert _errors([False] * 3, [True] * 3) == "3 + 0 = 3"


def test_rl_headroom_counts_only_wrong_greedy_answers_that_a_sample_gets_right(tmp_path):
    """Room is greedy wrong and one of the k samples right; a right greedy answer is pass@k but never room. A run
    folder without the model is refused in one line, exit 2."""
    sys.path.insert(0, str(ROOT))
    from bench.rl_headroom import main, tally

    def item(skill, answer):
        return {"meta": {"skill": skill, "check": "number", "answer": answer}}

    rows = [item("units", 60), item("units", 120), item("units", 7), item("facts", 3)]
    greedy = ["60", "100", "8", "3"]
    sampled = ["1", "60",  "120", "5",  "9", "6",  "3", "4"]  # two samples per row
    table = tally(rows, greedy, sampled, samples=2)
    assert table["units"] == {"n": 3, "greedy": 1 / 3, "pass_at_k": 2 / 3, "room": 1 / 3, "room_items": 1}
    assert table["all"]["room_items"] == 1 and table["all"]["pass_at_k"] == 3 / 4
    assert table["facts"]["room"] == 0.0

    out = subprocess.run([sys.executable, "-m", "bench.rl_headroom", "--run-dir", str(tmp_path)], cwd=ROOT,
                         capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert out.returncode == 2 and "not found" in out.stderr and "Traceback" not in out.stderr


def test_rl_headroom_refuses_bad_arguments_and_rows_in_one_line(tmp_path):
    """A count that is not positive, and a prompt file that is not task-world prompts, are refused with exit 2, one
    line, no traceback, before any model is loaded."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}

    def run(*args):
        return subprocess.run([sys.executable, "-m", "bench.rl_headroom", "--run-dir", str(tmp_path), *args], cwd=ROOT,
                              capture_output=True, text=True, env=env)

    out = run("--samples", "0")
    assert out.returncode == 2 and "--samples" in out.stderr and "Traceback" not in out.stderr
    (tmp_path / "student_distill" / "model").mkdir(parents=True)
    prompts = tmp_path / "world" / "data" / "prompts"
    prompts.mkdir(parents=True)
    (prompts / "test.jsonl").write_text('{"prompt": [], "meta": {"skill": "units", "check": "number"}}\n[1, 2]\n')
    out = run()
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert out.stderr.strip().splitlines() == [f"bench.rl_headroom: {prompts / 'test.jsonl'}:2: not a task-world "
                                               "prompt row (prompt, meta.skill, meta.check); give --run-dir a "
                                               "task-world run's seed folder"]
