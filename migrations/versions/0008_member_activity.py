"""member activity: per member and week, the kinds of contribution that week and in the 4 weeks ending
with it (bit masks), filled from member_week; applications by decision time

Revision ID: 0008_member_activity
Revises: 0007_business
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_member_activity"
down_revision: str | None = "0007_business"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The bits as storage/metrics/activity.py numbers them when this revision was written.
KIND_BITS = {
    "message": 1 << 0,
    "thread_reply": 1 << 1,
    "reaction": 1 << 2,
    "helpful_answer": 1 << 3,
    "ama_question": 1 << 4,
    "showcase": 1 << 5,
    "event_attended": 1 << 6,
    "referral_activated": 1 << 7,
    "idea_filed": 1 << 8,
    "idea_vote": 1 << 9,
    "helpful_flagged": 1 << 10,
}
OTHER_BIT = 1 << 30


def _backfill(dialect: str) -> str:
    bit = " ".join(f"WHEN '{kind}' THEN {value}" for kind, value in KIND_BITS.items())
    shifted = (
        "date(mw.week_start, '+' || (7 * k.k) || ' days')"
        if dialect == "sqlite"
        else "mw.week_start + 7 * k.k"
    )
    # Each week's kinds count in its own week and the 3 after; a bit OR is the sum of distinct bits.
    return (
        "INSERT INTO member_activity (member_id, week_start, community_id, week_kinds, window_kinds) "
        "SELECT member_id, week, community_id, "
        "sum(DISTINCT CASE WHEN k = 0 THEN bit ELSE 0 END), sum(DISTINCT bit) "
        f"FROM (SELECT mw.member_id, {shifted} AS week, mw.community_id, k.k, "
        f"CASE mw.kind {bit} ELSE {OTHER_BIT} END AS bit "
        "FROM member_week AS mw CROSS JOIN "
        "(SELECT 0 AS k UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3) AS k "
        "WHERE mw.count > 0) AS s "
        "GROUP BY member_id, week, community_id"
    )


def upgrade() -> None:
    op.create_table(
        "member_activity",
        sa.Column("member_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("week_start", sa.Date(), nullable=False),
        sa.Column("community_id", sa.String(length=40), nullable=False),
        sa.Column("week_kinds", sa.Integer(), nullable=False),
        sa.Column("window_kinds", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["community.id"],
            name=op.f("fk_member_activity_community_id_community"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["member.id"], name=op.f("fk_member_activity_member_id_member"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("member_id", "week_start", name=op.f("pk_member_activity")),
    )
    op.execute(_backfill(op.get_bind().dialect.name))
    op.create_index(
        "ix_member_activity_week",
        "member_activity",
        ["community_id", "week_start", "member_id", "window_kinds"],
        unique=False,
    )
    op.create_index("ix_application_decided", "application", ["community_id", "decided_at"], unique=False)
    # Statistics for the planners right away (a filled table would otherwise look empty to SQLite's).
    op.execute("ANALYZE member_activity")
    op.execute("ANALYZE application")


def downgrade() -> None:
    op.drop_index("ix_application_decided", table_name="application")
    op.drop_index("ix_member_activity_week", table_name="member_activity")
    op.drop_table("member_activity")
