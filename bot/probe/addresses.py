"""The address classifier (probe.md §3): one resolved address, port and requester in, one Decision out.

`ipaddress` only parses here. Every verdict comes from the explicit tables below, taken from the IANA special-purpose
registries, never from `is_global` or `is_private`, whose answers change between CPython releases (D10). The steps run
in §3's order, and the first that decides wins:

1. normalise (a scope ID denies; IPv4-mapped becomes IPv4)
2. extract embedded IPv4 (table C)
3. hard deny, table A, on the address or anything embedded: nothing overrides it
4. the operator deny list, on the address or anything embedded
5. an active allow-list entry covering address, port and requester: allowed, naming the entry
6. table B for IPv4 and embedded IPv4, the IPv6 rule for IPv6 (NAT64 mode may open 64:ff9b::/96)
7. the port must be a configured one
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from ipaddress import IPv4Address, IPv6Address, ip_address, ip_network
from typing import NamedTuple

from bot.probe.outcome import Outcome
from bot.probe.policy import AllowEntry, IPAddress, IPNetwork, Policy, in_network

_MASK32 = 0xFFFF_FFFF


class Rule(NamedTuple):
    """One table row; a refusal reads "<address> is <what> (<note>)"."""

    network: IPNetwork
    what: str
    note: str


def _table(*rows: tuple[str, str, str]) -> tuple[Rule, ...]:
    return tuple(Rule(ip_network(cidr), what, note) for cidr, what, note in rows)


# Table A: stricter than stripe/smokescreen, where an allow range can reopen metadata. No entry, mode or wrapper
# reaches these.
HARD_DENY = _table(
    ("169.254.0.0/16", "cloud metadata", "link-local 169.254.0.0/16"),
    ("fd00:ec2::254/128", "cloud metadata", "AWS instance metadata over IPv6"),
    ("fd00:ec2::23/128", "cloud metadata", "EKS Pod Identity agent over IPv6"),
    ("fd20:ce::254/128", "cloud metadata", "Google Cloud metadata over IPv6"),
    ("100.100.100.200/32", "cloud metadata", "Alibaba Cloud"),
    ("192.0.0.192/32", "cloud metadata", "Oracle Cloud"),
    ("168.63.129.16/32", "a cloud platform address", "Azure WireServer"),
)

# Table B: the IANA IPv4 Special-Purpose Address Registry plus multicast. Everything else in IPv4 is public.
IPV4_DENY = _table(
    ("0.0.0.0/8", "in the 'this network' block, which reaches the local host", "0.0.0.0/8, RFC 1122"),
    ("10.0.0.0/8", "a private address", "RFC 1918"),
    ("172.16.0.0/12", "a private address", "RFC 1918"),
    ("192.168.0.0/16", "a private address", "RFC 1918"),
    ("100.64.0.0/10", "shared address space (carrier-grade NAT)", "100.64.0.0/10, RFC 6598"),
    ("127.0.0.0/8", "loopback", "127.0.0.0/8, RFC 1122"),
    ("169.254.0.0/16", "link-local", "169.254.0.0/16, RFC 3927"),
    ("192.0.0.0/24", "reserved for IETF protocol assignments", "192.0.0.0/24, RFC 6890"),
    ("192.0.2.0/24", "a documentation address", "192.0.2.0/24, RFC 5737"),
    ("198.51.100.0/24", "a documentation address", "198.51.100.0/24, RFC 5737"),
    ("203.0.113.0/24", "a documentation address", "203.0.113.0/24, RFC 5737"),
    ("192.31.196.0/24", "an AS112 anycast address", "192.31.196.0/24, RFC 7535"),
    ("192.175.48.0/24", "an AS112 anycast address", "192.175.48.0/24, RFC 7534"),
    ("192.52.193.0/24", "an AMT relay anycast address", "192.52.193.0/24, RFC 7450"),
    ("192.88.99.0/24", "the deprecated 6to4 relay anycast", "192.88.99.0/24, RFC 7526"),
    ("198.18.0.0/15", "a benchmarking address", "198.18.0.0/15, RFC 2544"),
    ("224.0.0.0/4", "multicast", "224.0.0.0/4, RFC 5771"),
    ("240.0.0.0/4", "reserved", "240.0.0.0/4, RFC 1112"),
    ("255.255.255.255/32", "the limited broadcast address", "RFC 919"),
)

# The IPv6 rule: only 2000::/3 is allowed, minus the blocks below that lie inside it. The rows outside 2000::/3 are
# denied anyway; they are listed so that the reason can say what the address is.
GLOBAL_UNICAST = ip_network("2000::/3")
IPV6_DENY = _table(
    ("::/128", "the unspecified address", "::/128, RFC 4291"),
    ("::1/128", "loopback", "::1/128, RFC 4291"),
    ("::/96", "IPv4-compatible, a deprecated form", "::/96, RFC 4291"),
    ("::ffff:0:0/96", "IPv4-mapped", "::ffff:0:0/96, RFC 4291"),
    ("::ffff:0:0:0/96", "IPv4-translated", "::ffff:0:0:0/96, RFC 2765"),
    ("64:ff9b::/96", "NAT64", "64:ff9b::/96, RFC 6052; NAT64 mode is off"),
    ("64:ff9b:1::/48", "local-use NAT64", "64:ff9b:1::/48, RFC 8215"),
    ("100::/64", "discard-only", "100::/64, RFC 6666"),
    ("5f00::/16", "an SRv6 segment identifier", "5f00::/16, RFC 9602"),
    ("fc00::/7", "a unique local address", "fc00::/7, RFC 4193"),
    ("fe80::/10", "link-local", "fe80::/10, RFC 4291"),
    ("fec0::/10", "site-local, a deprecated form", "fec0::/10, RFC 3879"),
    ("ff00::/8", "multicast", "ff00::/8, RFC 4291"),
    ("2001::/23", "reserved for IETF protocol assignments", "2001::/23, RFC 2928"),
    ("2001::/32", "Teredo", "2001::/32, RFC 4380"),
    ("2001:db8::/32", "a documentation address", "2001:db8::/32, RFC 3849"),
    ("3fff::/20", "a documentation address", "3fff::/20, RFC 9637"),
    ("2002::/16", "6to4, a deprecated form", "2002::/16, RFC 3056"),
    ("2620:4f:8000::/48", "an AS112 anycast address", "2620:4f:8000::/48, RFC 7534"),
)

NAT64_PREFIX = ip_network("64:ff9b::/96")
_MAPPED = ip_network("::ffff:0:0/96")


class Embedded(NamedTuple):
    """An IPv4 address carried inside an IPv6 one, with the form's name for the reason."""

    ipv4: IPv4Address
    form: str


# Table C. Each row: the wrapping prefix, the form's name, and how to pull the 32 IPv4 bits out of the 128.
_EMBEDDINGS: tuple[tuple[IPNetwork, str, Callable[[int], int]], ...] = (
    (ip_network("::/96"), "IPv4-compatible", lambda v: v & _MASK32),
    (ip_network("::ffff:0:0:0/96"), "IPv4-translated", lambda v: v & _MASK32),
    (NAT64_PREFIX, "NAT64", lambda v: v & _MASK32),
    # RFC 6052 §2.2 layout for a /48 prefix: bits 48-63, then (after the zero u octet) bits 72-87.
    (ip_network("64:ff9b:1::/48"), "local-use NAT64", lambda v: ((v >> 64) & 0xFFFF) << 16 | (v >> 40) & 0xFFFF),
    (ip_network("2002::/16"), "6to4", lambda v: (v >> 80) & _MASK32),  # RFC 3056 §2: bits 16-47
    (ip_network("2001::/32"), "Teredo server", lambda v: (v >> 64) & _MASK32),  # RFC 4380 §4: bits 32-63
    (ip_network("2001::/32"), "Teredo client", lambda v: ~v & _MASK32),  # the last 32 bits, inverted
)


class Decision(NamedTuple):
    """The classifier's verdict: allowed with outcome None, or refused with REFUSE:addr or REFUSE:port.

    reason is plain English naming the address and the rule; entry names the allow-list entry that allowed it."""

    allowed: bool
    outcome: Outcome | None
    reason: str
    entry: str | None


def embedded_ipv4(ip: IPv6Address) -> tuple[Embedded, ...]:
    """Every IPv4 address table C finds in ip (Teredo gives two); `::` and `::1` are not IPv4-compatible."""
    value = int(ip)
    found = []
    for prefix, form, extract in _EMBEDDINGS:
        if in_network(prefix, ip) and not (form == "IPv4-compatible" and value <= 1):
            found.append(Embedded(IPv4Address(extract(value)), form))
    return tuple(found)


def classify(
    address: str, port: int, policy: Policy, requester: str | None = None, *, now: datetime | None = None
) -> Decision:
    """Decide whether the probe may connect to address:port for requester, following §3 step by step.

    Fails closed: an unparsable address or a scope ID is refused. now defaults to policy.clock() and only matters
    for the allow-list's expiry."""
    parsed = _normalise(address)
    if isinstance(parsed, Decision):
        return parsed
    ip = parsed
    inside = embedded_ipv4(ip) if isinstance(ip, IPv6Address) else ()
    entries = policy.entries_for(requester, policy.clock() if now is None else now)

    hard = _first_match(HARD_DENY, ip, inside)
    if hard is not None:
        return _refuse(hard + _cannot_override(entries, ip, port, policy, "the hard deny"))
    for network in policy.deny:
        listed = _first_match((Rule(network, "on the operator deny list", "HTTPCODE_PROBE_DENY"),), ip, inside)
        if listed is not None:
            return _refuse(listed + _cannot_override(entries, ip, port, policy, "the deny list"))

    for entry in entries:
        if entry.matches(ip, port, policy.ports):
            return Decision(True, None, f"{ip} is allowed by the allow-list entry {entry.text}", entry.text)

    special = _special(ip, inside, policy.nat64)
    if special is not None:
        return _refuse(special + _port_hint(entries, ip, port))
    if port not in policy.ports:
        ports = ", ".join(str(p) for p in sorted(policy.ports))
        return Decision(False, Outcome.REFUSE_PORT, f"port {port} is not permitted (allowed: {ports})", None)
    if isinstance(ip, IPv4Address):
        return Decision(True, None, f"{ip} is a public address", None)
    if policy.nat64 and in_network(NAT64_PREFIX, ip):
        return Decision(True, None, f"{ip} embeds {inside[0].ipv4} (NAT64), a public address; NAT64 mode is on", None)
    return Decision(True, None, f"{ip} is a global unicast address (2000::/3)", None)


def _normalise(address: str) -> IPAddress | Decision:
    """§3 step 1. Scope IDs name a local interface (RFC 4007), so they never leave this host's links: deny."""
    shown = repr(address) if len(address) <= 64 else repr(address[:64]) + "..."
    try:
        ip = ip_address(address)
    except ValueError:
        return _refuse(f"{shown} is not an IP address")
    if isinstance(ip, IPv6Address):
        if ip.scope_id is not None:
            return _refuse(f"{shown} carries a scope ID, which names a local network interface (RFC 4007)")
        if in_network(_MAPPED, ip):
            return IPv4Address(int(ip) & _MASK32)  # RFC 4291 §2.5.5.2: it is that IPv4 host, so treat it as one
    return ip


def _first_match(table: tuple[Rule, ...], ip: IPAddress, inside: tuple[Embedded, ...]) -> str | None:
    """The reason the address, or failing that an embedded IPv4, falls in table; None if neither does."""
    rule = _most_specific(table, ip)
    if rule is not None:
        return f"{ip} is {rule.what} ({rule.note})"
    for embedded in inside:
        rule = _most_specific(table, embedded.ipv4)
        if rule is not None:
            return f"{ip} embeds {embedded.ipv4} ({embedded.form}), which is {rule.what} ({rule.note})"
    return None


def _most_specific(table: tuple[Rule, ...], ip: IPAddress) -> Rule | None:
    """Longest-prefix match, so the reason names the narrowest block (Teredo rather than IETF assignments)."""
    best: Rule | None = None
    for rule in table:
        if in_network(rule.network, ip) and (best is None or rule.network.prefixlen > best.network.prefixlen):
            best = rule
    return best


def _special(ip: IPAddress, inside: tuple[Embedded, ...], nat64: bool) -> str | None:
    """§3 step 6: table B on IPv4 and on every embedded IPv4, then the IPv6 rule."""
    for embedded in inside:
        rule = _most_specific(IPV4_DENY, embedded.ipv4)
        if rule is not None:
            return f"{ip} embeds {embedded.ipv4} ({embedded.form}), which is {rule.what} ({rule.note})"
    if isinstance(ip, IPv4Address):
        rule = _most_specific(IPV4_DENY, ip)
        return None if rule is None else f"{ip} is {rule.what} ({rule.note})"
    if nat64 and in_network(NAT64_PREFIX, ip):
        return None  # its last 32 bits already passed tables A and B and the deny list
    rule = _most_specific(IPV6_DENY, ip)
    if rule is not None:
        return f"{ip} is {rule.what} ({rule.note})"
    if not in_network(GLOBAL_UNICAST, ip):
        return f"{ip} is not a global unicast address (outside 2000::/3, RFC 4291)"
    return None


def _cannot_override(entries: tuple[AllowEntry, ...], ip: IPAddress, port: int, policy: Policy, what: str) -> str:
    """Tell the operator why their entry did not help: the hard deny and the deny list beat the allow-list (§4)."""
    for entry in entries:
        if entry.matches(ip, port, policy.ports):
            return f"; the allow-list entry {entry.text} cannot override {what}"
    return ""


def _port_hint(entries: tuple[AllowEntry, ...], ip: IPAddress, port: int) -> str:
    """An entry with a port opens only that port; say so when the address matched but the port did not."""
    for entry in entries:
        if entry.port is not None and entry.port != port and in_network(entry.network, ip):
            return f"; the allow-list entry {entry.text} opens only port {entry.port}"
    return ""


def _refuse(reason: str) -> Decision:
    return Decision(False, Outcome.REFUSE_ADDR, reason, None)
