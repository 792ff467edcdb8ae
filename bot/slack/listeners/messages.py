"""Direct messages: answered in the DM, in the thread when the user wrote in one.

Only plain messages from people count: no bots (ourselves included), no edits, no other subtypes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import App, Say

from bot.render.blockkit import help_message
from bot.slack import inbound
from bot.slack.listeners.deps import Deps


def is_dm_from_a_person(event: dict[str, Any]) -> bool:
    return (
        event.get("channel_type") == "im"
        and not event.get("subtype")
        and not event.get("bot_id")
        and not event.get("bot_profile")
        and bool(event.get("user"))
    )


def dm_listener(deps: Deps) -> Callable[..., None]:
    def on_dm(event: dict[str, Any], say: Say) -> None:
        question = inbound.parse(event.get("text")).text
        url = deps.probe_url(event.get("text") or "")
        if url is not None:
            message = deps.probe_reply(url, requester=str(event.get("user", "unknown")))
        else:
            message = help_message() if not question else deps.reply_for(question)
        thread = event.get("thread_ts")
        say(**message.to_kwargs(), **({"thread_ts": thread} if thread else {}))

    return on_dm


def register(app: App, deps: Deps) -> None:
    app.event("message", matchers=[is_dm_from_a_person])(dm_listener(deps))
