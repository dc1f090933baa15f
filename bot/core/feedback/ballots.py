"""Ballots: one per eligible member, changeable until the poll closes; the ineligible are told why."""

from __future__ import annotations

from collections.abc import Mapping

from bot.core.badges.ports import BadgeRepository
from bot.core.context import Context
from bot.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from bot.core.feedback import feature
from bot.core.feedback.commands import AllocateVotes, CastBallot, ShowBallotForm
from bot.core.feedback.poll_rules import (
    Eligibility,
    Poll,
    PollKind,
    PollStatus,
    ineligibility,
    parse_allocation,
)
from bot.core.feedback.polls import closes_text
from bot.core.feedback.ports import CouncilRepository, PollRepository
from bot.core.members import Member
from bot.core.registry import ButtonRoute, Form, Invocation, id_parts, int_id
from bot.core.replies import FormField, OpenForm, Reply

SECRET_NOTE = "Only the totals are kept: nobody can see how you voted, so it cannot be changed."
SECRET_CAST = "You have already voted in this secret ballot. It counts once and cannot be changed."


async def _ballot_target(ctx: Context, poll_id: int) -> tuple[Poll, Member]:
    """The poll and the voter, after checking that the poll is open and the voter may vote."""
    poll = await ctx.uow.repo(PollRepository).get(ctx.community.id, poll_id)
    if poll is None:
        raise NotFound("That poll does not exist any more.")
    if poll.status is PollStatus.CLOSED or ctx.now() >= poll.closes_at:
        raise Conflict("This poll has closed; ballots are no longer accepted.")
    member = ctx.acting_member()
    badges = (
        await ctx.uow.repo(BadgeRepository).keys_of(member.id)
        if poll.eligibility is Eligibility.BADGE
        else set()
    )
    in_council = (
        poll.eligibility is Eligibility.COUNCIL
        and poll.eligible_key is not None
        and await ctx.uow.repo(CouncilRepository).is_member(ctx.community.id, poll.eligible_key, member.id)
    )
    why = ineligibility(poll, admitted=member.is_admitted, badges=badges, in_council=in_council)
    if why:
        raise Forbidden(why)
    return poll, member


async def _store(ctx: Context, poll: Poll, member: Member, points: Mapping[int, int]) -> bool:
    """Replace the member's ballot while the poll holds open; True when they had voted before."""
    if not await ctx.uow.repo(PollRepository).hold_open(poll.id, ctx.now()):
        raise Conflict("This poll has closed; ballots are no longer accepted.")
    if poll.secret:
        # Counted into anonymous totals: nothing (not even this bot) can find the ballot again to change it.
        if not await ctx.uow.repo(PollRepository).record_secret(poll.id, member.id, points, ctx.now()):
            raise Conflict(SECRET_CAST)
        return False
    had = bool(await ctx.uow.repo(PollRepository).ballot_of(poll.id, member.id))
    await ctx.uow.repo(PollRepository).replace_ballot(poll.id, member.id, points, ctx.now())
    return had


@feature.command(CastBallot)
async def cast_ballot(command: CastBallot, ctx: Context) -> Reply:
    """A single-choice ballot; pressing another option changes it until the poll closes."""
    poll, member = await _ballot_target(ctx, command.poll_id)
    if not poll.single_choice:
        raise InvalidInput(
            f"This poll gives you {poll.votes_per_member} votes: use the Cast your votes button."
        )
    option = poll.option(command.option_id)
    if option is None:
        raise NotFound("That option is not on this poll.")
    had = await _store(ctx, poll, member, {option.id: 1})
    if poll.secret:
        return Reply(text=f"Your secret ballot is cast: {option.label}. {SECRET_NOTE}")
    verb = "changed to" if had else "is"
    return Reply(
        text=f"Your ballot {verb}: {option.label}. You can change it until {closes_text(ctx, poll)}."
    )


@feature.command(ShowBallotForm)
async def show_ballot_form(command: ShowBallotForm, ctx: Context) -> OpenForm:
    """The form for spreading several votes (checked for eligibility before it opens)."""
    poll, _ = await _ballot_target(ctx, command.poll_id)
    return OpenForm(
        form_key="poll_ballot",
        title=f"Poll #{poll.id}: your {poll.votes_per_member} votes"[:45],
        fields=(
            FormField(
                "ballot",
                f"Option numbers (1-{len(poll.options)}), repeat to stack",
                max_length=100,
                multiline=False,
                placeholder='e.g. "1 1 3" or "1x2, 3"',
            ),
        ),
        context=str(poll.id),
    )


@feature.command(AllocateVotes)
async def allocate_votes(command: AllocateVotes, ctx: Context) -> Reply:
    """A ballot spreading up to N votes over the options."""
    poll, member = await _ballot_target(ctx, command.poll_id)
    by_position = parse_allocation(command.ballot, len(poll.options), poll.votes_per_member)
    points = {o.id: by_position[o.position] for o in poll.options if o.position in by_position}
    if poll.kind is PollKind.ELECTION and any(votes > 1 for votes in points.values()):
        raise InvalidInput(
            "In an election each nominee gets at most one of your votes: name each number once."
        )
    had = await _store(ctx, poll, member, points)
    summary = ", ".join(f"{o.label} × {points[o.id]}" for o in poll.options if o.id in points)
    if poll.secret:
        return Reply(text=f"Your secret ballot is cast: {summary}. {SECRET_NOTE}")
    verb = "changed to" if had else "is"
    return Reply(text=f"Your ballot {verb}: {summary}. You can change it until {closes_text(ctx, poll)}.")


# --- registry ------------------------------------------------------------------------------------


def _vote_button(inv: Invocation, ident: str) -> CastBallot:
    poll_id, option_id = id_parts(ident, 2)
    return CastBallot(
        community_id=inv.community_id,
        poll_id=int_id(poll_id),
        option_id=int_id(option_id),
    )


feature.button(ButtonRoute("poll", "vote", _vote_button, command=CastBallot))
feature.button(
    ButtonRoute(
        "poll",
        "ballot",
        lambda inv, ident: ShowBallotForm(community_id=inv.community_id, poll_id=int_id(ident)),
        command=ShowBallotForm,
    )
)


def _allocated(inv: Invocation, answers: Mapping[str, str], context: str) -> AllocateVotes:
    return AllocateVotes(
        community_id=inv.community_id, poll_id=int_id(context), ballot=answers.get("ballot", "")
    )


feature.form(Form(key="poll_ballot", build=_allocated, command=AllocateVotes))
