"""Reading the anonymous marks an erasure kept: the community's salt with its live marks of one reason.

Shared by the privacy repository and by the gates, which read the marks with their gate state in one
round trip (a redemption or an application checks both).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, bindparam, select

from bot.core.privacy.rules import subject_hash
from bot.core.refs import MemberRef
from storage.privacy.tables import AnonymousMarkRow
from storage.tables import CommunityRow

# The subject hash is made from the salt, so the mark cannot be looked up by hash in the same
# statement. Live marks of one reason are few (lockouts last an hour, cooldowns days, and only
# erasures keep any).
MARK_COLUMNS = (CommunityRow.privacy_salt, AnonymousMarkRow.subject_hash, AnonymousMarkRow.until)


def with_live_marks(*columns: ColumnElement[Any] | Any) -> Select[Any]:
    """The community row's `columns` with the salt and each live mark of `reason` (bound: community_id,
    reason, now); one row with NULL marks when there are none."""
    return (
        select(*columns, *MARK_COLUMNS)
        .select_from(CommunityRow)
        .outerjoin(
            AnonymousMarkRow,
            and_(
                AnonymousMarkRow.community_id == CommunityRow.id,
                AnonymousMarkRow.reason == bindparam("reason"),
                AnonymousMarkRow.until > bindparam("now"),
            ),
        )
        .where(CommunityRow.id == bindparam("community_id"))
    )


def mark_of(rows: Iterable[Any], ref: MemberRef) -> datetime | None:
    """When the live mark of this person among `rows` (of `with_live_marks`) ends; None without one."""
    rows = list(rows)
    salt = rows[0].privacy_salt if rows else ""
    if not salt:
        return None  # nobody was ever erased here with a mark kept
    wanted = subject_hash(salt, ref)
    found: datetime | None = next((row.until for row in rows if row.subject_hash == wanted), None)
    return found
