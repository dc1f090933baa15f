"""The worked example of docs/architecture.md, run: the kudos feature added to a real app.

Run by tests/test_worked_example.py in a process of its own (see mount.py), on SQLite and, when
TOWNSQUARE_TEST_POSTGRES_URL is set, PostgreSQL: the database is migrated to head, then the
example's migration runs through Alembic's operations, and /kudos goes through the fake platform.
"""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.example_kudos.mount import mount

mount()

import storage.kudos as kudos_storage  # noqa: E402  (mounted just above)
from adapters.fake.platform import FakeNotifier, FakePlatform  # noqa: E402
from bot.bootstrap import App, build_app  # noqa: E402
from bot.clock import FixedClock  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.core import kudos  # noqa: E402
from bot.core.replies import Reply  # noqa: E402
from bot.core.text import mention  # noqa: E402
from bot.features import FEATURES, FeatureModule, assemble  # noqa: E402
from storage.schema import metadata  # noqa: E402
from tests.core.support import add_member, ref  # noqa: E402
from tests.example_kudos import migration  # noqa: E402

FEATURES_WITH_KUDOS = (*FEATURES, FeatureModule(kudos.register, kudos_storage.BINDINGS))


def _run_example_migration(connection: Connection) -> None:
    if "kudos" in inspect(connection).get_table_names():
        return  # PostgreSQL: one database for the session, already migrated by an earlier test
    with Operations.context(MigrationContext.configure(connection)):
        migration.upgrade()


async def test_the_example_migration_matches_the_example_tables(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.run_sync(_run_example_migration)
    async with engine.connect() as conn:
        diff = await conn.run_sync(
            lambda c: compare_metadata(MigrationContext.configure(c, opts={"compare_type": True}), metadata())
        )
    assert diff == []


async def test_kudos_through_the_fake_platform(
    settings: Settings, clock: FixedClock, engine: AsyncEngine, notifier: FakeNotifier
) -> None:
    async with engine.begin() as conn:
        await conn.run_sync(_run_example_migration)
    app: App = build_app(
        settings,
        clock,
        {"fake": notifier},
        engine=engine,
        assembly=assemble(FEATURES_WITH_KUDOS),
        features=FEATURES_WITH_KUDOS,
    )
    await app.ensure_communities()
    platform = FakePlatform(app.bus, settings.communities[0].id, notifier)
    for user in (1, 2, 3):
        await add_member(app, user)
    ann, bo, cy, newcomer = (platform.actor(user) for user in (1, 2, 3, 4))

    nothing_yet = await platform.slash(ann, "kudos")
    assert nothing_yet == Reply(text="No kudos yet. Thank someone with /kudos @member.")
    thanked = await platform.slash(ann, "kudos", member=ref(2))
    assert thanked == Reply(text=f"Kudos to {mention(ref(2))}!", private=False)
    await platform.slash(cy, "kudos", member=ref(2))
    await platform.slash(bo, "kudos", member=ref(3))

    self_thanks = await platform.slash(bo, "kudos", member=bo.ref)
    assert self_thanks == Reply(text="Kudos are for thanking someone else.")
    stranger = await platform.slash(ann, "kudos", member=ref(99))
    assert stranger == Reply(text="Kudos go to members of this community.")
    outsider = await platform.slash(newcomer, "kudos", member=ref(2))  # not admitted: the bus refuses
    assert isinstance(outsider, Reply) and outsider.text.startswith("That is for members.")

    shown = await platform.slash(cy, "kudos")
    assert isinstance(shown, Reply)
    assert shown.text == f"Kudos so far:\n{mention(ref(2))}: 2\n{mention(ref(3))}: 1"
