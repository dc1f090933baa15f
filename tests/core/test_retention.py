"""The retention job: with a fixed clock, each window keeps what is just inside it and prunes what is
just outside, on both backends; nothing pending or undecided is touched."""

from __future__ import annotations

import base64
from datetime import datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.bootstrap import App
from bot.clock import FixedClock
from bot.core.effects import PostMessage, effect_to_json
from bot.core.privacy.retention import ApplyRetention
from bot.core.privacy.settings import PrivacySettings
from storage.gates.tables import ApplicationRow, RedemptionAttemptRow
from storage.tables import JobRunRow, OutboxRow, ProcessedEventRow
from tests.conftest import COMMUNITY
from tests.core.support import add_member

EDGE = timedelta(minutes=1)
PNG = b"\x89PNG\r\n\x1a\n chart"


def _post(n: str, png: bytes | None = None) -> dict[str, Any]:
    return effect_to_json(PostMessage(COMMUNITY, "digest", f"post {n}", image_png=png, image_name="c.png"))


async def _seed(engine: AsyncEngine, member_id: int, now: datetime, windows: PrivacySettings) -> None:
    outbox = timedelta(days=windows.delivered_outbox_days)
    files = timedelta(days=windows.delivered_attachments_days)
    attempts = timedelta(hours=windows.redemption_attempts_hours)
    answers = timedelta(days=windows.decided_application_answers_days)

    def item(key: str, done_at: datetime | None, png: bytes | None = None) -> dict[str, Any]:
        return {
            "community_id": COMMUNITY,
            "platform": "fake",
            "kind": "post_message",
            "payload": _post(key, png),
            "dedupe_key": key,
            "status": "done" if done_at else "pending",
            "attempts": 1,
            "next_attempt_at": now - outbox * 2,
            "created_at": now - outbox * 2,
            "done_at": done_at,
        }

    def application(status: str, decided_at: datetime | None) -> dict[str, Any]:
        return {
            "community_id": COMMUNITY,
            "member_id": member_id,
            "answers": {"answers": [{"question": "Why?", "answer": f"because {status} {decided_at}"}]},
            "status": status,
            "submitted_at": now - answers * 2,
            "decided_at": decided_at,
        }

    async with engine.begin() as conn:
        await conn.execute(
            insert(OutboxRow),
            [
                item("outbox-kept", now - outbox + EDGE),
                item("outbox-pruned", now - outbox - EDGE),
                item("outbox-pending", None),  # never delivered: never pruned, however old
                item("file-kept", now - files + EDGE, PNG),
                item("file-dropped", now - files - EDGE, PNG),
            ],
        )
        await conn.execute(
            insert(RedemptionAttemptRow),
            [
                {"community_id": COMMUNITY, "member_id": member_id, "attempted_at": now - attempts + EDGE},
                {"community_id": COMMUNITY, "member_id": member_id, "attempted_at": now - attempts - EDGE},
            ],
        )
        await conn.execute(
            insert(ApplicationRow),
            [
                application("approved", now - answers + EDGE),
                application("rejected", now - answers - EDGE),
                application("pending", None),
            ],
        )
        await conn.execute(
            insert(ProcessedEventRow),
            [
                {"platform": "fake", "event_id": "kept", "handled_at": now - timedelta(days=7) + EDGE},
                {"platform": "fake", "event_id": "pruned", "handled_at": now - timedelta(days=7) - EDGE},
            ],
        )
        await conn.execute(
            insert(JobRunRow),
            [
                {"job_key": "kept", "scheduled_for": now - timedelta(days=60) + EDGE, "ran_at": now},
                {"job_key": "pruned", "scheduled_for": now - timedelta(days=60) - EDGE, "ran_at": now},
            ],
        )


async def _state(engine: AsyncEngine) -> dict[str, Any]:
    async with engine.connect() as conn:
        outbox = {
            key: payload
            for key, payload in (await conn.execute(select(OutboxRow.dedupe_key, OutboxRow.payload)))
        }
        attempts = (await conn.execute(select(RedemptionAttemptRow.attempted_at))).scalars().all()
        applications = {
            status: answers
            for status, answers in await conn.execute(select(ApplicationRow.status, ApplicationRow.answers))
        }
        events = set((await conn.execute(select(ProcessedEventRow.event_id))).scalars())
        runs = set((await conn.execute(select(JobRunRow.job_key))).scalars())
    return {
        "outbox": outbox,
        "attempts": attempts,
        "applications": applications,
        "events": events,
        "runs": runs,
    }


async def test_each_window_keeps_just_inside_and_prunes_just_outside(
    app: App, engine: AsyncEngine, clock: FixedClock
) -> None:
    member = await add_member(app, "applicant")
    now = clock.now()
    await _seed(engine, member.id, now, PrivacySettings())
    await app.bus.handle(ApplyRetention(community_id=COMMUNITY))
    state = await _state(engine)

    assert set(state["outbox"]) == {"outbox-kept", "outbox-pending", "file-kept", "file-dropped"}
    assert base64.b64decode(state["outbox"]["file-kept"]["image_png"]) == PNG
    assert state["outbox"]["file-dropped"]["image_png"] is None
    assert state["outbox"]["file-dropped"]["text"] == "post file-dropped"  # the text stays for its window
    assert [a.replace(tzinfo=now.tzinfo) if a.tzinfo is None else a for a in state["attempts"]] == [
        now - timedelta(hours=24) + EDGE
    ]
    assert state["applications"]["approved"]["answers"]  # decided inside the window: answers kept
    assert state["applications"]["rejected"] == {}  # outside: the decision stays, the answers go
    assert state["applications"]["pending"]["answers"]  # undecided: never pruned
    assert state["events"] == {"kept"}
    assert state["runs"] == {"kept"}

    clock.advance(days=1)  # a day later, what was just inside is outside
    await app.bus.handle(ApplyRetention(community_id=COMMUNITY))
    later = await _state(engine)
    assert set(later["outbox"]) == {"outbox-pending", "file-kept", "file-dropped"}
    assert later["outbox"]["file-kept"]["image_png"] is None
    assert later["attempts"] == [] and later["events"] == set() and later["runs"] == set()
    assert later["applications"]["approved"] == {}


async def test_windows_are_configurable_and_bounded(app: App) -> None:
    assert PrivacySettings(delivered_outbox_days=400).delivered_outbox_days == 400
    for bad in ({"delivered_outbox_days": 1}, {"processed_events_days": 31}, {"run_records_days": 7}):
        with pytest.raises(ValidationError):
            PrivacySettings.model_validate(bad)
    assert "retention" in {job.name for job in app.assembly.jobs}  # runs daily for every community
