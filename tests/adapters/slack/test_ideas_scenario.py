"""Issue 10 on Slack, end to end on the real core: /idea → modal → the idea post with its Upvote
button → another member votes → chat.update of that message → a lead marks it shipped → the voters are
told by DM and the public credit mentions exactly the author and the voters, whatever the title says."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.clock import FixedClock
from bot.core.feedback.commands import SendIdeaNotices
from tests.adapters.slack.fake_slack import BOT_USER_ID, TEAM_DOMAIN, ApiCall, FakeSlackApi
from tests.adapters.slack.harness import (
    ANNOUNCEMENTS,
    APPLICATIONS,
    DIGEST,
    LEAD,
    LOBBY,
    MEMBER,
    MOD,
    NEWCOMER,
    WELCOME,
    Running,
    all_text,
    running,
)
from tests.conftest import COMMUNITY

IDEAS, RECOGNITION = "C0IDEAS01", "C0RECOGNI"
CHANNELS = {
    "lobby": LOBBY,
    "applications": APPLICATIONS,
    "announcements": ANNOUNCEMENTS,
    "welcome": WELCOME,
    "digest": DIGEST,
    "ideas": IDEAS,
    "recognition": RECOGNITION,
}
USER_MENTION = re.compile(r"<@([UW][A-Z0-9]+)>")


def _buttons(call: ApiCall) -> dict[str, dict[str, Any]]:
    return {e["action_id"]: e for b in call.params["blocks"] if b["type"] == "actions" for e in b["elements"]}


def _posts_in(run: Running, channel: str) -> list[ApiCall]:
    return [c for c in run.fake.calls_to("chat.postMessage") if c.params["channel"] == channel]


def _mentioned(call: ApiCall) -> set[str]:
    return {m for text in all_text(call.params) for m in USER_MENTION.findall(text)}


async def _act(run: Running) -> None:
    await run.settle()
    await run.deliver()


async def _file_idea(run: Running, title: str) -> tuple[ApiCall, str]:
    """MEMBER runs /idea and submits the modal; the relay posts the idea. The post and its ts."""
    await run.slack.slash_command("/idea", user_id=MEMBER, channel_id=LOBBY, trigger_id="7.7.idea")
    [opened] = await run.fake.wait_for("views.open")
    view = opened.params["view"]
    assert [b["block_id"] for b in view["blocks"]] == ["title", "details", "area"]
    answers = {"title": title, "details": "Easier on the eyes at night.", "area": "editor"}
    state = {k: {"answer": {"type": "plain_text_input", "value": v}} for k, v in answers.items()}
    await run.slack.view_submission(
        "townsquare_form", state, user_id=MEMBER, private_metadata=view["private_metadata"]
    )
    await _act(run)
    [filed] = run.fake.calls_to("chat.postEphemeral")
    assert filed.params["user"] == MEMBER and filed.params["text"].startswith("Filed as #1 ")
    [post] = _posts_in(run, IDEAS)
    [ts] = [ts for channel, ts in run.fake.messages if channel == IDEAS]
    return post, ts


async def _upvote(run: Running, user: str, ts: str) -> dict[str, Any]:
    before = len(run.responses())
    await run.slack.block_action("idea:vote:1", "idea:vote:1", user_id=user, channel_id=IDEAS, message_ts=ts)
    await _act(run)
    [answer] = run.responses()[before:]
    return answer


async def test_idea_to_shipped_with_credit_on_slack(
    engine: AsyncEngine, db_url: str, clock: FixedClock, fake_slack: FakeSlackApi
) -> None:
    async with running(engine, db_url, clock, fake_slack, channels=CHANNELS) as run:
        for channel_id, name in ((IDEAS, "ideas"), (RECOGNITION, "recognition")):
            run.fake.add_channel(channel_id, name, is_private=False, members=[BOT_USER_ID])
        for user in (MEMBER, NEWCOMER, MOD, LEAD):
            await run.admit(user)
        title = "Dark mode <!channel> <!here> @everyone <!subteam^S0DEVS|@devs>"

        post, ts = await _file_idea(run, title)
        assert _buttons(post)["idea:vote:1"]["text"]["text"] == "Upvote · 1"
        assert _mentioned(post) == {MEMBER}  # "Suggested by"

        # another member votes: that message is updated in place, nothing new is posted
        answer = await _upvote(run, NEWCOMER, ts)
        assert answer["response_type"] == "ephemeral" and "(2 votes)" in answer["text"]
        [update] = run.fake.calls_to("chat.update")
        assert (update.params["channel"], update.params["ts"]) == (IDEAS, ts)
        assert _buttons(update)["idea:vote:1"]["text"]["text"] == "Upvote · 2"
        await _upvote(run, MOD, ts)
        assert _buttons(run.fake.calls_to("chat.update")[-1])["idea:vote:1"]["text"]["text"] == "Upvote · 3"
        assert len(_posts_in(run, IDEAS)) == 1

        # the lead ships it
        before = len(run.responses())
        await run.slack.slash_command("/ideas", "status 1 shipped", user_id=LEAD, channel_id=LOBBY)
        await _act(run)
        [changed] = run.responses()[before:]
        assert changed["response_type"] == "ephemeral" and "is now shipped" in changed["text"]
        shipped = run.fake.calls_to("chat.update")[-1]
        assert shipped.params["ts"] == ts and "idea:vote:1" not in _buttons(shipped)

        # the public credit: exactly the author and the voters, nothing the title says
        [announcement] = _posts_in(run, IDEAS)[1:]
        assert _mentioned(announcement) == {MEMBER, NEWCOMER, MOD}
        sent = " ".join(all_text(announcement.params))
        assert "<!" not in sent and "&lt;!channel&gt;" in sent and "@\u2060everyone" in sent
        assert announcement.params["link_names"] is False and announcement.params["parse"] == "none"
        [permalink] = run.fake.calls_to("chat.getPermalink")
        assert (permalink.params["channel"], permalink.params["message_ts"]) == (IDEAS, ts)
        link = f"https://{TEAM_DOMAIN}.slack.com/archives/{IDEAS}/p{ts.replace('.', '')}"
        [context] = [b for b in announcement.params["blocks"] if b["type"] == "context"]
        assert context["elements"][0]["text"] == f"<{link}|Go to the post>"

        # the daily batch: author and voters are told privately, the lead who shipped it is not
        await run.app.bus.handle(SendIdeaNotices(community_id=COMMUNITY))
        await run.deliver()
        told = {c.params["users"] for c in run.fake.calls_to("conversations.open")}
        assert told == {MEMBER, NEWCOMER, MOD}
        dms = [c for c in run.fake.calls_to("chat.postMessage") if c.params["channel"].startswith("D")]
        assert len(dms) == 3
        assert all("Shipped" in c.params["text"] and not _mentioned(c) for c in dms)
