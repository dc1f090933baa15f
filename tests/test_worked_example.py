"""docs/architecture.md's worked example (a kudos feature) is real code: its blocks are exactly the
files in tests/example_kudos/, and those files, added to an app, work (run in a process of their own,
so the example's table never joins the rest of the suite's metadata)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "tests" / "example_kudos"
DOC = ROOT / "docs" / "architecture.md"

# Where each example file lives in the doc's tree -> where it is kept here.
FILES = {
    "bot/core/kudos/__init__.py": "core/__init__.py",
    "bot/core/kudos/commands.py": "core/commands.py",
    "bot/core/kudos/ports.py": "core/ports.py",
    "bot/core/kudos/handlers.py": "core/handlers.py",
    "storage/kudos/__init__.py": "storage/__init__.py",
    "storage/kudos/tables.py": "storage/tables.py",
    "storage/kudos/repository.py": "storage/repository.py",
    "migrations/versions/0002_kudos.py": "migration.py",
}
BLOCK = re.compile(r"^`(?P<path>[\w/.]+\.py)`:\n\n```python\n(?P<code>.*?)^```$", re.M | re.S)
FEATURE_LINE = "FeatureModule(kudos.register, storage.kudos.BINDINGS),"


def test_the_doc_shows_exactly_the_example_files() -> None:
    blocks = {m["path"]: m["code"] for m in BLOCK.finditer(DOC.read_text())}
    assert sorted(blocks) == sorted(FILES), "docs/architecture.md's example blocks and FILES differ"
    for doc_path, kept in FILES.items():
        assert blocks[doc_path] == (EXAMPLE / kept).read_text(), (
            f"docs/architecture.md's {doc_path} differs from tests/example_kudos/{kept}; change both"
        )
    assert FEATURE_LINE in DOC.read_text()


def test_the_example_works_in_an_app() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pytest", str(EXAMPLE / "check_kudos.py")],
        cwd=ROOT,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert " passed" in done.stdout and "skipped" not in done.stdout
