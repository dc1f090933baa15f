"""The outbox relay: carries out queued effects through each platform's Notifier.

Delivery is at least once: an effect is marked done only after the platform accepted it, so a
crash in between delivers it again at start. Failures are retried with exponential backoff; an
effect that still fails after `max_attempts` is parked, listed for leads (`townsquare outbox`),
and can be requeued. Effects are delivered in the order they were queued.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta

from bot.core.effects import Effect, optional_ref_keys, ref_keys
from bot.core.ports import Clock, DeliveryError, Notifier, OutboxItem, PlatformRef, UnitOfWork

log = logging.getLogger("townsquare.outbox")


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 8
    base_delay_seconds: float = 2.0
    max_delay_seconds: float = 900.0

    def delay(self, attempts_so_far: int) -> timedelta:
        """Backoff before the next try: base · 2^(attempts-1), capped."""
        seconds = self.base_delay_seconds * (2 ** max(attempts_so_far - 1, 0))
        return timedelta(seconds=min(seconds, self.max_delay_seconds))


class RefNotReady(DeliveryError):
    """The effect refers to something not delivered yet (an edit of a post still queued)."""


class OutboxRelay:
    """Delivers due outbox items; `wake()` after a commit makes delivery prompt."""

    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        clock: Clock,
        notifiers: Mapping[str, Notifier],
        policy: RetryPolicy = RetryPolicy(),
        batch_size: int = 50,
        lease: timedelta = timedelta(minutes=2),
    ) -> None:
        self.uow_factory = uow_factory
        self.clock = clock
        self.notifiers = dict(notifiers)
        self.policy = policy
        self.batch_size = batch_size
        self.lease = lease
        self._wakeup = asyncio.Event()

    def wake(self) -> None:
        self._wakeup.set()

    async def run_once(self) -> int:
        """Deliver everything due now; returns how many items were attempted."""
        attempted = 0
        while True:
            async with self.uow_factory() as uow:
                items = await uow.outbox.due(list(self.notifiers), self.clock.now(), self.batch_size)
            if not items:
                return attempted
            progressed = False
            for item in items:
                if await self._deliver(item) is not None:
                    progressed = True
                attempted += 1
            if not progressed or len(items) < self.batch_size:
                return attempted

    async def deliver_now(
        self, community_id: str, kind: str, accept: Callable[[Effect], bool] = lambda _: True
    ) -> int:
        """Deliver this community's due items of one kind that `accept` picks, now, for an adapter that
        shows their outcome in its answer (the /refer invite). Items are claimed as usual, so one the
        background relay holds is left to it and none is delivered twice. Returns how many were."""
        async with self.uow_factory() as uow:
            items = await uow.outbox.due(
                list(self.notifiers),
                self.clock.now(),
                self.batch_size,
                community_id=community_id,
                kinds=[kind],
            )
        delivered = 0
        for item in items:
            if accept(item.effect) and await self._deliver(item) is not None:
                delivered += 1
        return delivered

    async def _deliver(self, item: OutboxItem) -> Mapping[str, PlatformRef] | None:
        """Claim and deliver one item: the refs it produced, or None when someone else holds it."""
        now = self.clock.now()
        async with self.uow_factory() as uow:
            if not await uow.outbox.claim(item.id, now, now + self.lease):
                return None
            wanted = ref_keys(item.effect) + optional_ref_keys(item.effect)
            refs = await uow.refs.get_many(item.community_id, wanted)
            await uow.commit()
        missing = [key for key in ref_keys(item.effect) if key not in refs]
        try:
            if missing:
                raise RefNotReady(f"waiting for {', '.join(missing)} to be delivered first")
            new_refs = await self.notifiers[item.platform].deliver(item.effect, refs)
        except DeliveryError as exc:
            await self._failed(item, str(exc), retryable=exc.retryable)
            return {}
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001  (an adapter bug must not stop delivery of the rest)
            log.exception("outbox item %s (%s) raised", item.id, item.effect.kind)
            await self._failed(item, f"{type(exc).__name__}: {exc}", retryable=True)
            return {}
        async with self.uow_factory() as uow:
            done_at = self.clock.now()
            for key, ref in new_refs.items():
                await uow.refs.put(item.community_id, key, ref, done_at)
            await uow.outbox.mark_done(item.id, done_at)
            await uow.commit()
        log.info("delivered outbox item %s (%s) for %s", item.id, item.effect.kind, item.community_id)
        return new_refs

    async def _failed(self, item: OutboxItem, error: str, *, retryable: bool) -> None:
        attempts = item.attempts + 1
        park = not retryable or attempts >= self.policy.max_attempts
        next_at = None if park else self.clock.now() + self.policy.delay(attempts)
        async with self.uow_factory() as uow:
            await uow.outbox.mark_failed(item.id, error, next_at)
            await uow.commit()
        if park:
            log.error(
                "outbox item %s (%s) parked after %d attempts: %s", item.id, item.effect.kind, attempts, error
            )
        else:
            log.warning(
                "outbox item %s (%s) failed (attempt %d), retrying: %s",
                item.id,
                item.effect.kind,
                attempts,
                error,
            )

    async def run_forever(self, poll_seconds: float = 1.0) -> None:
        """Deliver until cancelled: promptly after a wake-up, otherwise every `poll_seconds`."""
        while True:
            try:
                await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001  (a database hiccup must not end delivery for good)
                log.exception("outbox relay pass failed; retrying")
            self._wakeup.clear()
            try:
                # asyncio.timeout, not wait_for: on Python 3.11 wait_for swallows a cancellation that
                # arrives as the wake-up fires, and the relay then outlived App.close() forever.
                async with asyncio.timeout(poll_seconds):
                    await self._wakeup.wait()
            except TimeoutError:
                pass
