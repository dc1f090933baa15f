"""The hand-computed community behind the metrics tests.

Digest week: 2026-W46 (Mon 9 Nov – Mon 16 Nov, UTC); the week before: 2026-W45 (2–9 Nov).
Rollup weeks (Mondays): W40 28 Sep, W41 5 Oct, W42 12 Oct, W43 19 Oct, W44 26 Oct, W45 2 Nov,
W46 9 Nov, W47 16 Nov. Every expected value in tests/storage/test_metrics.py is worked out in the
comments there from the rows below; a second community ("other") holds rows that must never count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncEngine

from tests.storage.seed import Seed, at

W40, W41, W42, W43, W44, W45, W46 = (
    date(2026, 9, 28),
    date(2026, 10, 5),
    date(2026, 10, 12),
    date(2026, 10, 19),
    date(2026, 10, 26),
    date(2026, 11, 2),
    date(2026, 11, 9),
)


@dataclass
class Ids:
    ada: int  # staff, member since 1 Oct
    bo: int  # referrer of Gus and Ivy
    cy: int  # referrer of Lu, Ivy's buddy, in cohort 1, never contributes
    di: int  # referrer of Hal
    ed: int  # left 12 Nov
    bot: int
    fay: int  # removed 3 Nov
    pat: int  # applicant past the SLA
    gus: int  # newcomer 3 Nov, activated on 5 Nov
    hal: int  # newcomer 4 Nov, first contribution 14 Nov (too late)
    ivy: int  # newcomer 6 Nov, stalled
    jo: int  # newcomer 10 Nov
    kit: int  # newcomer 12 Nov, code with an erased referrer
    lu: int  # newcomer 27 Oct, activated on 30 Oct
    cohort1: int
    cohort2: int
    ama_next: int
    showcase_next: int
    overdue_application: int
    shipped_idea: int


async def seed_digest_community(engine: AsyncEngine, community_id: str = "test") -> Ids:
    s = Seed(engine, community_id)
    await s.community()
    old = at(10, 1)
    ada = await s.member("Ada", admitted_at=old, is_staff=True, first_contribution_at=at(11, 10))
    bo = await s.member("Bo", admitted_at=old, first_contribution_at=at(10, 12))
    cy = await s.member("Cy", admitted_at=old)
    di = await s.member("Di", admitted_at=old, first_contribution_at=at(10, 5))
    ed = await s.member(
        "Ed", admitted_at=old, status="left", left_at=at(11, 12), first_contribution_at=at(11, 2)
    )
    bot = await s.member("Bot", admitted_at=old, is_bot=True)
    fay = await s.member("Fay", admitted_at=old, status="removed", left_at=at(11, 3))
    await s.member("Nia")  # seen, never admitted
    pat = await s.member("Pat")
    quinn = await s.member("Quinn")
    rae = await s.member("Rae")
    gus = await s.member(
        "Gus", admitted_at=at(11, 3), referred_by=bo, method="code", first_contribution_at=at(11, 5)
    )
    hal = await s.member("Hal", admitted_at=at(11, 4), referred_by=di, first_contribution_at=at(11, 14))
    ivy = await s.member("Ivy", admitted_at=at(11, 6), referred_by=bo, method="invite")
    jo = await s.member("Jo", admitted_at=at(11, 10), first_contribution_at=at(11, 11))
    kit = await s.member("Kit", admitted_at=at(11, 12), method="code")
    lu = await s.member(
        "Lu", admitted_at=at(10, 27), referred_by=cy, method="code", first_contribution_at=at(10, 30)
    )

    # The rollup (member, ISO week, kind) -> count.
    for member, monday, kind, count in [
        (ada, W46, "message", 3),
        (ada, W46, "helpful_answer", 1),
        (bo, W42, "reaction", 1),
        (bo, W43, "message", 1),
        (bo, W45, "helpful_answer", 1),
        (bo, W46, "helpful_answer", 1),
        (cy, W46, "message", 0),  # an empty rollup row never makes anyone active
        (di, W41, "message", 2),
        (ed, W45, "message", 1),
        (ed, W46, "message", 1),
        (bot, W46, "message", 9),
        (gus, W45, "thread_reply", 1),
        (gus, W46, "message", 2),
        (gus, W46, "reaction", 4),
        (gus, W46, "helpful_answer", 2),
        (hal, W46, "message", 1),
        (jo, W46, "message", 1),
        (lu, W44, "message", 1),
        (lu, W45, "message", 1),
    ]:
        await s.week(member, monday, kind, count)

    # Helpful answers (the only contribution rows the metrics read).
    await s.contribution(ada, "helpful_answer", at(11, 10), by_staff=True)
    await s.contribution(gus, "helpful_answer", at(11, 11))
    await s.contribution(gus, "helpful_answer", at(11, 12))
    await s.contribution(bo, "helpful_answer", at(11, 13))
    await s.contribution(bo, "helpful_answer", at(11, 8))
    await s.contribution(hal, "message", at(11, 14))

    # Applications.
    await s.application(hal, at(11, 3, 10), "approved", at(11, 4, 10))  # 24 h, decided W45
    await s.application(jo, at(11, 8), "approved", at(11, 10))  # 48 h, W46
    await s.application(kit, at(11, 10), "approved", at(11, 12, 0))  # 36 h, W46
    await s.application(quinn, at(11, 11, 0), "rejected", at(11, 11, 6))  # 6 h, W46
    overdue = await s.application(pat, at(11, 12, 0))  # pending 96 h at the end of W46
    await s.application(quinn, at(11, 15, 0))  # pending 24 h
    await s.application(
        rae, at(11, 6, 0), "rejected", at(11, 10, 0)
    )  # 96 h, W46; past the SLA at the end of W45

    # Programme.
    ama = await s.series("ama", "Ask the maintainers")
    showcase = await s.series("showcase", "Demo day")
    held = await s.occurrence(ama, at(11, 12, 17), "done")
    skipped = await s.occurrence(showcase, at(11, 13, 18), "skipped")
    ama_next = await s.occurrence(ama, at(11, 19, 17))
    showcase_next = await s.occurrence(showcase, at(11, 20, 18))
    held_before = await s.occurrence(ama, at(11, 5, 17), "done")
    await s.rsvp(held, gus, "going", attended=True)
    await s.rsvp(held, hal, "going")
    await s.rsvp(held, bo, "maybe", attended=True)
    await s.rsvp(held, cy, "no")
    await s.rsvp(skipped, di, "going")
    await s.rsvp(ama_next, ada, "going")
    await s.rsvp(ama_next, gus, "going")
    await s.rsvp(ama_next, jo, "maybe")
    await s.rsvp(held_before, gus, "going", attended=True)
    await s.question(held, gus, at(11, 10))
    await s.question(held, hal, at(11, 12))
    await s.question(ama_next, jo, at(11, 15))
    await s.question(held_before, gus, at(11, 4))
    await s.showcase(showcase_next, gus, at(11, 14))

    # Badges.
    await s.badge(gus, "first_contribution", at(11, 5))
    await s.badge(bo, "helper", at(11, 13))
    await s.badge(gus, "helper", at(11, 14))

    # The feedback loop. In W46: Gus's idea filed and shipped, Jo's filed; votes by Bo (twice) and
    # Gus count, the authors' own votes do not. Ada's idea of 1 Oct was planned in W45.
    shipped = await s.idea(gus, "Dark mode", at(11, 10), "shipped", shipped_at=at(11, 13))
    filed = await s.idea(jo, "CSV export", at(11, 11))
    planned = await s.idea(ada, "Forum search", at(10, 1), "planned")
    await s.vote(shipped, gus, at(11, 10))
    await s.vote(shipped, bo, at(11, 10, 13))
    await s.vote(filed, jo, at(11, 11))
    await s.vote(filed, bo, at(11, 12))
    await s.vote(filed, gus, at(11, 12))
    await s.vote(planned, di, at(11, 3))
    await s.status_change(planned, "new", "planned", at(11, 3))
    await s.status_change(shipped, "new", "shipped", at(11, 13))

    # Cohorts.
    await s.cohort("Cohort 0", at(8, 3, 16), [di])  # launched before the 12 weeks: not reported
    cohort1 = await s.cohort("Cohort 1", at(11, 2, 16), [lu, cy])
    cohort2 = await s.cohort("Cohort 2", at(11, 9, 16), [gus, hal, ivy])
    await s.buddy(cohort2, ivy, cy)
    await s.buddy(cohort2, gus, bo)

    await seed_other_community(engine)
    return Ids(
        ada=ada,
        bo=bo,
        cy=cy,
        di=di,
        ed=ed,
        bot=bot,
        fay=fay,
        pat=pat,
        gus=gus,
        hal=hal,
        ivy=ivy,
        jo=jo,
        kit=kit,
        lu=lu,
        cohort1=cohort1,
        cohort2=cohort2,
        ama_next=ama_next,
        showcase_next=showcase_next,
        overdue_application=overdue,
        shipped_idea=shipped,
    )


async def seed_other_community(engine: AsyncEngine) -> None:
    """Rows of another community in the same weeks: none of them may count for "test"."""
    s = Seed(engine, "other")
    await s.community("Other", "fake")
    ref = await s.member("Zed", admitted_at=at(10, 1))
    x = await s.member(
        "Xa", admitted_at=at(11, 3), referred_by=ref, method="code", first_contribution_at=at(11, 10)
    )
    await s.member("Yu", admitted_at=at(11, 4))
    await s.week(x, W46, "message", 5)
    await s.week(ref, W46, "helpful_answer", 1)
    await s.contribution(ref, "helpful_answer", at(11, 10))
    await s.application(x, at(11, 1), "pending")
    await s.application(x, at(11, 10), "approved", at(11, 11))
    series = await s.series("ama", "Elsewhere")
    occ = await s.occurrence(series, at(11, 12, 17))
    await s.rsvp(occ, x, "going", attended=True)
    await s.question(occ, x, at(11, 11))
    nxt = await s.occurrence(series, at(11, 18, 17))
    elsewhere = await s.idea(x, "Elsewhere", at(11, 10), "shipped", shipped_at=at(11, 12))
    await s.vote(elsewhere, ref, at(11, 11))
    await s.status_change(elsewhere, "new", "shipped", at(11, 12))
    await s.showcase(nxt, x, at(11, 11))
    await s.badge(x, "helper", at(11, 12))
    await s.cohort("Other cohort", at(11, 9, 16), [x])
