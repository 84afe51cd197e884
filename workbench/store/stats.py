"""What the comparisons say: a flat table of them, the choice distribution, per-model win rates, and agreement
between raters.

Agreement is measured on the outcome in the pair's own order (`first`, `second`, `tie`, `both_bad`), since each
rater saw the pair's sides in their own random order. Cohen's kappa for every two raters who share at least two
pairs; Fleiss' kappa over the pairs rated by the most common number (at least two) of raters; Krippendorff's alpha
(nominal) over every pair rated by two or more raters, however many. Per rater: how often they agree with the other
raters of the same pairs, and their accuracy on gold pairs (pairs with a known answer, `gold.py`).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from itertools import combinations

from sqlalchemy import select
from sqlalchemy.orm import aliased

from workbench.store.db import Store
from workbench.store.schema import Comparison, Pair, Prompt, Response

OUTCOMES = ("first", "second", "tie", "both_bad")


def comparison_table(store: Store) -> list[dict]:
    """One dict per comparison: who, when, the prompt, both responses' model/stage/text as shown, the choice, the
    winner's model (None for tie / both bad), flags and comment, and the outcome in the pair's order."""
    left, right = aliased(Response), aliased(Response)
    with store.reading() as session:
        rows = session.execute(
            select(Comparison, Pair, Prompt.text, left, right)
            .join(Pair, Pair.id == Comparison.pair_id).join(Prompt, Prompt.id == Pair.prompt_id)
            .join(left, left.id == Comparison.left_id).join(right, right.id == Comparison.right_id)
            .order_by(Comparison.id)).all()
    table = []
    for c, pair, prompt, l, r in rows:
        winner = {"A": l, "B": r}.get(c.choice)
        table.append({
            "id": c.id, "pair_id": c.pair_id, "rater": c.rater, "created_at": c.created_at, "prompt": prompt,
            "left_model": l.model, "left_stage": l.stage, "left": l.text,
            "right_model": r.model, "right_stage": r.stage, "right": r.text,
            "choice": c.choice, "winner_model": winner.model if winner is not None else None,
            "unsafe_left": c.unsafe_left, "unsafe_right": c.unsafe_right, "comment": c.comment,
            "outcome": _outcome(c.choice, l.id == pair.first_id),
        })
    return table


def _outcome(choice: str, left_is_first: bool) -> str:
    if choice in ("tie", "both_bad"):
        return choice
    return "first" if (choice == "A") == left_is_first else "second"


def choice_distribution(table: list[dict]) -> dict[str, int]:
    counts = Counter(row["choice"] for row in table)
    return {choice: counts.get(choice, 0) for choice in ("A", "B", "tie", "both_bad")}


def win_rates(table: list[dict]) -> list[dict]:
    """Per model (and stage): comparisons, wins, losses, ties, both bad, and win rate = (wins + ties/2) / comparisons,
    counting only comparisons between different models."""
    stats: dict[str, Counter] = defaultdict(Counter)
    for row in table:
        left = _name(row["left_model"], row["left_stage"])
        right = _name(row["right_model"], row["right_stage"])
        if left == right:
            continue
        for me, mine, other in ((left, "A", "B"), (right, "B", "A")):
            s = stats[me]
            s["comparisons"] += 1
            s["wins"] += row["choice"] == mine
            s["losses"] += row["choice"] == other
            s["ties"] += row["choice"] == "tie"
            s["both_bad"] += row["choice"] == "both_bad"
    return [{"model": model, **{k: s[k] for k in ("comparisons", "wins", "losses", "ties", "both_bad")},
             "win_rate": round((s["wins"] + s["ties"] / 2) / s["comparisons"], 4)}
            for model, s in sorted(stats.items(), key=lambda kv: -(kv[1]["wins"] + kv[1]["ties"] / 2) / kv[1]["comparisons"])]


def _name(model: str, stage: str | None) -> str:
    return f"{model} ({stage})" if stage and stage != model else model


def cohens_kappa(a: list[str], b: list[str]) -> float | None:
    """Cohen's kappa of two raters' labels on the same items; None when chance agreement is total."""
    n = len(a)
    observed = sum(x == y for x, y in zip(a, b)) / n
    ca, cb = Counter(a), Counter(b)
    expected = sum(ca[k] * cb[k] for k in ca) / (n * n)
    return None if expected == 1 else (observed - expected) / (1 - expected)


def fleiss_kappa(items: list[list[str]]) -> float | None:
    """Fleiss' kappa for items each rated by the same number (>= 2) of raters; None when it is undefined."""
    n = len(items[0])
    totals = Counter(label for item in items for label in item)
    p = {k: v / (len(items) * n) for k, v in totals.items()}
    agreement = [(sum(c * c for c in Counter(item).values()) - n) / (n * (n - 1)) for item in items]
    observed, expected = sum(agreement) / len(items), sum(v * v for v in p.values())
    return None if expected == 1 else (observed - expected) / (1 - expected)


def agreement(table: list[dict]) -> dict:
    """`{"cohen": [{"raters": (a, b), "shared": n, "kappa": k}], "fleiss": {"raters_per_pair": n, "pairs": m,
    "kappa": k} or None, "krippendorff": {"pairs": m, "alpha": a} or None}` from the outcomes of pairs rated by more than one rater."""
    by_pair: dict[int, dict[str, str]] = defaultdict(dict)
    for row in table:
        by_pair[row["pair_id"]][row["rater"]] = row["outcome"]
    raters = sorted({row["rater"] for row in table})
    cohen = []
    for a, b in combinations(raters, 2):
        shared = [p for p, votes in by_pair.items() if a in votes and b in votes]
        if len(shared) >= 2:
            kappa = cohens_kappa([by_pair[p][a] for p in shared], [by_pair[p][b] for p in shared])
            cohen.append({"raters": (a, b), "shared": len(shared), "kappa": kappa})
    sizes = Counter(len(votes) for votes in by_pair.values() if len(votes) >= 2)
    fleiss = None
    if sizes:
        size = sizes.most_common(1)[0][0]
        items = [list(votes.values()) for votes in by_pair.values() if len(votes) == size]
        fleiss = {"raters_per_pair": size, "pairs": len(items), "kappa": fleiss_kappa(items)}
    alpha = krippendorff_alpha([list(votes.values()) for votes in by_pair.values()])
    shared = sum(len(votes) >= 2 for votes in by_pair.values())
    return {"cohen": cohen, "fleiss": fleiss, "krippendorff": {"pairs": shared, "alpha": alpha} if shared else None}


def krippendorff_alpha(items: list[list[str]]) -> float | None:
    """Krippendorff's alpha for nominal labels; each item lists the labels it got (any number; items with fewer
    than two are ignored). None when it is undefined (no item with two labels, or a single label used)."""
    items = [item for item in items if len(item) >= 2]
    coincidences: Counter = Counter()  # (c, k) -> weight, the coincidence matrix
    for item in items:
        counts, m = Counter(item), len(item)
        for c in counts:
            for k in counts:
                coincidences[c, k] += counts[c] * (counts[k] - (c == k)) / (m - 1)
    n = sum(coincidences.values())
    totals = Counter()
    for (c, _), weight in coincidences.items():
        totals[c] += weight
    if n <= 1 or len(totals) < 2:
        return None
    observed = sum(w for (c, k), w in coincidences.items() if c != k) / n
    expected = sum(totals[c] * totals[k] for c in totals for k in totals if c != k) / (n * (n - 1))
    return 1 - observed / expected


def rater_table(table: list[dict], gold: dict[int, str]) -> list[dict]:
    """Per rater: pairs rated, pairs shared with another rater, agreement with the others on those (the fraction of
    (other rater, shared pair) couples with the same outcome), gold pairs rated and accuracy on them."""
    by_pair: dict[int, dict[str, str]] = defaultdict(dict)
    for row in table:
        by_pair[row["pair_id"]][row["rater"]] = row["outcome"]
    rows = []
    for rater in sorted({row["rater"] for row in table}):
        mine = {p: votes[rater] for p, votes in by_pair.items() if rater in votes}
        couples = [(outcome, other) for p, outcome in mine.items() for r, other in by_pair[p].items() if r != rater]
        graded = [outcome == gold[p] for p, outcome in mine.items() if p in gold]
        rows.append({"rater": rater, "pairs": len(mine),
                     "shared": sum(len(by_pair[p]) > 1 for p in mine),
                     "agreement": round(sum(a == b for a, b in couples) / len(couples), 4) if couples else None,
                     "gold_pairs": len(graded),
                     "gold_accuracy": round(sum(graded) / len(graded), 4) if graded else None})
    return rows
