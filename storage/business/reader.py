"""The read side of the business report, and the facts the business shares (imported once)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, lambda_stmt, select

from bot.core.business.outcomes import CustomerFact, FactKind, Outcome
from bot.core.members import MemberStatus
from storage.business.tables import BusinessFactRow
from storage.contributions.tables import ContributionRow
from storage.gates.tables import ReferralCodeRow
from storage.repository_base import SqlRepository, affected_rows, insert_ignore
from storage.tables import MemberRow

# SQLAlchemy 2.0 caches no INSERT … ON CONFLICT (it compiles each execution anew); a lambda statement
# is cached by its lambda's code, so each fixed statement has a lambda of its own (as in storage/delivery.py).
_ADD_FACT_SQLITE = insert_ignore("sqlite", BusinessFactRow.__table__)
_ADD_FACT_PG = insert_ignore("postgresql", BusinessFactRow.__table__)
_ADD_FACT = {
    "sqlite": lambda_stmt(lambda: _ADD_FACT_SQLITE),
    "postgresql": lambda_stmt(lambda: _ADD_FACT_PG),
}


class SqlBusinessReader(SqlRepository):
    async def admitted_count(self, community_id: str) -> int:
        return int(
            await self.session.scalar(
                select(func.count()).where(
                    MemberRow.community_id == community_id, MemberRow.status == MemberStatus.ADMITTED.value
                )
            )
            or 0
        )

    async def facts(self, community_id: str) -> list[CustomerFact]:
        rows = await self.session.scalars(
            select(BusinessFactRow)
            .where(BusinessFactRow.community_id == community_id)
            .order_by(BusinessFactRow.id)
        )
        return [
            CustomerFact(r.customer, FactKind(r.kind), r.occurred_at, r.revenue, r.member_id, r.referrer_id)
            for r in rows
        ]

    async def add_facts(self, community_id: str, facts: Sequence[tuple[str, CustomerFact]]) -> int:
        added = 0
        for external_id, fact in facts:
            result = await self.session.execute(
                _ADD_FACT[self.dialect],
                {
                    "community_id": community_id,
                    "external_id": external_id,
                    "customer": fact.customer,
                    "kind": fact.kind.value,
                    "occurred_at": fact.occurred_at,
                    "revenue": fact.revenue,
                    "member_id": fact.member_id,
                    "referrer_id": fact.referrer_id,
                },
            )
            added += affected_rows(result)
        return added

    async def referral_owner(self, community_id: str, code: str) -> int | None:
        owner: int | None = await self.session.scalar(
            select(ReferralCodeRow.owner_id).where(
                ReferralCodeRow.community_id == community_id, ReferralCodeRow.code == code
            )
        )
        return owner

    async def referrer_of(self, member_id: int) -> int | None:
        referrer: int | None = await self.session.scalar(
            select(MemberRow.referred_by_id).where(MemberRow.id == member_id)
        )
        return referrer

    async def active_members(self, community_id: str, since: datetime) -> set[int]:
        return set(
            await self.session.scalars(
                select(ContributionRow.member_id)
                .where(ContributionRow.community_id == community_id, ContributionRow.occurred_at >= since)
                .distinct()
            )
        )

    async def outcome(self, community_id: str, since: datetime, until: datetime) -> Outcome:
        rows = await self.session.execute(
            select(ContributionRow.by_staff, func.count())
            .where(
                ContributionRow.community_id == community_id,
                ContributionRow.kind == "helpful_answer",
                ContributionRow.occurred_at >= since,
                ContributionRow.occurred_at < until,
            )
            .group_by(ContributionRow.by_staff)
        )
        counts = {bool(staff): int(n) for staff, n in rows.tuples()}
        return Outcome(peer_answers=counts.get(False, 0), staff_answers=counts.get(True, 0))
