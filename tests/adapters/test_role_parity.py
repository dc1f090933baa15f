"""A person's permissions do not depend on the platform: member, moderator and lead map to the same
Actor flags from the Discord identity resolver and from the Slack one (a lead moderates on both)."""

from __future__ import annotations

import pytest

from adapters.discord.identity import roles_of
from adapters.slack.identity import IdentityResolver, SlackDirectory
from bot.bootstrap import App
from bot.config import CommunityConfig
from bot.core.commands import Permission
from bot.core.gates.commands import AdoptMembers, ExistingMember
from bot.core.policy import allowed
from bot.core.refs import Actor, MemberRef, Role
from tests.conftest import COMMUNITY

MEMBER_ROLE, MOD_ROLE, LEAD_ROLE = 901, 902, 903
DISCORD_ROLES = {
    "member": [MEMBER_ROLE],
    "moderator": [MEMBER_ROLE, MOD_ROLE],
    "lead": [MEMBER_ROLE, LEAD_ROLE],
}
DISCORD = CommunityConfig.model_validate(
    {
        "id": COMMUNITY,
        "name": "Test",
        "platform": "discord",
        "discord": {
            "guild_id": 1,
            "roles": {"member": MEMBER_ROLE, "moderators": [MOD_ROLE], "leads": [LEAD_ROLE]},
        },
    }
)
SLACK_USERS = {"member": "U0MEMBER1", "moderator": "U0MOD0001", "lead": "U0LEAD001"}
SLACK = CommunityConfig.model_validate(
    {
        "id": COMMUNITY,
        "name": "Test",
        "platform": "slack",
        "slack": {"team_id": "T0TOWNSQ1", "moderator_users": ["U0MOD0001"], "lead_users": ["U0LEAD001"]},
    }
)


def flags(actor: Actor) -> tuple[bool, ...]:
    return (
        Role.MEMBER in actor.roles,
        actor.is_moderator,
        actor.is_lead,
        actor.is_staff,
        allowed(Permission.MODERATOR, actor, admitted=True),
        allowed(Permission.LEAD, actor, admitted=True),
    )


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("member", (True, False, False, False, False, False)),
        ("moderator", (True, True, False, True, True, False)),
        ("lead", (True, True, True, True, True, True)),
    ],
)
async def test_discord_and_slack_map_roles_the_same_way(
    app: App, who: str, expected: tuple[bool, ...]
) -> None:
    assert DISCORD.discord is not None
    discord_id = 1000 + list(DISCORD_ROLES).index(who)
    discord_actor = Actor(
        ref=MemberRef("discord", str(discord_id)),
        community_id=COMMUNITY,
        roles=roles_of(discord_id, DISCORD_ROLES[who], DISCORD.discord),
    )
    slack_ref = MemberRef("slack", SLACK_USERS[who])
    await app.bus.handle(AdoptMembers(community_id=COMMUNITY, members=(ExistingMember(slack_ref),)))
    resolver = IdentityResolver(SlackDirectory([SLACK]), app.uow_factory)
    slack_actor = await resolver.actor(SLACK, slack_ref.user_id)

    assert flags(discord_actor) == flags(slack_actor) == expected
    assert discord_actor.roles == slack_actor.roles
