"""A platform for the relay's fault tests: it can be down (answering 5xx), and like Discord with a
message nonce it makes one message per attempt key however often it is sent. With `absorbs` it tells
the relay so, and the relay batches the done marks of its deliveries (bot/relay_record.py)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field

from bot.core.effects import DirectMessage, EditMessage, Effect, PostMessage, lane
from bot.core.ports import Attempt, DeliveryError, PlatformRef


class Crash(BaseException):
    """The relay's process dies right after the platform made a message (nothing can catch it)."""


@dataclass
class SimPlatform:
    platform: str = "fake"
    down: bool = False
    fail_next: int = 0  # single failures (one 5xx), the platform otherwise up
    absorbs: bool = False  # says that a resend is absorbed (the relay then records in batches)
    crash_after: int | None = None  # this many more sends land, then the next one lands and Crash
    calls: int = 0  # every call, failed or not
    sends: list[str] = field(default_factory=list)  # attempt keys of calls that reached the platform
    landed: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))  # lane -> texts
    messages: dict[str, str] = field(default_factory=dict)
    _by_key: dict[str, Mapping[str, PlatformRef]] = field(default_factory=dict)

    async def deliver(
        self, effect: Effect, refs: Mapping[str, PlatformRef], attempt: Attempt | None = None
    ) -> Mapping[str, PlatformRef]:
        self.calls += 1
        if self.fail_next > 0:
            self.fail_next -= 1
            raise DeliveryError("the platform answered 502 once", retryable=True)
        if self.down:
            raise DeliveryError("the platform answered 503", retryable=True)
        assert attempt is not None
        self.sends.append(attempt.key)
        if attempt.key in self._by_key:  # the nonce: the message made the first time
            return self._by_key[attempt.key]
        made: Mapping[str, PlatformRef] = {}
        if isinstance(effect, PostMessage | DirectMessage):
            self.landed[lane(effect) or ""].append(effect.text)
        if isinstance(effect, PostMessage) and effect.message_key:
            message_id = f"m{len(self.messages)}"
            self.messages[message_id] = effect.text
            made = {effect.message_key: PlatformRef(effect.channel, message_id)}
        if isinstance(effect, EditMessage):
            self.messages[refs[effect.message_key].message_id or ""] = effect.text
            self.landed[f"edit:{effect.message_key}"].append(effect.text)
        self._by_key[attempt.key] = made
        if self.crash_after is not None:
            self.crash_after -= 1
            if self.crash_after < 0:
                self.crash_after = None
                raise Crash
        return made

    def absorbs_resend(self, effect: Effect) -> bool:
        return self.absorbs

    def duplicates(self) -> int:
        """Sends that repeated an earlier one (absorbed by the nonce)."""
        return len(self.sends) - len(set(self.sends))
