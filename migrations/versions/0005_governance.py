"""governance and events: capacity per series, secret ballots without a voter link, governance rounds,
council terms

Revision ID: 0005_governance
Revises: 0004_recognition
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0005_governance"
down_revision: str | None = "0004_recognition"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("series", schema=None) as batch_op:
        batch_op.add_column(sa.Column("capacity", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("location", sa.String(length=200), nullable=True))
    with op.batch_alter_table("council_member", schema=None) as batch_op:
        batch_op.add_column(sa.Column("term_ends_at", storage.types.UTCDateTime(), nullable=True))
    with op.batch_alter_table("poll", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ballots_cast", sa.Integer(), server_default="0", nullable=False))
    op.create_table(
        "poll_voter",
        sa.Column("poll_id", _ID, nullable=False),
        sa.Column("member_id", _ID, nullable=False),
        sa.Column("voted_at", storage.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"], ["member.id"], name=op.f("fk_poll_voter_member_id_member"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["poll_id"], ["poll.id"], name=op.f("fk_poll_voter_poll_id_poll"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("poll_id", "member_id", name=op.f("pk_poll_voter")),
    )
    with op.batch_alter_table("poll_voter", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_poll_voter_member_id"), ["member_id"], unique=False)
    op.create_table(
        "poll_tally",
        sa.Column("poll_id", _ID, nullable=False),
        sa.Column("option_id", _ID, nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["option_id"],
            ["poll_option.id"],
            name=op.f("fk_poll_tally_option_id_poll_option"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["poll_id"], ["poll.id"], name=op.f("fk_poll_tally_poll_id_poll"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("poll_id", "option_id", name=op.f("pk_poll_tally")),
    )
    op.create_table(
        "minutes",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("council_id", _ID, nullable=False),
        sa.Column("posted_by_id", _ID, nullable=True),
        sa.Column("posted_at", storage.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["council_id"], ["council.id"], name=op.f("fk_minutes_council_id_council"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["posted_by_id"], ["member.id"], name=op.f("fk_minutes_posted_by_id_member"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_minutes")),
    )
    with op.batch_alter_table("minutes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_minutes_council_id"), ["council_id"], unique=False)
    op.create_table(
        "governance_round",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("community_id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("council_id", _ID, nullable=True),
        sa.Column("poll_id", _ID, nullable=True),
        sa.Column("nominations_close_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("created_at", storage.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["community.id"],
            name=op.f("fk_governance_round_community_id_community"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["council_id"],
            ["council.id"],
            name=op.f("fk_governance_round_council_id_council"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["poll_id"], ["poll.id"], name=op.f("fk_governance_round_poll_id_poll"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_governance_round")),
        sa.UniqueConstraint(
            "community_id", "kind", "period", name=op.f("uq_governance_round_community_id_kind_period")
        ),
    )
    with op.batch_alter_table("governance_round", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_governance_round_community_id"), ["community_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_governance_round_poll_id"), ["poll_id"], unique=False)


def downgrade() -> None:
    op.drop_table("governance_round")
    op.drop_table("minutes")
    op.drop_table("poll_tally")
    op.drop_table("poll_voter")
    with op.batch_alter_table("poll", schema=None) as batch_op:
        batch_op.drop_column("ballots_cast")
    with op.batch_alter_table("council_member", schema=None) as batch_op:
        batch_op.drop_column("term_ends_at")
    with op.batch_alter_table("series", schema=None) as batch_op:
        batch_op.drop_column("location")
        batch_op.drop_column("capacity")
