"""`/refer member:@x`: a single-use code for one person who already has an account, and the targeted
invite it asks the platform for; a join through it is credited with certainty."""

from __future__ import annotations

from datetime import timedelta

from adapters.fake.platform import FakeNotifier, FakePlatform
from bot.bootstrap import App
from bot.clock import FixedClock
from bot.core.effects import CreateReferralInvite, effect_from_json, effect_to_json
from bot.core.gates.commands import AttachInvite
from bot.core.members import MemberStatus
from bot.core.replies import Reply
from bot.core.text import mention
from storage.tables import OutboxRow
from tests.conftest import COMMUNITY
from tests.core.gates_kit import code_of, code_row, member, ref, rows, seed_member, text
from tests.core.test_gates_admission import joined


async def test_a_code_for_one_person_is_single_use_and_asks_for_a_targeted_invite(
    app: App, platform: FakePlatform, notifier: FakeNotifier, clock: FixedClock
) -> None:
    await seed_member(app, "ann")
    general = code_of(await platform.slash(platform.actor("ann"), "refer"))
    reply = await platform.slash(platform.actor("ann"), "refer", member=ref("bob"))
    assert isinstance(reply, Reply) and reply.private and mention(ref("bob")) in reply.text
    shown = code_of(reply)
    assert shown != general  # a new code, not the member's general one
    row = await code_row(app, shown)
    assert row["max_uses"] == 1 and row["uses"] == 0
    [queued] = [
        effect_from_json(r["payload"])
        for r in await rows(app, OutboxRow)
        if r["dedupe_key"] == f"referral-invite:{COMMUNITY}:{shown.replace('-', '')}"
    ]
    effect = CreateReferralInvite(
        COMMUNITY,
        shown,
        ref("ann"),
        1,
        clock.now() + timedelta(days=7),
        target=ref("bob"),
        grant_access=True,
    )
    assert queued == effect and effect_from_json(effect_to_json(effect)) == effect
    # asking again for the same person makes another single-use code (within the monthly quota)
    assert code_of(await platform.slash(platform.actor("ann"), "refer", member=ref("bob"))) != shown


async def test_not_for_oneself_nor_for_a_member(app: App, platform: FakePlatform) -> None:
    await seed_member(app, "ann")
    await seed_member(app, "cid")
    assert "That is you" in text(await platform.slash(platform.actor("ann"), "refer", member=ref("ann")))
    already = text(await platform.slash(platform.actor("ann"), "refer", member=ref("cid")))
    assert "already a member" in already
    assert [r for r in await rows(app, OutboxRow) if r["kind"] == "create_referral_invite"] == []


async def test_a_join_through_the_targeted_invite_is_credited_with_certainty(
    app: App, platform: FakePlatform, clock: FixedClock
) -> None:
    ann = await seed_member(app, "ann")
    shown = code_of(await platform.slash(platform.actor("ann"), "refer", member=ref("bob")))
    await app.bus.handle(AttachInvite(community_id=COMMUNITY, code=shown, invite_code="tgt1"))
    await platform.event(joined(clock, "bob", invite_code="tgt1", invite_confidence="certain"))
    bob = await member(app, "bob")
    assert bob is not None and bob.status is MemberStatus.ADMITTED
    assert (bob.referred_by_id, bob.admission_method, bob.referral_confidence) == (
        ann.id,
        "invite",
        "certain",
    )
    assert (await code_row(app, shown))["uses"] == 1
