"""The report over seeds (`workbench report seeds DIR`, workbench/seeds.py) on hand-made evaluation reports: claims
counted per seed, including claims that fail on one seed, mean ± sd of the paired gains; a malformed report is one
line. And the single run's report.md warning when the teacher is not ahead of a student it teaches."""

from __future__ import annotations

import json
from pathlib import Path

from workbench.cli import main
from workbench.report import markdown
from workbench.stages.evaluate import paired_gain

N = 200  # items per model
CHAIN = ["student_sft", "student_distill", "rlhf_a", "rlhf_b", "warp"]
KINDS = {"student_sft": "sft", "student_distill": "distill", "rlhf_a": "rlhf", "rlhf_b": "rlhf", "warp": "merge",
         "teacher_sft": "sft"}


def seed_run(folder: Path, right: dict[str, int], skills: dict[str, float], kl: dict[str, float],
             phrasings: dict[str, dict] | None = None, clusters: int | None = None) -> None:
    """A seed's evaluate/report.json and verdicts.jsonl: model m answers its first right[m] of N items correctly;
    `phrasings` (model -> its report row's shipped-vs-held-out figures) where given; with `clusters`, the verdicts
    record that many clusters of consecutive items (as an evaluation of task-world items does)."""
    verdicts = {m: [i < k for i in range(N)] for m, k in right.items()}
    rows = []
    for i, model in enumerate([*CHAIN, "teacher_sft"]):
        row = {"model": model, "accuracy": right[model] / N, "task_skills_mean": skills[model],
               "kl_to_reference": kl.get(model)}
        if phrasings and model in phrasings:
            row["phrasings"] = phrasings[model]
        if 0 < i < len(CHAIN):
            row["previous"] = CHAIN[i - 1]
            row["gains"] = {"all_items": paired_gain(verdicts[model], verdicts[CHAIN[i - 1]])}
        rows.append(row)
    report = {"recipe": "r", "models": rows, "summary": {},
              "settings": {"models": CHAIN, "teacher": "teacher_sft", "reference": "student_distill"},
              "stages": [{"name": m, "kind": k, "wall_time_s": 1.0} for m, k in KINDS.items()]}
    (folder / "evaluate").mkdir(parents=True)
    (folder / "evaluate" / "report.json").write_text(json.dumps(report))
    (folder / "evaluate" / "verdicts.jsonl").write_text("".join(
        json.dumps({"id": i, "stage": m, "skill": "facts", "correct": c, "refused": False,
                    **({"cluster": f"town-{i * clusters // N}"} if clusters else {})}) + "\n"
        for m, cs in verdicts.items() for i, c in enumerate(cs)))


def test_the_seeds_report_counts_each_claim_over_seeds(tmp_path, capsys):
    kl = {"rlhf_a": 2.0, "rlhf_b": 3.0, "warp": 1.5}
    good = {"student_sft": 100, "student_distill": 120, "rlhf_a": 130, "rlhf_b": 135, "warp": 140, "teacher_sft": 150}
    skills = {"student_sft": 0.50, "student_distill": 0.55, "rlhf_a": 0.58, "rlhf_b": 0.60, "warp": 0.62,
              "teacher_sft": 0.70}
    seed_run(tmp_path / "seed-0", good, skills, kl)
    # seed 1: distillation gains 1 item (not significant); the teacher is 10 points ahead, the final student closes 30 %
    seed_run(tmp_path / "seed-1", {**good, "student_distill": 101}, {**skills, "teacher_sft": 0.60, "warp": 0.53}, kl)
    # seed 2: rlhf_b falls behind the distilled student; the merge spends more KL than the best policy; gap 25 %
    seed_run(tmp_path / "seed-2", {**good, "rlhf_b": 102}, {**skills, "warp": 0.55}, {**kl, "warp": 3.5})
    (tmp_path / "seed-9").mkdir()  # a seed whose run has not reached its evaluation yet

    assert main(["report", "seeds", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    expected = {"distill > SFT": 2, "RLHF > distill": 2, "WARP ≥ best single RLHF policy at ≤ KL": 2,
                "teacher ≥ 8 points ahead of the SFT student": 3,
                "final student closes ≥ 50 % of the SFT→teacher gap": 1}
    for claim, k in expected.items():
        assert f"{claim}: holds on {k} of 3 seeds" in printed
    summary = json.loads((tmp_path / "seeds.json").read_text())
    assert summary["seeds"] == [0, 1, 2] and summary["missing"] == [9]
    claims = {c["key"]: c for c in summary["claims"]}
    assert [claims["distill_over_sft"]["per_seed"][s]["holds"] for s in "012"] == [True, False, True]
    assert [claims["rlhf_over_distill"]["per_seed"][s]["holds"] for s in "012"] == [True, True, False]
    assert [claims["warp_vs_best_rlhf"]["per_seed"][s]["holds"] for s in "012"] == [True, True, False]
    assert [claims["gap_closed"]["per_seed"][s]["holds"] for s in "012"] == [True, False, False]
    gains = summary["models"]["student_distill"]["gain"]
    assert gains["per_seed"] == {"0": 0.1, "1": 0.005, "2": 0.1}
    md = (tmp_path / "seeds.md").read_text()
    assert "| student_distill | student_sft | +10.0 (4.3) | +0.5 (1.0) | +10.0 (4.3) | +6.8 ± 5.5 |" in md
    assert "- **distill > SFT**: holds on 2 of 3 seeds." in md and "no report yet for seeds 9" in md

    (tmp_path / "seed-1" / "evaluate" / "report.json").write_text("[1, 2]")
    assert main(["report", "seeds", str(tmp_path)]) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"error: {tmp_path / 'seed-1' / 'evaluate' / 'report.json'}: not a JSON object, so not an evaluation report "
        "(written by the evaluate stage); rerun that seed's evaluate stage"]


def test_claims_use_the_verdicts_clusters_so_one_towns_questions_count_once(tmp_path, capsys):
    kl = {"rlhf_a": 2.0, "rlhf_b": 3.0, "warp": 1.5}
    right = {"student_sft": 100, "student_distill": 120, "rlhf_a": 130, "rlhf_b": 135, "warp": 140, "teacher_sft": 150}
    skills = {"student_sft": 0.50, "student_distill": 0.55, "rlhf_a": 0.58, "rlhf_b": 0.60, "warp": 0.62,
              "teacher_sft": 0.70}
    # distillation's 20 extra right answers (items 100-119) all fall in one of 10 clusters of 20 items: one town
    # learnt, which with independent items is significant (+10.0 (4.3) in the test above) and by clusters is not
    for s in range(2):
        seed_run(tmp_path / f"seed-{s}", right, skills, kl, clusters=10)
    assert main(["report", "seeds", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    assert "distill > SFT: holds on 0 of 2 seeds" in printed
    summary = json.loads((tmp_path / "seeds.json").read_text())
    assert summary["clustered"] is True
    detail = next(c for c in summary["claims"] if c["key"] == "distill_over_sft")["per_seed"]["0"]["detail"]
    assert detail == "student_distill - student_sft: +0.100 (2 s.e. 0.200)"
    pooled = summary["models"]["student_distill"]["pooled_gain"]
    assert pooled["clusters"] == 10 and pooled["pairs"] == 2 * N  # one world: a town is one cluster across seeds
    assert "cluster-robust" in (tmp_path / "seeds.md").read_text()


def test_report_md_warns_when_the_teacher_is_not_ahead_of_its_students():
    settings = {"prompts": 10, "data": "d", "max_new_tokens": 8, "reward": None, "teacher": "teacher_sft",
                "models": ["student_sft", "student_distill"]}
    summary = {"student_sft": {"task_skills_mean": 0.557}, "student_distill": {"task_skills_mean": 0.626},
               "teacher_sft": {"task_skills_mean": 0.614}}
    report = {"recipe": "r", "settings": settings, "summary": summary, "models": [], "stages": [], "plots": []}
    warnings = [ln for ln in markdown(report).splitlines() if "Warning" in ln]
    assert warnings == ["**Warning: the teacher teacher_sft (task skills 0.614) is not ahead of student_distill "
                        "(0.626): the students it teaches have no gap to close.**"]
    summary["teacher_sft"]["task_skills_mean"] = 0.75
    assert "Warning" not in markdown(report)


def test_a_rubric_chain_over_seeds_pools_each_seeds_prompts_into_one_paired_gain(tmp_path, capsys):
    """An evaluation with a rubric (no task world) has `rubric_accuracy`, `rubric_gains` and `rubric_correct`
    verdicts: the seeds report reads them, judges the teacher's lead on rubric accuracy, and pools the seeds'
    prompts into one paired gain over the previous and over the first model."""
    chain, n = ["sft", "distill"], 30
    for seed, right in ((0, {"sft": 2, "distill": 8, "teacher": 12}), (1, {"sft": 3, "distill": 5, "teacher": 10})):
        verdicts = {m: [i < k for i in range(n)] for m, k in right.items()}
        rows = [{"model": m, "rubric_accuracy": right[m] / n, "kl_to_reference": None} for m in [*chain, "teacher"]]
        rows[1].update(previous="sft", rubric_gains={"all": paired_gain(verdicts["distill"], verdicts["sft"])})
        folder = tmp_path / f"seed-{seed}" / "evaluate"
        folder.mkdir(parents=True)
        (folder / "report.json").write_text(json.dumps({
            "models": rows, "settings": {"models": chain, "teacher": "teacher"},
            "stages": [{"name": "sft", "kind": "sft"}, {"name": "distill", "kind": "distill"},
                       {"name": "teacher", "kind": "sft"}]}))
        (folder / "verdicts.jsonl").write_text("".join(
            json.dumps({"id": f"q{i}", "stage": m, "group": "eval", "rubric_correct": c, "rubric_score": int(c)}) + "\n"
            for m, cs in verdicts.items() for i, c in enumerate(cs)))
    assert main(["report", "seeds", str(tmp_path)]) == 0
    assert "teacher ≥ 8 points ahead of the SFT student: holds on 2 of 2 seeds" in capsys.readouterr().out
    summary = json.loads((tmp_path / "seeds.json").read_text())
    distill = summary["models"]["distill"]
    assert distill["accuracy"]["per_seed"] == {"0": 8 / 30, "1": 5 / 30}
    assert distill["pooled_gain"] == {**paired_gain([i < 8 for i in range(30)] + [i < 5 for i in range(30)],
                                                    [i < 2 for i in range(30)] + [i < 3 for i in range(30)]),
                                      "pairs": 60}
    assert distill["pooled_gain"]["gain"] == 8 / 60
    md = (tmp_path / "seeds.md").read_text()
    assert f"| distill | {100 * 8 / 60:+.1f} ({100 * distill['pooled_gain']['two_se']:.1f}) | 60 |" in md


def test_the_seeds_report_measures_the_final_student_on_held_out_phrasings(tmp_path, capsys):
    """The generalisation claims of issue 23: the final student within 5 points on held-out wordings of the same test
    items, and refusal >= 95 % / false refusal <= 5 % on them, per seed; a mean ± sd table of every model measured."""
    right = {"student_sft": 100, "student_distill": 120, "rlhf_a": 130, "rlhf_b": 135, "warp": 140, "teacher_sft": 150}
    skills = {m: 0.5 for m in right}

    def phrasings(held_out: float, refusal: float, false_refusal: float) -> dict:
        return {"warp": {"n": 100, "accuracy": {"n": 100, "shipped": 0.70, "held_out": held_out,
                                                "gap": round(held_out - 0.70, 6), "two_se": 0.04},
                         "refusal_rate": {"n": 16, "shipped": 1.0, "held_out": refusal, "gap": refusal - 1.0},
                         "false_refusal_rate": {"n": 14, "shipped": 0.0, "held_out": false_refusal,
                                                "gap": false_refusal}}}

    seed_run(tmp_path / "seed-0", right, skills, {}, phrasings(0.66, 1.0, 0.0))  # gap -4 points: holds
    seed_run(tmp_path / "seed-1", right, skills, {}, phrasings(0.64, 0.90, 0.0))  # gap -6, refusal 90 %: both fail
    seed_run(tmp_path / "seed-2", right, skills, {}, phrasings(0.70, 1.0, 0.07))  # false refusal 7 %: fails
    assert main(["report", "seeds", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    assert "final student within 5 points on held-out phrasings: holds on 2 of 3 seeds" in printed
    assert "final student refuses ≥ 95 % and falsely refuses ≤ 5 % on held-out phrasings: holds on 1 of 3" in printed
    md = (tmp_path / "seeds.md").read_text()
    assert "| warp | 66.7 ± 3.1 | -3.3 ± 3.1 | 96.7 ± 5.8 | 2.3 ± 4.0 |" in md
    assert "| student_sft | " not in md.split("## Held-out phrasings")[1].split("##")[0]  # not measured: no row


def test_the_seeds_report_says_what_decided_the_numbers(tmp_path, capsys):
    """Each model stage's `numerics` from the seeds' manifests, grouped: one line where every stage matches, one line
    per setting where a stage was computed otherwise (say, taken from a cache filled on another machine)."""
    good = {"student_sft": 100, "student_distill": 120, "rlhf_a": 130, "rlhf_b": 135, "warp": 140, "teacher_sft": 150}
    skills = dict.fromkeys(good, 0.5)
    amd = {"precision": "fp32", "threads": 2, "torch": "2.13.0+cpu", "transformers": "5.25.0", "trl": "1.16.0",
           "peft": "0.21.2", "device": "cpu", "cpu_vendor": "AuthenticAMD", "cpu_capability": "AVX512",
           "cpu_flags": ["avx2", "avx512_bf16"]}
    for seed in (0, 1):
        seed_run(tmp_path / f"seed-{seed}", good, skills, {})
        stages = {m: {"kind": KINDS[m], "numerics": amd} for m in CHAIN}
        stages["world"] = {"kind": "taskworld"}  # no model, no numerics
        (tmp_path / f"seed-{seed}" / "manifest.json").write_text(json.dumps({"stages": stages}))
    assert main(["report", "seeds", str(tmp_path)]) == 0
    md = (tmp_path / "seeds.md").read_text()
    line = ("- fp32, 2 threads, cpu AuthenticAMD AVX512 (avx2, avx512_bf16), torch 2.13.0+cpu, transformers 5.25.0, "
            "trl 1.16.0, peft 0.21.2: every model stage, seeds 0, 1")
    assert line in md

    # seed 1's teacher-side stage came from a cache an Intel machine with AMX filled
    intel = {**amd, "cpu_vendor": "GenuineIntel", "cpu_flags": ["amx_bf16", "avx2", "avx512_bf16"]}
    manifest = json.loads((tmp_path / "seed-1" / "manifest.json").read_text())
    manifest["stages"]["student_sft"]["numerics"] = intel
    manifest["stages"]["rlhf_a"]["numerics"] = "hostile"  # not an object: left out, not a crash
    (tmp_path / "seed-1" / "manifest.json").write_text(json.dumps(manifest))
    (tmp_path / "seed-0" / "manifest.json").write_text("{not json")  # unreadable: that seed's stages are left out
    assert main(["report", "seeds", str(tmp_path)]) == 0
    md = (tmp_path / "seeds.md").read_text()
    assert ("cpu AuthenticAMD AVX512 (avx2, avx512_bf16), torch 2.13.0+cpu, transformers 5.25.0, trl 1.16.0, "
            "peft 0.21.2: stages student_distill, rlhf_b, warp, seeds 1") in md
    assert "cpu GenuineIntel AVX512 (amx_bf16, avx2, avx512_bf16)" in md and ": stages student_sft, seeds 1" in md
    groups = json.loads((tmp_path / "seeds.json").read_text())["numerics"]
    assert [g["stages"] for g in groups] == [["student_sft"], ["student_distill", "rlhf_b", "warp"]]


def test_report_compare_pairs_a_candidate_with_its_baseline_seed_by_seed_and_pooled(tmp_path, capsys):
    """`workbench report compare BEFORE AFTER`: per model, the gain of AFTER over BEFORE on the same prompts, per seed
    and pooled; claims counted in both; seeds only one run has are left out, and so is a seed asked other prompts."""
    kl = {"rlhf_a": 2.0, "rlhf_b": 3.0, "warp": 1.5}
    right = {"student_sft": 100, "student_distill": 120, "rlhf_a": 130, "rlhf_b": 135, "warp": 140, "teacher_sft": 150}
    skills = {"student_sft": 0.50, "student_distill": 0.55, "rlhf_a": 0.58, "rlhf_b": 0.60, "warp": 0.62,
              "teacher_sft": 0.70}
    before, after = tmp_path / "base", tmp_path / "candidate"
    for s in range(2):
        seed_run(before / f"seed-{s}", right, {**skills, "teacher_sft": 0.55}, kl, clusters=N)  # 5 points ahead
        # the candidate's teacher is 16 points ahead on seed 0 (6 on seed 1); its final student answers 20 more
        seed_run(after / f"seed-{s}", {**right, "warp": 160, "teacher_sft": 170},
                 {**skills, "teacher_sft": 0.66 if s == 0 else 0.56}, kl, clusters=N)
    seed_run(after / "seed-7", right, skills, kl)  # a seed the baseline lacks

    assert main(["report", "compare", str(before), str(after)]) == 0
    md = capsys.readouterr().out
    assert md.startswith(f"# {after} against {before}\n") and "Seeds 0, 1 in both" in md
    # 20 of 200 items more on each seed, each item its own cluster: +10.0 points, 2 s.e. from the paired differences
    two_se = 100 * paired_gain([i < 160 for i in range(N)] * 2, [i < 140 for i in range(N)] * 2,
                               [f"town-{i}" for i in range(N)] * 2)["two_se"]
    warp = next(line for line in md.splitlines() if line.startswith("| warp |"))
    assert warp == (f"| warp | 62.0 ± 0.0 | 62.0 ± 0.0 | 70.0 ± 0.0 | 80.0 ± 0.0 | 0: +10.0 (4.3), 1: +10.0 (4.3) | "
                    f"+10.0 ({two_se:.1f}) | +10.0 ({two_se:.1f}) |")
    assert "| student_sft | 50.0 ± 0.0 | 50.0 ± 0.0 | 50.0 ± 0.0 | 50.0 ± 0.0 | 0: +0.0 (0.0), 1: +0.0 (0.0) |" in md
    assert "| teacher ≥ 8 points ahead of the SFT student | 0 | 1 |" in md
    assert "| distill > SFT | 2 | 2 |" in md

    # seed 1 of the candidate asked other prompts: its pairs are left out, and said so
    verdicts = after / "seed-1" / "evaluate" / "verdicts.jsonl"
    verdicts.write_text(verdicts.read_text().replace('"id": 0,', '"id": "other",'))
    assert main(["report", "compare", str(before), str(after)]) == 0
    md = capsys.readouterr().out
    assert "- left out of the pairing: seed 1, warp: the two evaluations asked other prompts" in md
    assert next(line for line in md.splitlines() if line.startswith("| warp |")).endswith(
        "| 0: +10.0 (4.3), 1: - | +10.0 (4.3) | +10.0 (4.3) |")

    assert main(["report", "compare", str(before), str(after / "seed-7")]) == 2
    assert capsys.readouterr().err.startswith(f"error: {after / 'seed-7'}: no seed-N/evaluate/report.json here")
    assert main(["report", "compare", str(before), str(after), "--stage", "../seed-0"]) == 2  # a path, not a stage
    assert capsys.readouterr().err.startswith("error: --stage '../seed-0': not a plain name")
    lone = tmp_path / "lone"
    seed_run(lone / "seed-7", right, skills, kl)
    assert main(["report", "compare", str(before), str(lone)]) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"error: {lone} (seeds 7) and {before} (seeds 0, 1) have no evaluated seed in common; run the candidate with "
        "the baseline's --seeds"]
