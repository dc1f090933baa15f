"""What every settings section shares: strict models, channel names."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class StrictModel(BaseModel):
    """Unknown keys are errors, values are immutable once loaded."""

    model_config = ConfigDict(extra="forbid", frozen=True)


CHANNEL_PATTERN = r"^(id:[A-Za-z0-9_-]{1,60}|[a-z][a-z0-9_-]{0,39})$"
