"""Day one on an existing server: the people already holding the member (or a staff) role are
members as soon as the bot starts, page by page through the real member list API, within the
route's rate limit; a role granted later by a human adopts that person; `members import` reads the
list over REST alone."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.discord.adoption import import_members
from adapters.discord.client import TownsquareClient
from adapters.discord.identity import Communities
from bot.bootstrap import App, build_app
from bot.clock import FixedClock
from bot.config import Settings
from bot.core.members import AdmissionMethod, MemberStatus
from bot.core.refs import MemberRef
from tests.adapters.discord.conftest import Square, assert_no_mass_pings
from tests.adapters.discord.fake_discord import JSON, FakeDiscord, running_client
from tests.adapters.discord.kit import community_config

CROWD = 200
MEMBERS = r"/guilds/\d+/members"


def _crowd(fake: FakeDiscord, square: Square, count: int = CROWD) -> list[JSON]:
    """`count` people holding the Member role, joined a day apart from 2021 on, plus two who hold no
    role and a bot holding the Member role (listed, never adopted)."""
    guild = fake.guilds[int(square.guild["id"])]
    start = datetime(2021, 1, 1, tzinfo=UTC)
    crowd = [
        fake.member(f"old-{i:05d}", roles=[square.ids["role:Member"]], joined_at=start + timedelta(days=i))
        for i in range(count)
    ]
    others = [fake.member("visitor-1"), fake.member("visitor-2")]
    others.append(fake.member("helperbot", roles=[square.ids["role:Member"]], bot=True))
    for member in [*crowd, *others]:
        guild["members"].append(member)
        fake.users[int(member["user"]["id"])] = member["user"]
    guild["member_count"] = len(guild["members"])
    return crowd


def _settings(square: Square, db_url: str, **gate: Any) -> Settings:
    community = community_config(square.guild, square.ids)
    community["gate"] = {"mode": "referral_or_application", **gate}
    return Settings.model_validate(
        {
            "database": {"url": db_url},
            "discord": {"token": "fake-token"},
            "communities": [community],
        }
    )


async def _live(
    fake: FakeDiscord, square: Square, db_url: str, engine: AsyncEngine, clock: FixedClock, **options: Any
) -> AsyncIterator[tuple[App, TownsquareClient]]:
    gate = options.pop("gate", {})
    settings = _settings(square, db_url, **gate)
    client = TownsquareClient(
        Communities.of(settings.communities), clock, guild_ready_timeout=0.05, **options
    )
    app = build_app(settings, clock, {"discord": client.notifier}, engine=engine)
    await app.ensure_communities()
    client.bind(app.bus, app.ingest)
    async with running_client(client, "fake-token"):
        await asyncio.wait_for(client.invites_read.wait(), 5)
        yield app, client
    assert_no_mass_pings(fake)


@pytest.fixture
async def live(
    fake_discord: FakeDiscord, square: Square, db_url: str, engine: AsyncEngine, clock: FixedClock
) -> AsyncIterator[tuple[App, TownsquareClient]]:
    _crowd(fake_discord, square)
    async for pair in _live(fake_discord, square, db_url, engine, clock, gate={"founding_from_existing": 5}):
        yield pair


async def _member(app: App, user_id: int | str) -> Any:
    async with app.uow_factory() as uow:
        return await uow.members.by_ref("town", MemberRef("discord", str(user_id)))


async def _answer(fake: FakeDiscord, interaction: JSON) -> JSON:
    await fake.dispatch("INTERACTION_CREATE", interaction)
    return (await fake.wait_for_request("POST", fake.callback_path(interaction))).payload


def _text(body: JSON) -> str:
    data = body.get("data") or {}
    embeds = " ".join(f"{e.get('title', '')} {e.get('description', '')}" for e in data.get("embeds", []))
    return f"{data.get('content', '')} {embeds}"


async def test_two_hundred_existing_members_use_the_bot_right_after_start_without_applying(
    fake_discord: FakeDiscord, square: Square, live: tuple[App, TownsquareClient]
) -> None:
    fake, guild, (app, client) = fake_discord, square.guild, live
    started = time.monotonic()
    await asyncio.wait_for(client.adopted.wait(), 30)
    elapsed = time.monotonic() - started
    assert client.adoption is not None
    [report] = client.adoption.reports
    # 200 + alice, mo and lee; the bot with the Member role is listed and skipped; visitors are not listed
    assert (report.adopted, report.listed, report.pages, report.founding) == (CROWD + 3, CROWD + 4, 1, 5)
    [listing] = fake.requests_to("GET", f"/guilds/{guild['id']}/members")
    assert listing.query == {"limit": "1000"}
    print(f"adopted {report.adopted} existing members in {elapsed:.2f} s")  # noqa: T201

    someone = next(m for m in guild["members"] if m["user"]["username"] == "old-00057")
    member = await _member(app, someone["user"]["id"])
    assert member.status == MemberStatus.ADMITTED and member.admission_method == AdmissionMethod.ADOPTED
    assert member.admitted_at == datetime(2021, 1, 1, tzinfo=UTC) + timedelta(days=57)
    assert (await _member(app, square.member_id("nina"))) is None or not (
        await _member(app, square.member_id("nina"))
    ).is_admitted

    refer = await _answer(fake, fake.slash_interaction("refer", user=someone, guild=guild))
    assert "Your referral code" in _text(refer) and "discord.gg/" in str(refer)
    profile = await _answer(fake, fake.slash_interaction("profile", user=someone, guild=guild))
    assert profile["type"] == 4 and "not a member" not in _text(profile).lower()

    lee = square.members["lee"]
    create = [
        {
            "type": 1,
            "name": "create",
            "options": [
                {"type": 3, "name": "kind", "value": "ama"},
                {"type": 3, "name": "title", "value": "Ask us"},
                {"type": 3, "name": "recurrence", "value": "weekly on Thursday 17:00"},
            ],
        }
    ]
    created = await _answer(fake, fake.slash_interaction("series", create, user=lee, guild=guild))
    assert created["type"] == 4, created
    going = await _answer(fake, fake.component_interaction("rsvp:going:1", user=someone, guild=guild))
    assert "Noted: going" in _text(going), going

    other = next(m for m in guild["members"] if m["user"]["username"] == "old-00100")
    help_channel = fake.channel("help", guild=guild)
    question = fake.message(
        "Where do the peels go?", channel=help_channel, author=someone["user"], guild=guild
    )
    helpful = fake.message(
        "Try the compost bin by the gate.",
        channel=help_channel,
        author=other["user"],
        guild=guild,
        referenced_message=question,  # an answer to someone's question: theirs to mark
    )
    fake.messages[int(helpful["id"])] = helpful
    marked = await _answer(
        fake, fake.message_context_interaction("Mark helpful", helpful, user=someone, guild=guild)
    )
    assert "Marked as helpful" in _text(marked), marked


async def test_paging_keeps_to_the_rate_limit_and_survives_a_429(
    fake_discord: FakeDiscord, square: Square, db_url: str, engine: AsyncEngine, clock: FixedClock
) -> None:
    fake = fake_discord
    crowd = _crowd(fake, square, 450)
    fake.rate_limit("GET", MEMBERS, limit=2, per=0.3)  # Discord's headers say when to slow down
    fake.fail_next("GET", MEMBERS, 429, retry_after=0.2)  # and once it says so with a 429
    async for app, client in _live(fake, square, db_url, engine, clock, member_page_size=100):
        await asyncio.wait_for(client.adopted.wait(), 30)
        assert client.adoption is not None
        [report] = client.adoption.reports
        assert (report.adopted, report.pages) == (450 + 3, 5)
        for person in crowd[::50]:
            assert (await _member(app, person["user"]["id"])).is_admitted
    listings = fake.requests_to("GET", re.compile(MEMBERS))
    assert [r.status for r in listings] == [429, 200, 200, 200, 200, 200]  # only the injected 429
    ids = sorted(int(m["user"]["id"]) for m in fake.guilds[int(square.guild["id"])]["members"])
    assert [r.query.get("after") for r in listings[1:]] == [
        None,
        *(str(ids[i * 100 - 1]) for i in (1, 2, 3, 4)),
    ]
    assert all(r.query["limit"] == "100" for r in listings)


async def test_a_role_granted_later_by_a_human_adopts_that_person(
    fake_discord: FakeDiscord, square: Square, db_url: str, engine: AsyncEngine, clock: FixedClock
) -> None:
    fake, guild = fake_discord, square.guild
    async for app, client in _live(fake, square, db_url, engine, clock):
        await asyncio.wait_for(client.adopted.wait(), 10)
        nina = fake.guilds[int(guild["id"])]["members"][-1]
        assert nina["user"]["username"] == "nina" and not (await _member(app, square.member_id("nina")))
        # a moderator gives nina the Member role in Discord's own UI
        await fake.dispatch(
            "GUILD_MEMBER_UPDATE",
            fake.member_event({**nina, "roles": [str(square.ids["role:Member"])]}, guild),
        )
        async with asyncio.timeout(5):
            while not ((found := await _member(app, square.member_id("nina"))) and found.is_admitted):  # noqa: ASYNC110
                await asyncio.sleep(0.02)
        assert found.admission_method == AdmissionMethod.ADOPTED

        # someone discord.py has not cached (most of a large server): the update is still seen
        late = fake.member("late", roles=[])
        fake.guilds[int(guild["id"])]["members"].append(late)
        cached = client.get_guild(int(guild["id"]))
        assert cached is not None and cached.get_member(int(late["user"]["id"])) is None
        update = {**late, "roles": [str(square.ids["role:Moderator"])], "nick": "Late Mod"}
        await fake.dispatch("GUILD_MEMBER_UPDATE", fake.member_event(update, guild))
        async with asyncio.timeout(5):
            while not ((found := await _member(app, late["user"]["id"])) and found.is_admitted):  # noqa: ASYNC110
                await asyncio.sleep(0.02)
        assert found.display_name == "Late Mod"


async def test_townsquares_own_role_grant_leaves_an_admitted_member_as_they_were(
    fake_discord: FakeDiscord, square: Square, db_url: str, engine: AsyncEngine, clock: FixedClock
) -> None:
    fake, guild = fake_discord, square.guild
    async for app, client in _live(fake, square, db_url, engine, clock):
        await asyncio.wait_for(client.adopted.wait(), 10)
        nina_id = square.member_id("nina")
        async with app.uow_factory() as uow:  # admitted through a referral invite a moment ago
            member = await uow.members.upsert_seen("town", MemberRef("discord", str(nina_id)), clock.now())
            member.status, member.admitted_at = MemberStatus.ADMITTED, clock.now() - timedelta(minutes=5)
            member.admission_method = AdmissionMethod.INVITE
            await uow.members.save(member)
            await uow.commit()
        before = await _member(app, nina_id)
        # the relay carries out GrantMemberAccess; Discord then announces the new role
        await client.http.add_role(int(guild["id"]), nina_id, square.ids["role:Member"])
        nina = fake._find_member(int(guild["id"]), nina_id)
        assert nina is not None and str(square.ids["role:Member"]) in nina["roles"]
        await fake.dispatch("GUILD_MEMBER_UPDATE", fake.member_event(nina, guild))
        await asyncio.sleep(0.2)
        await client.idle()
        after = await _member(app, nina_id)
        assert after == before and after.admission_method == AdmissionMethod.INVITE


async def test_members_import_reads_the_list_over_rest_without_the_gateway(
    fake_discord: FakeDiscord, square: Square, db_url: str, engine: AsyncEngine, clock: FixedClock
) -> None:
    fake = fake_discord
    _crowd(fake, square, 30)
    settings = _settings(square, db_url)
    settings = settings.model_copy(
        update={"discord": settings.discord.model_copy(update={"api_base_url": fake.api_base_url})}  # type: ignore[union-attr]
    )
    app = build_app(settings, clock, {}, engine=engine)
    await app.ensure_communities()
    community = settings.communities[0]

    dry = await import_members(settings, community, app.bus, dry_run=True)
    assert (dry.dry_run, dry.adopted, dry.listed) == (True, 33, 34)
    assert await _member(app, square.member_id("alice")) is None  # a dry run changes nothing
    report = await import_members(settings, community, app.bus)
    assert (report.adopted, report.founding) == (33, 0)
    again = await import_members(settings, community, app.bus)
    assert again.adopted == 0  # idempotent
    assert (await _member(app, square.member_id("alice"))).is_admitted
    assert not fake.identify_payloads  # REST only
    assert len(fake.requests_to("GET", re.compile(MEMBERS))) == 3


async def test_a_failing_member_list_is_logged_and_the_bot_keeps_serving(
    fake_discord: FakeDiscord,
    square: Square,
    db_url: str,
    engine: AsyncEngine,
    clock: FixedClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    fake = fake_discord
    fake.fail_next("GET", MEMBERS, 403, code=50001)
    with caplog.at_level(logging.ERROR, logger="townsquare.discord.adoption"):
        async for _app, client in _live(fake, square, db_url, engine, clock):
            await asyncio.wait_for(client.adopted.wait(), 10)
            assert client.adoption is not None and client.adoption.reports == []
            answer = await _answer(fake, fake.slash_interaction("profile", user=square.members["alice"]))
            assert answer["type"] == 4
    assert any("could not read the member list" in r.getMessage() for r in caplog.records)
