"""Retention: a community's records past their windows (see bot/core/privacy/retention.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BindParameter, Executable, Text, bindparam, cast, delete, or_, select, update

from bot.core.gates.application_rules import ApplicationStatus
from bot.core.privacy.rules import Cutoffs
from storage.gates.tables import ApplicationRow, RedemptionAttemptRow
from storage.repository_base import SqlRepository, affected_rows
from storage.tables import OutboxRow
from storage.types import UTCDateTime

DELIVERED = "done"
DECIDED = (ApplicationStatus.APPROVED.value, ApplicationStatus.REJECTED.value)
FILE_FIELDS = ("image_png", "attachment")  # base64 files in effects: a chart, a /mydata export


def _before(name: str) -> BindParameter[datetime]:
    return bindparam(name, type_=UTCDateTime())


# Built once, bound at each daily run: the same statements every day keep SQLAlchemy's compiled forms.
_NO_SYNC = {"synchronize_session": False}
_PRUNE_OUTBOX = (
    delete(OutboxRow)
    .where(
        OutboxRow.community_id == bindparam("in_community"),
        OutboxRow.status == DELIVERED,
        OutboxRow.done_at < _before("before"),
    )
    .execution_options(**_NO_SYNC)
)
_PAYLOAD_TEXT = cast(OutboxRow.payload, Text)
_WITH_FILES = select(OutboxRow.id, OutboxRow.payload).where(
    OutboxRow.community_id == bindparam("in_community"),
    OutboxRow.status == DELIVERED,
    OutboxRow.done_at < _before("before"),
    or_(*(_PAYLOAD_TEXT.like(f'%"{name}": "%') for name in FILE_FIELDS)),
)
_SET_PAYLOAD = (
    update(OutboxRow)
    .where(OutboxRow.id == bindparam("item_id"))
    .values(payload=bindparam("kept", type_=OutboxRow.payload.type))
    .execution_options(**_NO_SYNC)
)
_PRUNE_ATTEMPTS = (
    delete(RedemptionAttemptRow)
    .where(
        RedemptionAttemptRow.community_id == bindparam("in_community"),
        RedemptionAttemptRow.attempted_at < _before("before"),
    )
    .execution_options(**_NO_SYNC)
)
_FORGET_ANSWERS = (
    update(ApplicationRow)
    .where(
        ApplicationRow.community_id == bindparam("in_community"),
        ApplicationRow.status.in_(DECIDED),
        ApplicationRow.decided_at < _before("before"),
        cast(ApplicationRow.answers, Text) != "{}",
    )
    .values(answers={})
    .execution_options(**_NO_SYNC)
)


class SqlRetentionRepository(SqlRepository):
    async def prune(self, community_id: str, before: Cutoffs) -> dict[str, int]:
        return {
            "outbox": await self._run(_PRUNE_OUTBOX, community_id, before.delivered_outbox),
            "outbox_files": await self._drop_files(community_id, before),
            "redemption_attempt": await self._run(_PRUNE_ATTEMPTS, community_id, before.redemption_attempts),
            # A decided application keeps its decision (cooldowns, metrics) but not what was answered.
            "application_answers": await self._run(
                _FORGET_ANSWERS, community_id, before.decided_application_answers
            ),
        }

    async def _run(self, statement: Executable, community_id: str, before: datetime) -> int:
        result = await self.session.execute(statement, {"in_community": community_id, "before": before})
        return int(affected_rows(result))

    async def _drop_files(self, community_id: str, before: Cutoffs) -> int:
        """Delivered effects keep their text (for the window) but not their files."""
        rows = await self.session.execute(
            _WITH_FILES, {"in_community": community_id, "before": before.delivered_attachments}
        )
        dropped = 0
        for item_id, payload in rows:
            if not any(payload.get(name) for name in FILE_FIELDS):
                continue
            kept = {k: (None if k in FILE_FIELDS else v) for k, v in payload.items()}
            await self.session.execute(_SET_PAYLOAD, {"item_id": item_id, "kept": kept})
            dropped += 1
        return dropped
