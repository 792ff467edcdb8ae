"""The probe pipeline (probe.md §2 steps 8-12, D4-D7): one URL in, one `ProbeResult` with one outcome out.

Every hop goes through the URL gate and the guarded transport; redirects are followed by hand; one
wall-clock deadline covers every phase of every hop; the body is read raw and capped. `probe` never
raises for anything the server or the URL does: a `ProbeError` is an answer, not a crash (style §6).

Requests go straight to the guarded transport, with no `httpx.AsyncClient` in between, so there is no
cookie jar, no proxy or netrc lookup in the environment and no redirect logic of httpx's own (D4, D7).
"""

from __future__ import annotations

import asyncio
import logging
import re
import ssl
import time
import unicodedata
from functools import lru_cache
from typing import Any, NamedTuple

import httpx

from bot import __version__
from bot.errors import ProbeError, ProbeFailed, ProbeRefused
from bot.probe.addresses import classify
from bot.probe.outcome import Outcome
from bot.probe.policy import Policy
from bot.probe.result import Hop, ProbeResult, Timings
from bot.probe.transport import Connection, GuardedBackend, GuardedStream, GuardedTransport, Resolver
from bot.probe.urlgate import check_url

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 10.0
DEFAULT_MAX_BYTES = 256 * 1024
DEFAULT_MAX_HOPS = 5
REDIRECTS = frozenset({301, 302, 303, 307, 308})  # RFC 9110 §15.4; 300 and 304 carry no redirect to follow
SAMPLE_BYTES = 4096  # raw start of the final body, kept for hint extraction only
MAX_HEADERS = 50
MAX_HEADER_NAME = 64
MAX_HEADER_VALUE = 512
MAX_REASON = 120
USER_AGENT = f"httpcode/{__version__} (URL probe; one GET, no cookies)"

# D7: fixed headers, nothing the user chooses. identity: the body is reported raw, never decoded (D6).
REQUEST_HEADERS = {"User-Agent": USER_AGENT, "Accept": "*/*", "Accept-Encoding": "identity"}

# When a response has more headers than MAX_HEADERS, these are kept first: they are what explains a status.
_TELLING = frozenset(
    {
        "location", "refresh", "retry-after", "server", "via", "date", "content-type", "content-length",
        "transfer-encoding", "content-encoding", "cache-control", "age", "expires", "www-authenticate",
        "proxy-authenticate", "strict-transport-security", "alt-svc", "connection", "x-cache", "cf-ray",
        "x-amz-cf-id", "x-served-by", "x-request-id", "x-powered-by", "access-control-allow-origin",
    }
)  # fmt: skip
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")


class _Head(NamedTuple):
    """What the pipeline keeps of one response head before deciding to follow it or read its body."""

    response: httpx.Response
    hop: Hop
    location: str | None


class _Progress:
    """Scratch state of one probe, so that a failure at any point still reports what came before it."""

    __slots__ = ("backend", "body_bytes", "hops", "outcome", "reason", "sample", "ttfb_ms")

    def __init__(self) -> None:
        self.hops: list[Hop] = []
        self.body_bytes = 0
        self.sample = b""
        self.ttfb_ms: float | None = None
        self.backend: GuardedBackend | None = None
        self.outcome = Outcome.OK
        self.reason = ""


async def probe(
    url_text: str,
    *,
    policy: Policy,
    requester: str | None = None,
    resolver: Resolver | None = None,
    ssl_context: ssl.SSLContext | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_hops: int = DEFAULT_MAX_HOPS,
    where: str | None = None,
) -> ProbeResult:
    """Fetch url_text safely and report what came back; never raises for the URL's or the server's doing.

    Guarantees: no socket to an address the classifier refused (I-1); done within `timeout` seconds
    of wall clock, all hops included (D5); at most `max_bytes` (plus one read) of raw body read, never
    decompressed (D6); at most `max_hops` redirects, each re-gated (D4); exactly one outcome.

    Args:
        url_text: the extracted URL (urlgate.extract_url has undone Slack's wrapping).
        requester: the Slack user, for allow-list entries scoped to users (§4).
        resolver: `async (host) -> [addresses]`; the system resolver by default (tests inject one).
        ssl_context: verification settings; the system trust store by default. Verification is never off.
        where: operator label of where the probe ran, copied into the result.
    """
    started = time.perf_counter()
    progress = _Progress()
    try:
        await _run(url_text, progress, policy, requester, resolver, ssl_context, timeout, max_bytes, max_hops)
    except ProbeError as exc:
        progress.outcome, progress.reason = _outcome(exc.outcome), exc.reason
    except TimeoutError:  # a stray one, not the deadline's (that is translated in _run)
        progress.outcome, progress.reason = Outcome.TIMEOUT, "an operation timed out"
    except Exception as exc:
        logger.exception("probe of %r ended by an unexpected error", _clip(url_text, 200))
        outcome = Outcome.ERROR_CONNECT if isinstance(exc, OSError) else Outcome.ERROR_PROTOCOL
        progress.outcome, progress.reason = outcome, f"the probe failed unexpectedly ({type(exc).__name__})"
    return _result(url_text, progress, started, where)


def probe_sync(
    url_text: str,
    *,
    policy: Policy,
    requester: str | None = None,
    resolver: Resolver | None = None,
    ssl_context: ssl.SSLContext | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_hops: int = DEFAULT_MAX_HOPS,
    where: str | None = None,
) -> ProbeResult:
    """`probe` for synchronous callers (the CLI): runs its own event loop, so never call it from one."""
    return asyncio.run(
        probe(
            url_text,
            policy=policy,
            requester=requester,
            resolver=resolver,
            ssl_context=ssl_context,
            timeout=timeout,
            max_bytes=max_bytes,
            max_hops=max_hops,
            where=where,
        )
    )


@lru_cache(maxsize=1)
def default_ssl_context() -> ssl.SSLContext:
    """The system trust store with hostname checking, built once (loading it takes milliseconds)."""
    return ssl.create_default_context()


async def _run(
    url_text: str,
    progress: _Progress,
    policy: Policy,
    requester: str | None,
    resolver: Resolver | None,
    ssl_context: ssl.SSLContext | None,
    timeout: float,
    max_bytes: int,
    max_hops: int,
) -> None:
    """§2 steps 8-12 under one deadline (D5); per-operation httpx timeouts are only a backstop."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    backend = GuardedBackend(policy, requester, resolver, deadline=deadline)
    progress.backend = backend
    transport = GuardedTransport(backend, ssl_context or default_ssl_context())
    try:
        async with asyncio.timeout_at(deadline):
            async with transport:
                await _follow(url_text, transport, progress, policy, requester, timeout, max_bytes, max_hops)
    except TimeoutError as exc:
        raise ProbeFailed(
            Outcome.TIMEOUT, f"no complete answer within the {timeout:g} s budget (stopped while {backend.phase})"
        ) from exc


async def _follow(
    url_text: str,
    transport: GuardedTransport,
    progress: _Progress,
    policy: Policy,
    requester: str | None,
    timeout: float,
    max_bytes: int,
    max_hops: int,
) -> None:
    """Hop after hop: gate, guarded request, then follow the redirect by hand or read the final body (D4)."""
    ports = policy.permitted_ports(policy.clock(), requester)
    phases = httpx.Timeout(timeout).as_dict()
    target = url_text
    visited: set[str] = set()
    while True:
        number = len(progress.hops) + 1
        try:
            gate = check_url(target, ports=ports)
            if gate.address is not None:  # a literal: judge it now, before any connection work (§2 step 5)
                decision = classify(gate.address, gate.port, policy, requester)
                if not decision.allowed:
                    raise ProbeRefused(decision.outcome or Outcome.REFUSE_ADDR, decision.reason)
            key = str(gate.url.copy_with(fragment=None))
            if key in visited:
                raise ProbeRefused(Outcome.REFUSE_HOPS, "that URL was visited before: the redirects loop")
            visited.add(key)
            head = await _request(transport, gate.url, phases, progress, number)
            if head.location is None:
                await _read_body(head, progress, max_bytes, number)
                return
        except ProbeError as exc:
            if number == 1:
                raise
            raise type(exc)(exc.outcome, f"redirect {number - 1} to {_clip(target, 100)}: {exc.reason}") from exc
        await head.response.aclose()  # redirect bodies are not read (§2 step 10)
        if number > max_hops:
            raise ProbeRefused(
                Outcome.REFUSE_HOPS, f"more than {max_hops} redirects; the {number} responses are listed"
            )
        target = _redirect_target(gate.url, head.location)


async def _request(
    transport: GuardedTransport, url: httpx.URL, phases: dict[str, float | None], progress: _Progress, number: int
) -> _Head:
    """Send the GET straight to the guarded transport and wait for the head; record the hop first thing.

    No `httpx.AsyncClient`: even with follow_redirects=False it parses every Location itself and raises on
    a bad one before the hop can be reported, and it brings a cookie jar and environment lookups (proxies,
    netrc) that D7 needs off. Without it there are none to switch off.
    """
    backend = transport.backend
    backend.phase = f"waiting for the response head of hop {number}"
    before = len(backend.connections)
    request = httpx.Request("GET", url, headers=REQUEST_HEADERS, extensions={"timeout": phases})
    started = time.perf_counter()
    response = await transport.handle_async_request(request)
    elapsed = (time.perf_counter() - started) * 1000
    stream = response.extensions.get("network_stream")
    connection = stream.connection if isinstance(stream, GuardedStream) else None
    fresh = backend.connections[before:]
    setup = sum((c.dns_ms or 0) + (c.connect_ms or 0) + (c.tls_ms or 0) for c in fresh)
    progress.ttfb_ms = max(elapsed - setup, 0.0)
    raw_reason = response.extensions.get("reason_phrase", b"")
    reason = _text(raw_reason) if isinstance(raw_reason, bytes) else ""
    hop = Hop(
        url=str(url),
        status=response.status_code,
        reason=_capped(reason, MAX_REASON),
        headers=select_headers(response.headers.raw),
        address=None if connection is None else connection.address,
        elapsed_ms=elapsed,
    )
    progress.hops.append(hop)
    try:
        _check_framing(response)
        location = _location(response) if response.status_code in REDIRECTS else None
    except ProbeError:
        await response.aclose()
        raise
    return _Head(response, hop, location)


async def _read_body(head: _Head, progress: _Progress, max_bytes: int, number: int) -> None:
    """Raw bytes only, up to the cap (D6); a drop mid-body keeps the head and the count so far."""
    backend = progress.backend
    assert backend is not None
    backend.phase = f"reading the body of hop {number}"
    started = time.perf_counter()
    truncated = False
    try:
        async for chunk in head.response.aiter_raw():
            progress.body_bytes += len(chunk)
            if len(progress.sample) < SAMPLE_BYTES:
                progress.sample += chunk[: SAMPLE_BYTES - len(progress.sample)]
            if progress.body_bytes > max_bytes:
                truncated = True
                break
    finally:
        await head.response.aclose()
        hop = progress.hops[-1]
        progress.hops[-1] = hop._replace(elapsed_ms=hop.elapsed_ms + (time.perf_counter() - started) * 1000)
    status = f"{head.hop.status} {head.hop.reason}".strip()
    if truncated:
        progress.outcome = Outcome.TRUNCATED
        progress.reason = (
            f"{status}; the body is over the {max_bytes}-byte cap, stopped after {progress.body_bytes} bytes"
        )
        return
    redirects = number - 1
    after = f" after {redirects} redirect{'s' if redirects != 1 else ''}" if redirects else ""
    progress.outcome, progress.reason = Outcome.OK, f"{status}{after}"


def _check_framing(response: httpx.Response) -> None:
    """RFC 9112 §6.3: Content-Length with Transfer-Encoding, or two different lengths, is an error.

    h11 lets Transfer-Encoding win silently, so the check is ours (§2 step 9); h11 already rejects
    conflicting Content-Length values, this repeats it so the rule does not depend on h11's version.
    """
    names = [name.lower() for name, _ in response.headers.raw]
    if b"content-length" in names and b"transfer-encoding" in names:
        raise ProbeFailed(
            Outcome.ERROR_PROTOCOL,
            "the response has both Content-Length and Transfer-Encoding, so its length is ambiguous (RFC 9112 §6.3)",
        )
    lengths = {
        part.strip()
        for name, value in response.headers.raw
        if name.lower() == b"content-length"
        for part in value.split(b",")
    }
    if len(lengths) > 1:
        raise ProbeFailed(Outcome.ERROR_PROTOCOL, "the response has conflicting Content-Length values (RFC 9112 §6.3)")


def _location(response: httpx.Response) -> str | None:
    """The redirect target, or None when there is none (a 3xx without Location is final, §2 step 11)."""
    values = {value.strip() for name, value in response.headers.raw if name.lower() == b"location"}
    values.discard(b"")
    if not values:
        return None
    if len(values) > 1:
        raise ProbeFailed(Outcome.ERROR_PROTOCOL, "the response has more than one different Location header")
    return _text(values.pop())


def _redirect_target(current: httpx.URL, location: str) -> str:
    """The absolute URL a Location names, for the gate to judge as it judges a pasted URL (D4).

    An absolute Location goes to the gate as written, so its raw checks (backslash, userinfo, port
    spelling) apply. A relative one gets the gate's character checks first, then is joined (RFC 3986 §5).
    """
    if _SCHEME.match(location):
        return location
    for char in location:
        if char.isspace() or char == "\\" or unicodedata.category(char) in ("Cc", "Cf"):
            raise ProbeRefused(
                Outcome.REFUSE_SYNTAX, f"the redirect target contains a forbidden character (U+{ord(char):04X})"
            )
    try:
        return str(current.join(location))
    except Exception as exc:  # httpx.InvalidURL, idna errors: all mean the target does not parse
        raise ProbeRefused(Outcome.REFUSE_SYNTAX, f"the redirect target does not parse: {_clip(str(exc), 80)}") from exc


def select_headers(raw: list[tuple[bytes, bytes]]) -> tuple[tuple[str, str], ...]:
    """At most MAX_HEADERS headers in received order, telling ones kept first, each capped, cuts said.

    When headers are left out, a last pseudo-header named "…" says how many. Values stay untrusted text:
    renderers escape them (§2 step 13).
    """
    chosen: list[int] | range = range(len(raw))
    if len(raw) > MAX_HEADERS:
        telling = [i for i, (name, _) in enumerate(raw) if name.lower().decode("latin-1") in _TELLING]
        kept = set(telling)
        rest = [i for i in range(len(raw)) if i not in kept]
        chosen = sorted((telling + rest)[:MAX_HEADERS]) if len(telling) < MAX_HEADERS else telling[:MAX_HEADERS]
    selected = [
        (_capped(_text(raw[i][0]), MAX_HEADER_NAME), _capped(_text(raw[i][1]), MAX_HEADER_VALUE)) for i in chosen
    ]
    left_out = len(raw) - len(selected)
    if left_out:
        selected.append(("…", f"{left_out} more headers not shown ({len(raw)} in all)"))
    return tuple(selected)


def _result(url_text: str, progress: _Progress, started: float, where: str | None) -> ProbeResult:
    """Freeze the scratch state into the one result. Each phase's time, and the TLS details, come from the
    last connection that got that far (result.Timings), so a refusal at hop 2 still shows hop 1's handshake."""
    connections: list[Connection] = [] if progress.backend is None else progress.backend.connections

    def last(field: str) -> Any:
        return next((getattr(c, field) for c in reversed(connections) if getattr(c, field) is not None), None)

    timings = Timings(
        dns_ms=last("dns_ms"),
        connect_ms=last("connect_ms"),
        tls_ms=last("tls_ms"),
        ttfb_ms=progress.ttfb_ms,
        total_ms=(time.perf_counter() - started) * 1000,
    )
    return ProbeResult(
        url=url_text,
        outcome=progress.outcome,
        reason=progress.reason or progress.outcome.value,
        hops=tuple(progress.hops),
        timings=timings,
        tls=last("tls"),
        allow_entry=last("entry"),
        body_bytes=progress.body_bytes,
        body_sample=progress.sample,
        where=where,
    )


def _outcome(value: str) -> Outcome:
    """A ProbeError's outcome as the enum; an unknown spelling is a bug, reported as ERROR:protocol, not raised."""
    try:
        return Outcome(value)
    except ValueError:
        logger.error("unknown probe outcome %r", value)
        return Outcome.ERROR_PROTOCOL


def _text(raw: bytes) -> str:
    """Header bytes as text: UTF-8 when valid, else Latin-1 (RFC 9110 §5.5: octets, historically ISO-8859-1)."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _capped(text: str, limit: int) -> str:
    """Text cut to limit characters, saying so and how long it was."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… [cut, {len(text)} characters in all]"


def _clip(text: str, limit: int) -> str:
    visible = "".join(char if char.isprintable() else "?" for char in text)
    return visible if len(visible) <= limit else visible[: limit - 1] + "…"
