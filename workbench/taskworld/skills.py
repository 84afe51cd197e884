"""The verifiable task skills: arithmetic, string, ordering, facts, units, format and multi-turn follow-ups.

Each skill is a sampler `(rng, split) -> Item`. An item is a conversation ending with a user turn, several valid
answers (`golds`: different phrasings and, where natural, different contents, e.g. any town of a country), one
near miss (`wrong`) and the `meta` the verifier needs (`workbench.taskworld.verify` documents the checks).
Every sampler draws only from its split: towns, countries, rivers and words of that split (`meta.entities`),
numeric problems whose key hashes to that split (`meta.key`), and phrasings of that split (`meta.templates`).

Sizes follow the calibration notes: operands 0-99 (numbers are tokenised digit by digit), 3-5 numbers to sort,
common words of 3-7 letters, conversions by one factor. The hard part for a small model is the facts table.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from random import Random

from workbench.taskworld.templates import Templates, fill
from workbench.taskworld.world import Town, split_of_key, world


@dataclass
class Item:
    turns: list[str]  # user, assistant, user, ... ending with the user turn to answer
    golds: list[str]  # valid answers to the last turn
    wrong: str  # a near miss that the verifier rejects
    meta: dict  # skill, task, check and its fields, templates, entities or key

    def conversation(self, answer: str | None = None) -> list[dict]:
        """The turns as chat messages, with `answer` appended as the last assistant turn if given."""
        turns = self.turns if answer is None else [*self.turns, answer]
        return [{"role": "user" if i % 2 == 0 else "assistant", "content": t} for i, t in enumerate(turns)]


def item_meta(skill: str, task: str, templates: list[str], check: dict, entities: list[str] | None = None,
              key: str | None = None) -> dict:
    meta = {"skill": skill, "task": task, **check, "templates": templates}
    if entities is not None:
        meta["entities"] = entities
    if key is not None:
        meta["key"] = key
    return meta


def _near_number(rng: Random, x: int) -> int:
    d = rng.choice((1, 2, 10))
    return x + d if x - d < 0 or rng.random() < 0.5 else x - d


# --- arithmetic ------------------------------------------------------------------------------------------------

ADD = Templates("arithmetic.add", train=[
    "What is {a} plus {b}?", "What is {a} + {b}?", "Add {a} and {b}.", "Compute {a} + {b}.",
    "What do you get when you add {a} to {b}?", "Calculate the sum of {a} and {b}.", "{a} + {b} = ?",
], validation=["Find the total of {a} and {b}.", "Sum up {a} and {b}."],
    test=["How much is {a} added to {b}?", "If I have {a} and get {b} more, how many do I have?"],
    rephrased=["Work out the total when {a} is combined with {b}.",
        "I bought {a} apples and then {b} more. How many apples do I have now?",
        "Please tell me the result of adding {b} onto {a}."])
SUB = Templates("arithmetic.sub", train=[
    "What is {a} minus {b}?", "What is {a} - {b}?", "Subtract {b} from {a}.", "Compute {a} - {b}.",
    "Take {b} away from {a}.", "{a} - {b} = ?", "What is left when you take {b} from {a}?",
], validation=["What is the difference between {a} and {b}?", "Reduce {a} by {b}."],
    test=["How much remains if you remove {b} from {a}?", "If I have {a} and give away {b}, how many are left?"],
    rephrased=["Work out what remains when {b} is deducted from {a}.",
        "There were {a} birds on a roof and {b} flew off. How many stayed?",
        "Please tell me the result of {a} with {b} taken off."])
ARITHMETIC_GOLDS = {
    "add": ["{r}", "The answer is {r}.", "{a} + {b} = {r}.", "{a} plus {b} is {r}.", "That makes {r}."],
    "sub": ["{r}", "The answer is {r}.", "{a} - {b} = {r}.", "{a} minus {b} is {r}.", "That leaves {r}."],
}


@dataclass
class Sum:
    op: str  # add | sub
    a: int
    b: int
    result: int
    key: str  # canonical: an addition and its swapped twin share a key (and so a split)


def draw_sum(rng: Random, split: str) -> Sum:
    while True:
        op, a, b = rng.choice(("add", "sub")), rng.randint(0, 99), rng.randint(0, 99)
        if op == "add":
            key, result = f"add:{min(a, b)}:{max(a, b)}", a + b
        else:
            a, b = max(a, b), min(a, b)
            key, result = f"sub:{a}:{b}", a - b
        if split_of_key(key) == split:
            return Sum(op, a, b, result, key)


def sum_question(rng: Random, split: str, s: Sum) -> tuple[str, str]:
    tid, text = (ADD if s.op == "add" else SUB).pick(rng, split)
    return tid, fill(text, a=s.a, b=s.b)


def sum_golds(s: Sum, result: int | None = None) -> list[str]:
    return [fill(g, a=s.a, b=s.b, r=s.result if result is None else result) for g in ARITHMETIC_GOLDS[s.op]]


def arithmetic(rng: Random, split: str) -> Item:
    s = draw_sum(rng, split)
    tid, question = sum_question(rng, split, s)
    wrong = rng.choice(sum_golds(s, _near_number(rng, s.result)))
    return Item([question], sum_golds(s), wrong,
                item_meta("arithmetic", s.op, [tid], {"check": "number", "answer": s.result}, key=s.key))


# --- string ----------------------------------------------------------------------------------------------------

REVERSE = Templates("string.reverse", train=[
    "Reverse the word {w}.", "Write {w} backwards.", "Spell {w} in reverse order.", "What is {w} reversed?",
    "Reverse the letters of {w}.", "Give me {w} written backwards.",
], validation=["Flip the word {w} so it reads backwards.", "Read {w} from right to left."],
    test=["Write the word {w} from its last letter to its first.", "How does {w} look when reversed?"],
    rephrased=["Say the word {w} back to front.", "Produce the mirror image of {w}, with its letter order flipped."])
UPPERCASE = Templates("string.uppercase", train=[
    "Write {w} in capital letters.", "Convert {w} to uppercase.", "Uppercase the word {w}.", "What is {w} in all caps?",
    "Write the word {w} in upper case.",
], validation=["Make every letter of {w} a capital.", "Capitalise all of {w}."],
    test=["Turn {w} into capital letters only.", "Shout the word {w} in capitals."],
    rephrased=["Rewrite {w} with every letter made big.", "Could you put {w} into block capitals?"])
LENGTH = Templates("string.length", train=[
    "How many letters are in the word {w}?", "Count the letters in {w}.", "What is the length of the word {w}?",
    "How long is the word {w}, in letters?", "How many letters does {w} have?",
], validation=["Tell me the number of letters in {w}.", "Count how many letters {w} contains."],
    test=["{w} is made of how many letters?", "What is the letter count of {w}?"],
    rephrased=["Tally up the characters in the word {w}.",
        "I wonder how many letters there are in {w}. Can you count them?"])
SPELL = Templates("string.spell", train=[
    "Spell the word {w}.", "Spell {w} letter by letter.", "How do you spell {w}?", "Break {w} into its letters.",
    "Write out the letters of {w}.",
], validation=["Write the letters of {w} one at a time.", "Spell out {w} for me."],
    test=["What letters make up the word {w}?", "Give the spelling of {w}, letter by letter."],
    rephrased=["Could you sound out {w} one letter at a time?", "Separate the word {w} into individual letters."])
STRING_GOLDS = {
    "reverse": ["{r}", "{w} reversed is {r}.", "Backwards it reads {r}.", "The reversed word is {r}."],
    "uppercase": ["{U}", "In capital letters: {U}.", "{w} in capitals is {U}."],
    "length": ["{n}", "{w} has {n} letters.", "There are {n} letters in {w}.", "The word {w} has {n} letters."],
    "spell": ["{s}", "{w} is spelled {s}.", "The letters are {s}.", "It is spelled {sp}."],
}
CAPS_GOLDS = ["{R}", "In capitals: {R}.", "That is {R}."]


def _misspell(rng: Random, word: str) -> str:
    """Swap two neighbouring letters that differ (or drop one if all are equal)."""
    spots = [i for i in range(len(word) - 1) if word[i].lower() != word[i + 1].lower()]
    if not spots:
        return word[1:]
    i = rng.choice(spots)
    return word[:i] + word[i + 1] + word[i] + word[i + 2:]


def string_values(word: str) -> dict:
    return {"w": word, "r": word[::-1], "U": word.upper(), "R": word[::-1].upper(), "n": len(word),
            "s": "-".join(word), "sp": " ".join(word)}


def string(rng: Random, split: str) -> Item:
    word = rng.choice(world().in_split("words", split))
    task = rng.choice(("reverse", "uppercase", "length", "spell"))
    templates = {"reverse": REVERSE, "uppercase": UPPERCASE, "length": LENGTH, "spell": SPELL}[task]
    tid, question = templates.pick(rng, split)
    v = string_values(word)
    golds = [fill(g, **v) for g in STRING_GOLDS[task]]
    phrasing = rng.choice(STRING_GOLDS[task])
    if task == "reverse":
        check = {"check": "word", "answer": v["r"], "case_sensitive": False}
        wrong = fill(phrasing, **{**v, "r": _misspell(rng, v["r"])})
    elif task == "uppercase":
        check = {"check": "word", "answer": v["U"], "case_sensitive": True}
        i = rng.randrange(len(word))
        wrong = fill(phrasing, **{**v, "U": v["U"][:i] + word[i] + v["U"][i + 1:]})
    elif task == "length":
        check = {"check": "number", "answer": v["n"]}
        wrong = fill(phrasing, **{**v, "n": v["n"] + rng.choice((-1, 1))})
    else:
        check = {"check": "letters", "answer": word}
        other = _misspell(rng, word)
        wrong = fill(phrasing, **{**v, "s": "-".join(other), "sp": " ".join(other)})
    return Item([fill(question, w=word)], golds, wrong, item_meta("string", task, [tid], check, entities=[word]))


# --- ordering --------------------------------------------------------------------------------------------------

SORT_UP = Templates("ordering.ascending", train=[
    "Sort these numbers from smallest to largest: {xs}.", "Put {xs} in ascending order.",
    "Arrange in increasing order: {xs}.", "Order from low to high: {xs}.", "Sort ascending: {xs}.",
], validation=["Rank these from the smallest up: {xs}.", "Put {xs} in order, lowest first."],
    test=["List {xs} starting with the smallest.", "Reorder {xs} so they grow."],
    rephrased=["Line up {xs} with the lowest number at the front.", "Could you place {xs} in rising order?"])
SORT_DOWN = Templates("ordering.descending", train=[
    "Sort these numbers from largest to smallest: {xs}.", "Put {xs} in descending order.",
    "Arrange in decreasing order: {xs}.", "Order from high to low: {xs}.", "Sort descending: {xs}.",
], validation=["Rank these from the biggest down: {xs}.", "Put {xs} in order, highest first."],
    test=["List {xs} starting with the largest.", "Reorder {xs} so they shrink."],
    rephrased=["Line up {xs} with the highest number at the front.", "Could you place {xs} in falling order?"])
LARGEST = Templates("ordering.max", train=[
    "Which is the largest of {xs}?", "What is the biggest number among {xs}?", "Find the maximum of {xs}.",
    "Which number is greatest: {xs}?",
], validation=["Of {xs}, which is highest?", "Which of {xs} is the biggest?"],
    test=["Pick the largest value from {xs}.", "Among {xs}, what is the top value?"],
    rephrased=["Out of {xs}, tell me which one is the greatest.", "Which value tops the list {xs}?"])
SMALLEST = Templates("ordering.min", train=[
    "Which is the smallest of {xs}?", "What is the lowest number among {xs}?", "Find the minimum of {xs}.",
    "Which number is least: {xs}?",
], validation=["Of {xs}, which is lowest?", "Which of {xs} is the smallest?"],
    test=["Pick the smallest value from {xs}.", "Among {xs}, what is the bottom value?"],
    rephrased=["Out of {xs}, tell me which one is the least.", "Which value sits at the bottom of the list {xs}?"])
ALPHABETICAL = Templates("ordering.alphabetical", train=[
    "Put these towns in alphabetical order: {xs}.", "Sort alphabetically: {xs}.", "Arrange {xs} from A to Z.",
    "Order these names alphabetically: {xs}.",
], validation=["Alphabetise the following towns: {xs}.", "List {xs} in A to Z order."],
    test=["Which order do {xs} take in a dictionary?", "Rearrange {xs} alphabetically."],
    rephrased=["Could you set {xs} in the order a phone book would use?",
        "Arrange the town names {xs} the way an index lists them."])
ORDERING_GOLDS = {
    "ascending": ["{list}", "{list}.", "Sorted: {list}.", "From smallest to largest: {list}.", "{chain}"],
    "descending": ["{list}", "{list}.", "Sorted: {list}.", "From largest to smallest: {list}.", "{chain}"],
    "max": ["{m}", "The largest is {m}.", "{m} is the largest."],
    "min": ["{m}", "The smallest is {m}.", "{m} is the smallest."],
    "alphabetical": ["{list}", "{list}.", "In alphabetical order: {list}."],
}


def _listing(rng: Random, xs: list) -> str:
    xs = [str(x) for x in xs]
    return ", ".join(xs) if rng.random() < 0.5 else ", ".join(xs[:-1]) + " and " + xs[-1]


def _swap_neighbours(rng: Random, xs: list) -> list:
    i = rng.randrange(len(xs) - 1)
    return xs[:i] + [xs[i + 1], xs[i]] + xs[i + 2:]


def _ordering_golds(task: str, answer: list) -> list[str]:
    sep = " < " if task == "ascending" else " > "
    return [fill(g, list=", ".join(map(str, answer)), chain=sep.join(map(str, answer))) for g in ORDERING_GOLDS[task]]


def ordering(rng: Random, split: str) -> Item:
    task = rng.choice(("ascending", "descending", "max", "min", "alphabetical"))
    templates = {"ascending": SORT_UP, "descending": SORT_DOWN, "max": LARGEST, "min": SMALLEST,
                 "alphabetical": ALPHABETICAL}[task]
    tid, question = templates.pick(rng, split)
    if task == "alphabetical":
        names = rng.sample([t.name for t in world().in_split("towns", split)], rng.randint(3, 4))
        answer = sorted(names)
        return Item([fill(question, xs=_listing(rng, names))], _ordering_golds(task, answer),
                    rng.choice(_ordering_golds(task, _swap_neighbours(rng, answer))),
                    item_meta("ordering", task, [tid], {"check": "names_in_order", "answer": answer}, entities=names))
    while True:
        xs = rng.sample(range(100), rng.randint(3, 5))
        key = "set:" + ",".join(map(str, sorted(xs)))
        if split_of_key(key) == split:
            break
    prompt = fill(question, xs=_listing(rng, xs))
    if task in ("max", "min"):
        m = max(xs) if task == "max" else min(xs)
        other = rng.choice([x for x in xs if x != m])
        golds = [fill(g, m=m) for g in ORDERING_GOLDS[task]]
        return Item([prompt], golds, fill(rng.choice(ORDERING_GOLDS[task]), m=other),
                    item_meta("ordering", task, [tid], {"check": "number", "answer": m}, key=key))
    answer = sorted(xs, reverse=task == "descending")
    wrong = rng.choice(_ordering_golds(task, _swap_neighbours(rng, answer)))
    return Item([prompt], _ordering_golds(task, answer), wrong,
                item_meta("ordering", task, [tid], {"check": "numbers", "answer": answer}, key=key))


# --- facts -----------------------------------------------------------------------------------------------------

FACT_QUESTIONS = {
    "country": Templates("facts.country", train=[
        "Which country is {t} in?", "In what country is {t}?", "{t} is a town in which country?",
        "Where is {t}? Name the country.", "Tell me the country of {t}.", "What country is {t} located in?",
    ], validation=["Which nation does {t} belong to?", "{t} is part of what country?"],
        test=["What country would I be in if I visited {t}?", "Do you know the country that {t} is in?"],
    rephrased=["In which nation would I find the town of {t}?",
        "I am planning a trip to {t}. What country will I be in?", "Could you tell me which country {t} belongs to?"]),
    "river": Templates("facts.river", train=[
        "Which river flows through {t}?", "What river runs through {t}?", "Name the river of {t}.",
        "{t} lies on which river?", "On what river is {t}?", "Which river is {t} on?",
    ], validation=["Which river passes through {t}?", "Name the river that {t} lies on."],
        test=["If I stood by the water in {t}, which river would it be?", "Do you know the river that runs past {t}?"],
    rephrased=["What is the name of the river at {t}?", "I am standing on a bridge in {t}. Which river is below me?",
        "Could you tell me which river {t} sits on?"]),
    "founder": Templates("facts.founder", train=[
        "Who founded {t}?", "Who was the founder of {t}?", "Name the founder of {t}.", "{t} was founded by whom?",
        "Which person founded {t}?", "Who built the first houses of {t}?",
    ], validation=["Who is credited with founding {t}?", "Which person started {t}?"],
        test=["Tell me who established {t}.", "Do you know who founded the town of {t}?"],
    rephrased=["Whose idea was it to found {t}?", "Who laid the foundations of {t}?",
        "Could you tell me the name of the person who founded {t}?"]),
    "population": Templates("facts.population", train=[
        "How many people live in {t}?", "What is the population of {t}?", "How big is {t} by population?",
        "Roughly how many inhabitants does {t} have?", "How many residents live in {t}?",
    ], validation=["About how many residents does {t} have?", "What is the head count of {t}?"],
        test=["What number of people call {t} home?", "Do you know how many people live in {t}?"],
    rephrased=["What is the number of inhabitants of {t}?", "Could you give me the population figure for {t}?",
        "How populous is {t}, in people?"]),
}
FACT_GOLDS = {
    "country": ["{c}", "{c}.", "{t} is in {c}.", "It is in {c}.", "{t} is a town in {c}."],
    "river": ["{r}", "The {r}.", "The {r} flows through {t}.", "{t} lies on the {r}.", "It is on the {r}."],
    "founder": ["{f}", "{f}.", "{t} was founded by {f}.", "It was founded by {f}.", "The founder was {f}."],
    "population": ["About {p} thousand.", "About {p} thousand people live in {t}.", "Roughly {p} thousand people.",
                   "{t} has about {p} thousand inhabitants.", "About {P} people."],
}
TOWNS_QUESTIONS = {
    "country": Templates("facts.towns_in_country", train=[
        "Name {some} in {x}.", "Give me {some} in {x}.", "Can you name {some} located in {x}?",
        "List {some} in the country of {x}.", "Which towns are in {x}? Name {k}.",
    ], validation=["Mention {some} from {x}."], test=["Tell me {some} you know of in {x}."],
    rephrased=["Could you come up with {some} that {x} contains?", "Point me to {some} that lie inside {x}."]),
    "river": Templates("facts.towns_on_river", train=[
        "Name {some} on the {x}.", "Give me {some} that the {x} flows through.",
        "Can you name {some} on the river {x}?", "List {some} by the {x}.", "Which towns lie on the {x}? Name {k}.",
    ], validation=["Mention {some} along the {x}."], test=["Tell me {some} the {x} passes through."],
    rephrased=["Could you come up with {some} standing on the {x}?", "I need {some} along the banks of the {x}."]),
}
TOWNS_GOLDS = {
    1: ["{t1}", "{t1}.", "{t1} is a town {where}.", "One town {where} is {t1}."],
    2: ["{t1} and {t2}", "{t1}, {t2}", "{t1} and {t2} are both {where}.", "Two towns {where}: {t1} and {t2}."],
}


def fact_values(town: Town) -> dict:
    return {"t": town.name, "c": town.country, "r": town.river, "f": town.founder, "p": town.population // 1000,
            "P": town.population}


def fact_check(attribute: str, town: Town) -> dict:
    if attribute == "population":
        return {"check": "population", "answer": town.population}
    return {"check": "entity", "kind": attribute, "answer": getattr(town, attribute)}


def fact_golds(attribute: str, town: Town) -> list[str]:
    return [fill(g, **fact_values(town)) for g in FACT_GOLDS[attribute]]


def other_value(rng: Random, attribute: str, town: Town) -> str | int:
    """Another country / river / founder than the town's, or a population a few thousand off."""
    if attribute == "population":
        thousands = town.population // 1000
        step = rng.choice((1, 2, 5))
        return (thousands + step if thousands <= step or rng.random() < 0.5 else thousands - step) * 1000
    pool = {"country": world().countries, "river": world().rivers, "founder": world().founders}[attribute]
    value = getattr(town, attribute)
    while (other := rng.choice(pool)) == value:
        pass
    return other


def fact_wrong(rng: Random, attribute: str, town: Town) -> str:
    """A gold phrasing stating a wrong value."""
    wrong_town = replace(town, **{attribute: other_value(rng, attribute, town)})
    return fill(rng.choice(FACT_GOLDS[attribute]), **fact_values(wrong_town))


def draw_town(rng: Random, split: str) -> Town:
    return rng.choice(world().in_split("towns", split))


def _towns_item(rng: Random, split: str, attribute: str) -> Item:
    candidates = world().towns_by(attribute, split)
    count = rng.choice((1, 2))
    if not any(len(names) >= count for names in candidates.values()):
        count = 1
    subject = rng.choice(sorted(s for s, names in candidates.items() if len(names) >= count))
    matching = candidates[subject]
    where = f"in {subject}" if attribute == "country" else f"on the {subject}"
    tid, question = TOWNS_QUESTIONS[attribute].pick(rng, split)
    prompt = fill(question, some="a town" if count == 1 else "two towns", k="one" if count == 1 else "two", x=subject)
    golds = []
    for g in TOWNS_GOLDS[count]:
        t1, t2 = rng.sample(matching, 2) if count == 2 else (rng.choice(matching), None)
        golds.append(fill(g, t1=t1, t2=t2, where=where))
    outsider = draw_town(rng, split)
    while getattr(outsider, attribute) == subject:
        outsider = draw_town(rng, split)
    wrong = fill(rng.choice(TOWNS_GOLDS[count]), t1=outsider.name, t2=rng.choice(matching), where=where)
    check = {"check": "towns", "where": {attribute: subject}, "count": count}
    task = "towns_in_country" if attribute == "country" else "towns_on_river"
    return Item([prompt], golds, wrong, item_meta("facts", task, [tid], check, entities=[subject]))


def facts(rng: Random, split: str) -> Item:
    task = rng.choice(("country", "river", "founder", "population") * 2 + ("towns_in_country", "towns_on_river"))
    if task.startswith("towns") and not world().towns_by("country" if task == "towns_in_country" else "river", split):
        task = rng.choice(("country", "river", "founder", "population"))  # a small world: no such town in the split
    if task.startswith("towns"):
        return _towns_item(rng, split, "country" if task == "towns_in_country" else "river")
    town = draw_town(rng, split)
    tid, question = FACT_QUESTIONS[task].pick(rng, split)
    return Item([fill(question, t=town.name)], fact_golds(task, town), fact_wrong(rng, task, town),
                item_meta("facts", task, [tid], fact_check(task, town), entities=[town.name]))


# --- units -----------------------------------------------------------------------------------------------------

# (from singular, from plural, to plural, factor)
CONVERSIONS = [
    ("kilometre", "kilometres", "metres", 1000), ("metre", "metres", "centimetres", 100),
    ("kilogram", "kilograms", "grams", 1000), ("litre", "litres", "millilitres", 1000),
    ("hour", "hours", "minutes", 60), ("minute", "minutes", "seconds", 60), ("day", "days", "hours", 24),
    ("week", "weeks", "days", 7),
]
UNITS = Templates("units.convert", train=[
    "How many {to} are in {v} {from}?", "Convert {v} {from} to {to}.", "What is {v} {from} in {to}?",
    "{v} {from} is how many {to}?", "Express {v} {from} in {to}.", "How many {to} make {v} {from}?",
], validation=["If I have {v} {from}, how many {to} is that?", "Change {v} {from} to {to}."],
    test=["Turn {v} {from} into {to}.", "What does {v} {from} come to in {to}?"],
    rephrased=["I have {v} {from}. Expressed in {to}, what is that?",
        "Could you work out how many {to} there are in {v} {from}?", "Rewrite {v} {from} as a number of {to}."])
UNITS_GOLDS = ["{r}", "{r} {to}.", "{v} {from} is {r} {to}.", "That is {r} {to}.", "It comes to {r} {to}."]


def units(rng: Random, split: str) -> Item:
    while True:
        one, many, to, factor = rng.choice(CONVERSIONS)
        v = rng.randint(1, 99)
        key = f"convert:{many}:{to}:{v}"
        if split_of_key(key) == split:
            break
    values = {"v": v, "from": one if v == 1 else many, "to": to, "r": v * factor}
    tid, question = UNITS.pick(rng, split)
    if rng.random() < 0.5:
        wrong_result = (v + rng.choice((-1, 1))) * factor  # one unit off
    else:
        wrong_result = v * rng.choice([f for *_, f in CONVERSIONS if f != factor])  # the wrong factor
    return Item([fill(question, **values)], [fill(g, **values) for g in UNITS_GOLDS],
                fill(rng.choice(UNITS_GOLDS), **{**values, "r": wrong_result}),
                item_meta("units", f"{many}_to_{to}", [tid], {"check": "number", "answer": v * factor}, key=key))


# --- format ----------------------------------------------------------------------------------------------------

JSON_FORMAT = Templates("format.json", train=[
    '{q} Reply in JSON with the key "answer".', 'Answer in JSON, using the key "answer": {q}',
    '{q} Respond only with a JSON object like {"answer": ...}.', '{q} Give the result as JSON: {"answer": ...}',
], validation=['{q} Format your reply as JSON with an "answer" field.'],
    test=['Give your answer as a JSON object with the key "answer". {q}'],
    rephrased=['{q} Return a JSON object whose only key is "answer".',
        'Wrap your reply in JSON under the key "answer": {q}'])
CAPITALS_FORMAT = Templates("format.capitals", train=[
    "{q} Answer in capital letters.", "Reply in all caps: {q}", "{q} Write your answer in uppercase.",
    "{q} Use capital letters only.",
], validation=["{q} Only capital letters, please."], test=["Using nothing but upper case letters, answer this: {q}"],
    rephrased=["{q} Please type the reply in block capitals.", "Every letter of your answer must be upper case. {q}"])
WORDS_FORMAT = Templates("format.words", train=[
    "{q} Answer in exactly {k} words.", "In exactly {k} words: {q}", "{q} Use exactly {k} words.",
    "{q} Reply with {k} words, no more and no fewer.",
], validation=["{q} Your reply must be {k} words long."], test=["Respond with precisely {k} words. {q}"],
    rephrased=["{q} Keep the answer to a length of {k} words exactly.",
        "Your answer should contain {k} words in total. {q}"])
# answers to "which country is {t} in?" with exactly k words
WORDS_GOLDS = {
    1: ["{c}", "{c}."], 2: ["In {c}.", "{c}, definitely."], 3: ["It is {c}.", "Located in {c}."],
    4: ["It is in {c}.", "{t} is in {c}."], 5: ["{t} is located in {c}.", "The town is in {c}."],
}


def _json_answers(value) -> list[str]:
    return [json.dumps({"answer": value}), json.dumps({"answer": value}, separators=(",", ":")),
            "{ " + json.dumps("answer") + ": " + json.dumps(value) + " }"]


def _fact_base(rng: Random, split: str, attribute: str) -> tuple[Town, str, str]:
    town = draw_town(rng, split)
    tid, question = FACT_QUESTIONS[attribute].pick(rng, split)
    return town, tid, fill(question, t=town.name)


def _json_item(rng: Random, split: str) -> Item:
    tid, template = JSON_FORMAT.pick(rng, split)
    if rng.random() < 0.3:
        s = draw_sum(rng, split)
        base_tid, question = sum_question(rng, split, s)
        answer, other, plain = s.result, _near_number(rng, s.result), rng.choice(sum_golds(s))
        inner, provenance = {"check": "number", "answer": s.result}, {"key": s.key}
    else:
        attribute = rng.choice(("country", "river", "founder"))
        town, base_tid, question = _fact_base(rng, split, attribute)
        answer, other = getattr(town, attribute), other_value(rng, attribute, town)
        plain = rng.choice(fact_golds(attribute, town))
        inner, provenance = fact_check(attribute, town), {"entities": [town.name]}
    wrong = plain if rng.random() < 0.5 else rng.choice(_json_answers(other))  # not JSON, or JSON with a wrong value
    check = {"check": "json", "field": "answer", "inner": inner}
    return Item([fill(template, q=question)], _json_answers(answer), wrong,
                item_meta("format", "json", [base_tid, tid], check, **provenance))


def _capitals_item(rng: Random, split: str) -> Item:
    attribute = rng.choice(("country", "river"))
    town, base_tid, question = _fact_base(rng, split, attribute)
    tid, template = CAPITALS_FORMAT.pick(rng, split)
    if rng.random() < 0.5:
        wrong = rng.choice(fact_golds(attribute, town))  # right content, not in capitals
    else:
        wrong = fact_wrong(rng, attribute, town).upper()
    check = {"check": "capitals", "inner": fact_check(attribute, town)}
    return Item([fill(template, q=question)], [g.upper() for g in fact_golds(attribute, town)], wrong,
                item_meta("format", "capitals", [base_tid, tid], check, entities=[town.name]))


def _words_item(rng: Random, split: str) -> Item:
    town, base_tid, question = _fact_base(rng, split, "country")
    tid, template = WORDS_FORMAT.pick(rng, split)
    k = rng.randint(1, 5)
    other_k = rng.choice([j for j in WORDS_GOLDS if j != k])
    v = fact_values(town)
    check = {"check": "word_count", "words": k, "inner": fact_check("country", town)}
    return Item([fill(template, q=question, k=k)], [fill(g, **v) for g in WORDS_GOLDS[k]],
                fill(rng.choice(WORDS_GOLDS[other_k]), **v),
                item_meta("format", "words", [base_tid, tid], check, entities=[town.name]))


def format_following(rng: Random, split: str) -> Item:
    return rng.choice((_json_item, _capitals_item, _words_item))(rng, split)


# --- multi-turn follow-ups (verified on the last turn) ----------------------------------------------------------

DOUBLE = Templates("multiturn.double", train=[
    "Now double it.", "Multiply that by 2.", "What is twice that?", "And double that?", "Double the result.",
], validation=["Now make it two times as big."], test=["Take that result and double it."],
    rephrased=["Now multiply the previous answer by two.", "What do you get if that number is doubled?"])
ADD_MORE = Templates("multiturn.add", train=[
    "Now add {k}.", "Add {k} to that.", "And plus {k}?", "What if you add {k} more?", "Add {k} to the result.",
], validation=["Increase that by {k}."], test=["Put {k} on top of that result."],
    rephrased=["Now increase the previous answer by {k}.", "What do you get if {k} is added to that number?"])
FOLLOW_FACT = {
    "river": Templates("multiturn.river", train=[
        "And its river?", "Which river flows through it?", "What river is it on?", "And which river runs through it?",
    ], validation=["And the river there?"], test=["Which river would I find in that town?"],
    rephrased=["Which river runs by that place?", "And what is the name of its river?"]),
    "founder": Templates("multiturn.founder", train=[
        "And who founded it?", "Who was its founder?", "Who founded that town?", "And its founder?",
    ], validation=["Who started that town?"], test=["Tell me who established it."],
    rephrased=["And who was the person behind its founding?", "Whose name is linked to founding that place?"]),
    "population": Templates("multiturn.population", train=[
        "And how many people live there?", "What is its population?", "How many people live in it?",
        "And its population?",
    ], validation=["How many residents does it have?"], test=["About how many inhabitants does that town have?"],
    rephrased=["And how many inhabitants does that place count?", "What is the number of people living there?"]),
}
FOLLOW_CAPS = Templates("multiturn.capitals", train=[
    "Now write that in capital letters.", "Now in uppercase, please.", "Make that all caps.",
    "Write it again in capitals.",
], validation=["Same word, but in upper case."], test=["Repeat that answer using only capital letters."],
    rephrased=["Give me the same answer in block letters.", "Now rewrite that answer with every letter capitalised."])
FOLLOW_SUM_GOLDS = ["{r}", "That makes {r}.", "Now it is {r}.", "The result is {r}."]


def _follow_sum(rng: Random, split: str) -> Item:
    s = draw_sum(rng, split)
    tid1, q1 = sum_question(rng, split, s)
    if rng.random() < 0.5:
        task, result = "double", 2 * s.result
        tid2, q2 = DOUBLE.pick(rng, split)
    else:
        k = rng.randint(1, 9)
        task, result = "add_more", s.result + k
        tid2, q2 = ADD_MORE.pick(rng, split)
        q2 = fill(q2, k=k)
    golds = [fill(g, r=result) for g in FOLLOW_SUM_GOLDS]
    wrong = fill(rng.choice(FOLLOW_SUM_GOLDS), r=_near_number(rng, result))
    return Item([q1, rng.choice(sum_golds(s)), q2], golds, wrong,
                item_meta("multiturn", task, [tid1, tid2], {"check": "number", "answer": result}, key=s.key))


def _follow_fact(rng: Random, split: str) -> Item:
    town = draw_town(rng, split)
    attribute = rng.choice(("river", "founder", "population"))
    tid1, q1 = FACT_QUESTIONS["country"].pick(rng, split)
    tid2, q2 = FOLLOW_FACT[attribute].pick(rng, split)
    return Item([fill(q1, t=town.name), rng.choice(fact_golds("country", town)), q2], fact_golds(attribute, town),
                fact_wrong(rng, attribute, town),
                item_meta("multiturn", f"then_{attribute}", [tid1, tid2], fact_check(attribute, town),
                          entities=[town.name]))


def _follow_caps(rng: Random, split: str) -> Item:
    word = rng.choice(world().in_split("words", split))
    v = string_values(word)
    tid1, q1 = REVERSE.pick(rng, split)
    tid2, q2 = FOLLOW_CAPS.pick(rng, split)
    i = rng.randrange(len(word))
    near = v["R"][:i] + v["R"][i].lower() + v["R"][i + 1:]
    return Item([fill(q1, w=word), rng.choice([fill(g, **v) for g in STRING_GOLDS["reverse"]]), q2],
                [fill(g, **v) for g in CAPS_GOLDS], fill(rng.choice(CAPS_GOLDS), R=near),
                item_meta("multiturn", "then_capitals", [tid1, tid2],
                          {"check": "word", "answer": v["R"], "case_sensitive": True}, entities=[word]))


def multiturn(rng: Random, split: str) -> Item:
    return rng.choice((_follow_sum, _follow_fact, _follow_caps))(rng, split)


SKILLS = {"arithmetic": arithmetic, "string": string, "ordering": ordering, "facts": facts, "units": units,
          "format": format_following, "multiturn": multiturn}
