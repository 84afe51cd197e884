"""`python -m bench`: one entry point, one table."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


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
