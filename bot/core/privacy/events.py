"""Events of privacy: what other features react to."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.events import Event
from bot.core.refs import MemberRef


@dataclass(frozen=True, kw_only=True)
class MemberErased(Event):
    """A person's data was erased here; features that sent it elsewhere ask for it back."""

    member: MemberRef
