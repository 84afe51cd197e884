"""Pair identity by content (issue 22 item 6): the same rows under another file name add nothing, a swapped import
is one more vote on the same pair, and migration 0002 merges the duplicates a 0001 store holds."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import create_engine, func, select, text

from helpers import write_jsonl
from workbench.cli import main
from workbench.store import open_store
from workbench.store.preference_io import import_file, preference_rows
from workbench.store.schema import Comparison, Pair, Response


def preference(path: Path, n: int, swapped: bool = False) -> Path:
    rows = [{"prompt": f"question {i}", "chosen": f"good {i}", "rejected": f"bad {i}"} for i in range(n)]
    if swapped:
        rows = [{**row, "chosen": row["rejected"], "rejected": row["chosen"]} for row in rows]
    return write_jsonl(path, rows)


def count(store, table) -> int:
    with store.reading() as session:
        return session.scalar(select(func.count()).select_from(table))


def test_same_rows_under_another_name_add_nothing_and_a_swap_is_one_more_vote(tmp_path):
    store = open_store(tmp_path / "w.db")
    first = import_file(store, preference(tmp_path / "a.jsonl", 3))
    assert (first.pairs, first.comparisons) == (3, 3)
    again = import_file(store, preference(tmp_path / "b.jsonl", 3))  # the same rows, another file name
    assert (again.pairs, again.comparisons) == (0, 0)
    assert (count(store, Pair), count(store, Response), count(store, Comparison)) == (3, 6, 3)
    with store.reading() as session:
        lineage = session.scalars(select(Pair.lineage)).first()
    assert [entry["source"] for entry in lineage] == [str(tmp_path / "a.jsonl"), str(tmp_path / "b.jsonl")]

    swapped = import_file(store, preference(tmp_path / "c.jsonl", 3, swapped=True))
    assert (swapped.pairs, swapped.comparisons) == (0, 3)  # same pairs, one more vote each
    assert import_file(store, preference(tmp_path / "d.jsonl", 3, swapped=True)).comparisons == 0  # known vote
    with store.reading() as session:
        assert sorted(set(session.scalars(select(Comparison.rater)))) == ["imported", "imported#2"]
    assert preference_rows(store, "majority") == []  # one vote each way: no majority, never both directions
    import_file(store, preference(tmp_path / "e.jsonl", 3, swapped=True), rater="r3")
    majority = preference_rows(store, "majority")
    assert len(majority) == 3 and all(row["chosen"][0]["content"].startswith("bad") for row in majority)
    assert len(preference_rows(store, "each")) == 9
    store.close()


def _digest(obj) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _store_at_0001(path: Path) -> None:
    """A SQLite store at revision 0001 holding what 0001's code wrote for a.jsonl, the same rows as b.jsonl and the
    swapped rows as c.jsonl: three copies of one pair, with votes by two raters (r1 rated two copies)."""
    from alembic import command
    from alembic.config import Config

    from workbench.store.db import _MIGRATIONS

    engine = create_engine(f"sqlite:///{path}")
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
        now = datetime(2026, 1, 1, tzinfo=timezone.utc)
        prompt = [{"role": "user", "content": "question"}]
        good, bad = [{"role": "assistant", "content": "good"}], [{"role": "assistant", "content": "bad"}]
        pkey = _digest(prompt)
        connection.execute(text("INSERT INTO prompts VALUES (1, :k, :m, 'question', 'a.jsonl', '{}', :t)"),
                           dict(k=pkey, m=json.dumps(prompt), t=now))
        rid = 0
        ids = {}
        for file in ("a.jsonl", "b.jsonl", "c.jsonl"):
            for name, messages in (("good", good), ("bad", bad)):
                rid += 1
                ids[file, name] = rid
                connection.execute(text("INSERT INTO responses VALUES (:i, :k, 1, :m, :x, :model, NULL, '{}', NULL, :t)"),
                                   dict(i=rid, k=_digest([pkey, file, None, messages]), m=json.dumps(messages),
                                        x=messages[0]["content"], model=file, t=now))
        for pid, (file, order) in enumerate((("a.jsonl", ("good", "bad")), ("b.jsonl", ("good", "bad")),
                                              ("c.jsonl", ("bad", "good"))), start=1):
            connection.execute(text("INSERT INTO pairs VALUES (:i, 1, :f, :s, :src, :t)"),
                               dict(i=pid, f=ids[file, order[0]], s=ids[file, order[1]], src=file, t=now))
        votes = [(1, "r1", "a.jsonl", "good", "2026-01-01"), (2, "r1", "b.jsonl", "good", "2026-01-03"),
                 (3, "r2", "c.jsonl", "bad", "2026-01-02")]
        for cid, (pid, rater, file, chosen, day) in enumerate(votes, start=1):
            other = "bad" if chosen == "good" else "good"
            connection.execute(text("INSERT INTO comparisons VALUES (:i, :p, :r, :l, :rr, 'A', 0, 0, '', :t)"),
                               dict(i=cid, p=pid, r=rater, l=ids[file, chosen], rr=ids[file, other], t=day))
    engine.dispose()


def test_migration_0002_merges_the_duplicate_pairs_of_a_0001_store(tmp_path):
    _store_at_0001(tmp_path / "old.db")
    store = open_store(tmp_path / "old.db")  # upgrades to the newest revision
    with store.reading() as session:
        pairs = session.scalars(select(Pair)).all()
        responses = session.scalars(select(Response)).all()
        comparisons = session.scalars(select(Comparison).order_by(Comparison.rater)).all()
    assert len(pairs) == 1 and len(responses) == 2
    assert [entry["source"] for entry in pairs[0].lineage] == ["a.jsonl", "b.jsonl", "c.jsonl"]
    assert {entry["model"] for r in responses for entry in r.lineage} == {"a.jsonl", "b.jsonl", "c.jsonl"}
    assert [(c.rater, c.pair_id) for c in comparisons] == [("r1", pairs[0].id), ("r2", pairs[0].id)]
    assert {c.left_id for c in comparisons} | {c.right_id for c in comparisons} == {r.id for r in responses}
    # The store works as a new one does: the same rows again add nothing.
    result = import_file(store, write_jsonl(tmp_path / "z.jsonl", [{"prompt": "question", "chosen": "good",
                                                                    "rejected": "bad"}]), rater="r1")
    assert (result.pairs, result.comparisons) == (0, 0)
    store.close()
    # Downgrading keeps the data (merged) and the store upgrades again.
    from alembic import command
    from alembic.config import Config

    from workbench.store.db import _MIGRATIONS

    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    engine = create_engine(f"sqlite:///{tmp_path / 'old.db'}")
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0001")
        assert connection.execute(text("SELECT count(*) FROM comparisons")).scalar() == 2
    engine.dispose()
    store = open_store(tmp_path / "old.db")
    assert count(store, Pair) == 1 and count(store, Comparison) == 2
    store.close()


def test_cli_import_of_the_same_file_twice_reports_no_new_pairs(tmp_path, capsys):
    db = str(tmp_path / "w.db")
    preference(tmp_path / "a.jsonl", 2)
    assert main(["ratings", "import", str(tmp_path / "a.jsonl"), "--db", db]) == 0
    (tmp_path / "copy.jsonl").write_text((tmp_path / "a.jsonl").read_text())
    assert main(["ratings", "import", str(tmp_path / "copy.jsonl"), "--db", db]) == 0
    assert "0 new pairs, 0 comparisons" in capsys.readouterr().out


def test_a_store_that_does_not_exist_yet_fingerprints_like_an_empty_one(tmp_path):
    """A reward or filter stage that ran before the store existed is not stale once a `pairs` stage creates it."""
    from workbench.preference import store_ratings
    from workbench.stages.filter import Config as FilterConfig

    locate = lambda name: tmp_path / name  # noqa: E731
    overrides = FilterConfig(kind="filter", data="x.jsonl", store="w.db").external_inputs(locate)
    missing = store_ratings("w.db", locate)[:2]
    open_store(tmp_path / "w.db").close()
    assert store_ratings("w.db", locate)[:2] == missing and missing[0] == 0
    assert FilterConfig(kind="filter", data="x.jsonl", store="w.db").external_inputs(locate) == overrides
