"""Automation rules of the daily pass: count and level rules fire once; a dry run lists who would get
what and sends nothing."""

from __future__ import annotations

import pytest

from adapters.fake.platform import FakeNotifier
from bot.bootstrap import App
from bot.clock import FixedClock
from bot.config import Settings
from bot.core.business.commands import RunAutomations
from bot.core.contributions.events import ContributionMade
from bot.core.contributions.rules import ContributionKind
from bot.core.effects import AssignBadgeRole, DirectMessage
from bot.core.replies import Reply
from bot.core.text import mention
from tests.conftest import COMMUNITY
from tests.core.support import add_member, ref


@pytest.fixture
def settings(db_url: str) -> Settings:
    rules = [
        {
            "key": "regular",
            "when": "count:message>=3",
            "role": "regular",
            "dm": "Thanks for being here, {name}!",
        },
        {"key": "advocates", "when": "level:advocate", "link": "https://example.com/advisory"},
    ]
    return Settings.model_validate(
        {
            "database": {"url": db_url},
            "communities": [
                {"id": COMMUNITY, "name": "Acme", "platform": "fake", "business": {"automations": rules}}
            ],
        }
    )


async def test_daily_rules_fire_once_and_a_dry_run_sends_nothing(
    app: App, clock: FixedClock, notifier: FakeNotifier
) -> None:
    for user in ("quiet", "chatty"):
        await add_member(app, user)
    for i in range(3):
        await app.bus.handle(
            ContributionMade(
                community_id=COMMUNITY,
                member=ref("chatty"),
                kind=ContributionKind.MESSAGE,
                source_id=f"m{i}",
                at=clock.now(),
            )
        )
    preview = await app.bus.handle(RunAutomations(community_id=COMMUNITY, dry_run=True))
    assert isinstance(preview, Reply) and preview.text == f"Would fire:\nregular → {mention(ref('chatty'))}"
    await app.relay.run_once()
    assert notifier.dms_to(ref("chatty")) == []  # the dry run sent nothing

    fired = await app.bus.handle(RunAutomations(community_id=COMMUNITY))
    assert isinstance(fired, Reply) and fired.text == "1 automation(s) fired"
    await app.relay.run_once()
    assert [dm.text for dm in notifier.dms_to(ref("chatty"))] == [
        f"Thanks for being here, {mention(ref('chatty'))}!"
    ]
    assert [
        (r.member, r.badge_key) for r in notifier.of_kind(AssignBadgeRole) if r.badge_key == "regular"
    ] == [(ref("chatty"), "regular")]
    again = await app.bus.handle(RunAutomations(community_id=COMMUNITY))
    assert isinstance(again, Reply) and again.text == "0 automation(s) fired"
    assert len(notifier.of_kind(DirectMessage)) == 1
