"""Storage of the programme: series, occurrences, RSVPs, questions, showcase entries."""

from __future__ import annotations

from bot.core.programming.ports import (
    OccurrenceRepository,
    QuestionRepository,
    RsvpRepository,
    SeriesRepository,
    ShowcaseRepository,
)
from storage.programming.entries import SqlQuestionRepository, SqlShowcaseRepository
from storage.programming.repository import SqlOccurrenceRepository, SqlRsvpRepository, SqlSeriesRepository
from storage.uow import Bindings

BINDINGS: Bindings = {
    SeriesRepository: lambda uow: SqlSeriesRepository(uow.session),
    OccurrenceRepository: lambda uow: SqlOccurrenceRepository(uow.session),
    RsvpRepository: lambda uow: SqlRsvpRepository(uow.session),
    QuestionRepository: lambda uow: SqlQuestionRepository(uow.session),
    ShowcaseRepository: lambda uow: SqlShowcaseRepository(uow.session),
}
