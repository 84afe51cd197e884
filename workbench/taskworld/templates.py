"""Hand-written prompt phrasings, each family partitioned into train / validation / test lists.

A prompt of split S is rendered only from S's list, so no test prompt uses a phrasing seen in training. Every
family registers itself in `REGISTRY`; a template's id is `family#k` (k counts across the three lists), and the
generated rows record the ids they used in `meta.templates`, so disjointness can be checked on the files.
Placeholders are `{name}` and are filled by plain replacement (JSON braces in a template stay as they are).

`with shared_phrasings():` makes every split draw prompt phrasings from the train list (a test split for models too
small to follow a new wording: a tiny teacher answered 78 % of fact questions on trained towns in trained
wordings, 25 % in new ones). What a prompt is about stays held out: unsafe and benign requests, like towns and numbers, and the corpus's
sentence phrasings keep their own split (`Templates.shareable`).
"""

from __future__ import annotations

import contextlib
from contextvars import ContextVar
from random import Random

REGISTRY: dict[str, Templates] = {}
_SHARED: ContextVar[bool] = ContextVar("shared_phrasings", default=False)
NEVER_SHARED = ("corpus.", "unsafe.request.", "benign.request")  # content and corpus text, not prompt wordings


@contextlib.contextmanager
def shared_phrasings(on: bool = True):
    """Within the block (if `on`), prompt phrasings of every split come from the train list."""
    token = _SHARED.set(on)
    try:
        yield
    finally:
        _SHARED.reset(token)


class Templates:
    """One family of phrasings with a disjoint list per split."""

    def __init__(self, family: str, train: list[str], validation: list[str], test: list[str]):
        if family in REGISTRY:
            raise ValueError(f"template family {family!r} is defined twice")
        self.family = family
        self.by_split = {"train": train, "validation": validation, "test": test}
        self._offset = {"train": 0, "validation": len(train), "test": len(train) + len(validation)}
        self.shareable = not family.startswith(NEVER_SHARED)
        REGISTRY[family] = self

    def pick(self, rng: Random, split: str) -> tuple[str, str]:
        """(template id, text) of a random phrasing of `split` (of train inside `shared_phrasings`)."""
        if self.shareable and _SHARED.get():
            split = "train"
        options = self.by_split[split]
        k = rng.randrange(len(options))
        return f"{self.family}#{self._offset[split] + k}", options[k]


def fill(template: str, **values) -> str:
    for key, value in values.items():
        template = template.replace("{" + key + "}", str(value))
    return template
