"""Onboarding milestones, run daily by the scheduler: day-3 nudge, day-7 activation check, day-14
graduation. Each is recorded per member, so a repeated run sends nothing twice; a run that comes
late (after downtime) skips a nudge whose moment has passed rather than sending it out of place.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from bot.core.cohorts import feature
from bot.core.cohorts.commands import RunMilestones
from bot.core.cohorts.events import MemberGraduated
from bot.core.cohorts.handlers import space_key
from bot.core.cohorts.ports import CohortRepository
from bot.core.cohorts.rules import (
    MILESTONE_DAY,
    CohortMember,
    CohortStatus,
    CohortView,
    Milestone,
    onboarding_day,
)
from bot.core.context import Context
from bot.core.effects import DirectMessage, PostMessage
from bot.core.refs import MemberRef
from bot.core.replies import Reply
from bot.core.text import mention

NUDGE, ACTIVATION, GRADUATION = (
    MILESTONE_DAY[m] for m in (Milestone.NUDGE, Milestone.ACTIVATION, Milestone.GRADUATION)
)


@feature.command(RunMilestones)
async def run_milestones(command: RunMilestones, ctx: Context) -> Reply:
    """Send whatever onboarding milestones are due in every active cohort."""
    done: Counter[str] = Counter()
    for view in await ctx.uow.repo(CohortRepository).active(command.community_id):
        day = onboarding_day(view.cohort.launched_at, ctx.now())
        current = [m for m in view.members if m.admitted]
        if NUDGE <= day < ACTIVATION:
            quiet = [m for m in current if m.first_contribution_at is None]
            first_time = await _once(ctx, quiet, Milestone.NUDGE)
            for member in quiet:
                if member.member_id in first_time:
                    await _nudge(ctx, view, member)
                    done["nudged"] += 1
        if ACTIVATION <= day < GRADUATION:
            first_time = await _once(ctx, current, Milestone.ACTIVATION)
            for member in current:
                if member.member_id in first_time and member.first_contribution_at is None:
                    await _check_in(ctx, view, member)
                    done["checked in"] += 1
            await _progress(ctx, view, current)
        if day >= GRADUATION:
            done["graduated"] += await _graduate(ctx, view, current)
    summary = ", ".join(f"{n} {what}" for what, n in done.items()) or "nothing due"
    return Reply(text=f"Milestones: {summary}.")


def buddy_phrase(buddies: Sequence[MemberRef]) -> str:
    """ "Your buddy @a is" / "Your buddies @a and @b are"."""
    names = [mention(b) for b in buddies]
    if len(names) == 1:
        return f"Your buddy {names[0]} is"
    return f"Your buddies {', '.join(names[:-1])} and {names[-1]} are"


def ask(buddies: Sequence[MemberRef]) -> str:
    """ " or ask your buddy" only when there is one (", or ask a moderator" otherwise)."""
    if not buddies:
        return " or ask a moderator"
    return " or ask your buddy" if len(buddies) == 1 else " or ask one of your buddies"


async def _once(ctx: Context, members: Sequence[CohortMember], milestone: Milestone) -> set[int]:
    """Record the milestone for each member (one statement); the ids it is new for."""
    ids = [m.member_id for m in members]
    return await ctx.uow.repo(CohortRepository).mark_milestones(ids, milestone.value, ctx.now())


async def _nudge(ctx: Context, view: CohortView, member: CohortMember) -> None:
    """Day 3 without a contribution: a friendly word to the newcomer and to their buddy."""
    buddies = view.buddies_of(member.member_id)
    helper = f"{buddy_phrase(buddies)} happy to help." if buddies else ""
    key = f"milestone:{ctx.community.id}:{view.cohort.id}:day3:{member.member_id}"
    await ctx.send(
        DirectMessage(
            ctx.community.id,
            member.ref,
            f"It's day {NUDGE} with {view.cohort.name}. A good first step: say hello in your cohort "
            f"space, or answer someone's question. Small steps count. {helper}".strip(),
        ),
        dedupe_key=key,
    )
    for buddy in buddies:
        await ctx.send(
            DirectMessage(
                ctx.community.id,
                buddy,
                f"{mention(member.ref)} from {view.cohort.name} hasn't posted yet (day {NUDGE}). "
                "A hello from you, or a question they could answer, is often all it takes.",
            ),
            dedupe_key=f"{key}:buddy:{buddy}",
        )


async def _check_in(ctx: Context, view: CohortView, member: CohortMember) -> None:
    """Day 7 without a contribution: not activated; the newcomer and their buddy hear about it."""
    buddies = view.buddies_of(member.member_id)
    key = f"milestone:{ctx.community.id}:{view.cohort.id}:day7:{member.member_id}"
    await ctx.send(
        DirectMessage(
            ctx.community.id,
            member.ref,
            f"A week with {view.cohort.name} already. If you're not sure where to start, reply to the "
            f"welcome post in your cohort space{ask(buddies)}: one message is a start.",
        ),
        dedupe_key=key,
    )
    for buddy in buddies:
        await ctx.send(
            DirectMessage(
                ctx.community.id,
                buddy,
                f"{mention(member.ref)} hasn't made a first contribution after {ACTIVATION} days. "
                "Could you invite them to something specific, like a thread where their experience helps?",
            ),
            dedupe_key=f"{key}:buddy:{buddy}",
        )


async def _progress(ctx: Context, view: CohortView, current: list[CohortMember]) -> None:
    """Day 7 in the cohort space: how many have made a first contribution (peer encouragement)."""
    active = sum(1 for m in current if m.first_contribution_at is not None)
    await ctx.send(
        PostMessage(
            ctx.community.id,
            space_key(view.cohort),
            f"Day {ACTIVATION}: {active} of {len(current)} of you have made a first contribution. "
            "If you haven't yet, this is a good week for it; ask here if you're unsure where.",
        ),
        dedupe_key=f"milestone:{ctx.community.id}:{view.cohort.id}:day7",
    )


async def _graduate(ctx: Context, view: CohortView, current: list[CohortMember]) -> int:
    """Day 14: graduates are announced (MemberGraduated: badges award theirs); onboarding ends."""
    require = ctx.community.cohorts.graduation_requires_contribution
    graduates = []
    await _once(ctx, current, Milestone.GRADUATION)
    eligible = [m for m in current if not (require and m.first_contribution_at is None)]
    graduated = await ctx.uow.repo(CohortRepository).graduate(
        view.cohort.id, [m.member_id for m in eligible], ctx.now()
    )
    for member in eligible:
        if member.member_id in graduated:
            ctx.emit(
                MemberGraduated(
                    community_id=ctx.community.id,
                    cohort_id=view.cohort.id,
                    cohort_name=view.cohort.name,
                    member_id=member.member_id,
                    member=member.ref,
                    at=ctx.now(),
                )
            )
            graduates.append(member)
    names = ", ".join(mention(m.ref) for m in graduates)
    text = (
        f"{view.cohort.name} graduates today: {names}. Congratulations, and thank you to every buddy. "
        "This space stays open."
        if graduates
        else f"{view.cohort.name} completes its first {GRADUATION} days today. This space stays open."
    )
    await ctx.send(
        PostMessage(ctx.community.id, space_key(view.cohort), text),
        dedupe_key=f"milestone:{ctx.community.id}:{view.cohort.id}:day14",
    )
    await ctx.uow.repo(CohortRepository).set_status(view.cohort.id, CohortStatus.GRADUATED.value)
    return len(graduates)
