"""Every digest section rendered with 0, 1 and many items: "None." when empty, one line per item,
singular and plural words right, every number with its unit."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from bot.core.feedback.report_rules import FeedbackWeek
from bot.core.metrics.digest import Digest, Unit
from bot.core.metrics.digest_render import fmt_change, plain_who, render_text, sections
from bot.core.metrics.recognition import ChallengeReport, Drifting, Recognition, TierMove
from bot.core.metrics.rules import (
    Actions,
    ActivatedReferrer,
    Activation,
    Activity,
    Applications,
    AwardedBadge,
    CohortReport,
    DigestData,
    Growth,
    Helper,
    OverdueApplication,
    PeerAnswers,
    Person,
    Programming,
    Referrals,
    ReferrerReport,
    StalledNewcomer,
    Upcoming,
    WeekMetrics,
)
from bot.core.refs import MemberRef
from bot.core.weeks import IsoWeek, Period

W46 = IsoWeek(2026, 46)
END = datetime(2026, 11, 16, tzinfo=UTC)
LISTS = (
    "Newcomers without a first contribution",
    "Applications past the 48 h SLA",
    "Peer helpers to thank",
    "Referrers whose newcomers activated",
    "Next week",
    "Badges awarded",
    "Challenges",
    "Tiers",
    "Drifting away",
    "Cohort retention (weeks after launch)",
    "First contribution by referrer (last 4 weeks)",
)
# "1 <plural>" is wrong; these words are the same in both
SAME = {"going", "maybe", "submitted", "approved", "rejected", "pending", "attended", "is"}


def _p(i: int) -> Person:
    return Person(i, MemberRef("fake", str(i)), f"Member {i}")


def _week(n: int) -> WeekMetrics:
    return WeekMetrics(
        period=Period.of(W46, "UTC"),
        activity=Activity(members=10 * n, active_members=n, kind_total=2 * n),
        activation=Activation(newcomers=n, activated=n),
        referrals=Referrals(admissions=n, referral_admissions=n),
        peer_answers=PeerAnswers(helpful_answers=n, by_peers=n),
        applications=Applications(n, n, n, 1.0 if n else None, n, n),
        programming=Programming(n, n, n, n, n, n),
        growth=Growth(admitted=n, left=n, members=10 * n),
    )


def _digest(n: int) -> Digest:
    people = [_p(i) for i in range(1, n + 1)]
    at = END - timedelta(days=1)
    actions = Actions(
        tuple(StalledNewcomer(p, at, tuple(people[:n])) for p in people),
        n,
        tuple(OverdueApplication(p.id, p, END - timedelta(hours=49)) for p in people),
        n,
        tuple(Helper(p, n) for p in people),
        tuple(ActivatedReferrer(p, n) for p in people),
        tuple(Upcoming(p.id, f"Session {p.id}", "ama", END + timedelta(days=1), n, n) for p in people),
        tuple(AwardedBadge(p, "helpful", at) for p in people),
        n,
    )
    recognition = Recognition(
        tiers=tuple(("champion", n) for _ in people[:1]),
        moves=tuple(TierMove(p, "champion", heads_up=p.id % 2 == 0) for p in people),
        drifting=tuple(Drifting(p, at, people[0] if p.id > 1 else None, "buddy") for p in people),
        drifting_total=n,
        drifted=n,
        came_back=min(n, 1),
        challenges=tuple(ChallengeReport(p.id, f"Write a how-to {p.id}", END, n, n, n) for p in people),
    )
    data = DigestData(
        current=_week(n),
        previous=_week(n),
        trend=(),
        cohorts=tuple(CohortReport(p.id, f"Cohort {p.id}", at, n, (n,), n, n, n) for p in people),
        referrers=tuple(ReferrerReport(p, n, n) for p in people),
        actions=actions,
        feedback=FeedbackWeek(n, n, n, tuple((p.id, f"Idea {p.id}") for p in people), n, n),
        recognition=recognition,
    )
    return Digest("test", "Test Community", END, data, badge_names={"champion": "Champion 🏅"})


@pytest.mark.parametrize("n", [0, 1, 3])
def test_every_section_with_0_1_and_many_items(n: int) -> None:
    digest = _digest(n)
    by_title = {s.title: s.lines for s in sections(digest, plain_who)}
    assert set(LISTS) <= set(by_title)
    for title in LISTS:
        lines = by_title[title]
        if n == 0:
            assert lines == (), title
        elif title == "Tiers":
            assert len(lines) == 1 + n  # the count line, then each move
        elif title == "Drifting away":
            assert len(lines) == n + 1  # each member, then the came-back share
        else:
            assert len(lines) == n, title
    text = render_text(digest)
    if n == 0:
        assert text.count("  - None.") == len(LISTS)
    singular_errors = [
        m.group(0)
        for m in re.finditer(r"(?<![\w.,+\-/])1 ([a-z]+)", text)
        if m.group(1).endswith("s") and m.group(1) not in SAME
    ]
    assert singular_errors == []
    assert "⚠" not in text  # no false warning: every figure is on target or unrated here
    if n == 1:
        assert "Member 1, admitted 1 day ago — buddy @Member 1" in text
        assert "Tiers\n  - Champion 🏅: 1 member\n  - @Member 1 is now Champion 🏅" in text
        assert "Came back: 1 of 1 member who drifted" in text
        assert "\n  - #1 Write a how-to 1 (until 16 Nov): 1 joined, 1 submitted, 1 completed" in text
    if n == 3:
        assert "— buddies @Member 1, @Member 2, @Member 3" in text
        assert "@Member 2 got a heads-up: short of Champion 🏅" in text
        assert "Came back: 1 of 3 members who drifted in the last 90 days (33 %)" in text
        assert "Cohort 1 (3 members, launched" in text
    assert (
        re.search(r"Referral velocity\s+\S+ referred admissions per active member per month", text) or n == 0
    )


def test_a_change_too_small_to_show_reads_as_none() -> None:
    assert fmt_change(Unit.NUMBER, -0.004) == "±0" and fmt_change(Unit.PERCENT, 0.0004) == "±0 pts"
    assert fmt_change(Unit.NUMBER, -0.006) == "-0.01"
