"""Gates: the effective gate mode, referral codes and the rules for redeeming them.

Referral codes are short and typeable: 10 symbols of Crockford's base32 (50 bits from a CSPRNG),
shown as `ABCDE-FGHJK`. What makes guessing hopeless is the attempt limit (at most 5 failed
redemptions per person per hour) together with expiry and use limits, not the length alone.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.core.gates.settings import GateMode, GateSettings

# Crockford's base32: no I, L, O or U, so nothing looks like 1, 0 or V and no word gets spelled.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 10
_CONFUSABLE = str.maketrans({"I": "1", "L": "1", "O": "0"})
_SEPARATORS = str.maketrans("", "", " -_.")


def generate_code(choice: Callable[[str], str] = secrets.choice) -> str:
    """A fresh referral code from the CSPRNG (`choice` is injectable for tests, never `random`)."""
    return "".join(choice(ALPHABET) for _ in range(CODE_LENGTH))


def format_code(code: str) -> str:
    """How a code is shown: two groups of five, easy to read out and type."""
    half = CODE_LENGTH // 2
    return f"{code[:half]}-{code[half:]}"


def normalize_code(typed: str) -> str | None:
    """The stored form of what someone typed (case, dashes, spaces and look-alikes forgiven), or None."""
    candidate = typed.strip().upper().translate(_SEPARATORS).translate(_CONFUSABLE)
    if len(candidate) != CODE_LENGTH or any(ch not in ALPHABET for ch in candidate):
        return None
    return candidate


# --- gate mode ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class GateState:
    """What leads changed at run time (the community row); None means "as configured"."""

    mode_override: GateMode | None = None
    switch_on_override: date | None = None
    admissions_paused: bool = False
    burst_since: datetime | None = None


def effective_mode(config: GateSettings, state: GateState, today: date) -> GateMode:
    """The mode in force today: a lead's override (with its own switch date) or the config's, where a
    `referral` mode becomes `application` on and after the switch date."""
    if state.mode_override is not None:
        mode, switch_on = state.mode_override, state.switch_on_override
    else:
        mode, switch_on = config.mode, config.switch_to_application_on
    if mode == "referral" and switch_on is not None and today >= switch_on:
        return "application"
    return mode


def allows_referral(mode: GateMode) -> bool:
    """Codes and referral invites admit in these modes (open admits anyone anyway)."""
    return mode in ("referral", "referral_or_application", "open")


def allows_application(mode: GateMode) -> bool:
    """The application form is available in these modes."""
    return mode in ("application", "referral_or_application")


def describe_mode(mode: GateMode) -> str:
    """A sentence for people: how to get in under this mode."""
    return {
        "referral": "Newcomers join with a referral code from a member: /join CODE.",
        "application": "Newcomers apply with /apply; moderators decide.",
        "referral_or_application": "Newcomers join with a member's code (/join CODE) or apply with /apply.",
        "open": "Anyone who joins is let in.",
    }[mode]


# --- referral codes ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ReferralCode:
    """A member's personal code (storage maps it to and from ReferralCodeRow)."""

    id: int
    community_id: str
    owner_id: int
    code: str
    created_at: datetime
    expires_at: datetime
    max_uses: int
    uses: int = 0
    revoked_at: datetime | None = None
    invite_code: str | None = None

    @property
    def uses_left(self) -> int:
        """How many more newcomers this code can admit."""
        return max(self.max_uses - self.uses, 0)

    def is_live(self, now: datetime) -> bool:
        """Not revoked, not expired, not used up (the owner's membership is checked separately)."""
        return self.revoked_at is None and now < self.expires_at and self.uses < self.max_uses


class Redemption(StrEnum):
    """The outcome of trying a code."""

    OK = "ok"
    UNKNOWN = "unknown"
    SELF = "self"
    OWNER_GONE = "owner_gone"
    REVOKED = "revoked"
    EXPIRED = "expired"
    USED_UP = "used_up"


def judge_redemption(
    code: ReferralCode | None, *, owner_is_member: bool, redeemer_id: int, now: datetime
) -> Redemption:
    """Whether `redeemer_id` may be admitted with `code` now; the first failing rule names the outcome."""
    if code is None:
        return Redemption.UNKNOWN
    if code.owner_id == redeemer_id:
        return Redemption.SELF
    if not owner_is_member:
        return Redemption.OWNER_GONE
    if code.revoked_at is not None:
        return Redemption.REVOKED
    if now >= code.expires_at:
        return Redemption.EXPIRED
    if code.uses >= code.max_uses:
        return Redemption.USED_UP
    return Redemption.OK


def lockout_until(failures: list[datetime], limit: int, now: datetime) -> datetime | None:
    """When a person may try codes again, or None if they may now (`limit` failures per rolling hour)."""
    window_start = now - timedelta(hours=1)
    recent = sorted(at for at in failures if at > window_start)
    if len(recent) < limit:
        return None
    # the attempt that must age out of the window before the count drops below the limit
    return recent[len(recent) - limit] + timedelta(hours=1)


def month_start(now: datetime, zone: ZoneInfo) -> datetime:
    """The start of the current calendar month in the community's time zone (for the monthly quota)."""
    local = now.astimezone(zone)
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def next_month_start(now: datetime, zone: ZoneInfo) -> datetime:
    """The start of next calendar month in the community's time zone (when the quota refills)."""
    first = month_start(now, zone)
    return first.replace(year=first.year + (first.month == 12), month=first.month % 12 + 1)


# --- founding members and join bursts ----------------------------------------------------------

FOUNDING_BADGE = "founding"


def is_founding(admitted_count: int, limit: int) -> bool:
    """Admitted while the community had fewer than `limit` members (the count includes the newcomer)."""
    return admitted_count <= limit


class BurstStep(StrEnum):
    """What a join does to the burst guard."""

    NONE = "none"
    ALERT = "alert"  # a burst starts: one alert to moderators
    END = "end"  # the burst is over: the next one alerts again


def burst_step(joins_in_window: int, limit: int, active: bool) -> BurstStep:
    """More than `limit` joins in the window starts a burst; it ends once the window holds half or fewer
    (hysteresis, so a raid hovering at the limit does not alert over and over)."""
    if not active and joins_in_window > limit:
        return BurstStep.ALERT
    if active and joins_in_window <= limit // 2:
        return BurstStep.END
    return BurstStep.NONE
