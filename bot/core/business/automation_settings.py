"""Automations: "when <trigger> then <actions>", configured per community in TOML.

Triggers: `badge:<key>` (the badge is awarded), `level:<level>` (the member reaches that
engagement level), `cql` (the member becomes a community-qualified lead; consenting members
only), `count:<contribution kind>>=<n>` (a metric rule over the trailing window). Actions: a
thank-you DM (`dm`, with {name} and {link}), a beta invite `link`, a platform `role` (a key of the
platform's badge-role mapping), CRM properties (`crm`, consenting members only).
"""

from __future__ import annotations

import re

from pydantic import Field, HttpUrl, field_validator, model_validator

from bot.core.settings_base import StrictModel

TRIGGER = re.compile(
    r"^(badge:[a-z0-9_-]{1,40}|level:(explorer|participant|contributor|advocate)|cql|count:[a-z_]{1,32}>=\d{1,6})$"
)


class Automation(StrictModel):
    """One rule; it fires at most once per member."""

    key: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")
    when: str
    dm: str = Field("", max_length=1500)
    link: HttpUrl | None = None
    role: str = Field("", pattern=r"^([a-z0-9][a-z0-9_-]{0,39})?$")
    crm: dict[str, str] = Field(default_factory=dict)

    @field_validator("when")
    @classmethod
    def _trigger(cls, value: str) -> str:
        if not TRIGGER.match(value):
            raise ValueError(
                "when is badge:<key>, level:<explorer|participant|contributor|advocate>, cql, "
                f"or count:<contribution kind>>=<n>; not {value!r}"
            )
        return value

    @field_validator("crm")
    @classmethod
    def _properties(cls, value: dict[str, str]) -> dict[str, str]:
        bad = [k for k in value if not re.match(r"^[a-z][a-z0-9_]{0,99}$", k)]
        if bad:
            raise ValueError(f"crm property names are lower-case identifiers; not {bad}")
        return value

    @model_validator(mode="after")
    def _does_something(self) -> Automation:
        if not (self.dm or self.link or self.role or self.crm):
            raise ValueError(f"automation {self.key!r} has no action: set dm, link, role or crm")
        return self


SEED_AUTOMATIONS: tuple[Automation, ...] = (
    Automation(
        key="helpful-thanks",
        when="badge:helpful",
        dm=(
            "Thank you, {name}: your answers keep helping people here. As a thank-you, you are invited "
            "to the beta programme: {link}"
        ),
        link=HttpUrl("https://example.com/beta"),
    ),
)
