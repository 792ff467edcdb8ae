"""Socket Mode through the real SocketModeHandler, against a loopback WebSocket standing in for Slack's."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest
from slack_bolt.adapter.socket_mode import SocketModeHandler

from bot.core import Answerer
from bot.slack.app import create_app, make_client
from tests.slack import payloads
from tests.slack.fakeslack import FakeSlack, FakeSocketModeServer


@pytest.fixture
def socket_server(fake_slack: FakeSlack) -> Iterator[FakeSocketModeServer]:
    server = FakeSocketModeServer().start()
    fake_slack.socket = server
    try:
        yield server
    finally:
        server.stop()


def test_command_and_mention_over_socket_mode(
    fake_slack: FakeSlack, socket_server: FakeSocketModeServer, answerer: Answerer
) -> None:
    app = create_app(answerer, client=make_client("xoxb-test-token", fake_slack.api_url))
    handler = SocketModeHandler(app, app_token="xapp-fake-test")
    handler.connect()  # type: ignore[no-untyped-call]
    try:
        socket_server.wait_for_connection()
        command = payloads.slash_command("why am I getting 403", response_url=fake_slack.response_url())
        envelope_id = socket_server.send_envelope("slash_commands", command, accepts_response_payload=True)
        ack = socket_server.wait_for_ack(envelope_id)
        blocks = ack["payload"]["blocks"]
        assert next(b for b in blocks if b["type"] == "header")["text"]["text"] == "403 Forbidden"

        mention = payloads.event_callback(payloads.app_mention("<@UBOT> 502 from the ALB", ts="10.1"))
        socket_server.wait_for_ack(socket_server.send_envelope("events_api", mention))
        [call] = fake_slack.wait_for("chat.postMessage")
        assert call.body["thread_ts"] == "10.1"

        # Slack's retry of the same event over the socket is acknowledged but not answered again.
        again = socket_server.send_envelope("events_api", mention, retry_attempt=1, retry_reason="timeout")
        socket_server.wait_for_ack(again)
        sentinel = payloads.event_callback(payloads.im_message("418", ts="11.1"))
        socket_server.wait_for_ack(socket_server.send_envelope("events_api", sentinel))
        calls = fake_slack.wait_for("chat.postMessage", 2)
        assert [c.body["text"][:3] for c in calls] == ["502", "418"]
    finally:
        with contextlib.suppress(AttributeError):  # slack_sdk races a reconnect against close()
            handler.close()  # type: ignore[no-untyped-call]
