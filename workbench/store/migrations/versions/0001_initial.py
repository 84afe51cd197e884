"""The first schema: runs, prompts, responses, pairs, comparisons, filter decisions and overrides.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "runs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("path", sa.String(1000), nullable=False, unique=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "prompts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("key", sa.String(64), nullable=False, unique=True),
        sa.Column("messages", sa.JSON, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("source", sa.String(1000), nullable=False),
        sa.Column("meta", sa.JSON, nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "responses",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("key", sa.String(64), nullable=False, unique=True),
        sa.Column("prompt_id", sa.Integer, sa.ForeignKey("prompts.id"), nullable=False, index=True),
        sa.Column("messages", sa.JSON, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("model", sa.String(200), nullable=False),
        sa.Column("stage", sa.String(200)),
        sa.Column("settings", sa.JSON, nullable=False),
        sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id")),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "pairs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("prompt_id", sa.Integer, sa.ForeignKey("prompts.id"), nullable=False, index=True),
        sa.Column("first_id", sa.Integer, sa.ForeignKey("responses.id"), nullable=False),
        sa.Column("second_id", sa.Integer, sa.ForeignKey("responses.id"), nullable=False),
        sa.Column("source", sa.String(1000), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("first_id", "second_id"),
    )
    op.create_table(
        "comparisons",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("pair_id", sa.Integer, sa.ForeignKey("pairs.id"), nullable=False, index=True),
        sa.Column("rater", sa.String(200), nullable=False, index=True),
        sa.Column("left_id", sa.Integer, sa.ForeignKey("responses.id"), nullable=False),
        sa.Column("right_id", sa.Integer, sa.ForeignKey("responses.id"), nullable=False),
        sa.Column("choice", sa.String(10), nullable=False),
        sa.Column("unsafe_left", sa.Boolean, nullable=False),
        sa.Column("unsafe_right", sa.Boolean, nullable=False),
        sa.Column("comment", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("pair_id", "rater"),
        sa.CheckConstraint("choice IN ('A', 'B', 'tie', 'both_bad')", name="choice_known"),
    )
    op.create_table(
        "filter_decisions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("source", sa.String(1000), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("key", sa.String(64), nullable=False, index=True),
        sa.Column("action", sa.String(10), nullable=False),
        sa.Column("rule", sa.String(200)),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("spans", sa.JSON, nullable=False),
        sa.Column("record", sa.JSON, nullable=False),
        sa.UniqueConstraint("source", "position"),
    )
    op.create_table(
        "filter_overrides",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("key", sa.String(64), nullable=False, index=True),
        sa.Column("action", sa.String(10), nullable=False),
        sa.Column("who", sa.String(200), nullable=False),
        sa.Column("why", sa.Text, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("action IN ('keep', 'drop')", name="override_action_known"),
    )


def downgrade() -> None:
    for table in ("filter_overrides", "filter_decisions", "comparisons", "pairs", "responses", "prompts", "runs"):
        op.drop_table(table)
