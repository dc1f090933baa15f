"""The outbox relay: carries out queued effects through each platform's Notifier.

Guarantees (docs/operations.md#delivery states them with their limits):
- At least once: an effect is marked done only after the platform accepted it. The mark-done write
  is retried; if the database stays away, the relay remembers what it sent and records it later
  instead of sending it again.
- At most once on the platform, where the platform allows: every attempt carries the item's key
  (Discord dedupes by message nonce) and says whether an earlier attempt may have got through (Slack
  looks before it posts again).
- Order per lane: an effect never overtakes an earlier one to the same channel, message, person or
  space (`bot.core.effects.lane`); a lane stops at its first failure.
- Outages pause, they do not park: a few retryable failures in a row open a circuit for that
  platform and community (bot/relay_breaker.py); probes find the platform back, and effects parked
  for retryable reasons are then requeued with the effects that wait on them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta

from bot.core.effects import Effect, lane, optional_ref_keys, ref_keys
from bot.core.ports import Attempt, Clock, DeliveryError, Notifier, OutboxItem, PlatformRef, UnitOfWork
from bot.relay_breaker import BreakerPolicy, Breakers, Change, Pair
from bot.relay_requeue import is_alert, queue_alert, requeue_with_dependants
from bot.relay_watch import RelayWatch, duration, short_error

log = logging.getLogger("townsquare.outbox")


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 8
    base_delay_seconds: float = 2.0
    max_delay_seconds: float = 900.0
    record_retry_seconds: tuple[float, ...] = (0.1, 0.5, 2.0, 5.0)  # waits between mark-done tries
    alert_channel: str | None = "applications"  # where leads hear of parked effects; None: nowhere
    outage_after: int = 3  # retryable failures in a row that pause a platform (see relay_breaker)
    probe_max_seconds: float = 60.0  # the longest wait between probes during an outage

    def delay(self, attempts_so_far: int) -> timedelta:
        """Backoff before the next try: base · 2^(attempts-1), capped."""
        seconds = self.base_delay_seconds * (2 ** max(attempts_so_far - 1, 0))
        return timedelta(seconds=min(seconds, self.max_delay_seconds))


NOT_CLAIMED = object()
FAILED = object()  # to be retried: its lane waits
PARKED = object()  # set aside: its lane moves on


class RefNotReady(DeliveryError):
    """The effect refers to something not delivered yet (an edit of a post still queued)."""


def _pair(item: OutboxItem) -> Pair:
    return (item.platform, item.community_id)


def _lane(item: OutboxItem) -> tuple[str, str] | None:
    name = lane(item.effect)
    return None if name is None else (item.community_id, name)


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
        self.breakers = Breakers(
            clock,
            BreakerPolicy(policy.outage_after, policy.base_delay_seconds, policy.probe_max_seconds),
        )
        self.watch = RelayWatch(clock)
        # Sent, but the mark-done write failed: recorded on a later pass, never sent again.
        self._unrecorded: dict[int, tuple[OutboxItem, Mapping[str, PlatformRef]]] = {}
        self._wakeup = asyncio.Event()

    def wake(self) -> None:
        self._wakeup.set()

    async def run_once(self) -> int:
        """Deliver everything due now; returns how many items were attempted."""
        await self._record_unrecorded()
        attempted = 0
        while True:
            async with self.uow_factory() as uow:
                items = await uow.outbox.due(
                    list(self.notifiers), self.clock.now(), self.batch_size, paused=self.breakers.paused()
                )
            if not items:
                return attempted
            progressed = False
            stopped: set[tuple[str, str]] = set()  # lanes that must not move on in this batch
            for item in items:
                item_lane = _lane(item)
                if (item_lane is not None and item_lane in stopped) or self.breakers.blocks(_pair(item)):
                    continue
                result = await self._deliver(item)
                attempted += 1
                if result is NOT_CLAIMED or result is FAILED:
                    if item_lane is not None:
                        stopped.add(item_lane)
                if result is not NOT_CLAIMED:
                    progressed = True
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
                paused=self.breakers.paused(),
            )
        delivered = 0
        for item in items:
            if accept(item.effect) and isinstance(await self._deliver(item), Mapping):
                delivered += 1
        return delivered

    async def _deliver(self, item: OutboxItem) -> Mapping[str, PlatformRef] | object:
        """Claim and deliver one item: the refs it produced, FAILED, or NOT_CLAIMED when someone
        else holds it (or it was sent and waits to be recorded)."""
        if item.id in self._unrecorded:
            return NOT_CLAIMED
        now = self.clock.now()
        async with self.uow_factory() as uow:
            if not await uow.outbox.claim(item.id, now, now + self.lease):
                return NOT_CLAIMED
            wanted = ref_keys(item.effect) + optional_ref_keys(item.effect)
            refs = await uow.refs.get_many(item.community_id, wanted)
            await uow.commit()
        missing = [key for key in ref_keys(item.effect) if key not in refs]
        try:
            if missing:
                raise RefNotReady(f"waiting for {', '.join(missing)} to be delivered first")
            attempt = Attempt(key=f"outbox:{item.id}", resumed=item.resumed)
            new_refs = await self.notifiers[item.platform].deliver(item.effect, refs, attempt)
        except RefNotReady as exc:
            return await self._failed(item, str(exc), retryable=True)
        except DeliveryError as exc:
            return await self._platform_failed(item, exc)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001  (an adapter bug must not stop delivery of the rest)
            if item.attempts == 0:  # one traceback per item, not one per attempt
                log.exception("outbox item %s (%s) raised", item.id, item.effect.kind)
            return await self._failed(item, short_error(exc), retryable=True)
        self._unrecorded[item.id] = (item, new_refs)  # before anything else can fail
        self.watch.count("delivered")
        if not await self._record(item.id):
            # The database is away: send nothing more until what was sent is written down.
            raise ConnectionError("cannot record delivered outbox items yet")
        await self._answered(item)
        return new_refs

    async def _record(self, item_id: int, *, report: bool = True) -> bool:
        """Write that an item was delivered, retrying the write; on failure it stays in `_unrecorded`
        (said once, when it first could not be written: later passes only count)."""
        item, new_refs = self._unrecorded[item_id]
        for wait in (*self.policy.record_retry_seconds, None):
            try:
                async with self.uow_factory() as uow:
                    done_at = self.clock.now()
                    for key, ref in new_refs.items():
                        await uow.refs.put(item.community_id, key, ref, done_at)
                    await uow.outbox.mark_done(item.id, done_at)
                    await uow.commit()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001  (the database is away: keep what was sent)
                if wait is None:
                    (log.warning if report else log.debug)(
                        "outbox item %s was delivered but cannot be recorded yet (%s); it will be "
                        "recorded, not sent again",
                        item.id,
                        short_error(exc),
                    )
                    return False
                await asyncio.sleep(wait)
                continue
            del self._unrecorded[item_id]
            log.debug("delivered outbox item %s (%s) for %s", item.id, item.effect.kind, item.community_id)
            return True
        return False

    async def _record_unrecorded(self) -> None:
        for item_id in sorted(self._unrecorded):
            if not await self._record(item_id, report=False):
                raise ConnectionError("cannot record delivered outbox items yet")

    async def _answered(self, item: OutboxItem) -> None:
        """The platform answered: close its circuit if open, and requeue what the outage parked."""
        change, lasted = self.breakers.answered(_pair(item))
        if change is not Change.CLOSED:
            return
        async with self.uow_factory() as uow:
            ids = await uow.outbox.parked_ids(
                platform=item.platform, community_id=item.community_id, retryable=True
            )
            requeued = await requeue_with_dependants(uow, ids, self.clock.now())
            await uow.commit()
        self.wake()
        log.warning(
            "outbox relay: %s answers again for %s after %s; delivery resumes (%d parked effects requeued)",
            item.platform,
            item.community_id,
            duration(lasted),
            requeued,
        )

    async def _platform_failed(self, item: OutboxItem, exc: DeliveryError) -> object:
        pair = _pair(item)
        if not exc.retryable:
            await self._answered(item)  # a refusal is an answer: the platform is there
            return await self._failed(item, str(exc), retryable=False)
        was_open = self.breakers.is_open(pair)
        change = self.breakers.failed(pair, str(exc))
        if change is Change.OPENED:
            log.warning(
                "outbox relay: %s is failing for %s (%s); delivery paused, probing until it answers",
                item.platform,
                item.community_id,
                exc,
            )
        # A probe's failure during an outage costs the item nothing: it waits for the platform.
        return await self._failed(item, str(exc), retryable=True, counted=not was_open)

    async def _failed(self, item: OutboxItem, error: str, *, retryable: bool, counted: bool = True) -> object:
        """Record a failure: FAILED (retried later, its lane waits) or PARKED."""
        attempts = item.attempts + (1 if counted else 0)
        park = not retryable or attempts >= self.policy.max_attempts
        now = self.clock.now()
        next_at = None if park else now + (self.policy.delay(attempts) if counted else timedelta(0))
        async with self.uow_factory() as uow:
            await uow.outbox.mark_failed(item.id, error, next_at, retryable=retryable, counted=counted)
            alerted = False
            if park and self.policy.alert_channel and not is_alert(item):
                alerted = await queue_alert(uow, item, self.policy.alert_channel, now)
            await uow.commit()
        self.watch.count("parked" if park else "failed")
        if park:
            log.error(
                "outbox item %s (%s) parked after %d attempts: %s%s",
                item.id,
                item.effect.kind,
                attempts,
                error,
                "; leads alerted" if alerted else "",
            )
            return PARKED
        log.debug("outbox item %s (%s) failed (attempt %d): %s", item.id, item.effect.kind, attempts, error)
        return FAILED

    async def run_forever(self, poll_seconds: float = 1.0, max_backoff_seconds: float = 30.0) -> None:
        """Deliver until cancelled: promptly after a wake-up, otherwise every `poll_seconds`; while
        the database is away, less and less often (up to `max_backoff_seconds`), logging once."""
        failures = 0
        while True:
            try:
                await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001  (a database hiccup must not end delivery for good)
                failures += 1
                self.watch.database_failed(exc)
            else:
                failures = 0
                self.watch.database_ok()
            self.watch.maybe_summary(self.breakers.open_pairs(), len(self._unrecorded))
            self._wakeup.clear()
            wait = min(poll_seconds * 2**failures, max_backoff_seconds) if failures else poll_seconds
            try:
                # asyncio.timeout, not wait_for: on Python 3.11 wait_for swallows a cancellation that
                # arrives as the wake-up fires, and the relay then outlived App.close() forever.
                async with asyncio.timeout(wait):
                    await self._wakeup.wait()
            except TimeoutError:
                pass
