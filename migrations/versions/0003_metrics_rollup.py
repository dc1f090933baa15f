"""metrics rollup: finished weeks' metrics kept (metrics_week); the helpful-answer index covers its reads;
members by first contribution

Revision ID: 0003_metrics_rollup
Revises: 0002_outbox_relay
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0003_metrics_rollup"
down_revision: str | None = "0002_outbox_relay"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

HELPFUL = sa.text("kind = 'helpful_answer'")


def upgrade() -> None:
    op.create_table(
        "metrics_week",
        sa.Column("community_id", sa.String(length=40), nullable=False),
        sa.Column("week", sa.String(length=8), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("figures", sa.JSON(), nullable=False),
        sa.Column("computed_at", storage.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["community.id"],
            name=op.f("fk_metrics_week_community_id_community"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("community_id", "week", "timezone", name=op.f("pk_metrics_week")),
    )
    op.drop_index("ix_contribution_helpful", table_name="contribution")
    op.create_index(
        "ix_contribution_helpful",
        "contribution",
        ["community_id", "occurred_at", "by_staff", "member_id"],
        unique=False,
        sqlite_where=HELPFUL,
        postgresql_where=HELPFUL,
    )
    op.create_index(
        "ix_member_first_contribution", "member", ["community_id", "first_contribution_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_member_first_contribution", table_name="member")
    op.drop_index("ix_contribution_helpful", table_name="contribution")
    op.create_index(
        "ix_contribution_helpful",
        "contribution",
        ["community_id", "occurred_at"],
        unique=False,
        sqlite_where=HELPFUL,
        postgresql_where=HELPFUL,
    )
    op.drop_table("metrics_week")
