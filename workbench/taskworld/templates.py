"""Hand-written prompt phrasings, each family partitioned into train / validation / test / rephrased lists.

A prompt of split S is rendered only from S's list, so no test prompt uses a phrasing seen in training. Every
family registers itself in `REGISTRY`; a template's id is `family#k` (k counts across the lists), and the
generated rows record the ids they used in `meta.templates`, so disjointness can be checked on the files.
Placeholders are `{name}` and are filled by plain replacement (JSON braces in a template stay as they are).

The `rephrased` lists are wordings written apart from all the others and used by no training, validation or test
prompt and no corpus document: `with reworded(rng):` renders the test items again, the same content drawn from the
same random stream, with every prompt wording taken from the rephrased list instead (`pick` still draws the shipped
wording's index from the item's stream, so the content that follows stays the same). That is the world's
held-out-phrasing split, on which the evaluate stage measures how far a model's skills and refusals generalise
beyond the wordings it was trained on, whatever `phrasings` the world uses.

`with shared_phrasings():` makes every split draw prompt phrasings from the train, validation and test lists pooled
(a test split for models too small to follow a new wording: a tiny teacher answered 78 % of fact questions on
trained towns in trained wordings, 25 % in new ones; pooled, training sees every wording but the rephrased ones,
the broadest it can be while a held-out-phrasing split remains). What a prompt is about stays held out: unsafe and benign requests, like towns and numbers, and the corpus's
sentence phrasings keep their own split (`Templates.shareable`).
"""

from __future__ import annotations

import contextlib
from contextvars import ContextVar
from random import Random

REGISTRY: dict[str, Templates] = {}
_SHARED: ContextVar[bool] = ContextVar("shared_phrasings", default=False)
_REWORD: ContextVar[Random | None] = ContextVar("reworded", default=None)
REPHRASED = "rephrased"  # the held-out-phrasing split: test items in wordings no other split uses
NEVER_SHARED = ("corpus.", "unsafe.request.", "benign.request")  # content and corpus text, not prompt wordings


@contextlib.contextmanager
def shared_phrasings(on: bool = True):
    """Within the block (if `on`), prompt phrasings of every split come from the pooled train, validation and test
    lists."""
    token = _SHARED.set(on)
    try:
        yield
    finally:
        _SHARED.reset(token)


@contextlib.contextmanager
def reworded(wording: Random):
    """Within the block, every prompt wording comes from the rephrased lists, drawn from `wording` (see above)."""
    token = _REWORD.set(wording)
    try:
        yield
    finally:
        _REWORD.reset(token)


class Templates:
    """One family of phrasings with a disjoint list per split (prompt wordings also a `rephrased` list)."""

    def __init__(self, family: str, train: list[str], validation: list[str], test: list[str],
                 rephrased: list[str] = ()):
        if family in REGISTRY:
            raise ValueError(f"template family {family!r} is defined twice")
        self.family = family
        self.shareable = not family.startswith(NEVER_SHARED)
        if self.shareable != bool(rephrased):
            raise ValueError(f"template family {family!r}: a prompt wording family needs rephrased wordings, "
                             "a content or corpus family none")
        self.by_split = {"train": train, "validation": validation, "test": test, REPHRASED: list(rephrased)}
        self._offset = {"train": 0, "validation": len(train), "test": len(train) + len(validation),
                        REPHRASED: len(train) + len(validation) + len(test)}
        REGISTRY[family] = self

    def pick(self, rng: Random, split: str) -> tuple[str, str]:
        """(template id, text) of a random phrasing of `split` (of the pooled train, validation and test lists
        inside `shared_phrasings`, of the rephrased list inside `reworded`)."""
        if self.shareable and _SHARED.get():
            split, options = "train", [t for s in ("train", "validation", "test") for t in self.by_split[s]]
        else:
            options = self.by_split[split]
        k = rng.randrange(len(options))
        wording = _REWORD.get()
        if self.shareable and wording is not None:
            split, options = REPHRASED, self.by_split[REPHRASED]
            k = wording.randrange(len(options))
        return f"{self.family}#{self._offset[split] + k}", options[k]


def choose(rng: Random, options: list[str], rephrased: list[str]) -> str:
    """A random one of `options` (a list that is no `Templates`: greetings, tails), of `rephrased` inside
    `reworded` (the index into `options` is still drawn from `rng`, as in `Templates.pick`)."""
    value = rng.choice(options)
    wording = _REWORD.get()
    return value if wording is None else wording.choice(rephrased)


def fill(template: str, **values) -> str:
    for key, value in values.items():
        template = template.replace("{" + key + "}", str(value))
    return template
