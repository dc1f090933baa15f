"""schedule stamp: a version the database bumps whenever what the scheduler's jobs come from changes

Revision ID: 0006_schedule_stamp
Revises: 0005_governance
Create Date: 2026-12-07

The scheduler builds its job specs from the series, occurrences and open polls in the database
and rebuilds them only when `schedule_stamp.version` has moved since it last looked. Triggers bump
it in the same transaction as any insert or delete of those rows, or an update of a column the
jobs depend on, whichever process (or tool) writes them.

A later migration that rebuilds one of these tables on SQLite (batch mode "move and copy") drops
its triggers: re-create them there (`create_triggers`); tests/storage/test_schedule_stamp.py
fails at head if one is missing.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_schedule_stamp"
down_revision: str | None = "0005_governance"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# table -> the columns whose update changes the scheduler's jobs
WATCHED = {
    "series": ("community_id", "kind"),
    "occurrence": ("series_id", "starts_at", "ends_at", "status"),
    "poll": ("community_id", "status", "closes_at"),
}
STAMP = "schedule"  # the row's name
BUMP = f"UPDATE schedule_stamp SET version = version + 1 WHERE name = '{STAMP}'"
FUNCTION = "townsquare_bump_schedule_stamp"


def create_triggers(table: str) -> None:
    """The triggers that bump the stamp on `table` (one of WATCHED), for the current dialect."""
    columns = ", ".join(WATCHED[table])
    events = {"insert": "INSERT", "update": f"UPDATE OF {columns}", "delete": "DELETE"}
    for name, event in events.items():
        trigger = f"{table}_{name}_schedule_stamp"
        if op.get_bind().dialect.name == "postgresql":
            # Deferred to commit: the stamp row is locked only while committing, so two transactions
            # that change watched rows in different orders cannot deadlock on it.
            op.execute(
                f"CREATE CONSTRAINT TRIGGER {trigger} AFTER {event} ON {table} "
                f"DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION {FUNCTION}()"
            )
        else:
            op.execute(f"CREATE TRIGGER {trigger} AFTER {event} ON {table} BEGIN {BUMP}; END")


def drop_triggers(table: str) -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for name in ("insert", "update", "delete"):
        trigger = f"{table}_{name}_schedule_stamp"
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}" + (f" ON {table}" if postgres else ""))


def upgrade() -> None:
    op.create_table(
        "schedule_stamp",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_schedule_stamp")),
    )
    op.execute(f"INSERT INTO schedule_stamp (name, version) VALUES ('{STAMP}', 0)")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"CREATE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN {BUMP}; RETURN NULL; END $$"
        )
    for table in WATCHED:
        create_triggers(table)


def downgrade() -> None:
    for table in WATCHED:
        drop_triggers(table)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP FUNCTION IF EXISTS {FUNCTION}()")
    op.drop_table("schedule_stamp")
