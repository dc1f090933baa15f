"""Referral credit at day 14: referred newcomers still members, who contributed in time."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import String, cast, exists, literal, select
from sqlalchemy.orm import aliased

from bot.core.contributions.ports import RetainedReferral
from bot.core.members import MemberStatus
from bot.core.refs import MemberRef
from storage.contributions.tables import ContributionRow
from storage.repository_base import SqlRepository
from storage.tables import MemberRow

ADMITTED = MemberStatus.ADMITTED.value


class SqlReferralCredits(SqlRepository):
    async def retained(
        self, community_id: str, admitted_from: datetime, admitted_until: datetime, activation_days: int
    ) -> list[RetainedReferral]:
        newcomer, referrer = aliased(MemberRow), aliased(MemberRow)
        rows = await self.session.execute(
            select(
                referrer.platform,
                referrer.user_id,
                newcomer.platform,
                newcomer.user_id,
                newcomer.id,
                newcomer.admitted_at,
                newcomer.first_contribution_at,
            )
            .join(referrer, referrer.id == newcomer.referred_by_id)
            .where(
                newcomer.community_id == community_id,
                newcomer.status == ADMITTED,
                referrer.status == ADMITTED,
                newcomer.admitted_at >= admitted_from,
                newcomer.admitted_at < admitted_until,
                newcomer.first_contribution_at.is_not(None),
                # Credited already (the daily job looks a month back): nothing left to record.
                ~exists().where(
                    ContributionRow.community_id == community_id,
                    ContributionRow.source_id == literal("referral:") + cast(newcomer.id, String()),
                ),
            )
            .order_by(newcomer.id)
        )
        window = timedelta(days=activation_days)
        return [
            RetainedReferral(MemberRef(rp, ru), MemberRef(np, nu), nid)
            for rp, ru, np, nu, nid, admitted, first in rows
            if first - admitted <= window
        ]
