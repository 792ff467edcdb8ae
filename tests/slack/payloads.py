"""Builders of inbound Slack payloads, shaped like the ones Slack really sends.

Shapes follow Slack's documented examples (slash command form body, Events API `event_callback` envelope,
`block_actions` interaction payload, Socket Mode envelopes) so listeners meet the fields, and the absences,
they will meet in production. Ids are deterministic per process so failures are reproducible.
"""

from __future__ import annotations

import hashlib
import itertools
import re
import time
import uuid
from typing import Any

TEAM_ID = "T0TEST"
TEAM_DOMAIN = "testteam"
ENTERPRISE_ID = "E0TEST"
API_APP_ID = "A0TEST"
BOT_USER_ID = "UBOT"
BOT_ID = "BBOT"
VERIFICATION_TOKEN = "verification-token-deprecated"  # Slack still sends it; nobody should check it

_ids = itertools.count(1)
_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")


def _next() -> int:
    return next(_ids)


def new_trigger_id() -> str:
    """A trigger id in Slack's `digits.digits.hex` shape."""
    n = _next()
    return f"{1700000000000 + n}.{7384749201 + n}.{hashlib.sha1(str(n).encode()).hexdigest()[:32]}"


def new_event_id() -> str:
    """An `Ev...` id; redeliveries must reuse the original one, so builders only mint it once."""
    return f"Ev0TEST{_next():06d}"


def new_envelope_id() -> str:
    """Socket Mode envelope ids are UUIDs."""
    return str(uuid.uuid4())


def rich_text(text: str) -> list[dict[str, Any]]:
    """The `rich_text` block Slack attaches to user messages, with `<@U...>` tokens as `user` elements."""
    elements: list[dict[str, Any]] = []
    pos = 0
    for match in _MENTION.finditer(text):
        if match.start() > pos:
            elements.append({"type": "text", "text": text[pos : match.start()]})
        elements.append({"type": "user", "user_id": match.group(1)})
        pos = match.end()
    if pos < len(text):
        elements.append({"type": "text", "text": text[pos:]})
    block_id = hashlib.sha1(text.encode()).hexdigest()[:5]
    return [
        {"type": "rich_text", "block_id": block_id, "elements": [{"type": "rich_text_section", "elements": elements}]}
    ]


# --- slash command -------------------------------------------------------------------------------------------


def slash_command(
    text: str,
    *,
    response_url: str,
    user_id: str = "U123",
    user_name: str = "alice",
    channel_id: str = "C123",
    channel_name: str | None = None,
    team_id: str = TEAM_ID,
    team_domain: str = TEAM_DOMAIN,
    enterprise_id: str | None = None,
    enterprise_name: str | None = None,
    command: str = "/httpcode",
    trigger_id: str | None = None,
    api_app_id: str = API_APP_ID,
    is_enterprise_install: bool = False,
    token: str = VERIFICATION_TOKEN,
) -> dict[str, str]:
    """The form body of a slash command: every field Slack sends, all strings, in Slack's order.

    `channel_name` defaults to "directmessage" for D channels (what Slack sends there), else "general".
    """
    if channel_name is None:
        channel_name = "directmessage" if channel_id.startswith("D") else "general"
    body = {"token": token, "team_id": team_id, "team_domain": team_domain}
    if enterprise_id is not None:
        body["enterprise_id"] = enterprise_id
        body["enterprise_name"] = enterprise_name or "Test Grid"
    body |= {
        "channel_id": channel_id,
        "channel_name": channel_name,
        "user_id": user_id,
        "user_name": user_name,
        "command": command,
        "text": text,
        "api_app_id": api_app_id,
        "is_enterprise_install": "true" if is_enterprise_install else "false",
        "response_url": response_url,
        "trigger_id": trigger_id or new_trigger_id(),
    }
    return body


# --- inner events --------------------------------------------------------------------------------------------


def app_mention(
    text: str,
    *,
    ts: str,
    thread_ts: str | None = None,
    user: str = "U123",
    channel: str = "C123",
    team: str = TEAM_ID,
    subtype: str | None = None,
) -> dict[str, Any]:
    """An `app_mention` event; `event_ts` equals `ts`; thread replies carry `thread_ts` and `parent_user_id`.

    `subtype="document_mention"` is what a mention inside a canvas looks like.
    """
    event: dict[str, Any] = {
        "type": "app_mention",
        "user": user,
        "text": text,
        "ts": ts,
        "client_msg_id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{channel}/{ts}")),
        "team": team,
        "blocks": rich_text(text),
        "channel": channel,
        "event_ts": ts,
    }
    if subtype is not None:
        event["subtype"] = subtype
    if thread_ts is not None:
        event["thread_ts"] = thread_ts
        event["parent_user_id"] = user
    return event


def im_message(
    text: str,
    *,
    ts: str,
    thread_ts: str | None = None,
    user: str = "U123",
    channel: str = "D123",
    bot_id: str | None = None,
    subtype: str | None = None,
    team: str = TEAM_ID,
) -> dict[str, Any]:
    """A `message.im` event (type `message`, `channel_type` "im").

    With `bot_id`, it is a bot's message as chat.postMessage produces it: `bot_id`, `app_id`, `bot_profile`,
    no `client_msg_id`. `subtype` (e.g. "bot_message", "message_deleted") is passed through as is.
    """
    event: dict[str, Any] = {"type": "message", "user": user, "text": text, "ts": ts}
    if bot_id is None:
        event["client_msg_id"] = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{channel}/{ts}"))
    else:
        event["bot_id"] = bot_id
        event["app_id"] = API_APP_ID if bot_id == BOT_ID else "A0OTHER"
        event["bot_profile"] = {"id": bot_id, "app_id": event["app_id"], "name": "a bot", "team_id": team}
    if subtype is not None:
        event["subtype"] = subtype
    event |= {"team": team, "blocks": rich_text(text), "channel": channel, "event_ts": ts, "channel_type": "im"}
    if thread_ts is not None:
        event["thread_ts"] = thread_ts
        event["parent_user_id"] = user
    return event


def message_changed(
    text: str,
    *,
    ts: str,
    edited_ts: str,
    previous_text: str = "",
    user: str = "U123",
    channel: str = "D123",
    channel_type: str = "im",
) -> dict[str, Any]:
    """A `message_changed` event: the edit's own `ts` outside, the original `ts` in `message`."""
    original = {"type": "message", "user": user, "text": previous_text, "ts": ts}
    return {
        "type": "message",
        "subtype": "message_changed",
        "hidden": True,
        "channel": channel,
        "ts": edited_ts,
        "event_ts": edited_ts,
        "channel_type": channel_type,
        "message": {**original, "text": text, "edited": {"user": user, "ts": edited_ts}},
        "previous_message": original,
    }


def app_home_opened(*, user: str = "U123", channel: str = "D123", tab: str = "home") -> dict[str, Any]:
    """An `app_home_opened` event; the Messages tab fires it too (`tab` "messages")."""
    return {
        "type": "app_home_opened",
        "user": user,
        "channel": channel,
        "tab": tab,
        "event_ts": f"{time.time():.6f}",
    }


# --- Events API envelope -------------------------------------------------------------------------------------


def event_callback(
    event: dict[str, Any],
    *,
    event_id: str | None = None,
    team_id: str = TEAM_ID,
    enterprise_id: str | None = None,
    is_enterprise_install: bool = False,
    api_app_id: str = API_APP_ID,
    event_time: int | None = None,
    bot_user_id: str = BOT_USER_ID,
    token: str = VERIFICATION_TOKEN,
) -> dict[str, Any]:
    """The `event_callback` envelope around an inner event.

    `authorizations` names the installation the event is delivered for: our bot user. With `enterprise_id`
    (Enterprise Grid) the envelope also carries `enterprise_id`, `context_team_id` and `context_enterprise_id`;
    an org-wide install (`is_enterprise_install=True`) has no team in its authorization.
    """
    envelope: dict[str, Any] = {"token": token, "team_id": team_id}
    if enterprise_id is not None:
        envelope["enterprise_id"] = enterprise_id
        envelope["context_team_id"] = team_id
        envelope["context_enterprise_id"] = enterprise_id
    envelope |= {
        "api_app_id": api_app_id,
        "event": event,
        "type": "event_callback",
        "event_id": event_id or new_event_id(),
        "event_time": event_time if event_time is not None else int(time.time()),
        "authorizations": [
            {
                "enterprise_id": enterprise_id,
                "team_id": None if is_enterprise_install else team_id,
                "user_id": bot_user_id,
                "is_bot": True,
                "is_enterprise_install": is_enterprise_install,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": "4-" + hashlib.sha1(repr(sorted(event.items())).encode()).hexdigest(),
    }
    return envelope


def grid_event_callback(
    event: dict[str, Any],
    *,
    enterprise_id: str = ENTERPRISE_ID,
    team_id: str = TEAM_ID,
    is_enterprise_install: bool = True,
    event_id: str | None = None,
) -> dict[str, Any]:
    """The Enterprise Grid variant: an org-wide install receiving an event from workspace `team_id`."""
    return event_callback(
        event,
        event_id=event_id,
        team_id=team_id,
        enterprise_id=enterprise_id,
        is_enterprise_install=is_enterprise_install,
    )


def url_verification(challenge: str, *, token: str = VERIFICATION_TOKEN) -> dict[str, str]:
    """Sent once when the Request URL is saved; the app must echo `challenge`."""
    return {"token": token, "challenge": challenge, "type": "url_verification"}


def ssl_check(*, token: str = VERIFICATION_TOKEN) -> dict[str, str]:
    """The form body Slack sends to a slash command URL to check its certificate; the app answers 200."""
    return {"ssl_check": "1", "token": token}


# --- interactivity -------------------------------------------------------------------------------------------


def block_action(
    action_id: str,
    value: str,
    *,
    response_url: str,
    user_id: str = "U123",
    user_name: str = "alice",
    channel_id: str = "C123",
    channel_name: str = "general",
    message: dict[str, Any] | None = None,
    block_id: str = "httpcode.actions",
    button_text: str = "Share in channel",
    team_id: str = TEAM_ID,
    trigger_id: str | None = None,
    api_app_id: str = API_APP_ID,
    token: str = VERIFICATION_TOKEN,
) -> dict[str, Any]:
    """A `block_actions` payload for a button click.

    Without `message` the button sat on an ephemeral message (our slash command answers): Slack then sends
    `container.is_ephemeral: true` and no `message` field. With `message`, the container points at its `ts`.
    """
    now = f"{time.time():.6f}"
    message_ts = message["ts"] if message is not None else now
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": {"id": user_id, "username": user_name, "name": user_name, "team_id": team_id},
        "api_app_id": api_app_id,
        "token": token,
        "container": {
            "type": "message",
            "message_ts": message_ts,
            "channel_id": channel_id,
            "is_ephemeral": message is None,
        },
        "trigger_id": trigger_id or new_trigger_id(),
        "team": {"id": team_id, "domain": TEAM_DOMAIN},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel_id, "name": channel_name},
        "state": {"values": {}},
        "response_url": response_url,
        "actions": [
            {
                "action_id": action_id,
                "block_id": block_id,
                "text": {"type": "plain_text", "text": button_text, "emoji": True},
                "value": value,
                "type": "button",
                "action_ts": now,
            }
        ],
    }
    if message is not None:
        payload["message"] = message
    return payload


# --- Socket Mode ---------------------------------------------------------------------------------------------

ENVELOPE_TYPES = ("events_api", "slash_commands", "interactive")


def socket_envelope(
    envelope_type: str,
    payload: dict[str, Any],
    *,
    envelope_id: str | None = None,
    accepts_response_payload: bool | None = None,
    retry_attempt: int = 0,
    retry_reason: str = "",
) -> dict[str, Any]:
    """A Socket Mode envelope; the app acks by sending back `{"envelope_id": ...}`.

    Commands accept a response payload (the ack may carry the answer), events do not; interactive payloads
    default to False (True only for view submissions and options). Events also carry `retry_attempt` and
    `retry_reason`, the socket equivalents of the `X-Slack-Retry-*` headers.
    """
    if envelope_type not in ENVELOPE_TYPES:
        raise ValueError(f"unknown envelope type {envelope_type!r}; expected one of {ENVELOPE_TYPES}")
    if accepts_response_payload is None:
        accepts_response_payload = envelope_type == "slash_commands"
    envelope: dict[str, Any] = {
        "envelope_id": envelope_id or new_envelope_id(),
        "payload": payload,
        "type": envelope_type,
        "accepts_response_payload": accepts_response_payload,
    }
    if envelope_type == "events_api":
        envelope["retry_attempt"] = retry_attempt
        envelope["retry_reason"] = retry_reason
    return envelope
