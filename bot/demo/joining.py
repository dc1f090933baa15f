"""Getting in: the founders' open day, referral codes and invites, applications and moderators.

Everything goes through the platform as a person would do it: a join event, /refer, /join CODE,
/apply and its form, and the moderators' Approve and Reject buttons on the application post they
see in the applications channel (with a reason in the rejection form).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from bot.core.effects import Effect, GrantMemberAccess, PostMessage
from bot.core.events import MemberJoined
from bot.core.gates.referrals import CODE_FIELD
from bot.core.replies import OpenForm, Reply
from bot.demo.community import (
    ANSWERS_HOPING_FOR,
    ANSWERS_WORKING_ON,
    REJECTION_REASONS,
    SPAM_ANSWERS,
    ZONE,
    local,
)
from bot.demo.people import Person, Way
from bot.demo.world import World

WORKDAY = (time(9, 0), time(17, 0))  # moderators decide on weekdays, in office hours …
FRIDAY_OFF = time(14, 0)  # … and leave early on Fridays: what comes in later waits for Monday


class Joining:
    """The ways in, and the moderators who decide applications."""

    def __init__(self, world: World, start: datetime, end: datetime) -> None:
        self.world = world
        self.engine = world.engine
        self.start = start
        self.end = end
        self._spam = {answer for pair in SPAM_ANSWERS for answer in pair}
        world.watch(self.saw)

    def schedule(self) -> None:
        """Put the founding day, every arrival and the opening of applications on the timeline."""
        at = self.engine.at
        at(self.start - timedelta(minutes=5), self.open_founding_day)
        at(local(self.start.astimezone(ZONE).date(), time(18, 0)), self.close_founding_day)
        if self.world.applications_open_at < self.end:
            at(self.world.applications_open_at, self.open_applications)
        for person in self.world.people:
            at(person.arrives_at, self.arrive, person)

    # --- the lead's gate -------------------------------------------------------------------------

    async def open_founding_day(self) -> None:
        """The founders get in on the first day without a code: the lead opens the gate for it."""
        await self.engine.slash(self.world.lead, "gate mode", mode="open")

    async def close_founding_day(self) -> None:
        """Back to the configured gate: referral-only."""
        await self.engine.slash(self.world.lead, "gate mode", mode="config")

    async def open_applications(self) -> None:
        """After the referral-only weeks, newcomers may also apply (codes keep working)."""
        await self.engine.slash(self.world.lead, "gate mode", mode="referral_or_application")

    # --- arriving ----------------------------------------------------------------------------------

    def _joined(self, person: Person, invite: str | None = None) -> MemberJoined:
        return MemberJoined(
            community_id=self.world.community_id,
            member=person.ref,
            at=self.world.now,
            display_name=person.name,
            invite_code=invite,
            invite_confidence="inferred" if invite else None,
        )

    async def arrive(self, person: Person) -> None:
        """Someone shows up: a founder walks in, a referred newcomer first gets a member's code, an
        applicant joins the platform and applies."""
        if person.way is Way.FOUNDER:
            await self.engine.event(self._joined(person))
            return
        if person.way is Way.APPLICATION:
            await self.engine.event(self._joined(person))
            if not person.ghost:
                self.engine.at(
                    self.world.now + timedelta(minutes=self.world.rng.uniform(3, 180)), self.apply, person
                )
            return
        code = await self._code_for(person)
        if code is None:
            if self.world.now >= self.world.applications_open_at:
                person.way = Way.APPLICATION
                await self.arrive(person)
            return
        hours = self.world.rng.uniform(0.5, 30)
        self.engine.at(self.world.now + timedelta(hours=hours), self.follow, person, code)

    async def _code_for(self, person: Person) -> str | None:
        """A member who vouches for the newcomer runs /refer and passes the code on."""
        world = self.world
        for referrer in world.pick(world.present(), _referrer_weight, k=3):
            reply = await self.engine.slash(referrer, "refer")
            code = _field(reply, CODE_FIELD)
            if code:
                return code
        return None

    async def follow(self, person: Person, code: str) -> None:
        """The newcomer follows the personal invite, or joins and types /join CODE."""
        if person.way is Way.INVITE:
            await self.engine.event(self._joined(person, invite=code))
        else:
            await self.engine.event(self._joined(person))
            minutes = self.world.rng.uniform(1, 25)
            self.engine.at(self.world.now + timedelta(minutes=minutes), self.redeem, person, code)
        self.engine.at(self.world.now + timedelta(hours=2), self.still_outside, person)

    async def redeem(self, person: Person, code: str) -> None:
        """/join CODE; now and then a typo first (the bot says what went wrong; the retry works)."""
        if self.world.rng.random() < 0.04:
            typo = ("Q" if code[0] != "Q" else "W") + code[1:]
            await self.engine.slash(person, "join", code=typo)
        await self.engine.slash(person, "join", code=code)

    async def still_outside(self, person: Person) -> None:
        """A code that stopped working (its owner left, it ran out): apply instead, when one can."""
        if person.admitted_at is None and self.world.now >= self.world.applications_open_at:
            await self.apply(person)

    async def apply(self, person: Person) -> None:
        """/apply, then the form with the community's two questions."""
        form = await self.engine.slash(person, "apply")
        if not isinstance(form, OpenForm):
            return
        rng = self.world.rng
        if person.genuine:
            answers = (rng.choice(ANSWERS_WORKING_ON), rng.choice(ANSWERS_HOPING_FOR))
        else:
            answers = rng.choice(SPAM_ANSWERS)
        await self.engine.submit(person, form, {"answer_1": answers[0], "answer_2": answers[1]})

    # --- what people see -----------------------------------------------------------------------

    def saw(self, effect: Effect) -> None:
        """Admissions (the platform grants access) and application posts (moderators take note)."""
        world = self.world
        if isinstance(effect, GrantMemberAccess):
            person = world.by_uid.get(effect.member.user_id)
            if person is not None and person.admitted_at is None:
                person.admitted_at = world.now
                world.tally.admitted += 1
            return
        if not isinstance(effect, PostMessage) or effect.channel != "applications":
            return
        approve = next((a.key for a in effect.actions if a.key.startswith("app:approve:")), None)
        if approve is None:
            return
        application_id = int(approve.rsplit(":", 1)[1])
        spam = any(field.value in self._spam for field in effect.fields)
        world.pending_applications.add(application_id)
        self.engine.at(self._moderator_time(world.now), self.decide, application_id, spam)

    def _moderator_time(self, submitted: datetime) -> datetime:
        """When a moderator gets to it: hours later, in office hours, sometimes days later."""
        rng = self.world.rng
        at = submitted + timedelta(hours=rng.expovariate(1 / 5))
        if rng.random() < 0.1:
            at += timedelta(days=rng.uniform(2, 4))  # it slipped through the cracks
        for _ in range(14):
            wall = at.astimezone(ZONE)
            closes = FRIDAY_OFF if wall.weekday() == 4 else WORKDAY[1]
            if wall.weekday() < 5 and WORKDAY[0] <= wall.time() < closes:
                return at
            day = wall.date() if wall.time() < WORKDAY[0] else wall.date() + timedelta(days=1)
            at = local(day, WORKDAY[0]) + timedelta(minutes=rng.uniform(0, 150))
        return at

    async def decide(self, application_id: int, spam: bool) -> None:
        """A moderator presses Approve, or Reject and gives a reason in the form."""
        world = self.world
        moderator = world.rng.choice(world.moderators)
        world.pending_applications.discard(application_id)
        if not spam:
            await self.engine.press(moderator, f"app:approve:{application_id}")
            return
        form = await self.engine.press(moderator, f"app:reject:{application_id}")
        if isinstance(form, OpenForm):
            await self.engine.submit(moderator, form, {"reason": world.rng.choice(REJECTION_REASONS)})


def _referrer_weight(person: Person) -> float:
    """Engaged members bring in more people; everyone vouches for someone now and then."""
    return 0.01 + min(person.rate, 2.0)


def _field(reply: Reply | OpenForm, name: str) -> str | None:
    if isinstance(reply, Reply):
        return next((f.value for f in reply.fields if f.name == name), None)
    return None
