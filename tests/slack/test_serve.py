"""`httpcode serve` as a real process: configuration errors, HTTP mode and Socket Mode with health."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import ROOT
from tests.slack.conftest import SECRET
from tests.slack.fakeslack import FakeSlack, FakeSocketModeServer
from tests.slack.sender import SlackSender

BOT = "xoxb-fake-secretvalue"
APP = "xapp-fake-secretvalue"


def run_serve(args: list[str], env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "HTTPCODE_"))}
    return subprocess.run(
        [sys.executable, "-m", "bot", "serve", *args],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        check=False,
    )


class Server:
    """A `httpcode serve` process; the address comes from the line it prints when it is up."""

    def __init__(self, env: dict[str, str], args: list[str]) -> None:
        clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "HTTPCODE_"))}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "serve", "--port", "0", *args],
            env={**clean, **env},
            stderr=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        self.lines: list[str] = []
        self.url = self._await_url()

    def _await_url(self) -> str:
        assert self.proc.stderr is not None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = self.proc.stderr.readline()
            if not line:
                break
            self.lines.append(line)
            found = re.search(r"(http://127\.0\.0\.1:\d+)", line)
            if found and line.startswith("httpcode: serving"):
                return found.group(1)
        self.stop()
        raise AssertionError("serve did not start: " + "".join(self.lines))

    def stop(self) -> tuple[int, str]:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        _, err = self.proc.communicate(timeout=30)
        return self.proc.returncode, "".join(self.lines) + err


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


def test_no_tokens_says_how_to_try_locally() -> None:
    result = run_serve([], {})
    assert result.returncode == 2
    assert "httpcode shell" in result.stderr


def test_every_bad_variable_is_named_never_its_value() -> None:
    result = run_serve(
        [], {"SLACK_BOT_TOKEN": "oops-secretvalue", "SLACK_APP_TOKEN": "nope-secretvalue", "HTTPCODE_PORT": "99999"}
    )
    assert result.returncode == 2
    for name in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "HTTPCODE_PORT"):
        assert name in result.stderr
    assert "secretvalue" not in result.stderr


def test_http_mode_needs_the_signing_secret() -> None:
    result = run_serve(["--http"], {"SLACK_BOT_TOKEN": BOT, "SLACK_APP_TOKEN": APP})
    assert result.returncode == 2
    assert "SLACK_SIGNING_SECRET" in result.stderr


def test_rejected_token_exits_2(fake: FakeSlack) -> None:
    fake.fail_next("auth.test", error="invalid_auth")
    result = run_serve(
        ["--http"], {"SLACK_BOT_TOKEN": BOT, "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": fake.api_url}
    )
    assert result.returncode == 2
    assert "invalid_auth" in result.stderr
    assert "secretvalue" not in result.stderr


def test_http_mode_serves_health_and_commands(fake: FakeSlack) -> None:
    server = Server({"SLACK_BOT_TOKEN": BOT, "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": fake.api_url}, [])
    try:
        sender = SlackSender(server.url, SECRET, response_urls=fake.response_url)
        health = sender.get("/healthz")
        assert health.status == 200 and health.json() == {"status": "ok", "mode": "http"}
        assert sender.get("/readyz").status == 200
        body: Any = sender.slash_command("bad gateway").json()
        assert body["text"].startswith("502 Bad Gateway")
        assert [c.method for c in fake.calls] == ["auth.test"]
    finally:
        code, output = server.stop()
    assert code == 0
    assert "secretvalue" not in output


def test_socket_mode_health_follows_the_socket(fake: FakeSlack) -> None:
    socket = FakeSocketModeServer().start()
    fake.socket = socket
    server = Server({"SLACK_BOT_TOKEN": BOT, "SLACK_APP_TOKEN": APP, "SLACK_API_URL": fake.api_url}, [])
    try:
        sender = SlackSender(server.url, "unused")
        socket.wait_for_connection()
        deadline = time.monotonic() + 10
        while sender.get("/healthz").status != 200 and time.monotonic() < deadline:
            time.sleep(0.05)  # polling a real process's health endpoint, as an orchestrator would
        health = sender.get("/healthz")
        assert health.status == 200 and health.json()["mode"] == "socket"
        socket.stop()
        deadline = time.monotonic() + 10
        while sender.get("/healthz").status != 503 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert sender.get("/healthz").status == 503, "health must say so while the socket is down"
    finally:
        code, output = server.stop()
        socket.stop()
    assert code == 0
    assert "secretvalue" not in output
