"""The handler table: which function handles each command and event."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from bot.core.commands import Command
from bot.core.context import Context
from bot.core.events import Event
from bot.core.registry import Built
from bot.core.replies import Reply

C = TypeVar("C", bound=Command)
E = TypeVar("E", bound=Event)
CommandHandler = Callable[[Any, Context], Awaitable[Reply | Built]]
EventHandler = Callable[[Any, Context], Awaitable[None]]


class HandlerTable:
    """Commands have exactly one handler; events have any number of subscribers."""

    def __init__(self) -> None:
        self.commands: dict[type[Command], CommandHandler] = {}
        self.events: dict[type[Event], list[EventHandler]] = {}

    def command(self, kind: type[C]) -> Callable[[CommandHandler], CommandHandler]:
        """Decorator: this function handles `kind`."""

        def register(fn: CommandHandler) -> CommandHandler:
            if kind in self.commands:
                raise ValueError(f"{kind.__name__} already has a handler")
            self.commands[kind] = fn
            return fn

        return register

    def event(self, kind: type[E]) -> Callable[[EventHandler], EventHandler]:
        """Decorator: this function runs whenever `kind` is emitted or received."""

        def register(fn: EventHandler) -> EventHandler:
            self.events.setdefault(kind, []).append(fn)
            return fn

        return register


HANDLERS = HandlerTable()
