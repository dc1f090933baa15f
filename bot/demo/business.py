"""The business side of the simulated community: members agree (or not) to the business link, some
ask about pricing or integrations and ask to talk to the team, the community NPS survey gets
answers, and at the end the business shares its customer file (sign-ups, customers, churn).

Everything goes through the real bot: slash commands, buttons, forms, the ingest and the import
command `townsquare customers import` uses.
"""

from __future__ import annotations

import itertools
from datetime import datetime, time, timedelta

from bot.core.business.commands import ImportCustomerFacts, InboundFact
from bot.core.effects import DirectMessage, Effect
from bot.core.events import MessagePosted
from bot.demo.community import ZONE, local
from bot.demo.people import Person
from bot.demo.world import World

PRICING = "pricing"
TOPICS = ("pricing", "integrations", "enterprise")


class Business:
    """Consent, buying-intent signals, NPS answers, and the customer file."""

    def __init__(self, world: World, start: datetime, end: datetime) -> None:
        self.world = world
        self.engine = world.engine
        self.start = start
        self.end = end
        self._ids = itertools.count(1)
        self.consented: list[Person] = []
        world.watch(self.saw)

    def schedule(self) -> None:
        """Weekly decisions from the second week on; the customer file the day before the end."""
        first = self.start.astimezone(ZONE).date() + timedelta(weeks=1)
        week = 0
        while (when := local(first + timedelta(weeks=week), time(11, 0))) < self.end:
            self.engine.at(when, self.week)
            week += 1
        self.engine.at(self.end - timedelta(days=1), self.customer_file)

    async def week(self) -> None:
        """Some members agree to the link; some of those show buying intent."""
        world, rng = self.world, self.world.rng
        for person in world.present():
            if person.role is None and person not in self.consented and rng.random() < 0.06:
                self.consented.append(person)
                email = f"{person.uid}@example.com" if rng.random() < 0.7 else None
                await self.engine.slash(person, "consent give", **({"email": email} if email else {}))
        for person in self.consented:
            if not person.present or rng.random() > 0.15 * (1 + person.rate):
                continue
            await self.engine.slash(person, "interest", topic=rng.choice(TOPICS))
            for _ in range(rng.randint(1, 3)):
                at = world.moment_on(world.now)
                if at > world.now:
                    message_id = f"biz-{next(self._ids)}"
                    self.engine.fact(
                        MessagePosted(
                            community_id=world.community_id,
                            member=person.ref,
                            channel_id=PRICING,
                            message_id=message_id,
                            at=at,
                        ),
                        at,
                    )
            if rng.random() < 0.3:
                await self.engine.press(person, "business:talk:0")

    def saw(self, effect: Effect) -> None:
        """A member asked in the NPS survey answers it (or not) within a couple of days."""
        if not isinstance(effect, DirectMessage) or not any(
            a.key.startswith("nps:score:") for a in effect.actions
        ):
            return
        person = self.world.by_uid.get(effect.member.user_id)
        if person is None or self.world.rng.random() > 0.55:
            return
        survey = effect.actions[0].key.split(":")[2]
        hours = self.world.rng.uniform(1, 48)
        self.engine.at(self.world.now + timedelta(hours=hours), self.answer, person, survey)

    async def answer(self, person: Person, survey: str) -> None:
        rng = self.world.rng
        engaged = person.engagement(self.world.now)
        score = max(0, min(10, round(rng.gauss(6.5 + 3 * min(engaged, 1.0), 2))))
        await self.engine.press(person, f"nps:score:{survey}:{score}")
        if rng.random() < 0.3:
            reason = "The people here answer fast." if score >= 9 else "Docs could be clearer."
            form = await self.engine.press(person, f"nps:why:{survey}")
            if not hasattr(form, "text"):
                await self.engine.submit(person, form, {"reason": reason})

    async def customer_file(self) -> None:
        """The business's facts: consenting members who became customers (active ones churn less),
        referral sign-ups, and accounts the community never met."""
        world, rng = self.world, self.world.rng
        facts: list[InboundFact] = []
        day = world.now - timedelta(days=60)

        def add(
            customer: str, kind: str, offset: int, revenue: float | None = None, member: str | None = None
        ) -> None:
            facts.append(
                InboundFact(
                    external_id=f"{customer}-{kind}",
                    customer=customer,
                    kind=kind,
                    occurred_at=day + timedelta(days=offset),
                    revenue=revenue,
                    member=member,
                )
            )

        for person in self.consented:
            if rng.random() < 0.5:
                account = f"acct-{person.uid}"
                add(account, "signed_up", 0, member=person.uid)
                add(account, "became_customer", 5, round(rng.uniform(200, 2400), -1), member=person.uid)
                churn = 0.12 if person.present and person.rate > 0 else 0.35
                if rng.random() < churn:
                    add(account, "churned", 40, member=person.uid)
        for n in range(60):
            account = f"acct-outside-{n}"
            add(account, "became_customer", 3, round(rng.uniform(200, 2400), -1))
            if rng.random() < 0.3:
                add(account, "churned", 45)
        await self.engine.app.bus.handle(
            ImportCustomerFacts(community_id=world.community_id, facts=tuple(facts))
        )
