"""Storage of challenges."""

from __future__ import annotations

from bot.core.challenges.ports import ChallengeRepository
from storage.challenges.repository import SqlChallengeRepository
from storage.uow import Bindings

BINDINGS: Bindings = {
    ChallengeRepository: lambda uow: SqlChallengeRepository(uow.session),
}
