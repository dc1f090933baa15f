"""Day-to-day life: messages, reactions, answers marked helpful, newcomers' first posts, nudges
that work (sometimes), members drifting away and leaving.

Messages and reactions are platform facts for the contribution ingest (metadata only: who, where,
when); "Mark helpful" is the message action a member uses on an answer that helped them; a
departure is the platform's MemberLeft event.
"""

from __future__ import annotations

import itertools
from bisect import bisect_left
from datetime import datetime, time, timedelta
from itertools import accumulate

from bot.core.cohorts.milestones import NUDGE
from bot.core.effects import DirectMessage, Effect, GrantMemberAccess, OpenPrivateSpace
from bot.core.events import MemberLeft, MessagePosted, ReactionAdded
from bot.core.registry import MessageTarget
from bot.demo.community import ZONE, local
from bot.demo.people import DAY_WEIGHTS, Person
from bot.demo.world import World

CHANNELS = ("general", "help", "random", "show-and-tell")
CHANNEL_WEIGHTS = (0.4, 0.35, 0.2, 0.05)
HELP = "help"
NUDGED = f"It's day {NUDGE} with"  # the start of the day-3 nudge a newcomer gets by DM
NEWCOMER_DAYS = 21


class Activity:
    """Posting, reacting, helping, leaving."""

    def __init__(self, world: World, start: datetime) -> None:
        self.world = world
        self.engine = world.engine
        self.start = start
        self._ids = itertools.count(1)
        self._crowd: list[Person] = []
        self._cumulative: list[float] = []
        self._newcomers: list[Person] = []
        self._leaving: set[str] = set()
        world.watch(self.saw)

    def schedule(self) -> None:
        """The first day starts with the founders; the ingest flushes every few hours."""
        self.engine.at(self.start, self.day)
        self.engine.at(self.start, self.engine.every_few_hours)

    # --- a day -----------------------------------------------------------------------------------

    async def day(self) -> None:
        """Plan today's messages and reactions, and who leaves today; then plan tomorrow."""
        world, now = self.world, self.world.now
        today = now.astimezone(ZONE).date()
        tomorrow = local(today + timedelta(days=1), time(0, 0))
        present = world.present()
        self._crowd = present
        self._cumulative = list(accumulate(p.engagement(now) + 0.005 for p in present))
        self._newcomers = [
            p for p in present if p.admitted_at and now - p.admitted_at < timedelta(days=NEWCOMER_DAYS)
        ]
        busy = DAY_WEIGHTS[today.weekday()]
        for person in present:
            self._plan_leaving(person, tomorrow)
            for _ in range(world.poisson(person.engagement(now) * busy)):
                at = world.moment_on(now)
                if at > now:
                    self.post(person, at)
        self.engine.at(tomorrow, self.day)

    def post(self, person: Person, at: datetime, channel: str | None = None) -> None:
        """A message, the reactions it gets, and sometimes an answer someone marks helpful."""
        world = self.world
        rng = world.rng
        channel = channel or rng.choices(CHANNELS, CHANNEL_WEIGHTS)[0]
        in_thread = channel == HELP and rng.random() < 0.6
        message_id = str(next(self._ids))
        self.engine.fact(
            MessagePosted(
                community_id=world.community_id,
                member=person.ref,
                channel_id=channel,
                message_id=message_id,
                at=at,
                in_thread=in_thread,
            ),
            at,
        )
        person.posts += 1
        world.tally.posters.add(person.uid)
        for _ in range(world.poisson(0.6)):
            reactor = self._someone(exclude=person)
            if reactor is not None:
                when = at + timedelta(minutes=rng.expovariate(1 / 90))
                self.engine.fact(
                    ReactionAdded(
                        community_id=world.community_id,
                        member=reactor.ref,
                        channel_id=channel,
                        message_id=message_id,
                        at=when,
                        message_author=person.ref,
                    ),
                    when,
                )
        if in_thread and rng.random() < 0.08 + 0.3 * person.helpfulness:
            helped = self._helped(exclude=person)
            if helped is not None:
                when = at + timedelta(minutes=rng.expovariate(1 / 180))
                self.engine.at(when, self.mark_helpful, helped, message_id, person)

    def _someone(self, exclude: Person) -> Person | None:
        """Someone around today, the engaged more likely (lurkers react now and then too)."""
        if not self._crowd:
            return None
        for _ in range(3):
            mark = self.world.rng.random() * self._cumulative[-1]
            person = self._crowd[min(bisect_left(self._cumulative, mark), len(self._crowd) - 1)]
            if person is not exclude and person.present:
                return person
        return None

    def _helped(self, exclude: Person) -> Person | None:
        """Who asked the question an answer helped: often a newcomer."""
        if self._newcomers and self.world.rng.random() < 0.5:
            person = self.world.rng.choice(self._newcomers)
            if person is not exclude and person.present:
                return person
        return self._someone(exclude)

    async def mark_helpful(self, helped: Person, message_id: str, author: Person) -> None:
        """The member who was helped uses "Mark helpful" on the answer."""
        if not helped.present:
            return
        target = MessageTarget(
            channel_id=HELP,
            message_id=message_id,
            author=author.ref,
            author_is_staff=author.is_staff,
            reply_to=helped.ref,  # the answer replies to the question the helped member asked
            channel_name=HELP,
        )
        await self.engine.message_action(helped, "mark_helpful", target)

    # --- arriving, waking up, leaving ----------------------------------------------------------

    def saw(self, effect: Effect) -> None:
        """A newcomer let in plans a first post; a nudged lurker may finally say hello."""
        world = self.world
        if isinstance(effect, OpenPrivateSpace):
            world.cohorts += 1
        elif isinstance(effect, GrantMemberAccess):
            person = world.by_uid.get(effect.member.user_id)
            if person is not None and person.rate > 0 and person.admitted_at == world.now:
                self.engine.at(world.now + timedelta(days=person.first_post_days), self.first_post, person)
        elif isinstance(effect, DirectMessage) and effect.text.startswith(NUDGED):
            person = world.by_uid.get(effect.member.user_id)
            if person is not None and person.posts == 0 and world.rng.random() < 0.2:
                person.woken = True
                hours = world.rng.uniform(1, 24)
                self.engine.at(world.now + timedelta(hours=hours), self.first_post, person)

    async def first_post(self, person: Person) -> None:
        """Hello in #introductions (once: a nudge and a slow start may both lead here)."""
        if person.present and person.posts == 0:
            if person.woken and person.admitted_at is not None:
                person.first_post_days = (self.world.now - person.admitted_at).total_seconds() / 86_400
            self.post(person, self.world.now, channel="introductions")

    def _plan_leaving(self, person: Person, tomorrow: datetime) -> None:
        if person.leave_after_days is None or person.admitted_at is None or person.uid in self._leaving:
            return
        leaves_at = person.admitted_at + timedelta(days=person.leave_after_days)
        if leaves_at < tomorrow:
            self._leaving.add(person.uid)
            self.engine.at(max(leaves_at, self.world.now), self.leave, person)

    async def leave(self, person: Person) -> None:
        """They leave the server or workspace."""
        if not person.present:
            return
        await self.engine.event(
            MemberLeft(community_id=self.world.community_id, member=person.ref, at=self.world.now)
        )
        person.left_at = self.world.now
        self.world.tally.left += 1
