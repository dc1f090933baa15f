"""Platform event ids already handled: a replayed or retried event is claimed once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, lambda_stmt

from storage.repository_base import SqlRepository, affected_rows, insert_ignore
from storage.tables import ProcessedEventRow

# SQLAlchemy 2.0 caches no INSERT … ON CONFLICT: a lambda statement is cached by its lambda's code, so
# each dialect's statement is wrapped in a lambda of its own (see storage/delivery.py).
_CLAIM_EVENT_SQLITE = insert_ignore("sqlite", ProcessedEventRow.__table__)
_CLAIM_EVENT_PG = insert_ignore("postgresql", ProcessedEventRow.__table__)
_CLAIM_EVENT = {
    "sqlite": lambda_stmt(lambda: _CLAIM_EVENT_SQLITE),
    "postgresql": lambda_stmt(lambda: _CLAIM_EVENT_PG),
}


class SqlProcessedEventRepository(SqlRepository):
    async def claim(self, platform: str, event_id: str, now: datetime) -> bool:
        result = await self.session.execute(
            _CLAIM_EVENT[self.dialect], {"platform": platform, "event_id": event_id, "handled_at": now}
        )
        return bool(affected_rows(result))

    async def prune(self, before: datetime) -> int:
        result = await self.session.execute(
            delete(ProcessedEventRow).where(ProcessedEventRow.handled_at < before),
            execution_options={"synchronize_session": False},
        )
        return int(affected_rows(result))
