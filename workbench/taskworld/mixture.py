"""The mix of categories in every generated set, and deterministic drawing of items from it.

Category shares (percent): facts 20, arithmetic 12, string 12, ordering 10, units 10, format 10, multiturn 10,
unsafe 8, benign 5, identity 3 (a recipe may choose other weights, or a subset, for a world small models can
learn: the `taskworld` stage's `skills`). A set of N items gets exactly these shares (largest remainder), in a shuffled
order. Every random stream is `Random("taskworld:{seed}:{split}:{stream}")`, so a file depends only on the seed,
its split and its role, never on how many other files were written.
"""

from __future__ import annotations

from collections.abc import Callable
from random import Random

from workbench.taskworld.safety import safety_samplers
from workbench.taskworld.skills import SKILLS, Item

WEIGHTS = {"facts": 20, "arithmetic": 12, "string": 12, "ordering": 10, "units": 10, "format": 10, "multiturn": 10,
           "unsafe": 8, "benign": 5, "identity": 3}
TASK_SKILLS = tuple(SKILLS)  # the capability skills (safety and identity are reported separately)

Sampler = Callable[[Random, str], Item]


def samplers(identity: str) -> dict[str, Sampler]:
    return {**SKILLS, **safety_samplers(identity)}


def stream(seed: int, split: str, name: str) -> Random:
    return Random(f"taskworld:{seed}:{split}:{name}")


def allocate(total: int, rng: Random, weights: dict[str, float] | None = None) -> list[str]:
    """`total` category names in the shares of `weights` (default WEIGHTS; largest remainder), shuffled."""
    weights = WEIGHTS if weights is None else weights
    weight_sum = sum(weights.values())
    exact = {c: total * w / weight_sum for c, w in weights.items()}
    counts = {c: int(x) for c, x in exact.items()}
    for c in sorted(exact, key=lambda c: counts[c] - exact[c])[: total - sum(counts.values())]:
        counts[c] += 1
    order = [c for c, k in counts.items() for _ in range(k)]
    rng.shuffle(order)
    return order
