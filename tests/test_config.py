"""Configuration: bad input names the file and the key; secrets come from the environment."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import BaseModel

from bot.config import ConfigError, Settings, load_settings

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "config.example.toml"

MINIMAL = """
[[communities]]
id = "acme"
name = "Acme"
platform = "fake"
"""


def _write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "townsquare.toml"
    path.write_text(body)
    return path


def _error(path: Path, environ: dict[str, str] | None = None) -> str:
    with pytest.raises(ConfigError) as info:
        load_settings(path, environ or {})
    return str(info.value)


def test_example_config_is_valid() -> None:
    settings = load_settings(EXAMPLE, {})
    assert settings.communities[0].gate.mode == "referral"


def test_unknown_key_names_file_and_key(tmp_path: Path) -> None:
    path = _write(tmp_path, MINIMAL + "[communities.gate]\nmdoe = 'open'\n")
    message = _error(path)
    assert str(path) in message
    assert "communities[0].gate.mdoe" in message
    assert "unknown key" in message


def test_wrong_type_says_what_was_expected(tmp_path: Path) -> None:
    path = _write(tmp_path, MINIMAL + "[communities.gate]\ncode_max_uses = 'five'\n")
    message = _error(path)
    assert "communities[0].gate.code_max_uses" in message and "integer" in message and "'five'" in message


def test_bad_choice_lists_the_choices(tmp_path: Path) -> None:
    path = _write(tmp_path, MINIMAL + "[communities.gate]\nmode = 'invite-only'\n")
    message = _error(path)
    assert "communities[0].gate.mode" in message and "'referral'" in message


def test_missing_required_value(tmp_path: Path) -> None:
    path = _write(tmp_path, '[[communities]]\nid = "acme"\nplatform = "fake"\n')
    message = _error(path)
    assert "communities[0].name" in message and "missing" in message


def test_bad_timezone_and_platform_binding(tmp_path: Path) -> None:
    message = _error(_write(tmp_path, MINIMAL + 'timezone = "Mars/Olympus"\n'))
    assert "communities[0].timezone" in message and "IANA" in message and "'Mars/Olympus'" in message
    message = _error(_write(tmp_path, MINIMAL.replace('platform = "fake"', 'platform = "discord"')))
    assert "communities[0]" in message and "guild_id" in message


def test_not_toml_and_missing_file(tmp_path: Path) -> None:
    assert "not valid TOML" in _error(_write(tmp_path, "this is = = not toml"))
    assert "no such configuration file" in _error(tmp_path / "nope.toml")


def test_environment_secrets_override_the_file(tmp_path: Path) -> None:
    path = _write(tmp_path, MINIMAL + '[discord]\ntoken = "from-file"\n[slack]\n')
    settings = load_settings(
        path,
        {
            "DISCORD_TOKEN": "from-env",
            "SLACK_BOT_TOKEN": "xoxb-env",
            "SLACK_SIGNING_SECRET": "sign",
            "TOWNSQUARE_DATABASE_URL": "sqlite+aiosqlite:///other.db",
        },
    )
    assert (
        settings.discord
        and settings.discord.token
        and settings.discord.token.get_secret_value() == "from-env"
    )
    assert (
        settings.slack
        and settings.slack.bot_token
        and settings.slack.bot_token.get_secret_value() == "xoxb-env"
    )
    assert settings.database.url.endswith("other.db")
    assert "from-env" not in repr(settings)  # secrets never show in reprs


def test_slack_listens_on_loopback_unless_the_docker_image_says_otherwise(tmp_path: Path) -> None:
    path = _write(tmp_path, MINIMAL + "[slack]\n")
    outside = load_settings(path, {})
    assert outside.slack is not None and outside.slack.host == "127.0.0.1"
    dockerfile = (Path(__file__).resolve().parent.parent / "Dockerfile").read_text()
    assert "TOWNSQUARE_SLACK_HOST=0.0.0.0" in dockerfile
    inside = load_settings(path, {"TOWNSQUARE_SLACK_HOST": "0.0.0.0"})
    assert inside.slack is not None and inside.slack.host == "0.0.0.0"


def test_environment_does_not_switch_a_platform_on(tmp_path: Path) -> None:
    settings = load_settings(_write(tmp_path, MINIMAL), {"DISCORD_TOKEN": "x", "SLACK_BOT_TOKEN": "y"})
    assert settings.discord is None and settings.slack is None


def _keys(model: type[BaseModel]) -> set[str]:
    keys: set[str] = set()
    for name, field in model.model_fields.items():
        keys.add(name)
        annotation = field.annotation
        for candidate in getattr(annotation, "__args__", (annotation,)):
            if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                keys |= _keys(candidate)
    return keys


def test_every_key_is_documented_in_the_example() -> None:
    text = EXAMPLE.read_text()
    documented = set(re.findall(r"^#?\s*([a-z_]+)\s*=", text, flags=re.MULTILINE))
    sections = set(re.findall(r"^#?\s*\[+([a-z_.]+)\]+", text, flags=re.MULTILINE))
    section_leaves = {s.rsplit(".", 1)[-1] for s in sections}
    missing = sorted(_keys(Settings) - documented - section_leaves)
    assert missing == [], f"config.example.toml does not document: {missing}"
