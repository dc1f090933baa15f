"""Cohorts: the forming pool, launches (at 20 waiting or at the window), buddies, /cohort."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from bot.core.cohorts import feature
from bot.core.cohorts.buddy_rules import assign_buddies, match_fields
from bot.core.cohorts.commands import CloseCohortWindow, SetBuddyMatch, ShowCohort
from bot.core.cohorts.events import CohortLaunched
from bot.core.cohorts.ports import CohortRepository
from bot.core.cohorts.rules import (
    MILESTONE_DAY,
    ONBOARDING_DAYS,
    Cohort,
    CohortStatus,
    CohortView,
    Milestone,
    Trigger,
    next_window,
    onboarding_day,
    plan_launch,
)
from bot.core.context import Context
from bot.core.effects import DirectMessage, OpenPrivateSpace, PostMessage
from bot.core.errors import InvalidInput, NotFound
from bot.core.events import MemberLeft
from bot.core.gates.events import MemberAdmitted
from bot.core.members import AdmissionMethod
from bot.core.refs import MemberRef
from bot.core.registry import Invocation, Option, SlashCommand
from bot.core.replies import Reply
from bot.core.settings import CommunitySettings
from bot.core.text import day, mention, moment


def window_after(community: CommunitySettings, after: datetime) -> datetime:
    """The community's next cohort window after `after` (aware UTC), for the scheduler and for display."""
    cfg = community.cohorts
    return next_window(after, cfg.window_weekday, cfg.window_time, community.zone)


async def launch_due(ctx: Context, trigger: Trigger) -> list[Cohort]:
    """Launch every cohort the pool allows now (see bot.core.cohorts.rules.plan_launch)."""
    cfg = ctx.community.cohorts
    waiting = await ctx.uow.repo(CohortRepository).waiting(ctx.community.id)
    groups = plan_launch(
        waiting,
        ctx.now(),
        trigger,
        min_size=cfg.min_size,
        max_size=cfg.max_size,
        max_wait=timedelta(days=cfg.max_wait_days),
    )
    return [await launch_cohort(ctx, group) for group in groups]


async def launch_cohort(ctx: Context, member_ids: Sequence[int]) -> Cohort:
    """Form a cohort: buddies, the private space with its welcome, a DM to each buddy."""
    uow, cfg, now = ctx.uow, ctx.community.cohorts, ctx.now()
    await uow.repo(CohortRepository).leave_pool(member_ids)
    cohort = await uow.repo(CohortRepository).create(ctx.community.id, now, member_ids)
    newcomers = set(member_ids)
    candidates = [
        c
        for c in await uow.repo(CohortRepository).buddy_candidates(ctx.community.id, cfg.buddy_badges)
        if c.member_id not in newcomers
    ]
    if len(candidates) < cfg.buddies_per_newcomer:
        # Until enough graduates exist, the founders, staff and adopted members buddy the first cohorts.
        have = {c.member_id for c in candidates}
        candidates += [
            c
            for c in await uow.repo(CohortRepository).stand_ins(ctx.community.id)
            if c.member_id not in newcomers and c.member_id not in have
        ]
    buddies = assign_buddies(
        await uow.repo(CohortRepository).newcomers(member_ids, cfg.match_choices()),
        candidates,
        cfg.buddies_per_newcomer,
        await uow.repo(CohortRepository).past_pairs(member_ids),
    )
    await uow.repo(CohortRepository).add_buddies(cohort.id, buddies, now)
    for member_id in member_ids:
        await uow.repo(CohortRepository).mark_milestone(member_id, Milestone.INTRO.value, now)
    view = await uow.repo(CohortRepository).view(cohort.id)
    assert view is not None
    await _open_space(ctx, view)
    ctx.emit(
        CohortLaunched(
            community_id=ctx.community.id, cohort_id=cohort.id, member_ids=tuple(member_ids), at=now
        )
    )
    return cohort


def space_key(cohort: Cohort) -> str:
    """The logical channel name of a cohort's private space."""
    return f"cohort:{cohort.id}"


def welcome_text(ctx: Context, view: CohortView) -> str:
    """Day 0: who is here, who their buddies are, and the first 14 days."""
    lines = [
        f"Welcome to {view.cohort.name} of {ctx.community.name}! You are {len(view.members)} newcomers "
        f"starting together, and this space is yours for the next {ONBOARDING_DAYS} days.",
        "Say hello: what are you working on, and what would you like to learn here?",
        "",
        "Who's here:",
    ]
    for member in view.members:
        buddies = view.buddies_of(member.member_id)
        label = "buddy" if len(buddies) == 1 else "buddies"
        suffix = f" ({label}: {', '.join(mention(b) for b in buddies)})" if buddies else ""
        lines.append(f"• {mention(member.ref)}{suffix}")
    if not view.buddies:
        lines.append("No buddies are available yet; the moderators are here to help instead.")
    lines += [
        "",
        f"Your first {ONBOARDING_DAYS} days:",
        "• Day 0: introduce yourself here.",
        f"• Day {MILESTONE_DAY[Milestone.NUDGE]}: ask or answer one question in the community.",
        f"• Day {MILESTONE_DAY[Milestone.ACTIVATION]}: your first contribution "
        "(a message, a reply, a helpful answer).",
        f"• Day {MILESTONE_DAY[Milestone.GRADUATION]}: graduation, and the Cohort Graduate badge.",
        "Use /cohort any time to see where you are.",
    ]
    return "\n".join(lines)


async def _open_space(ctx: Context, view: CohortView) -> None:
    cid, cohort = ctx.community.id, view.cohort
    people = sorted({m.ref for m in view.members} | {b.buddy for b in view.buddies})
    key = f"cohort:{cid}:{cohort.id}"
    await ctx.send(
        OpenPrivateSpace(
            cid,
            space_key(cohort),
            cohort.name.lower().replace(" ", "-"),
            tuple(people),
            topic=f"{cohort.name}: newcomers' first {ONBOARDING_DAYS} days, with their buddies",
        ),
        dedupe_key=f"{key}:space",
    )
    await ctx.send(
        PostMessage(cid, space_key(cohort), welcome_text(ctx, view), title=cohort.name),
        dedupe_key=f"{key}:welcome",
    )
    by_buddy: dict[MemberRef, list[MemberRef]] = {}
    for link in view.buddies:
        by_buddy.setdefault(link.buddy, []).append(link.newcomer)
    for buddy, newcomers in by_buddy.items():
        await ctx.send(
            DirectMessage(
                cid,
                buddy,
                f"Thank you for being a buddy in {cohort.name}: {', '.join(mention(n) for n in newcomers)}. "
                f"For the next {ONBOARDING_DAYS} days, say hello in the cohort space, answer their questions "
                "and point them to a first contribution. I'll tell you if they haven't posted by day 3.",
            ),
            dedupe_key=f"{key}:buddy:{buddy}",
        )


@feature.event(MemberAdmitted)
async def join_cohort_pool(event: MemberAdmitted, ctx: Context) -> None:
    """An admitted newcomer waits in the pool; a full pool launches at once."""
    member = await ctx.uow.members.get(event.member_id)
    if member is None or member.is_bot or not member.is_admitted:
        return
    if event.founding or member.is_staff or event.method == AdmissionMethod.ADOPTED.value:
        return  # founders, staff and adopted members are not newcomers: they buddy the first cohorts
    # join_pool refuses a founder who left and came back, and whoever is re-admitted within their first
    # 14 days (they still have their cohort); a member who left and came back after their cohort ended
    # onboards again, with new buddies.
    if await ctx.uow.repo(CohortRepository).join_pool(event.community_id, member.id, event.at):
        await launch_due(ctx, Trigger.ADMISSION)


@feature.event(MemberLeft)
async def leave_cohort_pool(event: MemberLeft, ctx: Context) -> None:
    """Someone who leaves stops waiting for a cohort."""
    member = await ctx.uow.members.by_ref(event.community_id, event.member)
    if member is not None:
        await ctx.uow.repo(CohortRepository).leave_pool([member.id])


@feature.command(CloseCohortWindow)
async def close_cohort_window(command: CloseCohortWindow, ctx: Context) -> Reply:
    """The window closed: launch balanced cohorts, or a small one for those who waited too long."""
    launched = await launch_due(ctx, Trigger.WINDOW)
    waiting = await ctx.uow.repo(CohortRepository).waiting_count(command.community_id)
    upcoming = moment(window_after(ctx.community, ctx.now()), ctx.community.zone)
    names = ", ".join(c.name for c in launched) or "no cohort"
    return Reply(text=f"Launched {names}; {waiting} still waiting. Next window: {upcoming}.")


@feature.command(ShowCohort)
async def show_cohort(command: ShowCohort, ctx: Context) -> Reply:
    """A member's cohort, buddies and progress; for buddies, their newcomers; else the pool."""
    member = await ctx.uow.members.by_ref(command.community_id, command.member)
    if member is None:
        raise NotFound("Townsquare doesn't know you yet. Say hello in the community first.")
    lines: list[str] = []
    view = await ctx.uow.repo(CohortRepository).of_member(member.id)
    if view is not None:
        lines += await _own_cohort(ctx, view, member.id)
    for buddying in await ctx.uow.repo(CohortRepository).buddying(member.id):
        n = onboarding_day(buddying.cohort.launched_at, ctx.now())
        mine = [b.newcomer_id for b in buddying.buddies if b.buddy_id == member.id]
        status = [
            f"{mention(m.ref)} ({'has contributed' if m.first_contribution_at else 'no contribution yet'})"
            for m in buddying.members
            if m.member_id in mine
        ]
        lines.append(
            f"You are a buddy in {buddying.cohort.name} (day {n} of {ONBOARDING_DAYS}): {', '.join(status)}"
        )
    if lines:
        return Reply(text="\n".join(lines), title="Your cohort")
    since = await ctx.uow.repo(CohortRepository).waiting_since(member.id)
    if since is None:
        return Reply(
            text="You're not in a cohort. Cohorts are how newcomers spend their first two weeks here."
        )
    cfg = ctx.community.cohorts
    waiting = await ctx.uow.repo(CohortRepository).waiting_count(command.community_id)
    return Reply(
        text=(
            f"You're waiting for the next cohort since {day(since, ctx.community.zone)}, "
            f"with {waiting} newcomers in all. It launches when {cfg.max_size} are waiting, "
            "or at the window on "
            f"{moment(window_after(ctx.community, ctx.now()), ctx.community.zone)} "
            f"if at least {cfg.min_size} are."
        ),
        title="Your cohort",
    )


async def _own_cohort(ctx: Context, view: CohortView, member_id: int) -> list[str]:
    me = view.member(member_id)
    assert me is not None
    launched = view.cohort.launched_at
    on_day = onboarding_day(launched, ctx.now())
    state = (
        f"day {min(on_day, ONBOARDING_DAYS)} of {ONBOARDING_DAYS}"
        if view.cohort.status is CohortStatus.ACTIVE
        else "completed"
    )
    buddies = view.buddies_of(member_id)
    others = [mention(m.ref) for m in view.members if m.member_id != member_id]
    done = await ctx.uow.repo(CohortRepository).milestones(member_id)

    def _at_day(n: int) -> str:
        return day(launched + timedelta(days=n), ctx.community.zone)

    first = me.first_contribution_at
    graduation = MILESTONE_DAY[Milestone.GRADUATION]
    return [
        f"{view.cohort.name}, launched {day(launched, ctx.community.zone)}: {state}.",
        f"{'Your buddy' if len(buddies) == 1 else 'Your buddies'}: {', '.join(mention(b) for b in buddies)}"
        if buddies
        else "No buddy was available for you; the moderators are here to help.",
        f"With you: {', '.join(others)}" if others else "You are the whole cohort.",
        f"{'✓' if Milestone.INTRO.value in done else '·'} Day 0: introductions",
        f"✓ First contribution on {day(first, ctx.community.zone)}"
        if first
        else f"· First contribution: not yet. Aim for day {MILESTONE_DAY[Milestone.ACTIVATION]} "
        f"({_at_day(MILESTONE_DAY[Milestone.ACTIVATION])}).",
        f"✓ Graduated on {day(me.graduated_at, ctx.community.zone)}"
        if me.graduated_at
        else f"· Day {graduation}: graduation on {_at_day(graduation)}",
    ]


@feature.command(SetBuddyMatch)
async def set_buddy_match(command: SetBuddyMatch, ctx: Context) -> Reply:
    """Store a role/industry pick that is among the community's choices; say which ones are."""
    member = ctx.acting_member()
    choices = ctx.community.cohorts.match_choices()
    saved = []
    for field, value in (("role", command.role), ("industry", command.industry)):
        if value is None:
            continue
        picked = match_fields({field: value}, choices)
        if not picked:
            raise InvalidInput(f"Pick a {field} among: {', '.join(choices[field])}.")
        normal = next(iter(picked)).split("=", 1)[1]
        await ctx.uow.repo(CohortRepository).set_match(member.id, field, normal)
        saved.append(f"{field} {normal}")
    return Reply(text=f"Saved: {' and '.join(saved)}. Buddies are matched on it first, then on interests.")


def _cohort(inv: Invocation) -> ShowCohort | SetBuddyMatch:
    role, industry = inv.options.get("role"), inv.options.get("industry")
    if role is None and industry is None:
        return ShowCohort(community_id=inv.community_id, member=inv.actor.ref)
    return SetBuddyMatch(
        community_id=inv.community_id,
        member=inv.actor.ref,
        role=None if role is None else str(role),
        industry=None if industry is None else str(industry),
    )


feature.slash(
    SlashCommand(
        name="cohort",
        description="Your onboarding cohort, your buddies and your progress; or set your role/industry",
        options=(
            Option(
                "role",
                "Your role, to match buddies (e.g. engineering, design)",
                required=False,
                max_length=64,
            ),
            Option(
                "industry", "Your industry, to match buddies (e.g. fintech)", required=False, max_length=64
            ),
        ),
        build=_cohort,
        command=ShowCohort,
    )
)
