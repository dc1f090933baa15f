"""Member votes: /poll opens a question, roadmap vote or election; results are posted once at close."""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum
from typing import TypeVar

from bot.core.context import Context
from bot.core.effects import EditMessage, PostMessage
from bot.core.errors import InvalidInput
from bot.core.feedback import feature
from bot.core.feedback.commands import CloseDuePolls, ClosePoll, OpenPoll
from bot.core.feedback.idea_rules import IdeaStatus
from bot.core.feedback.poll_rules import (
    MAX_OPTIONS,
    QUESTION_MAX,
    Eligibility,
    NewOption,
    Poll,
    PollKind,
    PollStatus,
    eligibility_text,
    parse_options,
    results_text,
)
from bot.core.feedback.ports import CouncilRepository, IdeaRepository, PollRepository
from bot.core.registry import Invocation, Option, OptionType, SlashCommand
from bot.core.replies import Action, ActionStyle, Reply
from bot.core.text import local_time, user_text

E = TypeVar("E", bound=StrEnum)


def _enum(kind: type[E], value: str, what: str) -> E:
    try:
        return kind(value.strip().lower())
    except ValueError:
        choices = ", ".join(v.value for v in kind)
        raise InvalidInput(f"{what} is one of: {choices}.") from None


def closes_text(ctx: Context, poll: Poll) -> str:
    """When a poll closes, in each member's own zone (plain: the community's)."""
    return local_time(poll.closes_at, ctx.community.zone)


def poll_post(ctx: Context, poll: Poll) -> tuple[str, tuple[Action, ...]]:
    """The poll's text and ballot buttons (a button per option, or one that opens the vote form)."""
    lines = [f"{o.position}. {o.label}" for o in poll.options]
    lines.append("")
    lines.append(f"Who can vote: {eligibility_text(poll)}.")
    if poll.secret:
        lines.append(
            (
                "One choice."
                if poll.single_choice
                else f"Spread {poll.votes_per_member} votes over the options."
            )
            + " Secret ballot: only totals are kept and shown (not even leads see who voted for what),"
            " so a ballot counts once and cannot be changed."
        )
    else:
        lines.append(
            "One choice; press another option to change it."
            if poll.single_choice
            else f"Spread {poll.votes_per_member} votes over the options; cast again to change your ballot."
        )
        lines.append("Open ballot: results show who voted for what.")
    lines.append(f"Closes {closes_text(ctx, poll)}; results are posted here then.")
    if poll.single_choice:
        actions = tuple(
            Action(f"{o.position}. {o.label}"[:80], f"poll:vote:{poll.id}:{o.id}") for o in poll.options
        )
    else:
        actions = (
            Action(f"Cast your {poll.votes_per_member} votes", f"poll:ballot:{poll.id}", ActionStyle.PRIMARY),
        )
    return "\n".join(lines), actions


async def _options(ctx: Context, command: OpenPoll, kind: PollKind) -> tuple[list[NewOption], int | None]:
    """The ballot's options (typed, planned ideas, or nominees) and the council an election fills."""
    if kind is PollKind.QUESTION:
        return [NewOption(label=user_text(o, 80)) for o in parse_options(command.options)], None
    if kind is PollKind.ROADMAP:
        planned = await ctx.uow.repo(IdeaRepository).with_status(command.community_id, (IdeaStatus.PLANNED,))
        planned.sort(key=lambda i: (-i.votes, i.created_at, i.id))
        if len(planned) < 2:
            raise InvalidInput("A roadmap vote needs at least two planned ideas; mark ideas planned first.")
        return [
            NewOption(label=f"#{i.id} {user_text(i.title, 70)}", idea_id=i.id) for i in planned[:MAX_OPTIONS]
        ], None
    name = (command.council or ctx.community.ideas.council).strip().lower()
    council_id = await ctx.uow.repo(CouncilRepository).ensure(command.community_id, name, ctx.now())
    nominees = []
    for person in await ctx.uow.repo(CouncilRepository).nominees(council_id):
        member = await ctx.uow.members.get(person.member_id)
        if member is not None and member.is_admitted:
            nominees.append(person)
    if not 2 <= len(nominees) <= MAX_OPTIONS:
        raise InvalidInput(
            f"An election needs 2 to {MAX_OPTIONS} nominees; the {name} council has {len(nominees)}. "
            "Members nominate with /nominate."
        )
    seats = command.seats or 1
    if seats >= len(nominees):
        raise InvalidInput(f"With {len(nominees)} nominees, elect fewer than {len(nominees)} (seats).")
    await ctx.uow.repo(CouncilRepository).clear_nominees(council_id)  # the next election starts a new round
    return [
        NewOption(label=user_text(p.display_name or p.ref.user_id, 80), member_id=p.member_id)
        for p in nominees
    ], council_id


@feature.command(OpenPoll)
async def open_poll(command: OpenPoll, ctx: Context) -> Reply:
    """Open a vote and post its ballot; results are posted when it closes."""
    settings = ctx.community.ideas
    question = user_text(command.question, QUESTION_MAX)
    if len(question) < 3:
        raise InvalidInput("Ask a question of at least 3 characters.")
    kind = _enum(PollKind, command.kind, "The kind of poll")
    eligibility = _enum(Eligibility, command.eligibility, "Who can vote")
    group = (command.group or "").strip().lower() or None
    if eligibility is Eligibility.BADGE and group is None:
        raise InvalidInput("Name the badge whose holders may vote (group), e.g. champion.")
    if eligibility is Eligibility.COUNCIL:
        group = group or settings.council
        council = await ctx.uow.repo(CouncilRepository).find(command.community_id, group)
        if council is None or not await ctx.uow.repo(CouncilRepository).members(council):
            raise InvalidInput(f"The {group} council has no members yet; add them with /council add.")
    if eligibility is Eligibility.ALL:
        group = None
    votes = command.votes or (settings.roadmap_poll_votes if kind is PollKind.ROADMAP else 1)
    if not 1 <= votes <= 10:
        raise InvalidInput("Each member has 1 to 10 votes.")
    hours = command.hours or settings.poll_hours
    if not 1 <= hours <= 24 * 60:
        raise InvalidInput("A poll stays open 1 hour to 60 days.")
    options, council_id = await _options(ctx, command, kind)
    lead = ctx.member  # leads may be staff-only users without a member row
    poll = await ctx.uow.repo(PollRepository).create(
        command.community_id,
        question=question,
        kind=kind,
        eligibility=eligibility,
        eligible_key=group,
        secret=command.secret if command.secret is not None else ctx.community.governance.ballot == "secret",
        votes_per_member=votes,
        channel=settings.poll_channel,
        closes_at=ctx.now() + timedelta(hours=hours),
        options=options,
        created_by_id=lead.id if lead else None,
        now=ctx.now(),
        seats=(command.seats or 1) if kind is PollKind.ELECTION else None,
        council_id=council_id,
    )
    text, actions = poll_post(ctx, poll)
    await ctx.send(
        PostMessage(
            command.community_id,
            poll.channel,
            text,
            actions=actions,
            title=question,
            message_key=poll.message_key,
        )
    )
    return Reply(
        text=f"Poll #{poll.id} is open until {closes_text(ctx, poll)}. Results are posted when it closes."
    )


async def close_poll_now(ctx: Context, poll_id: int) -> bool:
    """Close one poll whose time is up and post its results; False when not due or closed already.

    The open → closed update happens once (a conditional UPDATE), and the results post has a
    dedupe key, so a closing job that fires twice, or again after a restart, posts nothing more.
    """
    poll = await ctx.uow.repo(PollRepository).get(ctx.community.id, poll_id)
    if poll is None or poll.status is PollStatus.CLOSED or ctx.now() < poll.closes_at:
        return False
    if not await ctx.uow.repo(PollRepository).close(poll.id, ctx.now()):
        return False
    points, ballots = await ctx.uow.repo(PollRepository).tally(poll.id)
    voters = None if poll.secret else await ctx.uow.repo(PollRepository).voters_by_option(poll.id)
    from bot.core.feedback.governance_results import settle_election, settle_roadmap  # uses this module

    winners: list[str] | None = []
    settled: list[str] = []
    if poll.kind is PollKind.ELECTION and poll.council_id is not None:
        winners, settled = await settle_election(ctx, poll, points, ballots)
    elif poll.kind is PollKind.ROADMAP:
        settled = await settle_roadmap(ctx, poll, points, ballots)
    text = "\n".join([results_text(poll, points, ballots, voters, winners), *settled])
    await ctx.send(
        PostMessage(
            poll.community_id,
            poll.channel,
            text,
            title=f"Results: {poll.question}",
            link_key=poll.message_key,
        ),
        dedupe_key=f"poll-results:{poll.community_id}:{poll.id}",
    )
    post, _ = poll_post(ctx, poll)
    await ctx.send(
        EditMessage(poll.community_id, poll.message_key, post + "\nThis poll is closed.", title=poll.question)
    )
    return True


@feature.command(ClosePoll)
async def close_poll(command: ClosePoll, ctx: Context) -> Reply:
    """Close a poll at its closing time (scheduled; harmless when it fires twice)."""
    closed = await close_poll_now(ctx, command.poll_id)
    return Reply(text=f"Poll #{command.poll_id} {'closed' if closed else 'was not due or already closed'}.")


@feature.command(CloseDuePolls)
async def close_due_polls(command: CloseDuePolls, ctx: Context) -> Reply:
    """Close every poll whose time is up: the catch-up after downtime."""
    closed = [
        i
        for i in await ctx.uow.repo(PollRepository).due(command.community_id, ctx.now())
        if await close_poll_now(ctx, i)
    ]
    return Reply(text=f"{len(closed)} poll(s) closed.")


# --- registry ------------------------------------------------------------------------------------


def _poll(inv: Invocation) -> OpenPoll:
    o = inv.options
    return OpenPoll(
        community_id=inv.community_id,
        question=str(o["question"]),
        options=str(o.get("options") or ""),
        kind=str(o.get("kind") or PollKind.QUESTION.value),
        eligibility=str(o.get("eligible") or Eligibility.ALL.value),
        group=o.get("group"),
        secret=(str(o["ballot"]) == "secret") if o.get("ballot") else None,
        votes=o.get("votes"),
        hours=o.get("hours"),
        seats=o.get("seats"),
        council=o.get("council"),
    )


feature.slash(
    SlashCommand(
        name="poll",
        description="Ask members to vote: a question, a roadmap vote or a council election",
        options=(
            Option("question", "What members vote on", max_length=QUESTION_MAX),
            Option(
                "options",
                'Choices separated by |, e.g. "Red | Green" (not for roadmap/election)',
                required=False,
                multiline=True,  # one choice per line works too (Slack)
            ),
            Option(
                "kind",
                "question, roadmap (planned ideas) or election (nominees)",
                required=False,
                choices=tuple(k.value for k in PollKind),
            ),
            Option("eligible", "Who can vote", required=False, choices=tuple(e.value for e in Eligibility)),
            Option("group", "The badge (eligible=badge) or council (eligible=council)", required=False),
            Option(
                "ballot",
                "secret (totals only; the default unless configured) or open (names who voted what)",
                required=False,
                choices=("open", "secret"),
            ),
            Option(
                "votes",
                "Votes per member to spread (1: single choice)",
                OptionType.INTEGER,
                required=False,
                min_value=1,
                max_value=10,
            ),
            Option(
                "hours",
                "Hours until it closes",
                OptionType.INTEGER,
                required=False,
                min_value=1,
                max_value=24 * 60,
            ),
            Option(
                "seats",
                "Elections: members to elect",
                OptionType.INTEGER,
                required=False,
                min_value=1,
                max_value=15,
            ),
            Option("council", "Elections: the council to fill", required=False),
        ),
        build=_poll,
        command=OpenPoll,
    )
)
