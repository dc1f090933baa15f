"""Day one on an existing community: the people already there become members by adoption."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from adapters.adoption import adopt_pages
from adapters.fake.platform import FakeNotifier, FakePlatform
from bot.bootstrap import App
from bot.config import Settings
from bot.core.effects import GrantMemberAccess
from bot.core.gates.commands import AdoptMembers, CompleteAdoption, ExistingMember
from bot.core.members import AdmissionMethod, MemberStatus
from bot.core.metrics.ports import MetricsReader
from bot.core.metrics.rules import MetricsPolicy
from bot.core.replies import Reply
from bot.core.text import mention
from bot.core.weeks import IsoWeek, Period
from storage.cohorts.tables import CohortPoolRow
from tests.conftest import COMMUNITY
from tests.core.gates_kit import badges, lead, member, ref, seed_member, settings_with, text
from tests.core.support import count
from tests.programming.support import outbox


@pytest.fixture
def settings(db_url: str) -> Settings:
    return settings_with(db_url, founding_from_existing=2, founding_member_limit=0)


def existing(app: App, user_id: str, days_ago: int, *, is_bot: bool = False) -> ExistingMember:
    return ExistingMember(
        ref(user_id), f"name-{user_id}", app.clock.now() - timedelta(days=days_ago), is_bot=is_bot
    )


async def adopt(app: App, *people: ExistingMember) -> str:
    reply = await app.bus.handle(AdoptMembers(community_id=COMMUNITY, members=people))
    assert isinstance(reply, Reply)
    return reply.text


async def test_existing_people_become_members_as_of_their_join_date_once(
    app: App, platform: FakePlatform, notifier: FakeNotifier
) -> None:
    await seed_member(app, "already")
    people = (
        existing(app, "old", 400),
        existing(app, "recent", 3),
        existing(app, "already", 50),
        existing(app, "robot", 100, is_bot=True),
    )
    assert await adopt(app, *people) == "2 of 4 existing people adopted as members."
    assert await adopt(app, *people) == "0 of 4 existing people adopted as members."

    old = await member(app, "old")
    assert old is not None and old.status is MemberStatus.ADMITTED
    assert old.admission_method is AdmissionMethod.ADOPTED
    assert old.admitted_at == app.clock.now() - timedelta(days=400)
    assert old.display_name == "name-old"
    already = await member(app, "already")
    assert already is not None and already.admission_method is AdmissionMethod.LEAD  # left as it was
    assert await member(app, "robot") is None
    assert await outbox(app) == []  # no welcome, no access grant: they are in already
    assert await count(app.engine, CohortPoolRow) == 0  # not newcomers: no onboarding cohort


async def test_an_adopted_member_refers_at_once(app: App, platform: FakePlatform) -> None:
    await adopt(app, existing(app, "old", 400))
    reply = await platform.slash(platform.actor("old"), "refer")
    assert isinstance(reply, Reply) and "code" in reply.text.lower(), reply


async def test_the_earliest_adopted_members_by_join_date_are_founding_members(app: App) -> None:
    await adopt(app, existing(app, "c", 100), existing(app, "a", 900))
    await adopt(app, existing(app, "b", 500), existing(app, "d", 10))  # a later page, earlier joiner
    done = await app.bus.handle(CompleteAdoption(community_id=COMMUNITY))
    assert isinstance(done, Reply) and done.text == "Adoption complete; 2 new founding member(s)."
    awards = {(row["member_id"], row["reason"]) for row in await badges(app)}
    a, b = await member(app, "a"), await member(app, "b")
    assert a is not None and b is not None
    joined_a, joined_b = (f"{app.clock.now() - timedelta(days=days):%d %b %Y}" for days in (900, 500))
    assert awards == {
        (a.id, f"one of the first 2 members (member #1, joined {joined_a})"),
        (
            b.id,
            f"one of the first 2 members (member #2, joined {joined_b})",
        ),
    }
    again = await app.bus.handle(CompleteAdoption(community_id=COMMUNITY))
    assert isinstance(again, Reply) and again.text == "Adoption complete; 0 new founding member(s)."


async def test_adoption_is_not_growth(app: App) -> None:
    await adopt(app, existing(app, "today", 0), existing(app, "yesterday", 1))
    week = IsoWeek.of(app.clock.now(), app.settings.communities[0].zone)
    period = Period.of(week, "UTC", as_of=app.clock.now() + timedelta(seconds=1))
    async with app.uow_factory() as uow:
        metrics = await uow.repo(MetricsReader).week(COMMUNITY, period, MetricsPolicy())
    assert metrics.growth.admitted == 0
    assert metrics.growth.members == 2
    assert metrics.referrals.admissions == 0


async def test_a_lead_admits_one_person(app: App, platform: FakePlatform, notifier: FakeNotifier) -> None:
    await seed_member(app, "someone")
    refused = await platform.slash(platform.actor("someone"), "admit", member=ref("newbie"))
    assert "lead" in text(refused).lower()
    reply = await platform.slash(lead(platform), "admit", member=ref("newbie"))
    assert (
        isinstance(reply, Reply)
        and reply.text == f"{mention(ref('newbie'))} is now a member (admitted by a lead)."
    )
    assert [type(e) for _, e in await outbox(app)] == [GrantMemberAccess]  # the member role, nothing else
    newbie = await member(app, "newbie")
    assert newbie is not None and newbie.is_admitted and newbie.admission_method is AdmissionMethod.ADOPTED
    again = await platform.slash(lead(platform), "admit", member=ref("newbie"))
    assert isinstance(again, Reply) and again.text == f"{mention(ref('newbie'))} is a member already."


async def test_pages_through_the_shared_helper_with_a_dry_run_first(app: App) -> None:
    async def pages() -> AsyncIterator[list[ExistingMember]]:
        yield [existing(app, "p1", 30), existing(app, "p2", 20)]
        yield []
        yield [existing(app, "p3", 10), existing(app, "bot", 5, is_bot=True)]

    dry = await adopt_pages(app.bus, COMMUNITY, pages(), dry_run=True)
    assert (dry.listed, dry.adopted, dry.pages) == (4, 3, 2)
    assert dry.line() == "test: would adopt 3 of 4 existing people (2 pages)"
    assert await member(app, "p1") is None  # a dry run changes nothing
    done = await adopt_pages(app.bus, COMMUNITY, pages())
    assert done.line() == "test: adopted 3 of 4 existing people (2 pages); 2 new founding member(s)"
    again = await adopt_pages(app.bus, COMMUNITY, pages())
    assert (again.adopted, again.founding) == (0, 0)
