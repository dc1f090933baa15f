"""Platform joins, invites, the burst guard, founding members and the gate controls, through the bus."""

from __future__ import annotations

import pytest

from adapters.fake.platform import FakeNotifier, FakePlatform
from bot.bootstrap import App
from bot.clock import FixedClock
from bot.config import Settings
from bot.core.badges.events import BadgeAwarded
from bot.core.effects import DirectMessage, GrantMemberAccess, PostMessage
from bot.core.events import MemberJoined, MemberLeft
from bot.core.gates.commands import AttachInvite
from bot.core.handlers import HandlerTable
from bot.core.members import MemberStatus
from bot.core.replies import OpenForm, Reply
from bot.core.text import mention
from bot.features import assemble
from storage.cohorts.tables import CohortPoolRow
from tests.conftest import COMMUNITY
from tests.core.gates_kit import (
    badges,
    code_of,
    code_row,
    lead,
    member,
    mod,
    ref,
    rows,
    seed_member,
    settings_with,
    text,
)


@pytest.fixture
def settings(db_url: str) -> Settings:
    return settings_with(db_url, founding_member_limit=2, burst_joins=3, burst_window_seconds=60)


def joined(clock: FixedClock, who: str, **extra: object) -> MemberJoined:
    return MemberJoined(community_id=COMMUNITY, member=ref(who), at=clock.now(), display_name=who, **extra)  # type: ignore[arg-type]


def record_badges(app: App) -> list[BadgeAwarded]:
    seen: list[BadgeAwarded] = []
    table = HandlerTable()
    table.commands = dict(assemble().handlers.commands)
    table.events = {kind: list(subs) for kind, subs in assemble().handlers.events.items()}

    @table.event(BadgeAwarded)
    async def _record(event: BadgeAwarded, ctx: object) -> None:
        seen.append(event)

    app.bus.handlers = table
    return seen


async def set_mode(platform: FakePlatform, mode: str, **options: str) -> str:
    reply = await platform.slash(lead(platform), "gate mode", mode=mode, **options)
    assert isinstance(reply, Reply)
    return reply.text


# --- gate mode ---------------------------------------------------------------------------------


async def test_a_lead_sets_the_mode_and_a_switch_date(
    app: App, platform: FakePlatform, clock: FixedClock
) -> None:
    status = await set_mode(platform, "referral", switch_on="2026-11-05")
    assert "Gate: referral (set by a lead)" in status and "on 2026-11-05" in status
    assert "referral-only" in text(await platform.slash(platform.actor("ada"), "apply"))
    clock.set(clock.now().replace(day=5, hour=0, minute=1))
    assert isinstance(await platform.slash(platform.actor("ada"), "apply"), OpenForm)
    gate = await platform.slash(mod(platform), "gate status")
    assert isinstance(gate, Reply) and "Gate: application (set by a lead)" in gate.text
    assert "Gate: referral (as configured)" in await set_mode(platform, "config")


async def test_gate_mode_refuses_bad_input_and_non_leads(app: App, platform: FakePlatform) -> None:
    assert "YYYY-MM-DD" in await set_mode(platform, "referral", switch_on="tomorrow")
    assert "only applies to referral" in await set_mode(platform, "open", switch_on="2027-01-01")
    assert "leads" in text(await platform.slash(mod(platform), "gate mode", mode="open"))
    assert "moderators" in text(await platform.slash(platform.actor("x"), "gate status"))


# --- platform joins ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "says"),
    [
        ("referral", "ask a member for a referral code, then type /join CODE"),
        ("application", "type /apply"),
        ("referral_or_application", "/join CODE with a member's referral code, or /apply"),
    ],
)
async def test_a_join_is_told_privately_how_to_get_in(
    app: App, platform: FakePlatform, notifier: FakeNotifier, clock: FixedClock, mode: str, says: str
) -> None:
    await set_mode(platform, mode)
    await platform.event(joined(clock, "ada"))
    await app.relay.run_once()
    [dm] = notifier.dms_to(ref("ada"))
    assert says in dm.text
    assert (await member(app, "ada")).status is MemberStatus.PENDING  # type: ignore[union-attr]


async def test_open_mode_admits_on_join_and_bots_are_ignored(
    app: App, platform: FakePlatform, notifier: FakeNotifier, clock: FixedClock
) -> None:
    await set_mode(platform, "open")
    await platform.event(joined(clock, "ada"))
    await platform.event(joined(clock, "robot", is_bot=True))
    ada = await member(app, "ada")
    assert ada is not None and ada.status is MemberStatus.ADMITTED and ada.admission_method == "open"
    assert (await member(app, "robot")).status is MemberStatus.PENDING  # type: ignore[union-attr]
    await app.relay.run_once()
    assert notifier.of_kind(GrantMemberAccess) == [GrantMemberAccess(COMMUNITY, ref("ada"))]


async def _invite(app: App, platform: FakePlatform, owner: str = "ann", invite: str = "inv1") -> str:
    await seed_member(app, owner)
    shown = code_of(await platform.slash(platform.actor(owner), "refer"))
    await app.bus.handle(AttachInvite(community_id=COMMUNITY, code=shown, invite_code=invite))
    return shown


@pytest.mark.parametrize("confidence", ["certain", "inferred", "likely"])
async def test_a_confident_invite_join_admits_and_credits_the_referrer(
    app: App, platform: FakePlatform, notifier: FakeNotifier, clock: FixedClock, confidence: str
) -> None:
    shown = await _invite(app, platform)
    await platform.event(joined(clock, "bob", invite_code="inv1", invite_confidence=confidence))
    bob, ann = await member(app, "bob"), await member(app, "ann")
    assert bob is not None and ann is not None
    assert (bob.status, bob.admission_method, bob.referred_by_id) == (MemberStatus.ADMITTED, "invite", ann.id)
    assert bob.referral_confidence == confidence
    assert (await code_row(app, shown))["uses"] == 1
    await app.relay.run_once()
    assert any(mention(ref("bob")) in dm.text for dm in notifier.dms_to(ref("ann")))


async def test_an_ambiguous_invite_join_earns_no_referral(
    app: App, platform: FakePlatform, notifier: FakeNotifier, clock: FixedClock
) -> None:
    shown = await _invite(app, platform)
    await platform.event(joined(clock, "bob", invite_code="inv1", invite_confidence="ambiguous"))
    bob = await member(app, "bob")
    assert bob is not None and bob.status is MemberStatus.PENDING and bob.referred_by_id is None
    assert (await code_row(app, shown))["uses"] == 0
    await app.relay.run_once()
    assert "/join CODE" in notifier.dms_to(ref("bob"))[0].text and notifier.dms_to(ref("ann")) == []


async def test_an_invite_whose_code_is_dead_explains_the_way_in(
    app: App, platform: FakePlatform, notifier: FakeNotifier, clock: FixedClock
) -> None:
    await _invite(app, platform)
    await platform.slash(platform.actor("ann"), "revoke-code")
    await platform.event(joined(clock, "bob", invite_code="inv1", invite_confidence="certain"))
    assert (await member(app, "bob")).status is MemberStatus.PENDING  # type: ignore[union-attr]
    await app.relay.run_once()
    [dm] = notifier.dms_to(ref("bob"))
    assert "no longer lets anyone in" in dm.text and "/join CODE" in dm.text


async def test_paused_admissions_hold_invite_joins_and_name_the_code(
    app: App, platform: FakePlatform, notifier: FakeNotifier, clock: FixedClock
) -> None:
    shown = await _invite(app, platform)
    await platform.slash(mod(platform), "admissions pause")
    await platform.event(joined(clock, "bob", invite_code="inv1", invite_confidence="certain"))
    assert (await member(app, "bob")).status is MemberStatus.PENDING  # type: ignore[union-attr]
    await app.relay.run_once()
    [dm] = notifier.dms_to(ref("bob"))
    assert "paused" in dm.text and f"/join {shown}" in dm.text
    assert "already paused" in text(await platform.slash(mod(platform), "admissions pause"))
    assert "leads" in text(await platform.slash(mod(platform), "admissions resume"))


async def test_a_returning_member_gets_access_again(
    app: App, platform: FakePlatform, notifier: FakeNotifier, clock: FixedClock
) -> None:
    await seed_member(app, "ann")
    await platform.event(joined(clock, "ann"))
    await app.relay.run_once()
    assert notifier.of_kind(GrantMemberAccess) == [GrantMemberAccess(COMMUNITY, ref("ann"))]
    assert notifier.of_kind(DirectMessage) == []


# --- burst guard -------------------------------------------------------------------------------


def _bursts(notifier: FakeNotifier) -> list[PostMessage]:
    return [p for p in notifier.of_kind(PostMessage) if p.title == "Join burst"]


async def test_a_join_burst_alerts_moderators_once(
    app: App, platform: FakePlatform, notifier: FakeNotifier, clock: FixedClock
) -> None:
    for i in range(12):
        clock.advance(seconds=2)
        await platform.event(joined(clock, f"raider{i}"), event_id=f"join-{i}")
        await platform.event(joined(clock, f"raider{i}"), event_id=f"join-{i}")  # a replay counts once
    await app.relay.run_once()
    [alert] = _bursts(notifier)
    assert alert.channel == "applications" and alert.text.startswith("4 people joined in the last 1 minute")
    assert [a.key for a in alert.actions] == ["admissions:pause:burst"]

    clock.advance(minutes=5)  # calm: the next join ends the burst ...
    await platform.event(joined(clock, "calm"))
    for i in range(4):  # ... so a new one alerts again
        await platform.event(joined(clock, f"second{i}"))
    await app.relay.run_once()
    assert len(_bursts(notifier)) == 2


async def test_the_alerts_button_pauses_admissions_for_moderators_only(
    app: App, platform: FakePlatform, notifier: FakeNotifier, clock: FixedClock
) -> None:
    await set_mode(platform, "open")
    assert "moderators" in text(await platform.press(platform.actor("raider"), "admissions:pause:burst"))
    assert "paused" in text(await platform.press(mod(platform), "admissions:pause:burst"))
    await platform.event(joined(clock, "raider"))
    assert (await member(app, "raider")).status is MemberStatus.PENDING  # type: ignore[union-attr]
    assert "open again" in text(await platform.slash(lead(platform), "admissions resume"))
    await platform.event(joined(clock, "friend"))
    assert (await member(app, "friend")).status is MemberStatus.ADMITTED  # type: ignore[union-attr]
    await app.relay.run_once()
    notes = [p.text for p in notifier.of_kind(PostMessage) if p.channel == "applications"]
    assert notes == [
        f"Admissions paused by {mention(ref('mod1'))}.",
        f"Admissions resumed by {mention(ref('lead1'))}.",
    ]


# --- founding members --------------------------------------------------------------------------


async def test_the_first_members_are_founding_members_for_good(
    app: App, platform: FakePlatform, clock: FixedClock
) -> None:
    awarded = record_badges(app)
    await set_mode(platform, "open")
    for who in ("first", "second", "third"):
        await platform.event(joined(clock, who))
    assert [(e.member, e.badge_key, e.reason) for e in awarded] == [
        (ref("first"), "founding", "one of the first 2 members (member #1)"),
        (ref("second"), "founding", "one of the first 2 members (member #2)"),
    ]
    # leaving, coming back and being admitted again changes nothing about the badge
    await platform.event(MemberLeft(community_id=COMMUNITY, member=ref("first"), at=clock.now()))
    clock.advance(days=1)
    await platform.event(joined(clock, "first"))
    assert (await member(app, "first")).status is MemberStatus.ADMITTED  # type: ignore[union-attr]
    first, second = await member(app, "first"), await member(app, "second")
    assert first is not None and second is not None
    assert sorted((r["member_id"], r["reason"]) for r in await badges(app)) == [
        (first.id, "one of the first 2 members (member #1)"),
        (second.id, "one of the first 2 members (member #2)"),
    ]
    assert len(awarded) == 2


async def test_founders_never_wait_for_a_newcomer_cohort(
    app: App, platform: FakePlatform, clock: FixedClock
) -> None:
    await set_mode(platform, "open")
    for who in ("first", "second", "third"):
        await platform.event(joined(clock, who))
    waiting = {r["member_id"] for r in await rows(app, CohortPoolRow)}
    third = await member(app, "third")
    assert third is not None and waiting == {third.id}  # the two founders buddy the first cohort instead
    await platform.event(MemberLeft(community_id=COMMUNITY, member=ref("first"), at=clock.now()))
    clock.advance(days=1)
    await platform.event(joined(clock, "first"))  # a founder back: still no newcomer
    assert {r["member_id"] for r in await rows(app, CohortPoolRow)} == {third.id}


async def test_a_lead_adds_founding_members_by_hand_once(app: App, platform: FakePlatform) -> None:
    awarded = record_badges(app)
    await seed_member(app, "old")
    add = lambda who, why: platform.slash(lead(platform), "founding add", member=ref(who), reason=why)  # noqa: E731
    assert "is now a founding member" in text(await add("old", "ran the meetup before the bot"))
    assert "already a founding member" in text(await add("old", "second thoughts"))
    [row] = await badges(app)
    assert row["reason"] == "added by a lead: ran the meetup before the bot"
    assert [e.reason for e in awarded] == ["added by a lead: ran the meetup before the bot"]
    assert "not a member here yet" in text(await add("stranger", "nice person"))
    assert "Say why" in text(await add("old", "   "))
    assert "leads" in text(await platform.slash(mod(platform), "founding add", member=ref("old"), reason="x"))


async def test_founding_is_counted_on_every_way_in(
    app: App, platform: FakePlatform, clock: FixedClock
) -> None:
    await seed_member(app, "ann")  # member #1, seeded without the gate
    shown = code_of(await platform.slash(platform.actor("ann"), "refer"))
    await platform.slash(platform.actor("bob"), "join", code=shown)  # member #2: founding
    await platform.slash(platform.actor("cat"), "join", code=shown)  # member #3: not
    assert [r["reason"] for r in await badges(app)] == ["one of the first 2 members (member #2)"]
