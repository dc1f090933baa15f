"""The handler table: which function handles each command and event."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from bot.core.commands import Command
from bot.core.events import Event
from bot.core.registry import Built
from bot.core.replies import Reply

if TYPE_CHECKING:
    from bot.core.context import Context

C = TypeVar("C", bound=Command)
E = TypeVar("E", bound=Event)
CommandHandler = Callable[[Any, "Context"], Awaitable[Reply | Built]]
EventHandler = Callable[[Any, "Context"], Awaitable[None]]
H = TypeVar("H", bound=CommandHandler)
S = TypeVar("S", bound=EventHandler)


class HandlerTable:
    """Commands have exactly one handler; events have any number of subscribers."""

    def __init__(self) -> None:
        self.commands: dict[type[Command], CommandHandler] = {}
        self.events: dict[type[Event], list[EventHandler]] = {}

    def command(self, kind: type[C]) -> Callable[[H], H]:
        """Decorator: this function handles `kind`."""

        def register(fn: H) -> H:
            if kind in self.commands:
                raise ValueError(f"{kind.__name__} already has a handler")
            self.commands[kind] = fn
            return fn

        return register

    def event(self, kind: type[E]) -> Callable[[S], S]:
        """Decorator: this function runs whenever `kind` is emitted or received."""

        def register(fn: S) -> S:
            self.events.setdefault(kind, []).append(fn)
            return fn

        return register

    def merge(self, other: HandlerTable) -> None:
        """Add another table's handlers; a command handled twice is an error."""
        for kind, fn in other.commands.items():
            self.command(kind)(fn)
        for event_kind, subscribers in other.events.items():
            self.events.setdefault(event_kind, []).extend(subscribers)
