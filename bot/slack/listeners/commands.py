"""`/httpcode <question>`: answered inside the ack, ephemeral, with a Share button."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, Respond

from bot.render.blockkit import help_message
from bot.render.probe_blockkit import probing_message
from bot.slack import inbound
from bot.slack.listeners.deps import Deps

HELP_WORDS = frozenset({"", "help", "-h", "--help", "?", "usage"})


def command_listener(deps: Deps) -> Callable[..., None]:
    def on_command(ack: Ack, command: dict[str, Any], respond: Respond) -> None:
        raw = command.get("text", "")
        question = inbound.parse(raw).text
        if question.lower() in HELP_WORDS or question.lower() == "probe":
            ack(response_type="ephemeral", **help_message().to_kwargs())
            return
        url = deps.probe_url(raw)
        if url is None:
            ack(response_type="ephemeral", **deps.reply_for(question, share_button=True).to_kwargs())
            return
        # The probe may take seconds: acknowledge now, answer through response_url.
        ack(response_type="ephemeral", **probing_message(url).to_kwargs())
        reply = deps.probe_reply(url, requester=str(command.get("user_id", "unknown")))
        respond(response_type="ephemeral", replace_original=True, **reply.to_kwargs())

    return on_command


def register(app: App, deps: Deps) -> None:
    app.command("/httpcode")(command_listener(deps))
