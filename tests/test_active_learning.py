"""bench.active_learning: the active-vs-random measurement runs end to end on a small pool and writes its table,
JSON and PNG; bad arguments are a usage error."""

from __future__ import annotations

import json

import pytest

from bench import active_learning


@pytest.mark.slow
def test_active_learning_bench_writes_table_json_and_png(tmp_path, capsys):
    out = tmp_path / "al"
    assert active_learning.main(["--seeds", "1", "--budgets", "25,50", "--ensemble", "2", "--n", "200",
                                 "--out", str(out)]) == 0
    result = json.loads((out / "active_learning.json").read_text())
    assert set(result["table"]) == {"random", "active", "diverse"} and set(result["table"]["active"]) == {"25", "50"}
    assert result["curves"]["random"][0]["25"] == result["curves"]["active"][0]["25"] \
        == result["curves"]["diverse"][0]["25"]  # the same cold start
    assert all(0 <= c["50"] <= 1 for runs in result["curves"].values() for c in runs)
    assert (out / "active_learning.png").stat().st_size > 1000
    assert "| 50 |" in capsys.readouterr().out


def test_budgets_must_be_multiples_of_the_batch_and_strategies_known():
    with pytest.raises(SystemExit) as e:
        active_learning.main(["--budgets", "30,60"])
    assert e.value.code == 2
    with pytest.raises(SystemExit) as e:
        active_learning.main(["--strategies", "active,clever"])
    assert e.value.code == 2


def test_diverse_batches_skip_near_copies_of_a_picked_pair():
    import torch

    sims = torch.tensor([[1.0, 0.99, 0.0], [0.99, 1.0, 0.0], [0.0, 0.0, 1.0]])  # pairs 0 and 1 near copies
    assert active_learning.diverse([0.9, 0.8, 0.5], [0, 1, 2], sims, 2) == [0, 2]  # not 0 and 1, the top two
