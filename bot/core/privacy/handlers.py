"""/mydata: a person's own data. Export sends it all as JSON by DM; erase removes it after a confirm.

What erasure keeps, and why, is in docs/privacy.md: only an anonymous mark (a salted hash of the
platform id) while an anti-abuse measure is still running, e.g. a rejected applicant's cooldown.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from bot.core.context import Context
from bot.core.effects import DirectMessage
from bot.core.gates.ports import GateRepository
from bot.core.gates.rules import lockout_until
from bot.core.members import Member
from bot.core.privacy import feature
from bot.core.privacy.commands import EraseMyData, ExportMyData
from bot.core.privacy.events import MemberErased
from bot.core.privacy.ports import PrivacyRepository
from bot.core.privacy.rules import AnonymousMark, MarkReason, package_export
from bot.core.registry import ButtonRoute, Invocation, SlashCommand
from bot.core.replies import Action, ActionStyle, Reply

NOTHING_STORED = "Townsquare stores nothing about you in this community."
LOCKOUT = timedelta(hours=1)


@dataclass(frozen=True)
class _Export:
    """What the export's preparer read: whose data, packaged."""

    member_id: int
    blob: bytes
    name: str


@feature.prepare(ExportMyData)
async def read_my_data(command: ExportMyData, ctx: Context) -> _Export | None:
    """Read and package every row that refers to the person, on a read-only unit of work: the many
    reads wait for no writer, and the write transaction that follows only queues the DM."""
    member = await ctx.member_by_ref(command.member)
    if member is None:
        return None
    data = {"community": command.community_id, "exported_at": ctx.now().isoformat(), "member_id": member.id}
    data.update(await ctx.uow.repo(PrivacyRepository).export(member.id))
    blob, name = package_export(data)
    return _Export(member.id, blob, name)


@feature.command(ExportMyData)
async def export_my_data(command: ExportMyData, ctx: Context) -> Reply:
    """DM the person a JSON file of every row that refers to them (at most once an hour)."""
    export = ctx.prepared
    member = await ctx.member_by_ref(command.member)
    if not isinstance(export, _Export) or member is None or member.id != export.member_id:
        return Reply(text=NOTHING_STORED)  # (or erased since it was read: nothing of theirs is sent)
    now = ctx.now()
    sent = await ctx.send(
        DirectMessage(
            command.community_id,
            member.ref,
            "Here is everything Townsquare stores about you in this community. Message text is never stored.",
            attachment=export.blob,
            attachment_name=export.name,
        ),
        dedupe_key=f"mydata-export:{command.community_id}:{member.id}:{now:%Y%m%d%H}",
    )
    if not sent:
        return Reply(text="Your export was sent less than an hour ago; check your direct messages.")
    return Reply(
        text="Everything Townsquare stores about you is on its way by direct message, as a JSON file."
    )


async def anti_abuse_marks(ctx: Context, member: Member) -> list[AnonymousMark]:
    """The measures still running against this person that erasure must not lift."""
    now, gate = ctx.now(), ctx.community.gate
    marks = []
    rejected = await ctx.uow.repo(PrivacyRepository).last_rejection_at(member.id)
    if rejected is not None and rejected + timedelta(days=gate.reapply_cooldown_days) > now:
        marks.append(
            AnonymousMark(MarkReason.REAPPLY_COOLDOWN, rejected + timedelta(days=gate.reapply_cooldown_days))
        )
    failures = await ctx.uow.repo(GateRepository).failed_attempts(member.id, now - LOCKOUT)
    locked_until = lockout_until(failures, gate.failed_redemptions_per_hour, now)
    if locked_until is not None:
        marks.append(AnonymousMark(MarkReason.REDEMPTION_LOCKOUT, locked_until))
    return marks


@feature.command(EraseMyData)
async def erase_my_data(command: EraseMyData, ctx: Context) -> Reply:
    """Erase the person from every table as declared; keep only anonymous anti-abuse marks."""
    member = await ctx.uow.members.by_ref(command.community_id, command.member)
    if member is None:
        return Reply(text=NOTHING_STORED, update_original=True)
    marks = await anti_abuse_marks(ctx, member)
    names = (ctx.actor.display_name,) if ctx.actor is not None else ()
    await ctx.uow.repo(PrivacyRepository).erase(member, marks, ctx.now(), names)
    ctx.emit(MemberErased(community_id=command.community_id, member=command.member))
    kept = " An anonymous mark (not your id) keeps a running restriction until it ends." if marks else ""
    return Reply(
        text=(
            "Erased: Townsquare no longer stores anything about you here, including your membership, "
            f"badges and contributions.{kept} Your access on the platform itself is unchanged."
        ),
        update_original=True,
    )


def _confirm_erase(inv: Invocation) -> Reply:
    return Reply(
        text=(
            "This erases everything Townsquare stores about you here: your membership record, cohort, "
            "badges, contributions, applications and referral codes. It cannot be undone. "
            "Want a copy first? Use /mydata export."
        ),
        actions=(
            Action("Erase everything", f"mydata:erase:{inv.actor.ref.user_id}", ActionStyle.DANGER),
            Action("Keep my data", f"mydata:keep:{inv.actor.ref.user_id}"),
        ),
    )


def _erase(inv: Invocation, ident: str) -> EraseMyData | Reply:
    if ident != inv.actor.ref.user_id:
        return Reply(text="This button belongs to someone else's request. Use /mydata erase yourself.")
    return EraseMyData(community_id=inv.community_id, member=inv.actor.ref)


feature.slash(
    SlashCommand(
        name="mydata export",
        description="Get everything Townsquare stores about you, as JSON by DM",
        build=lambda inv: ExportMyData(community_id=inv.community_id, member=inv.actor.ref),
        command=ExportMyData,
    )
)
feature.slash(
    SlashCommand(
        name="mydata erase",
        description="Erase everything Townsquare stores about you",
        build=_confirm_erase,
        command=EraseMyData,
    )
)
feature.button(ButtonRoute("mydata", "erase", _erase, command=EraseMyData))
feature.button(
    ButtonRoute(
        "mydata",
        "keep",
        lambda inv, ident: Reply(text="Nothing was erased.", update_original=True),
        command=EraseMyData,
    )
)
