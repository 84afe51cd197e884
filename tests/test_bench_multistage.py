"""Multi-stage distillation: the recipe checks and keeps its arms at equal student compute; bench.multistage reads a
hand-made evaluation and decides each comparison by its rule. Trains nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.multistage import main
from workbench.cli import main as cli_main
from workbench.recipe import load_recipe

ROOT = Path(__file__).resolve().parents[1]
RECIPE = ROOT / "recipes" / "multistage-distillation.yaml"


def test_recipe_checks_and_its_arms_differ_only_in_the_teacher(capsys):
    assert cli_main(["recipe", "check", str(RECIPE)]) in (0, None)
    assert ": ok (" in capsys.readouterr().out
    recipe = load_recipe(RECIPE)
    arms = {name: recipe.stage(name).model_dump() for name in
            ("student_direct", "student_via_mid", "student_direct_2", "student_via_mid_2")}
    for arm in arms.values():
        assert arm["model"] == "student_sft"  # the same start
    for name, arm in arms.items():  # same steps, batch, tokens, sampling: only name, teacher and seed differ
        same = {k: v for k, v in arm.items() if k not in ("name", "teacher", "seed")}
        assert same == {k: v for k, v in arms["student_direct"].items() if k not in ("name", "teacher", "seed")}, name
    assert {a["teacher"] for a in arms.values()} == {"teacher_sft", "mid_distill"}
    assert recipe.stage("mid_distill").teacher == "teacher_sft" and recipe.models["mid"].preset == "gemma2-tiny-mid"
    assert set(arms) <= set(recipe.stage("evaluate_multistage").models)


def _evaluation(run: Path, correct: dict[str, int], n: int = 400, kl: float | None = 0.5) -> Path:
    """An evaluate_multistage stage: for each model, prompts 0..correct-1 right; half the prompts a task skill."""
    stage = run / "evaluate_multistage"
    stage.mkdir(parents=True)
    rows = [{"model": m, "accuracy": c / n, **({"kl_to_teacher": kl} if kl is not None else {})}
            for m, c in correct.items()]
    (stage / "report.json").write_text(json.dumps({"models": rows}))
    verdicts = [{"id": f"p{i}", "stage": m, "skill": "units" if i % 2 else "unsafe", "correct": i < c,
                 "refused": False} for m, c in correct.items() for i in range(n)]
    (stage / "verdicts.jsonl").write_text("".join(json.dumps(v) + "\n" for v in verdicts))
    return run


def _answers(run: Path, tmp_path: Path, capsys) -> dict[tuple[str, str], str]:
    main([str(run), "--json", str(tmp_path / "out.json")])
    assert "| seed | measure |" in capsys.readouterr().out
    out = json.loads((tmp_path / "out.json").read_text())
    return {(r["seed"], r["measure"]): r["answer"] for r in out["comparison"]}


def test_a_clear_gain_holds_and_a_clear_loss_does_not(tmp_path, capsys):
    # via_mid right on 20 more prompts than direct (all its wins, no losses): paired 2 s.e. ~0.02 over 400 prompts
    run = _evaluation(tmp_path / "a", {"student_direct": 200, "student_via_mid": 220, "student_sft": 150})
    assert _answers(run, tmp_path, capsys) == {("(first)", "task items"): "holds", ("(first)", "all items"): "holds"}
    run = _evaluation(tmp_path / "b", {"student_direct": 220, "student_via_mid": 200})
    assert set(_answers(run, tmp_path, capsys).values()) == {"does not hold"}


def test_seeds_that_disagree_pool_to_no_significant_difference(tmp_path, capsys):
    # seed 1: via_mid +5 points; seed 2: -5 points; per prompt they cancel
    run = _evaluation(tmp_path / "r", {"student_direct": 200, "student_via_mid": 220,
                                       "student_direct_2": 220, "student_via_mid_2": 200}, kl=None)
    answers = _answers(run, tmp_path, capsys)
    assert answers[("(first)", "all items")] == "holds" and answers[("_2", "all items")] == "does not hold"
    assert answers[("pooled", "all items")] == answers[("pooled", "task items")] == "no significant difference"


def test_a_run_without_the_evaluation_or_an_arm_is_refused(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([str(tmp_path)])
    assert exit_info.value.code == 2 and "not a finished recipes/multistage-distillation.yaml run" in capsys.readouterr().err
    _evaluation(tmp_path, {"student_direct": 200, "student_sft": 100})
    with pytest.raises(SystemExit) as exit_info:
        main([str(tmp_path)])
    assert exit_info.value.code == 2 and "but not student_via_mid" in capsys.readouterr().err
