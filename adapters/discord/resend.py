"""Which Discord deliveries a resend cannot repeat: the relay batches the done marks of those only
(bot/relay_record.py)."""

from __future__ import annotations

import discord

from adapters.discord.identity import Communities
from bot.core.effects import Effect, PostMessage


def nonce_covers(client: discord.Client, communities: Communities, effect: Effect) -> bool:
    """A post to a known text channel goes out with the outbox item's nonce and `enforce_nonce`, so a
    resend returns the first message. A forum post (a new thread), a post into a private space, a DM
    (whose closed-DMs fallback has no nonce) and the other creations are not covered."""
    if not isinstance(effect, PostMessage):
        return False
    community = communities.get(effect.community_id)
    if community is None or community.discord is None:
        return False
    if effect.channel.startswith("id:"):
        channel_id: int | None = int(effect.channel[3:]) if effect.channel[3:].isdigit() else None
    else:
        channel_id = community.discord.channels.by_name(effect.channel)
    channel = client.get_channel(channel_id) if channel_id is not None else None
    return channel is not None and not isinstance(channel, discord.ForumChannel)
