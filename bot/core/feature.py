"""Features declare what they add; the composition root includes the ones it runs.

A feature package keeps one `Feature`: its modules declare their command handlers, event
subscribers, registry entries and recurring jobs on it (`@feature.command(...)`,
`feature.slash(...)`, `feature.recurring(...)`), and the package's `register(app)` adds them to an
app's `Assembly`. Nothing app-wide is filled by import: each app (the runner, the demo, every
test) builds its own handler table, registry and job list from the features it lists, so two apps
in one process never share state.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from bot.core.commands import Command
from bot.core.events import Event
from bot.core.handlers import CommandHandler, EventHandler, HandlerTable, Preparer
from bot.core.recurring import Recurring
from bot.core.registry import ButtonRoute, Form, MessageAction, Registry, SlashCommand

C = TypeVar("C", bound=Command)
E = TypeVar("E", bound=Event)
H = TypeVar("H", bound=CommandHandler)
S = TypeVar("S", bound=EventHandler)
P = TypeVar("P", bound=Preparer)


@dataclass
class Feature:
    """One feature's declarations, added to an app by `Assembly.include`."""

    name: str
    handlers: HandlerTable = field(default_factory=HandlerTable)
    registry: Registry = field(default_factory=Registry)
    jobs: list[Recurring] = field(default_factory=list)

    def command(self, kind: type[C]) -> Callable[[H], H]:
        """Decorator: this function handles `kind` (exactly one handler per command)."""
        return self.handlers.command(kind)

    def prepare(self, kind: type[C]) -> Callable[[P], P]:
        """Decorator: this function reads and renders for `kind` before its write transaction begins."""
        return self.handlers.prepare(kind)

    def event(self, kind: type[E]) -> Callable[[S], S]:
        """Decorator: this function runs whenever `kind` is emitted."""
        return self.handlers.event(kind)

    def slash(self, entry: SlashCommand) -> SlashCommand:
        return self.registry.slash(entry)

    def form(self, entry: Form) -> Form:
        return self.registry.form(entry)

    def button(self, entry: ButtonRoute) -> ButtonRoute:
        return self.registry.button(entry)

    def message_action(self, entry: MessageAction) -> MessageAction:
        return self.registry.message_action(entry)

    def recurring(self, job: Recurring) -> Recurring:
        """Declare a per-community recurring job (the scheduler runs it for every community)."""
        self.jobs.append(job)
        return job


@dataclass
class Assembly:
    """What an app is built from: one handler table and one registry, filled by `include`."""

    handlers: HandlerTable = field(default_factory=HandlerTable)
    registry: Registry = field(default_factory=Registry)
    features: list[str] = field(default_factory=list)
    jobs: list[Recurring] = field(default_factory=list)

    def include(self, feature: Feature) -> None:
        """Add a feature's handlers and entries; a second handler for one command is an error."""
        if feature.name in self.features:
            raise ValueError(f"feature {feature.name} included twice")
        self.features.append(feature.name)
        self.handlers.merge(feature.handlers)
        self.registry.merge(feature.registry)
        for job in feature.jobs:
            if any(job.name == other.name for other in self.jobs):
                raise ValueError(f"recurring job {job.name} declared twice")
            self.jobs.append(job)


Register = Callable[[Assembly], None]
"""What every feature package exposes as `register`."""
