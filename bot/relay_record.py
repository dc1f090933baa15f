"""Writing down what the outbox relay delivered: marked done in batches where a crash's resend is
absorbed, at once where it is not.

An effect sent but not yet marked done is sent again after a crash, as a resumed attempt with the
same key (its claim mark says an earlier attempt may have got through). Where the platform absorbs
such a resend (a Discord message nonce, Slack's look for the keyed post, an idempotent role grant or
edit, a sink's change id), the relay keeps the done marks of a batch in memory and writes them in
one transaction at the end of the batch: a crash then resends up to a batch of effects, and every
one of those resends is absorbed. Where the resend would make a second thing (a forum post, a private
space, a scheduled event, an invite, a Slack DM), the effect is recorded right after its send, as
before, so the window in which a crash repeats it is no wider than it was.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping

from bot.core.effects import (
    AddToSpace,
    AssignBadgeRole,
    ChangeTierRole,
    EditMessage,
    Effect,
    GrantMemberAccess,
    RemoveProfile,
    RevokeMemberAccess,
    SyncProfile,
)
from bot.core.ports import Clock, Notifier, OutboxItem, PlatformRef, UnitOfWork
from bot.relay_watch import short_error

log = logging.getLogger("townsquare.outbox")

# Effects that repeat harmlessly on any platform: setting the same text, role or membership again.
IDEMPOTENT = (
    EditMessage,
    GrantMemberAccess,
    RevokeMemberAccess,
    AssignBadgeRole,
    ChangeTierRole,
    AddToSpace,
    SyncProfile,  # the sinks carry the change id as an idempotency key
    RemoveProfile,
)


def absorbs_resend(notifier: Notifier, effect: Effect) -> bool:
    """Whether a second attempt of `effect` with the same key makes nothing new on the platform. A
    notifier says so for what it deduplicates (`absorbs_resend(effect)`); otherwise only effects that
    repeat harmlessly count."""
    if isinstance(effect, IDEMPOTENT):
        return True
    says: Callable[[Effect], bool] | None = getattr(notifier, "absorbs_resend", None)
    return bool(says(effect)) if says is not None else False


class Recorder:
    """Delivered effects not yet marked done, and the batched write that marks them."""

    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        clock: Clock,
        retry_seconds: Callable[[], tuple[float, ...]],  # the waits between tries, read at each flush
    ) -> None:
        self.uow_factory = uow_factory
        self.clock = clock
        self.retry_seconds = retry_seconds
        # Sent, but not marked done yet: recorded later, never sent again by this relay.
        self.pending: dict[int, tuple[OutboxItem, Mapping[str, PlatformRef]]] = {}
        self._lock = asyncio.Lock()  # deliver_now and the background pass may record at once

    def sent(self, item: OutboxItem, refs: Mapping[str, PlatformRef]) -> None:
        self.pending[item.id] = (item, refs)

    async def flush(self, *, report: bool = True) -> bool:
        """Mark every pending item done, with the refs it produced, in one transaction; the write is
        retried. On failure they stay pending (said once, when first not written: later passes only
        count) and False is returned."""
        async with self._lock:
            batch = dict(self.pending)
            if not batch:
                return True
            for wait in (*self.retry_seconds(), None):
                try:
                    async with self.uow_factory() as uow:
                        done_at = self.clock.now()
                        made = [
                            (item.community_id, key, ref)
                            for item, refs in batch.values()
                            for key, ref in refs.items()
                        ]
                        if made:
                            await uow.refs.put_many(made, done_at)
                        await uow.outbox.mark_done(sorted(batch), done_at)
                        await uow.commit()
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # noqa: BLE001  (the database is away: keep what was sent)
                    if wait is None:
                        (log.warning if report else log.debug)(
                            "outbox items %s were delivered but cannot be recorded yet (%s); they will be "
                            "recorded, not sent again",
                            ", ".join(str(i) for i in sorted(batch)),
                            short_error(exc),
                        )
                        return False
                    await asyncio.sleep(wait)
                    continue
                for item_id, (item, _) in batch.items():
                    self.pending.pop(item_id, None)
                    log.debug(
                        "delivered outbox item %s (%s) for %s", item_id, item.effect.kind, item.community_id
                    )
                return True
            return False
