"""App Home: a short how-to, published when someone opens the Home tab."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from bot.render.blockkit import home_view
from bot.slack.listeners.deps import Deps


def home_listener(deps: Deps) -> Callable[..., None]:
    def on_home_opened(event: dict[str, Any], client: WebClient) -> None:
        if event.get("tab") != "home":
            return
        client.views_publish(user_id=event["user"], view=home_view(len(deps.answerer.kb)))

    return on_home_opened


def register(app: App, deps: Deps) -> None:
    app.event("app_home_opened")(home_listener(deps))
