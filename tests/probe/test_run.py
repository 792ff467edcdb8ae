"""The probe end to end (probe.md §2 steps 8-12, D1-D7) against loopback fixtures: catalogue rows 70-105.

Every probe here runs through the real httpx client, the guarded backend and httpcore's stock network
backend, against scripted servers on 127.0.0.1. The connect spy refuses any destination a test did not
declare and records every attempt, so I-1 (no connect to a refused address) is read off its record.
Budgets are the §6 test budgets: 2 s total, 64 KiB of body, 5 redirects; I-3 allows total + 1 s.
"""

from __future__ import annotations

import asyncio
import json
import logging
import ssl
import time
import tracemalloc
from collections.abc import Awaitable
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import trustme

from bot.probe.outcome import Outcome
from bot.probe.policy import Policy
from bot.probe.result import ProbeResult
from bot.probe.run import MAX_HEADERS, REQUEST_HEADERS, probe, probe_sync
from bot.probe.transport import GuardedBackend, GuardedStream
from bot.probe.urlgate import extract_url
from tests.probe.conftest import allow_only, server_tls
from tests.probe.fixtures import (
    HANG,
    LOOPBACK,
    MAX_BYTES,
    MAX_HOPS,
    SLACK,
    TOTAL,
    ConnectSpy,
    FakeResolver,
    Peer,
    Script,
    ScriptedServer,
    closed_port,
    gzip_bomb,
    redirect,
    respond,
    routes,
)

OK = Outcome.OK
ADDR = Outcome.REFUSE_ADDR
SCHEME = Outcome.REFUSE_SCHEME
SYNTAX = Outcome.REFUSE_SYNTAX
USERINFO = Outcome.REFUSE_USERINFO
PORT = Outcome.REFUSE_PORT
HOPS = Outcome.REFUSE_HOPS
TIMEOUT = Outcome.TIMEOUT
TRUNCATED = Outcome.TRUNCATED
PROTOCOL = Outcome.ERROR_PROTOCOL
TLS = Outcome.ERROR_TLS
DNS = Outcome.ERROR_DNS
CONNECT = Outcome.ERROR_CONNECT
REFUSALS = frozenset(outcome for outcome in Outcome if outcome.is_refusal)

pytestmark = pytest.mark.usefixtures("connect_spy")


async def timed_probe(url: str, policy: Policy, resolver: FakeResolver, **options: Any) -> tuple[ProbeResult, float]:
    options.setdefault("timeout", TOTAL)
    options.setdefault("max_bytes", MAX_BYTES)
    options.setdefault("max_hops", MAX_HOPS)
    started = time.monotonic()
    result = await probe(url, policy=policy, resolver=resolver, **options)
    return result, time.monotonic() - started


def run(url: str, policy: Policy, resolver: FakeResolver, **options: Any) -> ProbeResult:
    """One probe on a fresh event loop, with the invariants every row shares checked on the way out."""
    result, elapsed = asyncio.run(timed_probe(url, policy, resolver, **options))
    assert elapsed <= options.get("timeout", TOTAL) + SLACK, (elapsed, result)  # I-3
    assert result.reason, result
    assert result.hints == ()  # hints are derived elsewhere, from this result
    json.dumps(result.to_dict())  # the --json contract holds for every outcome
    return result


def only_fixture(spy: ConnectSpy, *servers: ScriptedServer) -> None:
    """I-1: every connect attempt went to a declared fixture, none anywhere else."""
    allowed = {(LOOPBACK, server.port) for server in servers}
    assert spy.attempts and set(spy.attempts) <= allowed, spy.attempts


# --- literal and gate refusals through probe() (rows 1, 15, 17, 29-style) -----------------------------------------

LITERALS = [
    pytest.param("http://169.254.169.254/", ADDR, id="row29-style-metadata"),
    pytest.param("http://169.254.169.254/latest/meta-data/iam/security-credentials/", ADDR, id="row46"),
    pytest.param("http://127.0.0.1/", ADDR, id="row30-loopback-port-80"),
    pytest.param("http://127.0.0.2:{port}/", ADDR, id="row30-127.0.0.2-on-fixture-port"),
    pytest.param("http://localhost:{port}/", ADDR, id="row31-localhost"),
    pytest.param("http://2130706433/", ADDR, id="row33"),
    pytest.param("http://0x7f000001/", ADDR, id="row34"),
    pytest.param("http://0.0.0.0:{port}/", ADDR, id="row39"),
    pytest.param("http://[::1]:{port}/", ADDR, id="row41"),
    pytest.param("http://[fd00:ec2::254]/", ADDR, id="row49"),
    pytest.param("http://100.100.100.200/latest/meta-data/", ADDR, id="row51"),
    pytest.param("http://10.0.0.5/", ADDR, id="row53"),
    pytest.param("http://[64:ff9b::a9fe:a9fe]/", ADDR, id="row66"),
    pytest.param("file:///etc/passwd", SCHEME, id="row1"),
    pytest.param("http://probe.test:22/", PORT, id="row15"),
    pytest.param("http://user:pass@probe.test:{port}/", USERINFO, id="row17"),
]


@pytest.mark.parametrize(("url", "expected"), LITERALS)
def test_refused_before_any_lookup_or_connect(
    url: str, expected: Outcome, server: ScriptedServer, policy: Policy, resolver: FakeResolver, connect_spy: ConnectSpy
) -> None:
    result = run(url.format(port=server.port), policy, resolver)
    assert result.outcome == expected, result.reason
    assert result.hops == ()
    assert connect_spy.attempts == []  # I-1
    assert resolver.calls == []
    assert server.accepted == 0


def test_row29_slack_label_is_never_the_target(policy: Policy, resolver: FakeResolver, connect_spy: ConnectSpy) -> None:
    result = run(extract_url("<http://127.0.0.1/|https://example.com>"), policy, resolver)
    assert result.outcome == ADDR
    assert "127.0.0.1" in result.reason and "example.com" not in result.reason
    assert connect_spy.attempts == []


# --- the well-behaved path: what is sent, what is reported -------------------------------------------------------


def test_ok_through_a_name_reports_hop_address_timings_and_entry(
    server: ScriptedServer, policy: Policy, resolver: FakeResolver, connect_spy: ConnectSpy
) -> None:
    result = run(f"http://probe.test:{server.port}/path?q=1", policy, resolver)
    assert result.outcome == OK, result.reason
    assert result.reason == "200 OK"
    (hop,) = result.hops
    assert (hop.url, hop.status, hop.reason, hop.address) == (
        f"http://probe.test:{server.port}/path?q=1",
        200,
        "OK",
        LOOPBACK,
    )
    assert ("Content-Type", "text/plain") in hop.headers
    assert result.allow_entry == f"127.0.0.1/32:{server.port}"
    assert (result.body_bytes, result.body_sample) == (5, b"hello")
    assert result.tls is None
    timings = result.timings
    assert timings.dns_ms is not None and timings.connect_ms is not None and timings.ttfb_ms is not None
    assert timings.tls_ms is None and timings.total_ms is not None and timings.total_ms >= timings.connect_ms
    assert resolver.calls == ["probe.test"]  # one lookup for the one connection
    assert connect_spy.attempts == [(LOOPBACK, server.port)]


def test_d7_fixed_headers_http11_and_no_cookies(server: ScriptedServer, policy: Policy, resolver: FakeResolver) -> None:
    cookie_then_redirect = respond(302, [("Location", "/next"), ("Set-Cookie", "sid=secret; Path=/")])
    server.script = routes({"/": cookie_then_redirect, "/next": respond(200, body=b"done")})
    result = run(f"http://probe.test:{server.port}/", policy, resolver, requester="U123")
    assert result.outcome == OK, result.reason
    first, second = server.requests
    for request in (first, second):
        assert request.method == "GET"
        assert request.raw.split(b"\r\n", 1)[0].endswith(b" HTTP/1.1")
        for name, value in REQUEST_HEADERS.items():
            assert request.header(name) == value
        assert "httpcode" in (request.header("User-Agent") or "")
        assert request.header("Cookie") is None
        assert request.header("Host") == f"probe.test:{server.port}"
    assert second.target == "/next"


@pytest.mark.parametrize("host", ["127.0.0.1", "2130706433", "0x7f.0.0.1", "127.1"])
def test_numeric_hosts_are_decoded_never_resolved(
    host: str, server: ScriptedServer, policy: Policy, resolver: FakeResolver, connect_spy: ConnectSpy
) -> None:
    """Allow-list entries match addresses, however spelt; the guard decodes as the gate does (§2 step 5)."""
    result = run(f"http://{host}:{server.port}/", policy, resolver)
    assert result.outcome == OK, result.reason
    assert result.hops[0].address == LOOPBACK
    assert resolver.calls == []
    assert connect_spy.attempts == [(LOOPBACK, server.port)]


def test_probe_sync_for_the_cli(server: ScriptedServer, policy: Policy, resolver: FakeResolver) -> None:
    result = probe_sync(f"http://127.0.0.1:{server.port}/", policy=policy, resolver=resolver, timeout=TOTAL)
    assert (result.outcome, result.final and result.final.status) == (OK, 200)


def test_guard_records_each_connection_for_the_report_and_audit(
    server: ScriptedServer, policy: Policy, resolver: FakeResolver, connect_spy: ConnectSpy
) -> None:
    """The backend on its own: one lookup, the answers, the dialled literal and the entry, per connection."""
    resolver.set("two.test", [LOOPBACK, "::ffff:127.0.0.1"])
    backend = GuardedBackend(policy, "U123", resolver)

    async def connect_twice() -> None:
        for host in ("two.test", LOOPBACK):
            stream = await backend.connect_tcp(host, server.port, timeout=TOTAL)
            assert isinstance(stream, GuardedStream) and stream.connection.address == LOOPBACK
            await stream.aclose()

    asyncio.run(connect_twice())
    named, literal = backend.connections
    assert named.answers == (LOOPBACK, "::ffff:127.0.0.1") and named.dns_ms is not None
    assert (named.address, named.entry) == (LOOPBACK, f"127.0.0.1/32:{server.port}")
    assert literal.answers == (LOOPBACK,) and literal.dns_ms is None  # an IP literal is never resolved
    assert resolver.calls == ["two.test"]
    assert connect_spy.attempts == [(LOOPBACK, server.port)] * 2  # the mapped duplicate is dialled once at most


# --- §7.5 DNS through the injected resolver ----------------------------------------------------------------------


def test_row70_name_resolving_to_private_address(
    server: ScriptedServer, policy: Policy, resolver: FakeResolver, connect_spy: ConnectSpy
) -> None:
    for url in ("http://internal.test/", f"http://internal.test:{server.port}/"):
        result = run(url, policy, resolver)
        assert result.outcome == ADDR
        assert "internal.test resolves to 10.0.0.5" in result.reason and "private" in result.reason
    assert connect_spy.attempts == []
    assert resolver.calls == ["internal.test", "internal.test"]


def test_row71_one_denied_answer_refuses_the_whole_connection(
    server: ScriptedServer, policy: Policy, resolver: FakeResolver, connect_spy: ConnectSpy
) -> None:
    resolver.set("mixed.test", [LOOPBACK, "10.0.0.5"])
    result = run(f"http://mixed.test:{server.port}/", policy, resolver)
    assert result.outcome == ADDR
    assert "10.0.0.5" in result.reason
    assert connect_spy.attempts == []  # not even the allowed 127.0.0.1: fail closed
    assert server.accepted == 0


def test_row72_rebinding_between_probes(
    server: ScriptedServer, policy: Policy, resolver: FakeResolver, connect_spy: ConnectSpy
) -> None:
    resolver.set("rebind.test", [LOOPBACK], ["10.0.0.5"])
    url = f"http://rebind.test:{server.port}/"
    first = run(url, policy, resolver)
    assert first.outcome == OK, first.reason
    assert first.hops[0].address == LOOPBACK  # the validated address is the one dialled
    assert resolver.calls == ["rebind.test"]  # one lookup per connection, never a second one to connect
    second = run(url, policy, resolver)
    assert second.outcome == ADDR
    assert "10.0.0.5" in second.reason
    assert connect_spy.attempts == [(LOOPBACK, server.port)]


def test_row73_rebinding_name_reached_again_by_a_redirect(
    server: ScriptedServer, policy: Policy, resolver: FakeResolver, connect_spy: ConnectSpy
) -> None:
    resolver.set("rebind.test", [LOOPBACK], ["10.0.0.5"])
    server.script = routes({"/a": respond(302, [("Location", "/b")]), "/b": respond(200)})
    result = run(f"http://rebind.test:{server.port}/a", policy, resolver)
    assert result.outcome == ADDR
    assert result.reason.startswith("redirect 1 to ")
    assert [hop.status for hop in result.hops] == [302]
    assert result.hops[0].address == LOOPBACK
    assert resolver.calls == ["rebind.test", "rebind.test"]  # hop 2 opened a new connection and was re-checked
    assert connect_spy.attempts == [(LOOPBACK, server.port)]


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param([], id="row75-empty"),
        pytest.param(OSError("NXDOMAIN"), id="row75-nxdomain"),
        pytest.param(RuntimeError("resolver crashed"), id="resolver-raises-anything"),
    ],
)
def test_row75_no_answer_is_error_dns(
    answer: Any, server: ScriptedServer, policy: Policy, resolver: FakeResolver, connect_spy: ConnectSpy
) -> None:
    resolver.set("gone.test", answer)
    result = run(f"http://gone.test:{server.port}/", policy, resolver)
    assert result.outcome == DNS, result.reason
    assert "gone.test" in result.reason
    assert connect_spy.attempts == []


def test_row75_unknown_name_is_nxdomain(server: ScriptedServer, policy: Policy, resolver: FakeResolver) -> None:
    result = run(f"http://unknown.test:{server.port}/", policy, resolver)
    assert result.outcome == DNS
    assert "Name or service not known" in result.reason


@pytest.mark.parametrize(
    "answers",
    [
        pytest.param(["fe80::1%eth0"], id="scope-id"),
        pytest.param(["::ffff:10.0.0.5"], id="mapped-private"),
        pytest.param(["::ffff:169.254.169.254"], id="mapped-metadata"),
        pytest.param(["not-an-address"], id="garbage-answer"),
        pytest.param([LOOPBACK, "2002:a9fe:a9fe::"], id="6to4-metadata-second"),
    ],
)
def test_every_answer_is_normalised_and_classified(
    answers: list[str], server: ScriptedServer, policy: Policy, resolver: FakeResolver, connect_spy: ConnectSpy
) -> None:
    resolver.set("odd.test", answers)
    result = run(f"http://odd.test:{server.port}/", policy, resolver)
    assert result.outcome == ADDR, result.reason
    assert connect_spy.attempts == []


def test_mapped_answer_is_dialled_as_ipv4(
    server: ScriptedServer, policy: Policy, resolver: FakeResolver, connect_spy: ConnectSpy
) -> None:
    resolver.set("mapped.test", ["::ffff:127.0.0.1"])
    result = run(f"http://mapped.test:{server.port}/", policy, resolver)
    assert result.outcome == OK, result.reason
    assert result.hops[0].address == LOOPBACK
    assert connect_spy.attempts == [(LOOPBACK, server.port)]


def test_row76_at_most_three_connect_attempts(resolver: FakeResolver, connect_spy: ConnectSpy) -> None:
    port = closed_port()
    addresses = [f"127.0.0.{n}" for n in range(2, 102)]
    for address in addresses:
        connect_spy.declare(address, port)
    resolver.set("many.test", addresses)
    result = run(f"http://many.test:{port}/", allow_only(f"127.0.0.0/24:{port}"), resolver)
    assert result.outcome == CONNECT, result.reason
    assert connect_spy.attempts == [(address, port) for address in addresses[:3]]
    assert "refused" in result.reason and "97 more addresses not tried" in result.reason


def test_closed_port_on_an_allowed_address_is_error_connect(resolver: FakeResolver, connect_spy: ConnectSpy) -> None:
    port = closed_port()
    connect_spy.declare(LOOPBACK, port)
    result = run(f"http://127.0.0.1:{port}/", allow_only(f"127.0.0.1/32:{port}"), resolver)
    assert result.outcome == CONNECT
    assert result.timings.connect_ms is not None
    assert connect_spy.attempts == [(LOOPBACK, port)]


def test_row77_proxy_variables_are_ignored(
    server: ScriptedServer,
    policy: Policy,
    resolver: FakeResolver,
    connect_spy: ConnectSpy,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with ScriptedServer() as listener:
        proxy = f"http://127.0.0.1:{listener.port}"
        for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
            monkeypatch.setenv(name, proxy)
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        result = run(f"http://probe.test:{server.port}/", policy, resolver)
        assert result.outcome == OK, result.reason
        assert listener.accepted == 0
    only_fixture(connect_spy, server)


# --- §7.6 redirects, hop 1 on the allowed fixture ----------------------------------------------------------------

REFUSED_REDIRECTS = [
    pytest.param("http://169.254.169.254/latest/meta-data/", {ADDR}, id="row78-metadata"),
    pytest.param("http://127.0.0.2:{port}/", {ADDR}, id="row79-127.0.0.2"),
    pytest.param("http://internal.test/", {ADDR}, id="row80-name-to-private"),
    pytest.param("http://metadata.test:{port}/", {ADDR}, id="row80-name-to-metadata"),
    pytest.param("file:///etc/passwd", {SCHEME}, id="row81-file"),
    pytest.param("gopher://127.0.0.1:6379/_INFO%0D%0A", {SCHEME}, id="row81-gopher"),
    pytest.param("dict://127.0.0.1:11211/stat", {SCHEME}, id="row81-dict"),
    pytest.param("data:text/plain,hi", {SCHEME}, id="row81-data"),
    pytest.param("http://a@127.0.0.2/", REFUSALS, id="row82-userinfo"),
    pytest.param("http://127.0.0.2\\@good.test/", REFUSALS, id="row82-backslash"),
    pytest.param("http://probe.test:22/", {PORT}, id="row84-port-22"),
    pytest.param("//169.254.169.254/", {ADDR}, id="scheme-relative-metadata"),
    pytest.param("http://[::ffff:a9fe:a9fe]:{port}/", {ADDR}, id="mapped-metadata-literal"),
]


@pytest.mark.parametrize(("location", "expected"), REFUSED_REDIRECTS)
def test_rows78_84_every_hop_is_gated_and_guarded(
    location: str,
    expected: set[Outcome],
    server: ScriptedServer,
    policy: Policy,
    resolver: FakeResolver,
    connect_spy: ConnectSpy,
) -> None:
    server.script = redirect(location.format(port=server.port))
    result = run(f"http://probe.test:{server.port}/", policy, resolver)
    assert result.outcome in expected, result.reason
    assert [hop.status for hop in result.hops] == [302]  # hop 1 kept
    assert result.reason.startswith("redirect 1 to ")
    assert result.body_bytes == 0  # I-2: nothing from the refused destination, nor the redirect body
    only_fixture(connect_spy, server)


def test_row83_https_redirect_to_http_loopback(
    tls_server: ScriptedServer, client_tls: ssl.SSLContext, resolver: FakeResolver, connect_spy: ConnectSpy
) -> None:
    tls_server.script = redirect("http://127.0.0.2/")
    policy = allow_only(f"127.0.0.1/32:{tls_server.port}")
    result = run(f"https://probe.test:{tls_server.port}/", policy, resolver, ssl_context=client_tls)
    assert result.outcome == ADDR, result.reason
    assert [hop.status for hop in result.hops] == [302]
    assert result.tls is not None and result.tls.san == ("probe.test",)  # hop 1's handshake is still reported
    only_fixture(connect_spy, tls_server)


def test_row85_loop_is_refused(server: ScriptedServer, policy: Policy, resolver: FakeResolver) -> None:
    server.script = redirect("/loop")
    result = run(f"http://probe.test:{server.port}/loop", policy, resolver)
    assert result.outcome == HOPS
    assert len(result.hops) == 1


def test_row86_endless_chain_stops_after_five_redirects(
    server: ScriptedServer, policy: Policy, resolver: FakeResolver
) -> None:
    async def next_one(peer: Peer) -> None:
        request = await peer.head()
        await peer.respond(302, [("Location", f"/{int(request.target[1:]) + 1}")], reason="Found")

    server.script = next_one
    result = run(f"http://probe.test:{server.port}/1", policy, resolver)
    assert result.outcome == HOPS, result.reason
    assert [hop.url.rsplit("/", 1)[1] for hop in result.hops] == ["1", "2", "3", "4", "5", "6"]  # the chain
    assert len(server.requests) == MAX_HOPS + 1


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_row90_relative_location_is_joined(
    status: int, server: ScriptedServer, policy: Policy, resolver: FakeResolver
) -> None:
    server.script = routes({"/start/here": respond(status, [("Location", "../ok")]), "/ok": respond(200, body=b"fine")})
    result = run(f"http://probe.test:{server.port}/start/here", policy, resolver)
    assert result.outcome == OK, result.reason
    assert [hop.url for hop in result.hops] == [
        f"http://probe.test:{server.port}/start/here",
        f"http://probe.test:{server.port}/ok",
    ]
    assert result.reason == "200 OK after 1 redirect"
    assert result.body_sample == b"fine"


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param([], id="row87-302-without-location"),
        pytest.param([("Location", "")], id="empty-location"),
    ],
)
def test_row87_redirect_status_without_location_is_final(
    headers: list[tuple[str, str]], server: ScriptedServer, policy: Policy, resolver: FakeResolver
) -> None:
    server.script = routes({"/": respond(302, headers, b"no target")})
    result = run(f"http://probe.test:{server.port}/", policy, resolver)
    assert (result.outcome, result.reason) == (OK, "302 OK")
    assert len(result.hops) == 1 and result.body_bytes == len(b"no target")


def test_300_and_304_are_not_followed(server: ScriptedServer, policy: Policy, resolver: FakeResolver) -> None:
    server.script = routes({"/": respond(300, [("Location", "/elsewhere")])})
    result = run(f"http://probe.test:{server.port}/", policy, resolver)
    assert result.outcome == OK and len(result.hops) == 1


GARBAGE_LOCATIONS = [
    pytest.param("/" + "a" * 16 * 1024, {SYNTAX}, id="row88-16KiB"),
    pytest.param("/café", {OK}, id="row88-non-ascii"),
    pytest.param("/a%0D%0AX-Injected:%20yes", {OK}, id="row88-encoded-crlf"),
    pytest.param("http://[::1", {SYNTAX}, id="row88-broken-ipv6"),
    pytest.param("http://exa mple.test/", {SYNTAX}, id="row88-space"),
    pytest.param("/tab\there", {SYNTAX}, id="row88-tab"),
    pytest.param("/\u202eevil", {SYNTAX}, id="row88-bidi"),
    pytest.param("http://probe.test:99999/", {PORT}, id="row88-port-out-of-range"),
    pytest.param("http:", REFUSALS, id="row88-scheme-only"),
    pytest.param("%", REFUSALS | {OK}, id="row88-lone-percent"),
]


@pytest.mark.parametrize(("location", "expected"), GARBAGE_LOCATIONS)
def test_row88_garbage_location_never_crashes(
    location: str,
    expected: set[Outcome],
    server: ScriptedServer,
    policy: Policy,
    resolver: FakeResolver,
    connect_spy: ConnectSpy,
) -> None:
    server.script = routes({"/": respond(302, [("Location", location)])}, default=respond(200, body=b"landed"))
    result = run(f"http://probe.test:{server.port}/", policy, resolver)
    assert result.outcome in expected, result.reason
    only_fixture(connect_spy, server)


def test_two_different_locations_are_a_protocol_error(
    server: ScriptedServer, policy: Policy, resolver: FakeResolver
) -> None:
    server.script = routes({"/": respond(302, [("Location", "/a"), ("Location", "http://169.254.169.254/")])})
    result = run(f"http://probe.test:{server.port}/", policy, resolver)
    assert result.outcome == PROTOCOL
    assert len(result.hops) == 1


def test_row89_refresh_is_reported_never_followed(
    server: ScriptedServer, policy: Policy, resolver: FakeResolver, connect_spy: ConnectSpy
) -> None:
    meta = b'<meta http-equiv="refresh" content="0;url=http://169.254.169.254/">'
    server.script = routes({"/": respond(200, [("Refresh", "0;url=http://169.254.169.254/")], meta)})
    result = run(f"http://probe.test:{server.port}/", policy, resolver)
    assert result.outcome == OK
    assert len(result.hops) == 1
    assert ("Refresh", "0;url=http://169.254.169.254/") in result.hops[0].headers
    assert result.body_sample == meta
    only_fixture(connect_spy, server)


def test_redirect_bodies_are_not_read(server: ScriptedServer, policy: Policy, resolver: FakeResolver) -> None:
    async def redirect_with_endless_body(peer: Peer) -> None:
        await peer.send(b"HTTP/1.1 302 Found\r\nLocation: /final\r\nContent-Length: 5368709120\r\n\r\n")
        await peer.stream_forever(bytes(65536))

    server.script = routes({"/": redirect_with_endless_body, "/final": respond(200, body=b"end")})
    result = run(f"http://probe.test:{server.port}/", policy, resolver)
    assert result.outcome == OK, result.reason
    assert (result.body_bytes, result.body_sample) == (3, b"end")


# --- deadline rows (74, 91-94, TLS stall), run concurrently: each on its own server and budget -------------------


async def slow_redirects(peer: Peer) -> None:
    request = await peer.head()
    await asyncio.sleep(0.6)
    await peer.respond(302, [("Location", f"/{int(request.target[1:]) + 1}")], reason="Found")


async def silent(peer: Peer) -> None:
    await peer.hang()


async def slow_head(peer: Peer) -> None:
    await peer.head()
    await peer.trickle(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", 0.5)


async def slow_body(peer: Peer) -> None:
    await peer.head()
    await peer.send(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")
    await peer.trickle(b"x" * 100000, 0.5)


# (row, script, scheme, name the resolver gives; HANG for a lookup that never returns)
DEADLINES: list[tuple[str, Script, str, object]] = [
    ("row74-resolver-never-returns", silent, "http", HANG),
    ("row91-five-slow-redirects", slow_redirects, "http", [LOOPBACK]),
    ("row92-accepts-never-sends", silent, "http", [LOOPBACK]),
    ("row93-head-1-byte-per-0.5s", slow_head, "http", [LOOPBACK]),
    ("row94-body-1-byte-per-0.5s", slow_body, "http", [LOOPBACK]),
    ("tls-handshake-never-answered", silent, "https", [LOOPBACK]),
]


def test_rows74_91_to_94_one_wall_clock_deadline(
    connect_spy: ConnectSpy, client_tls: ssl.SSLContext, server: ScriptedServer, policy: Policy
) -> None:
    with ExitStack() as stack:
        servers = [stack.enter_context(ScriptedServer(script)) for _row, script, _scheme, _answer in DEADLINES]
        resolver = FakeResolver()
        jobs: list[Awaitable[tuple[ProbeResult, float]]] = []
        for (row, _script, scheme, answer), fixture in zip(DEADLINES, servers, strict=True):
            connect_spy.declare(LOOPBACK, fixture.port)
            resolver.set(f"{row}.test", answer)  # type: ignore[arg-type]
            url = f"{scheme}://{row}.test:{fixture.port}/1"
            jobs.append(timed_probe(url, allow_only(f"127.0.0.1/32:{fixture.port}"), resolver, ssl_context=client_tls))

        async def together() -> list[tuple[ProbeResult, float]]:
            return list(await asyncio.gather(*jobs))

        outcomes = asyncio.run(together())
    for (row, *_), (result, elapsed) in zip(DEADLINES, outcomes, strict=True):
        assert result.outcome == TIMEOUT, (row, result.reason)
        assert TOTAL - 0.1 <= elapsed <= TOTAL + SLACK, (row, elapsed)  # I-3
        assert f"{TOTAL:g} s budget" in result.reason, (row, result.reason)
    by_row = {row: result for (row, *_), (result, _) in zip(DEADLINES, outcomes, strict=True)}
    assert "resolving" in by_row["row74-resolver-never-returns"].reason
    assert len(by_row["row91-five-slow-redirects"].hops) >= 2  # earlier hops kept
    assert by_row["row93-head-1-byte-per-0.5s"].hops == ()
    body = by_row["row94-body-1-byte-per-0.5s"]
    assert body.hops[0].status == 200 and 1 <= body.body_bytes < 10  # head and bytes so far
    assert "TLS handshake" in by_row["tls-handshake-never-answered"].reason
    # I-4: a probe right after all of that works.
    assert run(f"http://127.0.0.1:{server.port}/", policy, FakeResolver()).outcome == OK


# --- §7.7 resource exhaustion -----------------------------------------------------------------------------------


def test_row95_huge_content_length_is_truncated_with_flat_memory(
    server: ScriptedServer, policy: Policy, resolver: FakeResolver
) -> None:
    async def endless_zeros(peer: Peer) -> None:
        await peer.head()
        await peer.send(b"HTTP/1.1 200 OK\r\nContent-Length: 5368709120\r\n\r\n")
        await peer.stream_forever(bytes(65536))

    server.script = endless_zeros
    tracemalloc.start()
    try:
        result = run(f"http://probe.test:{server.port}/", policy, resolver)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.outcome == TRUNCATED, result.reason
    assert result.hops[0].status == 200 and ("Content-Length", "5368709120") in result.hops[0].headers
    assert MAX_BYTES < result.body_bytes <= MAX_BYTES + 64 * 1024  # the cap, plus one read at most
    assert len(result.body_sample) == 4096
    assert peak < 50 * 1024 * 1024  # I-3


def test_row96_gzip_bomb_is_counted_raw_never_inflated(
    server: ScriptedServer, policy: Policy, resolver: FakeResolver
) -> None:
    bomb = gzip_bomb()
    assert 40 * 1024 < len(bomb) < MAX_BYTES
    server.script = routes({"/": respond(200, [("Content-Encoding", "gzip"), ("Content-Type", "text/html")], bomb)})
    tracemalloc.start()
    try:
        result = run(f"http://probe.test:{server.port}/", policy, resolver)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.outcome == OK, result.reason
    assert result.body_bytes == len(bomb)
    assert result.body_sample == bomb[:4096] and result.body_sample[:2] == b"\x1f\x8b"
    assert peak < 20 * 1024 * 1024  # inflating would take 50 MiB
    assert server.requests[0].header("Accept-Encoding") == "identity"


def raw_reply(data: bytes, then: str = "close") -> Script:
    """A script sending data after the request head, then closing (FIN), resetting (RST) or streaming on."""

    async def script(peer: Peer) -> None:
        await peer.head()
        await peer.send(data)
        if then == "reset":
            peer.reset()
        elif then == "hang":
            await peer.hang()

    return script


def endless(prefix: bytes, unit: bytes) -> Script:
    async def script(peer: Peer) -> None:
        await peer.head()
        await peer.send(prefix)
        await peer.stream_forever(unit * 4096)

    return script


MISBEHAVIOUR = [
    pytest.param(endless(b"HTTP/1.1 200 OK\r\n", b"X-Filler: aaaaaaaa\r\n"), id="row97-header-lines-never-end"),
    pytest.param(endless(b"HTTP/1.1 200 OK\r\nX-Endless: ", b"a"), id="row97-one-line-never-ends"),
    pytest.param(raw_reply(b"HTTP/1.1 200 OK\r\nX-Big: " + b"a" * 10_000_000 + b"\r\n\r\n"), id="row98-10MB-header"),
    pytest.param(
        raw_reply(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello"), id="row100-two-CL"
    ),
    pytest.param(raw_reply(b"HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\nhello"), id="row100-CL-list-of-two"),
    pytest.param(
        raw_reply(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"),
        id="row100-CL-and-TE",
    ),
    pytest.param(raw_reply(b"SSH-2.0-OpenSSH_9.6\r\n"), id="row101-ssh-banner"),
    pytest.param(raw_reply(b"<html>HTTP/0.9 has no status line</html>"), id="row101-http09"),
    pytest.param(raw_reply(b""), id="closed-without-a-byte"),
    pytest.param(raw_reply(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n"), id="unsupported-TE"),
    pytest.param(raw_reply(b"HTTP/1.1 2000 Big\r\nContent-Length: 0\r\n\r\n"), id="bad-status-code"),
]


@pytest.mark.parametrize("script", MISBEHAVIOUR)
def test_rows97_101_broken_http_is_error_protocol(
    script: Script, server: ScriptedServer, policy: Policy, resolver: FakeResolver
) -> None:
    server.script = script
    result = run(f"http://probe.test:{server.port}/", policy, resolver)
    assert result.outcome == PROTOCOL, result.reason
    assert result.body_bytes == 0
    # I-4: the same server, behaving, answers the next probe.
    server.script = routes({"/": respond(200)})
    assert run(f"http://probe.test:{server.port}/", policy, resolver).outcome == OK


def test_row100_identical_content_lengths_are_fine(
    server: ScriptedServer, policy: Policy, resolver: FakeResolver
) -> None:
    server.script = raw_reply(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello")
    result = run(f"http://probe.test:{server.port}/", policy, resolver)
    assert (result.outcome, result.body_bytes) == (OK, 5)


@pytest.mark.parametrize(
    ("then", "expected"), [("reset", {PROTOCOL, CONNECT}), ("close", {PROTOCOL})], ids=["row102-rst", "row102-fin"]
)
def test_row102_drop_mid_body_keeps_head_and_bytes(
    then: str, expected: set[Outcome], server: ScriptedServer, policy: Policy, resolver: FakeResolver
) -> None:
    server.script = raw_reply(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + b"y" * 3000, then)
    result = run(f"http://probe.test:{server.port}/", policy, resolver)
    assert result.outcome in expected, result.reason
    assert "reset" in result.reason or "closed" in result.reason or "3000 bytes" in result.reason
    assert result.hops[0].status == 200
    assert 0 < result.body_bytes <= 3000
    assert result.body_sample == b"y" * result.body_bytes


def test_row99_many_headers_are_capped_and_counted(
    server: ScriptedServer, policy: Policy, resolver: FakeResolver
) -> None:
    many = [(f"X-H-{n:04d}", "v") for n in range(5000)]
    server.script = routes({"/": respond(200, [*many, ("Retry-After", "120")])})
    result = run(f"http://probe.test:{server.port}/", policy, resolver)
    assert result.outcome == OK, result.reason
    headers = result.hops[0].headers
    assert len(headers) == MAX_HEADERS + 1
    assert headers[-1] == ("…", f"{5002 - MAX_HEADERS} more headers not shown (5002 in all)")
    assert ("Retry-After", "120") in headers and ("Content-Length", "0") in headers  # telling headers kept first


def test_row107_long_reason_and_value_are_cut_and_marked(
    server: ScriptedServer, policy: Policy, resolver: FakeResolver
) -> None:
    reason, value = "R" * 10_240, "v" * 10_240
    server.script = raw_reply(f"HTTP/1.1 200 {reason}\r\nX-Long: {value}\r\nContent-Length: 0\r\n\r\n".encode())
    result = run(f"http://probe.test:{server.port}/", policy, resolver)
    hop = result.hops[0]
    assert hop.reason.endswith("… [cut, 10240 characters in all]") and len(hop.reason) < 200
    (long_value,) = [v for name, v in hop.headers if name == "X-Long"]
    assert long_value.endswith("… [cut, 10240 characters in all]") and len(long_value) < 600


# --- §7.8 TLS ---------------------------------------------------------------------------------------------------


def test_row104_verified_tls_reports_details(
    tls_server: ScriptedServer, client_tls: ssl.SSLContext, resolver: FakeResolver, connect_spy: ConnectSpy
) -> None:
    policy = allow_only(f"127.0.0.1/32:{tls_server.port}")
    result = run(f"https://probe.test:{tls_server.port}/", policy, resolver, ssl_context=client_tls)
    assert result.outcome == OK, result.reason
    assert tls_server.sni == ["probe.test"]
    assert tls_server.requests[0].header("Host") == f"probe.test:{tls_server.port}"
    assert connect_spy.attempts == [(LOOPBACK, tls_server.port)]  # via 127.0.0.1
    assert result.hops[0].address == LOOPBACK
    tls = result.tls
    assert tls is not None
    assert tls.version in ("TLSv1.2", "TLSv1.3") and tls.cipher
    assert tls.san == ("probe.test",) and tls.hostname_matches is True and tls.problem is None
    assert tls.issuer and "trustme" in tls.issuer and tls.subject is not None
    assert tls.not_after is not None and tls.days_left is not None and tls.days_left > 0
    assert result.timings.tls_ms is not None


def test_row105_hostname_mismatch_no_unverified_retry(
    tls_server: ScriptedServer, client_tls: ssl.SSLContext, resolver: FakeResolver, connect_spy: ConnectSpy
) -> None:
    policy = allow_only(f"127.0.0.1/32:{tls_server.port}")
    result = run(f"https://other.test:{tls_server.port}/", policy, resolver, ssl_context=client_tls)
    assert result.outcome == TLS, result.reason
    assert "not valid for other.test (hostname mismatch)" in result.reason
    assert result.tls is not None and result.tls.hostname_matches is False and result.tls.problem
    assert tls_server.sni == ["other.test"]
    assert connect_spy.attempts == [(LOOPBACK, tls_server.port)]  # one handshake, no second try
    assert tls_server.requests == [] and result.hops == ()


def tls_failure(
    server_context: ssl.SSLContext, client_tls: ssl.SSLContext, resolver: FakeResolver, spy: ConnectSpy
) -> tuple[ProbeResult, ScriptedServer]:
    with ScriptedServer(ssl_context=server_context) as fixture:
        spy.declare(LOOPBACK, fixture.port)
        policy = allow_only(f"127.0.0.1/32:{fixture.port}")
        result = run(f"https://probe.test:{fixture.port}/", policy, resolver, ssl_context=client_tls)
    assert result.outcome == TLS, result.reason
    assert fixture.requests == [] and result.hops == ()  # no request ever went over an unverified connection
    return result, fixture


def test_expired_certificate_names_the_date(
    ca: trustme.CA, client_tls: ssl.SSLContext, resolver: FakeResolver, connect_spy: ConnectSpy
) -> None:
    expired = server_tls(
        ca, "probe.test", not_before=datetime(2019, 1, 1, tzinfo=UTC), not_after=datetime(2020, 1, 1, tzinfo=UTC)
    )
    result, fixture = tls_failure(expired, client_tls, resolver, connect_spy)
    assert "the certificate expired on 2020-01-01" in result.reason
    assert result.tls is not None and result.tls.not_after == "2020-01-01"
    # The date comes from one more handshake, verified except for time, to the same checked address; no request.
    assert connect_spy.attempts == [(LOOPBACK, fixture.port)] * 2


def test_unknown_issuer(client_tls: ssl.SSLContext, resolver: FakeResolver, connect_spy: ConnectSpy) -> None:
    stranger = server_tls(trustme.CA(), "probe.test")
    result, fixture = tls_failure(stranger, client_tls, resolver, connect_spy)
    assert "issuer is unknown" in result.reason and "incomplete chain" in result.reason
    assert connect_spy.attempts == [(LOOPBACK, fixture.port)]


def test_self_signed(
    client_tls: ssl.SSLContext, resolver: FakeResolver, connect_spy: ConnectSpy, tmp_path: Path
) -> None:
    own = trustme.CA()
    pem = tmp_path / "self-signed.pem"
    pem.write_bytes(own.private_key_pem.bytes() + own.cert_pem.bytes())
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(pem)
    result, _ = tls_failure(context, client_tls, resolver, connect_spy)
    assert "self-signed" in result.reason


def test_plain_http_on_an_https_url(
    server: ScriptedServer, client_tls: ssl.SSLContext, resolver: FakeResolver, policy: Policy
) -> None:
    async def plain_http(peer: Peer) -> None:  # answers the ClientHello as a web server answers garbage
        await peer.send(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")

    server.script = plain_http
    result = run(f"https://probe.test:{server.port}/", policy, resolver, ssl_context=client_tls)
    assert result.outcome == TLS
    assert "did not answer in TLS" in result.reason or "closed the connection" in result.reason


# --- never raise -------------------------------------------------------------------------------------------------


def test_an_unexpected_error_becomes_a_result_and_is_logged(
    server: ScriptedServer, policy: Policy, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(host: str) -> list[str]:
        return 42  # type: ignore[return-value]

    with caplog.at_level(logging.ERROR, logger="bot.probe.run"):
        result = asyncio.run(probe(f"http://broken.test:{server.port}/", policy=policy, resolver=broken, timeout=TOTAL))
    assert result.outcome == Outcome.ERROR_PROTOCOL
    assert "unexpectedly (TypeError)" in result.reason
    assert any("unexpected" in record.getMessage() for record in caplog.records)


def test_where_label_is_copied(server: ScriptedServer, policy: Policy, resolver: FakeResolver) -> None:
    result = run(f"http://127.0.0.1:{server.port}/", policy, resolver, where="eu-west")
    assert result.where == "eu-west" and result.to_dict()["where"] == "eu-west"
