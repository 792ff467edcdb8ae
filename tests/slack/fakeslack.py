"""A fake Slack on loopback: the Web API, `response_url` endpoints and a Socket Mode stand-in.

Real sockets, ports from 0, recorded calls awaited on a `threading.Condition` (never a sleep), faults chosen
per test. Block Kit is validated the way Slack rejects it, a little stricter (blocks without fallback `text`
fail), so a green scenario means Slack would have accepted the message.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

from tests.slack import payloads

if TYPE_CHECKING:
    from websockets.asyncio.server import Server, ServerConnection
    from websockets.http11 import Request, Response

HOST = "127.0.0.1"
MESSAGE_BLOCK_LIMIT = 50
VIEW_BLOCK_LIMIT = 100
TEXT_LIMIT = 40_000
RESPONSE_URL_USES = 5
BOT_SCOPES = "commands,chat:write,app_mentions:read,im:history"
KNOWN_BLOCK_TYPES = frozenset({"section", "header", "context", "divider", "actions", "rich_text", "image", "input"})
INTERACTIVE_ELEMENTS = frozenset(
    {
        "button",
        "checkboxes",
        "datepicker",
        "datetimepicker",
        "timepicker",
        "overflow",
        "radio_buttons",
        "plain_text_input",
        "email_text_input",
        "url_text_input",
        "number_input",
        "rich_text_input",
        "static_select",
        "external_select",
        "users_select",
        "conversations_select",
        "channels_select",
        "multi_static_select",
        "multi_external_select",
        "multi_users_select",
        "multi_conversations_select",
        "multi_channels_select",
        "workflow_button",
    }
)
TEXT_TYPES = ("plain_text", "mrkdwn")
JSON_FORM_FIELDS = ("blocks", "view", "attachments")
FAULT_ERRORS = {429: "ratelimited", 500: "internal_error", 502: "internal_error", 503: "service_unavailable"}


# --- Block Kit validation ------------------------------------------------------------------------------------


class _Validator:
    """Collects Slack-style `problem [json-pointer:/path]` errors over one message or view."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.action_ids: dict[str, str] = {}
        self.block_ids: dict[str, str] = {}

    def error(self, problem: str, pointer: str) -> None:
        self.errors.append(f"{problem} [json-pointer:{pointer}]")

    def length(self, value: object, limit: int, pointer: str) -> None:
        if isinstance(value, str) and len(value) > limit:
            self.error(f"must be less than {limit + 1} characters", pointer)

    def text_object(self, obj: object, pointer: str, *, limit: int, plain_only: bool = False) -> None:
        """Type and length of a text object; emptiness is checked for every text object by `empty_texts`."""
        if not isinstance(obj, dict):
            self.error("must provide an object", pointer)
            return
        allowed = ("plain_text",) if plain_only else TEXT_TYPES
        if obj.get("type") not in allowed:
            self.error(f"must be {' or '.join(allowed)}", f"{pointer}/type")
        text = obj.get("text")
        if not isinstance(text, str):
            self.error("must provide a string", f"{pointer}/text")
        else:
            self.length(text, limit, f"{pointer}/text")

    def unique_id(self, seen: dict[str, str], kind: str, value: object, pointer: str) -> None:
        if not isinstance(value, str):
            self.error("must provide a string", pointer)
            return
        self.length(value, 255, pointer)
        if value in seen:
            self.error(f"duplicate {kind} {value!r} (first at {seen[value]})", pointer)
        else:
            seen[value] = pointer

    def empty_texts(self, node: object, pointer: str) -> None:
        """Slack rejects an empty or blank text object anywhere in the tree."""
        if isinstance(node, dict):
            if node.get("type") in TEXT_TYPES and isinstance(node.get("text"), str) and not node["text"].strip():
                self.error("must be more than 0 characters", f"{pointer}/text")
            for key, value in node.items():
                self.empty_texts(value, f"{pointer}/{key}")
        elif isinstance(node, list):
            for index, value in enumerate(node):
                self.empty_texts(value, f"{pointer}/{index}")

    def element(self, element: object, pointer: str, *, allow_image: bool = False) -> None:
        if not isinstance(element, dict):
            self.error("must provide an object", pointer)
            return
        kind = element.get("type")
        if kind == "image" and allow_image:
            self.image(element, pointer, alt_key="alt_text")
            return
        if kind not in INTERACTIVE_ELEMENTS:
            self.error(f"unsupported element type {kind!r}", f"{pointer}/type")
            return
        if "action_id" in element:
            self.unique_id(self.action_ids, "action_id", element["action_id"], f"{pointer}/action_id")
        if kind == "button":
            self.text_object(element.get("text"), f"{pointer}/text", limit=75, plain_only=True)
            self.length(element.get("value"), 2000, f"{pointer}/value")
            self.length(element.get("url"), 3000, f"{pointer}/url")
            if element.get("style") not in (None, "primary", "danger"):
                self.error("must be primary or danger", f"{pointer}/style")

    def image(self, obj: Mapping[str, Any], pointer: str, *, alt_key: str) -> None:
        if "image_url" not in obj and "slack_file" not in obj:
            self.error("must provide image_url or slack_file", pointer)
        self.length(obj.get("image_url"), 3000, f"{pointer}/image_url")
        alt = obj.get(alt_key)
        if not isinstance(alt, str) or not alt.strip():
            self.error("must provide a non-empty string", f"{pointer}/{alt_key}")
        self.length(alt, 2000, f"{pointer}/{alt_key}")

    def block(self, block: object, pointer: str) -> None:
        if not isinstance(block, dict):
            self.error("must provide an object", pointer)
            return
        kind = block.get("type")
        if kind not in KNOWN_BLOCK_TYPES:
            self.error(f"unsupported block type {kind!r}", f"{pointer}/type")
            return
        if "block_id" in block:
            self.unique_id(self.block_ids, "block_id", block["block_id"], f"{pointer}/block_id")
        check = getattr(self, f"_{kind}")
        check(block, pointer)

    def _section(self, block: dict[str, Any], pointer: str) -> None:
        if "text" not in block and "fields" not in block:
            self.error("must provide text or fields", pointer)
        if "text" in block:
            self.text_object(block["text"], f"{pointer}/text", limit=3000)
        if "fields" in block:
            fields = block["fields"]
            if not isinstance(fields, list) or not fields:
                self.error("must provide a non-empty array", f"{pointer}/fields")
            else:
                if len(fields) > 10:
                    self.error("no more than 10 items allowed", f"{pointer}/fields")
                for index, item in enumerate(fields):
                    self.text_object(item, f"{pointer}/fields/{index}", limit=2000)
        if "accessory" in block:
            self.element(block["accessory"], f"{pointer}/accessory", allow_image=True)

    def _header(self, block: dict[str, Any], pointer: str) -> None:
        self.text_object(block.get("text"), f"{pointer}/text", limit=150, plain_only=True)

    def _context(self, block: dict[str, Any], pointer: str) -> None:
        elements = block.get("elements")
        if not isinstance(elements, list) or not elements:
            self.error("must provide a non-empty array", f"{pointer}/elements")
            return
        if len(elements) > 10:
            self.error("no more than 10 items allowed", f"{pointer}/elements")
        for index, item in enumerate(elements):
            item_pointer = f"{pointer}/elements/{index}"
            if isinstance(item, dict) and item.get("type") == "image":
                self.image(item, item_pointer, alt_key="alt_text")
            else:
                self.text_object(item, item_pointer, limit=3000)

    def _divider(self, block: dict[str, Any], pointer: str) -> None:
        """Nothing to check beyond `block_id`."""

    def _actions(self, block: dict[str, Any], pointer: str) -> None:
        elements = block.get("elements")
        if not isinstance(elements, list) or not elements:
            self.error("must provide a non-empty array", f"{pointer}/elements")
            return
        if len(elements) > 25:
            self.error("no more than 25 items allowed", f"{pointer}/elements")
        for index, item in enumerate(elements):
            self.element(item, f"{pointer}/elements/{index}")

    def _rich_text(self, block: dict[str, Any], pointer: str) -> None:
        if not isinstance(block.get("elements"), list):
            self.error("must provide an array", f"{pointer}/elements")

    def _image(self, block: dict[str, Any], pointer: str) -> None:
        self.image(block, pointer, alt_key="alt_text")
        if "title" in block:
            self.text_object(block["title"], f"{pointer}/title", limit=2000, plain_only=True)

    def _input(self, block: dict[str, Any], pointer: str) -> None:
        self.text_object(block.get("label"), f"{pointer}/label", limit=2000, plain_only=True)
        if "hint" in block:
            self.text_object(block["hint"], f"{pointer}/hint", limit=2000, plain_only=True)
        if "element" not in block:
            self.error("must provide an element", f"{pointer}/element")
        else:
            self.element(block["element"], f"{pointer}/element")


def validate_blocks(
    blocks: object,
    *,
    limit: int = MESSAGE_BLOCK_LIMIT,
    require_text: str | bool | None = None,
    pointer: str = "/blocks",
) -> list[str]:
    """Slack-style errors for a `blocks` array; empty when Slack would accept it.

    `require_text` applies the fallback-text rule: pass the message's top-level `text` (or True when it has
    none); None skips the rule, as for views. `pointer` prefixes the json-pointers ("/view/blocks" for views).
    """
    check = _Validator()
    if not isinstance(blocks, list):
        check.error("must provide an array", pointer)
        return check.errors
    if len(blocks) > limit:
        check.error(f"no more than {limit} items allowed", pointer)
    for index, block in enumerate(blocks):
        check.block(block, f"{pointer}/{index}")
    check.empty_texts(blocks, pointer)
    if require_text is True or (isinstance(require_text, str) and not require_text.strip()):
        check.error("missing fallback text: send top-level `text` with `blocks` (Slack only warns)", "/text")
    return check.errors


def validate_message(body: Mapping[str, Any]) -> list[str]:
    """Errors for a chat.* or `response_url` body: its blocks, and fallback text whenever blocks are sent."""
    if body.get("blocks") is None:
        return []
    text = body.get("text")
    return validate_blocks(body["blocks"], require_text=text if isinstance(text, str) else True)


def validate_view(view: object) -> list[str]:
    """Errors for a `views.*` view: type, at most 100 blocks, modal title and button lengths."""
    if not isinstance(view, dict):
        return ["must provide an object [json-pointer:/view]"]
    errors: list[str] = []
    kind = view.get("type")
    if kind not in ("home", "modal"):
        errors.append("must be home or modal [json-pointer:/view/type]")
    if kind == "modal":
        check = _Validator()
        check.text_object(view.get("title"), "/view/title", limit=24, plain_only=True)
        for key in ("submit", "close"):
            if key in view:
                check.text_object(view[key], f"/view/{key}", limit=24, plain_only=True)
        errors += check.errors
    for key, limit in (("callback_id", 255), ("external_id", 255), ("private_metadata", 3000)):
        value = view.get(key)
        if isinstance(value, str) and len(value) > limit:
            errors.append(f"must be less than {limit + 1} characters [json-pointer:/view/{key}]")
    return errors + validate_blocks(view.get("blocks", []), limit=VIEW_BLOCK_LIMIT, pointer="/view/blocks")


# --- recorded calls ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    """One Web API request as the fake saw it, and what it answered. `at` is `time.monotonic()`."""

    method: str
    headers: dict[str, str]
    body: dict[str, Any]
    at: float
    status: int = 200
    response: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status == 200 and self.response.get("ok") is True


@dataclass(frozen=True)
class ResponseCall:
    """One POST to a `response_url`, and the status the fake answered."""

    id: str
    body: dict[str, Any]
    at: float
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status == 200


@dataclass
class _Fault:
    status: int
    error: str
    headers: dict[str, str]
    remaining: int


@dataclass
class _Reply:
    status: int
    body: bytes
    content_type: str
    headers: dict[str, str] = field(default_factory=dict)


def _json_reply(body: Mapping[str, Any], status: int = 200, headers: dict[str, str] | None = None) -> _Reply:
    return _Reply(status, json.dumps(body).encode(), "application/json; charset=utf-8", headers or {})


def _text_reply(text: str, status: int = 200) -> _Reply:
    return _Reply(status, text.encode(), "text/plain; charset=utf-8")


def _invalid(error: str, errors: list[str]) -> dict[str, Any]:
    return {
        "ok": False,
        "error": error,
        "errors": errors,
        "response_metadata": {"messages": [f"[ERROR] {e}" for e in errors]},
    }


# --- the fake ------------------------------------------------------------------------------------------------


class FakeSlack:
    """The Slack Web API and `response_url`s on 127.0.0.1, port 0, one daemon thread.

    Point the app's `WebClient(base_url=fake.api_url)` here. Every call is recorded; `wait_for` blocks on a
    Condition until the app made it. `fail_next` and `delay` inject Slack's failures per test.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._calls: list[Call] = []
        self._responses: list[ResponseCall] = []
        self._faults: dict[str, list[_Fault]] = defaultdict(list)
        self._delays: dict[str, float] = {}
        self._canned: dict[str, dict[str, Any]] = {}
        self._response_url_uses: dict[str, int] = defaultdict(int)
        self._expired: set[str] = set()
        self._ts = itertools.count(1)
        self._ids = itertools.count(1)
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.socket: FakeSocketModeServer | None = None

    # lifecycle

    def start(self) -> FakeSlack:
        if self._server is not None:
            return self
        fake = self

        class Handler(_Handler):
            owner = fake

        self._stopping.clear()
        self._server = ThreadingHTTPServer((HOST, 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), name="FakeSlack", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._stopping.set()  # wakes handlers inside `delay`
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> FakeSlack:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("FakeSlack is not started")
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def api_url(self) -> str:
        return self.url + "/api/"

    def response_url(self, id: str | None = None) -> str:
        """A fresh `response_url` on the fake (5 uses, like Slack's)."""
        return f"{self.url}/response_url/{id or f'R{next(self._ids):04d}'}"

    def expire_response_url(self, id_or_url: str) -> None:
        """Make a `response_url` answer 404 `expired_url`, as Slack does after 30 minutes."""
        self._expired.add(id_or_url.rstrip("/").rsplit("/", 1)[-1])

    # test controls

    def fail_next(
        self,
        method: str,
        *,
        status: int = 200,
        error: str | None = None,
        headers: Mapping[str, str] | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next `times` calls to `method` with a failure.

        429 answers `ratelimited` with `Retry-After` (default "1"); 500/503 answer that status; a 200 needs
        `error` (`channel_not_found`, `not_in_channel`, `invalid_auth`, `msg_too_long`, ...).
        """
        if status == 200 and error is None:
            raise ValueError("a 200 fault needs an `error`, e.g. error='channel_not_found'")
        extra = dict(headers or {})
        if status == 429 and not any(k.lower() == "retry-after" for k in extra):
            extra["Retry-After"] = "1"
        fault = _Fault(status, error or FAULT_ERRORS.get(status, "internal_error"), extra, times)
        with self._cond:
            self._faults[method].append(fault)

    def delay(self, method: str, seconds: float) -> None:
        """Hold every answer to `method` for `seconds` (0 removes it); simulates a slow Slack, not a wait."""
        with self._cond:
            if seconds > 0:
                self._delays[method] = seconds
            else:
                self._delays.pop(method, None)

    def set_response(self, method: str, body: Mapping[str, Any]) -> None:
        """Serve `body` (an `ok: true` answer) for a method the fake does not know, e.g. `users.info`."""
        with self._cond:
            self._canned[method] = {"ok": True, **body}

    def reset(self) -> None:
        """Forget calls, responses, faults, delays and response_url uses; `ts` keeps increasing."""
        with self._cond:
            self._calls.clear()
            self._responses.clear()
            self._faults.clear()
            self._delays.clear()
            self._canned.clear()
            self._response_url_uses.clear()
            self._expired.clear()

    # inspection

    @property
    def calls(self) -> list[Call]:
        with self._cond:
            return list(self._calls)

    @property
    def responses(self) -> list[ResponseCall]:
        with self._cond:
            return list(self._responses)

    def calls_to(self, method: str) -> list[Call]:
        with self._cond:
            return [c for c in self._calls if c.method == method]

    def methods(self, *, include_auth_test: bool = False) -> list[str]:
        with self._cond:
            return [c.method for c in self._calls if include_auth_test or c.method != "auth.test"]

    def wait_for(self, method: str, count: int = 1, timeout: float = 3.0) -> list[Call]:
        """Block until at least `count` calls to `method` were recorded; return them all."""
        with self._cond:
            done = self._cond.wait_for(lambda: len([c for c in self._calls if c.method == method]) >= count, timeout)
            if not done:
                got = len([c for c in self._calls if c.method == method])
                raise AssertionError(
                    f"expected {count} call(s) to {method} within {timeout}s, got {got}; "
                    f"recorded: {[c.method for c in self._calls]}; response_url posts: {len(self._responses)}"
                )
            return [c for c in self._calls if c.method == method]

    def wait_for_response(self, count: int = 1, timeout: float = 3.0) -> list[ResponseCall]:
        """Block until at least `count` `response_url` posts were recorded; return them all."""
        with self._cond:
            if not self._cond.wait_for(lambda: len(self._responses) >= count, timeout):
                raise AssertionError(
                    f"expected {count} response_url post(s) within {timeout}s, got {len(self._responses)}; "
                    f"bodies: {[r.body for r in self._responses]}; Web API calls: {[c.method for c in self._calls]}"
                )
            return list(self._responses)

    def assert_calls(self, expected_methods: list[str]) -> None:
        """The exact ordered Web API methods called, `auth.test` excluded: catches duplicates and self-replies.

        It checks what was recorded so far; `wait_for` the last expected call first when the app is async.
        """
        actual = self.methods()
        if actual != expected_methods:
            raise AssertionError(f"expected Web API calls {expected_methods}, got {actual}")

    # request handling (called from server threads)

    def _handle_api(self, method: str, headers: dict[str, str], raw: bytes, query: str) -> _Reply:
        arrived = time.monotonic()
        body, parse_error = _parse_body(headers.get("content-type", ""), raw)
        for key, value in parse_qsl(query, keep_blank_values=True):
            body.setdefault(key, value)
        with self._cond:
            pause = self._delays.get(method, 0.0)
        if pause:
            self._stopping.wait(pause)
        reply = parse_error or self._fault(method) or self._answer(method, headers, body)
        response = json.loads(reply.body)
        with self._cond:
            self._calls.append(Call(method, headers, body, arrived, reply.status, response))
            self._cond.notify_all()
        return reply

    def _fault(self, method: str) -> _Reply | None:
        with self._cond:
            queue = self._faults.get(method)
            if not queue:
                return None
            fault = queue[0]
            fault.remaining -= 1
            if fault.remaining <= 0:
                queue.pop(0)
        return _json_reply({"ok": False, "error": fault.error}, fault.status, dict(fault.headers))

    def _answer(self, method: str, headers: dict[str, str], body: dict[str, Any]) -> _Reply:
        auth = headers.get("authorization", "")
        token = auth[len("Bearer ") :] if auth.startswith("Bearer ") else ""
        if not token:
            return _json_reply({"ok": False, "error": "not_authed"})
        app_level = method == "apps.connections.open"
        if token.startswith("xapp-") != app_level:
            return _json_reply({"ok": False, "error": "not_allowed_token_type"})
        if not token.startswith(("xoxb-", "xoxp-", "xapp-")):
            return _json_reply({"ok": False, "error": "invalid_auth"})
        handler: Callable[[dict[str, Any]], _Reply] | None = getattr(self, "_m_" + method.replace(".", "_"), None)
        if handler is not None:
            return handler(body)
        with self._cond:
            canned = self._canned.get(method)
        if canned is not None:
            return _json_reply(canned)
        return _json_reply({"ok": False, "error": "unknown_method", "req_method": method})

    def _next_ts(self) -> str:
        micros = next(self._ts) * 100
        return f"{1_700_000_000 + micros // 1_000_000}.{micros % 1_000_000:06d}"

    def _message_errors(self, body: dict[str, Any]) -> _Reply | None:
        if not body.get("channel"):
            return _json_reply({"ok": False, "error": "channel_not_found"})
        text = body.get("text")
        if not text and not body.get("blocks") and not body.get("attachments"):
            return _json_reply({"ok": False, "error": "no_text"})
        if isinstance(text, str) and len(text) > TEXT_LIMIT:
            return _json_reply({"ok": False, "error": "msg_too_long"})
        errors = validate_message(body)
        if errors:
            return _json_reply(_invalid("invalid_blocks", errors))
        return None

    def _message(self, body: dict[str, Any], ts: str) -> dict[str, Any]:
        message: dict[str, Any] = {
            "user": payloads.BOT_USER_ID,
            "type": "message",
            "ts": ts,
            "bot_id": payloads.BOT_ID,
            "app_id": payloads.API_APP_ID,
            "text": body.get("text", ""),
            "team": payloads.TEAM_ID,
        }
        for key in ("blocks", "attachments", "thread_ts", "metadata"):
            if key in body:
                message[key] = body[key]
        return message

    def _m_auth_test(self, body: dict[str, Any]) -> _Reply:
        return _json_reply(
            {
                "ok": True,
                "url": f"https://{payloads.TEAM_DOMAIN}.slack.com/",
                "team": "Test Team",
                "user": "httpcode",
                "team_id": payloads.TEAM_ID,
                "user_id": payloads.BOT_USER_ID,
                "bot_id": payloads.BOT_ID,
                "is_enterprise_install": False,
            },
            headers={"x-oauth-scopes": BOT_SCOPES},
        )

    def _m_chat_postMessage(self, body: dict[str, Any]) -> _Reply:
        failure = self._message_errors(body)
        if failure is not None:
            return failure
        ts = self._next_ts()
        return _json_reply({"ok": True, "channel": body["channel"], "ts": ts, "message": self._message(body, ts)})

    def _m_chat_postEphemeral(self, body: dict[str, Any]) -> _Reply:
        failure = self._message_errors(body)
        if failure is not None:
            return failure
        if not body.get("user"):
            return _json_reply({"ok": False, "error": "user_not_in_channel"})
        return _json_reply({"ok": True, "message_ts": self._next_ts()})

    def _m_chat_update(self, body: dict[str, Any]) -> _Reply:
        if not body.get("ts"):
            return _json_reply({"ok": False, "error": "message_not_found"})
        failure = self._message_errors(body)
        if failure is not None:
            return failure
        ts = str(body["ts"])
        return _json_reply(
            {
                "ok": True,
                "channel": body["channel"],
                "ts": ts,
                "text": body.get("text", ""),
                "message": self._message(body, ts),
            }
        )

    def _m_chat_delete(self, body: dict[str, Any]) -> _Reply:
        if not body.get("channel"):
            return _json_reply({"ok": False, "error": "channel_not_found"})
        if not body.get("ts"):
            return _json_reply({"ok": False, "error": "message_not_found"})
        return _json_reply({"ok": True, "channel": body["channel"], "ts": body["ts"]})

    def _view(self, body: dict[str, Any], required: str) -> _Reply:
        if not body.get(required):
            return _json_reply(_invalid("invalid_arguments", [f"missing required field: {required}"]))
        errors = validate_view(body.get("view"))
        if errors:
            # Slack rejects views with `invalid_arguments`, not `invalid_blocks`; messages carry the pointers.
            return _json_reply(_invalid("invalid_arguments", errors))
        view = dict(body["view"])
        view_id = f"V0TEST{next(self._ids):04d}"
        view |= {"id": view_id, "team_id": payloads.TEAM_ID, "app_id": payloads.API_APP_ID}
        view |= {"bot_id": payloads.BOT_ID, "hash": f"{time.time():.6f}.fake", "root_view_id": view_id}
        return _json_reply({"ok": True, "view": view})

    def _m_views_publish(self, body: dict[str, Any]) -> _Reply:
        return self._view(body, "user_id")

    def _m_views_open(self, body: dict[str, Any]) -> _Reply:
        return self._view(body, "trigger_id")

    def _m_apps_connections_open(self, body: dict[str, Any]) -> _Reply:
        socket = self.socket
        if socket is None or not socket.running:
            # Invented error: Slack's answer with Socket Mode off is not documented.
            return _json_reply({"ok": False, "error": "socket_mode_not_enabled"})
        return _json_reply({"ok": True, "url": socket.connection_url()})

    def _handle_response_url(self, id: str, headers: dict[str, str], raw: bytes) -> _Reply:
        arrived = time.monotonic()
        try:
            parsed = json.loads(raw or b"{}")
            body: dict[str, Any] = parsed if isinstance(parsed, dict) else {"_raw": parsed}
            valid_json = isinstance(parsed, dict)
        except ValueError:
            body, valid_json = {"_raw": raw.decode("utf-8", "replace")}, False
        with self._cond:
            uses = self._response_url_uses[id]
            expired = id in self._expired
        if expired:
            reply = _text_reply("expired_url", 404)
        elif uses >= RESPONSE_URL_USES:
            reply = _text_reply("used_url", 404)
        elif not valid_json:
            reply = _text_reply("invalid_payload", 400)
        elif not (body.get("text") or body.get("blocks") or body.get("delete_original")):
            reply = _text_reply("no_text", 400)
        elif validate_message(body):
            reply = _text_reply("invalid_blocks", 400)
        else:
            reply = _text_reply("ok")
        with self._cond:
            if reply.status == 200:
                self._response_url_uses[id] += 1
            self._responses.append(ResponseCall(id, body, arrived, reply.status, headers))
            self._cond.notify_all()
        return reply


def _parse_body(content_type: str, raw: bytes) -> tuple[dict[str, Any], _Reply | None]:
    """Form or JSON, as the WebClient sends them; form fields holding Block Kit JSON are decoded."""
    kind = content_type.split(";")[0].strip().lower()
    if not raw:
        return {}, None
    if kind == "application/json":
        try:
            parsed = json.loads(raw)
        except ValueError:
            return {}, _json_reply({"ok": False, "error": "invalid_json"})
        if not isinstance(parsed, dict):
            return {}, _json_reply({"ok": False, "error": "invalid_json"})
        return parsed, None
    if kind in ("application/x-www-form-urlencoded", ""):
        body: dict[str, Any] = dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
        for key in JSON_FORM_FIELDS:
            if isinstance(body.get(key), str):
                try:
                    body[key] = json.loads(body[key])
                except ValueError:
                    return body, _json_reply({"ok": False, "error": f"invalid_{key}_format"})
        return body, None
    return {}, _json_reply({"ok": False, "error": "invalid_post_type"})


class _Handler(BaseHTTPRequestHandler):
    """Routes `/api/<method>` and `/response_url/<id>` to the owning FakeSlack."""

    owner: FakeSlack
    server_version = "FakeSlack/1"

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the per-request stderr log; the fake records calls instead."""

    def _read(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _headers(self) -> dict[str, str]:
        return {k.lower(): v for k, v in self.headers.items()}

    def _send(self, reply: _Reply) -> None:
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        for key, value in reply.headers.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(reply.body)

    def _route(self, raw: bytes) -> None:
        parts = urlsplit(self.path)
        path = parts.path
        if path.startswith("/api/") and len(path) > len("/api/"):
            self._send(self.owner._handle_api(path[len("/api/") :], self._headers(), raw, parts.query))
        elif path.startswith("/response_url/") and self.command == "POST":
            self._send(self.owner._handle_response_url(path.rsplit("/", 1)[-1], self._headers(), raw))
        else:
            self._send(_text_reply("not found", 404))

    def do_POST(self) -> None:
        self._route(self._read())

    def do_GET(self) -> None:
        self._route(b"")


# --- Socket Mode ---------------------------------------------------------------------------------------------


class FakeSocketModeServer:
    """A loopback WebSocket server standing in for Slack's Socket Mode link (`ws://127.0.0.1:<port>/link`).

    It greets each connection with `hello`, pushes envelopes to the newest connection, and records what the
    client sends back, so a test can wait for the ack of one `envelope_id`. Attach it with `fake.socket = server`
    and `apps.connections.open` hands its URL out (again on each reconnect).
    """

    def __init__(self, *, app_id: str = payloads.API_APP_ID) -> None:
        self.app_id = app_id
        self._cond = threading.Condition()
        self._received: list[dict[str, Any]] = []
        self._connections: list[ServerConnection] = []
        self._opened = 0
        self._tickets = itertools.count(1)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread: threading.Thread | None = None
        self._port = 0
        self._ready = threading.Event()
        self._error: BaseException | None = None

    # lifecycle

    def start(self) -> FakeSocketModeServer:
        if self._thread is not None:
            return self
        self._ready.clear()
        self._thread = threading.Thread(target=self._run, name="FakeSocketMode", daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("FakeSocketModeServer did not start within 10s")
        if self._error is not None:
            raise RuntimeError("FakeSocketModeServer failed to start") from self._error
        return self

    def stop(self) -> None:
        loop, stop = self._loop, self._stop
        if self._thread is None or loop is None or stop is None:
            return
        loop.call_soon_threadsafe(stop.set)
        self._thread.join(timeout=10)
        self._thread = None
        self._loop = None

    def __enter__(self) -> FakeSocketModeServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._port != 0

    @property
    def url(self) -> str:
        return f"ws://{HOST}:{self._port}/link"

    def connection_url(self) -> str:
        """What `apps.connections.open` returns: the link with a fresh ticket, like Slack's."""
        return f"{self.url}?ticket={next(self._tickets)}&app_id={self.app_id}"

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as error:  # surfaced by start()
            self._error = error
            self._ready.set()

    async def _main(self) -> None:
        from websockets.asyncio.server import serve

        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        async with serve(
            self._session,
            HOST,
            0,
            process_request=self._check_path,
            compression=None,
            close_timeout=1,
            logger=None,
        ) as server:
            self._port = _server_port(server)
            self._ready.set()
            await self._stop.wait()
            server.close()
        self._port = 0

    @staticmethod
    def _check_path(connection: ServerConnection, request: Request) -> Response | None:
        if urlsplit(request.path).path.rstrip("/") != "/link":
            return connection.respond(404, "not found\n")
        return None

    async def _session(self, connection: ServerConnection) -> None:
        with self._cond:
            self._connections.append(connection)
            self._opened += 1
            self._cond.notify_all()
        hello = {
            "type": "hello",
            "num_connections": 1,
            "debug_info": {"host": "applink-fake", "build_number": 1, "approximate_connection_time": 18060},
            "connection_info": {"app_id": self.app_id},
        }
        from websockets.exceptions import ConnectionClosed

        try:
            await connection.send(json.dumps(hello))
            async for message in connection:
                text = message if isinstance(message, str) else message.decode("utf-8", "replace")
                try:
                    parsed = json.loads(text)
                except ValueError:
                    parsed = {"_raw": text}
                with self._cond:
                    self._received.append(parsed if isinstance(parsed, dict) else {"_raw": parsed})
                    self._cond.notify_all()
        except ConnectionClosed:  # a client dropping without a close frame is normal when it reconnects
            pass
        finally:
            with self._cond:
                if connection in self._connections:
                    self._connections.remove(connection)
                self._cond.notify_all()

    # test controls

    @property
    def connections_opened(self) -> int:
        """How many connections were ever accepted: grows by one per (re)connect."""
        with self._cond:
            return self._opened

    @property
    def received(self) -> list[dict[str, Any]]:
        with self._cond:
            return list(self._received)

    def wait_for_connection(self, count: int = 1, timeout: float = 5.0) -> None:
        """Block until `count` connections were ever opened and one is open now."""
        with self._cond:
            if not self._cond.wait_for(lambda: self._opened >= count and bool(self._connections), timeout):
                raise AssertionError(
                    f"expected {count} Socket Mode connection(s) within {timeout}s; "
                    f"opened {self._opened}, open now {len(self._connections)}"
                )

    def _send(self, message: Mapping[str, Any], timeout: float) -> None:
        self.wait_for_connection(timeout=timeout)
        with self._cond:
            connection = self._connections[-1]
        loop = self._loop
        if loop is None:
            raise RuntimeError("FakeSocketModeServer is not running")
        asyncio.run_coroutine_threadsafe(connection.send(json.dumps(message)), loop).result(timeout)

    def send_envelope(
        self,
        envelope_type: str,
        payload: dict[str, Any],
        *,
        envelope_id: str | None = None,
        accepts_response_payload: bool | None = None,
        retry_attempt: int = 0,
        retry_reason: str = "",
        timeout: float = 5.0,
    ) -> str:
        """Push an `events_api`, `slash_commands` or `interactive` envelope; return its `envelope_id`."""
        envelope = payloads.socket_envelope(
            envelope_type,
            payload,
            envelope_id=envelope_id,
            accepts_response_payload=accepts_response_payload,
            retry_attempt=retry_attempt,
            retry_reason=retry_reason,
        )
        self._send(envelope, timeout)
        return str(envelope["envelope_id"])

    def send_disconnect(self, reason: str = "refresh_requested", timeout: float = 5.0) -> None:
        """Slack's `disconnect` message: the client should fetch a new URL and reconnect."""
        self._send({"type": "disconnect", "reason": reason, "debug_info": {"host": "applink-fake"}}, timeout)

    def close_connections(self, timeout: float = 5.0) -> None:
        """Drop every open socket abruptly-ish (close frame 1001), as a Slack restart would."""
        loop = self._loop
        if loop is None:
            return
        with self._cond:
            connections = list(self._connections)
        for connection in connections:
            asyncio.run_coroutine_threadsafe(connection.close(1001, "going away"), loop).result(timeout)

    def wait_for_ack(self, envelope_id: str, timeout: float = 5.0) -> dict[str, Any]:
        """Block until the client acked `envelope_id`; return the ack (with `payload` when it sent one)."""

        def ack() -> dict[str, Any] | None:
            return next((m for m in self._received if m.get("envelope_id") == envelope_id), None)

        with self._cond:
            found = self._cond.wait_for(ack, timeout)
            if not found:
                raise AssertionError(
                    f"no ack for envelope {envelope_id} within {timeout}s; received: {self._received}; "
                    f"open connections: {len(self._connections)}"
                )
            return found


def _server_port(server: Server) -> int:
    for sock in server.sockets:
        return int(sock.getsockname()[1])
    raise RuntimeError("the websocket server has no socket")
