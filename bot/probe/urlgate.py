"""The URL gate: every check on a probe URL that needs no DNS lookup (probe.md §2 steps 1-6, D8).

The gate is a first filter, not the security boundary: the guarded connect (§2 step 8) classifies
every address actually dialled (D1). The gate exists so that malformed, ambiguous or obviously
local URLs are refused before anything is resolved, and so that IP literals in every spelling a
resolver would accept reach the classifier as plain addresses instead of as names.

Rules of thumb, each answering a known bypass:
- the raw string is checked before parsing, and parsed exactly once, by `httpx.URL`, the parser
  the fetch uses; `urllib.parse` disagrees with it on some hosts, so it is never consulted;
- numeric hosts (`2130706433`, `0x7f.1`) are decoded here as `inet_aton` does, never resolved;
- the port is read from the raw authority as well, since httpx accepts `0`, `-1`, `65536`, `+80`
  and non-ASCII digits, and drops an explicit default port.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import unicodedata
from typing import NamedTuple, NoReturn

import httpx

from bot.errors import ProbeRefused
from bot.probe.outcome import Outcome

MAX_URL_LENGTH = 2048
"""Longest URL accepted, in characters (D8)."""

DEFAULT_PORTS: dict[str, int] = {"http": 80, "https": 443}
"""The only schemes probed, with their default ports (RFC 9110 §4.2.1, §4.2.2)."""

_SLACK_TOKEN = re.compile(r"<([^<>]*)>")
_SLACK_ENTITY = re.compile(r"&(amp|lt|gt);")
_ENTITY_TEXT = {"amp": "&", "lt": "<", "gt": ">"}
# A Slack token, or a bare http(s) word. Slack escapes a literal `<` as `&lt;`, so a raw `<` always
# opens a token and ends a bare word; tokens are consumed whole, so a label is never scanned.
_TOKEN_OR_WORD = re.compile(r"<(?P<token>[^<>]*)>|(?<!\S)(?P<word>https?://[^\s<>]+)", re.IGNORECASE)
_HTTP_PREFIX = re.compile(r"https?://", re.IGNORECASE)
# Every label decimal, `0`-octal or `0x`-hex: the forms inet_aton(3) reads; it alone decides the value.
_NUMERIC_HOST = re.compile(r"(?:0x[0-9a-f]*|[0-9]+)(?:\.(?:0x[0-9a-f]*|[0-9]+))*", re.IGNORECASE)
_SHOWN_CHARS = 60


class GateResult(NamedTuple):
    """A URL that passed the gate.

    `host` is the lowercased ASCII (IDNA) host without brackets, as httpcore sees it; SNI, the
    certificate check and `Host` use it. `address` is the IP literal the host stands for (IPv6
    literal, dotted quad or decoded numeric form), or None for a name the guarded connect must
    resolve. `port` is the explicit or default port, already checked against the permitted set.
    """

    url: httpx.URL
    host: str
    address: str | None
    port: int


def extract_url(text: str) -> str:
    """The URL in one piece of Slack text: the target of `<url|label>` or `<url>`, never the label.

    Slack's three entities are undone once (`&amp;lt;` stays `&lt;`) and surrounding whitespace is
    stripped. Text that is not a single token is returned as it is, unescaped, for the gate to judge.
    """
    stripped = text.strip()
    token = _SLACK_TOKEN.fullmatch(stripped)
    target = token.group(1).partition("|")[0] if token else stripped
    return _unescape(target).strip()


def find_urls(slack_text: str) -> list[str]:
    """Every http(s) URL in a Slack message, in order of first appearance, each once.

    Finds Slack-wrapped `<http...>` tokens (their target, never the label, which the sender chose
    freely) and bare words starting with `http://` or `https://`. Other tokens (mentions, channels,
    `mailto:`) are skipped.
    """
    found: list[str] = []
    for match in _TOKEN_OR_WORD.finditer(slack_text):
        if match.group("token") is not None:
            candidate = extract_url(match.group(0))
            if not _HTTP_PREFIX.match(candidate):
                continue
        else:
            candidate = _unescape(match.group("word"))
        if candidate not in found:
            found.append(candidate)
    return found


def check_url(raw: str, *, ports: frozenset[int]) -> GateResult:
    """Run probe.md §2 steps 2-6 on an extracted URL; no DNS lookup, no network I/O.

    Returns the parsed URL with its host, its literal address if it has one, and its port.
    Raises `ProbeRefused` with REFUSE:syntax, :scheme, :userinfo, :port, or :addr (localhost
    names only; literal addresses are returned for the classifier to judge, §3).

    Args:
        raw: the URL as extracted from the message or a `Location` header.
        ports: the permitted ports (configured ports plus ports named by allow-list entries, §4).
    """
    _check_lexical(raw)
    url = _parse(raw)
    authority = _raw_authority(raw)
    # Step 4: any `@` in the authority, even with empty userinfo (`http://@host/`), is refused:
    # credentials are never sent, and `user@host` is the classic way to disguise a host.
    if url.userinfo or "@" in authority:
        _refuse(Outcome.REFUSE_USERINFO, "the URL carries user information before '@' in its host part")
    host = url.raw_host.decode("ascii")
    address = _check_host(host)
    port = _check_port(url, authority, ports)
    return GateResult(url, host, address, port)


def _check_lexical(raw: str) -> None:
    """Step 2, on the raw string, so no parser gets to normalise the evidence away."""
    if len(raw) > MAX_URL_LENGTH:
        _refuse(Outcome.REFUSE_SYNTAX, f"the URL is {len(raw)} characters long, over the limit of {MAX_URL_LENGTH}")
    scheme, colon, _ = raw.partition(":")
    if not colon or not scheme:
        _refuse(Outcome.REFUSE_SCHEME, "the URL has no scheme; only http and https URLs are probed")
    if not (scheme.isascii() and scheme.lower() in DEFAULT_PORTS):
        _refuse(Outcome.REFUSE_SCHEME, f"the scheme {_show(scheme)} is not http or https")
    for char in raw:
        # Whitespace, backslashes and invisible characters are where parsers disagree (WHATWG
        # treats `\` as `/` in http URLs; CR LF smuggles headers; bidi and zero-width hide text).
        if char.isspace():
            _refuse(Outcome.REFUSE_SYNTAX, f"the URL contains whitespace ({_codepoint(char)})")
        if char == "\\":
            _refuse(Outcome.REFUSE_SYNTAX, "the URL contains a backslash")
        if unicodedata.category(char) in ("Cc", "Cf"):
            _refuse(Outcome.REFUSE_SYNTAX, f"the URL contains the control or invisible character {_codepoint(char)}")


def _parse(raw: str) -> httpx.URL:
    """Step 3: parse once with httpx; any exception at all is a syntax refusal."""
    try:
        url = httpx.URL(raw)
        # `.host` decodes `xn--` labels, so an invalid A-label raises here (idna.IDNAError, not
        # InvalidURL) instead of later in the fetch (RFC 5891 §5.4).
        _ = url.host
    except Exception as exc:  # httpx.InvalidURL, idna.IDNAError, UnicodeError: all mean the same
        raise ProbeRefused(Outcome.REFUSE_SYNTAX, f"the URL does not parse: {_clip(str(exc))}") from exc
    if url.scheme not in DEFAULT_PORTS:  # unreachable after step 2; kept so the gate fails closed
        _refuse(Outcome.REFUSE_SCHEME, f"the scheme {_show(url.scheme)} is not http or https")
    return url


def _raw_authority(raw: str) -> str:
    """The authority as written (RFC 3986 §3.2): after `scheme://`, up to the first `/`, `?` or `#`.

    This is the same split httpx makes; the raw text is needed because httpx normalises the port.
    """
    rest = raw.partition(":")[2]
    if not rest.startswith("//"):
        return ""
    end = len(rest)
    for delimiter in "/?#":
        found = rest.find(delimiter, 2)
        if found != -1:
            end = min(end, found)
    return rest[2:end]


def _check_host(host: str) -> str | None:
    """Step 5: the literal address the host stands for, None for a name, or a refusal."""
    if not host:
        _refuse(Outcome.REFUSE_SYNTAX, "the URL has no host")
    if "%" in host:
        # Percent-encoding in a host is decoded differently by different parsers, and `%25`
        # introduces an IPv6 zone ID (RFC 6874), which selects a local interface.
        _refuse(Outcome.REFUSE_SYNTAX, f"the host {_show(host)} contains '%' (percent-encoding or an IPv6 zone ID)")
    if ":" in host:  # httpx only lets ':' into a host inside brackets, as an IPv6 literal
        try:
            return str(ipaddress.IPv6Address(host))
        except ValueError as exc:
            raise ProbeRefused(Outcome.REFUSE_SYNTAX, f"the host {_show(host)} is not a valid IPv6 address") from exc
    name = host.lower().removesuffix(".")  # one trailing dot is the DNS root (RFC 1034 §3.1)
    if "" in name.split("."):
        # Empty labels are invalid (RFC 1035 §2.3.1) and would let `localhost..` or `.localhost`
        # slip past the suffix test below.
        _refuse(Outcome.REFUSE_SYNTAX, f"the host {_show(host)} has an empty label")
    numeric = numeric_ipv4(name)
    if numeric is not None:
        return numeric
    if name == "localhost" or name.endswith(".localhost"):
        # RFC 6761 §6.3: localhost names are loopback and must not be sent to DNS.
        _refuse(Outcome.REFUSE_ADDR, f"{_clip(host)} is a localhost name, which means this machine (RFC 6761)")
    return None


def numeric_ipv4(name: str) -> str | None:
    """The IPv4 address an all-numeric host spells (`127.1`, `0x7f000001`, `0177.0.0.1`), else None.

    Resolvers decode these with inet_aton, so they are addresses, not names: decode them the same
    way and never send them to a resolver. One trailing dot is ignored. Raises ProbeRefused
    (REFUSE:syntax) for a numeric host inet_aton rejects. Shared with the transport's guard.
    """
    name = name.removesuffix(".")
    if not _NUMERIC_HOST.fullmatch(name):
        return None
    try:
        packed = socket.inet_aton(name)
    except OSError as exc:
        raise ProbeRefused(
            Outcome.REFUSE_SYNTAX, f"the numeric host {_show(name)} is not a valid IPv4 address"
        ) from exc
    return str(ipaddress.IPv4Address(packed))


def _check_port(url: httpx.URL, authority: str, ports: frozenset[int]) -> int:
    """Step 6: the port as written, cross-checked against httpx's reading, and permitted."""
    default = DEFAULT_PORTS[url.scheme]
    hostport = authority.rpartition("@")[2]
    if hostport.startswith("["):
        # httpx takes anything after `]` as the port, colon or not (`[::1]8080` is port 8080).
        after = hostport[hostport.rfind("]") + 1 :]
        if after and not after.startswith(":"):
            _refuse(Outcome.REFUSE_SYNTAX, f"{_show(after)} after the IPv6 address is not ':' and a port")
        text = after[1:]
    else:
        text = hostport.partition(":")[2]
    if not text:  # no port, or an empty one, which RFC 3986 §3.2.3 reads as the default
        port = default
    elif text.isascii() and text.isdigit():
        port = int(text)
    else:
        _refuse(Outcome.REFUSE_PORT, f"the port {_show(text)} is not a decimal number")
    if not 1 <= port <= 65535:
        _refuse(Outcome.REFUSE_PORT, f"the port {_show(text)} is outside 1-65535")
    if port != (default if url.port is None else url.port):
        _refuse(Outcome.REFUSE_SYNTAX, "the URL's port reads differently to different parsers")
    if port not in ports:
        allowed = ", ".join(str(p) for p in sorted(ports)) or "none"
        _refuse(Outcome.REFUSE_PORT, f"port {port} is not permitted (permitted: {allowed})")
    return port


def _unescape(text: str) -> str:
    """Undo Slack's `&amp;`, `&lt;`, `&gt;` in one pass, so `&amp;lt;` becomes `&lt;`, not `<`."""
    return _SLACK_ENTITY.sub(lambda match: _ENTITY_TEXT[match.group(1)], text)


def _refuse(outcome: Outcome, reason: str) -> NoReturn:
    raise ProbeRefused(outcome, reason)


def _codepoint(char: str) -> str:
    return f"U+{ord(char):04X}"


def _clip(text: str) -> str:
    """User-derived text made safe to quote in a reason: invisible characters named, length capped."""
    visible = "".join(char if char.isprintable() else f"[{_codepoint(char)}]" for char in text)
    return visible if len(visible) <= _SHOWN_CHARS else visible[: _SHOWN_CHARS - 1] + "…"


def _show(text: str) -> str:
    return f"'{_clip(text)}'"
