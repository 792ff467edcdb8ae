"""Posts signed requests to the app under test exactly as Slack does, over loopback, with the stdlib only.

The signature covers the exact bytes sent (`v0:<timestamp>:<body>`, HMAC-SHA256 with the signing secret),
so a test exercises the app's real verification. `post_raw` builds the negative cases: wrong secret, stale
timestamp, missing headers, malformed bodies. Nothing raises on 4xx/5xx: the status is the assertion.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

from tests.slack import payloads

LOOPBACK = ("127.0.0.1", "localhost", "::1")
FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
USER_AGENT = "Slackbot 1.0 (+https://api.slack.com/robots)"


@dataclass(frozen=True)
class Response:
    """What the app answered; `elapsed` (seconds) is measured around the whole round trip."""

    status: int
    headers: dict[str, str]
    body: bytes
    elapsed: float

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self) -> Any:
        return json.loads(self.body)


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """Slack's v0 request signature over the raw body bytes."""
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


class SlackSender:
    """Slack's side of the HTTP mode conversation, aimed at `base_url + path` on loopback.

    `response_urls` (e.g. `fake.response_url`) supplies a `response_url` on the fake whenever a command or
    action is built without one, so no test can leak a real Slack URL.
    """

    def __init__(
        self,
        base_url: str,
        signing_secret: str,
        path: str = "/slack/events",
        *,
        response_urls: Callable[[], str] | None = None,
        timeout: float = 10.0,
    ) -> None:
        host = urlsplit(base_url).hostname
        if host not in LOOPBACK:
            raise ValueError(f"SlackSender only talks to loopback, not {host!r}")
        self.base_url = base_url.rstrip("/")
        self.signing_secret = signing_secret
        self.path = path
        self.response_urls = response_urls
        self.timeout = timeout
        # No proxies: a proxy from the environment must never see test traffic.
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    # Slack's requests

    def slash_command(self, text: str = "", **kwargs: Any) -> Response:
        """A slash command (form body); keyword arguments go to `payloads.slash_command`."""
        kwargs.setdefault("response_url", self._response_url())
        return self.post_form(payloads.slash_command(text, **kwargs))

    def event(
        self, envelope: Mapping[str, Any], *, retry_num: int | None = None, retry_reason: str | None = None
    ) -> Response:
        """An Events API delivery (JSON body); a retry carries `X-Slack-Retry-Num`/`-Reason`."""
        headers: dict[str, str] = {}
        if retry_num is not None:
            headers["X-Slack-Retry-Num"] = str(retry_num)
            headers["X-Slack-Retry-Reason"] = retry_reason or "http_timeout"
        return self.post_raw(json.dumps(envelope).encode(), content_type=JSON, extra_headers=headers)

    def redeliver(self, envelope: Mapping[str, Any], retry_num: int = 1, reason: str = "http_timeout") -> Response:
        """Slack's retry of the same envelope: same `event_id`, retry headers set."""
        return self.event(envelope, retry_num=retry_num, retry_reason=reason)

    def block_action(self, payload: Mapping[str, Any]) -> Response:
        """An interaction: form body with one field, `payload`, holding the JSON."""
        return self.post_form({"payload": json.dumps(payload)})

    def url_verification(self, challenge: str) -> Response:
        return self.post_raw(json.dumps(payloads.url_verification(challenge)).encode(), content_type=JSON)

    def ssl_check(self) -> Response:
        return self.post_form(payloads.ssl_check())

    def post_form(self, fields: Mapping[str, str]) -> Response:
        return self.post_raw(urlencode(fields).encode(), content_type=FORM)

    def post_raw(
        self,
        body: bytes,
        *,
        content_type: str,
        sign: bool = True,
        secret: str | None = None,
        timestamp: int | str | None = None,
        extra_headers: Mapping[str, str] | None = None,
        drop_headers: Iterable[str] = (),
        path: str | None = None,
    ) -> Response:
        """POST `body` as is. `secret`/`timestamp` override the signing inputs (a stale one is
        `int(time.time()) - 301`); `sign=False` sends no signature headers, `drop_headers` removes some."""
        headers = {"Content-Type": content_type, "User-Agent": USER_AGENT, "Accept": "*/*"}
        if sign:
            ts = str(int(time.time()) if timestamp is None else timestamp)
            headers["X-Slack-Request-Timestamp"] = ts
            headers["X-Slack-Signature"] = signature(secret or self.signing_secret, ts, body)
        headers.update(extra_headers or {})
        dropped = {name.lower() for name in drop_headers}
        headers = {k: v for k, v in headers.items() if k.lower() not in dropped}
        return self._send("POST", path or self.path, body, headers)

    def get(self, path: str) -> Response:
        """An unsigned GET, for health routes."""
        return self._send("GET", path, None, {"User-Agent": "httpcode-tests"})

    # plumbing

    def _response_url(self) -> str:
        if self.response_urls is None:
            raise TypeError("pass response_url=... or build the sender with response_urls=fake.response_url")
        return self.response_urls()

    def _send(self, verb: str, path: str, body: bytes | None, headers: dict[str, str]) -> Response:
        request = urllib.request.Request(self.base_url + path, data=body, headers=headers, method=verb)
        started = time.perf_counter()
        try:
            with self._opener.open(request, timeout=self.timeout) as reply:
                status, reply_headers, data = reply.status, reply.headers, reply.read()
        except urllib.error.HTTPError as error:
            status, reply_headers, data = error.code, error.headers, error.read()
        elapsed = time.perf_counter() - started
        return Response(status, {k.lower(): v for k, v in reply_headers.items()}, data, elapsed)
