"""Referrals made visible: /profile names the referrer and the newcomers referred, with whether each
activated (made a first contribution); leads see the whole referral tree with /referrals."""

from __future__ import annotations

from datetime import timedelta

from adapters.fake.platform import FakePlatform
from bot.bootstrap import App
from bot.core.members import Member, MemberStatus
from bot.core.refs import Role
from bot.core.replies import Reply
from bot.core.text import mention
from tests.core.support import add_member, ref


async def contributed(app: App, member: Member) -> None:
    async with app.uow_factory() as uow:
        row = await uow.members.get(member.id)
        assert row is not None
        row.first_contribution_at = app.clock.now() + timedelta(hours=1)
        await uow.members.save(row)
        await uow.commit()


async def left(app: App, member: Member) -> None:
    async with app.uow_factory() as uow:
        row = await uow.members.get(member.id)
        assert row is not None
        row.status = MemberStatus.LEFT
        await uow.members.save(row)
        await uow.commit()


async def town(app: App) -> dict[str, Member]:
    """ann referred bo and cy; bo referred dee, who referred eve; cy left; bo and dee contributed."""
    people: dict[str, Member] = {"root": await add_member(app, "root")}
    people["ann"] = await add_member(app, "ann", referred_by_id=people["root"].id)
    people["bo"] = await add_member(app, "bo", referred_by_id=people["ann"].id)
    people["cy"] = await add_member(app, "cy", referred_by_id=people["ann"].id)
    people["dee"] = await add_member(app, "dee", referred_by_id=people["bo"].id)
    people["eve"] = await add_member(app, "eve", referred_by_id=people["dee"].id)
    await contributed(app, people["bo"])
    await contributed(app, people["dee"])
    await left(app, people["cy"])
    await add_member(app, "lead", is_staff=True)
    return people


async def test_profile_shows_who_referred_the_member_and_whom_they_referred(
    app: App, platform: FakePlatform
) -> None:
    await town(app)
    shown = await platform.slash(platform.actor("bo"), "profile", member=ref("ann"))
    assert isinstance(shown, Reply)
    fields = {f.name: f.value for f in shown.fields}
    assert fields["Referred by"] == mention(ref("root"))
    assert fields["Referred (2, 1 contributed)"] == (
        f"{mention(ref('bo'))}: contributed\n{mention(ref('cy'))}: left"
    )
    own = await platform.slash(platform.actor("eve"), "profile")
    assert isinstance(own, Reply)
    fields = {f.name: f.value for f in own.fields}
    assert fields["Referred by"] == mention(ref("dee"))
    assert fields["Referred"] == "nobody yet (/refer)"
    founder = await platform.slash(platform.actor("root"), "profile")
    assert isinstance(founder, Reply)
    assert {f.name: f.value for f in founder.fields}["Referred by"] == "nobody (joined without a referral)"


async def test_leads_see_the_referral_tree_of_a_member_and_nobody_else_does(
    app: App, platform: FakePlatform
) -> None:
    await town(app)
    tree = await platform.slash(platform.actor("lead", Role.LEAD), "referrals", member=ref("ann"))
    assert isinstance(tree, Reply) and tree.private
    assert tree.text.splitlines() == [
        f"Referrals from {mention(ref('ann'))} (referred by {mention(ref('root'))}):",
        f"• {mention(ref('bo'))}: contributed",
        f"    • {mention(ref('dee'))}: contributed",
        f"        • {mention(ref('eve'))}: no contribution yet",
        f"• {mention(ref('cy'))}: left",
        "4 referred in all, 2 contributed.",
    ]
    leaf = await platform.slash(platform.actor("lead", Role.LEAD), "referrals", member=ref("eve"))
    assert isinstance(leaf, Reply) and leaf.text.endswith(": nobody yet.")
    for actor in (platform.actor("bo", Role.MEMBER), platform.actor("mod", Role.MODERATOR)):
        refused = await platform.slash(actor, "referrals", member=ref("ann"))
        assert isinstance(refused, Reply) and "leads" in refused.text and "Referrals from" not in refused.text
