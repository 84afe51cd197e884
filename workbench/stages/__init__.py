"""The stage registry: every module in this package that defines `Config`, `PRODUCES` and `run` is a stage kind.

See `workbench.stages.base` for the contract.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType

_SKIP = {"base"}


def stage_modules() -> dict[str, ModuleType]:
    """kind -> module, for every stage module in this package."""
    out = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if info.name in _SKIP or info.name.startswith("_"):
            continue
        mod = importlib.import_module(f"{__name__}.{info.name}")
        if hasattr(mod, "Config") and hasattr(mod, "run"):
            kind = mod.Config.model_fields["kind"].default
            out[kind] = mod
    return out
