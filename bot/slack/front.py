"""The WSGI front of the HTTP runner: health routes, a body guard, then Bolt.

Bolt's adapters answer 404 on every path but their own, so /healthz and /readyz live here. Bolt
also parses a body before checking its signature and fails with a 500 on a body it cannot parse;
the guard answers such bodies itself: 401 when the signature is wrong, else 400. Over-large
bodies get 413 before anything reads them.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
MAX_BODY = 1 << 20  # Slack's payloads are far smaller; 1 MiB bounds what an unsigned caller can make us read
REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found", 405: "Method Not Allowed"}
REASONS |= {411: "Length Required", 413: "Content Too Large", 503: "Service Unavailable"}


def is_signed(body: bytes, timestamp: str, signature: str, secret: str, now: float | None = None) -> bool:
    """Slack's v0 signature over the raw bytes, within five minutes (bytes, so any body can be judged)."""
    try:
        if abs((time.time() if now is None else now) - int(timestamp)) > 300:
            return False
    except ValueError:
        return False
    expected = "v0=" + hmac.new(secret.encode(), b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature)


def is_wellformed(body: bytes, content_type: str) -> bool:
    """True when Bolt can parse the body: a JSON object, or a form whose `payload`, if any, is one."""
    try:
        text = body.decode("utf-8")
        if content_type.startswith("application/json"):
            return isinstance(json.loads(text), dict)
        form = parse_qs(text, keep_blank_values=True, strict_parsing=bool(text))
        if "payload" in form:
            return isinstance(json.loads(form["payload"][0]), dict)
        return bool(form)
    except (UnicodeDecodeError, ValueError):
        return False


class SlackFront:
    def __init__(
        self,
        mode: str,
        *,
        is_live: Callable[[], bool],
        is_ready: Callable[[], bool],
        slack: WsgiApp | None = None,
        signing_secret: str = "",
    ) -> None:
        self.mode = mode
        self.is_live = is_live
        self.is_ready = is_ready
        self.slack = slack
        self.signing_secret = signing_secret

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if path in ("/healthz", "/readyz") and method in ("GET", "HEAD"):
            ok = self.is_live() if path == "/healthz" else self.is_ready()
            status = "ok" if ok else ("down" if path == "/healthz" else "not ready")
            return _json(start_response, 200 if ok else 503, {"status": status, "mode": self.mode})
        if path == "/slack/events" and self.slack is not None:
            if method != "POST":
                return _json(start_response, 405, {"error": "POST only"}, [("Allow", "POST")])
            return self._guarded(environ, start_response)
        return _json(start_response, 404, {"error": "not found"})

    def _guarded(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        assert self.slack is not None
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return _json(start_response, 400, {"error": "bad Content-Length"})
        if length > MAX_BODY:
            return _json(start_response, 413, {"error": "body too large"})
        body = environ["wsgi.input"].read(length) if length else b""
        if not is_wellformed(body, environ.get("CONTENT_TYPE", "")):
            timestamp = environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP", "")
            signature = environ.get("HTTP_X_SLACK_SIGNATURE", "")
            if self.signing_secret and not is_signed(body, timestamp, signature, self.signing_secret):
                return _json(start_response, 401, {"error": "invalid signature"})
            return _json(start_response, 400, {"error": "malformed body"})
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        return self.slack(environ, start_response)


def _json(
    start_response: Callable[..., Any], code: int, body: dict[str, Any], extra: list[tuple[str, str]] | None = None
) -> Iterable[bytes]:
    data = json.dumps(body).encode()
    headers = [("Content-Type", "application/json"), ("Content-Length", str(len(data))), *(extra or [])]
    start_response(f"{code} {REASONS[code]}", headers)
    return [data]
