"""The issue's scenarios with the real gates feature on Slack: /refer then /join admits with the right
referrer; /apply → modal → submission → moderator button → member channels and the post updated.

They run once the gates feature (the /refer, /join and /apply commands) is in the registry.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.clock import FixedClock
from bot.core.members import MemberStatus
from bot.features import assemble
from tests.adapters.slack.fake_slack import FakeSlackApi
from tests.adapters.slack.harness import (
    APPLICATIONS,
    LOBBY,
    MEMBER,
    MEMBER_CHANNELS,
    MOD,
    NEWCOMER,
    OUTSIDER,
    Running,
    running,
)

REGISTRY = assemble().registry  # every feature's entries, as `townsquare run` has them

pytestmark = pytest.mark.skipif(
    not {"refer", "join", "apply"} <= set(REGISTRY.commands), reason="gates feature not merged yet"
)
CODE = re.compile(r"\b[0-9A-Z]{5}-?[0-9A-Z]{5}\b")


async def _arrive(run: Running, user_id: str) -> None:
    await run.slack.event({"type": "team_join", "user": {"id": user_id, "name": user_id.lower()}})
    await run.settle()


async def test_refer_then_join_admits_with_the_right_referrer(
    engine: AsyncEngine, db_url: str, clock: FixedClock, fake_slack: FakeSlackApi
) -> None:
    async with running(engine, db_url, clock, fake_slack, community={"gate": {"mode": "referral"}}) as run:
        referrer = await run.admit(MEMBER)
        await run.slack.slash_command("/refer", user_id=MEMBER, channel_id=LOBBY)
        await run.settle()
        [issued] = run.responses()
        assert issued["response_type"] == "ephemeral"
        code = CODE.search(issued["text"])
        assert code, issued["text"]

        await _arrive(run, NEWCOMER)
        join = run.adapter.names.slack_name("join")  # /join is Slack's own: /join-community
        await run.slack.slash_command(join, code.group(0), user_id=NEWCOMER, channel_id=LOBBY)
        await run.settle()
        await run.deliver()

        member = await run.member(NEWCOMER)
        assert member is not None and member.status is MemberStatus.ADMITTED
        assert member.referred_by_id == referrer.id
        assert all(NEWCOMER in run.fake.members[c] for c in MEMBER_CHANNELS)


def _answers(view: dict[str, Any]) -> dict[str, Any]:
    return {
        block["block_id"]: {
            "answer": {"type": "plain_text_input", "value": f"A thoughtful answer number {i}"}
        }
        for i, block in enumerate(view["blocks"])
        if block["type"] == "input"
    }


async def test_apply_then_a_moderator_approves(
    engine: AsyncEngine, db_url: str, clock: FixedClock, fake_slack: FakeSlackApi
) -> None:

    async with running(engine, db_url, clock, fake_slack, community={"gate": {"mode": "application"}}) as run:
        await _arrive(run, NEWCOMER)
        await run.slack.slash_command("/apply", user_id=NEWCOMER, channel_id=LOBBY, trigger_id="9.9.apply")
        [opened] = await run.fake.wait_for("views.open")
        view = opened.params["view"]
        assert len([b for b in view["blocks"] if b["type"] == "input"]) == 2  # the two questions

        await run.slack.view_submission(
            "townsquare_form", _answers(view), user_id=NEWCOMER, private_metadata=view["private_metadata"]
        )
        await run.settle()
        await run.deliver()
        [post] = [c for c in run.fake.calls_to("chat.postMessage") if c.params["channel"] == APPLICATIONS]
        ts = max(ts for channel, ts in run.fake.messages if channel == APPLICATIONS)
        buttons = [e for b in post.params["blocks"] if b["type"] == "actions" for e in b["elements"]]
        [approve] = [b["action_id"] for b in buttons if ":approve:" in b["action_id"]]

        await run.slack.block_action(
            approve, approve, user_id=OUTSIDER, channel_id=APPLICATIONS, message_ts=ts
        )
        await run.settle()
        await run.deliver()
        pending = await run.member(NEWCOMER)
        assert pending is not None and pending.status is not MemberStatus.ADMITTED
        assert run.fake.calls_to("chat.update") == []

        await run.slack.block_action(approve, approve, user_id=MOD, channel_id=APPLICATIONS, message_ts=ts)
        await run.settle()
        await run.deliver()

        member = await run.member(NEWCOMER)
        assert member is not None and member.status is MemberStatus.ADMITTED
        updates = [c for c in run.fake.calls_to("chat.update") if c.params["ts"] == ts]
        assert updates and updates[-1].params["channel"] == APPLICATIONS
        assert all(NEWCOMER in run.fake.members[c] for c in MEMBER_CHANNELS)
