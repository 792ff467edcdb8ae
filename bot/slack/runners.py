"""Serving: HTTP mode (Bolt's WSGI adapter under waitress) or Socket Mode, both with health routes.

Never `App.start()`: that is the standard library's single-threaded development server. waitress
is a production WSGI server with a thread pool, pure Python, and runs the same on every platform.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TextIO
from urllib.error import URLError

from slack_bolt import App
from slack_bolt.error import BoltError
from slack_sdk.errors import SlackApiError
from waitress.server import create_server

from bot.config import ServeSettings
from bot.core import Answerer
from bot.errors import ConfigError
from bot.probe.service import Prober
from bot.slack.app import create_app, make_client
from bot.slack.front import SlackFront, WsgiApp

log = logging.getLogger("httpcode.serve")


def build_app(settings: ServeSettings, answerer: Answerer | None = None) -> App:
    """Load the knowledge base, verify the bot token with auth.test, and build the app."""
    answerer = answerer or Answerer.from_settings(settings.local)
    client = make_client(settings.bot_token, settings.api_url)
    prober = Prober(settings.probe, answerer)
    try:
        return create_app(
            answerer,
            client=client,
            signing_secret=settings.signing_secret,
            executor=ThreadPoolExecutor(max_workers=settings.threads, thread_name_prefix="httpcode-listener"),
            prober=prober,
        )
    except (BoltError, SlackApiError) as exc:
        raise ConfigError([f"SLACK_BOT_TOKEN was not accepted by auth.test: {_short(exc)}"]) from exc
    except (URLError, OSError) as exc:
        raise ConfigError(
            [f"could not reach the Slack Web API to verify SLACK_BOT_TOKEN (SLACK_API_URL): {exc}"]
        ) from exc


def http_front(app: App, signing_secret: str) -> SlackFront:
    from slack_bolt.adapter.wsgi import SlackRequestHandler

    return SlackFront(
        "http",
        is_live=lambda: True,
        is_ready=lambda: True,
        slack=SlackRequestHandler(app),
        signing_secret=signing_secret,
    )


def make_server(front: WsgiApp, host: str, port: int, threads: int) -> Any:
    """A waitress server bound now (port 0 picks a free port: read `.effective_port`)."""
    return create_server(
        front, host=host, port=port, threads=threads, ident="httpcode", clear_untrusted_proxy_headers=True
    )


def run_until_closed(server: Any) -> None:
    """server.run(), ending quietly when another thread closes the server (select then sees EBADF)."""
    try:
        server.run()
    except (OSError, ValueError):
        sock = getattr(server, "socket", None)
        if sock is not None and sock.fileno() != -1:
            raise


def serve(settings: ServeSettings, *, announce: TextIO = sys.stderr) -> int:
    app = build_app(settings)
    if settings.mode == "http":
        return _serve_http(app, settings, announce)
    return _serve_socket(app, settings, announce)


def _serve_http(app: App, settings: ServeSettings, announce: TextIO) -> int:
    server = make_server(http_front(app, settings.signing_secret), settings.host, settings.port, settings.threads)
    stop = _stop_on_signals(server.close)
    print(
        f"httpcode: serving HTTP mode on http://{settings.host}:{server.effective_port} "
        "(POST /slack/events, GET /healthz, GET /readyz)",
        file=announce,
        flush=True,
    )
    try:
        server.run()
    except (KeyboardInterrupt, SystemExit, OSError):
        pass  # closing the server from the signal handler ends run() with EBADF on some platforms
    finally:
        stop.set()
    return 0


def _serve_socket(app: App, settings: ServeSettings, announce: TextIO) -> int:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    handler = SocketModeHandler(app, app_token=settings.app_token)
    connected = handler.client.is_connected
    front = SlackFront("socket", is_live=connected, is_ready=connected)
    server = make_server(front, settings.host, settings.port, 2)
    health = threading.Thread(target=run_until_closed, args=(server,), name="httpcode-health", daemon=True)
    health.start()
    stop = _stop_on_signals(lambda: None)
    handler.connect()  # type: ignore[no-untyped-call]
    print(
        f"httpcode: serving Socket Mode; health on http://{settings.host}:{server.effective_port}/healthz",
        file=announce,
        flush=True,
    )
    try:
        while not stop.wait(5):
            if not connected():
                log.warning("Socket Mode connection is down; the client is reconnecting")
    except KeyboardInterrupt:
        pass
    finally:
        try:
            handler.close()  # type: ignore[no-untyped-call]
        except AttributeError:  # slack_sdk can race a reconnect against close(); we are exiting anyway
            log.debug("socket close raced a reconnect")
        server.close()
    return 0


def _stop_on_signals(on_stop: Any) -> threading.Event:
    stop = threading.Event()

    def handle(signum: int, frame: Any) -> None:
        log.info("signal %s: shutting down", signum)
        stop.set()
        on_stop()

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, handle)
        signal.signal(signal.SIGINT, handle)
    return stop


def _short(exc: Exception) -> str:
    if isinstance(exc, SlackApiError):
        return str(exc.response.get("error"))
    return str(exc).splitlines()[0][:200]
