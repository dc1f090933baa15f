"""Storage of privacy: export, erasure and the anonymous anti-abuse marks."""

from __future__ import annotations

from bot.core.privacy.ports import PrivacyRepository, RetentionRepository
from storage.privacy.repository import SqlPrivacyRepository
from storage.privacy.retention import SqlRetentionRepository
from storage.uow import Bindings

BINDINGS: Bindings = {
    PrivacyRepository: lambda uow: SqlPrivacyRepository(uow.session),
    RetentionRepository: lambda uow: SqlRetentionRepository(uow.session),
}
