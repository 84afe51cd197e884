"""The recipe reference (docs/recipes.md) and the recipe's JSON schema, both generated from the pydantic models.

The schema is the code: `Recipe`, `ModelSpec`, `LauncherSettings`, each stage module's `Config` and the blocks
they nest (`TrainSettings`, `LoraSettings`, ...). This module only renders them, so the reference cannot drift
from what `workbench recipe check` accepts; tests/test_recipe_docs.py fails when docs/recipes.md is stale.

    python -m workbench.recipe_docs --out docs/recipes.md     # regenerate the reference
    workbench recipe schema > recipe.schema.json              # JSON schema for editors (YAML language servers)
"""

from __future__ import annotations

import argparse
import json
import sys
import types
import typing
from typing import Annotated, Any, Literal, Union

import annotated_types
from pydantic import BaseModel, Field, create_model
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

REGENERATE = "python -m workbench.recipe_docs --out docs/recipes.md"
_REF_WORDS = {"model": "model ref", "tokenizer": "tokenizer ref", "data": "data ref"}


# --- JSON schema ---------------------------------------------------------------------------------------------


def _stage_union():
    from workbench.stages import stage_modules

    return Annotated[Union[tuple(m.Config for m in stage_modules().values())], Field(discriminator="kind")]  # noqa: UP007


def recipe_json_schema() -> dict:
    """A JSON schema (draft 2020-12) of a recipe file as written: stages as their kinds' configs, a model given as
    a plain string or a mapping, `extends:` allowed (a recipe that extends another needs neither name nor stages)."""
    from workbench.recipe import Recipe

    schema_model = create_model("Recipe", __base__=Recipe, __doc__=Recipe.__doc__,
                                stages=(list[_stage_union()], Field(description=Recipe.model_fields["stages"].description)))
    schema = schema_model.model_json_schema(mode="validation")
    for name, info in Recipe.model_fields.items():
        if info.exclude is True:  # set by the loader, not written in a recipe (e.g. `path`)
            schema["properties"].pop(name, None)
    schema["properties"]["extends"] = {
        "type": "string", "title": "Extends",
        "description": "a base recipe file (relative to this one): its models and stages, then this recipe's"}
    required = schema.pop("required", [])
    schema["anyOf"] = [{"required": ["extends"]}, {"required": required}]
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    spec_ref = {"$ref": "#/$defs/ModelSpec"}

    def accept_strings(node):  # ModelSpec also accepts a plain string (a preset, a folder, a hub id, a .gguf)
        if isinstance(node, dict):
            for key, value in node.items():
                node[key] = ({"anyOf": [{"type": "string"}, spec_ref]} if value == spec_ref else accept_strings(value))
        elif isinstance(node, list):
            return [accept_strings(value) for value in node]
        return node

    return accept_strings(schema)


# --- the markdown reference ----------------------------------------------------------------------------------


def _strip_annotated(annotation: Any) -> tuple[Any, list]:
    metadata: list = []
    while typing.get_origin(annotation) is Annotated:
        args = typing.get_args(annotation)
        annotation, metadata = args[0], metadata + list(args[1:])
    return annotation, metadata


def _constraints(metadata: list) -> str:
    out = []
    symbols = ((annotated_types.Ge, "ge", "≥"), (annotated_types.Gt, "gt", ">"), (annotated_types.Le, "le", "≤"),
               (annotated_types.Lt, "lt", "<"), (annotated_types.MinLen, "min_length", "length ≥"),
               (annotated_types.MaxLen, "max_length", "length ≤"))
    for item in metadata:
        for cls, attr, symbol in symbols:
            if isinstance(item, cls):
                out.append(f"{symbol} {getattr(item, attr)}")
    return ", ".join(out)


def _type_text(annotation: Any, found: dict[str, type[BaseModel]]) -> str:
    """How a field's type reads in YAML terms; nested models are collected into `found` and linked."""
    from workbench.stages.base import Ref

    annotation, metadata = _strip_annotated(annotation)
    refs = [m for m in metadata if isinstance(m, Ref)]
    if refs:
        return _REF_WORDS.get(refs[0].what, f"{refs[0].what} ref")
    constraint = _constraints(metadata)
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin in (Union, types.UnionType):
        text = " \\| ".join(_type_text(a, found) for a in args)
    elif origin is Literal:
        text = " \\| ".join(json.dumps(a) for a in args)
    elif origin in (list, tuple, set, frozenset):
        text = f"list of {_type_text(args[0], found)}" if args else "list"
    elif origin is dict:
        text = f"mapping {_type_text(args[0], found)} → {_type_text(args[1], found)}" if args else "mapping"
    elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
        found.setdefault(annotation.__name__, annotation)
        text = f"[{annotation.__name__}](#{annotation.__name__.lower()})"
    elif annotation is type(None):
        text = "null"
    elif annotation is Any:
        text = "any"
    else:
        text = {str: "string", int: "integer", float: "number", bool: "boolean"}.get(
            annotation, getattr(annotation, "__name__", str(annotation)))
    return f"{text} ({constraint})" if constraint else text


def _default_text(info: FieldInfo) -> str:
    if info.is_required():
        return "required"
    value = info.default_factory() if info.default_factory is not None else info.default
    if value is PydanticUndefined:
        return "required"
    if isinstance(value, BaseModel):
        set_here = value.model_dump(exclude_defaults=True, mode="json")
        return f"`{json.dumps(set_here)}`" if set_here else "its defaults"
    return f"`{json.dumps(value, default=str)}`"


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _table(model: type[BaseModel], found: dict, skip: tuple[str, ...] = (), types_: dict | None = None) -> list[str]:
    lines = ["| field | type | default | description |", "|---|---|---|---|"]
    for name, info in model.model_fields.items():
        if name in skip or info.exclude is True:
            continue
        annotation = info.annotation
        if info.metadata:  # constraints given in Field(ge=...) live here, not in the annotation
            annotation = Annotated[(annotation, *info.metadata)]
        type_text = (types_ or {}).get(name) or _type_text(annotation, found)
        lines.append(f"| `{name}` | {type_text} | {_default_text(info)} | "
                     f"{_cell(info.description or '')} |")
    return lines


def _summary(obj: Any) -> str:
    """The first paragraph of a docstring, on one line."""
    doc = (obj.__doc__ or "").strip()
    return " ".join(doc.split("\n\n")[0].split())


def recipe_reference() -> str:
    """docs/recipes.md: every field of a recipe, a model spec, the launcher, each stage kind and the blocks they
    nest, with its type, default and description."""
    from workbench.launch_settings import LauncherSettings
    from workbench.models.spec import ModelSpec
    from workbench.recipe import Recipe
    from workbench.stages import stage_modules
    from workbench.stages.base import StageConfig

    found: dict[str, type[BaseModel]] = {}
    base_fields = tuple(StageConfig.model_fields)
    out = [
        "# Recipe reference",
        "",
        f"Generated from the pydantic schema by `{REGENERATE}`; do not edit by hand (a test fails when it is stale).",
        "`workbench recipe check R.yaml` validates a recipe against it; `workbench recipe schema` prints it as a JSON",
        "schema, for editors: e.g. a first line `# yaml-language-server: $schema=recipe.schema.json` in a recipe.",
        "",
        "Types: a *model ref* names an entry of `models:` or an earlier stage that produces a model; a *tokenizer ref*",
        "and a *data ref* name an earlier stage that produces one (a data ref may also be a file, relative to the",
        "recipe). `A | B` means either. A recipe may start with `extends: BASE.yaml`: the base's models and stages,",
        "then its own (a stage named like a base stage replaces it). Any value can be overridden on the command line:",
        "`workbench run R.yaml stages.<stage name>.train.lr=1e-4 seed=1`.",
        "",
        "## Recipe",
        "",
        _summary(Recipe) or "A recipe file: its models, then the stages that run in order.",
        "",
        *_table(Recipe, found, types_={"stages": "list of stages (each a `kind` below)"}),
        "",
        "## ModelSpec",
        "",
        _summary(ModelSpec) or "Where a model comes from.",
        "A plain string is accepted too and classified: a preset name, a pretrained name, a `.gguf` file, a folder,"
        " else a hub id.",
        "",
        *_table(ModelSpec, found),
        "",
        "## LauncherSettings",
        "",
        _summary(LauncherSettings),
        "",
        *_table(LauncherSettings, found),
        "",
        "## Stages",
        "",
        "Every stage has these fields, then those of its `kind`:",
        "",
        *_table(StageConfig, found),
        "",
    ]
    for kind, module in stage_modules().items():
        produces = ", ".join(sorted(getattr(module, "PRODUCES", ()))) or "nothing later stages use"
        out += [f"### `{kind}`", "", _summary(module), "", f"Produces: {produces}.", "",
                *_table(module.Config, found, skip=base_fields), ""]
    out += ["## Blocks", "", "Settings blocks that stages nest.", ""]
    done = {"Recipe", "ModelSpec", "LauncherSettings", "StageConfig"}
    while pending := sorted(set(found) - done):
        name = pending[0]
        done.add(name)
        summary = _summary(found[name])
        out += [f"### {name}", "", *([summary, ""] if summary else []), *_table(found[name], found), ""]
    return "\n".join(out).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m workbench.recipe_docs", description=__doc__.splitlines()[0])
    parser.add_argument("--out", help="write the markdown reference here (default: print it)")
    args = parser.parse_args(argv)
    text = recipe_reference()
    if args.out:
        from workbench.atomic import write_text

        write_text(args.out, text)
        print(f"{args.out}: written")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
