"""recognition: advocacy tiers, role/industry picks for buddies, drift episodes and nudges, challenges

Revision ID: 0004_recognition
Revises: 0003_metrics_rollup
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0004_recognition"
down_revision: str | None = "0003_metrics_rollup"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "member_tier",
        sa.Column("member_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("community_id", sa.String(length=40), nullable=False),
        sa.Column("tier_key", sa.String(length=40), nullable=False),
        sa.Column("since", storage.types.UTCDateTime(), nullable=False),
        sa.Column("at_risk_since", storage.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["community.id"],
            name=op.f("fk_member_tier_community_id_community"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["member.id"], name=op.f("fk_member_tier_member_id_member"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("member_id", name=op.f("pk_member_tier")),
    )
    with op.batch_alter_table("member_tier", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_member_tier_community_id"), ["community_id"], unique=False)
    op.create_table(
        "member_match",
        sa.Column("member_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("field", sa.String(length=16), nullable=False),
        sa.Column("value", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"], ["member.id"], name=op.f("fk_member_match_member_id_member"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("member_id", "field", name=op.f("pk_member_match")),
    )

    op.create_table(
        "member_drift",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("community_id", sa.String(length=40), nullable=False),
        sa.Column("member_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("since", storage.types.UTCDateTime(), nullable=False),
        sa.Column("came_back_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("reach_member_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("reach_via", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["community.id"],
            name=op.f("fk_member_drift_community_id_community"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["member.id"], name=op.f("fk_member_drift_member_id_member"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["reach_member_id"],
            ["member.id"],
            name=op.f("fk_member_drift_reach_member_id_member"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_member_drift")),
    )
    with op.batch_alter_table("member_drift", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_member_drift_community_id"), ["community_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_member_drift_member_id"), ["member_id"], unique=False)
    op.create_table(
        "member_nudge",
        sa.Column("member_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("community_id", sa.String(length=40), nullable=False),
        sa.Column("last_nudged_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("opted_out", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["community.id"],
            name=op.f("fk_member_nudge_community_id_community"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["member.id"], name=op.f("fk_member_nudge_member_id_member"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("member_id", name=op.f("pk_member_nudge")),
    )
    with op.batch_alter_table("member_nudge", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_member_nudge_community_id"), ["community_id"], unique=False)

    op.create_table(
        "challenge",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("community_id", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("starts_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("ends_at", storage.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["community.id"],
            name=op.f("fk_challenge_community_id_community"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_challenge")),
    )
    with op.batch_alter_table("challenge", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_challenge_community_id"), ["community_id"], unique=False)
    op.create_table(
        "challenge_entry",
        sa.Column("challenge_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("member_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("joined_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("submitted_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("completed_at", storage.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["challenge_id"],
            ["challenge.id"],
            name=op.f("fk_challenge_entry_challenge_id_challenge"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["member.id"], name=op.f("fk_challenge_entry_member_id_member"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("challenge_id", "member_id", name=op.f("pk_challenge_entry")),
    )


def downgrade() -> None:
    op.drop_table("challenge_entry")
    with op.batch_alter_table("challenge", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_challenge_community_id"))
    op.drop_table("challenge")
    op.drop_table("member_nudge")
    with op.batch_alter_table("member_drift", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_member_drift_member_id"))
        batch_op.drop_index(batch_op.f("ix_member_drift_community_id"))
    op.drop_table("member_drift")
    op.drop_table("member_match")
    with op.batch_alter_table("member_tier", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_member_tier_community_id"))
    op.drop_table("member_tier")
