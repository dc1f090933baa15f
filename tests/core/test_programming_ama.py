"""AMAs and showcases through the bus: questions by votes, host-only answers, entries and review,
badges once, contributions recorded. The clock starts Monday 2 November 2026, 10:00 UTC; the
series meet on Thursdays at 17:00 UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.fake.platform import FakeNotifier, FakePlatform
from bot.bootstrap import App, build_app
from bot.clock import FixedClock
from bot.core.badges.events import BadgeAwarded
from bot.core.context import Context
from bot.core.effects import DirectMessage, EditMessage, PostMessage
from bot.core.errors import InvalidInput
from bot.core.programming.ports import QuestionRepository
from bot.core.programming.rules import validate_link
from bot.core.refs import MemberRef, Role
from storage.badges.tables import BadgeAwardRow
from storage.contributions.tables import ContributionRow, MemberWeekRow
from storage.tables import MemberRow
from tests.conftest import make_settings
from tests.programming.support import admit, create_series, effects, lead, scheduler, text_of

THURSDAY_17 = datetime(2026, 11, 5, 17, 0, tzinfo=UTC)


async def _ask(platform: FakePlatform, who: str, question: str) -> str:
    return text_of(await platform.slash(platform.actor(who), "ama", question=question))


async def test_questions_are_posted_in_vote_order_at_the_start(
    app: App, platform: FakePlatform, clock: FixedClock
) -> None:
    await create_series(platform, host=MemberRef("fake", "host"))
    for name in ("ada", "bo", "cy", "di"):
        await admit(app, name)
    for who, question in (
        ("ada", "First, least liked?"),
        ("bo", "Second, most liked?"),
        ("cy", "Third, liked once?"),
    ):
        assert "queued for AMA: Ask us" in await _ask(platform, who, question)
        clock.advance(minutes=1)
    for voter, question_id in (("cy", 2), ("di", 2), ("ada", 3), ("di", 1), ("bo", 3)):
        assert text_of(await platform.press(platform.actor(voter), f"ama:vote:{question_id}")) == "Upvoted."
    # Questions 2 and 3 tie on two votes: the one asked first comes first; question 1 has one.
    sched = scheduler(app)
    assert await sched.start()
    clock.set(THURSDAY_17)
    await sched.sync()
    [live] = [p for p in await effects(app, PostMessage) if p.message_key == "ama:live:1"]
    order = [line.split(". ", 1)[1].split(" (")[0] for line in live.text.splitlines()[1:]]
    assert order == ["Second, most liked?", "Third, liked once?", "First, least liked?"]
    assert [a.key for a in live.actions] == [
        "ama:answered:2",
        "ama:answered:3",
        "ama:answered:1",
        "rsvp:here:1",
    ]


async def test_votes_count_once_per_member_and_not_for_oneself(
    app: App, platform: FakePlatform, clock: FixedClock
) -> None:
    await create_series(platform)
    await admit(app, "ada")
    await admit(app, "bo")
    await _ask(platform, "ada", "What is on the roadmap?")
    assert "own question" in text_of(await platform.press(platform.actor("ada"), "ama:vote:1"))
    assert text_of(await platform.press(platform.actor("bo"), "ama:vote:1")) == "Upvoted."
    assert "already upvoted" in text_of(await platform.press(platform.actor("bo"), "ama:vote:1"))
    async with app.uow_factory() as uow:
        question = await uow.repo(QuestionRepository).get(1)
    assert question is not None and question.votes == 1
    [edit] = await effects(app, EditMessage)
    assert edit.message_key == "ama:question:1" and "Upvotes: 1" in edit.text
    clock.set(THURSDAY_17)
    await admit(app, "cy")
    assert "Voting closed" in text_of(await platform.press(platform.actor("cy"), "ama:vote:1"))


async def test_questions_are_checked_and_limited_per_member(app: App, platform: FakePlatform) -> None:
    await admit(app, "ada")
    assert "No AMA is scheduled" in await _ask(platform, "ada", "Anyone there?")
    await create_series(platform)
    assert "5 to 500 characters" in await _ask(platform, "ada", "Hm?")
    for number in range(3):
        assert "queued" in await _ask(platform, "ada", f"Question number {number}")
    assert "3 question(s)" in await _ask(platform, "ada", "One too many?")


async def test_only_the_host_or_a_lead_marks_questions_answered(
    app: App, platform: FakePlatform, clock: FixedClock
) -> None:
    await create_series(platform, host=MemberRef("fake", "host"))
    for name in ("host", "ada", "bo", "lead"):
        await admit(app, name)
    await _ask(platform, "ada", "What changed in 2.0?")
    await _ask(platform, "ada", "What is next after 2.0?")
    assert "during the AMA" in text_of(await platform.press(platform.actor("host"), "ama:answered:1"))
    sched = scheduler(app)
    assert await sched.start()
    clock.set(THURSDAY_17)
    await sched.sync()
    assert "Only the host or a lead" in text_of(await platform.press(platform.actor("bo"), "ama:answered:1"))
    assert text_of(await platform.press(platform.actor("host"), "ama:answered:1")) == "Marked answered."
    assert "already" in text_of(await platform.press(platform.actor("host"), "ama:answered:1"))
    assert (
        text_of(await platform.press(platform.actor("lead", Role.LEAD), "ama:answered:2"))
        == "Marked answered."
    )
    edits = [e for e in await effects(app, EditMessage) if e.message_key == "ama:live:1"]
    assert len(edits) == 2
    assert "1. answered: What changed" in edits[0].text and "ama:answered:2" in [
        a.key for a in edits[0].actions
    ]
    assert [a.key for a in edits[1].actions] == ["rsvp:here:1"]


async def test_hosting_and_presenting_award_their_badge_once(
    app: App, platform: FakePlatform, clock: FixedClock, engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    awarded: list[BadgeAwarded] = []

    async def record(event: BadgeAwarded, ctx: Context) -> None:
        awarded.append(event)

    monkeypatch.setitem(app.bus.handlers.events, BadgeAwarded, [record])
    await create_series(platform, host=MemberRef("fake", "host"))
    await create_series(platform, kind="showcase", title="Demo day", recurrence="weekly on Friday 17:00")
    await admit(app, "host")
    await admit(app, "ada")
    sched = scheduler(app)
    assert await sched.start()
    for week in range(2):
        reply = text_of(
            await platform.slash(
                platform.actor("ada"), "showcase", title=f"Thing {week}", link="https://example.org/x"
            )
        )
        assert "line-up" in reply
        clock.set(THURSDAY_17 + timedelta(weeks=week, days=1, hours=2))  # after Friday's showcase ended
        await sched.sync()
    keys = sorted((e.member.user_id, e.badge_key) for e in awarded)
    hosting = [k for k in keys if k[1] in ("showcase_presenter", "ama_host")]
    assert hosting == [("ada", "showcase_presenter"), ("host", "ama_host")]  # once each, over two weeks
    assert len(keys) == len(set(keys))  # other badges (a first contribution) are announced once too
    async with engine.connect() as conn:
        assert await conn.scalar(select(func.count()).select_from(BadgeAwardRow)) == len(keys)
        assert await conn.scalar(select(func.count()).select_from(ContributionRow)) == 2  # two entries
    ended = [e for e in await effects(app, EditMessage) if "took place" in e.text]
    assert len(ended) == 4 and all(e.actions == () for e in ended)  # RSVP buttons go once it is over


@pytest.mark.parametrize(
    ("link", "problem"),
    [
        ("https://example.com/demo", None),
        ("http://demo.example.org:8080/path?q=1#top", None),
        ("ftp://example.com/file", "http:// and https://"),
        ("javascript:alert(1)", "http:// and https://"),
        ("example.com/demo", "http:// and https://"),
        ("https://", "proper web address"),
        ("https://localhost/", "proper web address"),
        ("https://user:pw@example.com/", "proper web address"),
        ("https://example.com:99999/", "web link"),
        ("https://exa mple.com/", "spaces"),
        ("https://example.com/" + "a" * 500, "too long"),
        ("   ", "Add a link"),
    ],
)
def test_showcase_links_are_http_and_reasonable(link: str, problem: str | None) -> None:
    if problem is None:
        assert validate_link(link) == link
    else:
        with pytest.raises(InvalidInput, match=problem):
            validate_link(link)


async def test_showcase_review_puts_only_accepted_entries_in_the_line_up(
    db_url: str, engine: AsyncEngine, clock: FixedClock
) -> None:
    notifier = FakeNotifier()
    settings = make_settings(db_url, programming={"showcase_review": True, "lineup_lead_minutes": 30})
    app = build_app(settings, clock, {"fake": notifier}, engine=engine)
    await app.ensure_communities()
    platform = FakePlatform(app.bus, settings.communities[0].id, notifier)
    await create_series(platform, kind="showcase", title="Demo day")
    for name in ("ada", "bo"):
        await admit(app, name)
    bad = text_of(await platform.slash(platform.actor("ada"), "showcase", title="Mine", link="ftp://x.org/a"))
    assert "https://" in bad
    for name in ("ada", "bo"):
        reply = await platform.slash(
            platform.actor(name), "showcase", title=f"{name}'s app", link="https://x.org/a"
        )
        assert "A lead will look" in text_of(reply)
    assert "1 entry" in text_of(
        await platform.slash(platform.actor("ada"), "showcase", title="Another", link="https://x.org/b")
    )
    reviews = [p for p in await effects(app, PostMessage) if p.channel == "applications"]
    assert [a.key for a in reviews[0].actions] == ["showcase:accept:1", "showcase:reject:1"]
    assert "Only leads" in text_of(await platform.press(platform.actor("bo"), "showcase:accept:2"))
    assert text_of(await platform.press(lead(platform), "showcase:accept:1")) == "Accepted."
    assert text_of(await platform.press(lead(platform), "showcase:reject:2")) == "Declined."
    assert "already accepted" in text_of(await platform.press(lead(platform), "showcase:reject:1"))
    dms = await effects(app, DirectMessage)
    assert [(d.member.user_id, "is in the line-up" in d.text) for d in dms] == [("ada", True), ("bo", False)]
    sched = scheduler(app)
    assert await sched.start()
    clock.set(THURSDAY_17 - timedelta(minutes=30))
    await sched.sync()
    [line_up] = [p for p in await effects(app, PostMessage) if p.title == "Line-up"]
    assert "1. ada's app by" in line_up.text and "bo's app" not in line_up.text
    async with engine.connect() as conn:
        kinds = (await conn.execute(select(ContributionRow.kind, ContributionRow.source_id))).all()
    assert kinds == [("showcase", "showcase:1")]


async def test_asking_records_a_contribution_with_its_rollup(
    app: App, platform: FakePlatform, clock: FixedClock, engine: AsyncEngine
) -> None:
    await create_series(platform)
    ada = await admit(app, "ada")
    await _ask(platform, "ada", "First question here")
    clock.advance(hours=1)
    await _ask(platform, "ada", "Second question here")
    async with engine.connect() as conn:
        contributions = (await conn.execute(select(ContributionRow.kind, ContributionRow.source_id))).all()
        week = (
            await conn.execute(select(MemberWeekRow.week_start, MemberWeekRow.kind, MemberWeekRow.count))
        ).all()
        first = await conn.scalar(select(MemberRow.first_contribution_at).where(MemberRow.id == ada.id))
    assert sorted(contributions) == [("ama_question", "ama_question:1"), ("ama_question", "ama_question:2")]
    assert week == [(date(2026, 11, 2), "ama_question", 2)]
    assert first == datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
