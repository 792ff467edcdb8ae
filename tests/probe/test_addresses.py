"""The address classifier against probe.md §3, as pure tables: no sockets, no DNS.

The tables below are this test's own transcription of the design, not imports from the module, so a slip in either
shows up. Each range is probed at its first and last address and at its outside neighbours.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from ipaddress import IPv4Address, IPv6Address, ip_address, ip_network

import pytest

from bot.probe.addresses import Decision, classify, embedded_ipv4
from bot.probe.outcome import Outcome
from bot.probe.policy import Policy, parse_allow_entry

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
MASK32 = 0xFFFF_FFFF


def policy(
    allow: str = "",
    *,
    deny: str = "",
    ports: frozenset[int] = frozenset({80, 443}),
    nat64: bool = False,
    until: datetime | None = None,
    users: frozenset[str] = frozenset(),
) -> Policy:
    return Policy(
        ports=ports,
        allow=tuple(parse_allow_entry(item) for item in allow.split(",") if item),
        deny=tuple(ip_network(item) for item in deny.split(",") if item),
        nat64=nat64,
        allow_until=until,
        allow_users=users,
        clock=lambda: NOW,
    )


DEFAULT = policy()
OPEN = policy("0.0.0.0/0,::/0")  # only the hard deny (and nothing else) can refuse under this policy

# --- the design's tables, transcribed -----------------------------------------------------------------------------

TABLE_A = [  # (block, phrase the reason must carry)
    ("169.254.0.0/16", "cloud metadata"),
    ("fd00:ec2::254/128", "cloud metadata"),
    ("fd00:ec2::23/128", "cloud metadata"),
    ("fd20:ce::254/128", "cloud metadata"),
    ("100.100.100.200/32", "cloud metadata"),
    ("192.0.0.192/32", "cloud metadata"),
    ("168.63.129.16/32", "Azure WireServer"),
]
TABLE_B = [
    ("0.0.0.0/8", "RFC 1122"),
    ("10.0.0.0/8", "RFC 1918"),
    ("172.16.0.0/12", "RFC 1918"),
    ("192.168.0.0/16", "RFC 1918"),
    ("100.64.0.0/10", "RFC 6598"),
    ("127.0.0.0/8", "loopback"),
    ("169.254.0.0/16", "169.254.0.0/16"),  # also table A, which answers first
    ("192.0.0.0/24", "RFC 6890"),
    ("192.0.2.0/24", "RFC 5737"),
    ("198.51.100.0/24", "RFC 5737"),
    ("203.0.113.0/24", "RFC 5737"),
    ("192.31.196.0/24", "RFC 7535"),
    ("192.175.48.0/24", "RFC 7534"),
    ("192.52.193.0/24", "RFC 7450"),
    ("192.88.99.0/24", "RFC 7526"),
    ("198.18.0.0/15", "RFC 2544"),
    ("224.0.0.0/4", "multicast"),
    ("240.0.0.0/4", "240.0.0.0/4"),
    ("255.255.255.255/32", "broadcast"),
]
IPV6_MINUS = [  # inside 2000::/3 but denied
    ("2001::/23", None),  # its first address is also Teredo's; see test_ipv6_rule_samples
    ("2001::/32", None),  # Teredo: the reason names whichever embedded IPv4 is special
    ("2001:db8::/32", "RFC 3849"),
    ("3fff::/20", "RFC 9637"),
    ("2002::/16", None),  # 6to4: likewise
    ("2620:4f:8000::/48", "RFC 7534"),
]
IPV6_OUTSIDE = [  # named in the design as denied outright (outside 2000::/3)
    ("::/128", "unspecified"),
    ("::1/128", "loopback"),
    ("::/96", None),
    ("::ffff:0:0:0/96", None),
    ("64:ff9b::/96", None),
    ("64:ff9b:1::/48", None),
    ("100::/64", "RFC 6666"),
    ("5f00::/16", "RFC 9602"),
    ("fc00::/7", "RFC 4193"),
    ("fe80::/10", "link-local"),
    ("fec0::/10", "site-local"),
    ("ff00::/8", "multicast"),
]
PUBLIC_V4 = ["1.1.1.1", "8.8.8.8", "9.9.9.9", "93.184.215.14"]
PUBLIC_V6 = ["2606:4700:4700::1111", "2001:4860:4860::8888", "2620:fe::fe"]


def _in(cidr: str, address: str) -> bool:
    ip, net = ip_address(address), ip_network(cidr)
    return ip.version == net.version and ip in net


def edges(cidr: str) -> list[str]:
    net = ip_network(cidr)
    return sorted({str(net[0]), str(net[-1])}, key=lambda a: int(ip_address(a)))


def neighbours(cidr: str) -> list[str]:
    net = ip_network(cidr)
    cls = type(net[0])
    top = 2**net.max_prefixlen - 1
    out = []
    if int(net[0]) > 0:
        out.append(str(cls(int(net[0]) - 1)))
    if int(net[-1]) < top:
        out.append(str(cls(int(net[-1]) + 1)))
    return out


def expected_allowed(address: str) -> bool:
    """The design's rule under the default policy, from the transcribed tables (an oracle for neighbours)."""
    ip = ip_address(address)
    if isinstance(ip, IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    text = str(ip)
    if any(_in(cidr, text) for cidr, _ in TABLE_A + TABLE_B + IPV6_MINUS + IPV6_OUTSIDE):
        return False
    return isinstance(ip, IPv4Address) or _in("2000::/3", text)


def phrase_for(address: str) -> str:
    """The phrase of the narrowest table A or B block holding address; table A first (it is checked first)."""
    for table in (TABLE_A, TABLE_B):
        holding = [(ip_network(cidr).prefixlen, phrase) for cidr, phrase in table if _in(cidr, address)]
        if holding:
            return max(holding)[1]
    raise AssertionError(f"{address} is in no table")


def check(decision: Decision, allowed: bool, phrase: str | None = None, outcome: Outcome | None = None) -> None:
    assert decision.allowed is allowed, decision
    if allowed:
        assert decision.outcome is None, decision
    else:
        assert decision.outcome is (outcome or Outcome.REFUSE_ADDR), decision
    if phrase is not None:
        assert phrase in decision.reason, decision


# --- table A: hard deny -------------------------------------------------------------------------------------------

A_ROWS = [(address, phrase) for cidr, phrase in TABLE_A for address in edges(cidr)]
A_NEIGHBOURS = [address for cidr, _ in TABLE_A for address in neighbours(cidr)]


@pytest.mark.parametrize(("address", "phrase"), A_ROWS)
@pytest.mark.parametrize("pol", [DEFAULT, OPEN], ids=["default", "allow-everything"])
def test_hard_deny_edges(address: str, phrase: str, pol: Policy) -> None:
    decision = classify(address, 443, pol)
    check(decision, False, phrase)
    assert decision.reason.startswith(address)


@pytest.mark.parametrize("address", A_NEIGHBOURS)
def test_hard_deny_neighbours_are_reopened_by_an_allow_all_list(address: str) -> None:
    """The hard deny is exactly table A: one address past it, an allow-list entry works again."""
    check(classify(address, 443, OPEN), True)


@pytest.mark.parametrize("address", [a for cidr, _ in TABLE_A for a in edges(cidr)])
def test_hard_deny_names_the_entry_it_beats(address: str) -> None:
    decision = classify(address, 443, OPEN)
    assert "cannot override the hard deny" in decision.reason
    assert decision.entry is None


# --- table B: IPv4 special purpose --------------------------------------------------------------------------------

B_EDGES = sorted({(address, phrase_for(address)) for cidr, _ in TABLE_B for address in edges(cidr)})
B_NEIGHBOURS = sorted({a for cidr, _ in TABLE_B for a in neighbours(cidr)}, key=lambda a: int(ip_address(a)))


@pytest.mark.parametrize(("address", "phrase"), B_EDGES)
def test_ipv4_special_edges_denied(address: str, phrase: str) -> None:
    decision = classify(address, 80, DEFAULT)
    check(decision, False, phrase)
    assert decision.reason.startswith(address)


@pytest.mark.parametrize("address", B_NEIGHBOURS)
def test_ipv4_special_neighbours(address: str) -> None:
    """Just outside a block is public, unless it falls in the next block (223.255.255.255 vs 240.0.0.0)."""
    check(classify(address, 443, DEFAULT), expected_allowed(address))


@pytest.mark.parametrize("address", [a for cidr, _ in TABLE_B for a in edges(cidr) if not _in("169.254.0.0/16", a)])
def test_ipv4_special_reopened_by_allow_list(address: str) -> None:
    """Table B yields to an active entry (§3 step 5 before step 6); table A never does."""
    decision = classify(address, 443, OPEN)
    check(decision, not any(_in(cidr, address) for cidr, _ in TABLE_A))


# --- the IPv6 rule ------------------------------------------------------------------------------------------------

V6_EDGES = [(address, phrase) for cidr, phrase in IPV6_MINUS + IPV6_OUTSIDE for address in edges(cidr)]
V6_NEIGHBOURS = sorted(
    {a for cidr, _ in IPV6_MINUS + IPV6_OUTSIDE + [("2000::/3", None)] for a in neighbours(cidr)},
    key=lambda a: int(ip_address(a)),
)


@pytest.mark.parametrize(("address", "phrase"), V6_EDGES)
def test_ipv6_denied_edges(address: str, phrase: str | None) -> None:
    check(classify(address, 443, DEFAULT), False, phrase)


@pytest.mark.parametrize("address", V6_NEIGHBOURS)
def test_ipv6_neighbours(address: str) -> None:
    check(classify(address, 443, DEFAULT), expected_allowed(address))


@pytest.mark.parametrize(
    ("address", "allowed"),
    [
        ("2000::", True),
        ("3fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", True),
        ("1fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", False),
        ("4000::", False),
        ("1000::1", False),
        ("8000::1", False),
        ("e000::1", False),
        ("2001:100::1", False),
        ("2001:200::", True),  # just past 2001::/23
        ("2001:1ff:ffff:ffff:ffff:ffff:ffff:ffff", False),
        ("2001:4:112::1", False),  # AS112-v6 inside 2001::/23
        ("2001:20::1", False),  # ORCHIDv2 inside 2001::/23
        ("fd12:3456::1", False),
        ("fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", False),
        ("fe00::1", False),  # between fc00::/7 and fe80::/10: still outside 2000::/3
        ("ff02::1", False),
        ("::2", False),
    ],
)
def test_ipv6_rule_samples(address: str, allowed: bool) -> None:
    check(classify(address, 443, DEFAULT), allowed)


# --- table C: every special IPv4 range in every embedded form ------------------------------------------------------

TEREDO_PUBLIC = IPv4Address("1.1.1.1")


def mapped(v4: IPv4Address) -> str:
    return f"::ffff:{v4}"


def compatible(v4: IPv4Address) -> str:
    return f"::{v4}"


def translated(v4: IPv4Address) -> str:
    return f"::ffff:0:{v4}"


def nat64(v4: IPv4Address) -> str:
    return f"64:ff9b::{v4}"


def nat64_local(v4: IPv4Address) -> str:
    value = int(v4)  # RFC 6052 §2.2, /48: 16 bits, the zero u octet, 16 bits
    return str(IPv6Address(0x64_FF9B_0001 << 80 | (value >> 16) << 64 | (value & 0xFFFF) << 40))


def six_to_four(v4: IPv4Address) -> str:
    return str(IPv6Address(0x2002 << 112 | int(v4) << 80 | 1))


def teredo_server(v4: IPv4Address) -> str:
    return str(IPv6Address(0x2001_0000 << 96 | int(v4) << 64 | (~int(TEREDO_PUBLIC) & MASK32)))


def teredo_client(v4: IPv4Address) -> str:
    return str(IPv6Address(0x2001_0000 << 96 | int(TEREDO_PUBLIC) << 64 | 0x8000_1234 << 32 | (~int(v4) & MASK32)))


FORMS: dict[str, Callable[[IPv4Address], str]] = {
    "mapped": mapped,
    "IPv4-compatible": compatible,
    "IPv4-translated": translated,
    "NAT64": nat64,
    "local-use NAT64": nat64_local,
    "6to4": six_to_four,
    "Teredo server": teredo_server,
    "Teredo client": teredo_client,
}
V4_SPECIAL = [(cidr, phrase) for cidr, phrase in TABLE_A + TABLE_B if ip_network(cidr).version == 4]
C_ROWS = [
    pytest.param(form, IPv4Address(v4), phrase_for(v4), id=f"{form}-{v4}")
    for v4 in sorted({a for cidr, _ in V4_SPECIAL for a in edges(cidr)}, key=lambda a: int(ip_address(a)))
    for form in FORMS
]


@pytest.mark.parametrize(("form", "v4", "phrase"), C_ROWS)
def test_embedded_special_ipv4_denied(form: str, v4: IPv4Address, phrase: str) -> None:
    address = FORMS[form](v4)
    decision = classify(address, 443, DEFAULT)
    if form == "IPv4-compatible" and int(v4) <= 1:
        check(decision, False)  # :: and ::1 are the unspecified and loopback addresses, not embeddings
    elif form == "mapped":
        check(decision, False, phrase)
        assert decision.reason.startswith(f"{v4} ")  # normalised: the reason names the IPv4 itself
    else:
        check(decision, False, phrase)
        assert f"embeds {v4} ({form})" in decision.reason


@pytest.mark.parametrize(
    ("form", "v4"),
    [
        pytest.param(form, IPv4Address(v4), id=f"{form}-{v4}")
        for cidr, _ in TABLE_A
        if ip_network(cidr).version == 4
        for v4 in edges(cidr)
        for form in FORMS
    ],
)
@pytest.mark.parametrize("nat64_mode", [False, True])
def test_hard_deny_holds_through_every_wrapper(form: str, v4: IPv4Address, nat64_mode: bool) -> None:
    """Allow-listing everything, wrappers included, still cannot reach metadata (§3 table C, last paragraph)."""
    pol = policy("0.0.0.0/0,::/0,64:ff9b::/96,2002::/16,2001::/32", nat64=nat64_mode)
    check(classify(FORMS[form](v4), 443, pol), False, "cloud")


@pytest.mark.parametrize(("form", "expect_allowed"), [(form, form == "mapped") for form in FORMS])
@pytest.mark.parametrize("v4", [IPv4Address(a) for a in PUBLIC_V4])
def test_embedded_public_ipv4(form: str, expect_allowed: bool, v4: IPv4Address) -> None:
    """A public IPv4 in a wrapper is still denied by the IPv6 rule; only the mapped form is that IPv4 host."""
    check(classify(FORMS[form](v4), 443, DEFAULT), expect_allowed)


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("::ffff:0:7f00:1", [("127.0.0.1", "IPv4-translated")]),
        ("::7f00:1", [("127.0.0.1", "IPv4-compatible")]),
        ("::2", [("0.0.0.2", "IPv4-compatible")]),
        ("::", []),
        ("::1", []),
        ("64:ff9b::a9fe:a9fe", [("169.254.169.254", "NAT64")]),
        ("64:ff9b:1:c000:2:2100::", [("192.0.2.33", "local-use NAT64")]),  # RFC 6052 §2.4, /48 row
        ("2002:a9fe:a9fe::", [("169.254.169.254", "6to4")]),
        ("2002:c000:204::1", [("192.0.2.4", "6to4")]),  # RFC 3056 §2
        # RFC 4380 §4 example: server 65.54.227.120, client 192.0.2.45 behind the obfuscation
        ("2001:0:4136:e378:8000:63bf:3fff:fdd2", [("65.54.227.120", "Teredo server"), ("192.0.2.45", "Teredo client")]),
        ("2606:4700:4700::1111", []),
        ("64:ff9b::1:0:0", []),  # just past the /96
    ],
)
def test_embedded_ipv4_extraction(address: str, expected: list[tuple[str, str]]) -> None:
    ip = ip_address(address)
    assert isinstance(ip, IPv6Address)
    assert [(str(e.ipv4), e.form) for e in embedded_ipv4(ip)] == expected


# --- normalisation ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    ["fe80::1%eth0", "fe80::1%1", "2606:4700:4700::1111%eth0", "::ffff:1.1.1.1%eth0", "ff02::1%lo"],
)
@pytest.mark.parametrize("pol", [DEFAULT, OPEN], ids=["default", "allow-everything"])
def test_scope_id_denied(address: str, pol: Policy) -> None:
    check(classify(address, 443, pol), False, "scope ID")


@pytest.mark.parametrize(
    "address",
    ["", "localhost", "example.test", "1.2.3", "0177.0.0.1", "127.000.000.001", "2130706433", "0x7f000001",
     "[::1]", " 1.1.1.1", "1.1.1.1 ", "1.1.1.1/32", "fe80::1%", "425.510.425.510", "7147006462", "x" * 500],
)  # fmt: skip
def test_unparsable_refused(address: str) -> None:
    decision = classify(address, 443, OPEN)
    check(decision, False, "is not an IP address")
    assert len(decision.reason) < 120


@pytest.mark.parametrize(
    ("address", "shown"),
    [("::ffff:127.0.0.1", "127.0.0.1"), ("::ffff:7f00:1", "127.0.0.1"), ("0:0:0:0:0:ffff:a00:5", "10.0.0.5")],
)
def test_mapped_is_normalised_to_ipv4(address: str, shown: str) -> None:
    assert classify(address, 443, DEFAULT).reason.startswith(f"{shown} is ")


def test_mapped_matches_an_ipv4_allow_entry() -> None:
    pol = policy("127.0.0.1:54321")
    decision = classify("::ffff:127.0.0.1", 54321, pol)
    assert decision == Decision(True, None, decision.reason, "127.0.0.1:54321")


# --- public controls ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("address", PUBLIC_V4 + PUBLIC_V6 + ["::ffff:8.8.8.8"])
@pytest.mark.parametrize("port", [80, 443])
def test_public_controls_allowed(address: str, port: int) -> None:
    decision = classify(address, port, DEFAULT)
    check(decision, True)
    assert decision.entry is None


# --- catalogue rows 30-69 (address decision only) -----------------------------------------------------------------

CATALOGUE = [
    # (row, address as the resolver or URL gate hands it over, allowed)
    (30, "127.0.0.1", False),
    (31, "localhost", False),  # the URL gate refuses it first; a stray name still fails closed here
    (33, "127.0.0.1", False),  # 2130706433, 0x7f000001, 0x7f.0x0.0x0.0x1 decode to this in the URL gate
    (36, "0177.0.0.1", False),
    (37, "127.000.000.001", False),
    (38, "0.0.0.0", False),
    (39, "0.0.0.0", False),
    (40, "::", False),
    (41, "::1", False),
    (41, "0:0:0:0:0:0:0:1", False),
    (41, "0000::1", False),
    (42, "::ffff:127.0.0.1", False),
    (42, "::ffff:7f00:1", False),
    (42, "0:0:0:0:0:ffff:127.0.0.1", False),
    (43, "::127.0.0.1", False),
    (44, "::ffff:0:7f00:1", False),
    (45, "fe80::1%eth0", False),
    (46, "169.254.169.254", False),
    (47, "425.510.425.510", False),
    (48, "169.254.169.254", False),
    (49, "fd00:ec2::254", False),
    (50, "169.254.169.254", False),
    (51, "100.100.100.200", False),
    (52, "192.0.0.192", False),
    (53, "10.0.0.5", False),
    (53, "10.255.255.255", False),
    (54, "192.168.1.1", False),
    (55, "100.64.0.1", False),
    (55, "100.127.255.254", False),
    (55, "100.63.255.255", True),
    (55, "100.128.0.0", True),
    (56, "192.0.2.1", False),
    (56, "198.51.100.1", False),
    (56, "203.0.113.1", False),
    (57, "192.88.99.1", False),
    (58, "224.0.0.1", False),
    (58, "239.255.255.250", False),
    (59, "255.255.255.255", False),
    (59, "240.0.0.1", False),
    (60, "0.1.2.3", False),
    (62, "fc00::1", False),
    (62, "fd12:3456::1", False),
    (63, "fe80::1", False),
    (64, "fec0::1", False),
    (65, "ff02::1", False),
    (66, "64:ff9b::a9fe:a9fe", False),
    (66, "64:ff9b::127.0.0.1", False),
    (67, "2002:a9fe:a9fe::", False),
    (67, "2002:7f00:1::", False),
    (68, "2001:db8::1", False),
    (68, "3fff::1", False),
    (69, "2606:4700:4700::1111", True),
]


@pytest.mark.parametrize(("address", "allowed"), [pytest.param(a, ok, id=f"row{row}-{a}") for row, a, ok in CATALOGUE])
@pytest.mark.parametrize("nat64_mode", [False, True], ids=["nat64-off", "nat64-on"])
def test_catalogue_addresses(address: str, allowed: bool, nat64_mode: bool) -> None:
    check(classify(address, 443, policy(nat64=nat64_mode)), allowed)


@pytest.mark.parametrize(
    "address",
    ["192.0.0.192", "224.0.0.1", "192.88.99.1", "ff02::1", "fec0::1", "::127.0.0.1", "::ffff:0:7f00:1",
     "64:ff9b::a9fe:a9fe", "2002:a9fe:a9fe::", "100.100.100.200"],
)  # fmt: skip
def test_d10_addresses_that_is_global_gets_wrong(address: str) -> None:
    check(classify(address, 443, DEFAULT), False)


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("169.254.169.254", "169.254.169.254 is cloud metadata (link-local 169.254.0.0/16)"),
        ("10.0.0.5", "10.0.0.5 is a private address (RFC 1918)"),
        ("64:ff9b::a9fe:a9fe", "64:ff9b::a9fe:a9fe embeds 169.254.169.254 (NAT64), which is cloud metadata"),
        ("::ffff:127.0.0.1", "127.0.0.1 is loopback"),
    ],
)
def test_reasons_read_plainly(address: str, reason: str) -> None:
    assert classify(address, 443, DEFAULT).reason.startswith(reason)


# --- row 61: the operator deny list -------------------------------------------------------------------------------

OWN = "34.120.0.10"  # stands for the host's own public egress address


@pytest.mark.parametrize(
    ("address", "pol", "allowed"),
    [
        pytest.param(OWN, policy(deny=f"{OWN}/32"), False, id="own-address"),
        pytest.param("34.120.0.9", policy(deny=f"{OWN}/32"), True, id="below"),
        pytest.param("34.120.0.11", policy(deny=f"{OWN}/32"), True, id="above"),
        pytest.param(f"::ffff:{OWN}", policy(deny=f"{OWN}/32"), False, id="mapped"),
        pytest.param(f"64:ff9b::{OWN}", policy(deny=f"{OWN}/32", nat64=True), False, id="nat64-mode"),
        pytest.param(f"64:ff9b::{OWN}", policy("64:ff9b::/96", deny=f"{OWN}/32"), False, id="embedded-beats-allow"),
        pytest.param(OWN, policy("34.120.0.0/16", deny=f"{OWN}/32"), False, id="beats-allow-list"),
        pytest.param("34.120.0.11", policy("34.120.0.0/16", deny=f"{OWN}/32"), True, id="entry-still-works"),
        pytest.param("2600:1f18::1", policy(deny="2600:1f18::/32"), False, id="ipv6"),
        pytest.param("2600:1f19::", policy(deny="2600:1f18::/32"), True, id="ipv6-neighbour"),
        pytest.param(OWN, policy(deny="2600:1f18::/32"), True, id="other-version"),
    ],
)
def test_operator_deny_list(address: str, pol: Policy, allowed: bool) -> None:
    decision = classify(address, 443, pol)
    check(decision, allowed, None if allowed else "operator deny list")


def test_deny_list_reason_names_the_entry_it_beats() -> None:
    decision = classify(OWN, 443, policy("34.120.0.0/16", deny=f"{OWN}/32"))
    assert "the allow-list entry 34.120.0.0/16 cannot override the deny list" in decision.reason


# --- row 66 and the NAT64 mode ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "off", "on"),
    [
        ("64:ff9b::a9fe:a9fe", False, False),
        ("64:ff9b::127.0.0.1", False, False),
        ("64:ff9b::10.0.0.5", False, False),
        ("64:ff9b::100.100.100.200", False, False),
        ("64:ff9b::168.63.129.16", False, False),
        ("64:ff9b::198.51.100.1", False, False),
        ("64:ff9b::", False, False),  # embeds 0.0.0.0
        ("64:ff9b::ffff:ffff", False, False),  # embeds 255.255.255.255
        ("64:ff9b::1.1.1.1", False, True),
        ("64:ff9b::8.8.8.8", False, True),
        ("64:ff9b::100.63.255.255", False, True),
        ("64:ff9a:ffff:ffff:ffff:ffff:ffff:ffff", False, False),  # outside neighbours of the /96
        ("64:ff9b::1:0:0", False, False),
        ("64:ff9b:1:101:1:100::", False, False),  # local-use /48 holding 1.1.1.1: denied whatever it holds
        ("64:ff9b:1::", False, False),
        ("::1.1.1.1", False, False),
        ("2002:101:101::", False, False),
    ],
)
def test_nat64_mode(address: str, off: bool, on: bool) -> None:
    check(classify(address, 443, policy(nat64=False)), off)
    decision = classify(address, 443, policy(nat64=True))
    check(decision, on)
    if on:
        assert "NAT64" in decision.reason


def test_nat64_mode_keeps_the_port_rule() -> None:
    check(classify("64:ff9b::1.1.1.1", 22, policy(nat64=True)), False, outcome=Outcome.REFUSE_PORT)


# --- rows 108-111: the allow-list ---------------------------------------------------------------------------------


def test_row_108_entry_allows_and_is_named() -> None:
    decision = classify("10.20.1.5", 443, policy("10.20.0.0/16"))
    assert decision == Decision(True, None, "10.20.1.5 is allowed by the allow-list entry 10.20.0.0/16", "10.20.0.0/16")


@pytest.mark.parametrize("address", ["10.21.0.1", "10.19.255.255", "10.0.0.5", "172.16.0.1"])
def test_row_109_outside_the_entry_refused(address: str) -> None:
    check(classify(address, 443, policy("10.20.0.0/16")), False, "RFC 1918")


ROW_110 = policy("169.254.0.0/16,fd00::/8,100.64.0.0/10,192.0.0.0/24")


@pytest.mark.parametrize(
    "address", ["169.254.169.254", "fd00:ec2::254", "fd00:ec2::23", "100.100.100.200", "192.0.0.192"]
)
def test_row_110_hard_deny_beats_the_allow_list(address: str) -> None:
    decision = classify(address, 443, ROW_110)
    check(decision, False, "cannot override the hard deny")
    assert decision.entry is None


@pytest.mark.parametrize(
    ("address", "entry"),
    [
        ("169.254.0.1", None),
        ("fd00:ec2::255", "fd00::/8"),
        ("100.100.100.201", "100.64.0.0/10"),
        ("192.0.0.193", "192.0.0.0/24"),
    ],
)
def test_row_110_entries_still_open_the_rest_of_their_range(address: str, entry: str | None) -> None:
    decision = classify(address, 443, ROW_110)
    assert decision.entry == entry
    assert decision.allowed is (entry is not None)


def test_row_111_metadata_through_an_allow_listed_name() -> None:
    """api.corp.test resolving to 169.254.169.254: entries match addresses, and the hard deny wins."""
    check(classify("169.254.169.254", 443, policy("10.20.0.0/16")), False, "cloud metadata")


# --- ports (§3 step 7, §4 entries with ports) ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "port", "pol", "allowed", "outcome"),
    [
        pytest.param("1.1.1.1", 80, DEFAULT, True, None, id="80"),
        pytest.param("1.1.1.1", 443, DEFAULT, True, None, id="443"),
        pytest.param("1.1.1.1", 22, DEFAULT, False, Outcome.REFUSE_PORT, id="22"),
        pytest.param("1.1.1.1", 8080, DEFAULT, False, Outcome.REFUSE_PORT, id="8080-not-configured"),
        pytest.param("1.1.1.1", 8080, policy(ports=frozenset({80, 443, 8080})), True, None, id="8080-configured"),
        pytest.param("2606:4700:4700::1111", 8443, DEFAULT, False, Outcome.REFUSE_PORT, id="v6-8443"),
        pytest.param("1.1.1.1", 0, DEFAULT, False, Outcome.REFUSE_PORT, id="0"),
        pytest.param("1.1.1.1", -1, DEFAULT, False, Outcome.REFUSE_PORT, id="-1"),
        pytest.param("1.1.1.1", 65536, DEFAULT, False, Outcome.REFUSE_PORT, id="65536"),
        pytest.param("127.0.0.1", 22, DEFAULT, False, Outcome.REFUSE_ADDR, id="address-before-port"),
        pytest.param("169.254.169.254", 22, OPEN, False, Outcome.REFUSE_ADDR, id="hard-deny-before-port"),
        # §6: exactly 127.0.0.1:<fixture port>; the same address on any other port stays denied as an address
        pytest.param("127.0.0.1", 54321, policy("127.0.0.1:54321"), True, None, id="fixture-port"),
        pytest.param("127.0.0.1", 80, policy("127.0.0.1:54321"), False, Outcome.REFUSE_ADDR, id="fixture-80"),
        pytest.param("127.0.0.1", 443, policy("127.0.0.1:54321"), False, Outcome.REFUSE_ADDR, id="fixture-443"),
        pytest.param("127.0.0.1", 54322, policy("127.0.0.1:54321"), False, Outcome.REFUSE_ADDR, id="fixture-other"),
        pytest.param("127.0.0.2", 54321, policy("127.0.0.1:54321"), False, Outcome.REFUSE_ADDR, id="127.0.0.2"),
        pytest.param("127.0.0.99", 9, policy("127.0.0.0/24:9"), True, None, id="closed-port-range"),
        # an entry without a port opens the configured ports only
        pytest.param("10.20.1.5", 80, policy("10.20.0.0/16"), True, None, id="entry-80"),
        pytest.param("10.20.1.5", 8443, policy("10.20.0.0/16"), False, Outcome.REFUSE_ADDR, id="entry-8443-off"),
        pytest.param(
            "10.20.1.5", 8443, policy("10.20.0.0/16", ports=frozenset({80, 443, 8443})), True, None, id="entry-8443-on"
        ),
        # an entry with a port on a public range opens that port; other ports fall back to the default rules
        pytest.param("93.184.1.1", 9000, policy("93.184.0.0/16:9000"), True, None, id="public-entry-port"),
        pytest.param("93.184.1.1", 9001, policy("93.184.0.0/16:9000"), False, Outcome.REFUSE_PORT, id="public-other"),
        pytest.param("93.184.1.1", 443, policy("93.184.0.0/16:9000"), True, None, id="public-default-port"),
        pytest.param("fd12::5", 8443, policy("[fd12::/48]:8443"), True, None, id="v6-entry-port"),
        pytest.param("fd12::5", 443, policy("[fd12::/48]:8443"), False, Outcome.REFUSE_ADDR, id="v6-entry-other"),
    ],
)
def test_ports(address: str, port: int, pol: Policy, allowed: bool, outcome: Outcome | None) -> None:
    check(classify(address, port, pol), allowed, outcome=outcome)


def test_port_refusal_names_the_port() -> None:
    assert classify("1.1.1.1", 22, DEFAULT).reason == "port 22 is not permitted (allowed: 80, 443)"


def test_entry_with_port_explains_itself() -> None:
    decision = classify("127.0.0.1", 80, policy("127.0.0.1:54321"))
    assert "the allow-list entry 127.0.0.1:54321 opens only port 54321" in decision.reason


def test_entry_port_is_matched_with_its_address() -> None:
    pol = policy("10.20.0.0/16:8443,10.30.0.0/16")
    check(classify("10.30.0.1", 8443, pol), False)
    assert classify("10.20.0.1", 8443, pol).entry == "10.20.0.0/16:8443"


# --- expiry and user scoping --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("until", "allowed"),
    [
        (None, True),
        (NOW + timedelta(seconds=1), True),
        (NOW, False),  # "afterwards the list is inert": the instant itself is afterwards
        (NOW - timedelta(days=1), False),
        (datetime(2025, 6, 1, 14, 0, 1, tzinfo=timezone(timedelta(hours=2))), True),  # 12:00:01 UTC
    ],
)
def test_allow_until(until: datetime | None, allowed: bool) -> None:
    pol = policy("10.20.0.0/16", until=until)
    check(classify("10.20.1.5", 443, pol), allowed)
    check(classify("10.20.1.5", 443, pol, now=NOW), allowed)
    assert pol.allow_active(NOW) is allowed
    assert pol.allow_expired(NOW) is (not allowed)


def test_expired_list_leaves_the_default_rules() -> None:
    pol = policy("10.20.0.0/16,93.184.0.0/16:9000", until=NOW - timedelta(seconds=1))
    check(classify("1.1.1.1", 443, pol), True)
    check(classify("93.184.1.1", 9000, pol), False, outcome=Outcome.REFUSE_PORT)
    assert pol.permitted_ports(NOW) == frozenset({80, 443})
    assert policy("93.184.0.0/16:9000").permitted_ports(NOW) == frozenset({80, 443, 9000})


def test_explicit_now_overrides_the_clock() -> None:
    pol = policy("10.20.0.0/16", until=NOW + timedelta(hours=1))
    check(classify("10.20.1.5", 443, pol, now=NOW + timedelta(hours=2)), False)
    check(classify("10.20.1.5", 443, pol, now=NOW.replace(tzinfo=None)), False)  # a naive clock fails closed


def test_empty_list_is_neither_active_nor_expired() -> None:
    assert not DEFAULT.allow_active(NOW)
    assert not DEFAULT.allow_expired(NOW)


@pytest.mark.parametrize(
    ("users", "requester", "allowed"),
    [
        (frozenset(), None, True),
        (frozenset(), "U999", True),
        (frozenset({"U123"}), "U123", True),
        (frozenset({"U123", "W042"}), "W042", True),
        (frozenset({"U123"}), "U999", False),
        (frozenset({"U123"}), "u123", False),
        (frozenset({"U123"}), None, False),
    ],
)
def test_allow_users(users: frozenset[str], requester: str | None, allowed: bool) -> None:
    pol = policy("10.20.0.0/16,93.184.0.0/16:9000", users=users)
    check(classify("10.20.1.5", 443, pol, requester), allowed)
    check(classify("1.1.1.1", 443, pol, requester), True)  # other users keep the default rules
    assert (9000 in pol.permitted_ports(NOW, requester)) is allowed
