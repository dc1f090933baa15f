"""The business connection in SQL: consent, signals, sync state, surfaced leads, window activity."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Result, Row, and_, delete, func, select, update

from bot.core.business.ports import Consent, SyncCandidate
from bot.core.business.rules import Activity
from bot.core.members import MemberStatus
from bot.core.refs import MemberRef
from storage.business.tables import BusinessKeyRow, ConsentRow, SignalRow, SurfacedLeadRow, SyncStateRow
from storage.business.window import Window, activity_statement, lead_statement, sync_statement
from storage.repository_base import SqlRepository, affected_rows, insert_ignore
from storage.tables import MemberRow

SIGNAL_REPEAT = timedelta(days=1)


class SqlBusinessRepository(SqlRepository):
    async def subject_key(self, community_id: str) -> str:
        key = await self.session.scalar(
            select(BusinessKeyRow.subject_key).where(BusinessKeyRow.community_id == community_id)
        )
        if key:
            return key
        await self.session.execute(
            insert_ignore(self.dialect, BusinessKeyRow.__table__).values(
                community_id=community_id, subject_key=secrets.token_hex(32)
            )
        )
        return await self.subject_key(community_id)

    # Plain columns rather than the two ORM rows: the hourly sync reads every consent.
    _CONSENT = (
        ConsentRow.member_id,
        MemberRow.platform,
        MemberRow.user_id,
        MemberRow.display_name,
        ConsentRow.version,
        ConsentRow.email,
        ConsentRow.given_at,
        ConsentRow.withdrawn_at,
    )

    @staticmethod
    def _consent(row: Row[Any]) -> Consent:
        member_id, platform, user_id, display_name, version, email, given_at, withdrawn_at = row
        return Consent(
            member_id=member_id,
            member=MemberRef(platform, user_id),
            display_name=display_name,
            version=version,
            email=email,
            given_at=given_at,
            withdrawn_at=withdrawn_at,
        )

    async def consent_of(self, member_id: int) -> Consent | None:
        found = (
            await self.session.execute(
                select(*self._CONSENT)
                .join(MemberRow, MemberRow.id == ConsentRow.member_id)
                .where(ConsentRow.member_id == member_id)
            )
        ).first()
        return self._consent(found) if found else None

    async def give_consent(
        self, community_id: str, member_id: int, version: int, email: str | None, now: datetime
    ) -> None:
        row = await self.session.scalar(select(ConsentRow).where(ConsentRow.member_id == member_id))
        if row is None:
            self.session.add(
                ConsentRow(
                    community_id=community_id, member_id=member_id, version=version, email=email, given_at=now
                )
            )
            return
        row.version, row.given_at, row.withdrawn_at = version, now, None
        if email is not None:
            row.email = email

    async def withdraw_consent(self, member_id: int, now: datetime) -> None:
        await self.session.execute(
            update(ConsentRow).where(ConsentRow.member_id == member_id).values(withdrawn_at=now, email=None)
        )

    async def consenting(self, community_id: str) -> list[Consent]:
        rows = await self.session.execute(
            select(*self._CONSENT)
            .join(MemberRow, MemberRow.id == ConsentRow.member_id)
            .where(
                ConsentRow.community_id == community_id,
                ConsentRow.withdrawn_at.is_(None),
                MemberRow.status == MemberStatus.ADMITTED.value,
            )
            .order_by(ConsentRow.member_id)
        )
        return [self._consent(row) for row in rows]

    async def add_signal(
        self, community_id: str, member_id: int, kind: str, topic: str, now: datetime
    ) -> bool:
        recent = await self.session.scalar(
            select(func.count()).where(
                SignalRow.member_id == member_id,
                SignalRow.kind == kind,
                SignalRow.topic == topic,
                SignalRow.at > now - SIGNAL_REPEAT,
            )
        )
        if recent:
            return False
        self.session.add(
            SignalRow(community_id=community_id, member_id=member_id, kind=kind, topic=topic, at=now)
        )
        return True

    async def activities(
        self, community_id: str, since: datetime, member_ids: Sequence[int] | None
    ) -> list[Activity]:
        params: dict[str, object] = {
            "community_id": community_id,
            "admitted": MemberStatus.ADMITTED.value,
            "since": since,
        }
        if member_ids is not None:
            params["ids"] = list(member_ids)
        ids: list[int] = []
        window = Window()
        rows: Result[tuple[str, Any, Any, Any, Any, Any]] = await self.session.execute(
            activity_statement(member_ids is not None), params
        )
        for tag, member_id, first, second, number, instant in rows.tuples():
            if tag == "m":
                ids.append(member_id)
            else:
                window.add(tag, member_id, first, second, number, instant)
        window.done()
        return [window.of(i) for i in ids]

    async def sync_candidates(self, community_id: str, version: int, since: datetime) -> list[SyncCandidate]:
        params = {
            "community_id": community_id,
            "admitted": MemberStatus.ADMITTED.value,
            "version": version,
            "since": since,
        }
        asked: list[tuple[int, Consent, bool]] = []
        window = Window()
        rows = await self.session.execute(sync_statement(), params)
        for tag, member_id, first, second, number, instant, name, email, surfaced in rows.tuples():
            if tag == "m":
                consent = Consent(
                    member_id, MemberRef(first, second), name, int(number), email, instant, None
                )
                asked.append((member_id, consent, surfaced is not None))
            else:
                window.add(tag, member_id, first, second, number, instant)
        window.done()
        return [
            SyncCandidate(c, surfaced, window.of(i))
            for i, c, surfaced in sorted(asked, key=lambda item: item[0])
        ]

    async def lead_candidates(
        self,
        community_id: str,
        version: int,
        since: datetime,
        *,
        channels: Sequence[str],
        kinds: Sequence[str],
    ) -> list[Activity]:
        params: dict[str, Any] = {
            "community_id": community_id,
            "admitted": MemberStatus.ADMITTED.value,
            "version": version,
            "since": since,
        }
        channels, kinds = list(dict.fromkeys(channels)), list(dict.fromkeys(kinds))
        params.update((f"channel{i}", channel) for i, channel in enumerate(channels))
        params.update((f"kind{i}", kind) for i, kind in enumerate(kinds))
        window = Window()
        # Core, on the session's connection: nothing here for the ORM to do.
        rows: Result[tuple[str, Any, Any, Any, Any, Any]] = await (await self.session.connection()).execute(
            lead_statement(len(channels), len(kinds)), params
        )
        for row in rows.tuples():
            window.add(*row)
        window.done()
        return [window.of(member_id) for member_id in window.members()]

    async def synced_digests(self, community_id: str) -> dict[str, str]:
        rows = await self.session.execute(
            select(SyncStateRow.subject, SyncStateRow.digest).where(SyncStateRow.community_id == community_id)
        )
        return dict(rows.tuples().all())

    async def set_synced(
        self, community_id: str, subject: str, member_id: int, digest: str, now: datetime
    ) -> None:
        row = await self.session.get(SyncStateRow, (community_id, subject))
        if row is None:
            self.session.add(
                SyncStateRow(
                    community_id=community_id,
                    subject=subject,
                    member_id=member_id,
                    digest=digest,
                    synced_at=now,
                )
            )
        else:
            row.digest, row.synced_at, row.member_id = digest, now, member_id

    async def forget_synced(self, community_id: str, subject: str) -> bool:
        result = await self.session.execute(
            delete(SyncStateRow).where(
                SyncStateRow.community_id == community_id, SyncStateRow.subject == subject
            )
        )
        return affected_rows(result) > 0

    async def surfaced(self, community_id: str) -> set[int]:
        return set(
            await self.session.scalars(
                select(SurfacedLeadRow.member_id).where(SurfacedLeadRow.community_id == community_id)
            )
        )

    async def surface(self, community_id: str, member_id: int, score: float, now: datetime) -> None:
        await self.session.execute(
            insert_ignore(self.dialect, SurfacedLeadRow.__table__).values(
                community_id=community_id, member_id=member_id, score=score, surfaced_at=now
            )
        )

    async def new_leads(self, community_id: str, since: datetime) -> list[tuple[MemberRef, float]]:
        rows = await self.session.execute(
            select(MemberRow.platform, MemberRow.user_id, SurfacedLeadRow.score)
            .join(MemberRow, MemberRow.id == SurfacedLeadRow.member_id)
            .join(
                ConsentRow,
                and_(ConsentRow.member_id == SurfacedLeadRow.member_id, ConsentRow.withdrawn_at.is_(None)),
            )
            .where(SurfacedLeadRow.community_id == community_id, SurfacedLeadRow.surfaced_at >= since)
            .order_by(SurfacedLeadRow.score.desc(), SurfacedLeadRow.member_id)
        )
        return [(MemberRef(p, u), s) for p, u, s in rows.tuples()]
