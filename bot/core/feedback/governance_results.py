"""Settling a closed election or roadmap vote: quorum, ties at the last seat, terms; the roadmap
vote's winners move on the roadmap with the decision's rationale. Called by polls.close_poll_now."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from bot.core.context import Context
from bot.core.feedback.bodies import seat_in_space
from bot.core.feedback.governance_rules import (
    RoundStatus,
    ordinal,
    quorum_needed,
    roadmap_step,
    tied_at_cutoff,
)
from bot.core.feedback.idea_status import apply_status
from bot.core.feedback.poll_rules import Poll, elected, ranked
from bot.core.feedback.ports import CouncilRepository, GovernanceRepository, IdeaRepository
from bot.core.text import local_time, mention, user_text


def term_end(ctx: Context) -> datetime:
    """When a seat elected now ends: `term_months` (of 30.44 days) from now."""
    return ctx.now() + timedelta(days=round(30.44 * ctx.community.governance.term_months))


async def settle_election(
    ctx: Context, poll: Poll, points: Mapping[int, int], ballots: int
) -> tuple[list[str] | None, list[str]]:
    """Seat the winners unless the quorum was missed: (winners as mentions, None when no result
    counts; lines for the results)."""
    assert poll.council_id is not None
    found = await ctx.uow.repo(GovernanceRepository).by_poll(poll.id)
    settings = ctx.community.governance
    lines: list[str] = []
    if found is not None:  # the calendar's elections have a quorum and terms; a lead's /poll has neither
        eligible = await ctx.uow.members.count_admitted(ctx.community.id)
        needed = quorum_needed(eligible, settings.quorum)
        if ballots < needed:
            await ctx.uow.repo(GovernanceRepository).advance(
                found.id, RoundStatus.FAILED, only_from=RoundStatus.VOTING
            )
            return None, [
                f"Quorum not reached: {ballots} ballot(s), {needed} needed ({settings.quorum:.0%} of "
                f"{eligible} members). The council stays as it is until the next election."
            ]
    chosen = elected(poll, points)
    tied = tied_at_cutoff(poll, points, poll.seats or 0)
    if tied:
        names = ", ".join(o.label for o in tied)
        lines.append(
            f"Tie for the last seat(s) between {names}: decided by the earlier nomination, as the rules say."
        )
    members = [await ctx.uow.members.get(o.member_id) for o in chosen if o.member_id is not None]
    seated = [m for m in members if m is not None and m.is_admitted]
    ends = term_end(ctx) if found is not None else None
    if seated:
        await ctx.uow.repo(CouncilRepository).replace_members(
            poll.council_id, [m.id for m in seated], ctx.now(), ends
        )
        await seat_in_space(ctx, poll.council_id, poll.council_name or "council", [m.ref for m in seated])
        if ends is not None:
            lines.append(f"Their term runs until {local_time(ends, ctx.community.zone)}.")
    if found is not None:
        await ctx.uow.repo(GovernanceRepository).advance(
            found.id, RoundStatus.DONE, only_from=RoundStatus.VOTING
        )
    return [mention(m.ref) for m in seated], lines


async def settle_roadmap(ctx: Context, poll: Poll, points: Mapping[int, int], ballots: int) -> list[str]:
    """Move the calendar roadmap vote's best-ranked ideas one step, each with why; lines for the results.
    A lead's own roadmap /poll moves nothing (the leads decide)."""
    found = await ctx.uow.repo(GovernanceRepository).by_poll(poll.id)
    if found is None:
        return []
    settings = ctx.community.governance
    if ballots == 0:
        await ctx.uow.repo(GovernanceRepository).advance(
            found.id, RoundStatus.FAILED, only_from=RoundStatus.VOTING
        )
        return ["No ballots were cast: the roadmap stays as it is."]
    voters = "the council" if poll.eligible_key else "the members"
    lines = [
        f"Decided by {voters} in the roadmap vote of {found.period}: the best-ranked ideas move one step."
    ]
    for rank, (option, score) in enumerate(ranked(poll, points)[: settings.roadmap_moves], start=1):
        if score <= 0 or option.idea_id is None:
            continue
        idea = await ctx.uow.repo(IdeaRepository).lock(ctx.community.id, option.idea_id)
        step = roadmap_step(idea.status) if idea is not None else None
        if idea is None or step is None:
            continue
        why = (
            f"ranked {ordinal(rank)} with {score} point(s) from {ballots} ballot(s) "
            f"in the roadmap vote {found.period}"
        )
        if await apply_status(ctx, idea, step, None, None, note=why) is not None:
            lines.append(
                f"#{idea.id} {user_text(idea.title, 70)}: {idea.status.label} → {step.label} ({why})."
            )
    await ctx.uow.repo(GovernanceRepository).advance(found.id, RoundStatus.DONE, only_from=RoundStatus.VOTING)
    return lines
