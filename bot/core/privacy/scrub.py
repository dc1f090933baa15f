"""What erasure does to stored text: the member's id, mentions and names become "a former member".

Text that outlives an erasure (someone else's idea, a delivered report that credits the member, an
election post, an outbox error) must not name them. A `Scrubber` finds the member's mention token,
their bare platform id and their names, and rewrites them; keys that must stay unique (event ids,
dedupe keys) are replaced by a keyed hash instead, so they still dedupe but say nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from bot.core.pseudonyms import keyed_hash
from bot.core.refs import MemberRef
from bot.core.text import mention

FORMER_MEMBER = "a former member"
MIN_ID_LENGTH = 6  # real platform ids are 9 (Slack) to 20 (Discord) characters: shorter is no id
MIN_NAME_LENGTH = 2
REF_FIELDS = ("platform", "user_id")


def _word(text: str) -> str:
    """`text` as a regex that matches it only as a whole word (not inside a longer word)."""
    return r"(?<![\w])" + re.escape(text) + r"(?![\w])"


@dataclass(frozen=True)
class Scrubber:
    """Finds one member in stored text: by mention token and platform id always, by name in free text."""

    ref: MemberRef
    names: tuple[str, ...] = ()
    salt: str = ""
    _ids: re.Pattern[str] = field(init=False, repr=False, compare=False)
    _names: re.Pattern[str] | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        ids = [re.escape(mention(self.ref))]
        if len(self.ref.user_id) >= MIN_ID_LENGTH:
            # bare, or inside a platform's own mention syntax (<@123>, <@!123>, <@U123|name>)
            ids.insert(0, r"<@!?" + re.escape(self.ref.user_id) + r"(?:\|[^>]*)?>")
            ids.append(_word(self.ref.user_id))
        object.__setattr__(self, "_ids", re.compile("|".join(ids)))
        names = sorted({n for n in self.searched_names}, key=len)
        pattern = "|".join(_word(n) for n in reversed(names))
        object.__setattr__(self, "_names", re.compile(pattern, re.IGNORECASE) if pattern else None)

    @property
    def searched_names(self) -> tuple[str, ...]:
        """The names looked for: long enough to mean someone, and not words of the replacement itself."""
        neutral = FORMER_MEMBER.casefold().split()
        return tuple(
            n.strip()
            for n in self.names
            if len(n.strip()) >= MIN_NAME_LENGTH and n.strip().casefold() not in neutral
        )

    @property
    def id_needles(self) -> tuple[str, ...]:
        """Substrings that may carry the member's id (for SQL prefilters; `has_id` decides)."""
        found = [mention(self.ref)]
        if len(self.ref.user_id) >= MIN_ID_LENGTH:
            found.append(self.ref.user_id)
        return tuple(found)

    @property
    def needles(self) -> tuple[str, ...]:
        """Substrings that may carry the member's id or one of their names (for SQL prefilters)."""
        return self.id_needles + self.searched_names

    def has_id(self, text: str) -> bool:
        """True when `text` carries the member's id or mention token."""
        return self._ids.search(text) is not None

    def text(self, text: str, *, names: bool = True) -> str:
        """`text` with every mention, id (and, in free text, name) of the member made neutral."""
        text = self._ids.sub(FORMER_MEMBER, text)
        if names and self._names is not None:
            text = self._names.sub(FORMER_MEMBER, text)
        return text

    def key(self, value: str, length: int = 40) -> str:
        """A key (event id, dedupe key) that carries the member's id, as a keyed hash; others as they are."""
        return keyed_hash(self.salt, value, length) if self.has_id(value) else value

    def is_ref(self, value: Any) -> bool:
        """True for a stored MemberRef ({"platform": ..., "user_id": ...}) that is this member."""
        return (
            isinstance(value, dict)
            and value.get("platform") == self.ref.platform
            and value.get("user_id") == self.ref.user_id
        )
