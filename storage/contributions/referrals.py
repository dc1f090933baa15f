"""Referral credit at day 14: referred newcomers still members, who contributed in time."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, String, bindparam, cast, exists, literal, select

from bot.core.contributions.ports import RetainedReferral
from bot.core.members import MemberStatus
from bot.core.refs import MemberRef
from storage.contributions.tables import ContributionRow
from storage.repository_base import SqlRepository
from storage.tables import MemberRow
from storage.types import UTCDateTime

ADMITTED = MemberStatus.ADMITTED.value


def _retained() -> Select[Any]:
    """Admitted newcomers in an admission range, with a first contribution, whose admitted referrer
    is not yet credited for them; built once (Core, on table aliases) and bound at each daily run."""
    members = MemberRow.__table__
    newcomer, referrer = members.alias("newcomer"), members.alias("referrer")
    community = bindparam("community_id", type_=String())
    return (
        select(
            referrer.c.platform,
            referrer.c.user_id,
            newcomer.c.platform,
            newcomer.c.user_id,
            newcomer.c.id,
            newcomer.c.admitted_at,
            newcomer.c.first_contribution_at,
        )
        .join(referrer, referrer.c.id == newcomer.c.referred_by_id)
        .where(
            newcomer.c.community_id == community,
            newcomer.c.status == ADMITTED,
            referrer.c.status == ADMITTED,
            newcomer.c.admitted_at >= bindparam("admitted_from", type_=UTCDateTime()),
            newcomer.c.admitted_at < bindparam("admitted_until", type_=UTCDateTime()),
            newcomer.c.first_contribution_at.is_not(None),
            # Credited already (the daily job looks a month back): nothing left to record.
            ~exists().where(
                ContributionRow.community_id == community,
                ContributionRow.source_id == literal("referral:") + cast(newcomer.c.id, String()),
            ),
        )
        .order_by(newcomer.c.id)
    )


_RETAINED = _retained()


class SqlReferralCredits(SqlRepository):
    async def retained(
        self, community_id: str, admitted_from: datetime, admitted_until: datetime, activation_days: int
    ) -> list[RetainedReferral]:
        rows = await (await self.session.connection()).execute(
            _RETAINED,
            {"community_id": community_id, "admitted_from": admitted_from, "admitted_until": admitted_until},
        )
        window = timedelta(days=activation_days)
        return [
            RetainedReferral(MemberRef(rp, ru), MemberRef(np, nu), nid)
            for rp, ru, np, nu, nid, admitted, first in rows
            if first - admitted <= window
        ]
