"""A URL in /httpcode, a mention or a DM is probed (safely) and explained, through the real app and a real
loopback server; refused addresses are reported without any connection."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.core import Answerer
from bot.probe.service import Prober
from bot.probe.settings import load_probe_settings
from bot.slack.app import create_app, make_client
from tests.probe.fixtures import ScriptedServer, respond
from tests.slack import payloads
from tests.slack.conftest import SECRET, serve_app
from tests.slack.fakeslack import FakeSlack
from tests.slack.sender import SlackSender


@pytest.fixture
def site() -> Iterator[ScriptedServer]:
    page = respond(503, [("Server", "nginx"), ("Retry-After", "120"), ("X-Evil", "<!channel> <@U999>")], b"busy")
    with ScriptedServer(page) as server:
        yield server


@pytest.fixture
def sender(fake_slack: FakeSlack, answerer: Answerer, site: ScriptedServer) -> Iterator[SlackSender]:
    env = {"HTTPCODE_PROBE_ALLOW": f"127.0.0.1/32:{site.port}", "HTTPCODE_PROBE_TIMEOUT": "5"}
    prober = Prober(load_probe_settings(env, lambda: datetime.now(UTC)), answerer)
    app = create_app(
        answerer, client=make_client("xoxb-test-token", fake_slack.api_url), signing_secret=SECRET, prober=prober
    )
    server, url, thread = serve_app(app)
    try:
        yield SlackSender(url, SECRET, response_urls=fake_slack.response_url)
    finally:
        server.close()
        thread.join(5)


def texts(blocks: Any) -> str:
    return json.dumps(blocks)


def test_slash_command_acks_at_once_then_answers_through_response_url(
    sender: SlackSender, fake_slack: FakeSlack, site: ScriptedServer
) -> None:
    url = f"http://127.0.0.1:{site.port}/health"
    ack = sender.slash_command(f"is <{url}|our health check> down?")
    assert ack.status == 200 and ack.elapsed < 3.0
    assert ack.json()["text"].startswith("Probing")
    [result] = fake_slack.wait_for_response(1, timeout=10)
    body = texts(result.body)
    assert result.body["replace_original"] is True
    assert "503" in body and "Retry-After" in body
    assert "<!channel>" not in body and "<@U999>" not in body, "server text stays inert"
    assert "Service Unavailable" in body


def test_probe_word_and_refused_metadata(sender: SlackSender, fake_slack: FakeSlack) -> None:
    ack = sender.slash_command("probe http://169.254.169.254/latest/meta-data/")
    assert ack.json()["text"].startswith("Probing")
    [result] = fake_slack.wait_for_response(1, timeout=10)
    assert "REFUSE:addr" in texts(result.body) or "refused" in texts(result.body).lower()
    assert "metadata" in texts(result.body)


def test_mention_with_a_url_gets_a_threaded_probe(
    sender: SlackSender, fake_slack: FakeSlack, site: ScriptedServer
) -> None:
    text = f"<@UBOT> is <http://127.0.0.1:{site.port}/> returning 503 for you?"
    sender.event(payloads.event_callback(payloads.app_mention(text, ts="900.1")))
    [call] = fake_slack.wait_for("chat.postMessage", timeout=10)
    assert call.body["thread_ts"] == "900.1"
    assert "503" in call.body["text"]


def test_dm_with_a_url_is_probed(sender: SlackSender, fake_slack: FakeSlack) -> None:
    sender.event(payloads.event_callback(payloads.im_message("http://10.0.0.5/admin", ts="901.1")))
    [call] = fake_slack.wait_for("chat.postMessage", timeout=10)
    assert call.body["channel"] == "D123"
    assert "10.0.0.5" in texts(call.body)
