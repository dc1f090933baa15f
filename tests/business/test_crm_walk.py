"""A member's walk through the business connection: opt in, give CQL signals, upserted to HubSpot
(a local fake) and to the signed webhook, then out again on erase — through the real relay, httpx
and aiohttp, on SQLite and PostgreSQL."""

from __future__ import annotations

import time

from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.fake.platform import FakeNotifier, FakePlatform
from adapters.sinks.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify
from bot.bootstrap import App, build_app
from bot.clock import FixedClock
from bot.config import Settings
from bot.core.business.commands import SyncProfiles
from bot.core.events import MessagePosted
from bot.core.privacy.commands import EraseMyData
from bot.core.refs import Role
from bot.core.replies import Reply
from tests.business.fake_sinks import FakeSinks, running_sinks
from tests.conftest import COMMUNITY
from tests.core.support import add_member, ref

SECRET = "webhook-secret-0123456789"
PRICING = "C-PRICING"


def business_settings(db_url: str, sinks: FakeSinks) -> Settings:
    return Settings.model_validate(
        {
            "database": {"url": db_url},
            "webhook": {"url": f"{sinks.url}/hook", "secret": SECRET},
            "hubspot": {"token": sinks.token, "api_base_url": sinks.url},
            "communities": [
                {
                    "id": COMMUNITY,
                    "name": "Acme",
                    "platform": "fake",
                    "business": {
                        "sync": True,
                        "cql_threshold": 10,
                        "signal_channels": [{"channel": PRICING, "label": "pricing", "weight": 2}],
                    },
                }
            ],
        }
    )


async def _app(db_url: str, sinks: FakeSinks, clock: FixedClock, engine: AsyncEngine) -> App:
    app = build_app(business_settings(db_url, sinks), clock, {"fake": FakeNotifier()}, engine=engine)
    await app.ensure_communities()
    return app


async def _messages(app: App, clock: FixedClock, user: str, channel: str, n: int) -> None:
    app.ingest.start()
    for i in range(n):
        await app.ingest.submit(
            MessagePosted(
                community_id=COMMUNITY,
                member=ref(user),
                channel_id=channel,
                message_id=f"{user}-{channel}-{i}",
                at=clock.now(),
            )
        )
    await app.ingest.stop()


async def test_opt_in_signals_upsert_and_erase(db_url: str, clock: FixedClock, engine: AsyncEngine) -> None:
    async with running_sinks() as sinks:
        app = await _app(db_url, sinks, clock, engine)
        platform = FakePlatform(app.bus, COMMUNITY, FakeNotifier())
        await add_member(app, "ann")
        await add_member(app, "bo")
        ann, bo = platform.actor("ann"), platform.actor("bo")
        await _messages(app, clock, "ann", PRICING, 3)  # 3 × 2 = 6
        await _messages(app, clock, "bo", PRICING, 9)  # bo never consents: nothing of bo leaves

        bad = await platform.slash(ann, "consent give", email="not-an-email")
        assert isinstance(bad, Reply) and bad.private and "not an email address" in bad.text
        agreed = await platform.slash(ann, "consent give", email="Ann@Example.com")
        assert isinstance(agreed, Reply) and "consent text v1" in agreed.text
        noted = await platform.slash(ann, "interest", topic="pricing")  # + 5 = 11: a CQL
        assert isinstance(noted, Reply) and noted.actions and noted.actions[0].key == "business:talk:0"
        await platform.slash(bo, "interest", topic="enterprise")

        await app.bus.handle(SyncProfiles(community_id=COMMUNITY))
        await app.relay.run_once()

        assert list(sinks.contacts) and len(sinks.contacts) == 1  # ann only
        ((subject, contact),) = sinks.contacts.items()
        assert contact["email"] == "ann@example.com"
        assert contact["community_cql_score"] == "11"
        assert "3 contributions in #pricing" in contact["community_cql_reasons"]
        assert "asked about pricing" in contact["community_cql_reasons"]
        assert contact["community_level"] == "participant"
        assert "fake" not in subject and "ann" not in subject  # a pseudonym, never the platform id
        ((headers, body),) = sinks.webhooks
        assert verify(SECRET, headers[TIMESTAMP_HEADER], body, headers[SIGNATURE_HEADER], time.time())
        assert not verify(
            "another-secret-000000", headers[TIMESTAMP_HEADER], body, headers[SIGNATURE_HEADER], time.time()
        )
        event = sinks.webhook_events()[0]
        assert event["type"] == "profile.upsert" and event["subject"] == subject
        assert headers["Idempotency-Key"] == event["id"]

        # Nothing changed: the next sync sends nothing.
        clock.advance(hours=1)
        await app.bus.handle(SyncProfiles(community_id=COMMUNITY))
        await app.relay.run_once()
        assert len(sinks.webhooks) == 1

        leads = await platform.slash(platform.actor("lead", Role.LEAD), "leads")
        assert (
            isinstance(leads, Reply) and "11" in leads.text and "@fake:bo" not in leads.text and leads.private
        )

        # Erase: the contact's community properties are emptied and a deletion webhook goes out.
        await app.bus.handle(EraseMyData(community_id=COMMUNITY, member=ann.ref), ann)
        await app.relay.run_once()
        assert all(value == "" for key, value in contact.items() if key.startswith("community_"))
        deletion = sinks.webhook_events()[-1]
        assert deletion == {
            "type": "profile.delete",
            "id": deletion["id"],
            "community": COMMUNITY,
            "subject": subject,
            "email": None,
            "properties": {},
            "reason": "erased",
        }
        await app.close()


async def test_withdrawal_removes_and_a_sink_outage_loses_nothing(
    db_url: str, clock: FixedClock, engine: AsyncEngine
) -> None:
    async with running_sinks() as sinks:
        app = await _app(db_url, sinks, clock, engine)
        platform = FakePlatform(app.bus, COMMUNITY, FakeNotifier())
        await add_member(app, "cy")
        cy = platform.actor("cy")
        nothing = await platform.slash(cy, "consent withdraw")
        assert isinstance(nothing, Reply) and "nothing of yours is shared" in nothing.text
        await platform.slash(cy, "consent give")
        sinks.fail_next = 1  # the webhook answers 503 once: the relay retries, nothing is lost
        await app.bus.handle(SyncProfiles(community_id=COMMUNITY))
        await app.relay.run_once()
        assert sinks.webhooks == []
        clock.advance(minutes=5)
        await app.relay.run_once()
        assert [e["type"] for e in sinks.webhook_events()] == ["profile.upsert"]
        (contact,) = sinks.contacts.values()
        assert contact["community_level"] == "explorer" and "email" not in contact

        withdrawn = await platform.slash(cy, "consent withdraw")
        assert isinstance(withdrawn, Reply) and withdrawn.text.startswith("Withdrawn.")
        await app.relay.run_once()
        assert sinks.webhook_events()[-1]["type"] == "profile.delete"
        assert sinks.webhook_events()[-1]["reason"] == "withdrawn"
        assert all(v == "" for k, v in contact.items() if k.startswith("community_"))
        clock.advance(hours=1)
        await app.bus.handle(SyncProfiles(community_id=COMMUNITY))  # withdrawn: nothing more goes out
        await app.relay.run_once()
        assert len(sinks.webhooks) == 2
        status = await platform.slash(cy, "consent status")
        assert isinstance(status, Reply) and "You have not agreed" in status.text
        await app.close()
