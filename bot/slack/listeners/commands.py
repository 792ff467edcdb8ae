"""`/httpcode <question>`: answered inside the ack, ephemeral, with a Share button."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App

from bot.render.blockkit import help_message
from bot.slack import inbound
from bot.slack.listeners.deps import Deps

HELP_WORDS = frozenset({"", "help", "-h", "--help", "?", "usage"})


def command_listener(deps: Deps) -> Callable[..., None]:
    def on_command(ack: Ack, command: dict[str, Any]) -> None:
        question = inbound.parse(command.get("text", "")).text
        if question.lower() in HELP_WORDS:
            ack(response_type="ephemeral", **help_message().to_kwargs())
            return
        ack(response_type="ephemeral", **deps.reply_for(question, share_button=True).to_kwargs())

    return on_command


def register(app: App, deps: Deps) -> None:
    app.command("/httpcode")(command_listener(deps))
