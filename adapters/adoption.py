"""Adopting a platform's existing members, page by page, the same way on Discord and Slack.

A platform module lists the people who count as members (Discord: holders of the member, moderator
or lead role; Slack: members of the member channels and staff user groups) as pages of
`ExistingMember`; `adopt_pages` sends each page to the bus as one AdoptMembers command (one
transaction per page: a 50,000-member server is 50 short transactions, never all in memory) and
CompleteAdoption at the end. `townsquare run` does it at start; `townsquare members import` on demand.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

from bot.core.bus import Bus
from bot.core.gates.commands import AdoptMembers, CompleteAdoption, ExistingMember
from bot.core.replies import Reply

log = logging.getLogger("townsquare.adoption")


@dataclass
class AdoptionReport:
    """What one adoption run found and changed in one community."""

    community_id: str
    listed: int = 0  # people the platform listed (bots included)
    adopted: int = 0  # newly admitted (or, in a dry run, who would be)
    pages: int = 0
    dry_run: bool = False
    founding: int = 0  # new founding members (by join date; [gate] founding_from_existing)

    def line(self) -> str:
        """One line for the operator: `members import` prints it, `run` logs it."""
        verb = "would adopt" if self.dry_run else "adopted"
        text = f"{self.community_id}: {verb} {self.adopted} of {self.listed} existing people"
        text += f" ({self.pages} pages)"
        return f"{text}; {self.founding} new founding member(s)" if self.founding else text


async def adopt_pages(
    bus: Bus,
    community_id: str,
    pages: AsyncIterator[Sequence[ExistingMember]],
    *,
    dry_run: bool = False,
) -> AdoptionReport:
    """Send every page to the bus, then complete the adoption (founding members by join date)."""
    report = AdoptionReport(community_id, dry_run=dry_run)
    async for page in pages:
        if not page:
            continue
        reply = await bus.handle(
            AdoptMembers(community_id=community_id, members=tuple(page), dry_run=dry_run)
        )
        report.pages += 1
        report.listed += len(page)
        report.adopted += _reply(reply).count("adopted")
    if not dry_run:
        done = await bus.handle(CompleteAdoption(community_id=community_id))
        report.founding = _reply(done).count("founding")
    log.info("%s", report.line())
    return report


def _reply(result: object) -> Reply:
    """The bus's answer; a refusal (a private reply without counts) is an error here."""
    if not isinstance(result, Reply) or not result.counts:
        raise RuntimeError(f"adoption refused: {getattr(result, 'text', result)!r}")
    return result
