"""Governing bodies: the elected council (5–10 seats) and the appointed advisory board (10–15), each
with terms and a private space its members are added to; `/minutes` publishes a meeting's minutes in
the public channel (and the weekly digest counts them)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from bot.core.context import Context
from bot.core.effects import AddToSpace, OpenPrivateSpace, PostMessage
from bot.core.errors import Forbidden, InvalidInput
from bot.core.feedback import feature
from bot.core.feedback.commands import PublishMinutes
from bot.core.feedback.ports import CouncilRepository
from bot.core.refs import MemberRef, Role
from bot.core.registry import Invocation, Option, SlashCommand
from bot.core.replies import Reply
from bot.core.text import day, user_text

MINUTES_MAX = 3500


def seat_limit(ctx: Context, name: str) -> int | None:
    """How many may sit on a body: the board's and the council's sizes; other councils are unlimited."""
    settings = ctx.community.governance
    if name == settings.board:
        return settings.board_seats
    if name == ctx.community.ideas.council:
        return 10
    return None


def appointed_term(ctx: Context, name: str) -> datetime | None:
    """An appointment's end: board seats have a term; the council's come from elections."""
    if name != ctx.community.governance.board:
        return None
    return ctx.now() + timedelta(days=round(30.44 * ctx.community.governance.board_term_months))


def space_key(council_id: int) -> str:
    """The body's private space (a private channel or thread for its members)."""
    return f"body:{council_id}"


async def seat_in_space(ctx: Context, council_id: int, name: str, seated: Sequence[MemberRef]) -> None:
    """Open the body's private space once (with everyone on it) and add the newly seated members."""
    if not seated:
        return
    everyone = tuple(p.ref for p in await ctx.uow.repo(CouncilRepository).members(council_id))
    await ctx.send(
        OpenPrivateSpace(
            ctx.community.id,
            space_key(council_id),
            f"{name}"[:90],
            everyone or tuple(seated),
            topic=f"Private space of the {name}: members only.",
        ),
        dedupe_key=f"space:{space_key(council_id)}",
    )
    await ctx.send(AddToSpace(ctx.community.id, space_key(council_id), tuple(seated)))


@feature.command(PublishMinutes)
async def publish_minutes(command: PublishMinutes, ctx: Context) -> Reply:
    """Post the minutes publicly, named after the body and the date; only its members or leads."""
    name = (command.council or ctx.community.ideas.council).strip().lower()
    councils = ctx.uow.repo(CouncilRepository)
    council_id = await councils.find(command.community_id, name)
    if council_id is None:
        raise InvalidInput(
            f"There is no {name} council. Name the body, e.g. council or {ctx.community.governance.board}."
        )
    member = ctx.acting_member()
    lead = ctx.actor is not None and Role.LEAD in ctx.actor.roles
    if not lead and not await councils.is_member(command.community_id, name, member.id):
        raise Forbidden(f"Only members of the {name} (or a lead) publish its minutes.")
    text = user_text(command.text, MINUTES_MAX)
    if len(text) < 10:
        raise InvalidInput("Write the minutes: what was discussed and decided (at least 10 characters).")
    when = day(ctx.now(), ctx.community.zone)
    await ctx.send(
        PostMessage(
            ctx.community.id,
            ctx.community.governance.minutes_channel,
            text,
            title=f"Minutes of the {name}, {when}",
        )
    )
    await councils.add_minutes(council_id, member.id, ctx.now())
    return Reply(
        text=f"Published in {ctx.community.governance.minutes_channel}; the weekly digest will list them."
    )


def _minutes(inv: Invocation) -> PublishMinutes:
    return PublishMinutes(
        community_id=inv.community_id,
        author=inv.actor.ref,
        text=str(inv.options.get("text") or ""),
        council=inv.options.get("council"),
    )


feature.slash(
    SlashCommand(
        name="minutes",
        description="Publish a meeting's minutes (members of the body)",
        options=(
            Option("text", "What was discussed and decided", max_length=MINUTES_MAX),
            Option("council", "The body (default: the council)", required=False, max_length=40),
        ),
        build=_minutes,
        command=PublishMinutes,
    )
)
