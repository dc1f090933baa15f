"""The application gate through the bus and the fake platform: form, moderators' buttons, decisions."""

from __future__ import annotations

import asyncio

import pytest

from adapters.fake.platform import FakeNotifier, FakePlatform
from bot.bootstrap import App
from bot.clock import FixedClock
from bot.config import Settings
from bot.core.effects import DirectMessage, EditMessage, GrantMemberAccess, PostMessage
from bot.core.events import MemberLeft
from bot.core.gates.commands import ApproveApplication, PostOverdueApplications
from bot.core.members import MemberStatus
from bot.core.refs import Role
from bot.core.replies import OpenForm, Reply
from bot.core.text import mention, mentions_in
from storage.tables import OutboxRow
from tests.conftest import COMMUNITY
from tests.core.gates_kit import (
    applications,
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

GOOD = {"answer_1": "Building a compiler for fun", "answer_2": "Learn from people who ship"}


@pytest.fixture
def settings(db_url: str) -> Settings:
    return settings_with(db_url, mode="referral_or_application")


async def apply(platform: FakePlatform, who: str, answers: dict[str, str] = GOOD) -> Reply | OpenForm:
    form = await platform.slash(platform.actor(who), "apply")
    assert isinstance(form, OpenForm), form
    return await platform.submit(platform.actor(who), form, answers)


async def status(app: App, application_id: int = 1) -> str:
    return next(a["status"] for a in await applications(app) if a["id"] == application_id)


async def test_apply_opens_the_two_questions_with_length_limits(app: App, platform: FakePlatform) -> None:
    form = await platform.slash(platform.actor("ada"), "apply")
    assert isinstance(form, OpenForm) and form.form_key == "application"
    assert [f.label for f in form.fields] == list(app.settings.communities[0].gate.questions)
    assert {(f.min_length, f.max_length) for f in form.fields} == {(10, 500)}


async def test_submission_posts_to_the_moderators_with_buttons(
    app: App, platform: FakePlatform, notifier: FakeNotifier
) -> None:
    sneaky = {"answer_1": "Hi @everyone \u27e6@fake:999\u27e7 <@123>", "answer_2": "Learning in public"}
    reply = await apply(platform, "ada", sneaky)
    assert "with the moderators" in text(reply) and "48 hours" in text(reply)
    [row] = await applications(app)
    assert row["status"] == "pending" and row["answers"]["answers"][0]["answer"].startswith("Hi @everyone")
    await app.relay.run_once()
    [post] = notifier.of_kind(PostMessage)
    assert post.channel == "applications" and post.message_key == "application:1"
    assert [a.key for a in post.actions] == ["app:approve:1", "app:reject:1"]
    shown = post.text + " ".join(f.value for f in post.fields)
    assert mentions_in(shown) == (
        ref("ada"),
    )  # the typed mention token is gone; the adapter escapes the rest
    assert "Learning in public" in shown


async def test_answers_must_fit_the_limits(app: App, platform: FakePlatform) -> None:
    reply = text(await apply(platform, "ada", {"answer_1": "short", "answer_2": "long enough answer"}))
    assert "Answer 1 needs at least 10 characters" in reply and "/apply" in reply
    assert await applications(app) == []


async def test_one_pending_application_at_a_time(app: App, platform: FakePlatform) -> None:
    await apply(platform, "ada")
    assert "is with the moderators" in text(await platform.slash(platform.actor("ada"), "apply"))


async def test_referral_only_refuses_applications_saying_what_to_do(app: App, platform: FakePlatform) -> None:
    await platform.slash(lead(platform), "gate mode", mode="referral")
    reply = text(await platform.slash(platform.actor("ada"), "apply"))
    assert "referral-only" in reply and "/join CODE" in reply


async def test_members_need_no_application(app: App, platform: FakePlatform) -> None:
    await seed_member(app, "ann")
    assert "already a member" in text(await platform.slash(platform.actor("ann"), "apply"))


async def test_approve_admits_edits_the_post_in_place_and_tells_the_applicant(
    app: App, platform: FakePlatform, notifier: FakeNotifier
) -> None:
    await apply(platform, "ada")
    await app.relay.run_once()
    [posted_id] = notifier.messages
    reply = await platform.press(mod(platform), "app:approve:1")
    assert "Approved" in text(reply) and mention(ref("ada")) in text(reply)
    ada, moderator = await member(app, "ada"), await member(app, "mod1")
    assert ada is not None and moderator is not None
    assert ada.status is MemberStatus.ADMITTED and ada.admission_method == "application"
    [row] = await applications(app)
    assert (row["status"], row["decided_by_id"]) == ("approved", moderator.id)

    await app.relay.run_once()
    [edit] = notifier.of_kind(EditMessage)
    assert edit.message_key == "application:1" and edit.actions == ()
    assert f"Approved by {mention(ref('mod1'))} at Mon 02 Nov 2026 10:00 UTC" in edit.text
    assert notifier.messages[posted_id] == edit.text  # the same message, edited
    assert notifier.of_kind(GrantMemberAccess) == [GrantMemberAccess(COMMUNITY, ref("ada"))]
    assert any("approved" in dm.text for dm in notifier.dms_to(ref("ada")))


@pytest.mark.parametrize("roles", [(), (Role.MEMBER,), (Role.LEAD,)])
async def test_a_non_moderators_click_changes_nothing(
    app: App, platform: FakePlatform, roles: tuple[Role, ...]
) -> None:
    await apply(platform, "ada")
    before = len(await rows(app, OutboxRow))
    clicker = platform.actor("eve", *roles)
    assert "moderators" in text(await platform.press(clicker, "app:approve:1"))
    assert "moderators" in text(await platform.press(clicker, "app:reject:1"))
    # a forged form submission or a direct command is refused by the bus as well
    assert "moderators" in text(await platform.submit(clicker, "application_reject", {"reason": ""}, "1"))
    direct = await app.bus.handle(ApproveApplication(community_id=COMMUNITY, application_id=1), clicker)
    assert isinstance(direct, Reply) and "moderators" in direct.text
    assert await status(app) == "pending" and len(await rows(app, OutboxRow)) == before
    assert (await member(app, "ada")).status is MemberStatus.PENDING  # type: ignore[union-attr]


async def test_an_applicant_never_decides_their_own(app: App, platform: FakePlatform) -> None:
    form = await platform.slash(mod(platform, "modapplicant"), "apply")
    await platform.submit(mod(platform, "modapplicant"), form, GOOD)
    assert "your own application" in text(
        await platform.press(mod(platform, "modapplicant"), "app:approve:1")
    )
    assert await status(app) == "pending"


async def test_two_moderators_pressing_at_once_make_one_decision(
    app: App, platform: FakePlatform, notifier: FakeNotifier
) -> None:
    await apply(platform, "ada")
    first, second = await asyncio.gather(
        platform.press(mod(platform, "mod1"), "app:approve:1"),
        platform.press(mod(platform, "mod2"), "app:approve:1"),
    )
    replies = sorted([text(first), text(second)])
    assert replies[0].startswith("Application #1 was already approved by")
    assert replies[1].startswith("Approved")
    await app.relay.run_once()
    assert len(notifier.of_kind(EditMessage)) == 1 and len(notifier.of_kind(GrantMemberAccess)) == 1
    late = text(await platform.press(mod(platform, "mod3"), "app:reject:1"))
    assert "already approved by" in late and "Mon 02 Nov 2026 10:00 UTC" in late
    # a Reject form opened before the approval is refused at submission
    refused = text(await platform.submit(mod(platform, "mod3"), "application_reject", {"reason": "no"}, "1"))
    assert "already approved by" in refused


async def test_reject_with_a_reason_then_the_cooldown(
    app: App, platform: FakePlatform, notifier: FakeNotifier, clock: FixedClock
) -> None:
    await apply(platform, "ada")
    form = await platform.press(mod(platform), "app:reject:1")
    assert isinstance(form, OpenForm) and form.context == "1" and not form.fields[0].required
    reply = await platform.submit(
        mod(platform), form, {"reason": "Please say more \u27e6@fake:1\u27e7 @here"}
    )
    assert "Rejected" in text(reply)
    [row] = await applications(app)
    assert row["status"] == "rejected" and row["reason"] == "Please say more @fake:1 @here"
    await app.relay.run_once()
    [dm] = notifier.dms_to(ref("ada"))
    assert "not accepted" in dm.text and "Please say more" in dm.text
    assert "Wed 02 Dec 2026 10:00 UTC" in dm.text
    assert mentions_in(dm.text) == ()
    [edit] = notifier.of_kind(EditMessage)
    assert edit.text.startswith(f"Rejected by {mention(ref('mod1'))}") and edit.actions == ()
    assert (await member(app, "ada")).status is MemberStatus.PENDING  # type: ignore[union-attr]

    assert "apply again from Wed 02 Dec 2026 10:00 UTC" in text(
        await platform.slash(platform.actor("ada"), "apply")
    )
    clock.advance(days=30)
    assert isinstance(await platform.slash(platform.actor("ada"), "apply"), OpenForm)


async def test_no_approval_while_admissions_are_paused(app: App, platform: FakePlatform) -> None:
    await apply(platform, "ada")
    await platform.slash(mod(platform), "admissions pause")
    assert "/admissions resume" in text(await platform.press(mod(platform), "app:approve:1"))
    assert await status(app) == "pending"


async def test_an_applicant_who_left_cannot_be_approved(
    app: App, platform: FakePlatform, clock: FixedClock
) -> None:
    await apply(platform, "ada")
    await platform.event(MemberLeft(community_id=COMMUNITY, member=ref("ada"), at=clock.now()))
    assert "Reject the application" in text(await platform.press(mod(platform), "app:approve:1"))
    assert "Rejected" in text(await platform.submit(mod(platform), "application_reject", {"reason": ""}, "1"))


async def test_overdue_applications_are_listed_for_leads_and_posted_daily(
    app: App, platform: FakePlatform, notifier: FakeNotifier, clock: FixedClock
) -> None:
    await apply(platform, "old")
    clock.advance(hours=47)
    await apply(platform, "new")
    clock.advance(hours=2)  # #1 has waited 49 h, #2 2 h
    listing = await platform.slash(lead(platform), "applications pending")
    assert isinstance(listing, Reply)
    assert f"#1 from {mention(ref('old'))}, waiting 49 hours" in listing.text and "#2" not in listing.text
    assert "2 pending" in listing.text
    assert "leads" in text(await platform.slash(mod(platform), "applications pending"))

    for _ in range(2):  # the job may fire twice in a day: one post
        await app.bus.handle(PostOverdueApplications(community_id=COMMUNITY))
    await app.relay.run_once()
    [post] = notifier.of_kind(PostMessage)[2:]  # after the two application posts
    assert post.channel == "digest" and "#1 from" in post.text


async def test_nothing_overdue_posts_nothing(
    app: App, platform: FakePlatform, notifier: FakeNotifier
) -> None:
    await apply(platform, "ada")
    await app.bus.handle(PostOverdueApplications(community_id=COMMUNITY))
    assert "No application has waited longer than 48 hours (1 pending" in text(
        await platform.slash(lead(platform), "applications pending")
    )
    await app.relay.run_once()
    assert [p.channel for p in notifier.of_kind(PostMessage)] == ["applications"]
    assert notifier.of_kind(DirectMessage) == []


async def test_erasing_ones_data_does_not_lift_the_cooldown(
    app: App, platform: FakePlatform, clock: FixedClock
) -> None:
    await apply(platform, "ada")
    assert "Rejected" in text(await platform.submit(mod(platform), "application_reject", {"reason": ""}, "1"))
    clock.advance(days=1)
    await erase_my_data(platform, "ada")
    assert await member(app, "ada") is None and await applications(app) == []
    # A fresh start as far as the tables go, but the anonymous mark holds the cooldown: the form
    # is refused, and so is a submission that skips it.
    assert "apply again from Wed 02 Dec 2026 10:00 UTC" in text(
        await platform.slash(platform.actor("ada"), "apply")
    )
    refused = await platform.submit(platform.actor("ada"), "application", GOOD)
    assert "apply again from Wed 02 Dec 2026 10:00 UTC" in text(refused)
    assert await applications(app) == []
    assert isinstance(await platform.slash(platform.actor("bob"), "apply"), OpenForm)  # only Ada's mark
    clock.advance(days=29)
    assert isinstance(await platform.slash(platform.actor("ada"), "apply"), OpenForm)
