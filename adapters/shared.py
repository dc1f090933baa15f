"""What the Discord and Slack adapters both need: replay suppression for event ids."""

from __future__ import annotations

from collections import OrderedDict


class RecentIds:
    """Event ids seen lately, so a replayed or retried event is handled once (bounded memory)."""

    def __init__(self, size: int = 20_000) -> None:
        self.size = size
        self._seen: OrderedDict[str, None] = OrderedDict()

    def claim(self, key: str) -> bool:
        """True the first time `key` is seen (among the last `size`)."""
        if key in self._seen:
            self._seen.move_to_end(key)
            return False
        self._seen[key] = None
        if len(self._seen) > self.size:
            self._seen.popitem(last=False)
        return True

    def release(self, key: str) -> None:
        """Forget `key` (its handling failed; a retry should get through)."""
        self._seen.pop(key, None)
