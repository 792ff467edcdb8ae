"""What a probe found: one outcome, the hops, timings, TLS details and hints; the one JSON shape.

Server text in here is untrusted. Renderers escape it. The JSON form is the `httpcode probe --json`
contract: keys are added, never renamed.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from bot.probe.outcome import Outcome


class Hop(NamedTuple):
    """One request of the chain: the URL asked, what came back, and from which address."""

    url: str
    status: int | None
    reason: str
    headers: tuple[tuple[str, str], ...]  # selected and capped, original case kept
    address: str | None  # the checked address the socket connected to
    elapsed_ms: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "status": self.status,
            "reason": self.reason,
            "headers": [[name, value] for name, value in self.headers],
            "address": self.address,
            "elapsed_ms": round(self.elapsed_ms, 1),
        }


class Timings(NamedTuple):
    """Milliseconds per phase of the last hop that got that far; None when a phase never ran."""

    dns_ms: float | None = None
    connect_ms: float | None = None
    tls_ms: float | None = None
    ttfb_ms: float | None = None
    total_ms: float | None = None

    def to_dict(self) -> dict[str, float | None]:
        return {k: (None if v is None else round(v, 1)) for k, v in self._asdict().items()}


class TlsInfo(NamedTuple):
    version: str | None = None
    cipher: str | None = None
    issuer: str | None = None
    subject: str | None = None
    san: tuple[str, ...] = ()
    not_after: str | None = None  # ISO 8601 date
    days_left: int | None = None
    hostname_matches: bool | None = None
    problem: str | None = None  # on a TLS failure, the verifier's reason in plain words

    def to_dict(self) -> dict[str, Any]:
        data = self._asdict()
        data["san"] = list(self.san)
        return data


class Hint(NamedTuple):
    """One thing the response says about itself: which layer answered, Retry-After, a body marker..."""

    kind: str  # layer | retry-after | auth | location | hsts | cache | body | where
    text: str

    def to_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "text": self.text}


class ProbeResult(NamedTuple):
    url: str
    outcome: Outcome
    reason: str
    hops: tuple[Hop, ...] = ()
    timings: Timings = Timings()
    tls: TlsInfo | None = None
    hints: tuple[Hint, ...] = ()
    allow_entry: str | None = None
    body_bytes: int = 0
    body_sample: bytes = b""  # the first few KiB of the final body, raw, for hint extraction only
    where: str | None = None  # operator label of where the probe ran (e.g. a region)

    @property
    def final(self) -> Hop | None:
        return self.hops[-1] if self.hops else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "outcome": self.outcome.value,
            "reason": self.reason,
            "hops": [hop.to_dict() for hop in self.hops],
            "timings": self.timings.to_dict(),
            "tls": None if self.tls is None else self.tls.to_dict(),
            "hints": [hint.to_dict() for hint in self.hints],
            "allow_entry": self.allow_entry,
            "body_bytes": self.body_bytes,
            "where": self.where,
        }
