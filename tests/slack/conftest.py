"""Scenario fixtures: a fake Slack, the real app served by waitress on loopback, and a signing sender."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from slack_bolt import App

from bot.core import Answerer
from bot.slack.app import create_app, make_client
from bot.slack.runners import http_front, make_server, run_until_closed
from tests.slack.fakeslack import FakeSlack
from tests.slack.sender import SlackSender

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"  # a made-up signing secret for the tests


@dataclass
class Served:
    app: App
    url: str
    server: Any


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    fake = FakeSlack().start()
    try:
        yield fake
    finally:
        fake.stop()


def serve_app(app: App, secret: str = SECRET) -> tuple[Any, str, threading.Thread]:
    server = make_server(http_front(app, secret), "127.0.0.1", 0, 4)
    thread = threading.Thread(target=run_until_closed, args=(server,), name="waitress-under-test", daemon=True)
    thread.start()
    return server, f"http://127.0.0.1:{server.effective_port}", thread


@pytest.fixture
def served(fake_slack: FakeSlack, answerer: Answerer) -> Iterator[Served]:
    """The production path: create_app + our WSGI front + waitress, on 127.0.0.1 and a free port."""
    app = create_app(answerer, client=make_client("xoxb-test-token", fake_slack.api_url), signing_secret=SECRET)
    server, url, thread = serve_app(app)
    try:
        yield Served(app, url, server)
    finally:
        server.close()
        thread.join(5)


@pytest.fixture
def sender(served: Served, fake_slack: FakeSlack) -> SlackSender:
    return SlackSender(served.url, SECRET, response_urls=fake_slack.response_url)
