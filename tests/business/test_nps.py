"""Community NPS: a survey opens on schedule for a sample of members (not staff, not opted out),
one answer per member per survey (a second tap changes it), a reason by form, and the score with
its trend and response rate in the business section."""

from __future__ import annotations

import pytest

from adapters.fake.platform import FakeNotifier, FakePlatform
from bot.bootstrap import App
from bot.clock import FixedClock
from bot.config import Settings
from bot.core.business.commands import OpenNpsSurvey
from bot.core.business.nps_rules import nps
from bot.core.business.report import build_report, render_report
from bot.core.effects import DirectMessage
from bot.core.replies import OpenForm, Reply
from bot.core.weeks import IsoWeek
from tests.conftest import COMMUNITY, make_settings
from tests.core.support import add_member, ref


def test_nps_is_promoters_minus_detractors() -> None:
    assert nps([]) is None
    assert nps([10, 9, 8, 7, 0]) == 20  # 2 promoters, 1 detractor of 5
    assert nps([0, 6, 6]) == -100
    assert nps([9, 10]) == 100


@pytest.fixture
def settings(db_url: str) -> Settings:
    return make_settings(db_url, business={"nps_min_members": 3})


async def test_a_survey_end_to_end(
    app: App, clock: FixedClock, platform: FakePlatform, notifier: FakeNotifier
) -> None:
    for user in ("a", "b", "c", "d"):
        await add_member(app, user)
    await add_member(app, "staff", is_staff=True)
    opted = await platform.press(platform.actor("d"), "nps:optout:0")
    assert isinstance(opted, Reply) and "not be asked again" in opted.text
    too_new = await app.bus.handle(OpenNpsSurvey(community_id=COMMUNITY))  # nobody has 14 days yet
    assert isinstance(too_new, Reply) and too_new.text == ""

    clock.advance(days=15)
    await add_member(app, "newcomer")  # admitted today: not asked yet
    await app.bus.handle(OpenNpsSurvey(community_id=COMMUNITY))
    await app.relay.run_once()
    asked = {dm.member for dm in notifier.of_kind(DirectMessage)}
    assert asked == {ref("a"), ref("b"), ref("c")}  # not staff, not the one who opted out
    dm = notifier.of_kind(DirectMessage)[0]
    keys = [a.key for a in dm.actions]
    assert keys[:11] == [f"nps:score:1:{n}" for n in range(11)] and keys[-1] == "nps:optout:0"

    again = await app.bus.handle(OpenNpsSurvey(community_id=COMMUNITY))  # the next day's run: too soon
    assert isinstance(again, Reply) and again.text == ""

    first = await platform.press(platform.actor("a"), "nps:score:1:3")
    assert isinstance(first, Reply) and "your answer is 3" in first.text
    changed = await platform.press(platform.actor("a"), "nps:score:1:10")  # one answer: the latest
    assert isinstance(changed, Reply) and "your answer is 10" in changed.text
    await platform.press(platform.actor("b"), "nps:score:1:5")
    outsider = await platform.press(platform.actor("staff"), "nps:score:1:10")
    assert isinstance(outsider, Reply) and outsider.private and "not sent to you" in outsider.text
    forged = await platform.press(platform.actor("c"), "nps:score:1:11")
    assert isinstance(forged, Reply) and forged.private and "0 to 10" in forged.text

    form = await platform.press(platform.actor("b"), "nps:why:1")
    assert isinstance(form, OpenForm) and form.form_key == "nps_why"
    explained = await platform.submit(platform.actor("b"), form, {"reason": "Docs are thin ⟦@fake:a⟧"})
    assert isinstance(explained, Reply) and "reads every reason" in explained.text

    community = app.bus.communities[COMMUNITY]
    async with app.uow_factory() as uow:
        report = await build_report(uow, community, IsoWeek.of(clock.now(), community.zone))
    # a: 10 (promoter), b: 5 (detractor): 0; 2 of 3 asked answered.
    assert "Community NPS: +0 (n=2 of 3 asked, 66.7 % response)" in render_report(report)

    clock.advance(days=91)
    await app.bus.handle(OpenNpsSurvey(community_id=COMMUNITY))
    await platform.press(platform.actor("a"), "nps:score:2:9")
    late = await platform.press(platform.actor("b"), "nps:score:1:9")  # the first survey has closed
    assert isinstance(late, Reply) and "closed" in late.text
    async with app.uow_factory() as uow:
        report = await build_report(uow, community, IsoWeek.of(clock.now(), community.zone))
    assert (
        "Community NPS: +100 (n=1 of 4 asked, 25.0 % response); previous survey +0 (+100)"
        in render_report(report)
    )
