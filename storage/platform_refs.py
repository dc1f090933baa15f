"""Where the bot's own posts are on the platform (a digest, an application post), by key, so a later
effect can edit them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Select, String, bindparam, lambda_stmt, select

from bot.core.ports import PlatformRef
from storage.repository_base import FIXED_IN_MAX, SqlRepository, fixed_in, fixed_in_params, upsert
from storage.tables import PlatformRefRow

_REFS = PlatformRefRow.__table__


@cache
def _refs_by_key(count: int) -> Select[Any]:
    """The refs of `count` keys of a community (binds `community_id` and `in_key_0`…; `keys`,
    expanding, past FIXED_IN_MAX)."""
    return select(_REFS.c.key, _REFS.c.channel_id, _REFS.c.message_id).where(
        _REFS.c.community_id == bindparam("community_id", type_=String()),
        _REFS.c.key.in_(fixed_in("key", count, String(), expanding="keys")),
    )


def _put_refs(dialect: str) -> Any:
    stmt = upsert(dialect, _REFS)
    return stmt.on_conflict_do_update(
        index_elements=["community_id", "key"],
        set_={"channel_id": stmt.excluded.channel_id, "message_id": stmt.excluded.message_id},
    )


# SQLAlchemy 2.0 caches no INSERT … ON CONFLICT: a lambda statement is cached by its lambda's code, so
# each dialect's statement is wrapped in a lambda of its own (see storage/delivery.py).
_PUT_REFS_SQLITE = _put_refs("sqlite")
_PUT_REFS_PG = _put_refs("postgresql")
_PUT_REFS = {
    "sqlite": lambda_stmt(lambda: _PUT_REFS_SQLITE),
    "postgresql": lambda_stmt(lambda: _PUT_REFS_PG),
}


class SqlPlatformRefRepository(SqlRepository):
    async def get_many(self, community_id: str, keys: Sequence[str]) -> dict[str, PlatformRef]:
        if not keys:
            return {}
        params: dict[str, Any] = {"community_id": community_id}
        params.update(fixed_in_params("key", keys, expanding="keys"))
        rows = await self.session.execute(_refs_by_key(min(len(keys), FIXED_IN_MAX + 1)), params)
        return {row.key: PlatformRef(row.channel_id, row.message_id) for row in rows}

    async def put_many(self, refs: Sequence[tuple[str, str, PlatformRef]], now: datetime) -> None:
        """Remember several refs (community, key, ref) in one statement; a later one of the same key wins."""
        rows = {
            (community, key): dict(
                community_id=community,
                key=key,
                channel_id=ref.channel_id,
                message_id=ref.message_id,
                created_at=now,
            )
            for community, key, ref in refs
        }
        if rows:
            await self.session.execute(_PUT_REFS[self.dialect], list(rows.values()))
