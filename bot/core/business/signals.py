"""/interest and the "Talk to the team" button: buying-intent signals a member gives on purpose."""

from __future__ import annotations

from bot.core.business import feature
from bot.core.business.commands import RegisterInterest
from bot.core.business.ports import BusinessRepository
from bot.core.business.rules import SignalKind
from bot.core.context import Context
from bot.core.errors import InvalidInput
from bot.core.registry import ButtonRoute, Invocation, Option, SlashCommand
from bot.core.replies import Action, ActionStyle, Reply

TALK_BUTTON = Action("Talk to the team", "business:talk:0", ActionStyle.PRIMARY)


@feature.command(RegisterInterest)
async def register_interest(command: RegisterInterest, ctx: Context) -> Reply:
    """Record the signal (once a day per topic); offer the talk button after an interest."""
    member = ctx.acting_member()
    policy = ctx.community.business
    if command.topic is None:
        kind, topic = SignalKind.TALK_TO_TEAM, ""
    else:
        topic = command.topic.strip().lower()
        if topic not in policy.interest_topics:
            raise InvalidInput(f"Pick one of: {', '.join(policy.interest_topics)}.")
        kind = SignalKind.INTEREST
    await ctx.uow.repo(BusinessRepository).add_signal(
        command.community_id, member.id, kind.value, topic, ctx.now()
    )
    consent = await ctx.uow.repo(BusinessRepository).consent_of(member.id)
    shared = consent is not None and consent.active
    tail = (
        " The team sees it with your profile."
        if shared
        else " It stays here: the team only sees who asked if you agree with /consent give."
    )
    if kind is SignalKind.TALK_TO_TEAM:
        return Reply(text=f"Noted: you would like to talk to the team.{tail}")
    return Reply(text=f"Noted: you are interested in {topic}.{tail}", actions=(TALK_BUTTON,))


feature.slash(
    SlashCommand(
        name="interest",
        description="Tell the team what you would like to know more about",
        build=lambda inv: RegisterInterest(
            community_id=inv.community_id, member=inv.actor.ref, topic=str(inv.options["topic"])
        ),
        options=(Option("topic", "What you want to know more about", max_length=40),),
        command=RegisterInterest,
    )
)


def _talk(inv: Invocation, ident: str) -> RegisterInterest:
    return RegisterInterest(community_id=inv.community_id, member=inv.actor.ref, topic=None)


feature.button(ButtonRoute("business", "talk", _talk, command=RegisterInterest))
