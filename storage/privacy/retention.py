"""Retention: a community's records past their windows (see bot/core/privacy/retention.py)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Text, cast, delete, or_, select, update

from bot.core.gates.application_rules import ApplicationStatus
from bot.core.privacy.rules import Cutoffs
from storage.gates.tables import ApplicationRow, RedemptionAttemptRow
from storage.repository_base import SqlRepository, affected_rows
from storage.tables import OutboxRow

DELIVERED = "done"
DECIDED = (ApplicationStatus.APPROVED.value, ApplicationStatus.REJECTED.value)
FILE_FIELDS = ("image_png", "attachment")  # base64 files in effects: a chart, a /mydata export


class SqlRetentionRepository(SqlRepository):
    async def prune(self, community_id: str, before: Cutoffs) -> dict[str, int]:
        return {
            "outbox": await self._delete(
                OutboxRow,
                OutboxRow.community_id == community_id,
                OutboxRow.status == DELIVERED,
                OutboxRow.done_at < before.delivered_outbox,
            ),
            "outbox_files": await self._drop_files(community_id, before),
            "redemption_attempt": await self._delete(
                RedemptionAttemptRow,
                RedemptionAttemptRow.community_id == community_id,
                RedemptionAttemptRow.attempted_at < before.redemption_attempts,
            ),
            "application_answers": await self._forget_answers(community_id, before),
        }

    async def _delete(self, row: Any, *where: Any) -> int:
        result = await self.session.execute(
            delete(row).where(*where), execution_options={"synchronize_session": False}
        )
        return int(affected_rows(result))

    async def _drop_files(self, community_id: str, before: Cutoffs) -> int:
        """Delivered effects keep their text (for the window) but not their files."""
        text = cast(OutboxRow.payload, Text)
        rows = await self.session.execute(
            select(OutboxRow.id, OutboxRow.payload).where(
                OutboxRow.community_id == community_id,
                OutboxRow.status == DELIVERED,
                OutboxRow.done_at < before.delivered_attachments,
                or_(*(text.like(f'%"{name}": "%') for name in FILE_FIELDS)),
            )
        )
        dropped = 0
        for item_id, payload in rows:
            if not any(payload.get(name) for name in FILE_FIELDS):
                continue
            kept = {k: (None if k in FILE_FIELDS else v) for k, v in payload.items()}
            await self.session.execute(
                update(OutboxRow).where(OutboxRow.id == item_id).values(payload=kept),
                execution_options={"synchronize_session": False},
            )
            dropped += 1
        return dropped

    async def _forget_answers(self, community_id: str, before: Cutoffs) -> int:
        """A decided application keeps its decision (cooldowns, metrics) but not what was answered."""
        result = await self.session.execute(
            update(ApplicationRow)
            .where(
                ApplicationRow.community_id == community_id,
                ApplicationRow.status.in_(DECIDED),
                ApplicationRow.decided_at < before.decided_application_answers,
                cast(ApplicationRow.answers, Text) != "{}",
            )
            .values(answers={}),
            execution_options={"synchronize_session": False},
        )
        return int(affected_rows(result))
