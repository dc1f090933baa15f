"""/kudos: record a thank-you, or list the members thanked most."""

from __future__ import annotations

from bot.core.context import Context
from bot.core.errors import UserFacingError
from bot.core.kudos import feature
from bot.core.kudos.commands import GiveKudos, ShowKudos
from bot.core.kudos.ports import KudosRepository
from bot.core.registry import Invocation, Option, OptionType, SlashCommand
from bot.core.replies import Reply
from bot.core.text import mention


@feature.command(GiveKudos)
async def give_kudos(command: GiveKudos, ctx: Context) -> Reply:
    """Record one thank-you from the giver to another member."""
    giver = await ctx.uow.members.by_ref(command.community_id, command.giver)
    receiver = await ctx.uow.members.by_ref(command.community_id, command.receiver)
    if giver is None or receiver is None or not receiver.is_admitted:
        raise UserFacingError("Kudos go to members of this community.")
    if giver.id == receiver.id:
        raise UserFacingError("Kudos are for thanking someone else.")
    await ctx.uow.repo(KudosRepository).add(giver.id, receiver.id, ctx.now())
    return Reply(text=f"Kudos to {mention(receiver.ref)}!", private=False)


@feature.command(ShowKudos)
async def show_kudos(command: ShowKudos, ctx: Context) -> Reply:
    """The ten members thanked most, with their counts."""
    top = await ctx.uow.repo(KudosRepository).top(command.community_id, limit=10)
    if not top:
        return Reply(text="No kudos yet. Thank someone with /kudos @member.")
    return Reply(text="\n".join(["Kudos so far:", *(f"{mention(ref)}: {n}" for ref, n in top)]))


def _build(inv: Invocation) -> GiveKudos | ShowKudos:
    receiver = inv.options.get("member")
    if receiver is None:
        return ShowKudos(community_id=inv.community_id)
    return GiveKudos(community_id=inv.community_id, giver=inv.actor.ref, receiver=receiver)


feature.slash(
    SlashCommand(
        name="kudos",
        description="Thank a member, or see who has been thanked most",
        build=_build,
        options=(Option("member", "Who to thank (leave out to see the counts)", OptionType.MEMBER, False),),
        command=GiveKudos,  # both commands it builds are for members
    )
)
