"""Gates: who gets in (referral codes, invites, applications, open), founding members and the
join-burst guard."""

from __future__ import annotations

from bot.core.feature import Assembly, Feature

feature = Feature("gates")


def register(app: Assembly) -> None:
    """Add this feature's handlers, registry entries and jobs to the app."""
    # importing the modules runs their declarations on `feature`
    from bot.core.gates import (  # noqa: F401
        adoption,
        applications,
        jobs,
        joins,
        policy,
        referrals,
    )

    app.include(feature)
