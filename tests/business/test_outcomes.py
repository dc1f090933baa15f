"""Business outcomes from an imported customer file, recomputed by hand: the retention lift of
community-active customers, referral-attributed sign-ups and revenue, CQL → customer conversion.
The file goes through `townsquare customers import` (parsing) and the core command (linking)."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path

import pytest

from adapters.sinks.facts_file import FactFileError, read_facts
from bot.bootstrap import App
from bot.clock import FixedClock
from bot.core.business.commands import ImportCustomerFacts
from bot.core.business.ports import BusinessReader
from bot.core.business.report import build_report, render_report
from bot.core.events import MessagePosted
from bot.core.replies import Reply
from bot.core.weeks import IsoWeek
from storage.gates.tables import ReferralCodeRow
from tests.conftest import COMMUNITY
from tests.core.support import add_member, ref

FILE = """id,customer,event,date,revenue,member,email_sha256,referral_code
1,cust-a,signed_up,2026-10-01,,a,,
2,cust-a,became_customer,2026-10-05,1000,a,,
3,cust-b,became_customer,2026-10-06,500,,{b_hash},
4,cust-c,became_customer,2026-10-07,300,c,,
5,cust-c,churned,2026-10-20,,c,,
6,cust-d,became_customer,2026-10-08,200,d,,
7,cust-d,churned,2026-10-21,,d,,
8,cust-e,signed_up,2026-10-02,,,,{code}
9,cust-e,became_customer,2026-10-09,700,,,{code}
10,cust-e,expanded,2026-10-30,100,,,{code}
11,cust-f,became_customer,2026-10-10,50,,,
"""


async def _setup(app: App, clock: FixedClock) -> None:
    r = await add_member(app, "r")
    await add_member(app, "a", referred_by_id=r.id)
    for user in ("b", "c", "d"):
        await add_member(app, user)
    async with app.uow_factory() as uow:
        uow.session.add(  # type: ignore[attr-defined]
            ReferralCodeRow(
                community_id=COMMUNITY,
                owner_id=r.id,
                code="R-CODE-1",
                created_at=clock.now(),
                expires_at=clock.now() + timedelta(days=30),
                max_uses=5,
            )
        )
        await uow.commit()
    app.ingest.start()
    for user in ("a", "b"):  # a and b are community-active; c is not; d does not consent
        await app.ingest.submit(
            MessagePosted(
                community_id=COMMUNITY,
                member=ref(user),
                channel_id="c1",
                message_id=f"m-{user}",
                at=clock.now(),
            )
        )
    await app.ingest.stop()


async def test_retention_lift_and_referral_revenue_by_hand(
    app: App, clock: FixedClock, platform, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    await _setup(app, clock)
    for user, email in (("a", None), ("b", "b@example.com"), ("c", None), ("r", None)):
        options = {"email": email} if email else {}
        await platform.slash(platform.actor(user), "consent give", **options)
    b_hash = hashlib.sha256(b"b@example.com").hexdigest()
    csv_file = tmp_path / "customers.csv"
    csv_file.write_text(FILE.format(b_hash=b_hash, code="R-CODE-1"))
    facts = read_facts(csv_file)
    assert len(facts) == 11

    result = await app.bus.handle(ImportCustomerFacts(community_id=COMMUNITY, facts=tuple(facts)))
    assert isinstance(result, Reply) and result.text.startswith("11 new fact(s) of 11")
    assert "5 linked to consenting members" in result.text  # a×2, b, c×2; d does not consent
    again = await app.bus.handle(ImportCustomerFacts(community_id=COMMUNITY, facts=tuple(facts)))
    assert isinstance(again, Reply) and again.text.startswith("0 new fact(s) of 11 (11 already known)")

    community = app.bus.communities[COMMUNITY]
    async with app.uow_factory() as uow:
        report = await build_report(uow, community, IsoWeek.of(clock.now(), community.zone))
    # By hand. Customers: a, b (linked, active); c (linked, inactive, churned); d (not consenting:
    # unlinked, churned); e, f (unlinked). Active: 2, churned 0 → 0 %. Others (c, d, e, f): 4, churned 2.
    lift = report.lift
    assert (lift.active_customers, lift.active_churned, lift.other_customers, lift.other_churned) == (
        2,
        0,
        4,
        2,
    )
    assert lift.lift_points == 50.0
    # Referrer r: cust-a through a's referral (1000) and cust-e through r's code (700 + 100 expansion).
    ((credit, who),) = report.referrers
    assert (credit.signups, credit.customers, credit.revenue) == (2, 2, 1800.0)
    assert who == ref("r")
    text = render_report(report)
    assert (
        "Retention lift: community-active customers churned 0.0 % (n=2), others 50.0 % (n=4): +50 points"
        in text
    )
    assert "Referral-attributed: 2 sign-ups, 2 customers, 1,800 USD revenue" in text
    assert "Consent: 4 of 5 members agreed" in text


def test_a_bad_row_is_named(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("customer,event,date,revenue\nx,became_customer,2026-13-01,10\n")
    with pytest.raises(FactFileError, match=r"bad.csv:2: date '2026-13-01' is not an ISO date"):
        read_facts(bad)
    bad.write_text("customer,event,date,revenue\nx,became_customer,2026-11-01,lots\n")
    with pytest.raises(FactFileError, match=r"bad.csv:2: revenue 'lots' is not a number"):
        read_facts(bad)
    bad.write_text("customer,when\nx,2026-11-01\n")
    with pytest.raises(FactFileError, match=r"the header lacks date, event"):
        read_facts(bad)


async def test_an_unknown_event_refuses_the_batch(app: App, tmp_path: Path) -> None:
    csv_file = tmp_path / "c.csv"
    csv_file.write_text("customer,event,date\nx,became_customer,2026-11-01\ny,bought_stuff,2026-11-01\n")
    result = await app.bus.handle(
        ImportCustomerFacts(community_id=COMMUNITY, facts=tuple(read_facts(csv_file)))
    )
    assert isinstance(result, Reply) and result.private and "'bought_stuff' is not one of" in result.text
    async with app.uow_factory() as uow:
        assert await uow.repo(BusinessReader).facts(COMMUNITY) == []
