"""Day one on an existing Slack workspace: whoever is in the member channels (and the configured staff,
by user id or user group) is a member right after start, without applying; `members import` does the
same on demand; someone added to a member channel later is adopted too."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.slack import adoption
from adapters.slack.adoption import import_members
from adapters.slack.app import SlackAdapter
from adapters.slack.identity import IdentityResolver
from adapters.slack.runner import SlackServer, start_slack
from bot.bootstrap import App, build_app
from bot.clock import FixedClock
from bot.core.invoke import invoke_slash
from bot.core.members import AdmissionMethod, Member, MemberStatus
from bot.core.refs import MemberRef, Role
from bot.core.registry import Invocation
from programming.scheduler import ProgrammeScheduler
from tests.adapters.slack.conftest import SIGNING_SECRET
from tests.adapters.slack.fake_slack import BOT_USER_ID, FakeSlackApi, SlackSender
from tests.adapters.slack.harness import (
    LEAD,
    LOBBY,
    MEMBER,
    MEMBER_CHANNELS,
    MOD,
    NEWCOMER,
    OUTSIDER,
    REGISTRY,
    prepare_fake,
    running,
    slack_settings,
)
from tests.adapters.slack.test_runner import free_port
from tests.conftest import COMMUNITY

ALICE, BOB, CAROL, DAVE = "U0ALICE01", "U0BOB0001", "U0CAROL01", "U0DAVE001"
GROUP_MOD, GROUP_LEAD = "U0GRPMOD1", "U0GRPLEAD"
OTHER_BOT, GONE = "U0OTHERBT", "U0GONE001"
EVERYONE = {MEMBER, ALICE, BOB, CAROL, DAVE, MOD, LEAD, GROUP_MOD, GROUP_LEAD}
CODE = re.compile(r"\b[0-9A-Z]{5}-?[0-9A-Z]{5}\b")


def existing_workspace(fake: FakeSlackApi) -> None:
    """A workspace in use before Townsquare: people in the member channels, a bot, a deactivated
    account, staff named by user groups; pages of two ids, so every listing takes several cursors."""
    prepare_fake(fake)
    for user in (ALICE, BOB, CAROL, DAVE, GROUP_MOD, GROUP_LEAD, GONE):
        fake.add_user(user, deleted=user == GONE)
    fake.add_user(OTHER_BOT, name="otherbot", is_bot=True)
    fake.members[MEMBER_CHANNELS[0]].update({MEMBER, ALICE, BOB, CAROL, OTHER_BOT, GONE})
    fake.members[MEMBER_CHANNELS[1]].update({ALICE, DAVE})
    fake.set_usergroup("S0MODS", [GROUP_MOD])
    fake.set_usergroup("S0LEADS", [GROUP_LEAD])
    fake.page_cap = 2


BINDING: dict[str, Any] = {"moderator_groups": ["S0MODS"], "lead_groups": ["S0LEADS"]}


@asynccontextmanager
async def started(
    engine: AsyncEngine, db_url: str, clock: FixedClock, fake: FakeSlackApi
) -> AsyncIterator[tuple[App, SlackServer, SlackSender]]:
    """`townsquare run` for Slack: start_slack on a free port, then the adoption it starts."""
    existing_workspace(fake)
    port = free_port()
    settings = slack_settings(db_url, fake.base_url, {"port": port}, **BINDING)
    adapter = SlackAdapter(settings, REGISTRY)
    app = build_app(settings, clock, {"slack": adapter.notifier}, engine=engine)
    await app.ensure_communities()
    server = await start_slack(app, adapter)
    try:
        assert server.adoption is not None
        await asyncio.wait_for(server.adoption, 10)
        url = f"http://127.0.0.1:{port}/slack/events"
        yield app, server, SlackSender(url, SIGNING_SECRET, response_url=fake.response_url())
    finally:
        await server.stop()


async def members(app: App) -> dict[str, Member]:
    async with app.uow_factory() as uow:
        found = {}
        for user in (*EVERYONE, NEWCOMER, OUTSIDER, OTHER_BOT, GONE, BOT_USER_ID):
            member = await uow.members.by_ref(COMMUNITY, MemberRef("slack", user))
            if member is not None:
                found[user] = member
        return found


@pytest.mark.parametrize("lookup", ["users.info", "users.list"])
async def test_start_adopts_member_channels_and_staff_across_pages(
    engine: AsyncEngine,
    db_url: str,
    clock: FixedClock,
    fake_slack: FakeSlackApi,
    monkeypatch: pytest.MonkeyPatch,
    lookup: str,
) -> None:
    if lookup == "users.list":
        monkeypatch.setattr(adoption, "FEW", 2)  # a big workspace: users.list pages, not one call each
    async with started(engine, db_url, clock, fake_slack) as (app, server, _):
        [report] = server.adoption.result() if server.adoption else []
        found = await members(app)

        assert {u for u, m in found.items() if m.status is MemberStatus.ADMITTED} == EVERYONE
        assert all(found[u].admission_method is AdmissionMethod.ADOPTED for u in EVERYONE)
        assert found[ALICE].display_name == "user-u0alice01"
        assert not {OTHER_BOT, GONE, BOT_USER_ID, NEWCOMER, OUTSIDER} & {
            u for u, m in found.items() if m.is_admitted
        }
        assert (report.listed, report.adopted) == (len(EVERYONE), len(EVERYONE))  # Alice counted once

        calls = fake_slack.calls_to("conversations.members")
        first = [c for c in calls if c.params["channel"] == MEMBER_CHANNELS[0]]
        assert len(first) == 4 and [bool(c.params.get("cursor")) for c in first] == [False, True, True, True]
        assert all(int(c.params["limit"]) == 1000 for c in calls)
        if lookup == "users.list":
            assert len(fake_slack.calls_to("users.list")) > 1 and not fake_slack.calls_to("users.info")
        else:
            assert not fake_slack.calls_to("users.list")

        # Roles through the user groups; a lead moderates too.
        assert server.adapter.listeners is not None
        identity: IdentityResolver = server.adapter.listeners.identity
        community = server.adapter.directory.communities()[0]
        lead = await identity.actor(community, GROUP_LEAD)
        mod = await identity.actor(community, GROUP_MOD)
        assert (lead.is_lead, lead.is_moderator, mod.is_lead, mod.is_moderator) == (True, True, False, True)

        again = await adoption.adopt_at_start(server.adapter, app.bus)  # idempotent
        assert [(r.listed, r.adopted) for r in again] == [(len(EVERYONE), 0)]


async def test_existing_members_use_townsquare_right_after_start(
    engine: AsyncEngine, db_url: str, clock: FixedClock, fake_slack: FakeSlackApi
) -> None:
    """Done when: /refer, /profile, RSVP and Mark helpful work for people who never applied."""
    async with started(engine, db_url, clock, fake_slack) as (app, server, slack):
        await slack.slash_command("/refer", user_id=ALICE, channel_id=LOBBY)
        [refer] = await fake_slack.wait_for("response_url")
        assert CODE.search(refer.params["text"]), refer.params["text"]

        await slack.slash_command("/profile", user_id=BOB, channel_id=LOBBY)
        profile = (await fake_slack.wait_for("response_url", 2))[-1].params
        assert "for members" not in profile["text"] and "user-u0bob0001" in str(profile)

        await slack.message_shortcut(
            "mark_helpful",
            user_id=CAROL,
            channel_id=MEMBER_CHANNELS[0],
            channel_name="help",
            message={"ts": "1.000200", "thread_ts": "1.000100", "user": DAVE, "parent_user_id": CAROL},
        )
        marked = (await fake_slack.wait_for("response_url", 3))[-1].params
        assert marked["text"] == f"Marked as helpful: <@{DAVE}> gets the credit."

        # A lead who never applied schedules an event; an adopted member RSVPs on its post.
        assert server.adapter.listeners is not None
        lead = await server.adapter.listeners.identity.actor(
            server.adapter.directory.communities()[0], GROUP_LEAD
        )
        options = {"kind": "ama", "title": "Ask us", "recurrence": "weekly on Thursday 17:00"}
        created = await invoke_slash(app.bus, "series create", Invocation(lead, COMMUNITY, None, options))
        assert "Ask us" in getattr(created, "text", ""), created
        scheduler = ProgrammeScheduler(
            app.uow_factory, app.bus, app.clock, app.settings.communities, timers=False, registry=app.jobs()
        )
        assert await scheduler.start()
        await slack.block_action("rsvp:going:1", "rsvp:going:1", user_id=DAVE, channel_id=LOBBY)
        rsvp = (await fake_slack.wait_for("response_url", 4))[-1].params
        assert rsvp["text"].startswith("Noted: going"), rsvp["text"]


async def test_someone_added_to_a_member_channel_later_is_adopted(
    engine: AsyncEngine, db_url: str, clock: FixedClock, fake_slack: FakeSlackApi
) -> None:
    async with running(engine, db_url, clock, fake_slack) as run:
        fake_slack.add_user(OTHER_BOT, name="otherbot", is_bot=True)
        for user in (OUTSIDER, OTHER_BOT):
            await run.slack.event(
                {"type": "member_joined_channel", "user": user, "channel": MEMBER_CHANNELS[1]}
            )
        await run.settle()
        outsider, other_bot = await run.member(OUTSIDER), await run.member(OTHER_BOT)
        assert outsider is not None and outsider.admission_method is AdmissionMethod.ADOPTED
        assert other_bot is None or not other_bot.is_admitted
        assert not fake_slack.calls_to("chat.postEphemeral")  # no lobby guide in a member channel


async def test_members_import_counts_in_a_dry_run_then_adopts(
    engine: AsyncEngine, db_url: str, clock: FixedClock, fake_slack: FakeSlackApi
) -> None:
    existing_workspace(fake_slack)
    settings = slack_settings(db_url, fake_slack.base_url, **BINDING)
    app = build_app(settings, clock, {}, engine=engine)
    await app.ensure_communities()
    [community] = settings.communities

    dry = await import_members(settings, community, app.bus, dry_run=True)
    assert (dry.dry_run, dry.listed, dry.adopted) == (True, len(EVERYONE), len(EVERYONE))
    assert not [m for m in (await members(app)).values() if m.is_admitted]

    done = await import_members(settings, community, app.bus, dry_run=False)
    assert (done.listed, done.adopted, done.pages) == (len(EVERYONE), len(EVERYONE), 1)
    assert {u for u, m in (await members(app)).items() if m.is_admitted} == EVERYONE
    assert "adopted 9 of 9" in done.line()


async def test_a_staff_user_group_change_follows_at_once(
    engine: AsyncEngine, db_url: str, clock: FixedClock, fake_slack: FakeSlackApi
) -> None:
    async with running(engine, db_url, clock, fake_slack, **BINDING) as run:
        fake_slack.set_usergroup("S0MODS", [])
        fake_slack.set_usergroup("S0LEADS", [OUTSIDER])
        await run.slack.event(
            {"type": "subteam_members_changed", "subteam_id": "S0LEADS", "added_users": [OUTSIDER]}
        )
        await run.slack.event(
            {"type": "subteam_members_changed", "subteam_id": "S0OTHER", "added_users": [NEWCOMER]}
        )
        await run.settle()
        community = run.adapter.directory.communities()[0]
        assert run.adapter.directory.roles(community, OUTSIDER) == {Role.LEAD, Role.MODERATOR}
        outsider, newcomer = await run.member(OUTSIDER), await run.member(NEWCOMER)
        assert outsider is not None and outsider.is_admitted
        assert newcomer is None or not newcomer.is_admitted  # not a staff group
