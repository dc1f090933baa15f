"""The feature list: what a Townsquare app is made of. The composition root builds every app from it.

Each entry pairs a core feature's `register` with the storage that implements its ports. Adding a
feature means adding one line here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import storage.badges
import storage.business
import storage.challenges
import storage.cohorts
import storage.contributions
import storage.feedback
import storage.gates
import storage.metrics
import storage.privacy
import storage.programming
import storage.reengagement
from bot.core import (
    badges,
    business,
    challenges,
    cohorts,
    contributions,
    feedback,
    gates,
    membership,
    metrics,
    privacy,
    programming,
    reengagement,
)
from bot.core.feature import Assembly, Register
from storage.uow import Binding, Bindings


@dataclass(frozen=True)
class FeatureModule:
    """A feature as the app includes it: its core declarations and its storage bindings."""

    register: Register
    storage: Bindings = field(default_factory=dict)


FEATURES: tuple[FeatureModule, ...] = (
    FeatureModule(membership.register),
    FeatureModule(gates.register, storage.gates.BINDINGS),
    FeatureModule(cohorts.register, storage.cohorts.BINDINGS),
    FeatureModule(contributions.register, storage.contributions.BINDINGS),
    FeatureModule(badges.register, storage.badges.BINDINGS),
    FeatureModule(challenges.register, storage.challenges.BINDINGS),
    FeatureModule(programming.register, storage.programming.BINDINGS),
    FeatureModule(metrics.register, storage.metrics.BINDINGS),
    FeatureModule(feedback.register, storage.feedback.BINDINGS),
    FeatureModule(privacy.register, storage.privacy.BINDINGS),
    FeatureModule(business.register, storage.business.BINDINGS),
    FeatureModule(reengagement.register, storage.reengagement.BINDINGS),
)


def assemble(features: tuple[FeatureModule, ...] = FEATURES) -> Assembly:
    """A fresh handler table and registry holding the given features (all of them by default)."""
    assembly = Assembly()
    for feature in features:
        feature.register(assembly)
    return assembly


def bindings(features: tuple[FeatureModule, ...] = FEATURES) -> Bindings:
    """Every port of the given features, bound to its storage."""
    bound: dict[type, Binding] = {}
    for feature in features:
        for port, binding in feature.storage.items():
            if port in bound:
                raise ValueError(f"{port.__name__} is bound twice")
            bound[port] = binding
    return bound
