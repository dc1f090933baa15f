"""Capacity and the waitlist: a "going" beyond the places of a series waits, in the order members
asked; when someone going drops, the first waiting member gets the place and is told privately."""

from __future__ import annotations

from bot.core.context import Context
from bot.core.effects import DirectMessage
from bot.core.members import Member
from bot.core.programming import render
from bot.core.programming.ports import RsvpRepository
from bot.core.programming.rules import Occurrence, RsvpAnswer, Series, places_left


async def admit_or_wait(ctx: Context, series: Series, occurrence: Occurrence, member: Member) -> RsvpAnswer:
    """What a member asking to go gets: going while places are left, else a place on the waitlist.
    A member already going stays going. Call with the occurrence held (`RsvpRepository.hold`)."""
    if series.capacity is None:
        return RsvpAnswer.GOING
    rsvps = ctx.uow.repo(RsvpRepository)
    current = (await rsvps.answers_of(member.id, [occurrence.id])).get(occurrence.id)
    if current is RsvpAnswer.GOING:
        return RsvpAnswer.GOING
    if current is RsvpAnswer.WAITING:
        return RsvpAnswer.WAITING
    left = places_left(series.capacity, await rsvps.counts(occurrence.id))
    return RsvpAnswer.GOING if left else RsvpAnswer.WAITING


async def position(ctx: Context, occurrence: Occurrence, member: Member) -> int:
    """The member's place in the waitlist, from 1 (0 when not waiting)."""
    waiting = await ctx.uow.repo(RsvpRepository).waiting(occurrence.id)
    return next((n for n, m in enumerate(waiting, start=1) if m.id == member.id), 0)


async def fill_places(ctx: Context, series: Series, occurrence: Occurrence) -> list[Member]:
    """Promote waiting members, first come first served, into the free places; each is told by DM."""
    if series.capacity is None or not occurrence.happening or ctx.now() >= occurrence.starts_at:
        return []
    rsvps = ctx.uow.repo(RsvpRepository)
    left = places_left(series.capacity, await rsvps.counts(occurrence.id)) or 0
    promoted: list[Member] = []
    for member in (await rsvps.waiting(occurrence.id))[:left]:
        if await rsvps.promote(occurrence.id, member.id, ctx.now()):
            promoted.append(member)
            await ctx.send(
                DirectMessage(ctx.community.id, member.ref, render.promoted(series, occurrence)),
                dedupe_key=f"waitlist:promoted:{occurrence.id}:{member.id}:{ctx.now().isoformat()}",
            )
    return promoted
