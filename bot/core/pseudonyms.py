"""Pseudonyms for logs: a member or event id appears as a short keyed hash, never as itself.

The key is made per process and never stored or logged, so within one run the same person reads
the same (a log can be followed), while the log alone cannot be turned back into platform ids.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from bot.core.refs import MemberRef

_KEY = secrets.token_bytes(32)
LENGTH = 10


def pseudonym(value: str) -> str:
    """A short keyed hash of `value`, stable within this process."""
    return "~" + hmac.new(_KEY, value.encode(), hashlib.sha256).hexdigest()[:LENGTH]


def member_pseudonym(ref: MemberRef) -> str:
    """How a member appears in logs: their platform and a pseudonym of their id."""
    return f"{ref.platform}:{pseudonym(ref.user_id)}"
