"""Councils: named groups of members that leads manage, or elect from nominees with /poll."""

from __future__ import annotations

from bot.core.context import Context
from bot.core.effects import DirectMessage
from bot.core.errors import InvalidInput, NotFound
from bot.core.feedback import feature
from bot.core.feedback.bodies import appointed_term, seat_in_space, seat_limit
from bot.core.feedback.commands import AddCouncilMember, NominateMember, RemoveCouncilMember, ShowCouncil
from bot.core.feedback.ports import CouncilRepository
from bot.core.members import Member
from bot.core.refs import MemberRef
from bot.core.registry import Option, OptionType, SlashCommand
from bot.core.replies import Reply
from bot.core.text import day, user_text

NAME_HELP = "Council names are 1 to 40 lowercase letters, digits, - or _."


def _council(ctx: Context, name: str | None) -> str:
    cleaned = (name or ctx.community.ideas.council).strip().lower()
    if not cleaned or len(cleaned) > 40 or not all(c.isalnum() or c in "-_" for c in cleaned):
        raise InvalidInput(NAME_HELP)
    return cleaned


async def _member(ctx: Context, ref: MemberRef) -> Member:
    member = await ctx.uow.members.by_ref(ctx.community.id, ref)
    if member is None or not member.is_admitted:
        raise NotFound("That person is not a member here.")
    return member


def _name(member: Member) -> str:
    return user_text(member.display_name or member.ref.user_id, 60)


@feature.command(AddCouncilMember)
async def add_council_member(command: AddCouncilMember, ctx: Context) -> Reply:
    """A lead seats a member on a council (created on first use)."""
    name = _council(ctx, command.council)
    member = await _member(ctx, command.member)
    council_id = await ctx.uow.repo(CouncilRepository).ensure(command.community_id, name, ctx.now())
    limit = seat_limit(ctx, name)
    seated = await ctx.uow.repo(CouncilRepository).members(council_id)
    if limit is not None and member.id not in {p.member_id for p in seated} and len(seated) >= limit:
        raise InvalidInput(
            f"The {name} has all its {limit} seats filled: remove someone first (/council remove)."
        )
    term = appointed_term(ctx, name)
    added = await ctx.uow.repo(CouncilRepository).add_member(council_id, member.id, ctx.now(), term)
    if added:
        await seat_in_space(ctx, council_id, name, [member.ref])
    until = f" until {day(term, ctx.community.zone)}" if added and term is not None else ""
    return Reply(text=f"{_name(member)} {'joined' if added else 'was already on'} the {name} council{until}.")


@feature.command(RemoveCouncilMember)
async def remove_council_member(command: RemoveCouncilMember, ctx: Context) -> Reply:
    """A lead takes a member off a council."""
    name = _council(ctx, command.council)
    member = await ctx.uow.members.by_ref(command.community_id, command.member)
    council_id = await ctx.uow.repo(CouncilRepository).find(command.community_id, name)
    if (
        member is None
        or council_id is None
        or not await ctx.uow.repo(CouncilRepository).remove_member(council_id, member.id)
    ):
        raise NotFound(f"That person is not on the {name} council.")
    return Reply(text=f"{_name(member)} left the {name} council.")


@feature.command(ShowCouncil)
async def show_council(command: ShowCouncil, ctx: Context) -> Reply:
    """Who sits on a council, and who is nominated for its next election."""
    name = _council(ctx, command.council)
    council_id = await ctx.uow.repo(CouncilRepository).find(command.community_id, name)
    if council_id is None:
        return Reply(text=f"There is no {name} council yet.")
    seated = await ctx.uow.repo(CouncilRepository).members(council_id)
    nominees = await ctx.uow.repo(CouncilRepository).nominees(council_id)
    lines = [
        "Members: "
        + (", ".join(user_text(p.display_name or p.ref.user_id, 60) for p in seated) or "none yet"),
        "Nominated for the next election: "
        + (", ".join(user_text(p.display_name or p.ref.user_id, 60) for p in nominees) or "nobody yet"),
    ]
    term = await ctx.uow.repo(CouncilRepository).term_end(council_id)
    if term is not None:
        lines.append(f"Current term ends {day(term, ctx.community.zone)}.")
    return Reply(title=f"The {name} council", text="\n".join(lines))


@feature.command(NominateMember)
async def nominate_member(command: NominateMember, ctx: Context) -> Reply:
    """Nominate a member (yourself too) for a council election; the nominee is told privately."""
    name = _council(ctx, command.council)
    nominator = ctx.acting_member()
    nominee = await _member(ctx, command.member)
    council_id = await ctx.uow.repo(CouncilRepository).ensure(command.community_id, name, ctx.now())
    if not await ctx.uow.repo(CouncilRepository).nominate(council_id, nominee.id, nominator.id, ctx.now()):
        return Reply(text=f"{_name(nominee)} is already nominated for the {name} council.")
    if nominee.id != nominator.id:
        await ctx.send(
            DirectMessage(
                command.community_id,
                nominee.ref,
                f"{_name(nominator)} nominated you for the {name} council. If the leads hold an election, "
                "you will be on the ballot. Not interested? Ask a lead to take you off.",
            )
        )
    return Reply(text=f"{_name(nominee)} is nominated for the {name} council's next election.")


def _member_option() -> Option:
    return Option("member", "The member", OptionType.MEMBER)


def _council_option() -> Option:
    return Option("council", "The council (default: the community's council)", required=False, max_length=40)


feature.slash(
    SlashCommand(
        name="council add",
        description="Seat a member on a council",
        options=(_member_option(), _council_option()),
        build=lambda inv: AddCouncilMember(
            community_id=inv.community_id, member=inv.options["member"], council=inv.options.get("council")
        ),
        command=AddCouncilMember,
    )
)
feature.slash(
    SlashCommand(
        name="council remove",
        description="Take a member off a council",
        options=(_member_option(), _council_option()),
        build=lambda inv: RemoveCouncilMember(
            community_id=inv.community_id, member=inv.options["member"], council=inv.options.get("council")
        ),
        command=RemoveCouncilMember,
    )
)
feature.slash(
    SlashCommand(
        name="council show",
        description="Who sits on a council and who is nominated",
        options=(_council_option(),),
        build=lambda inv: ShowCouncil(community_id=inv.community_id, council=inv.options.get("council")),
        command=ShowCouncil,
    )
)
feature.slash(
    SlashCommand(
        name="nominate",
        description="Nominate a member (or yourself) for the council election",
        options=(_member_option(), _council_option()),
        build=lambda inv: NominateMember(
            community_id=inv.community_id, member=inv.options["member"], council=inv.options.get("council")
        ),
        command=NominateMember,
    )
)
