"""`townsquare run --dry-run` in a process of its own: what start-up loads, and the calendar feed.

The feed's HTTP server (aiohttp.web) and icalendar cost ~0.2 s of start-up; they load only when
the configuration has a [calendar] section, and then the feed answers while the bot runs.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
from pathlib import Path

PROBE = """
import io, os, signal, sys, threading, urllib.request
import bot.cli

url = {url!r}
seen = []

def fetch_then_stop():
    if url:
        with urllib.request.urlopen(url, timeout=30) as answer:
            seen.append((answer.status, answer.read()[:15]))
    os.kill(os.getpid(), signal.SIGINT)

class Out(io.StringIO):
    def write(self, text):
        if "running for" in text:
            threading.Thread(target=fetch_then_stop).start()
        return super().write(text)

sys.stdout = Out()
code = bot.cli.main(["run", "--dry-run", "--config", {config!r}])
sys.stdout = sys.__stdout__
print(code, seen, sorted({{"aiohttp.web", "icalendar"}} & set(sys.modules)))
"""


def _config(tmp_path: Path, template: Path, calendar: str = "") -> str:
    shutil.copy(template, tmp_path / "run.db")
    config = tmp_path / "run.toml"
    config.write_text(
        f'[database]\nurl = "sqlite+aiosqlite:///{tmp_path / "run.db"}"\n\n{calendar}'
        '[[communities]]\nid = "t"\nname = "T"\nplatform = "fake"\ntimezone = "UTC"\n',
        encoding="utf-8",
    )
    return str(config)


def _run(config: str, url: str = "") -> str:
    probe = PROBE.format(config=config, url=url)
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_without_a_calendar_run_loads_no_http_server_and_no_icalendar(
    tmp_path: Path, sqlite_template: Path
) -> None:
    assert _run(_config(tmp_path, sqlite_template)) == "0 [] []"


def test_with_a_calendar_run_serves_the_feed(tmp_path: Path, sqlite_template: Path) -> None:
    port = _free_port()
    config = _config(tmp_path, sqlite_template, f'[calendar]\nhost = "127.0.0.1"\nport = {port}\n\n')
    out = _run(config, f"http://127.0.0.1:{port}/calendar/t.ics")
    assert out == "0 [(200, b'BEGIN:VCALENDAR')] ['aiohttp.web', 'icalendar']"
