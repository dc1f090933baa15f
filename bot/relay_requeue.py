"""Requeueing parked effects, with the effects that wait on them, and the leads' alert on parking."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.core.effects import PostMessage, produced_keys, ref_keys
from bot.core.ports import OutboxItem, UnitOfWork

ALERT_KEY = "outbox-alert:"


async def requeue_with_dependants(uow: UnitOfWork, item_ids: Sequence[int], now: datetime) -> int:
    """Requeue these parked items and every parked item that waits on one of them (an edit of a
    parked post, a post into a parked private space), transitively; returns how many were requeued."""
    wanted = set(item_ids)
    if not wanted:
        return 0
    parked = await uow.outbox.parked()
    by_id = {item.id: item for item in parked}
    chosen = {i for i in wanted if i in by_id}
    frontier = list(chosen)
    while frontier:
        made: set[tuple[str, str]] = set()
        for item_id in frontier:
            item = by_id[item_id]
            made.update((item.community_id, key) for key in produced_keys(item.effect))
        frontier = [
            item.id
            for item in parked
            if item.id not in chosen
            and any((item.community_id, key) in made for key in ref_keys(item.effect))
        ]
        chosen.update(frontier)
    if not chosen:
        return 0
    return await uow.outbox.requeue_parked(sorted(chosen), now)


def is_alert(item: OutboxItem) -> bool:
    """An alert about parked effects is never itself alerted on (no loop when the leads' channel fails)."""
    return (item.dedupe_key or "").startswith(ALERT_KEY)


async def queue_alert(uow: UnitOfWork, item: OutboxItem, channel: str, now: datetime) -> bool:
    """Tell the leads an effect was parked: at most one alert per community and hour (a dedupe key),
    sent like any other post. Names the kind of effect only, never its text or the error."""
    text = (
        f"⚠️ Townsquare could not deliver an effect ({item.effect.kind}) and has set it aside. "
        "`townsquare outbox` lists what is set aside; `townsquare outbox --retry all` tries again. "
        "Effects that failed because the platform was down are retried on their own when it is back."
    )
    alert = PostMessage(item.community_id, channel, text)
    key = f"{ALERT_KEY}{item.community_id}:{now:%Y-%m-%dT%H}"
    return await uow.outbox.add(alert, platform=item.platform, now=now, dedupe_key=key)
