"""The Slack app end to end: signed HTTP on loopback into the real app, Web API calls into the fake."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import pytest

from bot.core import Answerer
from bot.slack.app import create_app, make_client
from tests.slack import payloads
from tests.slack.conftest import SECRET, Served, serve_app
from tests.slack.fakeslack import FakeSlack
from tests.slack.sender import SlackSender

LIVE_MENTIONS = ("<!channel>", "<!here>", "<!everyone>", "<@U")


def mrkdwn_texts(node: Any) -> list[str]:
    """Every mrkdwn string in a message (the places where Slack would render a mention)."""
    found: list[str] = []
    if isinstance(node, dict):
        if node.get("type") == "mrkdwn" and isinstance(node.get("text"), str):
            found.append(node["text"])
        for value in node.values():
            found += mrkdwn_texts(value)
    elif isinstance(node, list):
        for item in node:
            found += mrkdwn_texts(item)
    return found


def header_of(blocks: list[dict[str, Any]]) -> str:
    return next(b["text"]["text"] for b in blocks if b["type"] == "header")


# -- slash command -------------------------------------------------------------------------------


def test_slash_command_is_answered_in_the_ack(sender: SlackSender, fake_slack: FakeSlack) -> None:
    response = sender.slash_command("why am I getting 403")
    assert response.status == 200
    assert response.elapsed < 3.0, "Slack's 3-second ack budget"
    body = response.json()
    assert body["response_type"] == "ephemeral"
    assert body["text"].startswith("403 Forbidden")
    assert header_of(body["blocks"]) == "403 Forbidden"
    assert any(b["type"] == "actions" and b["elements"][-1]["action_id"] == "httpcode_share" for b in body["blocks"])
    assert fake_slack.methods() == [], "no Web API call: the answer travels in the ack"


@pytest.mark.parametrize("text", ["", "help", "  HELP "])
def test_slash_help_and_empty_show_usage(sender: SlackSender, text: str) -> None:
    body = sender.slash_command(text).json()
    assert "/httpcode 403" in json.dumps(body)
    assert body["response_type"] == "ephemeral"


def test_share_button_posts_publicly_then_deletes_the_private_copy(sender: SlackSender, fake_slack: FakeSlack) -> None:
    url = fake_slack.response_url()
    response = sender.block_action(payloads.block_action("httpcode_share", "why am I getting 403", response_url=url))
    assert response.status == 200
    public, delete = fake_slack.wait_for_response(2)
    assert public.body["response_type"] == "in_channel"
    assert public.body["replace_original"] is False
    assert header_of(public.body["blocks"]) == "403 Forbidden"
    assert not any(
        b["type"] == "actions" and b["elements"][-1]["action_id"] == "httpcode_share" for b in public.body["blocks"]
    )
    assert "Shared by <@U123>" in json.dumps(public.body)
    assert delete.body["delete_original"] is True


def test_related_button_answers_that_entry(sender: SlackSender, fake_slack: FakeSlack) -> None:
    url = fake_slack.response_url()
    sender.block_action(payloads.block_action("httpcode_ask_related_2", "401", response_url=url, button_text="401"))
    [answer] = fake_slack.wait_for_response(1)
    assert header_of(answer.body["blocks"]) == "401 Unauthorized"


def test_user_text_never_becomes_a_live_mention(sender: SlackSender) -> None:
    question = "<!channel> <!here|here> <@U999> &lt;!everyone&gt; why 403 <https://evil.example|docs>"
    body = sender.slash_command(question).json()
    for text in mrkdwn_texts(body["blocks"]):
        assert not any(live in text for live in LIVE_MENTIONS), text
    assert "<!" not in body["text"] and "<@" not in body["text"]


# -- mentions and DMs ----------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["<@UBOT> why 403 on S3?", "so <@UBOT> why do we get 403 on S3 uploads"])
def test_mention_is_answered_in_a_thread(sender: SlackSender, fake_slack: FakeSlack, text: str) -> None:
    response = sender.event(payloads.event_callback(payloads.app_mention(text, ts="100.1")))
    assert response.status == 200
    [call] = fake_slack.wait_for("chat.postMessage")
    assert call.body["thread_ts"] == "100.1"
    assert call.body["channel"] == "C123"
    assert call.body["text"].startswith("403 Forbidden")
    fake_slack.assert_calls(["chat.postMessage"])


def test_mention_inside_a_thread_stays_in_that_thread(sender: SlackSender, fake_slack: FakeSlack) -> None:
    sender.event(payloads.event_callback(payloads.app_mention("<@UBOT> 502?", ts="100.5", thread_ts="99.0")))
    [call] = fake_slack.wait_for("chat.postMessage")
    assert call.body["thread_ts"] == "99.0"


def test_dm_is_answered_in_the_dm(sender: SlackSender, fake_slack: FakeSlack) -> None:
    sender.event(payloads.event_callback(payloads.im_message("nginx says upstream timed out", ts="200.1")))
    [call] = fake_slack.wait_for("chat.postMessage")
    assert call.body["channel"] == "D123"
    assert "thread_ts" not in call.body
    assert call.body["text"].startswith("504 Gateway Timeout")


def test_dm_in_a_thread_is_answered_in_the_thread(sender: SlackSender, fake_slack: FakeSlack) -> None:
    sender.event(payloads.event_callback(payloads.im_message("and 502?", ts="200.9", thread_ts="200.1")))
    [call] = fake_slack.wait_for("chat.postMessage")
    assert call.body["thread_ts"] == "200.1"


def test_dm_with_slack_formatted_links(sender: SlackSender, fake_slack: FakeSlack) -> None:
    text = "is <https://api.example.com/v1/health|the health check> answering 503 for you?"
    sender.event(payloads.event_callback(payloads.im_message(text, ts="201.1")))
    [call] = fake_slack.wait_for("chat.postMessage")
    assert call.body["text"].startswith("503 Service Unavailable")


def sentinel(sender: SlackSender, fake_slack: FakeSlack, count: int) -> None:
    """Send one DM that must be answered, and wait for it: everything sent before has been handled."""
    sender.event(payloads.event_callback(payloads.im_message("418", ts="999.1")))
    calls = fake_slack.wait_for("chat.postMessage", count)
    assert calls[-1].body["text"].startswith("418")


@pytest.mark.parametrize(
    "event",
    [
        payloads.im_message("403", ts="300.1", bot_id="BOTHER"),
        payloads.im_message("403", ts="300.2", user="UBOT", bot_id="BBOT"),
        payloads.im_message("403", ts="300.3", subtype="channel_join"),
        payloads.message_changed("403", ts="300.4", edited_ts="300.5", previous_text="402"),
    ],
    ids=["other-bot", "ourselves", "subtype", "edit"],
)
def test_bots_edits_and_subtypes_are_not_answered(sender: SlackSender, fake_slack: FakeSlack, event: dict) -> None:
    response = sender.event(payloads.event_callback(event))
    assert response.status == 200
    sentinel(sender, fake_slack, 1)
    fake_slack.assert_calls(["chat.postMessage"])


def test_retried_event_is_answered_once(sender: SlackSender, fake_slack: FakeSlack) -> None:
    envelope = payloads.event_callback(payloads.app_mention("<@UBOT> 429", ts="400.1"))
    assert sender.event(envelope).status == 200
    fake_slack.wait_for("chat.postMessage")
    assert sender.redeliver(envelope, retry_num=1, reason="http_timeout").status == 200
    assert sender.redeliver(envelope, retry_num=2, reason="http_timeout").status == 200
    sentinel(sender, fake_slack, 2)
    assert [c.body["text"][:3] for c in fake_slack.calls_to("chat.postMessage")] == ["429", "418"]


def test_enterprise_grid_envelope(sender: SlackSender, fake_slack: FakeSlack) -> None:
    sender.event(payloads.grid_event_callback(payloads.app_mention("<@UBOT> 401 vs 403", ts="500.1")))
    [call] = fake_slack.wait_for("chat.postMessage")
    assert call.body["thread_ts"] == "500.1"


def test_app_home_is_published_for_the_home_tab_only(sender: SlackSender, fake_slack: FakeSlack) -> None:
    sender.event(payloads.event_callback(payloads.app_home_opened(tab="messages")))
    sender.event(payloads.event_callback(payloads.app_home_opened(tab="home")))
    [call] = fake_slack.wait_for("views.publish")
    assert call.body["user_id"] == "U123"
    assert call.body["view"]["type"] == "home"
    assert fake_slack.methods() == ["views.publish"]


# -- failures -------------------------------------------------------------------------------------


def test_rate_limited_post_is_retried_and_answered_once(sender: SlackSender, fake_slack: FakeSlack) -> None:
    fake_slack.fail_next("chat.postMessage", status=429, headers={"Retry-After": "1"})
    sender.event(payloads.event_callback(payloads.app_mention("<@UBOT> 503", ts="600.1")))
    first, second = fake_slack.wait_for("chat.postMessage", 2, timeout=10)
    assert first.status == 429 and second.ok
    assert second.at - first.at >= 0.9, "Retry-After was honoured"
    assert second.body["text"].startswith("503")


def test_rejected_blocks_give_a_plain_apology(
    sender: SlackSender, fake_slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    fake_slack.fail_next("chat.postMessage", error="invalid_blocks")
    with caplog.at_level(logging.ERROR, logger="httpcode.slack"):
        sender.event(payloads.event_callback(payloads.app_mention("<@UBOT> 500", ts="700.1")))
        first, apology = fake_slack.wait_for("chat.postMessage", 2)
    assert not first.ok
    assert "blocks" not in apology.body
    assert "invalid_blocks" in apology.body["text"] and apology.body["thread_ts"] == "700.1"
    assert "invalid_blocks" in caplog.text
    assert "xoxb-test-token" not in caplog.text


def test_listener_failure_apologises_and_keeps_serving(fake_slack: FakeSlack, answerer: Answerer) -> None:
    class Broken:
        kb = answerer.kb

        def answer(self, question: str) -> Any:
            raise RuntimeError("boom")

    app = create_app(Broken(), client=make_client("xoxb-test-token", fake_slack.api_url), signing_secret=SECRET)
    server, url, thread = serve_app(app)
    try:
        local = SlackSender(url, SECRET, response_urls=fake_slack.response_url)
        body = local.slash_command("403").json()
        assert "internal error" in body["text"]
        assert local.get("/healthz").status == 200
    finally:
        server.close()
        thread.join(5)


# -- protocol ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "how",
    [
        {"secret": "not-the-secret"},
        {"timestamp": int(time.time()) - 6 * 60},
        {"drop_headers": ["X-Slack-Signature"]},
        {"drop_headers": ["X-Slack-Request-Timestamp"]},
        {"sign": False},
    ],
    ids=["wrong-secret", "stale", "no-signature", "no-timestamp", "unsigned"],
)
def test_bad_signatures_are_rejected(sender: SlackSender, fake_slack: FakeSlack, how: dict) -> None:
    body = json.dumps(payloads.event_callback(payloads.app_mention("<@UBOT> 403", ts="800.1"))).encode()
    response = sender.post_raw(body, content_type="application/json", **how)
    assert response.status == 401
    assert fake_slack.methods() == []


def test_url_verification_and_ssl_check(sender: SlackSender) -> None:
    response = sender.url_verification("3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P")
    assert response.status == 200
    assert "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" in response.text
    assert sender.ssl_check().status == 200


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"{not json", "application/json"),
        (b"payload=%7Bbroken", "application/x-www-form-urlencoded"),
        (b"\xff\xfe\x00", "application/json"),
        (b"[]", "application/json"),
    ],
    ids=["bad-json", "bad-payload", "binary", "json-list"],
)
def test_malformed_signed_bodies_get_a_4xx_not_a_500(sender: SlackSender, body: bytes, content_type: str) -> None:
    assert sender.post_raw(body, content_type=content_type).status == 400
    assert sender.post_raw(body, content_type=content_type, secret="wrong").status == 401
    assert sender.get("/healthz").status == 200


def test_unhandled_events_and_actions_are_acknowledged(sender: SlackSender, fake_slack: FakeSlack) -> None:
    reaction = {"type": "reaction_added", "user": "U123", "reaction": "eyes", "item": {}, "event_ts": "1.1"}
    assert sender.event(payloads.event_callback(reaction)).status == 200
    other = payloads.block_action("someone_elses_button", "x", response_url=fake_slack.response_url())
    assert sender.block_action(other).status == 200
    assert sender.slash_command("403", command="/other").status == 200


def test_health_routes(served: Served, sender: SlackSender) -> None:
    health = sender.get("/healthz")
    assert health.status == 200 and health.json() == {"status": "ok", "mode": "http"}
    assert sender.get("/readyz").status == 200
    assert sender.get("/nope").status == 404
    assert sender.get("/slack/events").status == 405
