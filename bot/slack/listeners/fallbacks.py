"""Catch-alls: everything we do not handle is acknowledged, so Slack neither errors nor retries."""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt import Ack, App

from bot.slack.listeners.deps import Deps

log = logging.getLogger("httpcode.slack")
ANYTHING = re.compile(r".*")


def ignore_event(event: dict[str, Any]) -> None:
    log.debug("ignored event %s/%s", event.get("type"), event.get("subtype"))


def ack_only(ack: Ack) -> None:
    ack()


def unknown_command(ack: Ack, command: dict[str, Any]) -> None:
    ack(text="This app only knows /httpcode.")


def register(app: App, deps: Deps) -> None:
    app.event(ANYTHING)(ignore_event)
    app.command(ANYTHING)(unknown_command)
    app.action(ANYTHING)(ack_only)
    app.shortcut(ANYTHING)(ack_only)
    app.view(ANYTHING)(ack_only)
    app.options(ANYTHING)(ack_only)
