"""outbox relay: per-lane order and retryable parking

Revision ID: 0002_outbox_relay
Revises: 0001
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_outbox_relay"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lane", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("retryable", sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.create_index("ix_outbox_lane", ["community_id", "lane", "status", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_lane")
        batch_op.drop_column("retryable")
        batch_op.drop_column("lane")
