"""Referral codes through the bus and the fake platform: /refer, /join, revocation, limits, races."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from adapters.fake.platform import FakeNotifier, FakePlatform
from bot.bootstrap import App
from bot.clock import FixedClock
from bot.config import Settings
from bot.core.effects import (
    CreateReferralInvite,
    GrantMemberAccess,
    PostMessage,
    effect_from_json,
    effect_to_json,
)
from bot.core.events import MemberLeft
from bot.core.gates.commands import AttachInvite, SetGateMode
from bot.core.gates.events import MemberAdmitted
from bot.core.handlers import HandlerTable
from bot.core.members import MemberStatus
from bot.core.replies import Reply
from bot.core.text import mention
from bot.features import assemble
from storage.gates.tables import RedemptionAttemptRow
from storage.tables import OutboxRow
from tests.conftest import COMMUNITY
from tests.core.gates_kit import (
    code_of,
    code_row,
    erase_my_data,
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
    return settings_with(db_url, codes_per_month=3)


def record_admissions(app: App) -> list[MemberAdmitted]:
    """Subscribe a recorder to MemberAdmitted on a copy of the handler table (as cohorts will)."""
    seen: list[MemberAdmitted] = []
    table = HandlerTable()
    table.commands = dict(assemble().handlers.commands)
    table.events = {kind: list(subs) for kind, subs in assemble().handlers.events.items()}

    @table.event(MemberAdmitted)
    async def _record(event: MemberAdmitted, ctx: object) -> None:
        seen.append(event)

    app.bus.handlers = table
    return seen


async def test_refer_gives_a_private_code_and_the_same_one_until_it_is_spent(
    app: App, platform: FakePlatform, clock: FixedClock
) -> None:
    await seed_member(app, "ann")
    first = await platform.slash(platform.actor("ann"), "refer")
    assert isinstance(first, Reply) and first.private and first.title == "Your referral code"
    shown = code_of(first)
    assert len(shown) == 11 and shown[5] == "-"
    assert f"/join {shown}" in first.text
    again = await platform.slash(platform.actor("ann"), "refer")
    assert code_of(again) == shown
    row = await code_row(app, shown)
    assert row["max_uses"] == 5 and row["uses"] == 0
    assert row["expires_at"].replace(tzinfo=clock.now().tzinfo) == clock.now() + timedelta(days=7)


async def test_refer_is_for_members_only(app: App, platform: FakePlatform) -> None:
    reply = await platform.slash(platform.actor("stranger"), "refer")
    assert "for members" in text(reply) and "/join" in text(reply)


async def test_monthly_quota_then_a_new_month(app: App, platform: FakePlatform, clock: FixedClock) -> None:
    await seed_member(app, "ann")
    ann = platform.actor("ann")
    shown = set()
    for _ in range(3):
        shown.add(code_of(await platform.slash(ann, "refer")))
        assert "Withdrawn" in text(await platform.slash(ann, "revoke-code"))
    assert len(shown) == 3
    refused = text(await platform.slash(ann, "refer"))
    assert "3 referral codes this month" in refused and "Tue 01 Dec 2026 00:00 UTC" in refused
    clock.set(clock.now().replace(month=12, day=1, hour=0))
    assert code_of(await platform.slash(ann, "refer")) not in shown


async def test_join_admits_credits_the_referrer_and_queues_the_welcome(
    app: App, platform: FakePlatform, notifier: FakeNotifier
) -> None:
    admitted = record_admissions(app)
    ann = await seed_member(app, "ann")
    shown = code_of(await platform.slash(platform.actor("ann"), "refer"))
    reply = await platform.slash(
        platform.actor("bob", name="Bob"), "join", code=shown.lower().replace("-", " ")
    )
    assert "You're in" in text(reply)
    bob = await member(app, "bob")
    assert bob is not None and bob.status is MemberStatus.ADMITTED
    assert (bob.referred_by_id, bob.admission_method, bob.referral_confidence) == (ann.id, "code", "certain")
    assert (await code_row(app, shown))["uses"] == 1
    assert [(e.member, e.method, e.referrer_id) for e in admitted] == [(ref("bob"), "code", ann.id)]

    await app.relay.run_once()
    assert notifier.of_kind(GrantMemberAccess) == [GrantMemberAccess(COMMUNITY, ref("bob"))]
    [welcome] = notifier.of_kind(PostMessage)
    assert welcome.channel == "welcome" and mention(ref("bob")) in welcome.text
    assert notifier.dms_to(ref("bob")) and "You're in" in notifier.dms_to(ref("bob"))[0].text
    [thanks] = notifier.dms_to(ref("ann"))
    assert mention(ref("bob")) in thanks.text and "Thank you" in thanks.text


async def test_referrals_build_a_tree(app: App, platform: FakePlatform) -> None:
    ann = await seed_member(app, "ann")
    await platform.slash(
        platform.actor("bob"), "join", code=code_of(await platform.slash(platform.actor("ann"), "refer"))
    )
    await platform.slash(
        platform.actor("cat"), "join", code=code_of(await platform.slash(platform.actor("bob"), "refer"))
    )
    bob, cat = await member(app, "bob"), await member(app, "cat")
    assert bob is not None and cat is not None
    assert bob.referred_by_id == ann.id and cat.referred_by_id == bob.id


async def _refused_join(app: App, platform: FakePlatform, who: str, code: str) -> str:
    reply = text(await platform.slash(platform.actor(who), "join", code=code))
    newcomer = await member(app, who)
    assert newcomer is None or newcomer.status is not MemberStatus.ADMITTED
    return reply


async def test_each_dead_code_says_why_and_what_next(
    app: App, platform: FakePlatform, clock: FixedClock
) -> None:
    await seed_member(app, "ann")
    ann = platform.actor("ann")
    unknown = await _refused_join(app, platform, "x1", "ZZZZZ-ZZZZZ")
    assert "does not match" in unknown and "4 more times" in unknown

    revoked = code_of(await platform.slash(ann, "refer"))
    await platform.slash(ann, "revoke-code", code=revoked)
    assert "withdrew" in await _refused_join(app, platform, "x2", revoked)

    expired = code_of(await platform.slash(ann, "refer"))
    clock.advance(days=7)
    reply = await _refused_join(app, platform, "x3", expired)
    assert "expired on Mon 09 Nov 2026 10:00 UTC" in reply and "/refer" in reply
    assert (await code_row(app, expired))["uses"] == 0


async def test_a_used_up_code_refuses_the_next_newcomer(app: App, platform: FakePlatform) -> None:
    await seed_member(app, "ann")
    shown = code_of(await platform.slash(platform.actor("ann"), "refer"))
    for i in range(5):
        assert "You're in" in text(await platform.slash(platform.actor(f"n{i}"), "join", code=shown))
    assert "as many people as it can" in await _refused_join(app, platform, "late", shown)


async def test_a_code_dies_with_its_owners_membership(
    app: App, platform: FakePlatform, clock: FixedClock
) -> None:
    await seed_member(app, "ann")
    shown = code_of(await platform.slash(platform.actor("ann"), "refer"))
    await platform.event(MemberLeft(community_id=COMMUNITY, member=ref("ann"), at=clock.now()))
    assert "no longer part of the community" in await _refused_join(app, platform, "bob", shown)


async def test_self_referral_is_impossible(app: App, platform: FakePlatform, clock: FixedClock) -> None:
    await seed_member(app, "ann")
    ann = platform.actor("ann")
    shown = code_of(await platform.slash(ann, "refer"))
    assert "already a member" in text(await platform.slash(ann, "join", code=shown))
    # leaving and coming back does not let the owner in on their own code
    await platform.event(MemberLeft(community_id=COMMUNITY, member=ref("ann"), at=clock.now()))
    assert "your own referral code" in await _refused_join(app, platform, "ann", shown)
    assert (await code_row(app, shown))["uses"] == 0


async def test_five_failures_an_hour_then_a_lockout(
    app: App, platform: FakePlatform, clock: FixedClock
) -> None:
    await seed_member(app, "ann")
    good = code_of(await platform.slash(platform.actor("ann"), "refer"))
    for i in range(5):
        clock.advance(minutes=1)
        reply = await _refused_join(app, platform, "guesser", f"AAAAA-AAAA{i}")
    assert "last try this hour" in reply
    locked = await _refused_join(app, platform, "guesser", good)  # even the right code waits
    assert "Too many codes" in locked and "Mon 02 Nov 2026 11:01 UTC" in locked
    assert len(await rows(app, RedemptionAttemptRow)) == 5  # the lockout itself is not an attempt
    clock.advance(minutes=57)
    assert "You're in" in text(await platform.slash(platform.actor("guesser"), "join", code=good))


async def test_erasing_ones_data_does_not_lift_a_lockout(
    app: App, platform: FakePlatform, clock: FixedClock
) -> None:
    await seed_member(app, "ann")
    good = code_of(await platform.slash(platform.actor("ann"), "refer"))
    for i in range(5):
        clock.advance(minutes=1)
        await _refused_join(app, platform, "guesser", f"AAAAA-AAAA{i}")
    await erase_my_data(platform, "guesser")
    assert await member(app, "guesser") is None and await rows(app, RedemptionAttemptRow) == []
    locked = await _refused_join(app, platform, "guesser", good)  # the mark ends when the lockout would
    assert "Too many codes" in locked and "Mon 02 Nov 2026 11:01 UTC" in locked
    clock.set(clock.now().replace(hour=11, minute=1))
    assert "You're in" in text(await platform.slash(platform.actor("guesser"), "join", code=good))


async def test_codes_only_admit_in_referral_modes_and_not_while_paused(
    app: App, platform: FakePlatform
) -> None:
    await seed_member(app, "ann")
    shown = code_of(await platform.slash(platform.actor("ann"), "refer"))
    await app.bus.handle(SetGateMode(community_id=COMMUNITY, mode="application"), lead(platform))
    assert "/apply" in await _refused_join(app, platform, "bob", shown)
    assert "/apply" in text(await platform.slash(platform.actor("ann"), "refer"))
    await app.bus.handle(SetGateMode(community_id=COMMUNITY, mode=None), lead(platform))
    assert "Admissions are paused" in text(await platform.slash(mod(platform), "admissions pause"))
    paused = await _refused_join(app, platform, "bob", shown)
    assert "paused" in paused and "Try /join again later" in paused
    assert "Admissions are open again" in text(await platform.slash(lead(platform), "admissions resume"))
    assert "You're in" in text(await platform.slash(platform.actor("bob"), "join", code=shown))


async def test_in_open_mode_a_wrong_code_still_lets_people_in(app: App, platform: FakePlatform) -> None:
    await app.bus.handle(SetGateMode(community_id=COMMUNITY, mode="open"), lead(platform))
    reply = text(await platform.slash(platform.actor("bob"), "join", code="nope"))
    assert "open to everyone" in reply
    bob = await member(app, "bob")
    assert bob is not None and bob.admission_method == "open"


async def test_two_newcomers_racing_for_the_last_use_exactly_one_wins(
    app: App, platform: FakePlatform
) -> None:
    await seed_member(app, "ann")
    shown = code_of(await platform.slash(platform.actor("ann"), "refer"))
    for i in range(4):
        await platform.slash(platform.actor(f"early{i}"), "join", code=shown)
    racers = [f"racer{i}" for i in range(6)]
    replies = await asyncio.gather(*(platform.slash(platform.actor(r), "join", code=shown) for r in racers))
    won = [r for r, reply in zip(racers, replies, strict=True) if "You're in" in text(reply)]
    lost = [reply for reply in replies if "as many people as it can" in text(reply)]
    assert len(won) == 1 and len(lost) == 5
    assert (await code_row(app, shown))["uses"] == 5
    statuses = [(await member(app, r)).status for r in racers]  # type: ignore[union-attr]
    assert statuses.count(MemberStatus.ADMITTED) == 1


async def test_nothing_typed_is_echoed(app: App, platform: FakePlatform) -> None:
    reply = text(await platform.slash(platform.actor("x"), "join", code="@everyone \u27e6@fake:1\u27e7"))
    assert "@everyone" not in reply and "\u27e6" not in reply


async def test_a_new_code_asks_for_its_personal_invite_in_the_same_transaction(
    app: App, platform: FakePlatform, notifier: FakeNotifier, clock: FixedClock
) -> None:
    """The platform mints the invite from the outbox; the core never waits for it or reads it back."""
    await seed_member(app, "ann")
    shown = code_of(await platform.slash(platform.actor("ann"), "refer"))
    await platform.slash(platform.actor("ann"), "refer")  # the same live code: no second invite
    [row] = [r for r in await rows(app, OutboxRow) if r["kind"] == "create_referral_invite"]
    assert row["dedupe_key"] == f"referral-invite:{COMMUNITY}:{shown.replace('-', '')}"
    effect = CreateReferralInvite(COMMUNITY, shown, ref("ann"), 5, clock.now() + timedelta(days=7))
    assert effect_from_json(row["payload"]) == effect
    assert effect_from_json(effect_to_json(effect)) == effect
    await app.relay.run_once()  # the fake platform (like Slack) has no invites: accepted, nothing more
    assert notifier.of_kind(CreateReferralInvite) == [effect]
    assert (await code_row(app, shown))["invite_code"] is None


async def test_attach_invite_is_for_the_adapter_only(app: App, platform: FakePlatform) -> None:
    await seed_member(app, "ann")
    shown = code_of(await platform.slash(platform.actor("ann"), "refer"))
    refused = await app.bus.handle(
        AttachInvite(community_id=COMMUNITY, code=shown, invite_code="abc"), platform.actor("ann")
    )
    assert isinstance(refused, Reply) and "Townsquare itself" in refused.text
    ok = await app.bus.handle(AttachInvite(community_id=COMMUNITY, code=shown, invite_code="abc"))
    assert isinstance(ok, Reply) and ok.silent
    assert (await code_row(app, shown))["invite_code"] == "abc"
    again = await platform.slash(platform.actor("ann"), "refer")
    assert any(f.name == "Invite" and f.value == "abc" for f in again.fields)  # type: ignore[union-attr]
    missing = await app.bus.handle(AttachInvite(community_id=COMMUNITY, code="ZZZZZ-ZZZZZ", invite_code="x"))
    assert isinstance(missing, Reply) and "No such referral code" in missing.text


async def test_revoking_with_nothing_to_revoke_says_what_to_do(app: App, platform: FakePlatform) -> None:
    await seed_member(app, "ann")
    assert "/refer gives you one" in text(await platform.slash(platform.actor("ann"), "revoke-code"))
    assert "ABCDE-FGHJK" in text(await platform.slash(platform.actor("ann"), "revoke-code", code="!!"))
    assert await rows(app, OutboxRow) == []
