"""The probe's operator policy (probe.md §4): ports, allow-list, deny list and NAT64 mode, validated at start-up.

Configuration arrives as a mapping (never os.environ); every bad variable is reported at once in one ConfigError,
naming the variable and the entry but hiding values that look like secrets. Entries match resolved addresses, never
hostnames, so hostnames and globs fail start-up rather than silently matching nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network
from typing import NamedTuple, TypeAlias, TypeVar

from bot.errors import ConfigError

IPAddress: TypeAlias = IPv4Address | IPv6Address
IPNetwork: TypeAlias = IPv4Network | IPv6Network
_T = TypeVar("_T")

BASE_PORTS = frozenset({80, 443})
OPTIONAL_PORTS = frozenset({8080, 8443})  # the only ports HTTPCODE_PROBE_PORTS may add (D8)

ALLOW = "HTTPCODE_PROBE_ALLOW"
ALLOW_UNTIL = "HTTPCODE_PROBE_ALLOW_UNTIL"
ALLOW_USERS = "HTTPCODE_PROBE_ALLOW_USERS"
DENY = "HTTPCODE_PROBE_DENY"
PORTS = "HTTPCODE_PROBE_PORTS"
NAT64 = "HTTPCODE_PROBE_NAT64"

_ENTRY_HELP = "entries are CIDR or CIDR:port, e.g. 10.20.0.0/16, 10.20.1.5:8443 or [fd12::/48]:8443"
_ADDRESS_CHARS = re.compile(r"[0-9A-Fa-f:.]+")
_PREFIX = re.compile(r"0|[1-9][0-9]{0,2}")
_PORT = re.compile(r"[1-9][0-9]{0,4}")
_BRACKETED = re.compile(r"\[([^\[\]]*)\](?::(.*))?")
_SLACK_USER = re.compile(r"[UW][A-Z0-9]{1,31}")
# Tokens pasted into the wrong variable must not reach a log line: Slack, GitHub, OpenAI-style and AWS key
# prefixes, JWTs, PEM armour, or any long unbroken run of token alphabet (no CIDR has one).
_SECRET = re.compile(r"xox[a-z]-|xapp-|gh[pousr]_|github_pat_|sk-|AKIA|ASIA|eyJ|-----BEGIN|[A-Za-z0-9+/=_]{20,}")
_MAPPED = ip_network("::ffff:0:0/96")
_SWITCH = {"on": True, "1": True, "true": True, "yes": True, "off": False, "0": False, "false": False, "no": False}


def in_network(network: IPNetwork, ip: IPAddress) -> bool:
    """Whether ip lies in network, by integer prefix comparison; an IPv4 address is never in an IPv6 network."""
    if network.version != ip.version:
        return False
    shift = network.max_prefixlen - network.prefixlen
    return int(ip) >> shift == int(network.network_address) >> shift


class AllowEntry(NamedTuple):
    """One operator allow-list entry: a network, and a port or None for the configured ports (§4)."""

    network: IPNetwork
    port: int | None
    text: str  # as the operator wrote it: replies and audit records name the entry this way

    def matches(self, ip: IPAddress, port: int, configured_ports: frozenset[int]) -> bool:
        """Whether this entry covers ip on port: with a port, only that port; without, the configured ports."""
        if self.port is None:
            if port not in configured_ports:
                return False
        elif port != self.port:
            return False
        return in_network(self.network, ip)


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Policy(NamedTuple):
    """What the classifier needs from configuration; the defaults are the safe ones (no allow-list, NAT64 off)."""

    ports: frozenset[int] = BASE_PORTS
    allow: tuple[AllowEntry, ...] = ()
    deny: tuple[IPNetwork, ...] = ()
    nat64: bool = False
    allow_until: datetime | None = None  # timezone-aware; at and after it the allow-list is inert
    allow_users: frozenset[str] = frozenset()  # empty: entries apply to every requester
    clock: Callable[[], datetime] = _utc_now  # timezone-aware now, used when the caller passes none

    def allow_active(self, now: datetime) -> bool:
        """Whether the allow-list is in force at now: non-empty and before HTTPCODE_PROBE_ALLOW_UNTIL.

        A naive now cannot be compared with the aware expiry, so it counts as expired (fail closed)."""
        if not self.allow:
            return False
        if self.allow_until is None:
            return True
        if now.tzinfo is None:
            return False
        return now < self.allow_until

    def allow_expired(self, now: datetime) -> bool:
        """Whether entries exist but the time box has run out: the caller logs a warning when this is true."""
        return bool(self.allow) and not self.allow_active(now)

    def entries_for(self, requester: str | None, now: datetime) -> tuple[AllowEntry, ...]:
        """The entries that apply to requester at now; other users get the default rules (§4)."""
        if not self.allow_active(now):
            return ()
        if self.allow_users and requester not in self.allow_users:
            return ()
        return self.allow

    def permitted_ports(self, now: datetime, requester: str | None = None) -> frozenset[int]:
        """The URL gate's port set (§2 step 6): configured ports plus ports named by applicable entries."""
        named = {entry.port for entry in self.entries_for(requester, now) if entry.port is not None}
        return self.ports | named


def parse_allow_entry(text: str) -> AllowEntry:
    """Parse `CIDR`, `CIDR:port`, `[IPv6-CIDR]:port` or a bare address (/32 or /128).

    Raises ValueError naming the entry (hidden if it looks like a secret) for hostnames, globs, bad ports,
    prefixes with host bits set, scope IDs and IPv4-mapped networks (addresses are matched after unmapping)."""
    raw = text.strip()
    try:
        if not raw:
            raise _Problem("is empty")
        if raw.startswith("["):
            bracketed = _BRACKETED.fullmatch(raw)
            if bracketed is None:
                raise _Problem(f"is not [IPv6-CIDR] or [IPv6-CIDR]:port; {_ENTRY_HELP}")
            network = _network(bracketed.group(1))
            if network.version == 4:
                raise _Problem("puts an IPv4 network in brackets; brackets are for IPv6 only")
            port_text = bracketed.group(2)
        elif raw.count(":") == 1:
            cidr, port_text = raw.split(":")
            network = _network(cidr)
        else:
            network, port_text = _network(raw), None
        port = None if port_text is None else _port(port_text)
    except _Problem as problem:
        raise ValueError(f"{shown(raw)} {problem}") from None
    return AllowEntry(network, port, raw)


def parse_deny_entry(text: str) -> IPNetwork:
    """Parse one HTTPCODE_PROBE_DENY entry: a CIDR or bare address, no port (the deny list covers every port)."""
    raw = text.strip()
    try:
        if not raw:
            raise _Problem("is empty")
        if raw.startswith("[") or raw.count(":") == 1:
            raise _Problem("carries a port; deny entries are CIDRs and cover every port")
        return _network(raw)
    except _Problem as problem:
        raise ValueError(f"{shown(raw)} {problem}") from None


def load_policy(values: Mapping[str, str], now: Callable[[], datetime]) -> Policy:
    """Read the HTTPCODE_PROBE_ALLOW, _ALLOW_UNTIL, _ALLOW_USERS, _DENY, _PORTS and _NAT64 values.

    Returns a Policy whose clock is now; raises one ConfigError listing every bad variable by name."""
    problems: list[str] = []
    allow = tuple(_entries(values, ALLOW, parse_allow_entry, problems))
    deny = tuple(_entries(values, DENY, parse_deny_entry, problems))
    ports = _ports(values.get(PORTS, ""), problems)
    nat64 = _switch(values, NAT64, problems)
    allow_until = _until(values.get(ALLOW_UNTIL, ""), problems)
    allow_users = _users(values.get(ALLOW_USERS, ""), problems)
    if problems:
        raise ConfigError(problems)
    return Policy(
        ports=ports,
        allow=allow,
        deny=deny,
        nat64=nat64,
        allow_until=allow_until,
        allow_users=allow_users,
        clock=now,
    )


def shown(text: str) -> str:
    """How an operator's value appears in an error: quoted if short and plain, otherwise described, never echoed."""
    if not text.isascii() or not text.isprintable():
        return "(an entry with non-printable or non-ASCII characters)"
    if _SECRET.search(text):
        return "(an entry hidden because it looks like a secret)"
    if len(text) > 60:
        return "(an entry over 60 characters)"
    return f"'{text}'"


class _Problem(Exception):
    """What is wrong with one entry, worded to follow the entry's name."""


def _network(cidr: str) -> IPNetwork:
    address, slash, prefix = cidr.partition("/")
    if "%" in cidr:
        raise _Problem("carries a scope ID; entries are global CIDRs")
    if "*" in cidr or "?" in cidr:
        raise _Problem(f"is a glob; entries match resolved addresses, never names, so {_ENTRY_HELP}")
    if not _ADDRESS_CHARS.fullmatch(address):
        if any(c.isalpha() for c in address):
            raise _Problem(f"is a hostname; entries match resolved addresses, never names, so {_ENTRY_HELP}")
        raise _Problem(f"is not an IP address or CIDR; {_ENTRY_HELP}")
    if slash and not _PREFIX.fullmatch(prefix):
        if ":" in prefix and ":" in address:
            raise _Problem("is IPv6 with a port, which must be bracketed, e.g. [fd12::/48]:8443")
        raise _Problem("has a bad prefix length; write it in decimal, e.g. /16")
    try:
        ip = ip_address(address)
    except ValueError:
        raise _Problem(f"is not an IP address or CIDR; {_ENTRY_HELP}") from None
    length = int(prefix) if slash else ip.max_prefixlen
    if length > ip.max_prefixlen:
        raise _Problem(f"has a prefix longer than /{ip.max_prefixlen}")
    network = ip_network((ip, length), strict=False)
    if network.network_address != ip:
        raise _Problem(f"has host bits set; the network is {network}")
    if isinstance(network, IPv6Network) and network.prefixlen >= 96 and in_network(_MAPPED, ip):
        raise _Problem("is IPv4-mapped; write the IPv4 form, since mapped addresses are matched as IPv4")
    return network


def _port(text: str) -> int:
    if not _PORT.fullmatch(text) or int(text) > 65535:
        raise _Problem("has a bad port; ports are 1 to 65535 in decimal")
    return int(text)


def _entries(values: Mapping[str, str], name: str, parse: Callable[[str], _T], problems: list[str]) -> list[_T]:
    parsed: list[_T] = []
    for number, item in enumerate(values.get(name, "").split(","), start=1):
        if not item.strip():
            continue  # "a,,b" and a trailing comma are harmless
        try:
            parsed.append(parse(item))
        except ValueError as exc:
            problems.append(f"{name}: entry {number} {exc}")
    return parsed


def _ports(raw: str, problems: list[str]) -> frozenset[int]:
    ports = set(BASE_PORTS)
    for number, item in enumerate(raw.split(","), start=1):
        item = item.strip()
        if not item:
            continue
        if not _PORT.fullmatch(item) or int(item) not in BASE_PORTS | OPTIONAL_PORTS:
            problems.append(f"{PORTS}: entry {number} {shown(item)} is not permitted; it may add only 8080 and 8443")
            continue
        ports.add(int(item))
    return frozenset(ports)


def _switch(values: Mapping[str, str], name: str, problems: list[str]) -> bool:
    raw = values.get(name, "").strip().lower()
    if not raw:
        return False
    if raw not in _SWITCH:
        problems.append(f"{name} must be 'on' or 'off'")
        return False
    return _SWITCH[raw]


def _until(raw: str, problems: list[str]) -> datetime | None:
    raw = raw.strip()
    if not raw:
        return None
    try:
        until = datetime.fromisoformat(raw)
    except ValueError:
        until = None
    if until is None or until.tzinfo is None:
        problems.append(f"{ALLOW_UNTIL} must be an ISO 8601 date and time with a UTC offset, e.g. 2025-06-01T18:00Z")
        return None
    return until


def _users(raw: str, problems: list[str]) -> frozenset[str]:
    users: set[str] = set()
    for number, item in enumerate(raw.split(","), start=1):
        item = item.strip()
        if not item:
            continue
        if not _SLACK_USER.fullmatch(item):
            problems.append(f"{ALLOW_USERS}: entry {number} {shown(item)} is not a Slack user ID such as U012AB3CD")
            continue
        users.add(item)
    return frozenset(users)
