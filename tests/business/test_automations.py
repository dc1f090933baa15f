"""Automations: the seed example works out of the box (five helpful answers → the Helpful badge →
a personal thank-you with the beta invitation, once); count and level rules fire once in the daily
pass (test_automation_rules.py); a bad rule names what to fix."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from adapters.fake.platform import FakeNotifier
from bot.bootstrap import App
from bot.clock import FixedClock
from bot.core.business.automation_settings import Automation
from bot.core.contributions.events import ContributionMade
from bot.core.contributions.rules import ContributionKind
from bot.core.text import mention
from tests.conftest import COMMUNITY
from tests.core.support import add_member, ref


async def _helpful(app: App, clock: FixedClock, user: str, n: int, start: int = 0) -> None:
    for i in range(start, start + n):
        await app.bus.handle(
            ContributionMade(
                community_id=COMMUNITY,
                member=ref(user),
                kind=ContributionKind.HELPFUL_ANSWER,
                source_id=f"helpful-{user}-{i}",
                at=clock.now(),
            )
        )


async def test_the_seed_example_thanks_a_helpful_member_once(
    app: App, clock: FixedClock, notifier: FakeNotifier
) -> None:
    await add_member(app, "helper")
    await _helpful(app, clock, "helper", 5)
    await app.relay.run_once()
    thanks = [dm for dm in notifier.dms_to(ref("helper")) if "beta programme" in dm.text]
    assert len(thanks) == 1
    assert thanks[0].text.startswith(f"Thank you, {mention(ref('helper'))}: your answers keep helping")
    assert "https://example.com/beta" in thanks[0].text
    await _helpful(app, clock, "helper", 5, start=5)  # more answers: the rule has fired already
    await app.relay.run_once()
    assert len([dm for dm in notifier.dms_to(ref("helper")) if "beta programme" in dm.text]) == 1


def test_a_rule_without_action_or_with_a_bad_trigger_is_refused() -> None:
    with pytest.raises(ValidationError, match="has no action"):
        Automation(key="x", when="cql")
    with pytest.raises(ValidationError, match="when is badge:<key>"):
        Automation(key="x", when="badge", dm="hi")
