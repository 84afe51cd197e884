"""docs/recipes.md is the current rendering of the recipe schema, and `workbench recipe schema` prints a JSON schema
that accepts every shipped recipe and rejects what `workbench recipe check` rejects (an unknown key, an unknown
stage kind, a wrong type)."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import jsonschema
import yaml

from workbench.cli import main
from workbench.recipe_docs import REGENERATE, recipe_reference

ROOT = Path(__file__).resolve().parents[1]


def test_docs_recipes_md_is_current():
    current = (ROOT / "docs" / "recipes.md").read_text(encoding="utf-8")
    assert current == recipe_reference(), f"docs/recipes.md is stale: regenerate it with `{REGENERATE}`"


def test_recipe_schema_accepts_shipped_recipes_and_rejects_mistakes(capsys):
    assert main(["recipe", "schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    validator = jsonschema.Draft202012Validator(schema)
    recipes = sorted((ROOT / "recipes").glob("*.yaml"))
    assert len(recipes) >= 5
    for path in recipes:
        errors = [f"{list(e.path)}: {e.message[:200]}" for e in validator.iter_errors(yaml.safe_load(path.read_text()))]
        assert not errors, f"{path.name}: {errors}"

    quickstart = yaml.safe_load((ROOT / "recipes" / "quickstart.yaml").read_text())
    pretrain = next(i for i, s in enumerate(quickstart["stages"]) if s["kind"] == "pretrain")
    for mistake in (lambda r: r["stages"][pretrain]["train"].update(lrr=1e-3),     # unknown key in a nested block
                    lambda r: r["stages"][pretrain].update(kind="pretrian"),       # unknown stage kind
                    lambda r: r["stages"][pretrain]["train"].update(lr="high"),    # wrong type
                    lambda r: r.pop("stages")):                                    # no stages, no extends
        bad = copy.deepcopy(quickstart)
        mistake(bad)
        assert not validator.is_valid(bad)
    assert validator.is_valid({"extends": "quickstart.yaml", "seed": 3})
    assert validator.is_valid({"name": "x", "models": {"m": "gemma2-tiny-student"},  # a model as a plain string
                               "stages": [{"kind": "taskworld", "n": 100}]})
