"""The outbox relay: carries out queued effects through each platform's Notifier.

Guarantees (docs/operations.md#delivery states them with their limits):
- At least once: an effect is marked done only after the platform accepted it. The mark-done write
  is retried; if the database stays away, the relay remembers what it sent and records it later
  instead of sending it again.
- Batches: the due items are read and claimed with one conditional UPDATE per batch (on PostgreSQL
  it waits for a concurrent relay's row lock and re-checks the row, so no item is claimed twice; an
  item behind one another relay holds is given back unsent, so its lane keeps its order). The read
  is part of that statement (`claim_due`; on SQLite an item an earlier relay left claimed keeps its
  mark in it, so that its attempt shows the mark, and is claimed by a second statement). The done
  marks of the batch are written in one transaction at its end for effects whose resend the platform
  absorbs, right after the send for the others (bot/relay_record.py says why that widens nothing a
  crash can duplicate). Claimed items the batch did not attempt are given back with their claim mark.
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
from datetime import datetime, timedelta

from bot.core.effects import Effect, lane, optional_ref_keys, ref_keys
from bot.core.ports import Attempt, Clock, DeliveryError, Notifier, OutboxItem, PlatformRef, UnitOfWork
from bot.relay_breaker import BreakerPolicy, Breakers, Change, Pair
from bot.relay_record import Recorder, absorbs_resend
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


def _accept_all(_: Effect) -> bool:
    return True


FAILED = object()  # to be retried: its lane waits
PARKED = object()  # set aside: its lane moves on


@dataclass
class _Batch:
    """Due items as read (id order), those this relay claimed, the refs they need, and the claim's ends."""

    items: list[OutboxItem]
    claimed: set[int]
    refs: dict[tuple[str, str], PlatformRef]
    send_until: datetime  # no send starts after this: half the lease is left for it
    lease_until: datetime


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
        # Claimed, not attempted: given back with the claim mark each had (id -> (mark, our lease)).
        self._unreleased: dict[int, tuple[datetime | None, datetime]] = {}
        self.recorder = Recorder(uow_factory, clock, lambda: self.policy.record_retry_seconds)
        self._wakeup = asyncio.Event()

    def wake(self) -> None:
        self._wakeup.set()

    @property
    def _unrecorded(self) -> dict[int, tuple[OutboxItem, Mapping[str, PlatformRef]]]:
        """Sent, but not marked done yet (a batch in progress, or the database was away)."""
        return self.recorder.pending

    async def run_once(self) -> int:
        """Deliver everything due now; returns how many items were attempted."""
        await self._record_unrecorded()
        attempted = 0
        while True:
            batch = await self._claim()
            if not batch.items:
                return attempted
            progressed, tried, _ = await self._deliver_batch(batch)
            attempted += tried
            if not progressed or len(batch.items) < self.batch_size:
                return attempted

    async def deliver_now(
        self, community_id: str, kind: str, accept: Callable[[Effect], bool] = _accept_all
    ) -> int:
        """Deliver this community's due items of one kind that `accept` picks, now, for an adapter that
        shows their outcome in its answer (the /refer invite). Items are claimed as usual, so one the
        background relay holds is left to it and none is delivered twice. Returns how many were."""
        await self._release()
        batch = await self._claim(community_id=community_id, kinds=[kind], accept=accept)
        return (await self._deliver_batch(batch, record_each=True))[2]

    async def _claim(
        self,
        *,
        community_id: str | None = None,
        kinds: list[str] | None = None,
        accept: Callable[[Effect], bool] = _accept_all,
    ) -> _Batch:
        """Read the due items and claim them, with the refs they need, in one transaction: in one
        statement (`claim_due`) unless some items are to be left out, else a read and a conditional
        claim of what it read. Items this relay sent but has not recorded are not claimed again."""
        now = self.clock.now()
        lease_until = now + self.lease
        platforms, paused = list(self.notifiers), self.breakers.paused()
        async with self.uow_factory() as uow:
            together = None
            if accept is _accept_all and not self._unrecorded:
                together = await uow.outbox.claim_due(
                    platforms,
                    now,
                    self.batch_size,
                    lease_until,
                    community_id=community_id,
                    kinds=kinds,
                    paused=paused,
                )
            if together is not None:
                items, claimed = together
            else:
                items = await uow.outbox.due(
                    platforms, now, self.batch_size, community_id=community_id, kinds=kinds, paused=paused
                )
                wanted = [i.id for i in items if i.id not in self._unrecorded and accept(i.effect)]
                claimed = await uow.outbox.claim(wanted, now, lease_until) if wanted else set()
            keys: dict[str, set[str]] = {}
            for item in items:
                if item.id in claimed:
                    keys.setdefault(item.community_id, set()).update(
                        ref_keys(item.effect) + optional_ref_keys(item.effect)
                    )
            refs: dict[tuple[str, str], PlatformRef] = {}
            for community, names in keys.items():
                found = await uow.refs.get_many(community, sorted(names)) if names else {}
                refs.update(((community, key), ref) for key, ref in found.items())
            await uow.commit()
        return _Batch(items, claimed, refs, now + self.lease / 2, lease_until)

    async def _deliver_batch(self, batch: _Batch, *, record_each: bool = False) -> tuple[bool, int, int]:
        """Deliver the claimed items of a batch in id order; a lane stops at its first failure (or at an
        item someone else holds). Done marks are written at the end of the batch, or right after the
        send for an effect whose resend the platform would not absorb (bot/relay_record.py); claimed
        items left unattempted are given back. Returns whether anything moved, how many were tried and how
        many delivered."""
        stopped: set[tuple[str, str]] = set()  # lanes that must not move on in this batch
        tried: set[int] = set()
        progressed, attempted, delivered = False, 0, 0
        try:
            for item in batch.items:
                item_lane = _lane(item)
                if item.id not in batch.claimed:
                    if item_lane is not None:
                        stopped.add(item_lane)
                    continue
                if (
                    (item_lane is not None and item_lane in stopped)
                    or self.breakers.blocks(_pair(item))
                    or self.clock.now() >= batch.send_until  # the claim must outlast the send
                ):
                    continue
                tried.add(item.id)
                result = await self._deliver(item, batch.refs, record_each=record_each)
                attempted += 1
                progressed = True
                delivered += isinstance(result, Mapping)
                if result is FAILED and item_lane is not None:
                    stopped.add(item_lane)
            await self._record_or_stop()
        finally:
            # Whatever ended the batch, claims it did not use are given back (now, or when the
            # database answers again), not left to run out.
            for item in batch.items:
                if item.id in batch.claimed and item.id not in tried:
                    self._unreleased[item.id] = (item.claimed_until, batch.lease_until)
        await self._release()
        return progressed, attempted, delivered

    async def _deliver(
        self, item: OutboxItem, known: dict[tuple[str, str], PlatformRef], *, record_each: bool
    ) -> Mapping[str, PlatformRef] | object:
        """Deliver one claimed item: the refs it produced (added to `known` for the rest of the
        batch), FAILED, or PARKED."""
        wanted = ref_keys(item.effect) + optional_ref_keys(item.effect)
        refs = {key: known[(item.community_id, key)] for key in wanted if (item.community_id, key) in known}
        missing = [key for key in ref_keys(item.effect) if key not in refs]
        notifier = self.notifiers[item.platform]
        try:
            if missing:
                raise RefNotReady(f"waiting for {', '.join(missing)} to be delivered first")
            attempt = Attempt(key=f"outbox:{item.id}", resumed=item.resumed)
            new_refs = await notifier.deliver(item.effect, refs, attempt)
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
        self.recorder.sent(item, new_refs)  # before anything else can fail
        known.update(((item.community_id, key), ref) for key, ref in new_refs.items())
        self.watch.count("delivered")
        if record_each or not absorbs_resend(notifier, item.effect):
            await self._record_or_stop()
        await self._answered(item)
        return new_refs

    async def _record_or_stop(self, *, report: bool = True) -> None:
        """Mark what was sent done; while the database is away, send nothing more until it is."""
        if not await self.recorder.flush(report=report):
            raise ConnectionError("cannot record delivered outbox items yet")

    async def _record_unrecorded(self) -> None:
        await self._record_or_stop(report=False)
        await self._release()

    async def _release(self) -> None:
        """Give back claimed items that were not attempted (see `OutboxRepository.release`)."""
        if not self._unreleased:
            return
        claims = dict(self._unreleased)
        async with self.uow_factory() as uow:
            await uow.outbox.release(claims)
            await uow.commit()
        for item_id in claims:
            self._unreleased.pop(item_id, None)

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
