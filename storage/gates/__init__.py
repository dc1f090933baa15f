"""Storage of the gates: gate state, referral codes, redemptions, applications, joins."""

from __future__ import annotations

from bot.core.gates.ports import ApplicationRepository, GateRepository, ReferralCodeRepository
from storage.gates.applications import SqlApplicationRepository
from storage.gates.referral_codes import SqlReferralCodeRepository
from storage.gates.repository import SqlGateRepository
from storage.uow import Bindings

BINDINGS: Bindings = {
    GateRepository: lambda uow: SqlGateRepository(uow.session),
    ReferralCodeRepository: lambda uow: SqlReferralCodeRepository(uow.session),
    ApplicationRepository: lambda uow: SqlApplicationRepository(uow.session),
}
