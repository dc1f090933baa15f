"""A member's data: export and erasure, driven by each table's `__privacy__` declaration.

Nothing here names a feature's table: a new table is covered as soon as it declares its member
columns (tests/storage/test_privacy.py makes sure every table does).
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Table, Text, cast, delete, func, or_, select, update

from bot.core.gates.application_rules import ApplicationStatus
from bot.core.members import Member
from bot.core.privacy.rules import AnonymousMark, MarkReason, subject_hash
from bot.core.refs import MemberRef
from bot.core.text import mention
from storage.gates.tables import ApplicationRow
from storage.privacy.tables import AnonymousMarkRow
from storage.privacy_declaration import Privacy
from storage.repository_base import SqlRepository, affected_rows, upsert
from storage.tables import Base, CommunityRow, MemberRow, OutboxRow

REJECTED = ApplicationStatus.REJECTED.value  # the gate's cooldown follows a rejection


def declared_tables() -> list[tuple[Table, Privacy]]:
    """Every table with member columns, children before parents, the member table last."""
    privacy = {m.class_.__table__.name: m.class_.__privacy__ for m in Base.registry.mappers}
    tables = [t for t in reversed(Base.metadata.sorted_tables) if privacy.get(t.name, Privacy()).columns]
    return [(t, privacy[t.name]) for t in tables]


def _json_ready(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def names_member(payload: Any, ref: MemberRef) -> bool:
    """True when an effect's stored JSON addresses or mentions the member."""
    if isinstance(payload, dict):
        if payload.get("platform") == ref.platform and payload.get("user_id") == ref.user_id:
            return True
        return any(names_member(v, ref) for v in payload.values())
    if isinstance(payload, list):
        return any(names_member(v, ref) for v in payload)
    if isinstance(payload, str):
        return mention(ref) in payload
    return False


class SqlPrivacyRepository(SqlRepository):
    async def export(self, member_id: int) -> dict[str, Any]:
        tables: dict[str, list[dict[str, Any]]] = {}
        mentioned: list[dict[str, Any]] = []
        for table, privacy in declared_tables():
            own = [table.c[c] == member_id for c, policy in privacy.columns.items() if policy == "delete"]
            if own and privacy.export:
                rows = await self.session.execute(select(table).where(or_(*own)))
                found = [{k: _json_ready(v) for k, v in row._mapping.items()} for row in rows]
                if found:
                    tables[table.name] = found
            # Someone else's record that mentions the member: say it exists, do not hand over its content.
            for column in (c for c, policy in privacy.columns.items() if policy == "nullify"):
                count = await self.session.scalar(
                    select(func.count()).select_from(table).where(table.c[column] == member_id)
                )
                if count:
                    mentioned.append({"table": table.name, "column": column, "rows": int(count)})
        return {"tables": tables, "mentioned_in": mentioned}

    async def erase(self, member: Member, marks: Sequence[AnonymousMark], now: datetime) -> dict[str, int]:
        touched: dict[str, int] = {}
        member_table = MemberRow.__table__
        for table, privacy in declared_tables():
            for column, policy in privacy.columns.items():
                if table is member_table and column == "id":
                    continue  # the member row goes last, once nothing points at it
                where = table.c[column] == member.id
                stmt = (
                    update(table).where(where).values({column: None})
                    if policy == "nullify"
                    else delete(table).where(where)
                )
                result = await self.session.execute(stmt, execution_options={"synchronize_session": False})
                if affected_rows(result):
                    touched[table.name] = touched.get(table.name, 0) + int(affected_rows(result))
        touched["outbox"] = await self._drop_outbox(member)
        await self.session.execute(
            delete(member_table).where(member_table.c.id == member.id),
            execution_options={"synchronize_session": False},
        )
        touched["member"] = touched.get("member", 0) + 1
        if marks:
            await self._keep_marks(member, marks, now)
        return {k: v for k, v in touched.items() if v}

    async def _drop_outbox(self, member: Member) -> int:
        """Queued or delivered effects that address or mention the member (DMs, posts, role grants)."""
        candidates = await self.session.execute(
            select(OutboxRow.id, OutboxRow.payload).where(
                OutboxRow.community_id == member.community_id,
                cast(OutboxRow.payload, Text).like(f"%{member.ref.user_id}%"),
            )
        )
        ids = [i for i, payload in candidates if names_member(payload, member.ref)]
        if ids:
            await self.session.execute(
                delete(OutboxRow).where(OutboxRow.id.in_(ids)),
                execution_options={"synchronize_session": False},
            )
        return len(ids)

    async def _salt(self, community_id: str, *, create: bool) -> str:
        salt = await self.session.scalar(
            select(CommunityRow.privacy_salt).where(CommunityRow.id == community_id)
        )
        if salt or not create:
            return salt or ""
        await self.session.execute(
            update(CommunityRow)
            .where(CommunityRow.id == community_id, CommunityRow.privacy_salt == "")
            .values(privacy_salt=secrets.token_hex(16)),
            execution_options={"synchronize_session": False},
        )
        return await self._salt(community_id, create=False)

    async def _keep_marks(self, member: Member, marks: Sequence[AnonymousMark], now: datetime) -> None:
        salt = await self._salt(member.community_id, create=True)
        table = AnonymousMarkRow.__table__
        stmt = upsert(self.dialect, table)
        stmt = stmt.on_conflict_do_update(
            index_elements=["community_id", "subject_hash", "reason"], set_={"until": stmt.excluded.until}
        )
        await self.session.execute(
            stmt,
            [
                {
                    "community_id": member.community_id,
                    "subject_hash": subject_hash(salt, member.ref),
                    "reason": mark.reason.value,
                    "until": mark.until,
                    "created_at": now,
                }
                for mark in marks
            ],
        )

    async def mark_until(
        self, community_id: str, ref: MemberRef, reason: MarkReason, now: datetime
    ) -> datetime | None:
        salt = await self._salt(community_id, create=False)
        if not salt:
            return None  # nobody was ever erased here with a mark kept
        found = await self.session.scalar(
            select(AnonymousMarkRow.until).where(
                AnonymousMarkRow.community_id == community_id,
                AnonymousMarkRow.subject_hash == subject_hash(salt, ref),
                AnonymousMarkRow.reason == reason.value,
                AnonymousMarkRow.until > now,
            )
        )
        return found

    async def last_rejection_at(self, member_id: int) -> datetime | None:
        return await self.session.scalar(
            select(func.max(ApplicationRow.decided_at)).where(
                ApplicationRow.member_id == member_id, ApplicationRow.status == REJECTED
            )
        )
