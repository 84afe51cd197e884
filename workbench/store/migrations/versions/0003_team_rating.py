"""Team rating: store-wide settings (overlap, guidelines), rater login tokens, gold answers.

Revision ID: 0003
Revises: 0001 (rechained onto 0002 when merged)
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "settings",
        sa.Column("name", sa.String(100), primary_key=True),
        sa.Column("value", sa.JSON, nullable=False),
    )
    op.create_table(
        "rater_tokens",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
        sa.Column("token_sha256", sa.String(64), nullable=False, unique=True),
        sa.Column("admin", sa.Boolean, nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "gold_answers",
        sa.Column("pair_id", sa.Integer, sa.ForeignKey("pairs.id"), primary_key=True),
        sa.Column("outcome", sa.String(10), nullable=False),
        sa.Column("source", sa.String(1000), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("outcome IN ('first', 'second', 'tie', 'both_bad')", name="gold_outcome_known"),
    )


def downgrade() -> None:
    for table in ("gold_answers", "rater_tokens", "settings"):
        op.drop_table(table)
