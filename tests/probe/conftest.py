"""Fixtures for the probe's end-to-end tests: loopback servers, a trustme CA, the fake resolver, the connect spy."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import trustme

from bot.probe.policy import Policy, load_policy
from tests.probe.fixtures import LOOPBACK, ConnectSpy, FakeResolver, ScriptedServer, spying


def now() -> datetime:
    return datetime.now(UTC)


def allow_only(*entries: str) -> Policy:
    """The port-scoped allow-list of §6, e.g. exactly `127.0.0.1/32:<fixture port>`."""
    return load_policy({"HTTPCODE_PROBE_ALLOW": ",".join(entries)}, now)


@pytest.fixture
def connect_spy(monkeypatch: pytest.MonkeyPatch) -> Iterator[ConnectSpy]:
    with spying(monkeypatch) as spy:
        yield spy


@pytest.fixture
def resolver() -> FakeResolver:
    """The catalogue's names; a test adds its own with `resolver.set(name, *answers)`."""
    return FakeResolver(
        {
            "probe.test": [LOOPBACK],
            "other.test": [LOOPBACK],
            "internal.test": ["10.0.0.5"],
            "metadata.test": ["169.254.169.254"],
        }
    )


@pytest.fixture
def server(connect_spy: ConnectSpy) -> Iterator[ScriptedServer]:
    """A plain-HTTP scripted server; the spy lets the probe reach it and nothing else."""
    with ScriptedServer() as running:
        connect_spy.declare(LOOPBACK, running.port)
        yield running


@pytest.fixture
def policy(server: ScriptedServer) -> Policy:
    return allow_only(f"127.0.0.1/32:{server.port}")


@pytest.fixture(scope="session")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def client_tls(ca: trustme.CA) -> ssl.SSLContext:
    """A verifying client context that trusts only the test CA (PROTOCOL_TLS_CLIENT checks hostnames)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ca.configure_trust(context)
    return context


def server_tls(
    ca: trustme.CA, *names: str, not_before: datetime | None = None, not_after: datetime | None = None
) -> ssl.SSLContext:
    """A server context presenting a certificate for names from ca (optionally outside its validity)."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(*names, not_before=not_before, not_after=not_after).configure_cert(context)
    return context


@pytest.fixture
def tls_server(ca: trustme.CA, connect_spy: ConnectSpy) -> Iterator[ScriptedServer]:
    """A TLS scripted server with a `probe.test` certificate from the test CA."""
    with ScriptedServer(ssl_context=server_tls(ca, "probe.test")) as running:
        connect_spy.declare(LOOPBACK, running.port)
        yield running
