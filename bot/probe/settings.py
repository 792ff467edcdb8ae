"""HTTPCODE_PROBE_* -> ProbeSettings: budgets, limits, CA file and the operator policy, validated at start.

Every bad variable is reported at once, by name, in one ConfigError (probe.md §4); the address policy
itself is policy.load_policy's job.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple

from bot.errors import ConfigError
from bot.probe.policy import Policy, load_policy


class ProbeSettings(NamedTuple):
    enabled: bool
    policy: Policy
    timeout: float = 10.0  # seconds, one budget over every phase and hop
    max_bytes: int = 256 * 1024  # raw body cap
    max_hops: int = 5
    rate: int = 5  # probes per user ...
    per_seconds: float = 60.0  # ... per this many seconds
    concurrency: int = 8  # probes in flight per process
    ca_file: Path | None = None  # extra trusted CAs beside the system store; never disables verification
    where: str | None = None  # operator label of where probes run from, e.g. "eu-west-1"


def load_probe_settings(environ: Mapping[str, str], now: Callable[[], datetime] | None = None) -> ProbeSettings:
    problems: list[str] = []
    clock = now or (lambda: datetime.now(UTC))
    try:
        policy = load_policy(environ, clock)
    except ConfigError as exc:
        problems.extend(exc.problems)
        policy = load_policy({}, clock)
    switch = environ.get("HTTPCODE_PROBE", "on").strip().lower() or "on"
    if switch not in ("on", "off"):
        problems.append("HTTPCODE_PROBE must be 'on' or 'off'")
    timeout = _number(environ, "HTTPCODE_PROBE_TIMEOUT", 10.0, 0.5, 120.0, problems)
    max_bytes = int(
        _number(environ, "HTTPCODE_PROBE_MAX_BYTES", 256 * 1024, 1024, 64 * 1024 * 1024, problems, whole=True)
    )
    max_hops = int(_number(environ, "HTTPCODE_PROBE_MAX_HOPS", 5, 0, 20, problems, whole=True))
    concurrency = int(_number(environ, "HTTPCODE_PROBE_CONCURRENCY", 8, 1, 256, problems, whole=True))
    rate, per = _rate(environ.get("HTTPCODE_PROBE_RATE", "").strip(), problems)
    ca_file = None
    raw_ca = environ.get("HTTPCODE_PROBE_CA_FILE", "").strip()
    if raw_ca:
        ca_file = Path(raw_ca)
        if not ca_file.is_file():
            problems.append("HTTPCODE_PROBE_CA_FILE must name a readable PEM file of CA certificates")
    where = environ.get("HTTPCODE_PROBE_WHERE", "").strip()[:60] or None
    if problems:
        raise ConfigError(problems)
    return ProbeSettings(switch == "on", policy, timeout, max_bytes, max_hops, rate, per, concurrency, ca_file, where)


def _number(
    environ: Mapping[str, str],
    name: str,
    default: float,
    low: float,
    high: float,
    problems: list[str],
    *,
    whole: bool = False,
) -> float:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw) if whole else float(raw)
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        kind = "a whole number" if whole else "a number"
        problems.append(f"{name} must be {kind} from {low:g} to {high:g}")
        return default
    return value


def _rate(raw: str, problems: list[str]) -> tuple[int, float]:
    """`5/60` = five probes per user per sixty seconds."""
    if not raw:
        return 5, 60.0
    count, _, seconds = raw.partition("/")
    try:
        rate, per = int(count), float(seconds or "60")
    except ValueError:
        rate, per = 0, 0.0
    if not (1 <= rate <= 1000 and 1 <= per <= 86400):
        problems.append("HTTPCODE_PROBE_RATE must look like 5/60 (probes per user per seconds)")
        return 5, 60.0
    return rate, per
