"""create_app: the one place a Bolt App is built, from validated settings and nothing else.

Every value is passed explicitly (Bolt would otherwise read SLACK_* variables by itself), the
Web API client carries the base URL and the retry handlers every per-request client copies, and
the listener pool is sized here. Building the app calls `auth.test` once, which verifies the
bot token before we serve.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import Any

from slack_bolt import App, BoltResponse
from slack_bolt.context.assistant.thread_context import AssistantThreadContext
from slack_bolt.context.assistant.thread_context_store.store import AssistantThreadContextStore
from slack_bolt.middleware import Middleware
from slack_bolt.request import BoltRequest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from bot.core import Answerer
from bot.probe.service import Prober
from bot.slack.dedupe import InProcessSeenStore, SeenStore
from bot.slack.listeners import register_all
from bot.slack.listeners.deps import Deps

log = logging.getLogger("httpcode.slack")


def make_client(token: str, api_url: str) -> WebClient:
    """A Web API client that retries connection errors, rate limits (honouring Retry-After) and 5xx."""
    return WebClient(
        token=token,
        base_url=api_url,
        timeout=10,
        retry_handlers=[
            ConnectionErrorRetryHandler(max_retry_count=1),
            RateLimitErrorRetryHandler(max_retry_count=2),
            ServerErrorRetryHandler(max_retry_count=1),
        ],
    )


class NoAssistantThreads(AssistantThreadContextStore):
    """We are not a Slack AI assistant: skip Bolt's per-message `conversations.replies` lookup for DM threads."""

    def save(self, *, channel_id: str, thread_ts: str, context: dict[str, str]) -> None:
        return None

    def find(self, *, channel_id: str, thread_ts: str) -> AssistantThreadContext | None:
        return None


class DedupeEvents(Middleware):
    """Answers a redelivered event (same event_id) with 200 and no second reply."""

    def __init__(self, store: SeenStore) -> None:
        self.store = store

    def process(self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]) -> BoltResponse | None:
        body = req.body
        event_id = body.get("event_id") if isinstance(body, dict) else None
        if body.get("type") == "event_callback" and event_id and not self.store.first_time(str(event_id)):
            retry = req.headers.get("x-slack-retry-num", ["?"])[0]
            reason = req.headers.get("x-slack-retry-reason", ["?"])[0]
            log.info("duplicate event %s (retry %s, %s) acknowledged without a reply", event_id, retry, reason)
            return BoltResponse(status=200, body="")
        return next()


def create_app(
    answerer: Answerer,
    *,
    client: WebClient,
    signing_secret: str = "",
    executor: Executor | None = None,
    seen: SeenStore | None = None,
    process_before_response: bool = False,
    prober: Prober | None = None,
) -> App:
    """A Bolt app with our listeners; raises slack_bolt.BoltError if auth.test rejects the token."""
    app = App(
        client=client,
        signing_secret=signing_secret,
        token_verification_enabled=True,
        process_before_response=process_before_response,
        listener_executor=executor or ThreadPoolExecutor(max_workers=8, thread_name_prefix="httpcode-listener"),
        raise_error_for_unhandled_request=False,
        assistant_thread_context_store=NoAssistantThreads(),
        logger=logging.getLogger("slack_bolt"),
    )
    app.use(DedupeEvents(seen or InProcessSeenStore()))
    app.error(_log_error)
    register_all(app, Deps(answerer, prober))
    return app


def _log_error(error: Exception, body: dict[str, Any], say: Any = None, respond: Any = None) -> None:
    """Last resort for a listener that raised: log with context (never tokens), then tell the user
    in plain text what failed, if Slack lets us; the app keeps serving either way."""
    kind = body.get("type") if isinstance(body, dict) else None
    if isinstance(error, SlackApiError):
        problem = str(error.response.get("error"))
        log.error(
            "Slack API error %s in a %s handler: %s",
            problem,
            kind,
            (error.response.get("response_metadata") or {}).get("messages"),
        )
        what = f"Slack refused my reply ({problem})"
    else:
        log.error("listener failed for a %s request", kind, exc_info=error)
        what = "I hit an internal error"
    apology = f"Sorry, I could not answer: {what}. It is logged; please try again."
    event = (body.get("event") or {}) if isinstance(body, dict) else {}
    try:
        if kind == "event_callback" and say is not None and event.get("channel"):
            say(text=apology, thread_ts=event.get("thread_ts") or event.get("ts"))
        elif respond is not None and body.get("response_url"):
            respond(text=apology, response_type="ephemeral", replace_original=False)
    except Exception as exc:  # the apology is best effort; the original error is already logged
        log.warning("could not deliver the apology either: %s", exc)
