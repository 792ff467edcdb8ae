"""The guarded network layer (probe.md D1-D3, D7, §2 step 8): the only place the probe opens a socket.

httpx parses the URL and httpcore pools connections by origin (scheme, hostname, port); then, per new
connection, httpcore asks its network backend for a stream with `connect_tcp(host, port)`. That call is
the last moment before a socket exists and the first at which the real destination is known, so the
check lives there (D1): resolve once, classify every answer (§3), refuse the whole connection if any
answer is denied (fail closed), then dial the checked IP literals with httpcore's stock backend.
SNI, the certificate check and `Host` still come from the request's origin, the URL's hostname (D2).

Errors raised here are already the probe's vocabulary (`ProbeRefused`, `ProbeFailed`); httpcore's
exceptions are translated once, at this seam.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
import ssl
import time
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Iterable
from datetime import UTC, datetime
from typing import Any, NamedTuple, NoReturn

import anyio
import httpcore
import httpx

from bot.errors import ProbeError, ProbeFailed, ProbeRefused
from bot.probe.addresses import classify
from bot.probe.outcome import Outcome
from bot.probe.policy import Policy
from bot.probe.result import TlsInfo
from bot.probe.urlgate import numeric_ipv4

logger = logging.getLogger(__name__)

Resolver = Callable[[str], Awaitable[list[str]]]
"""`async def resolve(host) -> list[str]`: the IP addresses a name stands for, in preference order."""

MAX_ATTEMPTS = 3
"""Checked addresses dialled per connection at most (§2 step 8.4); a name with 100 answers is not a scan."""

_NO_CHECK_TIME = 0x200000  # OpenSSL X509_V_FLAG_NO_CHECK_TIME; not named by the ssl module
_SHORT_NAMES = {
    "commonName": "CN",
    "organizationName": "O",
    "organizationalUnitName": "OU",
    "countryName": "C",
    "localityName": "L",
    "stateOrProvinceName": "ST",
}


async def system_resolve(host: str) -> list[str]:
    """One `getaddrinfo` lookup through the event loop's thread pool; honours the hosts file.

    A scope ID is kept (as `%<id>`) so that the classifier can deny it (RFC 4007).
    """
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, None, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    found: list[str] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        address = str(sockaddr[0])
        if len(sockaddr) >= 4 and sockaddr[3] and "%" not in address:
            address = f"{address}%{sockaddr[3]}"
        if address not in found:
            found.append(address)
    return found


class Connection(NamedTuple):
    """What the guard did for one new connection; the pipeline reads it for the report and the audit.

    `answers` are the resolver's answers (or the literal), `address` the checked literal the socket
    connected to, `entry` the allow-list entry that let it through. Times are milliseconds.
    """

    host: str
    port: int
    answers: tuple[str, ...] = ()
    address: str | None = None
    entry: str | None = None
    dns_ms: float | None = None
    connect_ms: float | None = None
    tls_ms: float | None = None
    tls: TlsInfo | None = None


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """An httpcore network backend that dials only addresses the classifier allowed (D1, D2, D3).

    One instance serves one probe: it carries the policy, the requester (allow-list entries may be
    scoped to users) and the probe's deadline, and it records every connection in `connections`.
    """

    def __init__(
        self,
        policy: Policy,
        requester: str | None = None,
        resolver: Resolver | None = None,
        *,
        deadline: float | None = None,
        dialer: httpcore.AsyncNetworkBackend | None = None,
    ) -> None:
        self.policy = policy
        self.requester = requester
        self.resolver: Resolver = resolver or system_resolve
        self.deadline = deadline  # loop.time() at which the probe's budget ends
        self.dialer = dialer or httpcore.AnyIOBackend()
        self.connections: list[Connection] = []
        self.phase = "starting"  # what the probe was doing, for a TIMEOUT's reason

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """Resolve once, classify every answer, dial at most 3 checked literals (§2 step 8).

        Raises ProbeRefused (REFUSE:addr or :port) before any socket exists if any answer is denied,
        ProbeFailed ERROR:dns for an empty or failed lookup, ERROR:connect or TIMEOUT if no dial succeeds.
        """
        resume = self.phase
        index = len(self.connections)
        record = Connection(host, port)
        self.connections.append(record)
        literal = _literal(host)
        if literal is None:
            self.phase = f"resolving {host}"
            started = time.perf_counter()
            answers = await self._lookup(host)
            record = record._replace(answers=answers, dns_ms=_ms_since(started))
        else:
            answers = (literal,)
            record = record._replace(answers=answers)
        self.connections[index] = record
        targets = self._check(host, port, answers, named=literal is None)
        self.phase = f"connecting to {host} port {port}"
        started = time.perf_counter()
        try:
            stream, address, entry = await self._dial(targets, port, timeout, socket_options)
        finally:
            self.connections[index] = self.connections[index]._replace(connect_ms=_ms_since(started))
        self.connections[index] = self.connections[index]._replace(address=address, entry=entry)
        self.phase = resume
        return GuardedStream(stream, self, index)

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """Never used: the probe reaches only TCP destinations the classifier allowed."""
        raise ProbeRefused(Outcome.REFUSE_ADDR, "Unix sockets are never probed")

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)

    async def _lookup(self, host: str) -> tuple[str, ...]:
        """One resolver call for the whole connection; the answers are never looked up again (D2)."""
        try:
            answers = await self.resolver(host)
        except ProbeError:
            raise
        except Exception as exc:  # socket.gaierror, the test resolver's NXDOMAIN, anything: the name did not resolve
            raise ProbeFailed(Outcome.ERROR_DNS, f"{host} does not resolve ({_describe_dns(exc)})") from exc
        unique = tuple(dict.fromkeys(str(answer) for answer in answers))
        if not unique:
            raise ProbeFailed(Outcome.ERROR_DNS, f"{host} resolves to no address")
        return unique

    def _check(self, host: str, port: int, answers: tuple[str, ...], *, named: bool) -> list[tuple[str, str | None]]:
        """Classify every answer (§3); the first denial refuses the connection. Returns (literal, entry) pairs.

        Mapped IPv4 (`::ffff:a.b.c.d`) is dialled as the IPv4 address it is, the form the classifier judged.
        """
        checked: list[tuple[str, str | None]] = []
        for answer in answers:
            decision = classify(answer, port, self.policy, self.requester)
            if not decision.allowed:
                outcome = decision.outcome or Outcome.REFUSE_ADDR
                shown = f"{host} resolves to {_clip(answer, 60)}; " if named else ""
                others = f" (one of {len(answers)} answers, so none is used)" if named and len(answers) > 1 else ""
                raise ProbeRefused(outcome, f"{shown}{decision.reason}{others}")
            literal = _normalised(answer)
            if literal not in (seen for seen, _ in checked):
                checked.append((literal, decision.entry))
        return checked

    async def _dial(
        self,
        targets: list[tuple[str, str | None]],
        port: int,
        timeout: float | None,
        socket_options: Iterable[Any] | None,
    ) -> tuple[httpcore.AsyncNetworkStream, str, str | None]:
        """Connect to the checked literals in order, at most MAX_ATTEMPTS, sharing the time left."""
        failures: list[str] = []
        timed_out = 0
        tries = targets[:MAX_ATTEMPTS]
        for number, (address, entry) in enumerate(tries):
            budget = self._attempt_budget(timeout, len(tries) - number)
            try:
                stream = await self.dialer.connect_tcp(address, port, timeout=budget, socket_options=socket_options)
            except httpcore.ConnectTimeout:
                timed_out += 1
                failures.append(f"{_endpoint(address, port)}: no answer in time")
            except httpcore.ConnectError as exc:
                failures.append(f"{_endpoint(address, port)}: {_describe_os_error(exc)}")
            else:
                return stream, address, entry
        skipped = f"; {len(targets) - len(tries)} more addresses not tried" if len(targets) > len(tries) else ""
        reason = "; ".join(failures) + skipped
        if timed_out == len(tries):
            raise ProbeFailed(Outcome.TIMEOUT, f"connecting timed out: {reason}")
        raise ProbeFailed(Outcome.ERROR_CONNECT, f"could not connect: {reason}")

    def _attempt_budget(self, timeout: float | None, attempts_left: int) -> float | None:
        """The last attempt may use all the time left; earlier ones a fair share, so a black hole cannot eat it."""
        if self.deadline is None:
            return timeout
        left = max(self.deadline - asyncio.get_running_loop().time(), 0.0)
        share = left if attempts_left <= 1 else left / attempts_left
        return share if timeout is None else min(timeout, share)


class GuardedStream(httpcore.AsyncNetworkStream):
    """The stock stream, plus TLS timing, TLS details and plain-words TLS failures (§2 step 8.5)."""

    def __init__(self, stream: httpcore.AsyncNetworkStream, backend: GuardedBackend, index: int) -> None:
        self._stream = stream
        self._backend = backend
        self._index = index

    @property
    def connection(self) -> Connection:
        """The guard's record of this connection: address dialled, allow-list entry, timings, TLS."""
        return self._backend.connections[self._index]

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return await self._stream.read(max_bytes, timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        await self._stream.write(buffer, timeout)

    async def aclose(self) -> None:
        await self._stream.aclose()

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """Verified TLS, SNI and hostname check on the URL's host; a failure is ERROR:tls, never retried unverified."""
        backend = self._backend
        record = self.connection
        hostname = server_hostname or record.host
        resume = backend.phase
        backend.phase = f"in the TLS handshake with {hostname}"
        started = time.perf_counter()
        try:
            tls_stream = await self._stream.start_tls(ssl_context, server_hostname, timeout)
        except httpcore.ConnectTimeout as exc:
            self._update(tls_ms=_ms_since(started))
            raise ProbeFailed(Outcome.TIMEOUT, f"the TLS handshake with {hostname} timed out") from exc
        except httpcore.ConnectError as exc:
            self._update(tls_ms=_ms_since(started))
            await self._fail_tls(exc, hostname, ssl_context, timeout)
        self._update(tls_ms=_ms_since(started))
        ssl_object = tls_stream.get_extra_info("ssl_object")
        if isinstance(ssl_object, ssl.SSLObject | ssl.SSLSocket):
            self._update(tls=tls_info(ssl_object, backend.policy.clock()))
        backend.phase = resume
        return GuardedStream(tls_stream, backend, self._index)

    async def _fail_tls(
        self, exc: httpcore.ConnectError, hostname: str, context: ssl.SSLContext, timeout: float | None
    ) -> NoReturn:
        cause = _ssl_cause(exc)
        not_after: str | None = None
        code = getattr(cause, "verify_code", None)
        if code in (9, 10):  # X509_V_ERR_CERT_NOT_YET_VALID, X509_V_ERR_CERT_HAS_EXPIRED: name the date
            not_after, not_before = await self._validity(hostname, context, timeout)
            date = not_after if code == 10 else not_before
        else:
            date = None
        reason, mismatch = describe_tls_failure(cause, hostname, date)
        info = TlsInfo(problem=reason, hostname_matches=False if mismatch else None, not_after=not_after)
        self._update(tls=info)
        raise ProbeFailed(Outcome.ERROR_TLS, f"TLS with {hostname} failed: {reason}") from exc

    async def _validity(
        self, hostname: str, context: ssl.SSLContext, timeout: float | None
    ) -> tuple[str | None, str | None]:
        """The validity dates of a certificate that failed only on time, for the reason ("expired on ...").

        Python 3.11 shows no certificate from a failed handshake, so this makes one more handshake to
        the same checked address with the same trust and hostname check, minus the time check, reads the
        dates and closes: no request is sent and nothing else is kept. Any failure just omits the date.
        """
        address = self.connection.address
        if address is None:
            return None, None
        try:
            lenient = ssl.create_default_context()
            authorities = context.get_ca_certs(binary_form=True)
            if authorities:
                lenient.load_verify_locations(cadata=b"".join(authorities))
            lenient.verify_flags |= _NO_CHECK_TIME
            stream = await self._backend.dialer.connect_tcp(address, self.connection.port, timeout=timeout)
            try:
                tls_stream = await stream.start_tls(lenient, hostname, timeout)
                ssl_object = tls_stream.get_extra_info("ssl_object")
                cert = ssl_object.getpeercert() if ssl_object is not None else None
            finally:
                await stream.aclose()
        except (ProbeError, httpcore.ConnectError, httpcore.ConnectTimeout, ssl.SSLError, OSError, ValueError):
            return None, None
        if not cert:
            return None, None
        return _cert_date(cert.get("notAfter")), _cert_date(cert.get("notBefore"))

    def _update(self, **fields: Any) -> None:
        connections = self._backend.connections
        connections[self._index] = connections[self._index]._replace(**fields)


class GuardedTransport(httpx.AsyncBaseTransport):
    """httpx over a public `httpcore.AsyncConnectionPool` with the guarded backend (D3; encode/httpx#3749).

    HTTP/1.1 only, no retries (a retry would be a second, unplanned connection), no proxies: the pool
    is built here, so nothing is read from the environment (D7).
    """

    def __init__(self, backend: GuardedBackend, ssl_context: ssl.SSLContext) -> None:
        self.backend = backend
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context,
            max_connections=4,
            max_keepalive_connections=2,
            http1=True,
            http2=False,
            retries=0,
            network_backend=backend,
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        assert isinstance(request.stream, httpx.AsyncByteStream)  # httpx.Request builds one, empty for a GET
        core_request = httpcore.Request(
            method=request.method,
            url=httpcore.URL(scheme=url.raw_scheme, host=url.raw_host, port=url.port, target=url.raw_path),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        try:
            response = await self._pool.handle_async_request(core_request)
        except (httpcore.TimeoutException, httpcore.NetworkError, httpcore.ProtocolError) as exc:
            raise_translated(exc)
        except httpcore.UnsupportedProtocol as exc:
            raise ProbeRefused(Outcome.REFUSE_SCHEME, f"the scheme {url.scheme!r} is not http or https") from exc
        return httpx.Response(
            status_code=response.status,
            headers=response.headers,
            stream=_ResponseStream(response),
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        await self._pool.aclose()


class _ResponseStream(httpx.AsyncByteStream):
    """The body as httpcore yields it, raw; httpcore's errors become the probe's at this seam."""

    def __init__(self, response: httpcore.Response) -> None:
        self._response = response

    async def __aiter__(self) -> AsyncIterator[bytes]:
        stream = self._response.stream
        assert isinstance(stream, AsyncIterable)  # the async pool always gives an async body
        try:
            async for chunk in stream:
                yield chunk
        except (httpcore.TimeoutException, httpcore.NetworkError, httpcore.ProtocolError) as exc:
            raise_translated(exc)

    async def aclose(self) -> None:
        await self._response.aclose()


def raise_translated(exc: Exception) -> NoReturn:
    """Map an httpcore exception to the probe's outcome (§5), chained, with a plain reason."""
    if isinstance(exc, httpcore.TimeoutException):
        raise ProbeFailed(Outcome.TIMEOUT, _timeout_reason(exc)) from exc
    if isinstance(exc, httpcore.ConnectError) and _ssl_cause(exc) is not None:
        raise ProbeFailed(Outcome.ERROR_TLS, describe_tls_failure(_ssl_cause(exc), "the server", None)[0]) from exc
    if isinstance(exc, httpcore.NetworkError):
        during = {httpcore.ReadError: " while reading the response", httpcore.WriteError: " while sending the request"}
        where = during.get(type(exc), "")
        raise ProbeFailed(Outcome.ERROR_CONNECT, f"the connection broke{where} ({_describe_os_error(exc)})") from exc
    if isinstance(exc, httpcore.ProtocolError):
        detail = str(exc) or type(exc).__name__
        raise ProbeFailed(Outcome.ERROR_PROTOCOL, f"the server broke HTTP/1.1: {_clip(detail)}") from exc
    raise ProbeFailed(Outcome.ERROR_PROTOCOL, f"unexpected failure ({type(exc).__name__})") from exc


def describe_tls_failure(cause: BaseException | None, hostname: str, date: str | None) -> tuple[str, bool]:
    """The verifier's reason in plain words, and whether it is a hostname mismatch.

    Codes are OpenSSL's X509_V_ERR_* values, as `ssl.SSLCertVerificationError.verify_code` carries them.
    """
    if isinstance(cause, ssl.SSLCertVerificationError):
        code = cause.verify_code
        if code == 10:
            return (f"the certificate expired on {date}" if date else "the certificate has expired"), False
        if code == 9:
            return (f"the certificate is not valid until {date}" if date else "the certificate is not yet valid"), False
        if code in (62, 64):
            return f"the certificate is not valid for {hostname} (hostname mismatch)", True
        if code == 18:
            return "the certificate is self-signed, and not trusted here", False
        if code == 19:
            return "the chain ends in a self-signed root certificate that is not trusted here", False
        if code in (2, 20, 21):
            return (
                "the certificate's issuer is unknown here: an untrusted CA, or an incomplete chain "
                "(the server did not send its intermediate certificate)"
            ), False
        if code == 23:
            return "the certificate has been revoked", False
        if code == 26:
            return "the certificate is not meant for a TLS server", False
        return f"the certificate failed verification ({_clip(str(cause.verify_message))})", False
    if isinstance(cause, ssl.SSLError):
        name = cause.reason or ""
        if name == "WRONG_VERSION_NUMBER":
            return "the server did not answer in TLS (is it plain HTTP on this port?)", False
        if name in ("UNSUPPORTED_PROTOCOL", "TLSV1_ALERT_PROTOCOL_VERSION", "NO_PROTOCOLS_AVAILABLE"):
            return "the server and the probe share no TLS version", False
        if name in ("SSLV3_ALERT_HANDSHAKE_FAILURE", "NO_SHARED_CIPHER"):
            return "the server refused the handshake (no cipher or parameters in common)", False
        if isinstance(cause, ssl.SSLEOFError) or "EOF" in name:
            return "the server closed the connection during the TLS handshake", False
        return f"the TLS handshake failed ({_clip(name or str(cause))})", False
    return "the server closed the connection during the TLS handshake", False


def tls_info(ssl_object: ssl.SSLObject | ssl.SSLSocket, now: datetime) -> TlsInfo:
    """TLS details of a verified connection: version, cipher, issuer, subject, SAN, notAfter and days left."""
    cert = ssl_object.getpeercert() or {}
    cipher = ssl_object.cipher()
    not_after_text = cert.get("notAfter")
    not_after = _cert_date(not_after_text)
    days_left = None
    if isinstance(not_after_text, str):
        try:
            expiry = datetime.fromtimestamp(ssl.cert_time_to_seconds(not_after_text), UTC)
            days_left = (expiry - now).days
        except (ValueError, TypeError):
            days_left = None
    names: Any = cert.get("subjectAltName", ())
    san = tuple(str(entry[1]) for entry in names if isinstance(entry, tuple) and len(entry) == 2)
    return TlsInfo(
        version=ssl_object.version(),
        cipher=cipher[0] if cipher else None,
        issuer=_distinguished_name(cert.get("issuer")),
        subject=_distinguished_name(cert.get("subject")),
        san=san,
        not_after=not_after,
        days_left=days_left,
        hostname_matches=True,  # verification, hostname included, passed or there would be no connection
    )


def _literal(host: str) -> str | None:
    """The IP literal a host already is (IPv6, dotted quad or an inet_aton form), else None for a name."""
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    return numeric_ipv4(host)


def _normalised(answer: str) -> str:
    """The literal to dial: IPv4-mapped IPv6 becomes the IPv4 address (RFC 4291 §2.5.5.2), as classified."""
    ip = ipaddress.ip_address(answer)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    return str(ip)


def _endpoint(address: str, port: int) -> str:
    return f"[{address}]:{port}" if ":" in address else f"{address}:{port}"


def _ssl_cause(exc: BaseException) -> BaseException | None:
    """The ssl error (or TLS-layer EOF) httpcore chained under its ConnectError, if any."""
    seen = exc.__cause__ or exc.__context__
    while seen is not None:
        if isinstance(seen, ssl.SSLError | anyio.BrokenResourceError | anyio.EndOfStream):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def _describe_os_error(exc: BaseException) -> str:
    """Why a connection failed, in words ("connection refused"), from the innermost error httpcore chained."""
    chain: list[BaseException] = []
    seen: BaseException | None = exc
    while seen is not None and len(chain) < 8:
        chain.append(seen)
        seen = seen.__cause__ or seen.__context__
    for error in reversed(chain):  # innermost first: the OS's own words beat the wrappers'
        if isinstance(error, BaseExceptionGroup) and error.exceptions:
            error = error.exceptions[0]
        if isinstance(error, ConnectionRefusedError):
            return "connection refused"
        if isinstance(error, ConnectionResetError):
            return "connection reset by the server"
        if isinstance(error, TimeoutError):
            return "no answer in time"
        if isinstance(error, OSError) and error.strerror:
            return error.strerror.lower()
        if isinstance(error, anyio.EndOfStream | anyio.BrokenResourceError | anyio.ClosedResourceError):
            return "connection closed by the server"
    return _clip(str(exc) or type(exc).__name__)


def _describe_dns(exc: BaseException) -> str:
    if isinstance(exc, socket.gaierror) and exc.strerror:
        return exc.strerror
    return _clip(str(exc) or type(exc).__name__)


def _timeout_reason(exc: httpcore.TimeoutException) -> str:
    if isinstance(exc, httpcore.ConnectTimeout):
        return "connecting timed out"
    if isinstance(exc, httpcore.WriteTimeout):
        return "sending the request timed out"
    if isinstance(exc, httpcore.PoolTimeout):
        return "no connection became free in time"
    return "the server stopped sending before the response was complete"


def _cert_date(value: object) -> str | None:
    """An OpenSSL certificate time (`Jun  1 12:00:00 2025 GMT`) as an ISO 8601 date."""
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromtimestamp(ssl.cert_time_to_seconds(value), UTC).date().isoformat()
    except (ValueError, TypeError):
        return None


def _distinguished_name(rdns: object) -> str | None:
    """`getpeercert()`'s nested RDN tuples as `CN=..., O=...`, most specific first."""
    if not isinstance(rdns, tuple):
        return None
    parts = [
        f"{_SHORT_NAMES.get(str(key), str(key))}={value}"
        for rdn in rdns
        for key, value in (rdn if isinstance(rdn, tuple) else ())
    ]
    return ", ".join(reversed(parts)) or None


def _ms_since(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def _clip(text: str, limit: int = 120) -> str:
    visible = "".join(char if char.isprintable() else "?" for char in text)
    return visible if len(visible) <= limit else visible[: limit - 1] + "…"
