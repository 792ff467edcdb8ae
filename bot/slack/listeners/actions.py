"""Buttons: "Share in channel" posts the same answer publicly; related-code buttons answer privately."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, Respond

from bot.render.blockkit import SlackMessage
from bot.slack.listeners.deps import Deps

SHARE = "httpcode_share"
RELATED = re.compile(r"^httpcode_ask_related")
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")


def shared_by(message: SlackMessage, user_id: str | None) -> SlackMessage:
    """The answer with a context line naming who shared it (a real mention, built from a checked id)."""
    if not user_id or not _USER_ID.match(user_id):
        return message
    note = {"type": "context", "elements": [{"type": "mrkdwn", "text": f"Shared by <@{user_id}> from /httpcode"}]}
    blocks = (*message.blocks, note) if len(message.blocks) < 50 else message.blocks
    return SlackMessage(text=message.text, blocks=blocks)


def share_listener(deps: Deps) -> Callable[..., None]:
    def on_share(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        question = str(body["actions"][0].get("value", ""))
        public = shared_by(deps.reply_for(question), (body.get("user") or {}).get("id"))
        respond(response_type="in_channel", replace_original=False, **public.to_kwargs())
        respond(delete_original=True)

    return on_share


def related_listener(deps: Deps) -> Callable[..., None]:
    def on_related(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        entry_id = str(body["actions"][0].get("value", ""))
        respond(response_type="ephemeral", replace_original=False, **deps.reply_for_entry(entry_id).to_kwargs())

    return on_related


def register(app: App, deps: Deps) -> None:
    app.action(SHARE)(share_listener(deps))
    app.action(RELATED)(related_listener(deps))
