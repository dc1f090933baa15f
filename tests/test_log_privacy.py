"""What logs hold: no SQL parameters in database errors, no platform library payloads at DEBUG unless
asked for by name, and member ids on the bus's INFO lines only as pseudonyms."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.fake.platform import FakePlatform
from bot.core.pseudonyms import member_pseudonym
from bot.core.refs import MemberRef
from bot.logs import PLATFORM_LIBRARIES, setup_logging

TITLE = "my secret idea title"


async def test_a_database_error_names_no_parameter(engine: AsyncEngine) -> None:
    assert engine.sync_engine.hide_parameters
    with pytest.raises(DBAPIError) as caught:
        async with engine.connect() as conn:
            await conn.execute(
                text("SELECT no_such_column FROM member WHERE display_name = :t"), {"t": TITLE}
            )
    assert "parameters hidden" in str(caught.value)
    assert TITLE not in str(caught.value)


@pytest.fixture
def library_levels() -> Iterator[None]:
    names = [*PLATFORM_LIBRARIES, "slack_bolt.App"]
    before = {name: logging.getLogger(name).level for name in names}
    root = logging.getLogger().level
    yield
    for name, level in before.items():
        logging.getLogger(name).setLevel(level)
    logging.getLogger().setLevel(root)


@pytest.mark.usefixtures("library_levels")
def test_platform_libraries_stay_at_warning_even_at_debug(caplog: pytest.LogCaptureFixture) -> None:
    setup_logging("DEBUG")
    caplog.set_level(logging.DEBUG)  # the root and the capture take everything
    for library in PLATFORM_LIBRARIES:
        logging.getLogger(f"{library}.inner").debug("envelope with message text from %s", library)
        logging.getLogger(f"{library}.inner").info("event with user ids from %s", library)
    assert [r.getMessage() for r in caplog.records if r.name.split(".")[0] in PLATFORM_LIBRARIES] == []
    assert all(logging.getLogger(lib).getEffectiveLevel() == logging.WARNING for lib in PLATFORM_LIBRARIES)
    logging.getLogger("slack_bolt.App").warning("a real problem")
    assert caplog.records[-1].getMessage() == "a real problem"


@pytest.mark.usefixtures("library_levels")
def test_a_library_asked_for_by_name_is_heard(caplog: pytest.LogCaptureFixture) -> None:
    setup_logging("INFO", libraries={"slack_bolt": "DEBUG"})
    caplog.set_level(logging.DEBUG)
    logging.getLogger("slack_bolt.App").debug("asked for")
    logging.getLogger("discord.gateway").info("not asked for")
    assert [r.getMessage() for r in caplog.records if r.name.split(".")[0] in PLATFORM_LIBRARIES] == [
        "asked for"
    ]


async def test_bus_lines_carry_pseudonyms_not_member_ids(
    platform: FakePlatform, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="townsquare.bus")
    user = "U0LOGGED9876"
    for _ in range(2):
        await platform.slash(platform.actor(user), "mydata export")
    lines = [r.getMessage() for r in caplog.records if r.name == "townsquare.bus"]
    assert len(lines) == 2 and all("handled ExportMyData" in line for line in lines)
    assert not [line for line in lines if user in line]
    alias = member_pseudonym(MemberRef("fake", user))
    assert all(f"actor={alias}" in line for line in lines)  # the same person reads the same within a run
    assert alias != member_pseudonym(MemberRef("fake", "U0SOMEONE11"))
