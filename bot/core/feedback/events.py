"""Domain events of feedback: other features react to these on the bus."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.core.events import Event
from bot.core.refs import MemberRef


@dataclass(frozen=True, kw_only=True)
class IdeaShipped(Event):
    """A lead marked an idea shipped. `author` is set while its author is still a member (badges award
    the idea-shipped badges to them)."""

    idea_id: int
    author_id: int | None
    author: MemberRef | None
    at: datetime
