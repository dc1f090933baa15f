"""A notifier that only logs: `townsquare run --dry-run` runs the whole core without a platform."""

from __future__ import annotations

import itertools
import logging
from collections.abc import Mapping

from bot.core.effects import CreateScheduledEvent, Effect, OpenPrivateSpace, PostMessage
from bot.core.ports import Attempt, PlatformRef

log = logging.getLogger("townsquare.dry-run")


class LoggingNotifier:
    """Logs each effect's kind and target (never its text) and pretends it was delivered."""

    def __init__(self, platform: str) -> None:
        self.platform = platform
        self._ids = itertools.count(1)

    async def deliver(
        self, effect: Effect, refs: Mapping[str, PlatformRef], attempt: Attempt | None = None
    ) -> Mapping[str, PlatformRef]:
        log.info("would carry out %s for %s", effect.kind, effect.community_id)
        if isinstance(effect, PostMessage) and effect.message_key:
            return {effect.message_key: PlatformRef(effect.channel, f"dry-{next(self._ids)}")}
        if isinstance(effect, OpenPrivateSpace):
            return {effect.space_key: PlatformRef(f"dry-space-{next(self._ids)}")}
        if isinstance(effect, CreateScheduledEvent):  # so cancelling it later finds something
            return {effect.event_key: PlatformRef(effect.channel, f"dry-event-{next(self._ids)}")}
        return {}
