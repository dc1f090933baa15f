"""What every way in shares: the gate in force, the person acting, and admission itself."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.core.badges.events import BadgeEarned
from bot.core.badges.ports import BadgeRepository
from bot.core.context import Context
from bot.core.effects import DirectMessage, GrantMemberAccess, PostMessage
from bot.core.errors import Forbidden
from bot.core.gates.events import MemberAdmitted
from bot.core.gates.ports import GateRepository
from bot.core.gates.rules import FOUNDING_BADGE, GateState, effective_mode, is_founding
from bot.core.gates.settings import GateMode
from bot.core.members import AdmissionMethod, Member
from bot.core.privacy.rules import MarkReason
from bot.core.refs import Actor
from bot.core.text import mention, moment


def when(ctx: Context, instant: datetime) -> str:
    """A time as people in the community read it: local date and time with the zone name."""
    return moment(instant, ctx.community.zone)


def duration(span: timedelta) -> str:
    """A rough length of time: "50 minutes", "3 hours", "2 days"."""
    minutes = int(span.total_seconds() // 60)
    if minutes < 120:
        return f"{minutes} minute{'s' * (minutes != 1)}"
    hours = minutes // 60
    if hours < 72:
        return f"{hours} hours"
    return f"{hours // 24} days"


async def gate_now(ctx: Context) -> tuple[GateState, GateMode]:
    """The community's gate switches and the mode in force today (the switch date is a local date)."""
    state = await ctx.uow.repo(GateRepository).state(ctx.community.id)
    today = ctx.now().astimezone(ctx.community.zone).date()
    return state, effective_mode(ctx.community.gate, state, today)


async def gate_and_mark(
    ctx: Context, person: Member, reason: MarkReason
) -> tuple[GateState, GateMode, datetime | None]:
    """`gate_now`, with when the anonymous mark of `reason` an erasure kept for this person ends (None:
    none), read together: a newcomer's command checks both."""
    state, marked = await ctx.uow.repo(GateRepository).state_and_mark(
        ctx.community.id, person.ref, reason, ctx.now()
    )
    today = ctx.now().astimezone(ctx.community.zone).date()
    return state, effective_mode(ctx.community.gate, state, today), marked


def require_actor(ctx: Context) -> Actor:
    """The person a newcomer command is about; the system cannot join or apply on its own."""
    if ctx.actor is None:
        raise Forbidden("That has to be done by the person joining.")
    return ctx.actor


async def the_person(ctx: Context) -> Member:
    """The acting person's member row (created on first sight), locked for this transaction, fresh."""
    actor = require_actor(ctx)
    seen = await ctx.uow.members.upsert_seen(
        ctx.community.id, actor.ref, ctx.now(), display_name=actor.display_name, is_bot=actor.is_bot
    )
    return await ctx.uow.repo(GateRepository).lock_member(seen.id)


async def admit(
    ctx: Context,
    member: Member,
    *,
    method: AdmissionMethod,
    welcome: str,
    referrer: Member | None = None,
    confidence: str | None = None,
) -> bool:
    """Admit `member`: access, a welcome, the referral record and thanks, the founding badge while the
    community is young, and MemberAdmitted for onboarding. False (and nothing done) if already admitted."""
    now, community = ctx.now(), ctx.community
    referrer_id = referrer.id if referrer else None
    if not await ctx.uow.repo(GateRepository).admit(
        member.id, method=method, referrer_id=referrer_id, confidence=confidence, now=now
    ):
        return False
    await ctx.send(GrantMemberAccess(community.id, member.ref))
    await ctx.send(
        PostMessage(community.id, "welcome", f"Welcome to {community.name}, {mention(member.ref)}!")
    )
    await ctx.send(DirectMessage(community.id, member.ref, welcome))
    if referrer is not None:
        await ctx.send(
            DirectMessage(
                community.id,
                referrer.ref,
                f"{mention(member.ref)} joined {community.name} through your referral. "
                "Thank you for bringing in someone you vouch for!",
            )
        )
    count = await ctx.uow.members.count_admitted(community.id)
    limit = community.gate.founding_member_limit
    founding = is_founding(count, limit)
    ctx.emit(
        MemberAdmitted(
            community_id=community.id,
            member_id=member.id,
            member=member.ref,
            method=method.value,
            at=now,
            referrer_id=referrer_id,
            founding=founding,
        )
    )
    if founding:
        await award_founding(ctx, member, f"one of the first {limit} members (member #{count})")
    return True


async def award_founding(ctx: Context, member: Member, reason: str) -> bool:
    """The permanent Founding Member badge (BadgeEarned, awarded by the badges feature in this
    transaction); False when the member holds it already (it is never revoked)."""
    if FOUNDING_BADGE in await ctx.uow.repo(BadgeRepository).keys_of(member.id):
        return False
    ctx.emit(
        BadgeEarned(
            community_id=ctx.community.id,
            member_id=member.id,
            member=member.ref,
            badge_key=FOUNDING_BADGE,
            reason=reason,
        )
    )
    return True
