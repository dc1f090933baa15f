"""/challenge new · join · submit · complete, and the Join button on the announcement."""

from __future__ import annotations

from datetime import timedelta

from bot.core.badges.events import BadgeEarned
from bot.core.challenges import feature
from bot.core.challenges.commands import CompleteChallenge, CreateChallenge, JoinChallenge, SubmitChallenge
from bot.core.challenges.ports import Challenge, ChallengeRepository
from bot.core.context import Context
from bot.core.effects import PostMessage
from bot.core.errors import InvalidInput, NotFound
from bot.core.registry import ButtonRoute, Invocation, Option, OptionType, SlashCommand, int_id
from bot.core.replies import Action, ActionStyle, Reply
from bot.core.text import day, mention, user_text

CHALLENGE_BADGE = "challenger"
MAX_DAYS = 92


async def _open(ctx: Context, challenge_id: int) -> Challenge:
    challenge = await ctx.uow.repo(ChallengeRepository).get(ctx.community.id, challenge_id)
    if challenge is None:
        raise NotFound(f"There is no challenge #{challenge_id}. The announcement has its Join button.")
    return challenge


@feature.command(CreateChallenge)
async def create_challenge(command: CreateChallenge, ctx: Context) -> Reply:
    """Start a challenge and announce it with a Join button."""
    title = " ".join(command.title.split())
    if not title:
        raise InvalidInput("Give the challenge a title, e.g. “Write a how-to this month”.")
    if not 1 <= command.days <= MAX_DAYS:
        raise InvalidInput(f"A challenge runs for 1 to {MAX_DAYS} days.")
    now = ctx.now()
    challenge = await ctx.uow.repo(ChallengeRepository).create(
        command.community_id, title[:100], now, now + timedelta(days=command.days)
    )
    until = day(challenge.ends_at, ctx.community.zone)
    await ctx.send(
        PostMessage(
            command.community_id,
            "announcements",
            f"New challenge: {user_text(challenge.title, 100)}, until {until}. Join, do it, then tell us "
            f"with /challenge submit id:{challenge.id}; a moderator confirms and you earn the badge.",
            title=f"Challenge #{challenge.id}",
            actions=(Action("Join", f"challenge:join:{challenge.id}", ActionStyle.PRIMARY),),
        ),
        dedupe_key=f"challenge:{command.community_id}:{challenge.id}",
    )
    return Reply(text=f"Challenge #{challenge.id} is on until {until}.")


@feature.command(JoinChallenge)
async def join_challenge(command: JoinChallenge, ctx: Context) -> Reply:
    """Take part, while the challenge runs."""
    member = ctx.acting_member()
    challenge = await _open(ctx, command.challenge_id)
    if ctx.now() >= challenge.ends_at:
        raise InvalidInput(
            f"Challenge #{challenge.id} ended on {day(challenge.ends_at, ctx.community.zone)}."
        )
    if not await ctx.uow.repo(ChallengeRepository).join(challenge.id, member.id, ctx.now()):
        return Reply(text=f"You're already in challenge #{challenge.id}.")
    return Reply(
        text=f"You're in: {user_text(challenge.title, 100)}. /challenge submit id:{challenge.id} when done."
    )


@feature.command(SubmitChallenge)
async def submit_challenge(command: SubmitChallenge, ctx: Context) -> Reply:
    """A participant's "done": moderators hear of it to confirm."""
    member = ctx.acting_member()
    challenge = await _open(ctx, command.challenge_id)
    repo = ctx.uow.repo(ChallengeRepository)
    if await repo.entry(challenge.id, member.id) is None:
        raise InvalidInput(f"Join challenge #{challenge.id} first (the Join button on its announcement).")
    if ctx.now() >= challenge.ends_at:
        raise InvalidInput(
            f"Challenge #{challenge.id} ended on {day(challenge.ends_at, ctx.community.zone)}."
        )
    if not await repo.submit(challenge.id, member.id, ctx.now()):
        return Reply(text="You've submitted already; a moderator will confirm it.")
    await ctx.send(
        PostMessage(
            command.community_id,
            "applications",
            f"{mention(member.ref)} submitted to challenge #{challenge.id} "
            f"({user_text(challenge.title, 80)}). Confirm: /challenge complete id:{challenge.id} member:…",
        ),
        dedupe_key=f"challenge-submit:{challenge.id}:{member.id}",
    )
    return Reply(text="Submitted. A moderator will confirm it, and the badge follows.")


@feature.command(CompleteChallenge)
async def complete_challenge(command: CompleteChallenge, ctx: Context) -> Reply:
    """Confirm a submission: completed, and the challenge badge (awarded once, announced)."""
    challenge = await _open(ctx, command.challenge_id)
    member = await ctx.uow.members.by_ref(command.community_id, command.member)
    repo = ctx.uow.repo(ChallengeRepository)
    entry = await repo.entry(challenge.id, member.id) if member else None
    if member is None or entry is None or entry.submitted_at is None:
        raise InvalidInput(f"{mention(command.member)} has not submitted to challenge #{challenge.id}.")
    if not await repo.complete(challenge.id, member.id, ctx.now()):
        return Reply(text=f"{mention(member.ref)} has completed it already.")
    ctx.emit(
        BadgeEarned(
            community_id=command.community_id,
            member_id=member.id,
            member=member.ref,
            badge_key=CHALLENGE_BADGE,
            reason=f"completed the challenge “{user_text(challenge.title, 80)}”",
        )
    )
    return Reply(text=f"{mention(member.ref)} completed challenge #{challenge.id}.")


def _id(inv: Invocation) -> int:
    return int(inv.options["id"])


def _id_option() -> Option:
    return Option("id", "The challenge number", OptionType.INTEGER, min_value=1)


feature.slash(
    SlashCommand(
        name="challenge new",
        description="Start a time-boxed community challenge",
        options=(
            Option("title", "What to do, e.g. “Write a how-to”", max_length=100),
            Option("days", "How long it runs", OptionType.INTEGER, min_value=1, max_value=MAX_DAYS),
        ),
        build=lambda inv: CreateChallenge(
            community_id=inv.community_id, title=str(inv.options["title"]), days=int(inv.options["days"])
        ),
        command=CreateChallenge,
    )
)
feature.slash(
    SlashCommand(
        name="challenge submit",
        description="Tell us you've done a challenge you joined",
        options=(_id_option(),),
        build=lambda inv: SubmitChallenge(community_id=inv.community_id, challenge_id=_id(inv)),
        command=SubmitChallenge,
    )
)
feature.slash(
    SlashCommand(
        name="challenge complete",
        description="Confirm a member completed a challenge (they earn its badge)",
        options=(_id_option(), Option("member", "Who completed it", OptionType.MEMBER)),
        build=lambda inv: CompleteChallenge(
            community_id=inv.community_id, challenge_id=_id(inv), member=inv.options["member"]
        ),
        command=CompleteChallenge,
    )
)
feature.button(
    ButtonRoute(
        "challenge",
        "join",
        lambda inv, ident: JoinChallenge(
            community_id=inv.community_id, challenge_id=int_id(ident, "Try the latest announcement.")
        ),
        command=JoinChallenge,
    )
)
