"""bench.ablations: the claims table read from a run directory (synthetic manifest and reports)."""

from __future__ import annotations

import json

import pytest

from bench.ablations import claims, table


def _write(run, scratch_ppl, sft_more_acc, warp):
    stages = {"student_pretrain": {"metrics": {"val_perplexity": 10.0}},
              "student_scratch": {"metrics": {"val_perplexity": scratch_ppl}}}
    (run / "manifest.json").write_text(json.dumps({"stages": stages}))
    chain = [{"model": "student_distill", "accuracy": 0.5, "taskworld": {"n": 400}},
             {"model": "rlhf_a", "reward_mean": 1.0, "kl_to_reference": 2.0},
             {"model": "rlhf_b", "reward_mean": 1.5, "kl_to_reference": 3.0},
             {"model": "warp", **warp}]
    for stage, rows in (("evaluate", chain), ("evaluate_ablations", [{"model": "student_sft_more",
                                                                       "accuracy": sft_more_acc}])):
        (run / stage).mkdir()
        (run / stage / "report.json").write_text(json.dumps({"models": rows}))


def test_each_claim_is_decided_by_its_rule(tmp_path):
    _write(tmp_path, scratch_ppl=12.0, sft_more_acc=0.3, warp={"reward_mean": 1.6, "kl_to_reference": 2.5})
    assert [c["holds"] for c in claims(tmp_path)] == [True, True, True]
    assert table(claims(tmp_path)).count("| yes |") == 3


def test_a_difference_within_noise_or_a_larger_kl_is_a_no(tmp_path):
    # 0.5 vs 0.47 over 400 prompts is within two standard errors (about 0.07); warp's KL exceeds rlhf_b's.
    _write(tmp_path, scratch_ppl=9.0, sft_more_acc=0.47, warp={"reward_mean": 1.6, "kl_to_reference": 3.5})
    assert [c["holds"] for c in claims(tmp_path)] == [False, False, False]


def test_verdicts_give_the_paired_standard_error(tmp_path):
    # 0.5 vs 0.47 again, but the two models disagree on only 12 of 400 prompts (all in distill's favour): the paired
    # standard error is small, and the same difference holds.
    _write(tmp_path, scratch_ppl=9.0, sft_more_acc=0.47, warp={"reward_mean": 1.6, "kl_to_reference": 3.5})
    for stage, model, correct in (("evaluate", "student_distill", 200), ("evaluate_ablations", "student_sft_more", 188)):
        rows = [{"id": i, "stage": model, "skill": "units", "correct": i < correct, "refused": False}
                for i in range(400)]
        (tmp_path / stage / "verdicts.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    claim = claims(tmp_path)[1]
    assert claim["holds"] and "paired 2 s.e. 0.017" in claim["baseline"]


def test_a_run_without_the_ablation_stages_is_refused(tmp_path, capsys):
    (tmp_path / "manifest.json").write_text(json.dumps({"stages": {}}))
    with pytest.raises(SystemExit) as exit_info:
        claims(tmp_path)
    assert exit_info.value.code == 2 and "not a finished recipes/ablations.yaml run" in capsys.readouterr().err
