"""Loopback fixtures for the probe's end-to-end tests (probe.md §6): nothing here leaves 127.0.0.1.

- `ScriptedServer`: a raw asyncio TCP server on 127.0.0.1, port 0, in its own thread and event loop,
  whose behaviour per connection is a script (a coroutine given a `Peer`); optionally TLS with trustme
  certificates, recording the SNI it was offered.
- `FakeResolver`: the injectable `async resolve(host) -> list[str]`; maps `.test` names (RFC 6761), can
  hang, return nothing, raise, count calls, or rebind (successive answers). Unknown names are NXDOMAIN.
- `ConnectSpy`: patches `socket.socket.connect` and `connect_ex` (asyncio's `sock_connect` and
  `create_connection`, and through them anyio and httpcore, all end there), records every
  (address, port) and refuses anything the test did not declare. I-1 is asserted from its record.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import socket
import ssl
import struct
import threading
import zlib
from collections.abc import Awaitable, Callable, Iterable, Iterator
from functools import lru_cache
from typing import Any, NamedTuple

import pytest

LOOPBACK = "127.0.0.1"
TOTAL = 2.0  # the test budget (§6): total seconds, raw body bytes, redirects
MAX_BYTES = 64 * 1024
MAX_HOPS = 5
SLACK = 1.0  # I-3: elapsed <= total + 1 s


class Request(NamedTuple):
    """A request head as the fixture received it."""

    method: str
    target: str
    headers: tuple[tuple[str, str], ...]
    raw: bytes

    def header(self, name: str) -> str | None:
        return next((value for key, value in self.headers if key.lower() == name.lower()), None)


class Peer:
    """One accepted connection, as a script drives it."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, server: ScriptedServer) -> None:
        self.reader = reader
        self.writer = writer
        self.server = server

    async def head(self) -> Request:
        """Read and record one request head (the probe sends no body)."""
        raw = await self.reader.readuntil(b"\r\n\r\n")
        lines = raw.decode("latin-1").split("\r\n")
        method, target, _ = lines[0].split(" ", 2)
        headers = tuple((name, value) for name, _, value in (line.partition(": ") for line in lines[1:] if line))
        request = Request(method, target, headers, raw)
        self.server.requests.append(request)
        return request

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def respond(
        self, status: int = 200, headers: Iterable[tuple[str, str]] = (), body: bytes = b"", reason: str = "OK"
    ) -> None:
        """A well-formed HTTP/1.1 response with Content-Length, then close."""
        lines = [f"HTTP/1.1 {status} {reason}", *(f"{k}: {v}" for k, v in headers), f"Content-Length: {len(body)}"]
        await self.send(("\r\n".join(lines) + "\r\n\r\n").encode("utf-8") + body)
        self.writer.close()

    async def trickle(self, data: bytes, every: float) -> None:
        for index in range(len(data)):
            await self.send(data[index : index + 1])
            await asyncio.sleep(every)

    async def stream_forever(self, chunk: bytes) -> None:
        """Write chunk after chunk until the client goes away."""
        while True:
            await self.send(chunk)

    async def hang(self) -> None:
        await asyncio.Event().wait()

    def reset(self) -> None:
        """Close with RST (SO_LINGER 0) instead of FIN."""
        sock = self.writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.writer.transport.abort()


Script = Callable[[Peer], Awaitable[None]]


async def hello(peer: Peer) -> None:
    """The well-behaved default: 200 OK, a short body."""
    await peer.head()
    await peer.respond(200, [("Content-Type", "text/plain")], b"hello")


def redirect(location: str, status: int = 302) -> Script:
    """A script answering every request with one redirect."""

    async def script(peer: Peer) -> None:
        await peer.head()
        await peer.respond(status, [("Location", location)], reason="Found")

    return script


def routes(table: dict[str, Script], default: Script | None = None) -> Script:
    """Dispatch on the request target; the routed script gets the head already read (as `peer.request`)."""

    async def script(peer: Peer) -> None:
        request = await peer.head()
        handler = table.get(request.target, default)
        if handler is None:
            await peer.respond(404, body=b"not found", reason="Not Found")
            return
        await handler(peer)

    return script


def respond(status: int = 200, headers: Iterable[tuple[str, str]] = (), body: bytes = b"") -> Script:
    """A routed handler (the head is already read) giving one well-formed response."""
    fixed = tuple(headers)

    async def script(peer: Peer) -> None:
        await peer.respond(status, fixed, body)

    return script


class ScriptedServer:
    """A loopback server in its own thread and loop; set `script` per test. Use as a context manager."""

    def __init__(self, script: Script = hello, *, ssl_context: ssl.SSLContext | None = None) -> None:
        self.script = script
        self.ssl_context = ssl_context
        self.requests: list[Request] = []
        self.accepted = 0
        self.sni: list[str | None] = []
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="probe-fixture", daemon=True)
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        if ssl_context is not None:
            ssl_context.sni_callback = self._on_sni

    def __enter__(self) -> ScriptedServer:
        self._thread.start()
        self._server = asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(5)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        self._loop.close()

    @property
    def url(self) -> str:
        scheme = "https" if self.ssl_context else "http"
        return f"{scheme}://{LOOPBACK}:{self.port}"

    async def _start(self) -> asyncio.Server:
        return await asyncio.start_server(self._serve, LOOPBACK, 0, ssl=self.ssl_context)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            await self.script(Peer(reader, writer, self))
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ssl.SSLError):
            pass  # the probe hung up, as it should against a hostile server
        except asyncio.CancelledError:
            pass  # teardown cancels scripts that hang; ending quietly keeps asyncio from logging each one
        finally:
            self._tasks.discard(task)
            writer.close()

    async def _stop(self) -> None:
        assert self._server is not None
        self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def _on_sni(self, ssl_object: ssl.SSLObject, name: str | None, context: ssl.SSLContext) -> None:
        self.sni.append(name)


class Hang:
    """A resolver answer that never comes."""


HANG = Hang()
Answer = list[str] | BaseException | Hang


class FakeResolver:
    """The injected resolver: `set(name, *answers)`; successive calls step through answers, the last repeats."""

    def __init__(self, names: dict[str, Answer] | None = None) -> None:
        self.calls: list[str] = []
        self._answers: dict[str, list[Answer]] = {}
        for name, answer in (names or {}).items():
            self.set(name, answer)

    def set(self, name: str, *answers: Answer) -> None:
        self._answers[name.lower()] = list(answers)

    async def __call__(self, host: str) -> list[str]:
        self.calls.append(host)
        queue = self._answers.get(host.lower().removesuffix("."))
        if not queue:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        answer = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(answer, Hang):
            await asyncio.Event().wait()
        if isinstance(answer, BaseException):
            raise answer
        assert isinstance(answer, list)
        return list(answer)


class ConnectSpy:
    """Records every connect attempt; refuses any destination the test did not declare."""

    def __init__(self) -> None:
        self.attempts: list[tuple[str, int]] = []
        self.declared: set[tuple[str, int]] = set()
        self._lock = threading.Lock()

    def declare(self, host: str, port: int) -> None:
        self.declared.add((host, port))

    def check(self, address: Any) -> None:
        target = (str(address[0]), int(address[1])) if isinstance(address, tuple) else (str(address), 0)
        with self._lock:
            self.attempts.append(target)
        if target not in self.declared:
            raise PermissionError(errno.EACCES, f"connect spy: {target} was not declared by the test")

    def to(self, host: str) -> list[tuple[str, int]]:
        return [attempt for attempt in self.attempts if attempt[0] == host]


@contextlib.contextmanager
def spying(monkeypatch: pytest.MonkeyPatch) -> Iterator[ConnectSpy]:
    """Patch the socket connect calls for the duration; every outgoing connect passes the spy first."""
    spy = ConnectSpy()
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def connect(sock: socket.socket, address: Any) -> None:
        spy.check(address)
        real_connect(sock, address)

    def connect_ex(sock: socket.socket, address: Any) -> int:
        try:
            spy.check(address)
        except PermissionError:
            return errno.EACCES
        return real_connect_ex(sock, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    yield spy


def closed_port() -> int:
    """A loopback port with nothing listening (bound, then released)."""
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        port: int = sock.getsockname()[1]
    return port


@lru_cache(maxsize=1)
def gzip_bomb() -> bytes:
    """About 50 KiB of gzip that inflates to 50 MiB of zeros, compressed a MiB at a time."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    mebibyte = bytes(1 << 20)
    parts = [packer.compress(mebibyte) for _ in range(50)]
    return b"".join(parts) + packer.flush()
