"""What erasure keeps for anti-abuse: an anonymous mark, a salted hash of the platform id, never the id."""

from __future__ import annotations

import gzip
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from bot.core.privacy.settings import PrivacySettings
from bot.core.refs import MemberRef

EXPORT_INLINE_LIMIT = 8 * 1024 * 1024  # bigger exports are gzip-compressed (platform upload limits)


class MarkReason(StrEnum):
    REAPPLY_COOLDOWN = "reapply_cooldown"  # rejected recently: may not re-apply until `until`
    REDEMPTION_LOCKOUT = "redemption_lockout"  # too many wrong referral codes in the last hour


@dataclass(frozen=True)
class AnonymousMark:
    """An anti-abuse fact that outlives an erasure, until it expires."""

    reason: MarkReason
    until: datetime


def subject_hash(salt: str, ref: MemberRef) -> str:
    """The salted SHA-256 of a platform identity: the same person hashes the same within a community,
    and the hash cannot be turned back into the id without the community's salt."""
    return hashlib.sha256(f"{salt}:{ref.platform}:{ref.user_id}".encode()).hexdigest()


def package_export(data: dict[str, Any]) -> tuple[bytes, str]:
    """The export as a JSON file (name, bytes); gzip-compressed when too big to attach as is."""
    blob = json.dumps(data, indent=1, ensure_ascii=False, default=str).encode()
    if len(blob) <= EXPORT_INLINE_LIMIT:
        return blob, "townsquare-data.json"
    return gzip.compress(blob, mtime=0), "townsquare-data.json.gz"


@dataclass(frozen=True)
class Cutoffs:
    """Per kind of record, the instant before which it goes."""

    delivered_outbox: datetime
    delivered_attachments: datetime
    redemption_attempts: datetime
    decided_application_answers: datetime
    run_records: datetime
    processed_events: datetime


def cutoffs(settings: PrivacySettings, now: datetime) -> Cutoffs:
    """The instants before which each kind of record is pruned, at `now`."""
    return Cutoffs(
        delivered_outbox=now - timedelta(days=settings.delivered_outbox_days),
        delivered_attachments=now - timedelta(days=settings.delivered_attachments_days),
        redemption_attempts=now - timedelta(hours=settings.redemption_attempts_hours),
        decided_application_answers=now - timedelta(days=settings.decided_application_answers_days),
        run_records=now - timedelta(days=settings.run_records_days),
        processed_events=now - timedelta(days=settings.processed_events_days),
    )
