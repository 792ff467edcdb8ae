"""The Slack test harness tested on its own: a fake that lies would make every scenario worthless.

Real slack_sdk clients (WebClient, WebhookClient, SignatureVerifier, the builtin SocketModeClient) talk to the
fakes over loopback, so the fakes are held to what the SDK Bolt uses actually sends and accepts.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.signature import SignatureVerifier
from slack_sdk.webhook import WebhookClient

from tests.slack import payloads
from tests.slack.fakeslack import FakeSlack, FakeSocketModeServer, validate_blocks, validate_view
from tests.slack.sender import Response, SlackSender

SECRET = "test-signing-secret"


def section(text: str, **extra: Any) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}, **extra}


def button(action_id: str, text: str = "Share", value: str = "403") -> dict[str, Any]:
    return {"type": "button", "action_id": action_id, "text": {"type": "plain_text", "text": text}, "value": value}


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as slack:
        yield slack


@pytest.fixture
def client(fake: FakeSlack) -> WebClient:
    return WebClient(token="xoxb-test", base_url=fake.api_url)


# --- Block Kit validation ------------------------------------------------------------------------------------


def test_a_realistic_answer_is_valid() -> None:
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": "403 Forbidden"}},
        section("*Why:* the server understood you and refuses.", block_id="why"),
        {"type": "section", "fields": [{"type": "mrkdwn", "text": "*Class*"}, {"type": "mrkdwn", "text": "4xx"}]},
        {"type": "divider"},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "RFC 9110 §15.5.4"}]},
        {"type": "actions", "elements": [button("httpcode.share"), button("httpcode.more", "More")]},
    ]
    assert validate_blocks(blocks, require_text="403 Forbidden") == []


@pytest.mark.parametrize(
    ("blocks", "require_text", "expected"),
    [
        ([section("x")] * 51, None, "no more than 50 items allowed [json-pointer:/blocks]"),
        (
            [section("ok"), section("x" * 3001)],
            None,
            "must be less than 3001 characters [json-pointer:/blocks/1/text/text]",
        ),
        ([section("ok"), section("")], None, "must be more than 0 characters [json-pointer:/blocks/1/text/text]"),
        ([section("ok"), section("  ")], None, "must be more than 0 characters [json-pointer:/blocks/1/text/text]"),
        ([section("ok")], True, "[json-pointer:/text]"),
        ([section("ok")], " ", "[json-pointer:/text]"),
        (
            [{"type": "actions", "elements": [button("a"), button("a")]}],
            None,
            "duplicate action_id 'a' (first at /blocks/0/elements/0/action_id)"
            " [json-pointer:/blocks/0/elements/1/action_id]",
        ),
        ([section("a", block_id="b"), section("c", block_id="b")], None, "[json-pointer:/blocks/1/block_id]"),
        ([{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}], None, "/blocks/0/text/text]"),
        (
            [{"type": "header", "text": {"type": "mrkdwn", "text": "h"}}],
            None,
            "must be plain_text [json-pointer:/blocks/0/text/type]",
        ),
        ([{"type": "actions", "elements": [button("a", text="t" * 76)]}], None, "/blocks/0/elements/0/text/text]"),
        ([{"type": "actions", "elements": [button("a", value="v" * 2001)]}], None, "/blocks/0/elements/0/value]"),
        ([{"type": "actions", "elements": [{**button("a"), "url": "u" * 3001}]}], None, "/blocks/0/elements/0/url]"),
        ([{"type": "actions", "elements": [button("a" * 256)]}], None, "/blocks/0/elements/0/action_id]"),
        (
            [section("x", block_id="b" * 256)],
            None,
            "must be less than 256 characters [json-pointer:/blocks/0/block_id]",
        ),
        ([{"type": "section", "fields": [{"type": "mrkdwn", "text": "f"}] * 11}], None, "/blocks/0/fields]"),
        ([{"type": "section", "fields": [{"type": "mrkdwn", "text": "f" * 2001}]}], None, "/blocks/0/fields/0/text]"),
        ([{"type": "context", "elements": [{"type": "mrkdwn", "text": "c"}] * 11}], None, "/blocks/0/elements]"),
        ([{"type": "table"}], None, "unsupported block type 'table' [json-pointer:/blocks/0/type]"),
        ([{"type": "section"}], None, "must provide text or fields [json-pointer:/blocks/0]"),
        ([{"type": "image", "image_url": "https://x/y.png", "alt_text": ""}], None, "/blocks/0/alt_text]"),
    ],
    ids=[
        "51-blocks",
        "3001-section",
        "empty-text",
        "blank-text",
        "no-fallback-text",
        "blank-fallback-text",
        "duplicate-action-id",
        "duplicate-block-id",
        "long-header",
        "mrkdwn-header",
        "long-button-text",
        "long-button-value",
        "long-button-url",
        "long-action-id",
        "long-block-id",
        "11-fields",
        "long-field",
        "11-context-elements",
        "unknown-block",
        "empty-section",
        "empty-alt-text",
    ],
)
def test_validator_rejects_with_a_json_pointer(
    blocks: list[Any], require_text: str | bool | None, expected: str
) -> None:
    errors = validate_blocks(blocks, require_text=require_text)
    assert any(expected in error for error in errors), errors


def test_validator_limits_are_inclusive() -> None:
    assert validate_blocks([section("x")] * 50) == []
    assert validate_blocks([section("x" * 3000)]) == []
    assert validate_blocks([{"type": "header", "text": {"type": "plain_text", "text": "h" * 150}}]) == []


def test_views_allow_100_blocks_not_101() -> None:
    assert validate_view({"type": "home", "blocks": [section("x")] * 100}) == []
    assert validate_view({"type": "home", "blocks": [section("x")] * 101}) == [
        "no more than 100 items allowed [json-pointer:/view/blocks]"
    ]


# --- Web API -------------------------------------------------------------------------------------------------


def test_auth_test_serves_the_bot_identity_and_scopes(fake: FakeSlack, client: WebClient) -> None:
    response = client.auth_test()
    assert response["user_id"] == "UBOT" and response["bot_id"] == "BBOT" and response["team_id"] == "T0TEST"
    assert "chat:write" in response.headers["x-oauth-scopes"]
    [call] = fake.calls_to("auth.test")
    assert call.headers["authorization"] == "Bearer xoxb-test" and call.ok


def test_post_message_is_recorded_with_incrementing_ts(fake: FakeSlack, client: WebClient) -> None:
    blocks = [section("*403* Forbidden")]
    first = client.chat_postMessage(channel="C123", text="403 Forbidden", blocks=blocks, thread_ts="100.1")
    second = client.chat_postMessage(channel="C123", text="again")
    assert first["ts"] == "1700000000.000100" and second["ts"] == "1700000000.000200"
    assert first["channel"] == "C123" and first["message"]["thread_ts"] == "100.1"
    call, _ = fake.wait_for("chat.postMessage", count=2)
    assert call.body == {"channel": "C123", "text": "403 Forbidden", "blocks": blocks, "thread_ts": "100.1"}
    fake.assert_calls(["chat.postMessage", "chat.postMessage"])


def test_form_bodies_with_json_fields_are_decoded(fake: FakeSlack, client: WebClient) -> None:
    blocks = [section("form")]
    client.api_call(
        "chat.postEphemeral", data={"channel": "C1", "user": "U1", "text": "t", "blocks": json.dumps(blocks)}
    )
    [call] = fake.wait_for("chat.postEphemeral")
    assert call.body["blocks"] == blocks and call.headers["content-type"] == "application/x-www-form-urlencoded"
    assert call.response["message_ts"]


def test_invalid_blocks_fail_like_slack(fake: FakeSlack, client: WebClient) -> None:
    with pytest.raises(SlackApiError) as raised:
        client.chat_postMessage(channel="C1", text="t", blocks=[section("ok"), section("x" * 3001)])
    response = raised.value.response
    assert response.status_code == 200 and response["error"] == "invalid_blocks"
    assert response["errors"] == ["must be less than 3001 characters [json-pointer:/blocks/1/text/text]"]
    assert response["response_metadata"]["messages"][0].startswith("[ERROR] must be less than 3001")
    [call] = fake.calls_to("chat.postMessage")
    assert not call.ok


def test_blocks_without_fallback_text_fail(client: WebClient) -> None:
    with pytest.warns(UserWarning), pytest.raises(SlackApiError, match="invalid_blocks"):
        client.chat_postMessage(channel="C1", blocks=[section("only blocks")])


def test_message_errors(client: WebClient) -> None:
    with pytest.raises(SlackApiError, match="msg_too_long"):
        client.chat_postMessage(channel="C1", text="x" * 40_001)
    with pytest.warns(UserWarning), pytest.raises(SlackApiError, match="no_text"):
        client.chat_postMessage(channel="C1")
    with pytest.raises(SlackApiError, match="unknown_method"):
        client.api_call("users.info", params={"user": "U1"})


def test_chat_update_delete_and_views(fake: FakeSlack, client: WebClient) -> None:
    posted = client.chat_postMessage(channel="C1", text="t")
    assert client.chat_update(channel="C1", ts=posted["ts"], text="u")["ts"] == posted["ts"]
    assert client.chat_delete(channel="C1", ts=posted["ts"])["ok"]
    home = {"type": "home", "blocks": [section("Welcome")]}
    assert client.views_publish(user_id="U1", view=home)["view"]["type"] == "home"
    with pytest.raises(SlackApiError) as raised:
        client.views_publish(user_id="U1", view={"type": "home", "blocks": [section("")]})
    assert raised.value.response["error"] == "invalid_arguments"
    assert raised.value.response["errors"] == ["must be more than 0 characters [json-pointer:/view/blocks/0/text/text]"]
    fake.assert_calls(["chat.postMessage", "chat.update", "chat.delete", "views.publish", "views.publish"])


def test_requests_without_a_bearer_token_are_not_authed(fake: FakeSlack) -> None:
    request = urllib.request.Request(fake.api_url + "auth.test", data=b"", method="POST")
    with urllib.request.urlopen(request) as reply:
        assert reply.headers["Content-Type"] == "application/json; charset=utf-8"
        assert json.loads(reply.read()) == {"ok": False, "error": "not_authed"}


def test_set_response_serves_extra_methods(fake: FakeSlack, client: WebClient) -> None:
    fake.set_response("users.info", {"user": {"id": "U1", "tz": "Europe/Lisbon"}})
    assert client.users_info(user="U1")["user"]["tz"] == "Europe/Lisbon"


# --- faults --------------------------------------------------------------------------------------------------


def test_fail_next_429_surfaces_status_and_retry_after(fake: FakeSlack, client: WebClient) -> None:
    fake.fail_next("chat.postMessage", status=429, headers={"Retry-After": "1"})
    with pytest.raises(SlackApiError) as raised:
        client.chat_postMessage(channel="C1", text="t")
    response = raised.value.response
    assert response.status_code == 429 and response["error"] == "ratelimited"
    assert response.headers["retry-after"] == "1"
    assert client.chat_postMessage(channel="C1", text="t")["ok"]  # only the next call failed


def test_rate_limit_retry_handler_then_succeeds(fake: FakeSlack) -> None:
    client = WebClient(
        token="xoxb-test", base_url=fake.api_url, retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=1)]
    )
    fake.fail_next("chat.postMessage", status=429, headers={"Retry-After": "0"})  # the handler adds < 1 s jitter
    assert client.chat_postMessage(channel="C1", text="t")["ok"]
    attempts = fake.calls_to("chat.postMessage")
    assert [c.status for c in attempts] == [429, 200]
    assert [c.ok for c in attempts] == [False, True]


def test_fail_next_error_status_and_times(fake: FakeSlack, client: WebClient) -> None:
    fake.fail_next("chat.postMessage", error="channel_not_found")
    fake.fail_next("chat.postMessage", status=503, times=2)
    with pytest.raises(SlackApiError, match="channel_not_found"):
        client.chat_postMessage(channel="C1", text="t")
    for _ in range(2):
        with pytest.raises(SlackApiError) as raised:
            client.chat_postMessage(channel="C1", text="t")
        assert raised.value.response.status_code == 503
    assert client.chat_postMessage(channel="C1", text="t")["ok"]
    with pytest.raises(ValueError, match="needs an `error`"):
        fake.fail_next("chat.postMessage")


def test_delay_holds_the_answer(fake: FakeSlack, client: WebClient) -> None:
    fake.delay("chat.postMessage", 0.3)
    started = time.monotonic()
    client.chat_postMessage(channel="C1", text="t")
    assert time.monotonic() - started >= 0.3
    fake.delay("chat.postMessage", 0)
    fake.reset()
    assert fake.calls == []


# --- waiting -------------------------------------------------------------------------------------------------


def test_wait_for_wakes_on_a_call_from_another_thread(fake: FakeSlack, client: WebClient) -> None:
    worker = threading.Thread(target=lambda: client.chat_postMessage(channel="C1", text="later"))
    worker.start()
    [call] = fake.wait_for("chat.postMessage", timeout=5)
    worker.join()
    assert call.body["text"] == "later"


def test_wait_for_times_out_with_what_was_recorded(fake: FakeSlack, client: WebClient) -> None:
    client.auth_test()
    with pytest.raises(
        AssertionError, match=r"expected 1 call\(s\) to chat.postMessage within 0.05s, got 0; .*auth.test"
    ):
        fake.wait_for("chat.postMessage", timeout=0.05)
    with pytest.raises(AssertionError, match=r"expected 1 response_url post\(s\) within 0.05s, got 0"):
        fake.wait_for_response(timeout=0.05)


def test_assert_calls_catches_a_duplicate(fake: FakeSlack, client: WebClient) -> None:
    client.auth_test()
    client.chat_postMessage(channel="C1", text="t")
    client.chat_postMessage(channel="C1", text="t")
    with pytest.raises(
        AssertionError, match=r"expected Web API calls \['chat.postMessage'\], got \['chat.postMessage', "
    ):
        fake.assert_calls(["chat.postMessage"])


# --- response_url --------------------------------------------------------------------------------------------


def test_response_url_records_and_allows_five_uses(fake: FakeSlack) -> None:
    url = fake.response_url()
    webhook = WebhookClient(url)
    for n in range(5):
        reply = webhook.send(text=f"use {n}", response_type="ephemeral")
        assert (reply.status_code, reply.body) == (200, "ok")
    sixth = webhook.send(text="one too many")
    assert (sixth.status_code, sixth.body) == (404, "used_url")
    responses = fake.wait_for_response(count=6)
    assert [r.body.get("text") for r in responses[:2]] == ["use 0", "use 1"]
    assert responses[0].id == url.rsplit("/", 1)[-1] and [r.ok for r in responses].count(True) == 5
    assert fake.response_url() != url


def test_response_url_validates_blocks_and_expiry(fake: FakeSlack) -> None:
    url = fake.response_url("cmd-1")
    assert url.endswith("/response_url/cmd-1")
    bad = WebhookClient(url).send(text="t", blocks=[section("x" * 3001)])
    assert (bad.status_code, bad.body) == (400, "invalid_blocks")
    assert WebhookClient(url).send(delete_original=True).status_code == 200
    fake.expire_response_url(url)
    assert WebhookClient(url).send(text="late").body == "expired_url"


# --- sender --------------------------------------------------------------------------------------------------


class Captured:
    """A loopback endpoint that records what the sender posts and answers 200, or 401 on /deny."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, str], bytes]] = []
        captured = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                """Quiet."""

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                captured.requests.append((self.path, dict(self.headers.items()), body))
                self._answer(401 if self.path == "/deny" else 200, b'{"ok": true}')

            def do_GET(self) -> None:
                self._answer(200, b"ready")

            def _answer(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def last(self) -> tuple[str, dict[str, str], bytes]:
        return self.requests[-1]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def captured() -> Iterator[Captured]:
    endpoint = Captured()
    yield endpoint
    endpoint.close()


@pytest.fixture
def sender(captured: Captured, fake: FakeSlack) -> SlackSender:
    return SlackSender(captured.url, SECRET, response_urls=fake.response_url)


def verifies(secret: str, headers: dict[str, str], body: bytes) -> bool:
    return SignatureVerifier(secret).is_valid_request(body, headers)


def test_signature_verifies_with_slacks_verifier(sender: SlackSender, captured: Captured) -> None:
    response = sender.slash_command("403")
    assert isinstance(response, Response) and response.status == 200 and response.json() == {"ok": True}
    path, headers, body = captured.last()
    assert path == "/slack/events" and verifies(SECRET, headers, body)
    assert not verifies("another-secret", headers, body)
    assert not verifies(SECRET, headers, body + b"&text=tampered")


def test_wrong_secret_stale_and_missing_signatures_do_not_verify(sender: SlackSender, captured: Captured) -> None:
    body = json.dumps(payloads.url_verification("c")).encode()
    sender.post_raw(body, content_type="application/json", secret="wrong")
    assert not verifies(SECRET, *captured.last()[1:])
    sender.post_raw(body, content_type="application/json", timestamp=int(time.time()) - 301)
    assert not verifies(SECRET, *captured.last()[1:])
    sender.post_raw(body, content_type="application/json", timestamp=int(time.time()) - 290)
    assert verifies(SECRET, *captured.last()[1:])
    sender.post_raw(body, content_type="application/json", drop_headers=["X-Slack-Signature"])
    assert "X-Slack-Signature" not in captured.last()[1] and "X-Slack-Request-Timestamp" in captured.last()[1]
    sender.post_raw(b"{not json", content_type="application/json", sign=False)
    assert not any(k.startswith("X-Slack") for k in captured.last()[1])


def test_slash_command_form_body_has_every_field(sender: SlackSender, captured: Captured) -> None:
    sender.slash_command("why 403", channel_id="D42")
    fields = {k: v[0] for k, v in parse_qs(captured.last()[2].decode(), keep_blank_values=True).items()}
    assert list(fields) == [
        "token",
        "team_id",
        "team_domain",
        "channel_id",
        "channel_name",
        "user_id",
        "user_name",
        "command",
        "text",
        "api_app_id",
        "is_enterprise_install",
        "response_url",
        "trigger_id",
    ]
    assert fields["text"] == "why 403" and fields["channel_name"] == "directmessage"
    assert "/response_url/" in fields["response_url"] and fields["is_enterprise_install"] == "false"
    assert captured.last()[1]["Content-Type"] == "application/x-www-form-urlencoded"


def test_event_redelivery_keeps_event_id_and_adds_retry_headers(sender: SlackSender, captured: Captured) -> None:
    envelope = payloads.event_callback(payloads.app_mention("<@UBOT> why 403?", ts="100.1"))
    sender.event(envelope)
    first_headers, first_body = captured.last()[1:]
    sender.redeliver(envelope)
    headers, body = captured.last()[1:]
    assert "X-Slack-Retry-Num" not in first_headers
    assert headers["X-Slack-Retry-Num"] == "1" and headers["X-Slack-Retry-Reason"] == "http_timeout"
    assert json.loads(body)["event_id"] == json.loads(first_body)["event_id"]
    assert verifies(SECRET, headers, body)


def test_block_action_url_verification_ssl_check_and_get(sender: SlackSender, captured: Captured) -> None:
    sender.block_action(payloads.block_action("httpcode.share", "403", response_url="http://127.0.0.1:1/r"))
    payload = json.loads(parse_qs(captured.last()[2].decode())["payload"][0])
    assert payload["type"] == "block_actions" and payload["actions"][0]["action_id"] == "httpcode.share"
    sender.url_verification("abc")
    assert json.loads(captured.last()[2]) == {
        "token": payloads.VERIFICATION_TOKEN,
        "challenge": "abc",
        "type": "url_verification",
    }
    sender.ssl_check()
    assert parse_qs(captured.last()[2].decode())["ssl_check"] == ["1"]
    assert sender.get("/healthz").text == "ready"


def test_sender_never_raises_on_errors_and_stays_on_loopback(sender: SlackSender) -> None:
    denied = sender.post_raw(b"{}", content_type="application/json", path="/deny")
    assert denied.status == 401 and denied.elapsed > 0
    with pytest.raises(ValueError, match="loopback"):
        SlackSender("https://example.com", SECRET)
    with pytest.raises(TypeError, match="response_url"):
        SlackSender("http://127.0.0.1:9", SECRET).slash_command("403")


def test_sender_gets_connection_refused_as_an_error() -> None:
    with pytest.raises(urllib.error.URLError):
        SlackSender("http://127.0.0.1:9", SECRET, timeout=2).post_raw(b"{}", content_type="application/json")


# --- payloads ------------------------------------------------------------------------------------------------


def test_event_callback_envelope_shape() -> None:
    envelope = payloads.event_callback(payloads.im_message("hi", ts="1.2"))
    assert envelope["type"] == "event_callback" and envelope["event_id"].startswith("Ev")
    assert envelope["authorizations"] == [
        {"enterprise_id": None, "team_id": "T0TEST", "user_id": "UBOT", "is_bot": True, "is_enterprise_install": False}
    ]
    assert {"token", "api_app_id", "event_time", "is_ext_shared_channel", "event_context"} <= set(envelope)
    assert envelope["event"]["channel_type"] == "im" and "client_msg_id" in envelope["event"]
    assert "enterprise_id" not in envelope


def test_grid_envelope_and_message_variants() -> None:
    grid = payloads.grid_event_callback(payloads.app_mention("<@UBOT> 5xx", ts="1.1", thread_ts="1.0"))
    assert grid["enterprise_id"] == grid["context_enterprise_id"] == "E0TEST"
    assert grid["team_id"] == grid["context_team_id"] == "T0TEST"
    assert grid["authorizations"][0]["team_id"] is None and grid["authorizations"][0]["is_enterprise_install"]
    assert grid["event"]["thread_ts"] == "1.0"
    assert grid["event"]["blocks"][0]["elements"][0]["elements"][0] == {"type": "user", "user_id": "UBOT"}
    bot = payloads.im_message("beep", ts="2.1", bot_id="B999")
    assert bot["bot_id"] == "B999" and "client_msg_id" not in bot
    edited = payloads.message_changed("new", ts="3.1", edited_ts="3.2", previous_text="old")
    assert edited["subtype"] == "message_changed" and edited["message"]["ts"] == "3.1"
    assert edited["previous_message"]["text"] == "old"


def test_block_action_ephemeral_and_message_containers() -> None:
    ephemeral = payloads.block_action("httpcode.share", "403", response_url="http://127.0.0.1:1/r")
    assert ephemeral["container"]["is_ephemeral"] is True and "message" not in ephemeral
    message = {"type": "message", "ts": "5.5", "text": "t"}
    public = payloads.block_action("httpcode.share", "403", response_url="http://127.0.0.1:1/r", message=message)
    assert public["container"]["message_ts"] == "5.5" and public["message"] == message
    assert {"trigger_id", "api_app_id", "team", "user", "channel", "response_url"} <= set(public)


# --- Socket Mode ---------------------------------------------------------------------------------------------


@pytest.fixture
def socket_server(fake: FakeSlack) -> Iterator[FakeSocketModeServer]:
    pytest.importorskip("websockets")
    with FakeSocketModeServer() as server:
        fake.socket = server
        yield server


def test_apps_connections_open_hands_out_the_socket(fake: FakeSlack, socket_server: FakeSocketModeServer) -> None:
    client = WebClient(base_url=fake.api_url)
    url = client.apps_connections_open(app_token="xapp-1-test")["url"]
    assert url.startswith(socket_server.url + "?ticket=")
    with pytest.raises(SlackApiError, match="not_allowed_token_type"):
        client.apps_connections_open(app_token="xoxb-test")


def test_raw_websocket_client_gets_hello_envelope_and_is_acked(socket_server: FakeSocketModeServer) -> None:
    from websockets.sync.client import connect

    with connect(socket_server.connection_url(), open_timeout=5) as ws:
        hello = json.loads(ws.recv(timeout=5))
        assert hello["type"] == "hello" and hello["connection_info"]["app_id"] == "A0TEST"
        command = payloads.slash_command("403", response_url="http://127.0.0.1:1/r")
        envelope_id = socket_server.send_envelope("slash_commands", command)
        envelope = json.loads(ws.recv(timeout=5))
        assert envelope["type"] == "slash_commands" and envelope["accepts_response_payload"] is True
        assert envelope["payload"]["text"] == "403" and envelope["envelope_id"] == envelope_id
        ws.send(json.dumps({"envelope_id": envelope_id, "payload": {"text": "403 Forbidden"}}))
        ack = socket_server.wait_for_ack(envelope_id)
    assert ack["payload"] == {"text": "403 Forbidden"}
    with pytest.raises(AssertionError, match="no ack for envelope nope"):
        socket_server.wait_for_ack("nope", timeout=0.05)


def test_slack_sdk_socket_mode_client_connects_acks_and_reconnects(
    fake: FakeSlack, socket_server: FakeSocketModeServer
) -> None:
    from slack_sdk.socket_mode.builtin.client import SocketModeClient
    from slack_sdk.socket_mode.request import SocketModeRequest
    from slack_sdk.socket_mode.response import SocketModeResponse

    seen: list[SocketModeRequest] = []

    def listener(client: SocketModeClient, request: SocketModeRequest) -> None:
        seen.append(request)
        client.send_socket_mode_response(SocketModeResponse(envelope_id=request.envelope_id))

    client = SocketModeClient(app_token="xapp-1-test", web_client=WebClient(token="xoxb-test", base_url=fake.api_url))
    client.socket_mode_request_listeners.append(listener)  # type: ignore[arg-type]
    try:
        client.connect()
        socket_server.wait_for_connection()
        envelope = payloads.event_callback(payloads.im_message("hi", ts="1.1"))
        envelope_id = socket_server.send_envelope("events_api", envelope, retry_attempt=1, retry_reason="timeout")
        assert socket_server.wait_for_ack(envelope_id) == {"envelope_id": envelope_id}
        assert seen[0].retry_attempt == 1 and seen[0].payload["event_id"] == envelope["event_id"]
        socket_server.send_disconnect()
        socket_server.wait_for_connection(count=2, timeout=10)
        fake.wait_for("apps.connections.open", count=2)
    finally:
        with contextlib.suppress(AttributeError):  # slack_sdk races a reconnect against close()
            client.close()
