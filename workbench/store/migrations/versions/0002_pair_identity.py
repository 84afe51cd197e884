"""Identity by content: a response is its prompt and messages, a pair its two responses in either order.

Adds `responses.lineage`, `pairs.key` (unique), `pairs.lineage` and `pairs.priority`, then rewrites the data of a 0001
store: each response gets its content key (0001 keyed it by model, stage and the importing file's name too), and
responses with equal content merge into the oldest; each pair gets its key, and pairs with the same key (the same
rows imported under another file name, or with chosen and rejected swapped) merge into the oldest, which takes over
their comparisons. Where one rater had rated two merged copies, the newer comparison is kept (a second rating
replaces the first). Lineage (model, stage, settings, run; the pair's source files) is kept from every copy.

Revision ID: 0002
Revises: 0001
"""

import hashlib
import json

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _digest(obj) -> str:  # as workbench.store.ratings._digest (a migration keeps its own copy: it must not change)
    return hashlib.sha256(json.dumps(obj, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _json(value):
    return json.loads(value) if isinstance(value, str) else value


def upgrade() -> None:
    op.add_column("responses", sa.Column("lineage", sa.JSON))
    op.add_column("pairs", sa.Column("key", sa.String(64)))
    op.add_column("pairs", sa.Column("lineage", sa.JSON))
    op.add_column("pairs", sa.Column("priority", sa.Float))
    _merge_by_content(op.get_bind())
    op.create_index("ix_pairs_key", "pairs", ["key"], unique=True)


def _merge_by_content(bind) -> None:
    meta = sa.MetaData()
    prompts, responses, pairs, comparisons = (sa.Table(name, meta, autoload_with=bind)
                                              for name in ("prompts", "responses", "pairs", "comparisons"))
    prompt_keys = dict(bind.execute(sa.select(prompts.c.id, prompts.c.key)).all())

    # Responses: content key; equal content merges into the oldest (lowest id).
    keep_response, response_key, response_lineage = {}, {}, {}
    canonical_by_key = {}
    for r in bind.execute(sa.select(responses).order_by(responses.c.id)).mappings():
        key = _digest([prompt_keys[r["prompt_id"]], _json(r["messages"])])
        entry = {"model": r["model"], "stage": r["stage"], "settings": _json(r["settings"]) or {}, "run_id": r["run_id"]}
        canonical = canonical_by_key.setdefault(key, r["id"])
        keep_response[r["id"]] = canonical
        response_key[canonical] = key
        lineage = response_lineage.setdefault(canonical, [])
        if entry not in lineage:
            lineage.append(entry)

    # Pairs: key of the two (merged) responses; equal keys merge into the oldest.
    keep_pair, pair_rows, pair_lineage, canonical_pair = {}, {}, {}, {}
    for p in bind.execute(sa.select(pairs).order_by(pairs.c.id)).mappings():
        first, second = keep_response[p["first_id"]], keep_response[p["second_id"]]
        key = _digest(sorted([response_key[first], response_key[second]]))
        canonical = canonical_pair.setdefault(key, p["id"])
        keep_pair[p["id"]] = canonical
        if canonical == p["id"]:
            pair_rows[canonical] = (key, first, second)
        lineage = pair_lineage.setdefault(canonical, [])
        if {"source": p["source"]} not in lineage:
            lineage.append({"source": p["source"]})

    # Comparisons: onto the kept pair and responses; one per (pair, rater), the newest.
    newest = {}
    rows = bind.execute(sa.select(comparisons).order_by(comparisons.c.created_at, comparisons.c.id)).mappings().all()
    for c in rows:
        newest[(keep_pair[c["pair_id"]], c["rater"])] = c["id"]
    survivors = set(newest.values())
    for c in rows:
        if c["id"] not in survivors:
            bind.execute(comparisons.delete().where(comparisons.c.id == c["id"]))
    for c in rows:
        if c["id"] in survivors:
            bind.execute(comparisons.update().where(comparisons.c.id == c["id"]).values(
                pair_id=keep_pair[c["pair_id"]], left_id=keep_response[c["left_id"]],
                right_id=keep_response[c["right_id"]]))

    # Drop merged pairs, then re-point and key the kept ones; then the same for responses.
    for old, canonical in keep_pair.items():
        if old != canonical:
            bind.execute(pairs.delete().where(pairs.c.id == old))
    for pair_id, (key, first, second) in pair_rows.items():
        bind.execute(pairs.update().where(pairs.c.id == pair_id).values(
            key=key, first_id=first, second_id=second, lineage=pair_lineage[pair_id]))
    for old, canonical in keep_response.items():
        if old != canonical:
            bind.execute(responses.delete().where(responses.c.id == old))
    for response_id, key in response_key.items():
        bind.execute(responses.update().where(responses.c.id == response_id).values(
            key=key, lineage=response_lineage[response_id]))


def downgrade() -> None:
    """Drops the new columns (merged rows stay merged; 0001's keys are not restored)."""
    op.drop_index("ix_pairs_key", "pairs")
    for table, column in (("pairs", "priority"), ("pairs", "lineage"), ("pairs", "key"), ("responses", "lineage")):
        # Plain ALTER TABLE ... DROP COLUMN (SQLite >= 3.35): a batch copy would drop `pairs`, which comparisons
        # reference, and foreign keys cannot be switched off inside the migration's transaction.
        op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
