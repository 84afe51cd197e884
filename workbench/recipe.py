"""The recipe schema: one YAML file, validated by pydantic, that drives the whole chain.

A recipe names its models (`models:`) and an ordered list of stages, each a discriminated union on `kind`
whose settings live in that stage's module. `load_recipe` also applies `key.path=value` overrides and checks
every cross-reference (a stage may only use a model defined in `models:` or produced by an *earlier* stage).
`extends: BASE.yaml` builds a recipe on another one (e.g. ablations on the full chain; same stages, same run dir,
so the shared stages are not run twice).
Every problem is reported as one line naming its YAML path; nothing runs until the recipe is clean.
A recipe is untrusted input: names are plain names (`workbench.paths.check_name`), numbers are bounded and finite,
a YAML key given twice is an error (not silently the last one), and local model files must exist.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Annotated, Any, Union

import yaml
from pydantic import BaseModel, ConfigDict, Field, SerializeAsAny, TypeAdapter, ValidationError, field_validator

from workbench.errors import WorkbenchError
from workbench.identity import DEFAULT_IDENTITY
from workbench.launch_settings import LauncherSettings
from workbench.models.spec import ModelSpec
from workbench.paths import MAX_SEED, check_name, regular_file
from workbench.stages import stage_modules
from workbench.stages.base import StageConfig


@functools.cache
def _stage_union():
    configs = tuple(m.Config for m in stage_modules().values())
    if len(configs) == 1:
        return configs[0]
    return Annotated[Union[configs], Field(discriminator="kind")]  # noqa: UP007


class CacheSettings(BaseModel):
    """What the stage cache (`workbench.stage_cache`) keeps of this recipe's stages; where the cache lives and whether
    it is on is the command line's choice (`workbench run --cache DIR`, `--no-cache`), never a recipe's."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    skip: list[str] = Field(default_factory=list, description="Stages never taken from or stored in the stage cache "
                                                              "(e.g. ones whose outputs are huge).")
    max_entry_gb: float = Field(4.0, gt=0, le=1_000_000, description="A stage whose outputs are larger than this "
                                                                     "(GB) is not stored in the stage cache.")


class Recipe(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    name: str = Field(description="The recipe's name: the default run directory is runs/<name>, so a plain name "
                                  "(letters, digits, _ . -).")
    seed: int = Field(0, ge=0, le=MAX_SEED, description="The seed of every stage that sets none (0 to 2**32-1).")
    description: str = Field("", description="What the recipe is for, in a sentence.")
    identity: str = Field(DEFAULT_IDENTITY, description="Who the model says it is; the task world's data and the "
                                                        "self_id filter use it.")
    models: dict[str, ModelSpec] = Field(default_factory=dict, description="Named models the stages start from: "
                                                                           "name -> a model source (see ModelSpec).")
    stages: list[SerializeAsAny[StageConfig]] = Field(description="The stages, run in order; each is its kind's "
                                                                  "Config (see `parse_recipe`), dumped with all fields.")
    launcher: LauncherSettings | None = Field(None, description="How training stages run (workbench.launcher); "
                                                                "`workbench run` flags override it.")
    cache: CacheSettings | None = Field(None, description="Which stages the stage cache leaves out, and its size "
                                                          "limit per stage (docs/run-directories.md).")
    path: Path | None = Field(default=None, exclude=True, description="Where the recipe was loaded from (not "
                                                                      "part of the YAML).")

    @field_validator("name")
    @classmethod
    def _plain_name(cls, value):
        return check_name(value)

    @field_validator("identity")
    @classmethod
    def _identity_given(cls, value):
        if not value.strip():
            raise ValueError("identity is empty; give the name the model should call itself")
        return value

    @field_validator("models")
    @classmethod
    def _plain_model_names(cls, value):
        for name in value:
            check_name(name)
        return value

    @field_validator("stages", mode="before")
    @classmethod
    def _stages(cls, value):
        if not isinstance(value, list) or not value:
            raise ValueError("a recipe needs a non-empty list of stages")
        return [TypeAdapter(_stage_union()).validate_python(v) for v in value]

    def stage(self, name: str) -> StageConfig:
        return next(s for s in self.stages if s.stage_name == name)

    def producers(self) -> dict[str, set[str]]:
        """name -> what it provides, for every stage and recipe model."""
        mods = stage_modules()
        out: dict[str, set[str]] = {name: {"model", "tokenizer"} for name in self.models}
        for s in self.stages:
            out[s.stage_name] = set(mods[s.kind].PRODUCES)
        return out


# --- errors --------------------------------------------------------------------------------------------------


def _loc(loc: tuple, kinds: set[str]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in kinds or str(part).startswith(("function-", "tagged-union", "union")):
            continue  # the discriminator's branch name is noise in a YAML path
        else:
            out += f".{part}" if out else str(part)
    return out or "(top level)"


def _format_error(err: dict, kinds: set[str]) -> str:
    msg = err["msg"]
    msg = msg[0].lower() + msg[1:] if msg else msg
    msg = msg.removeprefix("value error, ")
    if err["type"] == "missing":
        return f"{_loc(err['loc'], kinds)}: field required"
    if err["type"] == "extra_forbidden":
        return f"{_loc(err['loc'], kinds)}: unknown key (not part of the recipe schema; check the spelling)"
    if err["type"] == "union_tag_invalid":
        return f"{_loc(err['loc'], kinds)}.kind: unknown stage kind {err['input'].get('kind')!r}; known: {', '.join(sorted(kinds))}"
    inp = err.get("input")
    got = "" if isinstance(inp, (dict, list)) or inp is None else f", got {_show(inp)}"
    return f"{_loc(err['loc'], kinds)}: {msg}{got}"


def _show(value: Any) -> str:
    shown = f'"{value}"' if isinstance(value, str) else repr(value)
    return shown if len(shown) <= 80 else f"{shown[:77]}..."


def _validation_lines(exc: ValidationError, prefix: tuple = ()) -> list[str]:
    kinds = set(stage_modules())
    return [_format_error({**e, "loc": prefix + tuple(e["loc"])}, kinds) for e in exc.errors()]


# --- overrides -----------------------------------------------------------------------------------------------


def apply_override(data: dict, assignment: str) -> None:
    """Apply `a.b[2].c=value` (or `stages.<stage name>.field=value`) to the raw recipe dict."""
    if "=" not in assignment:
        raise WorkbenchError(f"override {assignment!r}: expected key.path=value")
    key, raw = assignment.split("=", 1)
    try:
        value = _load_yaml(raw) if raw != "" else ""
    except (yaml.YAMLError, RecursionError) as e:
        problem = getattr(e, "problem", None) or "nested too deeply"
        raise WorkbenchError(f"override {_show(assignment)}: the value is not valid YAML ({problem}); "
                             "quote it, e.g. key='[text'") from None
    parts: list[Any] = []
    for token in key.replace("]", "").replace("[", ".").split("."):
        if token == "":
            raise WorkbenchError(f"override {_show(assignment)}: empty key segment")
        parts.append(int(token) if token.isascii() and token.isdigit() and len(token) <= 9 else token)
    node: Any = data
    for i, part in enumerate(parts[:-1]):
        if isinstance(node, list) and isinstance(part, str):  # stage by name
            match = [s for s in node if isinstance(s, dict) and (s.get("name") or s.get("kind")) == part]
            if not match:
                raise WorkbenchError(f"override {assignment!r}: no stage named {part!r}")
            node = match[0]
            continue
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            if isinstance(node, dict):
                node = node.setdefault(part, {})
            else:
                raise WorkbenchError(f"override {assignment!r}: {'.'.join(map(str, parts[: i + 1]))} does not exist") from None
    last = parts[-1]
    try:
        node[last] = value
    except (IndexError, TypeError):
        raise WorkbenchError(f"override {assignment!r}: cannot set {key}") from None


# --- loading and checking ------------------------------------------------------------------------------------

MAX_RECIPE_BYTES = 4 * 2**20


class _UniqueKeyLoader(yaml.SafeLoader):
    """PyYAML's safe loader, except that a mapping giving one key twice is an error (PyYAML keeps the last)."""

    def construct_mapping(self, node, deep=False):
        seen: dict = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                first = seen.setdefault(key, key_node.start_mark)
            except TypeError:  # an unhashable key: PyYAML's own error says so
                break
            if first is not key_node.start_mark:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key {_show(key)} is given twice (first on line {first.line + 1}); keep one",
                    key_node.start_mark)
        return super().construct_mapping(node, deep)


def _load_yaml(text: str):
    return yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 (a SafeLoader)


def _read_yaml(path: Path) -> dict:
    if path.is_dir():
        yamls = sorted(p.name for p in path.glob("*.yaml"))[:5]
        raise WorkbenchError(f"{path}: is a folder; give one recipe file in it" + (f", e.g. {', '.join(yamls)}" if yamls else ""))
    if not path.exists():
        raise WorkbenchError(f"{path}: recipe file not found")
    regular_file(path, "recipe file")
    if path.stat().st_size > MAX_RECIPE_BYTES:
        raise WorkbenchError(f"{path}: {path.stat().st_size} bytes is too large for a recipe (at most {MAX_RECIPE_BYTES})")
    try:
        data = _load_yaml(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise WorkbenchError(f"{where}: YAML syntax error: {problem}") from None
    except RecursionError:
        raise WorkbenchError(f"{path}: YAML nested too deeply; a recipe is a few levels of mappings and lists") from None
    except UnicodeDecodeError as e:
        raise WorkbenchError(f"{path}: not UTF-8 text ({e.reason} at byte {e.start})") from None
    if not isinstance(data, dict):
        raise WorkbenchError(f"{path}: a recipe must be a YAML mapping with name, models and stages")
    return data


def _extended(data: dict, path: Path, seen: tuple[Path, ...] = ()) -> dict:
    """`extends: BASE.yaml` (relative to this file): the base recipe's models and stages, then this recipe's.
    This recipe's top-level settings and models win; a stage named like a base stage replaces it in place, other
    stages are appended. Paths inside the stages resolve relative to the extending recipe (keep both in one folder)."""
    base_name = data.pop("extends", None)
    if base_name is None:
        return data
    if not isinstance(base_name, str):
        raise WorkbenchError(f"{path}: extends: give one recipe file name (relative to this file), got {base_name!r}")
    base_path = (path.parent / base_name).resolve()
    if not base_path.is_file():
        raise WorkbenchError(f"{path}: extends: {base_name} not found (looked for {base_path})")
    if base_path in seen:
        raise WorkbenchError(f"{path}: extends: {base_name} extends itself (cycle through {base_path})")
    base = _extended(_read_yaml(base_path), base_path, (*seen, base_path))
    for where, recipe in ((base_path, base), (path, data)):
        if not isinstance(recipe.get("models") or {}, dict):
            raise WorkbenchError(f"{where}: models: must be a mapping of name -> model, got {_kind(recipe['models'])}")
        if not isinstance(recipe.get("stages") or [], list):
            raise WorkbenchError(f"{where}: stages: must be a list of stages, got {_kind(recipe['stages'])}")
    merged = {**base, **{k: v for k, v in data.items() if k not in ("models", "stages")}}
    merged["models"] = {**(base.get("models") or {}), **(data.get("models") or {})}
    stages = list(base.get("stages") or [])
    names = [s.get("name") or s.get("kind") if isinstance(s, dict) else None for s in stages]
    for stage in data.get("stages") or []:
        name = stage.get("name") or stage.get("kind") if isinstance(stage, dict) else None
        if name is not None and name in names:
            stages[names.index(name)] = stage
        else:
            stages.append(stage)
            names.append(name)
    merged["stages"] = stages
    return merged


def _kind(value: Any) -> str:
    return {dict: "a mapping", list: "a list", str: "a string"}.get(type(value), f"a {type(value).__name__}")


def load_recipe(path: str | Path, overrides: list[str] | tuple = ()) -> Recipe:
    """Read (following `extends`), override, validate and cross-check a recipe; raise WorkbenchError listing every
    problem."""
    path = Path(path)
    data = _extended(_read_yaml(path), path, (path.resolve(),))
    for o in overrides:
        apply_override(data, o)
    if problems := _lone_surrogates(data, "", set()):
        raise WorkbenchError(problems)
    return parse_recipe(data, path)


def _lone_surrogates(value: Any, where: str, seen: set[int]) -> list[str]:
    """A YAML escape such as "\\ud800" makes a string that is not Unicode text and cannot be written out: the YAML
    path of every such string. (`seen`: containers already walked; YAML aliases share them, so a "billion laughs"
    document is walked once per distinct node.)"""
    if isinstance(value, (dict, list)):
        if id(value) in seen:
            return []
        seen.add(id(value))
    if isinstance(value, str):
        if not value.isascii() and any("\ud800" <= c <= "\udfff" for c in value):
            return [f"{where or '(top level)'}: text holds a lone UTF-16 surrogate (an escape like \\ud800); remove it"]
        return []
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    out = []
    for key, item in items:
        here = f"{where}[{key}]" if isinstance(key, int) else f"{where}.{key}" if where else str(key)
        out += _lone_surrogates(key, here, seen) if isinstance(key, str) else []
        out += _lone_surrogates(item, here, seen)
    return out


def parse_recipe(data: dict, path: Path | None = None) -> Recipe:
    errors: list[str] = []
    stages_raw = data.get("stages")
    stages: list[StageConfig] = []
    # Validate stage by stage so that every bad stage is reported, each with its own path.
    if isinstance(stages_raw, list):
        adapter = TypeAdapter(_stage_union())
        for i, raw in enumerate(stages_raw):
            try:
                stages.append(adapter.validate_python(raw))
            except ValidationError as e:
                errors += _validation_lines(e, ("stages", i))
    try:
        recipe = Recipe.model_validate({**data, "stages": [s.model_dump() for s in stages] or stages_raw})
    except ValidationError as e:
        stage_errors = bool(errors)
        errors += [ln for ln in _validation_lines(e) if not (stage_errors and ln.startswith("stages"))]
        recipe = None
    if recipe is not None and not errors:
        recipe.path = path
        errors += check_references(recipe)
    if errors:
        raise WorkbenchError(list(dict.fromkeys(errors)))
    return recipe


def check_references(recipe: Recipe) -> list[str]:
    """Every reference must name a recipe model or an earlier stage that provides the right thing."""
    errors = []
    mods = stage_modules()
    seen: dict[str, int] = {}
    for i, s in enumerate(recipe.stages):
        if s.stage_name in seen or s.stage_name in recipe.models:
            errors.append(f"stages[{i}].name: {s.stage_name!r} is already used; give this stage a unique name")
        seen.setdefault(s.stage_name, i)
    order = {s.stage_name: i for i, s in enumerate(recipe.stages)}
    base = recipe.path.parent if recipe.path else Path.cwd()
    config = recipe.launcher.accelerate_config if recipe.launcher else None
    if config and not (base / Path(config).expanduser()).is_file():
        errors.append(f"launcher.accelerate_config: {config!r} not found (looked for {base / Path(config).expanduser()}); "
                      "paths in a recipe are relative to the recipe file")
    for mname, spec in recipe.models.items():
        if spec.preset and not spec.tokenizer:
            errors.append(f"models.{mname}.tokenizer: a preset is built for a tokenizer; name the tokenizer stage (e.g. tokenizer: tokenizer)")
        if spec.tokenizer and spec.tokenizer not in order:
            errors.append(f"models.{mname}.tokenizer: no stage named {spec.tokenizer!r} provides a tokenizer")
        elif spec.tokenizer and "tokenizer" not in mods[recipe.stages[order[spec.tokenizer]].kind].PRODUCES \
                and "model" not in mods[recipe.stages[order[spec.tokenizer]].kind].PRODUCES:
            kind = recipe.stages[order[spec.tokenizer]].kind
            errors.append(f"models.{mname}.tokenizer: stage {spec.tokenizer!r} ({kind}) produces no tokenizer; "
                          "name a tokenizer stage or a stage that saves a model with its tokenizer")
        source, value = spec.source
        if source in ("path", "gguf"):
            local = Path(value).expanduser()
            local = local if local.is_absolute() else base / local
            if not local.exists():
                errors.append(f"models.{mname}.{source}: {value!r} not found (looked for {local}); paths in a recipe "
                              "are relative to the recipe file")
    for i, name in enumerate(recipe.cache.skip if recipe.cache else []):
        if name not in order:
            errors.append(f"cache.skip[{i}]: no stage named {name!r}; name stages of this recipe")
    for i, s in enumerate(recipe.stages):
        for field, ref, what in s.references():
            where = f"stages[{i}].{field}"
            if ref in recipe.models:
                if what == "data":
                    errors.append(f"{where}: {ref!r} is a model, not a dataset")
                spec = recipe.models[ref]
                tok = spec.tokenizer
                if tok and tok in order and order[tok] >= i:
                    errors.append(f"{where}: model {ref!r} needs tokenizer stage {tok!r}, which runs later (stages[{order[tok]}])")
                continue
            if ref in order:
                j = order[ref]
                if j >= i:
                    errors.append(f"{where}: uses the output of stage {ref!r} (stages[{j}]), which does not run before this one")
                elif what not in mods[recipe.stages[j].kind].PRODUCES:
                    errors.append(f"{where}: stage {ref!r} ({recipe.stages[j].kind}) produces no {what}")
                continue
            if what == "data":
                p = Path(ref).expanduser()
                if not p.is_absolute():
                    p = base / p
                if not p.exists():
                    errors.append(f"{where}: {ref!r} is neither a stage name nor an existing file (looked for {p})")
                continue
            known = sorted(set(recipe.models) | {n for n, j in order.items() if j < i and what in mods[recipe.stages[j].kind].PRODUCES})
            hint = f"; available here: {', '.join(known)}" if known else ""
            errors.append(f"{where}: undefined {what} {ref!r} (define it under `models:` or name an earlier stage){hint}")
        local = lambda ref: None if ref in order or ref in recipe.models else base / Path(ref).expanduser()  # noqa: E731
        errors += [f"stages[{i}].{field}: {problem}" for field, problem in s.file_problems(local)]
    return errors
