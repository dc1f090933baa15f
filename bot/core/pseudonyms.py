"""Keyed hashes, so ids are stored and logged as something that cannot be read back.

In logs a member or event id appears as a short hash under a key made per process and never stored
or logged: within one run the same person reads the same (a log can be followed), while the log alone
cannot be turned back into platform ids. In the database, keys that must stay unique but may carry
a user id (platform event ids) are stored as `keyed_hash` under the community's privacy salt.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from bot.core.refs import MemberRef

_KEY = secrets.token_bytes(32)
LENGTH = 10


def keyed_hash(salt: str, value: str, length: int = 40) -> str:
    """An HMAC-SHA256 of `value` under `salt` (a community's privacy salt), hex, cut to `length`."""
    return hmac.new(salt.encode(), value.encode(), hashlib.sha256).hexdigest()[:length]


def pseudonym(value: str) -> str:
    """A short keyed hash of `value`, stable within this process."""
    return "~" + hmac.new(_KEY, value.encode(), hashlib.sha256).hexdigest()[:LENGTH]


def member_pseudonym(ref: MemberRef) -> str:
    """How a member appears in logs: their platform and a pseudonym of their id."""
    return f"{ref.platform}:{pseudonym(ref.user_id)}"
