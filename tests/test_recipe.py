"""Recipe schema: valid recipes load, every kind of mistake is one clean line naming its YAML path, exit 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from workbench.cli import main
from workbench.errors import WorkbenchError
from workbench.recipe import apply_override, load_recipe, parse_recipe

ROOT = Path(__file__).resolve().parents[1]

GOOD = """
name: t
seed: 1
models:
  student: {preset: gemma2-tiny-student, tokenizer: tok}
stages:
  - {kind: taskworld, name: world, n: 50}
  - {kind: tokenizer, name: tok, corpus: world, vocab_size: 512}
  - {kind: pretrain, name: pt, model: student, data: world, train: {max_steps: 5, lr: 0.001}}
"""

BROKEN = {
    "unknown key": (GOOD.replace("seed: 1", "seed: 1\nsede: 2"), "sede: unknown key"),
    "wrong type": (GOOD.replace("lr: 0.001", "lr: high"), 'stages[2].train.lr: input should be a valid number, unable to parse string as a number, got "high"'),
    "missing field": (GOOD.replace("model: student, ", ""), "stages[2].model: field required"),
    "unknown stage kind": (GOOD.replace("kind: pretrain", "kind: pretrian"), "stages[2].kind: unknown stage kind 'pretrian'"),
    "undefined model": (GOOD.replace("model: student", "model: studnet"), "stages[2].model: undefined model 'studnet' (define it under"),
    "later stage": (GOOD.replace("corpus: world", "corpus: pt"), "stages[1].corpus: uses the output of stage 'pt' (stages[2]), which does not run before this one"),
    "yaml syntax": (GOOD.replace("n: 50}", "n: 50"), "YAML syntax error"),
    "stage name escapes": (GOOD.replace("name: pt", "name: ../pt"), 'stages[2].name: not a plain name'),
    "recipe name escapes": (GOOD.replace("\nname: t\n", "\nname: ../../t\n"), 'name: not a plain name'),
    "negative seed": (GOOD.replace("seed: 1", "seed: -5"), "seed: input should be greater than or equal to 0"),
    "infinite lr": (GOOD.replace("lr: 0.001", "lr: .inf"), "stages[2].train.lr: input should be a finite number"),
    "absurd max_steps": (GOOD.replace("max_steps: 5", "max_steps: 1.0e+30"), "stages[2].train.max_steps: unable to parse"),
    "duplicate key": (GOOD.replace("seed: 1", "seed: 1\nseed: 2"), 'key "seed" is given twice (first on line 3)'),
    "tokenizer from a data stage": (GOOD.replace("tokenizer: tok}", "tokenizer: world}"),
                                    "models.student.tokenizer: stage 'world' (taskworld) produces no tokenizer"),
    "missing local model": (GOOD.replace("{preset: gemma2-tiny-student, tokenizer: tok}", "{path: no/such/model}"),
                            "models.student.path: 'no/such/model' not found"),
}


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "r.yaml"
    p.write_text(text)
    return p


def test_good_recipe_loads(tmp_path):
    r = load_recipe(write(tmp_path, GOOD))
    assert [s.stage_name for s in r.stages] == ["world", "tok", "pt"]
    assert r.stage("pt").train.max_steps == 5
    assert r.models["student"].preset == "gemma2-tiny-student"


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_recipe_is_one_clean_line(tmp_path, capsys, case):
    text, expected = BROKEN[case]
    code = main(["recipe", "check", str(write(tmp_path, text))])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1, err
    assert expected in err
    assert "Traceback" not in err


def test_several_problems_are_all_reported(tmp_path):
    text = GOOD.replace("lr: 0.001", "lr: high").replace("n: 50", "n: many").replace("seed: 1", "seed: x")
    with pytest.raises(WorkbenchError) as e:
        load_recipe(write(tmp_path, text))
    assert len(e.value.lines) == 3, e.value.lines


def test_overrides(tmp_path):
    r = load_recipe(write(tmp_path, GOOD), ["seed=7", "stages.pt.train.max_steps=9", "stages[0].n=60"])
    assert (r.seed, r.stage("pt").train.max_steps, r.stage("world").n) == (7, 9, 60)
    with pytest.raises(WorkbenchError, match="no stage named"):
        apply_override({"stages": []}, "stages.nope.x=1")
    with pytest.raises(WorkbenchError, match="seed: input should be a valid integer"):
        load_recipe(write(tmp_path, GOOD), ["seed=abc"])


def test_shipped_recipes_check():
    for recipe in sorted((ROOT / "recipes").glob("*.yaml")):
        load_recipe(recipe)


def test_cli_exit_code_in_a_real_process(tmp_path):
    p = write(tmp_path, BROKEN["wrong type"][0])
    out = subprocess.run([sys.executable, "-m", "workbench.cli", "recipe", "check", str(p)], capture_output=True, text=True)
    assert out.returncode == 2 and out.stderr.count("\n") == 1 and "Traceback" not in out.stderr


def test_extends_appends_and_replaces_stages(tmp_path):
    base = tmp_path / "base.yaml"
    base.write_text("name: base\nseed: 3\nmodels:\n  s: {preset: gemma2-tiny-student, tokenizer: tok}\n"
                    "stages:\n  - {kind: taskworld, name: world, n: 40}\n"
                    "  - {kind: tokenizer, name: tok, corpus: world, vocab_size: 512}\n")
    child = tmp_path / "child.yaml"
    child.write_text("extends: base.yaml\nname: child\nstages:\n  - {kind: taskworld, name: world, n: 80}\n"
                     "  - {kind: pretrain, name: p, model: s, data: world}\n")
    recipe = load_recipe(child)
    assert (recipe.name, recipe.seed) == ("child", 3)
    assert [s.stage_name for s in recipe.stages] == ["world", "tok", "p"]
    assert recipe.stages[0].n == 80 and "s" in recipe.models
    (tmp_path / "loop.yaml").write_text("extends: loop.yaml\nname: x\nstages: []\n")
    with pytest.raises(WorkbenchError, match="extends itself"):
        load_recipe(tmp_path / "loop.yaml")
    (tmp_path / "missing.yaml").write_text("extends: nowhere.yaml\nname: x\nstages: []\n")
    with pytest.raises(WorkbenchError, match="extends: nowhere.yaml not found"):
        load_recipe(tmp_path / "missing.yaml")


def test_a_dumped_recipe_keeps_every_stage_setting(tmp_path):
    """The manifest records `recipe.model_dump()`, and the accelerate launcher rebuilds the recipe from it."""
    r = load_recipe(write(tmp_path, GOOD))
    dumped = r.model_dump(mode="json")
    assert dumped["stages"][2]["train"]["max_steps"] == 5 and dumped["stages"][1]["vocab_size"] == 512
    assert parse_recipe(dumped, r.path) == r


def test_a_missing_recipe_or_a_folder_is_one_clean_line(tmp_path, capsys):
    (tmp_path / "a.yaml").write_text("name: a\nstages: []\n")
    assert main(["recipe", "check", str(tmp_path / "nope.yaml")]) == 2
    assert main(["recipe", "check", str(tmp_path)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0].endswith("nope.yaml: recipe file not found")
    assert err[1].endswith("is a folder; give one recipe file in it, e.g. a.yaml") and len(err) == 2


def test_quickstart_runs_the_whole_chain():
    """`make quickstart` is a newcomer's first run: every stage kind of the chain (DPO is an alternative to RLHF, not
    a link of it), every student policy evaluated against the teacher on the whole test split, and the raters' queue
    last, in the store `workbench ui` opens."""
    from workbench.stages import stage_modules
    from workbench.taskworld.generate import MIN_N

    recipe = load_recipe(ROOT / "recipes" / "quickstart.yaml")
    kinds = [s.kind for s in recipe.stages]
    assert set(kinds) == set(stage_modules()) - {"dpo"}
    policies = [s.stage_name for s in recipe.stages if s.kind in ("distill_pretrain", "sft", "distill", "rlhf", "merge")]
    evaluate = recipe.stage("evaluate")
    assert set(evaluate.models) | {evaluate.teacher} == set(policies)
    world = recipe.stage("world")
    assert evaluate.limit is None or evaluate.limit >= max(MIN_N, world.n // 4)
    assert kinds[-1] == "pairs" and recipe.stages[-1].store == "../runs/workbench.db"
