"""Concurrent raters against one SQLite store: no rating may be lost or written twice.

    python -m bench.store_load [--processes 8] [--ratings 200] [--db PATH]

Sets up a store with `--ratings` pairs, then starts `--processes` processes at once (a barrier), each a rater who
rates every pair through `record_comparison` (one write transaction per rating, as the UI does). Afterwards it
counts the rows: expected = processes × ratings; lost = expected (rater, pair) ratings missing from the table;
duplicated = rows beyond one per (rater, pair). Prints those and ratings/s over the concurrent phase.
"""

from __future__ import annotations

import argparse
import multiprocessing
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, select

from workbench.store import open_store
from workbench.store.ratings import add_pair, add_prompt, add_response, record_comparison
from workbench.store.schema import CHOICES, Comparison, Pair


def set_up(db: str, pairs: int) -> list[tuple[int, int, int]]:
    """A fresh store with `pairs` pairs; returns (pair id, first response id, second response id)."""
    store = open_store(db)
    with store.writing() as session:
        for i in range(pairs):
            prompt = add_prompt(session, [{"role": "user", "content": f"question {i}"}], "bench")
            a = add_response(session, prompt, [{"role": "assistant", "content": f"answer {i} from a"}], "model-a")
            b = add_response(session, prompt, [{"role": "assistant", "content": f"answer {i} from b"}], "model-b")
            add_pair(session, prompt, a, b, "bench")
        result = [(p.id, p.first_id, p.second_id) for p in session.scalars(select(Pair).order_by(Pair.id))]
    store.close()
    return result


def rate_all(db: str, rater: str, pairs: list[tuple[int, int, int]], barrier) -> list[int]:
    """One rater's process: open the store, wait for the others, rate every pair once; returns comparison ids."""
    store = open_store(db)
    barrier.wait()
    ids = [record_comparison(store, rater, pair_id, first, second, CHOICES[(pair_id + len(rater)) % len(CHOICES)],
                             comment=f"{rater} on {pair_id}")
           for pair_id, first, second in pairs]
    store.close()
    return ids


def run(db: str, processes: int, ratings: int) -> dict:
    """Run the load and count the rows; returns {"expected", "acknowledged" (ids the writers got back), "rows", "lost", "duplicated", "seconds", "ratings_per_s"}."""
    pairs = set_up(db, ratings)
    context = multiprocessing.get_context("spawn")  # fresh interpreters: nothing of the parent's engine is shared
    barrier = context.Manager().Barrier(processes + 1)
    with context.Pool(processes) as pool:
        jobs = [pool.apply_async(rate_all, (db, f"rater-{i}", pairs, barrier)) for i in range(processes)]
        barrier.wait()
        start = time.perf_counter()
        returned = [job.get() for job in jobs]
        seconds = time.perf_counter() - start
    store = open_store(db)
    with store.reading() as session:
        rows = session.scalar(select(func.count()).select_from(Comparison))
        present = set(session.execute(select(Comparison.rater, Comparison.pair_id)).all())
    store.close()
    expected = {(f"rater-{i}", pair_id) for i in range(processes) for pair_id, _, _ in pairs}
    return {"expected": len(expected), "acknowledged": sum(len(ids) for ids in returned), "rows": rows, "lost": len(expected - present),
            "duplicated": rows - len(present), "seconds": round(seconds, 2),
            "ratings_per_s": round(len(expected) / seconds, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=8)
    parser.add_argument("--ratings", type=int, default=200, help="ratings per process (= pairs in the store)")
    parser.add_argument("--db", help="SQLite file (default: a fresh temporary one)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = args.db or str(Path(tmp) / "load.db")
        result = run(db, args.processes, args.ratings)
    print(f"{args.processes} processes x {args.ratings} ratings into {'SQLite' if not args.db else args.db}: "
          f"rows written {result['rows']} of {result['expected']}, lost {result['lost']}, "
          f"duplicated {result['duplicated']}, {result['ratings_per_s']} ratings/s ({result['seconds']} s)")


if __name__ == "__main__":
    main()
