"""Which Slack deliveries the relay may record per batch: those a resumed resend finds instead of
posting again (a channel post, by its metadata key), not a chart upload or a DM."""

from __future__ import annotations

from typing import Any, cast

from adapters.slack.notifier import SlackNotifier
from bot.core.effects import DirectMessage, EditMessage, OpenPrivateSpace, PostMessage
from bot.core.refs import MemberRef
from bot.relay_record import absorbs_resend


def test_only_resends_slack_absorbs_are_recorded_per_batch() -> None:
    notifier = SlackNotifier(cast(Any, None), cast(Any, None))
    assert absorbs_resend(notifier, PostMessage("c", "welcome", "hello"))
    assert not absorbs_resend(notifier, PostMessage("c", "digest", "chart", image_png=b"png"))
    assert not absorbs_resend(notifier, DirectMessage("c", MemberRef("slack", "U1"), "hi"))
    assert not absorbs_resend(notifier, OpenPrivateSpace("c", "space:1", "cohort-1", ()))
    assert absorbs_resend(notifier, EditMessage("c", "post:1", "edited"))  # repeats harmlessly
