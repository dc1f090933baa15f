"""The Slack app manifest: generated from the registry, so it lists every command and shortcut."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from adapters.slack.commands import RESERVED, CommandNames
from adapters.slack.manifest import (
    BOT_EVENTS,
    BOT_SCOPES,
    MANIFEST_PATH,
    PLACEHOLDER_URL,
    build_manifest,
    manifest_json,
)
from adapters.slack.render import FORM_CALLBACK, form_metadata, form_view
from bot.core.replies import OpenForm
from bot.features import assemble
from tests.adapters.registry_walk import LONG_CONTEXT, button_keys, opened_forms
from tests.adapters.slack.kit import build_kit

REGISTRY = assemble().registry  # every feature's entries, as `townsquare run` has them


ROOT = Path(__file__).resolve().parents[3]


def test_the_manifest_lists_every_registry_command_and_message_action() -> None:
    manifest = build_manifest(REGISTRY)
    names = CommandNames(REGISTRY)
    listed = {c["command"] for c in manifest["features"]["slash_commands"]}
    assert listed == {names.slack_name(name).split(" ")[0] for name in REGISTRY.commands}
    shortcuts = {s["callback_id"] for s in manifest["features"].get("shortcuts", [])}
    assert shortcuts == set(REGISTRY.message_actions)
    assert not {c.lstrip("/") for c in listed} & RESERVED  # Slack would refuse the whole manifest


def test_the_committed_manifest_is_current() -> None:
    expected = manifest_json(build_manifest(REGISTRY, url=PLACEHOLDER_URL))
    assert MANIFEST_PATH.read_text() == expected, (
        "adapters/slack/manifest.json is stale: run "
        f"`townsquare slack-manifest --url {PLACEHOLDER_URL} --write adapters/slack/manifest.json`"
    )


def test_commands_events_and_interactivity_point_at_the_url() -> None:
    kit = build_kit()
    manifest = build_manifest(kit.registry, url="https://bot.example.org/slack/events")
    commands = {c["command"]: c for c in manifest["features"]["slash_commands"]}
    settings = manifest["settings"]

    assert sorted(commands) == ["/echo", "/help", "/join-community", "/mydata", "/notice", "/slow", "/survey"]
    assert all(c["url"] == "https://bot.example.org/slack/events" for c in commands.values())
    assert settings["event_subscriptions"]["request_url"] == "https://bot.example.org/slack/events"
    assert settings["interactivity"] == {
        "is_enabled": True,
        "request_url": "https://bot.example.org/slack/events",
    }
    assert settings["socket_mode_enabled"] is False
    assert commands["/echo"]["should_escape"] is True  # a member option needs <@U…> ids
    assert commands["/echo"]["usage_hint"] == "<who> [times] [note]"
    assert commands["/mydata"]["usage_hint"] == "erase <confirm> | export"
    assert commands["/join-community"]["should_escape"] is False
    assert [s["callback_id"] for s in manifest["features"]["shortcuts"]] == ["mark_helpful", "slow"]
    assert manifest["features"]["shortcuts"][0]["type"] == "message"


def test_scopes_cover_every_event_and_call() -> None:
    needs = {
        "team_join": "users:read",
        "member_joined_channel": "channels:read",
        "message.channels": "channels:history",
        "message.groups": "groups:history",
        "reaction_added": "reactions:read",
    }
    assert all(event in BOT_EVENTS and scope in BOT_SCOPES for event, scope in needs.items())
    for scope in ("chat:write", "commands", "im:write", "files:write", "groups:write", "channels:manage"):
        assert scope in BOT_SCOPES
    assert {"app_uninstalled", "tokens_revoked"} <= set(BOT_EVENTS)


def test_socket_mode_has_no_urls() -> None:
    manifest = build_manifest(REGISTRY, url=None)
    assert manifest["settings"]["socket_mode_enabled"] is True
    assert "request_url" not in manifest["settings"]["event_subscriptions"]
    assert "url" not in json.dumps(manifest["features"]["slash_commands"])


def test_the_cli_prints_the_manifest() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "slack-manifest", "--url", "https://bot.example.org/slack/events"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == build_manifest(REGISTRY, url="https://bot.example.org/slack/events")


def test_every_registry_entry_is_reachable_on_slack() -> None:
    """Each slash command and subcommand through the manifest's commands, each button key as an
    action id, each form through a modal's metadata, each message action as a shortcut."""
    names = CommandNames(REGISTRY)
    manifest = build_manifest(REGISTRY, names)
    listed = {c["command"]: c for c in manifest["features"]["slash_commands"]}
    for name, command in sorted(REGISTRY.commands.items()):
        slack_command, _, sub = names.slack_name(name).partition(" ")
        assert slack_command in listed, f"/{name} is not in the manifest"
        assert names.resolve(slack_command, f"{sub} rest".strip()) == (command, "rest"), name
        if sub:
            assert sub in listed[slack_command].get("usage_hint", ""), f"{name}: no usage hint"
    for key in button_keys():
        assert len(key) <= 255, f"{key}: longer than a Slack action_id"
    for key in sorted(REGISTRY.forms):
        form = OpenForm(form_key=key, title="t", fields=(), context=LONG_CONTEXT)
        assert form_metadata(form_view(form, "C1")) == (key, LONG_CONTEXT, "C1")
    shortcuts = {s["callback_id"] for s in manifest["features"].get("shortcuts", [])}
    assert shortcuts == set(REGISTRY.message_actions)


def test_forms_opened_by_commands_and_buttons_render_as_modals() -> None:
    for where, form in opened_forms():
        assert form.form_key in REGISTRY.forms, f"{where} opens an unregistered form"
        view = form_view(form, "C1")
        assert [b["block_id"] for b in view["blocks"]] == [f.name for f in form.fields], where
        assert len(view["title"]["text"]) <= 24 and view["callback_id"] == FORM_CALLBACK
