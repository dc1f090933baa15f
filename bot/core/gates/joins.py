"""Platform joins: the burst guard, open admission, and admission through a referral invite."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.core.context import Context
from bot.core.effects import DirectMessage, GrantMemberAccess, PostMessage
from bot.core.events import MemberJoined
from bot.core.gates import feature
from bot.core.gates.common import admit, duration, gate_now
from bot.core.gates.ports import GateRepository, ReferralCodeRepository
from bot.core.gates.referrals import consume
from bot.core.gates.rules import (
    BurstStep,
    Redemption,
    ReferralCode,
    allows_referral,
    burst_step,
    format_code,
    normalize_code,
)
from bot.core.gates.settings import GateMode
from bot.core.members import AdmissionMethod
from bot.core.replies import Action, ActionStyle

# "certain": an invite only this person could accept; "inferred"/"likely": matched by use counts (one
# counter grew / one invite vanished on its last use). An "ambiguous" match never earns a referral.
CONFIDENT = ("certain", "inferred", "likely")


async def burst_guard(ctx: Context, at: datetime) -> None:
    """Count the join; more than `burst_joins` in the window alerts moderators once per burst."""
    gate, community_id = ctx.community.gate, ctx.community.id
    window = timedelta(seconds=gate.burst_window_seconds)
    joins = await ctx.uow.repo(GateRepository).record_join(community_id, at, at - window)
    state = await ctx.uow.repo(GateRepository).state(community_id)
    step = burst_step(joins, gate.burst_joins, active=state.burst_since is not None)
    if step is BurstStep.END:
        await ctx.uow.repo(GateRepository).end_burst(community_id)
    elif step is BurstStep.ALERT and await ctx.uow.repo(GateRepository).start_burst(community_id, at):
        await ctx.send(
            PostMessage(
                community_id,
                "applications",
                title="Join burst",
                text=(
                    f"{joins} people joined in the last {duration(window)}. If this looks like a raid, pause "
                    "new admissions with the button or /admissions pause; a lead reopens them with "
                    "/admissions resume. No more alerts until the joins calm down."
                ),
                actions=(Action("Pause admissions", "admissions:pause:burst", ActionStyle.DANGER),),
            ),
            dedupe_key=f"gates:burst:{community_id}:{at.isoformat()}",
        )


def _how_to_get_in(name: str, mode: GateMode) -> str:
    ways = {
        "referral": "ask a member for a referral code, then type /join CODE",
        "application": "type /apply and answer two short questions; a moderator decides",
        "referral_or_application": "type /join CODE with a member's referral code, or /apply to apply",
        "open": "you should be in already; if not, ask a moderator",
    }
    return f"Welcome to {name}! To get in, {ways[mode]}."


async def _invite_code(ctx: Context, event: MemberJoined) -> ReferralCode | None:
    """The referral code behind the invite the adapter matched, when the match is confident."""
    if not event.invite_code or event.invite_confidence not in CONFIDENT:
        return None
    found = await ctx.uow.repo(ReferralCodeRepository).by_invite(ctx.community.id, event.invite_code)
    if found is None and (typed := normalize_code(event.invite_code)) is not None:
        found = await ctx.uow.repo(ReferralCodeRepository).by_code(
            ctx.community.id, typed
        )  # the adapter sent the code itself
    return found


@feature.event(MemberJoined)
async def admit_on_join(event: MemberJoined, ctx: Context) -> None:
    """A platform join: counted for the burst guard, then admitted (open gate, confident referral
    invite) or told privately how to get in."""
    if event.is_bot:
        return
    community, name = ctx.community, ctx.community.name
    await burst_guard(ctx, event.at)
    seen = await ctx.uow.members.upsert_seen(
        community.id, event.member, ctx.now(), display_name=event.display_name
    )
    person = await ctx.uow.repo(GateRepository).lock_member(seen.id)
    if person.is_admitted:  # back after a leave we never heard of: give access again
        await ctx.send(GrantMemberAccess(community.id, person.ref))
        return
    state, mode = await gate_now(ctx)
    code = await _invite_code(ctx, event)
    if state.admissions_paused:
        later = "Please try again later."
        if code is not None and allows_referral(mode):
            later = f"Once they reopen, type /join {format_code(code.code)} to get in."
        await ctx.send(
            DirectMessage(
                community.id,
                person.ref,
                f"Welcome to {name}! Admissions are paused for a little while. {later}",
            )
        )
        return
    note = ""
    if code is not None and allows_referral(mode):
        outcome, owner = await consume(ctx, code, person)
        if outcome is Redemption.OK and owner is not None:
            await admit(
                ctx,
                person,
                method=AdmissionMethod.INVITE,
                welcome=f"Welcome to {name}! You're in, thanks to the invite you were sent.",
                referrer=owner,
                confidence=event.invite_confidence,
            )
            return
        note = " (The invite you used no longer lets anyone in by itself.)"
    if mode == "open":
        await admit(ctx, person, method=AdmissionMethod.OPEN, welcome=f"Welcome to {name}! You're in.")
        return
    await ctx.send(DirectMessage(community.id, person.ref, _how_to_get_in(name, mode) + note))
