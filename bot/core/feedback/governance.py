"""The governance calendar, run daily by the scheduler: at each period's start (quarterly by default)
nominations for the council open; when they close the secret ballot opens; the period's roadmap vote
opens too. Polls close on their own (polls.close_poll_now), and governance_results settles them."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from bot.core.context import Context
from bot.core.effects import PostMessage
from bot.core.feedback import feature
from bot.core.feedback.bodies import seat_in_space
from bot.core.feedback.commands import RunGovernanceCalendar
from bot.core.feedback.governance_results import term_end
from bot.core.feedback.governance_rules import (
    ELECTION_MAX_NOMINEES,
    RoundKind,
    RoundStatus,
    period_of,
)
from bot.core.feedback.idea_rules import IdeaStatus
from bot.core.feedback.poll_rules import Eligibility, NewOption, Person, PollKind
from bot.core.feedback.polls import poll_post
from bot.core.feedback.ports import CouncilRepository, GovernanceRepository, IdeaRepository, PollRepository
from bot.core.recurring import Daily, Recurring
from bot.core.replies import Reply
from bot.core.settings import CommunitySettings
from bot.core.text import local_time, mention, user_text

RUN_AT = time(9, 0)  # community time
ROADMAP_CANDIDATES = (IdeaStatus.NEW, IdeaStatus.UNDER_REVIEW, IdeaStatus.PLANNED)


@feature.command(RunGovernanceCalendar)
async def run_governance_calendar(command: RunGovernanceCalendar, ctx: Context) -> Reply:
    """Take whichever step of the period's election and roadmap vote is due (each happens once)."""
    settings = ctx.community.governance
    period, _ = period_of(command.day, settings.every_months)
    done: list[str] = []
    if settings.elections:
        done.append(await _election_step(ctx, period))
    if settings.roadmap_vote:
        done.append(await _roadmap_step(ctx, period))
    return Reply(text="; ".join(d for d in done if d) or "Nothing due.")


async def _announce(ctx: Context, key: str, title: str, text: str) -> None:
    channel = ctx.community.ideas.poll_channel
    await ctx.send(PostMessage(ctx.community.id, channel, text, title=title), dedupe_key=f"governance:{key}")


async def _election_step(ctx: Context, period: str) -> str:
    settings, now = ctx.community.governance, ctx.now()
    rounds, councils = ctx.uow.repo(GovernanceRepository), ctx.uow.repo(CouncilRepository)
    name = ctx.community.ideas.council
    found = await rounds.get(ctx.community.id, RoundKind.ELECTION, period)
    if found is None:
        council_id = await councils.ensure(ctx.community.id, name, now)
        closes = now + timedelta(days=settings.nomination_days)
        started = await rounds.start(
            ctx.community.id,
            RoundKind.ELECTION,
            period,
            RoundStatus.NOMINATING,
            now,
            council_id=council_id,
            nominations_close_at=closes,
        )
        if started is None:
            return ""
        term_end = await councils.term_end(council_id)
        ballot = "a secret ballot (totals only)" if settings.ballot == "secret" else "an open ballot"
        lines = [
            f"Nominations for the {name} council are open until {local_time(closes, ctx.community.zone)}.",
            f"Nominate a member, or yourself, with /nominate. {settings.council_seats} seats are up; "
            f"the vote is {ballot} and stays open {settings.voting_days} days.",
        ]
        if term_end is not None:
            lines.append(f"The current council's term ends {local_time(term_end, ctx.community.zone)}.")
        await _announce(ctx, f"{period}:nominations", f"Council election {period}", "\n".join(lines))
        return f"election {period}: nominations open"
    if found.status is not RoundStatus.NOMINATING or found.nominations_close_at is None:
        return ""
    if now < found.nominations_close_at or found.council_id is None:
        return ""
    return await _open_ballot(ctx, found.id, found.council_id, period)


async def _nominees(ctx: Context, council_id: int) -> list[Person]:
    found = []
    for person in await ctx.uow.repo(CouncilRepository).nominees(council_id):
        member = await ctx.uow.members.get(person.member_id)
        if member is not None and member.is_admitted:
            found.append(person)
    return found[:ELECTION_MAX_NOMINEES]


async def _open_ballot(ctx: Context, round_id: int, council_id: int, period: str) -> str:
    settings, now = ctx.community.governance, ctx.now()
    rounds, councils = ctx.uow.repo(GovernanceRepository), ctx.uow.repo(CouncilRepository)
    name = ctx.community.ideas.council
    nominees = await _nominees(ctx, council_id)
    seats = settings.council_seats
    if len(nominees) <= seats:
        # No contest: nobody to vote between. Fewer nominees than seats still fill what they can.
        if not await rounds.advance(round_id, RoundStatus.DONE, only_from=RoundStatus.NOMINATING):
            return ""
        if not nominees:
            await _announce(
                ctx,
                f"{period}:no-nominees",
                f"Council election {period}",
                f"Nobody was nominated for the {name} council: it stays as it is until the next election.",
            )
            return f"election {period}: no nominees"
        ends = term_end(ctx)
        await councils.replace_members(council_id, [p.member_id for p in nominees], now, ends)
        await seat_in_space(ctx, council_id, name, [p.ref for p in nominees])
        await councils.clear_nominees(council_id)
        elected = ", ".join(mention(p.ref) for p in nominees)
        await _announce(
            ctx,
            f"{period}:acclaimed",
            f"Council election {period}",
            f"{len(nominees)} nominee(s) for {seats} seats, so no vote was needed. Elected to the {name} "
            f"council: {elected}. Their term runs until {local_time(ends, ctx.community.zone)}.",
        )
        return f"election {period}: elected without a vote"
    poll = await ctx.uow.repo(PollRepository).create(
        ctx.community.id,
        question=f"Elect the {name} council ({period})",
        kind=PollKind.ELECTION,
        eligibility=Eligibility.ALL,
        eligible_key=None,
        secret=settings.ballot == "secret",
        votes_per_member=seats,
        channel=ctx.community.ideas.poll_channel,
        closes_at=now + timedelta(days=settings.voting_days),
        options=[
            NewOption(label=user_text(p.display_name or p.ref.user_id, 80), member_id=p.member_id)
            for p in nominees
        ],
        created_by_id=None,
        now=now,
        seats=seats,
        council_id=council_id,
    )
    if not await rounds.advance(
        round_id, RoundStatus.VOTING, only_from=RoundStatus.NOMINATING, poll_id=poll.id
    ):
        return ""
    await councils.clear_nominees(council_id)
    await _post_poll(ctx, poll.id)
    return f"election {period}: ballot open"


async def _post_poll(ctx: Context, poll_id: int) -> None:
    poll = await ctx.uow.repo(PollRepository).get(ctx.community.id, poll_id)
    assert poll is not None
    text, actions = poll_post(ctx, poll)
    await ctx.send(
        PostMessage(
            ctx.community.id,
            poll.channel,
            text,
            actions=actions,
            title=poll.question,
            message_key=poll.message_key,
        ),
        dedupe_key=f"governance:poll:{poll.id}",
    )


async def _roadmap_step(ctx: Context, period: str) -> str:
    settings, now = ctx.community.governance, ctx.now()
    rounds = ctx.uow.repo(GovernanceRepository)
    if await rounds.get(ctx.community.id, RoundKind.ROADMAP, period) is not None:
        return ""
    ideas = await ctx.uow.repo(IdeaRepository).with_status(ctx.community.id, ROADMAP_CANDIDATES)
    ideas.sort(key=lambda i: (-i.votes, i.created_at, i.id))
    ideas = ideas[: settings.roadmap_ideas]
    if len(ideas) < 2:
        return ""  # tried again tomorrow: a vote needs two ideas to rank
    eligibility, group = Eligibility.ALL, None
    if settings.roadmap_voters == "council":
        name = ctx.community.ideas.council
        council_id = await ctx.uow.repo(CouncilRepository).find(ctx.community.id, name)
        if council_id is not None and await ctx.uow.repo(CouncilRepository).members(council_id):
            eligibility, group = Eligibility.COUNCIL, name
    poll = await ctx.uow.repo(PollRepository).create(
        ctx.community.id,
        question=f"Roadmap vote {period}: rank the top ideas",
        kind=PollKind.ROADMAP,
        eligibility=eligibility,
        eligible_key=group,
        secret=settings.ballot == "secret",
        votes_per_member=ctx.community.ideas.roadmap_poll_votes,
        channel=ctx.community.ideas.poll_channel,
        closes_at=now + timedelta(days=settings.voting_days),
        options=[NewOption(label=f"#{i.id} {user_text(i.title, 70)}", idea_id=i.id) for i in ideas],
        created_by_id=None,
        now=now,
    )
    if (
        await rounds.start(
            ctx.community.id, RoundKind.ROADMAP, period, RoundStatus.VOTING, now, poll_id=poll.id
        )
        is None
    ):
        return ""
    await _post_poll(ctx, poll.id)
    return f"roadmap {period}: vote open"


def governance_command(community: CommunitySettings, scheduled_for: datetime) -> RunGovernanceCalendar:
    """The calendar's step for the community date of the scheduled instant."""
    return RunGovernanceCalendar(
        community_id=community.id, day=scheduled_for.astimezone(community.zone).date()
    )


feature.recurring(
    Recurring(
        "governance", RunGovernanceCalendar, lambda c: Daily(RUN_AT), timedelta(hours=12), governance_command
    )
)
