"""Probe policy (probe.md §4): allow and deny entries, ports, NAT64, expiry and users, all validated at start-up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from ipaddress import ip_address, ip_network

import pytest

from bot.errors import ConfigError
from bot.probe.addresses import classify
from bot.probe.policy import (
    AllowEntry,
    Policy,
    in_network,
    load_policy,
    parse_allow_entry,
    parse_deny_entry,
    shown,
)

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
SECRET = "xoxb-fake-not-a-token-AbCdEfGhIjKlMnOpQrStUvWx"


def clock() -> datetime:
    return NOW


def load(**values: str) -> Policy:
    return load_policy({f"HTTPCODE_PROBE_{name.upper()}": value for name, value in values.items()}, clock)


def problems(**values: str) -> tuple[str, ...]:
    with pytest.raises(ConfigError) as caught:
        load(**values)
    return caught.value.problems


# --- parse_allow_entry --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "network", "port"),
    [
        ("10.20.0.0/16", "10.20.0.0/16", None),
        ("10.20.0.0/16:8443", "10.20.0.0/16", 8443),
        ("10.20.1.5", "10.20.1.5/32", None),
        ("10.20.1.5:8080", "10.20.1.5/32", 8080),
        ("127.0.0.1:1", "127.0.0.1/32", 1),
        ("127.0.0.1:65535", "127.0.0.1/32", 65535),
        ("127.0.0.0/24:9", "127.0.0.0/24", 9),
        ("0.0.0.0/0", "0.0.0.0/0", None),
        ("169.254.0.0/16", "169.254.0.0/16", None),  # accepted; the hard deny still wins at classification
        ("fd12::/48", "fd12::/48", None),
        ("FD12::/48", "fd12::/48", None),
        ("fd12::1", "fd12::1/128", None),
        ("fd12::1:8443", "fd12::1:8443/128", None),  # unbracketed IPv6 never carries a port
        ("[fd12::/48]:8443", "fd12::/48", 8443),
        ("[fd12::1]:443", "fd12::1/128", 443),
        ("[fd12::/48]", "fd12::/48", None),
        ("::/0", "::/0", None),
        ("64:ff9b::/96", "64:ff9b::/96", None),
    ],
)
def test_allow_entry_parses(text: str, network: str, port: int | None) -> None:
    assert parse_allow_entry(text) == AllowEntry(ip_network(network), port, text)


def test_allow_entry_keeps_the_operators_spelling_without_padding() -> None:
    assert parse_allow_entry("  10.20.0.0/16:8443 ").text == "10.20.0.0/16:8443"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("*.corp.test", "glob"),  # row 111
        ("10.20.*", "glob"),
        ("10.20.0.0/16:*", "bad port"),
        ("api.corp.test", "hostname"),
        ("localhost", "hostname"),
        ("metadata.google.internal:80", "hostname"),
        ("http://10.0.0.1/", "hostname"),
        ("bad.cafe", "not an IP address"),  # every letter a hex digit
        ("1.2.3", "not an IP address"),
        ("010.0.0.1", "not an IP address"),
        ("10.0.0.1 /32", "not an IP address"),
        ("10.20.0.0/16:0", "bad port"),
        ("10.20.0.0/16:65536", "bad port"),
        ("10.20.0.0/16:-1", "bad port"),
        ("10.20.0.0/16:08", "bad port"),
        ("10.20.0.0/16:+80", "bad port"),
        ("10.20.0.0/16:", "bad port"),
        ("10.20.0.0/16:http", "bad port"),
        ("10.20.0.0/16:٨٠", "bad port"),  # Arabic-Indic digits are not decimal ports
        ("[fd12::/48]:0", "bad port"),
        ("[fd12::/48]:", "bad port"),
        ("10.20.1.0/16", "host bits set; the network is 10.20.0.0/16"),
        ("fd12::1/48", "host bits set; the network is fd12::/48"),
        ("10.0.0.0/33", "longer than /32"),
        ("fd12::/129", "longer than /128"),
        ("10.0.0.0/255.0.0.0", "bad prefix length"),
        ("10.0.0.0/0.255.255.255", "bad prefix length"),
        ("10.0.0.0/016", "bad prefix length"),
        ("10.0.0.0/", "bad prefix length"),
        ("fd12::/48:8443", "must be bracketed"),
        ("[10.0.0.0/8]:80", "IPv6 only"),
        ("[fd12::/48", "not [IPv6-CIDR]"),
        ("[fd12::/48]8443", "not [IPv6-CIDR]"),
        ("[[fd12::]]:80", "not [IPv6-CIDR]"),
        ("fe80::1%eth0", "scope ID"),
        ("fe80::%eth0/64", "scope ID"),
        ("::ffff:10.0.0.0/104", "IPv4-mapped"),
        ("::ffff:127.0.0.1", "IPv4-mapped"),
        ("", "empty"),
        ("   ", "empty"),
    ],
)
def test_allow_entry_rejected(text: str, fragment: str) -> None:
    with pytest.raises(ValueError, match=r".") as caught:
        parse_allow_entry(text)
    assert fragment in str(caught.value)


@pytest.mark.parametrize(
    ("text", "network"),
    [("34.120.0.10", "34.120.0.10/32"), ("34.120.0.0/16", "34.120.0.0/16"), ("2600:1f18::/32", "2600:1f18::/32")],
)
def test_deny_entry_parses(text: str, network: str) -> None:
    assert parse_deny_entry(text) == ip_network(network)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("34.120.0.10:443", "carries a port"),
        ("[2600:1f18::]:443", "carries a port"),
        ("*.corp.test", "glob"),
        ("egress.corp.test", "hostname"),
        ("34.120.0.10/16", "host bits set"),
        ("", "empty"),
    ],
)
def test_deny_entry_rejected(text: str, fragment: str) -> None:
    with pytest.raises(ValueError, match=r".") as caught:
        parse_deny_entry(text)
    assert fragment in str(caught.value)


# --- matching helpers ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("network", "address", "inside"),
    [
        ("10.20.0.0/16", "10.20.0.0", True),
        ("10.20.0.0/16", "10.20.255.255", True),
        ("10.20.0.0/16", "10.19.255.255", False),
        ("10.20.0.0/16", "10.21.0.0", False),
        ("0.0.0.0/0", "255.255.255.255", True),
        ("0.0.0.0/0", "::", False),  # versions never mix
        ("::/0", "0.0.0.0", False),
        ("::/0", "ffff::1", True),
        ("fd12::1/128", "fd12::1", True),
        ("fd12::1/128", "fd12::2", False),
    ],
)
def test_in_network(network: str, address: str, inside: bool) -> None:
    assert in_network(ip_network(network), ip_address(address)) is inside


@pytest.mark.parametrize(
    ("text", "port", "configured", "matches"),
    [
        ("10.20.0.0/16", 443, {80, 443}, True),
        ("10.20.0.0/16", 8443, {80, 443}, False),
        ("10.20.0.0/16", 8443, {80, 443, 8443}, True),
        ("10.20.0.0/16:8443", 8443, {80, 443}, True),
        ("10.20.0.0/16:8443", 443, {80, 443}, False),
        ("10.20.0.0/16:9", 9, {80, 443}, True),
    ],
)
def test_entry_port_rule(text: str, port: int, configured: set[int], matches: bool) -> None:
    """Without a port an entry opens the configured ports; with one, only that port (§4)."""
    assert parse_allow_entry(text).matches(ip_address("10.20.1.5"), port, frozenset(configured)) is matches


# --- load_policy: defaults and values -----------------------------------------------------------------------------


def test_defaults_are_the_safe_ones() -> None:
    policy = load_policy({}, clock)
    assert policy._replace(clock=clock) == Policy(clock=clock)
    assert policy.ports == frozenset({80, 443})
    assert (policy.allow, policy.deny, policy.nat64, policy.allow_until, policy.allow_users) == (
        (),
        (),
        False,
        None,
        frozenset(),
    )
    assert policy.clock() == NOW


def test_reads_only_the_mapping(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPCODE_PROBE_ALLOW", "*.corp.test")
    monkeypatch.setenv("HTTPCODE_PROBE_PORTS", "22")
    assert load_policy({"UNRELATED": "*.corp.test"}, clock).allow == ()


def test_full_configuration() -> None:
    policy = load(
        allow=" 10.20.0.0/16, [fd12::/48]:8443 ,127.0.0.1:54321,",
        allow_until="2025-06-01T18:00Z",
        allow_users="U123, W042",
        deny="34.120.0.10,2600:1f18::/32",
        ports="8080",
        nat64="on",
    )
    assert [entry.text for entry in policy.allow] == ["10.20.0.0/16", "[fd12::/48]:8443", "127.0.0.1:54321"]
    assert policy.allow_until == datetime(2025, 6, 1, 18, 0, tzinfo=UTC)
    assert policy.allow_users == frozenset({"U123", "W042"})
    assert policy.deny == (ip_network("34.120.0.10/32"), ip_network("2600:1f18::/32"))
    assert policy.ports == frozenset({80, 443, 8080})
    assert policy.nat64 is True
    assert policy.allow_active(NOW)
    assert policy.permitted_ports(NOW, "U123") == frozenset({80, 443, 8080, 8443, 54321})
    assert policy.permitted_ports(NOW, "U999") == frozenset({80, 443, 8080})


@pytest.mark.parametrize(
    ("raw", "ports"),
    [
        ("", {80, 443}),
        ("80,443", {80, 443}),
        ("443", {80, 443}),  # ports may only be added, never removed
        ("8080", {80, 443, 8080}),
        (" 8443 , ", {80, 443, 8443}),
        ("80,443,8080,8443", {80, 443, 8080, 8443}),
        ("8080,8080", {80, 443, 8080}),
    ],
)
def test_ports(raw: str, ports: set[int]) -> None:
    assert load(ports=raw).ports == frozenset(ports)


@pytest.mark.parametrize("raw", ["22", "8081", "0", "65536", "-1", "http", "80;443", "08080", "80,22,8443"])
def test_ports_rejected(raw: str) -> None:
    [problem] = problems(ports=raw)
    assert problem.startswith("HTTPCODE_PROBE_PORTS: entry ")
    assert "8080 and 8443" in problem


@pytest.mark.parametrize(
    ("raw", "on"), [("", False), ("off", False), ("OFF", False), ("0", False), ("on", True), ("On", True), ("1", True)]
)
def test_nat64_switch(raw: str, on: bool) -> None:
    assert load(nat64=raw).nat64 is on


def test_nat64_rejected() -> None:
    assert problems(nat64="maybe") == ("HTTPCODE_PROBE_NAT64 must be 'on' or 'off'",)


@pytest.mark.parametrize(
    ("raw", "until"),
    [
        ("2025-06-01T18:00:00+00:00", datetime(2025, 6, 1, 18, tzinfo=UTC)),
        ("2025-06-01T18:00Z", datetime(2025, 6, 1, 18, tzinfo=UTC)),
        ("2025-06-01T20:00+02:00", datetime(2025, 6, 1, 20, tzinfo=timezone(timedelta(hours=2)))),
        ("2025-05-01T00:00Z", datetime(2025, 5, 1, tzinfo=UTC)),  # already past: accepted, and inert
    ],
)
def test_allow_until(raw: str, until: datetime) -> None:
    policy = load(allow="10.20.0.0/16", allow_until=raw)
    assert policy.allow_until == until
    assert policy.allow_active(NOW) is (until > NOW)
    assert policy.allow_expired(NOW) is (until <= NOW)


@pytest.mark.parametrize("raw", ["2031-01-02T03:04", "2031-01-02", "tomorrow", "1717264800", SECRET])
def test_allow_until_rejected(raw: str) -> None:
    [problem] = problems(allow_until=raw)
    assert problem.startswith("HTTPCODE_PROBE_ALLOW_UNTIL must be an ISO 8601 date and time with a UTC offset")
    assert raw not in problem


def test_expired_list_is_inert_in_the_classifier() -> None:
    policy = load(allow="10.20.0.0/16", allow_until="2025-06-01T11:59:59Z")
    assert policy.allow_expired(NOW)
    assert not classify("10.20.1.5", 443, policy).allowed
    later = load(allow="10.20.0.0/16", allow_until="2025-06-01T13:00Z")
    assert classify("10.20.1.5", 443, later).allowed
    assert not classify("10.20.1.5", 443, later, now=NOW + timedelta(hours=1)).allowed


@pytest.mark.parametrize(("raw", "users"), [("U123", {"U123"}), (" U123 , W042 ,", {"U123", "W042"}), ("", set())])
def test_allow_users(raw: str, users: set[str]) -> None:
    assert load(allow_users=raw).allow_users == frozenset(users)


@pytest.mark.parametrize("raw", ["@alice", "u123", "alice", "<@U123>", "U", "C0123ABC"])
def test_allow_users_rejected(raw: str) -> None:
    [problem] = problems(allow_users=raw)
    assert problem.startswith("HTTPCODE_PROBE_ALLOW_USERS: entry 1 ")
    assert "Slack user ID" in problem


# --- start-up errors ----------------------------------------------------------------------------------------------


def test_row_111_glob_fails_start_up_naming_the_entry() -> None:
    [problem] = problems(allow="10.20.0.0/16,*.corp.test")
    assert problem.startswith("HTTPCODE_PROBE_ALLOW: entry 2 '*.corp.test' is a glob")


def test_row_110_entries_load() -> None:
    policy = load(allow="169.254.0.0/16,fd00::/8,100.64.0.0/10,192.0.0.0/24")
    assert [entry.text for entry in policy.allow] == ["169.254.0.0/16", "fd00::/8", "100.64.0.0/10", "192.0.0.0/24"]
    assert not classify("169.254.169.254", 80, policy).allowed


def test_every_bad_variable_is_reported_at_once() -> None:
    found = problems(
        allow="*.corp.test,10.0.0.1/8",
        allow_until="soon",
        allow_users="@alice",
        deny="10.0.0.0/8:80",
        ports="22",
        nat64="maybe",
    )
    assert [problem.split(" ")[0].rstrip(":") for problem in found] == [
        "HTTPCODE_PROBE_ALLOW",
        "HTTPCODE_PROBE_ALLOW",
        "HTTPCODE_PROBE_DENY",
        "HTTPCODE_PROBE_PORTS",
        "HTTPCODE_PROBE_NAT64",
        "HTTPCODE_PROBE_ALLOW_UNTIL",
        "HTTPCODE_PROBE_ALLOW_USERS",
    ]
    assert "entry 2 '10.0.0.1/8' has host bits set" in found[1]


@pytest.mark.parametrize("name", ["allow", "deny", "ports", "allow_users"])
@pytest.mark.parametrize(
    "secret",
    [
        SECRET,
        "xapp-fake-A0123-abcdef",
        "ghp_abcdefABCDEF0123456789",
        "AKIAABCDEFGHIJKLMNOP",
        "c2VjcmV0LXNlY3JldC1zZWNyZXQ=",
    ],
)
def test_secret_looking_values_are_never_echoed(name: str, secret: str) -> None:
    found = problems(**{name: f"10.0.0.0/8,{secret}" if name in ("allow", "deny") else secret})
    message = "; ".join(found)
    assert "entry" in message
    assert secret not in message
    assert secret[:8] not in message
    assert "hidden" in message


@pytest.mark.parametrize(
    ("value", "display"),
    [
        ("10.0.0.0/8", "'10.0.0.0/8'"),
        ("*.corp.test", "'*.corp.test'"),
        (SECRET, "(an entry hidden because it looks like a secret)"),
        ("10.0.0.0/8\x1b[31m", "(an entry with non-printable or non-ASCII characters)"),
        ("ⓛⓞⓒⓐⓛⓗⓞⓢⓣ", "(an entry with non-printable or non-ASCII characters)"),
        ("1.1.1.1." * 10, "(an entry over 60 characters)"),
    ],
)
def test_shown(value: str, display: str) -> None:
    assert shown(value) == display
