"""`/refer member:@x` on Discord: a targeted invite (only that user may accept it, the member role on
accept) whose join is credited with certainty; where Discord refuses targeted invites, one warning and
an ordinary personal invite matched by use counts."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot.bootstrap import App
from bot.core.members import Member
from tests.adapters.discord.conftest import Square
from tests.adapters.discord.fake_discord import JSON, FakeDiscord
from tests.adapters.discord.test_discord_scenarios import _admit, _answer, _member, live

__all__ = ["live"]  # the scenarios' fixture: the real app and a client on its bus


def _refer_for(fake: FakeDiscord, square: Square, referrer: str, target: JSON) -> JSON:
    option = {"name": "member", "type": 6, "value": target["user"]["id"]}
    return fake.slash_interaction("refer", [option], user=square.members[referrer], guild=square.guild)


async def _admitted(app: App, user_id: str) -> Member:
    async with asyncio.timeout(5):
        while (member := await _member(app, user_id)) is None or not member.is_admitted:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
    return member


async def test_a_targeted_invite_admits_only_its_person_with_certainty(
    fake_discord: FakeDiscord, square: Square, live: tuple[App, object]
) -> None:
    fake, (app, _) = fake_discord, live
    alice_id = await _admit(app, square.member_id("alice"), "alice")
    zed = fake.member("zed")  # has a Discord account, not in the server yet
    answer = await _answer(fake, _refer_for(fake, square, "alice", zed))

    [minted] = fake.requests_to("POST", f"/channels/{square.ids['channel:welcome']}/invites")
    assert minted.payload == {
        "max_age": 7 * 24 * 3600,
        "max_uses": 1,
        "temporary": False,
        "unique": True,
        "role_ids": [str(square.ids["role:Member"])],
    }
    [users] = minted.files
    assert (users.name, users.content_type, users.text) == (
        "target_users_file",
        "text/csv",
        f"{zed['user']['id']}\n",
    )
    [code] = fake.invite_targets
    assert fake.invite_targets[code] == {zed["user"]["id"]}
    assert fake.invite_roles[code] == [str(square.ids["role:Member"])]
    assert f"https://discord.gg/{code}" in str(answer)

    with pytest.raises(PermissionError):  # Discord lets nobody else accept it
        await fake.accept_invite(code, fake.member("mallory"))
    await fake.accept_invite(code, zed)
    member = await _admitted(app, zed["user"]["id"])
    assert (member.referred_by_id, member.admission_method, member.referral_confidence) == (
        alice_id,
        "invite",
        "certain",
    )
    assert code not in fake.invites  # single use: gone


@pytest.mark.parametrize("refusal", [(400, 50035), (403, 50013)])
async def test_when_discord_refuses_targeted_invites_one_warning_and_an_ordinary_invite(
    fake_discord: FakeDiscord,
    square: Square,
    live: tuple[App, object],
    refusal: tuple[int, int],
    caplog: pytest.LogCaptureFixture,
) -> None:
    fake, (app, _) = fake_discord, live
    fake.targeted_invites = refusal
    alice_id = await _admit(app, square.member_id("alice"), "alice")
    zed = fake.member("zed")
    with caplog.at_level(logging.WARNING, logger="townsquare.discord"):
        answer = await _answer(fake, _refer_for(fake, square, "alice", zed))
    targeted, ordinary = fake.requests_to("POST", f"/channels/{square.ids['channel:welcome']}/invites")
    assert targeted.status == refusal[0] and targeted.files
    assert ordinary.status == 200 and ordinary.payload == {
        "max_age": 7 * 24 * 3600,
        "max_uses": 1,
        "temporary": False,
        "unique": True,
    }
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1
    assert "targeted invites are not available" in warnings[0] and "use counts" in warnings[0]
    [code] = fake.invites
    assert fake.invite_targets == {} and f"https://discord.gg/{code}" in str(answer)

    await fake.accept_invite(code, zed)  # anyone could have used it: matched by use counts
    member = await _admitted(app, zed["user"]["id"])
    assert (member.referred_by_id, member.referral_confidence) == (alice_id, "likely")
