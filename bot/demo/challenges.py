"""A community challenge as members live it: the lead starts "Write a how-to" three weeks before the
end, the engaged press Join on the announcement, some submit, a moderator confirms."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.core.effects import Effect, PostMessage
from bot.demo.people import Person
from bot.demo.world import World

TITLE = "Write a how-to for the docs"


class Challenges:
    """One challenge, started by the lead; members only press what the announcement shows them."""

    def __init__(self, world: World, start: datetime, end: datetime) -> None:
        self.world = world
        self.engine = world.engine
        self.starts = max(start + timedelta(days=1), end - timedelta(weeks=3))
        self._seen: set[str] = set()
        world.watch(self.saw)

    def schedule(self) -> None:
        """The lead starts the challenge on a weekday morning."""
        self.engine.at(self.starts, self.start_challenge)

    async def start_challenge(self) -> None:
        await self.engine.slash(self.world.lead, "challenge new", title=TITLE, days=28)

    def saw(self, effect: Effect) -> None:
        """The announcement's Join button: the engaged join over the next days."""
        if not isinstance(effect, PostMessage):
            return
        world, now = self.world, self.world.now
        for key in (a.key for a in effect.actions if a.key.startswith("challenge:join:")):
            if key in self._seen:
                continue
            self._seen.add(key)
            joiners = world.pick(
                world.present(), lambda p: p.engagement(now), k=world.poisson(3 + len(world.present()) / 40)
            )
            for person in joiners:
                self.engine.at(world.between(now, now + timedelta(days=3)), self.join, person, key)

    async def join(self, person: Person, key: str) -> None:
        if not person.present:
            return
        await self.engine.press(person, key)
        if self.world.rng.random() < 0.5:
            now = self.world.now
            at = self.world.between(now + timedelta(days=2), now + timedelta(days=12))
            self.engine.at(at, self.submit, person, int(key.rsplit(":", 1)[1]))

    async def submit(self, person: Person, challenge_id: int) -> None:
        if person.present:
            await self.engine.slash(person, "challenge submit", id=challenge_id)
            self.engine.at(self.world.now + timedelta(hours=20), self.confirm, person, challenge_id)

    async def confirm(self, person: Person, challenge_id: int) -> None:
        moderator = self.world.moderators[0] if self.world.moderators else self.world.lead
        await self.engine.slash(moderator, "challenge complete", id=challenge_id, member=person.ref)
