"""Posting to Slack at most once across retries, as far as Slack lets us check.

Slack has no idempotency key for chat.postMessage. Each post the relay makes carries message
metadata naming its outbox item; when the relay says an earlier attempt may have got through (a
crash before the delivery was recorded, a lost answer), the notifier first reads the channel's
latest messages and, if the post is there, returns it instead of posting again. DMs are not
checked: reading them needs the `im:history` scope, which the app does not ask for.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.ports import Attempt

log = logging.getLogger("townsquare.slack")

EVENT_TYPE = "townsquare_outbox"
LOOK_BACK = 100  # messages read before a resend; the relay's retries come within minutes


def metadata(attempt: Attempt | None) -> dict[str, Any]:
    """chat.postMessage keyword arguments that tag the post with its outbox item (none without one)."""
    if attempt is None:
        return {}
    return {"metadata": {"event_type": EVENT_TYPE, "event_payload": {"key": attempt.key}}}


async def posted_before(client: AsyncWebClient, channel: str, attempt: Attempt | None) -> str | None:
    """The ts of this attempt's post, when an earlier attempt already made it; None when it did not
    (or cannot be told: then the post goes out, at least once rather than not at all)."""
    if attempt is None or not attempt.resumed:
        return None
    try:
        found = await client.conversations_history(
            channel=channel, limit=LOOK_BACK, include_all_metadata=True
        )
    except (SlackApiError, SlackClientError) as exc:
        log.info("cannot look for an earlier post of %s before resending: %s", attempt.key, exc)
        return None
    for item in found.get("messages") or []:
        meta = item.get("metadata") or {}
        if (
            meta.get("event_type") == EVENT_TYPE
            and (meta.get("event_payload") or {}).get("key") == attempt.key
        ):
            return str(item.get("ts"))
    return None
