"""Listener registration: one module per kind, each with register(app, deps); catch-alls go last."""

from __future__ import annotations

from slack_bolt import App

from bot.slack.listeners import actions, commands, fallbacks, home, mentions, messages
from bot.slack.listeners.deps import Deps


def register_all(app: App, deps: Deps) -> None:
    for kind in (commands, mentions, messages, actions, home):
        kind.register(app, deps)
    fallbacks.register(app, deps)  # Bolt dispatches to the first match: these must come last
