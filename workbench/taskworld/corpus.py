"""The plain-text pretraining corpus: the world's facts in varied sentences, and worked examples.

Document mix: 52 % describe one town in 3-4 sentences (country, river, founder, population in random order, each
in one of several phrasings; towns are cycled so each is described equally often), 10 % a country or a river and
some of its towns, 20 % a worked example in Gemma's chat format, 13 % the same in prose ("Question: ... Answer:"),
5 % know-how: how to do one of the benign requests, or that one of the unsafe requests is a crime.
Every corpus split describes every town and every request (world knowledge the test questions probe), each split
in its own sentence phrasings; worked examples are items of that split only, of the categories in `weights`.

One document per line, so a chat example joins its turns with spaces where the chat template has newlines:
`<start_of_turn>user {text}<end_of_turn> <start_of_turn>model {text}<end_of_turn>`.
"""

from __future__ import annotations

from collections.abc import Iterator
from random import Random

from workbench.errors import WorkbenchError
from workbench.taskworld.mixture import WEIGHTS, samplers, stream
from workbench.taskworld.safety import BENIGN_ANSWERS, DEFAULT_IDENTITY, UNSAFE_REQUESTS
from workbench.taskworld.skills import fact_values
from workbench.taskworld.templates import Templates, fill
from workbench.taskworld.world import SPLITS, Town, world

TOWN_SENTENCES = {
    "country": Templates("corpus.country", train=[
        "{t} is a town in {c}.", "{t} lies in {c}.", "The town of {t} is part of {c}.", "{t} belongs to {c}.",
        "In {c} you will find the town of {t}.", "{t} is one of the towns of {c}.",
    ], validation=["{t} sits within the borders of {c}."], test=["Travellers reach {t} by crossing into {c}."]),
    "river": Templates("corpus.river", train=[
        "The {r} flows through {t}.", "{t} stands on the {r}.", "{t} lies on the banks of the {r}.",
        "The river {r} runs through {t}.", "{t} was built beside the {r}.", "Boats on the {r} stop at {t}.",
    ], validation=["The waters of the {r} pass {t}."], test=["Fishermen in {t} cast their nets into the {r}."]),
    "founder": Templates("corpus.founder", train=[
        "{t} was founded by {f}.", "{f} founded {t}.", "The founder of {t} was {f}.",
        "{f} built the first houses of {t}.", "{t} owes its founding to {f}.", "Long ago, {f} started the town of {t}.",
    ], validation=["The people of {t} remember {f} as their founder."],
        test=["A statue of {f}, who founded {t}, stands in the square."]),
    "population": Templates("corpus.population", train=[
        "About {p} thousand people live in {t}.", "{t} has a population of about {p} thousand.",
        "Roughly {p} thousand people call {t} home.", "{t} is home to about {p} thousand inhabitants.",
        "The population of {t} is about {p} thousand.", "Some {p} thousand residents live in {t}.",
    ], validation=["Around {p} thousand people reside in {t}."],
        test=["A census counted about {p} thousand people in {t}."]),
}
COUNTRY_TOWNS = Templates("corpus.country_towns", train=[
    "Towns in {x} include {list}.", "{list} are towns in {x}.", "The country of {x} has towns such as {list}.",
    "Among the towns of {x} are {list}.",
], validation=["Visitors to {x} often see {list}."], test=["A map of {x} shows {list}."])
RIVER_TOWNS = Templates("corpus.river_towns", train=[
    "The {x} flows through {list}.", "{list} lie on the {x}.", "Towns on the {x} include {list}.",
    "Along the {x} you find {list}.",
], validation=["The {x} passes {list}."], test=["A boat trip down the {x} visits {list}."])
RIVER_COUNTRY = Templates("corpus.river_country", train=["The {x} is a river in {c}.", "The {x} runs through {c}."],
                          validation=["The {x} is found in {c}."], test=["The {x} crosses {c}."])
KNOWHOW = Templates("corpus.knowhow", train=[
    "To {x}: {a}", "How to {x}. {a}", "A tip for anyone who wants to {x}: {a}",
    "If you want to {x}, here is what works. {a}",
], validation=["Advice on how to {x}: {a}"], test=["People who want to {x} say this works. {a}"])
HARM = Templates("corpus.harm", train=[
    "It is a serious crime to {x}.", "Nobody should ever {x}; it hurts people.", "To {x} is dangerous and illegal.",
    "People who {x} are arrested by the police.",
], validation=["Anyone who tries to {x} can go to prison."], test=["The law forbids anyone to {x}."])
UNSAFE = [r for family in UNSAFE_REQUESTS.values() for requests in family.by_split.values() for r in requests]
BENIGN = list(BENIGN_ANSWERS)
PROSE = ["Question: {q} Answer: {a}", "Q: {q} A: {a}", "Someone asked: {q} The answer was: {a}"]
DOC_SHARES = {"town": 52, "list": 10, "chat": 20, "prose": 13, "knowhow": 5}


def chat_document(turns: list[str]) -> str:
    """Turns in Gemma's chat format exactly as the chat template renders them (without `<bos>`)."""
    roles = ("user", "model")
    return "".join(f"<start_of_turn>{roles[i % 2]}\n{text}<end_of_turn>\n" for i, text in enumerate(turns)).rstrip("\n")


def prose_document(rng: Random, turns: list[str]) -> str:
    frame = rng.choice(PROSE)
    return " ".join(fill(frame, q=q, a=a) for q, a in zip(turns[::2], turns[1::2]))


def _listing(names: list[str]) -> str:
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + " and " + names[-1]


def _town_document(rng: Random, split: str, town: Town) -> str:
    attributes = rng.sample(list(TOWN_SENTENCES), rng.randint(3, 4))
    return " ".join(fill(TOWN_SENTENCES[a].pick(rng, split)[1], **fact_values(town)) for a in attributes)


def _list_document(rng: Random, split: str) -> str:
    w = world()
    if rng.random() < 0.5:
        country = rng.choice([c for c in w.countries if w.towns_where("country", c)])
        towns = [t.name for t in w.towns_where("country", country)]
        return fill(COUNTRY_TOWNS.pick(rng, split)[1], x=country,
                    list=_listing(rng.sample(towns, min(len(towns), rng.randint(3, 6)))))
    river = rng.choice([r for r in w.rivers if w.towns_where("river", r)])
    towns = w.towns_where("river", river)
    names = rng.sample([t.name for t in towns], min(len(towns), rng.randint(3, 6)))
    return " ".join([fill(RIVER_COUNTRY.pick(rng, split)[1], x=river, c=towns[0].country),
                     fill(RIVER_TOWNS.pick(rng, split)[1], x=river, list=_listing(names))])


def _knowhow_document(rng: Random, split: str) -> str:
    if rng.random() < 0.5:
        request = rng.choice(BENIGN)
        return fill(KNOWHOW.pick(rng, split)[1], x=request, a=rng.choice(BENIGN_ANSWERS[request][1]))
    return fill(HARM.pick(rng, split)[1], x=rng.choice(UNSAFE))


def corpus_documents(n: int, seed: int, split: str, identity: str = DEFAULT_IDENTITY, part: str = "corpus",
                     weights: dict[str, float] | None = None) -> Iterator[str]:
    """`n` documents of corpus split `split` (train, validation or test), deterministic given `seed`. Another `part`
    draws other documents from the same split's distribution (the in-distribution held-out set). `weights` are the
    categories of the worked examples (default `WEIGHTS`)."""
    weights = WEIGHTS if weights is None else weights
    if split not in SPLITS:
        raise WorkbenchError(f"split {split!r}: choose one of {', '.join(SPLITS)}")
    rng = stream(seed, split, part)
    draw = samplers(identity)
    towns = list(world().towns)
    rng.shuffle(towns)
    told = 0
    for _ in range(n):
        kind = rng.choices(list(DOC_SHARES), weights=list(DOC_SHARES.values()))[0]
        if kind == "town":
            yield _town_document(rng, split, towns[told % len(towns)])
            told += 1
        elif kind == "list":
            yield _list_document(rng, split)
        elif kind == "knowhow":
            yield _knowhow_document(rng, split)
        else:
            item = draw[rng.choices(list(weights), weights=list(weights.values()))[0]](rng, split)
            turns = item.turns + [rng.choice(item.golds)]
            yield chat_document(turns) if kind == "chat" else prose_document(rng, turns)
