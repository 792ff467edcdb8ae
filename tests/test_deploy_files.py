"""The Dockerfile and the Slack manifest say what the product needs (the image itself cannot be built here;
`make docker-check` replays the Dockerfile's steps in a fresh venv as a non-root user)."""

from __future__ import annotations

import re

import yaml

from tests.conftest import ROOT


def dockerfile() -> list[tuple[str, str]]:
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text())
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "") for line in lines]


def test_dockerfile_runs_slim_from_the_lock_as_non_root_with_a_healthcheck() -> None:
    steps = dockerfile()
    words = [w for w, _ in steps]
    assert re.match(r"python:3\.1[1-9][\w.-]*-slim", dict(steps)["FROM"])
    install = next(args for w, args in steps if w == "RUN" and "pip install" in args)
    assert "constraints.txt" in install
    assert any(w == "COPY" and "constraints.txt" in args for w, args in steps)
    user = [args for w, args in steps if w == "USER"]
    assert user and user[-1] not in ("root", "0")
    assert words.index("USER") < words.index("CMD")
    health = next(args for w, args in steps if w == "HEALTHCHECK")
    assert "/healthz" in health
    assert "HTTPCODE_HOST=0.0.0.0" in " ".join(args for w, args in steps if w == "ENV")
    assert re.search(r'"httpcode",\s*"serve"', next(args for w, args in steps if w == "CMD"))


def test_manifest_declares_the_whole_feature_set() -> None:
    manifest = yaml.safe_load((ROOT / "manifest.yml").read_text())
    [command] = manifest["features"]["slash_commands"]
    assert command["command"] == "/httpcode" and command["description"] and command["usage_hint"]
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == {
        "commands",
        "chat:write",
        "app_mentions:read",
        "im:history",
    }
    settings = manifest["settings"]
    assert set(settings["event_subscriptions"]["bot_events"]) == {"app_mention", "message.im", "app_home_opened"}
    assert settings["interactivity"]["is_enabled"] is True
    assert settings["socket_mode_enabled"] is True
    home = manifest["features"]["app_home"]
    assert home["messages_tab_enabled"] is True and home["messages_tab_read_only_enabled"] is False
    readme = (ROOT / "README.md").read_text()
    assert "socket_mode_enabled: false" in readme and "/slack/events" in readme
