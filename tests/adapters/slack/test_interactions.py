"""Slash commands, modals, buttons and shortcuts through the real bolt app over signed HTTP."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.clock import FixedClock
from bot.core.members import MemberStatus
from bot.core.refs import MemberRef
from tests.adapters.kit_feature import MarkHelpful, SubmitSurvey
from tests.adapters.slack.fake_slack import FakeSlackApi
from tests.adapters.slack.harness import (
    APPLICATIONS,
    MEMBER,
    MEMBER_CHANNELS,
    MOD,
    NEWCOMER,
    OUTSIDER,
    Running,
    running,
)
from tests.adapters.slack.kit import QUESTIONS, Kit, build_kit


@pytest.fixture
def kit() -> Kit:
    return build_kit()


@pytest.fixture
async def run(
    engine: AsyncEngine, db_url: str, clock: FixedClock, fake_slack: FakeSlackApi, kit: Kit
) -> AsyncIterator[Running]:
    async with running(engine, db_url, clock, fake_slack, registry=kit.registry, handlers=kit.handlers) as r:
        yield r


def answers(working_on: str, learn: str) -> dict[str, Any]:
    """A submitted modal's state, as Slack sends it."""
    return {
        "working_on": {"answer": {"type": "plain_text_input", "value": working_on}},
        "learn": {"answer": {"type": "plain_text_input", "value": learn}},
    }


def texts(payload: dict[str, Any]) -> str:
    """Everything a message shows (fallback text and blocks) as one string."""
    return json.dumps(payload, ensure_ascii=False)


# --- slash commands ---------------------------------------------------------------------------------


async def test_help_is_acknowledged_then_answered_privately(run: Running) -> None:
    reply = await run.slack.slash_command("/help", user_id=NEWCOMER)
    await run.settle()

    assert (reply.status, reply.body) == (200, "")  # the ack carries nothing: the answer follows
    [answer] = run.responses()
    assert answer["response_type"] == "ephemeral" and answer["replace_original"] is False
    assert "/help" in answer["text"] and "/notice" not in answer["text"]  # moderators' commands hidden


@pytest.mark.parametrize("via", ["command", "button", "form", "shortcut"])
async def test_acknowledged_while_the_work_is_still_running(run: Running, kit: Kit, via: str) -> None:
    if via == "command":
        reply = await run.slack.slash_command("/slow", user_id=NEWCOMER)
    elif via == "button":
        reply = await run.slack.block_action("slow:press:1", "slow:press:1", user_id=NEWCOMER)
    elif via == "form":
        metadata = json.dumps({"form": "slow", "context": "", "channel": APPLICATIONS})
        reply = await run.slack.view_submission(
            "townsquare_form", {}, user_id=NEWCOMER, private_metadata=metadata
        )
    else:
        reply = await run.slack.message_shortcut("slow", user_id=NEWCOMER, message={"ts": "1.000100"})

    assert reply.status == 200  # Slack has its answer…
    for _ in range(200):
        if ("slow started", via) in kit.seen:
            break
        await asyncio.sleep(0.01)
    assert ("slow started", via) in kit.seen and ("slow finished", via) not in kit.seen  # …the work goes on
    kit.release.set()
    await run.settle()
    assert ("slow finished", via) in kit.seen


async def test_typed_options_are_parsed_from_the_text(run: Running) -> None:
    for text in (f"<@{MEMBER}|ann> 3 thanks for the <!here> tip", "ann 3", f"<@{MEMBER}> 9"):
        await run.slack.slash_command("/echo", text, user_id=NEWCOMER)
        await run.settle()  # one at a time: answers come back in order

    ok, no_member, too_many = run.responses()
    assert ok["response_type"] == "in_channel"
    # Slack sent the typed @here as <!here>: it is shown as text, with a word joiner that stops any ping
    assert ok["text"] == f"<@{MEMBER}> ×3: thanks for the @\u2060here tip"
    assert no_member["response_type"] == "ephemeral"
    assert "mention a member with @" in no_member["text"] and "Usage: /echo &lt;who&gt;" in no_member["text"]
    assert "at most 5" in too_many["text"]


async def test_reserved_slack_names_are_renamed_everywhere(run: Running) -> None:
    for command, text in (
        ("/join-community", "ABCDE-FGHJK"),
        ("/mydata", "erase yes"),
        ("/mydata", "export"),
        ("/mydata", "nonsense"),
    ):
        await run.slack.slash_command(command, text, user_id=NEWCOMER)
        await run.settle()

    joined, erased, exported, unknown = (r["text"] for r in run.responses())
    assert joined == "Code ABCDE-FGHJK noted. Next time: /join-community CODE."  # core text says /join
    assert erased == "erase confirmed=True"
    assert exported == "Your export is on its way."
    assert "not a Townsquare command" in unknown


async def test_a_command_text_containing_payload_still_works(run: Running) -> None:
    """slack-bolt 1.30 mistakes such a body for an interactivity payload; the adapter repairs it."""
    reply = await run.slack.slash_command("/echo", f"<@{MEMBER}> 1 see the payload field", user_id=NEWCOMER)
    await run.settle()

    assert reply.status == 200
    [answer] = run.responses()
    assert answer["text"].endswith("see the payload field")


async def test_a_workspace_no_community_is_bound_to_is_told_so(run: Running) -> None:
    await run.slack.slash_command("/help", user_id=NEWCOMER, team_id="T0ELSEWHERE")
    await run.settle()

    [answer] = run.responses()
    assert "not set up for Townsquare" in answer["text"]
    assert run.bus.calls == []


@pytest.mark.parametrize("tamper", ["forge_signature", "stale_timestamp"])
async def test_unsigned_or_stale_requests_get_401_and_change_nothing(run: Running, tamper: str) -> None:
    replies = [
        await run.slack.slash_command("/notice", "hello", user_id=MOD, **{tamper: True}),
        await run.slack.block_action("survey:approve:1", "survey:approve:1", user_id=MOD, **{tamper: True}),
        await run.slack.event({"type": "team_join", "user": {"id": NEWCOMER}}, **{tamper: True}),
    ]
    await run.settle()

    assert [r.status for r in replies] == [401, 401, 401]
    assert run.bus.calls == [] and run.fake.calls == []
    assert await run.outbox_count() == 0


# --- the form, the moderator's decision ----------------------------------------------------------------


async def test_form_opens_as_a_modal_and_its_submission_reaches_the_core(run: Running, kit: Kit) -> None:
    await run.slack.slash_command(
        "/survey", user_id=NEWCOMER, channel_id=APPLICATIONS, trigger_id="77.88.trig"
    )
    [opened] = await run.fake.wait_for("views.open")
    view = opened.params["view"]
    assert opened.params["trigger_id"] == "77.88.trig"
    assert view["callback_id"] == "townsquare_form"
    assert [b["label"]["text"] for b in view["blocks"]] == list(QUESTIONS)
    assert [b["element"]["min_length"] for b in view["blocks"]] == [10, 10]  # Slack enforces it in the modal

    reply = await run.slack.view_submission(
        "townsquare_form",
        answers("A compiler for <!channel> pings", "Type systems & <@U0OTHER1> things"),
        user_id=NEWCOMER,
        private_metadata=view["private_metadata"],
    )
    await run.settle()

    assert (reply.status, reply.body) == (200, "")  # the modal closes at once
    [submitted] = [c for c in kit.seen if isinstance(c, SubmitSurvey)]
    assert submitted.answers == (
        ("learn", "Type systems & <@U0OTHER1> things"),
        ("working_on", "A compiler for <!channel> pings"),
    )
    assert submitted.context == "round-1"
    [thanks] = run.fake.calls_to("chat.postEphemeral")  # no response_url after a modal: ephemeral there
    assert thanks.params["channel"] == APPLICATIONS and thanks.params["user"] == NEWCOMER

    await run.deliver()
    [post] = run.fake.calls_to("chat.postMessage")
    assert post.params["channel"] == APPLICATIONS
    shown = texts(post.params)
    assert "&lt;!channel&gt;" in shown and "&lt;@U0OTHER1&gt;" in shown and "Type systems &amp;" in shown
    buttons = [e for b in post.params["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [(b["action_id"], b.get("style")) for b in buttons] == [
        (buttons[0]["value"], "primary"),
        (buttons[1]["value"], "danger"),
    ]
    assert buttons[0]["action_id"].startswith("survey:approve:")


async def _apply(run: Running) -> tuple[str, str, str]:
    """NEWCOMER submits the form; returns (channel, ts, approve key) of the moderators' post."""
    metadata = json.dumps({"form": "survey", "context": "round-1", "channel": APPLICATIONS})
    await run.slack.view_submission(
        "townsquare_form",
        answers("Building a bot", "Community things"),
        user_id=NEWCOMER,
        private_metadata=metadata,
    )
    await run.settle()
    await run.deliver()
    [post] = run.fake.calls_to("chat.postMessage")
    key = post.params["blocks"][-1]["elements"][0]["action_id"]
    ts = max(ts for channel, ts in run.fake.messages if channel == APPLICATIONS)
    return str(post.params["channel"]), ts, key


async def test_moderator_approval_updates_the_post_and_opens_the_member_channels(run: Running) -> None:
    channel, ts, approve = await _apply(run)

    reply = await run.slack.block_action(approve, approve, user_id=MOD, channel_id=channel, message_ts=ts)
    await run.settle()
    await run.deliver()

    assert reply.status == 200
    member = await run.member(NEWCOMER)
    assert member is not None and member.status is MemberStatus.ADMITTED
    [update] = run.fake.calls_to("chat.update")
    assert (update.params["channel"], update.params["ts"]) == (channel, ts)  # the original post, edited
    assert f"Approved by <@{MOD}>: welcome <@{NEWCOMER}>!" in texts(update.params)
    assert "actions" not in [b["type"] for b in update.params["blocks"]]  # the buttons are gone
    invited = {c.params["channel"] for c in run.fake.calls_to("conversations.invite")}
    assert invited == set(MEMBER_CHANNELS)
    assert all(NEWCOMER in run.fake.members[c] for c in MEMBER_CHANNELS)


async def test_a_non_moderator_click_changes_nothing(run: Running) -> None:
    channel, ts, approve = await _apply(run)
    before = await run.outbox_count()

    await run.slack.block_action(approve, approve, user_id=OUTSIDER, channel_id=channel, message_ts=ts)
    await run.slack.block_action(approve, approve, user_id=NEWCOMER, channel_id=channel, message_ts=ts)
    await run.settle()
    await run.deliver()

    member = await run.member(NEWCOMER)
    assert member is not None and member.status is MemberStatus.PENDING
    assert await run.outbox_count() == before
    assert run.fake.calls_to("chat.update") == [] and run.fake.calls_to("conversations.invite") == []
    refusals = [r for r in run.responses() if r.get("response_type") == "ephemeral"]
    assert len(refusals) == 2 and all("moderators" in r["text"] for r in refusals)


async def test_a_second_decision_is_refused_privately(run: Running) -> None:
    channel, ts, approve = await _apply(run)
    await run.slack.block_action(approve, approve, user_id=MOD, channel_id=channel, message_ts=ts)
    await run.settle()
    await run.slack.block_action(approve, approve, user_id=MOD, channel_id=channel, message_ts=ts)
    await run.settle()

    [refusal] = [r for r in run.responses() if r.get("response_type") == "ephemeral"]
    assert "already decided" in refusal["text"]


async def test_a_reply_that_updates_the_original_edits_the_pressed_message(run: Running) -> None:
    await run.slack.block_action(
        "survey:seen:1", "survey:seen:1", user_id=MEMBER, message_ts="1700000000.000100"
    )
    await run.slack.block_action("gone:away:1", "gone:away:1", user_id=MEMBER, message_ts="1700000000.000100")
    await run.settle()

    [update] = run.fake.calls_to("chat.update")
    assert update.params["ts"] == "1700000000.000100"
    assert f"Seen by <@{MEMBER}>" in update.params["text"]
    [stale] = run.responses()
    assert "no longer does anything" in stale["text"]


# --- message shortcut ------------------------------------------------------------------------------------


async def test_message_shortcut_sends_metadata_and_never_the_text(run: Running, kit: Kit) -> None:
    await run.slack.message_shortcut(
        "mark_helpful",
        user_id=MEMBER,
        channel_id=APPLICATIONS,
        message={"ts": "1700000000.000300", "user": MOD, "text": "secret answer text"},
    )
    await run.settle()

    [marked] = [c for c in kit.seen if isinstance(c, MarkHelpful)]
    assert (marked.channel_id, marked.message_id) == (APPLICATIONS, "1700000000.000300")
    assert marked.author == MemberRef("slack", MOD) and marked.author_is_staff
    [answer] = run.responses()
    assert answer["text"] == f"Marked <@{MOD}>'s answer as helpful."
    assert "secret answer text" not in repr(kit.seen)
    assert marked.thread_owner is None and marked.channel_name == "general"


async def test_message_shortcut_in_a_thread_names_the_asker(run: Running, kit: Kit) -> None:
    await run.slack.message_shortcut(
        "mark_helpful",
        user_id=MEMBER,
        channel_id=APPLICATIONS,
        channel_name="help",
        message={
            "ts": "1700000000.000400",
            "thread_ts": "1700000000.000100",
            "user": MOD,
            "parent_user_id": MEMBER,
        },
    )
    await run.settle()

    [marked] = [c for c in kit.seen if isinstance(c, MarkHelpful)]
    assert marked.thread_owner == MemberRef("slack", MEMBER) and marked.channel_name == "help"


async def test_views_open_rate_limited_once_is_retried_after_retry_after(run: Running) -> None:
    run.fake.fail_next("views.open", status=429, retry_after=1)

    await run.slack.slash_command("/survey", user_id=NEWCOMER)
    await run.settle()

    calls = run.fake.calls_to("views.open")
    assert len(calls) == 2 and calls[0].params == calls[1].params
