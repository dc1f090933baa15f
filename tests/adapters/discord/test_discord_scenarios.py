"""The issue's end-to-end scenarios on the real core (gates feature) through discord.py and the fake:
a referral invite join, and /apply → form → moderator Approve. They run once gates is merged."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.discord.client import TownsquareClient
from adapters.discord.identity import Communities
from bot.bootstrap import App, build_app
from bot.clock import FixedClock
from bot.config import Settings
from bot.core.members import AdmissionMethod, MemberStatus
from bot.core.refs import MemberRef
from bot.features import assemble
from tests.adapters.discord.conftest import Square, assert_no_mass_pings
from tests.adapters.discord.fake_discord import JSON, FakeDiscord, running_client
from tests.adapters.discord.kit import community_config

REGISTRY = assemble().registry  # every feature's entries, as `townsquare run` has them

pytestmark = pytest.mark.skipif(
    "refer" not in REGISTRY.commands or "apply" not in REGISTRY.commands,
    reason="gates feature not merged yet",
)


@pytest.fixture
async def live(
    fake_discord: FakeDiscord, square: Square, db_url: str, engine: AsyncEngine, clock: FixedClock
) -> AsyncIterator[tuple[App, TownsquareClient]]:
    """The real app (every feature's handlers) and a client on its bus; the gate admits by referral
    or application."""
    community = community_config(square.guild, square.ids)
    community["gate"] = {"mode": "referral_or_application"}
    settings = Settings.model_validate({"database": {"url": db_url}, "communities": [community]})
    client = TownsquareClient(Communities.of(settings.communities), clock, guild_ready_timeout=0.05)
    app = build_app(settings, clock, {"discord": client.notifier}, engine=engine)
    await app.ensure_communities()
    client.bind(app.bus, app.ingest)
    async with running_client(client, "fake-token"):
        await asyncio.wait_for(client.invites_read.wait(), 5)
        yield app, client
    assert_no_mass_pings(fake_discord)


async def _admit(app: App, user_id: int, name: str) -> int:
    """An existing member (as if imported by a lead)."""
    async with app.uow_factory() as uow:
        member = await uow.members.upsert_seen(
            "town", MemberRef("discord", str(user_id)), app.clock.now(), display_name=name
        )
        member.status = MemberStatus.ADMITTED
        member.admitted_at = app.clock.now()
        member.admission_method = AdmissionMethod.LEAD
        await uow.members.save(member)
        await uow.commit()
        return member.id


async def _member(app: App, user_id: int | str) -> Any:
    async with app.uow_factory() as uow:
        return await uow.members.by_ref("town", MemberRef("discord", str(user_id)))


async def _answer(fake: FakeDiscord, interaction: JSON) -> JSON:
    await fake.dispatch("INTERACTION_CREATE", interaction)
    return (await fake.wait_for_request("POST", fake.callback_path(interaction))).payload


async def test_a_member_joins_through_a_personal_invite_and_is_admitted_with_the_right_referrer(
    fake_discord: FakeDiscord, square: Square, live: tuple[App, TownsquareClient]
) -> None:
    fake, guild, (app, _) = fake_discord, square.guild, live
    alice_id = await _admit(app, square.member_id("alice"), "alice")
    await _admit(app, square.member_id("mo"), "mo")  # someone else who refers nobody

    answer = await _answer(fake, fake.slash_interaction("refer", user=square.members["alice"], guild=guild))
    [invite] = fake.requests_to("POST", f"/channels/{square.ids['channel:welcome']}/invites")
    assert (
        invite.payload["unique"] is True
        and invite.payload["max_uses"] == app.settings.communities[0].gate.code_max_uses
    )
    code = next(c for c, i in fake.invites.items() if i["inviter"]["id"] == str(fake.application_id))
    assert f"https://discord.gg/{code}" in str(answer)

    dora = fake.member("dora")
    fake.bump_invite(code)
    await fake.member_join(guild, dora)
    async with asyncio.timeout(5):
        while (member := await _member(app, dora["user"]["id"])) is None or not member.is_admitted:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
    assert member.referred_by_id == alice_id and member.referral_confidence == "inferred"  # by use counts
    await app.relay.run_once()
    role = f"/guilds/{guild['id']}/members/{dora['user']['id']}/roles/{square.ids['role:Member']}"
    assert [r.status for r in fake.requests_to("PUT", role)] == [204]


async def _apply(fake: FakeDiscord, square: Square, app: App) -> JSON:
    """nina runs /apply, fills in the form; the relay posts her application for the moderators."""
    nina = square.members["nina"]
    opened = await _answer(fake, fake.slash_interaction("apply", user=nina, guild=square.guild))
    assert opened["type"] == 9
    modal = opened["data"]
    answers = {
        label["component"]["custom_id"]: "I grow vegetables and want to learn composting."
        for label in modal["components"]
    }
    submit = fake.modal_submit_interaction(
        modal["custom_id"],
        [{"type": 18, "component": {"type": 4, "custom_id": k, "value": v}} for k, v in answers.items()],
        user=nina,
        guild=square.guild,
    )
    submitted = await _answer(fake, submit)
    assert submitted["type"] == 4 and submitted["data"]["flags"] == 64
    await app.relay.run_once()
    [post] = fake.sent_messages(square.ids["channel:applications"])
    return post


def _buttons(message: JSON) -> list[str]:
    return [c["custom_id"] for row in message.get("components", []) for c in row.get("components", [])]


async def test_apply_then_moderator_approves(
    fake_discord: FakeDiscord, square: Square, live: tuple[App, TownsquareClient]
) -> None:
    fake, (app, _) = fake_discord, live
    post = await _apply(fake, square, app)
    approve = next(b for b in _buttons(post) if b.startswith("app:approve:"))

    press = fake.component_interaction(approve, message=post, user=square.members["mo"], guild=square.guild)
    await _answer(fake, press)
    await app.relay.run_once()

    nina = square.member_id("nina")
    role = f"/guilds/{square.guild['id']}/members/{nina}/roles/{square.ids['role:Member']}"
    assert [r.status for r in fake.requests_to("PUT", role)] == [204]
    edited = fake.messages[int(post["id"])]
    assert approve not in _buttons(edited)  # the decision replaced the buttons
    assert fake.requests_to("PATCH", f"/channels/{post['channel_id']}/messages/{post['id']}") or any(
        r.payload.get("type") == 7 for r in fake.callbacks(press)
    )
    dm_channel = next(
        c for c in fake.channels.values() if c["type"] == 1 and c["recipients"][0]["id"] == str(nina)
    )
    assert fake.sent_messages(int(dm_channel["id"]))  # the applicant was told
    assert (await _member(app, nina)).is_admitted


async def test_a_non_moderator_pressing_approve_changes_nothing(
    fake_discord: FakeDiscord, square: Square, live: tuple[App, TownsquareClient]
) -> None:

    fake, (app, _) = fake_discord, live
    post = await _apply(fake, square, app)
    approve = next(b for b in _buttons(post) if b.startswith("app:approve:"))
    before = dict(fake.messages[int(post["id"])])
    for name in ("alice", "nina"):
        press = fake.component_interaction(
            approve, message=post, user=square.members[name], guild=square.guild
        )
        body = await _answer(fake, press)
        assert body["type"] == 4 and body["data"]["flags"] == 64
    await app.relay.run_once()
    assert not fake.requests_to("PUT", re.compile(r"/guilds/\d+/members/\d+/roles/\d+"))
    assert fake.messages[int(post["id"])] == before
    assert not (await _member(app, square.member_id("nina"))).is_admitted
