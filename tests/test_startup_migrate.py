"""Start-up checks the schema without Alembic (storage/migrate.py), and gets Alembic's answers.

Every command that opens the database, and `townsquare run`, refuses a schema that is not at head.
That check reads Alembic's version row and the header lines of migrations/versions instead of
loading Alembic; these tests hold both readings to Alembic's own, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import text
from sqlalchemy.engine import Connection

from storage.db import create_engine
from storage.migrate import (
    MIGRATIONS,
    Revisions,
    alembic_config,
    current_revision,
    head_revision,
    known_revisions,
    read_revisions,
    require_current,
    upgrade,
)

HEADER = '''"""{doc}"""

from collections.abc import Sequence

from alembic import op

revision: str = {revision}
down_revision: str | None = {down}
branch_labels: str | Sequence[str] | None = {labels}
depends_on: str | Sequence[str] | None = {depends}


def upgrade() -> None:
    op.execute("SELECT 1")
'''


def _write(
    folder: Path, name: str, revision: str, down: str, labels: str = "None", depends: str = "None"
) -> None:
    text = HEADER.format(doc=name, revision=revision, down=down, labels=labels, depends=depends)
    (folder / f"{name}.py").write_text(text, encoding="utf-8")


def test_the_shipped_revisions_read_plainly_are_alembics() -> None:
    revisions = read_revisions()
    assert revisions is not None, "migrations/versions is no longer plain: start-up now loads Alembic"
    scripts = ScriptDirectory.from_config(alembic_config())
    assert revisions.head == scripts.get_current_head() == head_revision()
    assert revisions.known == {s.revision for s in scripts.walk_revisions()} == known_revisions()


def test_a_line_of_revisions_and_a_merge_have_one_head(tmp_path: Path) -> None:
    _write(tmp_path, "a", '"a"', "None")
    _write(tmp_path, "b", '"b"  # the second', '"a"')
    _write(tmp_path, "c", '"c"', '"a"')
    _write(tmp_path, "d", '"d"', '("b", "c")')
    (tmp_path / "__init__.py").write_text("", encoding="utf-8")
    (tmp_path / "notes.txt").write_text('revision = "x"', encoding="utf-8")
    assert read_revisions(tmp_path) == Revisions(frozenset("abcd"), "d")


@pytest.mark.parametrize(
    "files",
    [
        [("a", '"a"', "None"), ("b", '"b"', '"a"'), ("c", '"c"', '"a"')],  # two heads
        [("a", '"a"', "None"), ("b", '"a"', "None")],  # one id twice
        [("a", '"a"', "None"), ("b", '"b"', '"gone"')],  # revises an unknown revision
        [("a", '"a"', "None"), ("b", 'str("b")', '"a"')],  # a computed id
        [("a", '"a"', "None"), ("b", '"b"', '"a"', '("lts",)')],  # a branch label
        [("a", '"a"', "None"), ("b", '"b"', '"a"', "None", '"a"')],  # depends_on
    ],
)
def test_revisions_that_are_not_plain_are_left_to_alembic(
    tmp_path: Path, files: list[tuple[str, ...]]
) -> None:
    for file in files:
        _write(tmp_path, *file)
    assert read_revisions(tmp_path) is None


def test_a_file_without_its_header_is_left_to_alembic(tmp_path: Path) -> None:
    _write(tmp_path, "a", '"a"', "None")
    (tmp_path / "b.py").write_text('revision = "b"\n', encoding="utf-8")
    assert read_revisions(tmp_path) is None


def _alembics(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


async def test_the_version_is_read_as_alembic_reads_it(empty_db_url: str) -> None:
    engine = create_engine(empty_db_url)
    try:
        for target in (None, "0003_metrics_rollup", "head"):
            if target is not None:
                await upgrade(engine, target)
            async with engine.connect() as conn:
                expected = await conn.run_sync(_alembics)
            assert await current_revision(engine) == expected
        assert expected == head_revision()
        await require_current(engine)
        async with engine.begin() as conn:  # a damaged version table: Alembic's error, as before
            await conn.execute(text("INSERT INTO alembic_version (version_num) VALUES ('0001')"))
        with pytest.raises(CommandError, match="more than one head"):
            await current_revision(engine)
    finally:
        await engine.dispose()


def test_checking_an_up_to_date_database_loads_no_alembic(tmp_path: Path, sqlite_template: Path) -> None:
    shutil.copy(sqlite_template, tmp_path / "ok.db")
    probe = f"""
import asyncio, sys
from storage.db import create_engine
from storage.migrate import require_current, upgrade

async def main():
    engine = create_engine("sqlite+aiosqlite:///{tmp_path / "ok.db"}")
    await require_current(engine)
    await upgrade(engine)  # already at head: nothing to run
    await engine.dispose()

asyncio.run(main())
print(sorted(n for n, m in sys.modules.items() if m is not None and n.split(".")[0] in ("alembic", "mako")))
"""
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    assert (MIGRATIONS / "versions").is_dir()
