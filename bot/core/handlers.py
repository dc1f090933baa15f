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
Preparer = Callable[[Any, "Context"], Awaitable[object]]
"""Runs before a command's transaction, on a read-only unit of work: the slow reading and rendering
(the digest and its chart), so the write transaction that follows is short. Its result is the
handler's `ctx.prepared`; it writes nothing."""
H = TypeVar("H", bound=CommandHandler)
S = TypeVar("S", bound=EventHandler)
P = TypeVar("P", bound=Preparer)


class HandlerTable:
    """Commands have exactly one handler; events have any number of subscribers."""

    def __init__(self) -> None:
        self.commands: dict[type[Command], CommandHandler] = {}
        self.events: dict[type[Event], list[EventHandler]] = {}
        self.preparers: dict[type[Command], Preparer] = {}

    def command(self, kind: type[C]) -> Callable[[H], H]:
        """Decorator: this function handles `kind`."""

        def register(fn: H) -> H:
            if kind in self.commands:
                raise ValueError(f"{kind.__name__} already has a handler")
            self.commands[kind] = fn
            return fn

        return register

    def prepare(self, kind: type[C]) -> Callable[[P], P]:
        """Decorator: this function prepares `kind` outside its write transaction (at most one)."""

        def register(fn: P) -> P:
            if kind in self.preparers:
                raise ValueError(f"{kind.__name__} already has a preparer")
            self.preparers[kind] = fn
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
        for kind, prep in other.preparers.items():
            self.prepare(kind)(prep)
        for event_kind, subscribers in other.events.items():
            self.events.setdefault(event_kind, []).extend(subscribers)
