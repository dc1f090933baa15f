"""Gates: who gets in (referral codes, invites, applications, open), founding members and the
join-burst guard."""

from __future__ import annotations

from bot.core.feature import Assembly, Feature

feature = Feature("gates")


def register(app: Assembly) -> None:
    """Add this feature's handlers and registry entries to the app."""
    from bot.core.gates import applications, joins, policy, referrals  # noqa: F401  (their declarations fill `feature`)

    app.include(feature)
