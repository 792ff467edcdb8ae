"""`@httpcode ...` anywhere in a channel: answered in the thread of the mention."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import App, Say

from bot.render.blockkit import help_message
from bot.slack import inbound
from bot.slack.listeners.deps import Deps


def mention_listener(deps: Deps) -> Callable[..., None]:
    def on_mention(event: dict[str, Any], say: Say) -> None:
        if event.get("subtype") or event.get("bot_id"):
            return  # canvases (document_mention), edits and bots do not get answers
        question = inbound.parse(event.get("text")).text
        url = deps.probe_url(event.get("text") or "")
        if url is not None:
            message = deps.probe_reply(url, requester=str(event.get("user", "unknown")))
        else:
            message = help_message() if not question else deps.reply_for(question)
        say(thread_ts=event.get("thread_ts") or event["ts"], **message.to_kwargs())

    return on_mention


def register(app: App, deps: Deps) -> None:
    app.event("app_mention")(mention_listener(deps))
