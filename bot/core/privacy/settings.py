"""Settings of privacy: how long each kind of record is kept (the retention windows, docs/privacy.md)."""

from __future__ import annotations

from pydantic import Field

from bot.core.settings_base import StrictModel


class PrivacySettings(StrictModel):
    """Retention windows, applied by the daily retention job.

    Processed event ids and run records are shared by every community of a deployment: the
    shortest window of any community applies, and the scheduler's own upkeep (30 and 90 days)
    is the longest they are ever kept.
    """

    delivered_outbox_days: int = Field(30, ge=7, le=3650)
    delivered_attachments_days: int = Field(1, ge=0, le=3650)
    redemption_attempts_hours: int = Field(24, ge=1, le=24 * 365)
    decided_application_answers_days: int = Field(90, ge=0, le=3650)
    run_records_days: int = Field(60, ge=35, le=90)
    processed_events_days: int = Field(7, ge=1, le=30)
