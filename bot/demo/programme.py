"""The programme and the feedback loop as members live them: RSVPs to announcements, AMA questions
and upvotes, "I'm here" at the start, the host ticking questions off, showcase entries, ideas with
votes, and the lead moving the most wanted idea to planned and then shipped.

Members only press what the bot showed them: the buttons on the posts delivered to the fake
platform (announcements, questions, the live AMA post, idea posts).
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime, timedelta

from bot.core.effects import Effect, PostMessage
from bot.core.programming.ports import OccurrenceRepository
from bot.core.replies import OpenForm, Reply
from bot.core.text import mentions_in
from bot.demo.community import AMA_QUESTIONS, IDEAS, SHOWCASE_ENTRIES, SHOWCASE_LINK
from bot.demo.people import Person
from bot.demo.world import World

SHOWCASE_TITLE = "Built with Orbit"
_ANNOUNCEMENT = re.compile(r"^occurrence:(\d+)$")


def _interest(person: Person, now: datetime) -> float:
    """How likely someone is to come to an event: the engaged, mostly."""
    return min(0.7, 0.01 + 0.5 * person.engagement(now))


class Programme:
    """AMAs, showcases and ideas."""

    def __init__(self, world: World, start: datetime) -> None:
        self.world = world
        self.engine = world.engine
        self.start = start
        self._announced: set[int] = set()
        self._started: set[int] = set()
        self._ama_start: datetime | None = None
        self._expected: dict[int, tuple[list[Person], list[Person]]] = {}  # occurrence: going, maybe
        self._ideas_seen: set[int] = set()
        self._voted: set[tuple[int, str]] = set()
        self.idea_votes: Counter[int] = Counter()
        self._planned: int | None = None
        self._idea_pool = list(IDEAS)
        world.rng.shuffle(self._idea_pool)
        world.watch(self.saw)

    def schedule(self) -> None:
        """Ideas start in the second week; the lead triages them every three weeks."""
        self.engine.at(self.start + timedelta(days=8, hours=3), self.ideas_week)
        self.engine.at(self.start + timedelta(weeks=3, hours=5), self.triage)

    # --- what members see --------------------------------------------------------------------

    def saw(self, effect: Effect) -> None:
        """React to announcements, queued questions, the start of a session and new ideas."""
        if not isinstance(effect, PostMessage):
            return
        keys = [action.key for action in effect.actions]
        found = _ANNOUNCEMENT.match(effect.message_key or "")
        if found and int(found.group(1)) not in self._announced:
            occurrence_id = int(found.group(1))
            self._announced.add(occurrence_id)
            showcase = SHOWCASE_TITLE in (effect.title or "")
            self.engine.at(self.world.now, self.announced, occurrence_id, showcase)
            return
        for key in keys:
            area, verb, ident = key.split(":", 2)
            if (area, verb) == ("ama", "vote"):
                self._votes_for_question(key, {ref.user_id for ref in mentions_in(effect.text)})
            elif (area, verb) == ("rsvp", "here") and int(ident) not in self._started:
                self._started.add(int(ident))
                self._session_started(int(ident), [k for k in keys if k.startswith("ama:answered:")])
            elif (area, verb) == ("idea", "vote") and int(ident) not in self._ideas_seen:
                self._ideas_seen.add(int(ident))
                authors = {ref.user_id for ref in mentions_in(effect.text)}
                self._votes_for_idea(int(ident), authors)

    async def announced(self, occurrence_id: int, showcase: bool) -> None:
        """An announcement with RSVP buttons: people answer over the week; questions or entries come in."""
        world, now = self.world, self.world.now
        async with world.engine.app.uow_factory() as uow:  # read when it starts, as the post says
            occurrence = await uow.repo(OccurrenceRepository).get(occurrence_id)
        if occurrence is None:
            return
        starts = occurrence.starts_at
        going: list[Person] = []
        maybe: list[Person] = []
        for person in world.present():
            chance, draw = _interest(person, now), world.rng.random()
            if draw < chance:
                answer = "going" if draw < 0.75 * chance else "maybe"
                (going if answer == "going" else maybe).append(person)
                at = world.between(now, starts - timedelta(minutes=30))
                self.engine.at(at, self.rsvp, person, occurrence_id, answer)
        self._expected[occurrence_id] = (going, maybe)
        members = len(world.present())
        if showcase:
            entries = min(6, world.poisson(2 + members / 150))
            for person in world.pick(world.present(), lambda p: p.engagement(now), k=entries):
                at = world.between(now + timedelta(hours=1), starts - timedelta(hours=2))
                self.engine.at(at, self.enter_showcase, person)
        else:
            self._ama_start = starts
            questions = min(len(AMA_QUESTIONS), world.poisson(2 + members / 80))
            for text in world.rng.sample(AMA_QUESTIONS, questions):
                asker = world.pick(world.present(), lambda p: p.engagement(now) + 0.01)
                if asker:
                    at = world.between(now + timedelta(hours=1), starts - timedelta(hours=1))
                    self.engine.at(at, self.ask, asker[0], text)

    async def rsvp(self, person: Person, occurrence_id: int, answer: str) -> None:
        if person.present:
            await self.engine.press(person, f"rsvp:{answer}:{occurrence_id}")

    async def ask(self, person: Person, text: str) -> None:
        if person.present:
            await self.engine.slash(person, "ama", question=text)

    def _votes_for_question(self, key: str, askers: set[str]) -> None:
        world, starts = self.world, self._ama_start
        if starts is None or world.now >= starts:
            return
        now = world.now
        members = [p for p in world.present() if p.uid not in askers]
        voters = world.pick(members, lambda p: p.engagement(now), k=world.poisson(1.5 + len(members) / 100))
        for voter in voters:
            self.engine.at(
                world.between(now, starts - timedelta(minutes=5)), self.press_if_present, voter, key
            )

    async def press_if_present(self, person: Person, key: str) -> None:
        if person.present:
            await self.engine.press(person, key)

    def _session_started(self, occurrence_id: int, answered_keys: list[str]) -> None:
        """People check in with "I'm here"; at an AMA the host works through the top questions."""
        world = self.world
        going, maybe = self._expected.get(occurrence_id, ([], []))
        for people, chance in ((going, 0.7), (maybe, 0.35)):
            for person in people:
                if world.rng.random() < chance:
                    at = world.now + timedelta(minutes=world.rng.uniform(0, 25))
                    self.engine.at(at, self.press_if_present, person, f"rsvp:here:{occurrence_id}")
        for number, key in enumerate(answered_keys[:5], start=1):
            at = world.now + timedelta(minutes=9 * number)
            self.engine.at(at, self.press_if_present, world.lead, key)

    async def enter_showcase(self, person: Person) -> None:
        if not person.present:
            return
        title, description = self.world.rng.choice(SHOWCASE_ENTRIES)
        slug = f"{title.lower().replace(' ', '-')}-{person.uid}"
        await self.engine.slash(
            person, "showcase", title=title, link=SHOWCASE_LINK.format(slug=slug), description=description
        )

    # --- ideas -----------------------------------------------------------------------------------

    async def ideas_week(self) -> None:
        """A member or two suggest an idea; similar ones get a vote instead, now and then."""
        world, now = self.world, self.world.now
        for author in world.pick(world.present(), lambda p: p.engagement(now), k=world.poisson(1.2)):
            if not self._idea_pool:
                break
            title, details, area = self._idea_pool.pop()
            self.engine.at(
                world.between(now, now + timedelta(days=5)), self.suggest, author, title, details, area
            )
        self.engine.at(now + timedelta(weeks=1), self.ideas_week)

    async def suggest(self, author: Person, title: str, details: str, area: str) -> None:
        if not author.present:
            return
        form = await self.engine.slash(author, "idea")
        if not isinstance(form, OpenForm):
            return
        reply = await self.engine.submit(author, form, {"title": title, "details": details, "area": area})
        if isinstance(reply, Reply) and reply.actions:  # similar ideas: vote for one, or file anyway
            choice = reply.actions[0] if self.world.rng.random() < 0.5 else reply.actions[-1]
            await self.engine.press(author, choice.key)

    def _votes_for_idea(self, idea_id: int, authors: set[str]) -> None:
        world, now = self.world, self.world.now
        members = [p for p in world.present() if p.uid not in authors]
        voters = world.pick(
            members, lambda p: p.engagement(now) + 0.005, k=world.poisson(2 + len(members) / 40)
        )
        for voter in voters:
            self.engine.at(world.between(now, now + timedelta(days=6)), self.vote_idea, voter, idea_id)

    async def vote_idea(self, person: Person, idea_id: int) -> None:
        """Upvote (pressing again would withdraw the vote, so each voter presses once)."""
        if person.present and (idea_id, person.uid) not in self._voted:
            self._voted.add((idea_id, person.uid))
            await self.engine.press(person, f"idea:vote:{idea_id}")
            self.idea_votes[idea_id] += 1

    async def triage(self) -> None:
        """The lead plans the most wanted idea, and ships the one planned last time."""
        lead = self.world.lead
        if self._planned is not None:
            await self.engine.slash(lead, "ideas status", id=self._planned, status="shipped")
            self.idea_votes.pop(self._planned, None)
            self._planned = None
        if self.idea_votes:
            top = min(self.idea_votes, key=lambda idea: (-self.idea_votes[idea], idea))
            await self.engine.slash(lead, "ideas status", id=top, status="planned")
            self.idea_votes.pop(top)
            self._planned = top
        self.engine.at(self.world.now + timedelta(weeks=3), self.triage)
