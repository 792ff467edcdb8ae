"""What a response says about itself: which layer answered, when to retry, what the body's error says.

Everything here reads server text, which is untrusted (probe.md §2 step 13): each value is made
plain first (Cc and Cf characters removed, whitespace collapsed) and every hint is cut visibly at
HINT_CHARS. Escaping for Slack is the renderer's job; nothing here knows about Slack or terminals.
Only the last hop that answered and the first BODY_SCAN bytes of `body_sample` are read, and every
pattern is bounded, so a hostile body costs linear time at most.
"""

from __future__ import annotations

import html
import json
import re
import unicodedata
from collections.abc import Iterator, Mapping
from datetime import datetime
from email.utils import parsedate_to_datetime
from enum import StrEnum
from typing import Any, NamedTuple

from bot.probe.result import Hint, Hop, ProbeResult

HINT_CHARS = 200
"""Longest hint text; longer ones end in CUT."""

CUT = "… (cut)"
EVIDENCE_CHARS = 60
"""Longest header value quoted as evidence inside a hint."""

BODY_SCAN = 16 * 1024
"""Bytes of `body_sample` searched for error markers."""

_SPACES = frozenset("\t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85")


class Layer(StrEnum):
    """Who may have answered, outermost first: the value is the name shown to people."""

    CLOUDFLARE = "Cloudflare"
    AKAMAI = "Akamai"
    FASTLY = "Fastly"
    CLOUDFRONT = "Amazon CloudFront"
    AZURE_FRONT_DOOR = "Azure Front Door"
    GOOGLE = "Google Front End"
    VERCEL = "Vercel"
    NETLIFY = "Netlify"
    HEROKU = "the Heroku router"
    PROXY = "a proxy or cache"
    ALB = "an AWS Application Load Balancer"
    API_GATEWAY = "Amazon API Gateway"
    S3 = "Amazon S3"
    ENVOY = "Envoy"
    NGINX = "nginx"
    APACHE = "Apache httpd"
    IIS = "Microsoft IIS"
    SERVER = "a web server"


class BodyMarkers(NamedTuple):
    """Well-known error markers found in the first BODY_SCAN bytes of the body, each plain and capped."""

    xml_code: str | None = None  # S3 and other AWS XML errors: <Code>AccessDenied</Code>
    xml_message: str | None = None
    cloudflare_error: str | None = None  # "1020", "522": Cloudflare's error number
    iis_substatus: str | None = None  # "403.14" from an IIS detailed error page
    json_fields: tuple[tuple[str, str], ...] = ()  # ("error", "invalid_token"), ...
    title: str | None = None  # the <title> of an HTML page
    text_line: str | None = None  # first line of a short text/plain body


class Evidence(NamedTuple):
    """The parts of a result the hints and the explanation reason about, read once."""

    hop: Hop | None  # the last hop that got a status
    headers: Mapping[str, tuple[str, ...]]  # lower-case name -> plain values, in order
    layers: tuple[tuple[Layer, tuple[str, ...]], ...]  # each layer with its evidence ("cf-ray: 8a...")
    body: BodyMarkers

    @property
    def status(self) -> int | None:
        return None if self.hop is None else self.hop.status

    def header(self, name: str) -> str | None:
        """The first value of a header (any case), plain; None when absent."""
        values = self.headers.get(name.lower())
        return values[0] if values else None

    def has(self, layer: Layer) -> bool:
        return any(found is layer for found, _ in self.layers)


# -- plain text ---------------------------------------------------------------------------------


def clean(text: str) -> str:
    """`text` without Cc/Cf characters (ANSI escapes, NUL, zero-width, bidi) and with whitespace collapsed.

    Control whitespace and line or paragraph separators become spaces so that words stay apart;
    every other control or format character is dropped (probe.md §2 step 13).
    """
    kept: list[str] = []
    for char in text:
        if char in _SPACES:
            kept.append(" ")
            continue
        category = unicodedata.category(char)
        if category in ("Zl", "Zp"):
            kept.append(" ")
        elif category not in ("Cc", "Cf"):
            kept.append(char)
    return " ".join("".join(kept).split())


def plain(text: str, limit: int = HINT_CHARS) -> str:
    """Server text fit to show: `clean`, then cut at a word boundary with CUT when over `limit`.

    The result is at most `limit` characters. Very long input is read only up to a bounded head,
    so a 10 MB header costs no more than a short one.
    """
    if limit <= len(CUT):
        raise ValueError(f"limit must exceed {len(CUT)}, got {limit}")
    head = text[: limit * 4 + 64]
    cleaned = clean(head)
    if len(cleaned) <= limit and len(head) == len(text):
        return cleaned
    room = limit - len(CUT)
    kept = cleaned[:room]
    if len(cleaned) > room and not cleaned[room].isspace():
        space = kept.rfind(" ")
        if space >= room // 2:
            kept = kept[:space]
    return kept.rstrip() + CUT


# -- reading the response ----------------------------------------------------------------------


def answering_hop(result: ProbeResult) -> Hop | None:
    """The last hop that got a status: the response the hints describe (a refused hop has none)."""
    for hop in reversed(result.hops):
        if hop.status is not None:
            return hop
    return None


def read_evidence(result: ProbeResult) -> Evidence:
    """Headers of the answering hop, the layers they name and the body's error markers."""
    hop = answering_hop(result)
    headers: dict[str, tuple[str, ...]] = {}
    if hop is not None:
        for name, value in hop.headers:
            key = clean(name[:200]).lower()
            headers[key] = (*headers.get(key, ()), plain(value, 1000))
    layers = _layers(headers)
    body = (
        _body_markers(result.body_sample, headers, layers) if hop is not None and result.body_sample else BodyMarkers()
    )
    return Evidence(hop, headers, layers, body)


def derive_hints(result: ProbeResult) -> tuple[Hint, ...]:
    """Hints from the answering hop's headers and the body sample, most telling first.

    Pure: the same result gives the same hints. Each text is plain (no Cc/Cf), at most
    HINT_CHARS characters, and ends in CUT when it was shortened.
    """
    evidence = read_evidence(result)
    if evidence.hop is None:
        return ()
    hints: list[Hint] = []
    for number, (layer, proof) in enumerate(evidence.layers):
        lead = "answered by" if number == 0 else "also on the path:"
        hints.append(Hint("layer", f"{lead} {layer.value} ({', '.join(proof)})"))
    hints += _retry_after(evidence)
    hints += _auth(evidence)
    hints += _location(evidence)
    hints += _hsts(evidence, evidence.hop.url)
    hints += _cache(evidence)
    hints += _body_hints(evidence)
    return tuple(Hint(h.kind, plain(h.text)) for h in hints)


def hints_for(result: ProbeResult) -> tuple[Hint, ...]:
    """The derived hints, then any hint the runner recorded that they do not already include."""
    derived = derive_hints(result)
    extra = tuple(Hint(h.kind, plain(h.text)) for h in result.hints)
    return derived + tuple(h for h in extra if h not in derived)


# -- layers --------------------------------------------------------------------------------------


def _quote(name: str, value: str) -> str:
    return f"{name}: {plain(value, EVIDENCE_CHARS)}"


def _layers(headers: Mapping[str, tuple[str, ...]]) -> tuple[tuple[Layer, tuple[str, ...]], ...]:
    """Every layer the headers name, with the headers that name it, outermost first."""

    def first(name: str) -> str | None:
        values = headers.get(name)
        return values[0] if values else None

    found: dict[Layer, list[str]] = {}

    def add(layer: Layer, name: str, value: str) -> None:
        found.setdefault(layer, []).append(_quote(name, value))

    server = first("server")
    low_server = (server or "").lower()
    server_claimed = False
    for prefix, layer in _SERVER_PREFIXES:
        if server is not None and low_server.startswith(prefix):
            add(layer, "server", server)
            server_claimed = True
            break
    for name, layer in _HEADER_LAYERS:
        value = first(name)
        if value is not None:
            add(layer, name, value)
    served_by = first("x-served-by")
    if served_by is not None and re.search(r"\bcache-[a-z0-9]", served_by, re.IGNORECASE):
        add(Layer.FASTLY, "x-served-by", served_by)
    for via in headers.get("via", ()):
        low = via.lower()
        if "cloudfront" in low:
            add(Layer.CLOUDFRONT, "via", via)
        elif re.search(r"\bgoogle\b", low):
            add(Layer.GOOGLE, "via", via)
        elif "vegur" in low:
            add(Layer.HEROKU, "via", via)
        else:
            add(Layer.PROXY, "via", via)
    for cache in headers.get("x-cache", ()):
        add(Layer.CLOUDFRONT if "cloudfront" in cache.lower() else Layer.PROXY, "x-cache", cache)
    if server is not None and not server_claimed:
        add(Layer.SERVER, "server", server)
    return tuple((layer, tuple(found[layer][:4])) for layer in Layer if layer in found)


_SERVER_PREFIXES: tuple[tuple[str, Layer], ...] = (
    ("cloudflare", Layer.CLOUDFLARE),
    ("akamai", Layer.AKAMAI),
    ("gws", Layer.GOOGLE),
    ("google frontend", Layer.GOOGLE),
    ("vercel", Layer.VERCEL),
    ("netlify", Layer.NETLIFY),
    ("awselb", Layer.ALB),
    ("amazons3", Layer.S3),
    ("envoy", Layer.ENVOY),
    ("nginx", Layer.NGINX),
    ("openresty", Layer.NGINX),
    ("apache", Layer.APACHE),
    ("microsoft-iis", Layer.IIS),
)

_HEADER_LAYERS: tuple[tuple[str, Layer], ...] = (
    ("cf-ray", Layer.CLOUDFLARE),
    ("cf-mitigated", Layer.CLOUDFLARE),
    ("cf-cache-status", Layer.CLOUDFLARE),
    ("x-fastly-request-id", Layer.FASTLY),
    ("x-amz-cf-id", Layer.CLOUDFRONT),
    ("x-azure-ref", Layer.AZURE_FRONT_DOOR),
    ("x-vercel-id", Layer.VERCEL),
    ("x-nf-request-id", Layer.NETLIFY),
    ("x-amzn-requestid", Layer.API_GATEWAY),
    ("x-amzn-errortype", Layer.API_GATEWAY),
    ("x-amz-apigw-id", Layer.API_GATEWAY),
    ("x-amz-request-id", Layer.S3),
    ("x-envoy-upstream-service-time", Layer.ENVOY),
)


# -- header hints ---------------------------------------------------------------------------------


def _retry_after(evidence: Evidence) -> list[Hint]:
    value = evidence.header("retry-after")
    if value is None:
        return []
    return [Hint("retry-after", f"Retry-After: {plain(value, EVIDENCE_CHARS)} ({describe_retry_after(value)})")]


def retry_after_seconds(value: str) -> int | None:
    """Seconds in a delay-seconds Retry-After (RFC 9110 §10.2.3), None for a date or garbage."""
    text = value.strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 12 else None


def _retry_date(value: str) -> datetime | None:
    try:
        return parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def retry_after_is_valid(value: str) -> bool:
    """Whether Retry-After holds delay-seconds or an HTTP date (RFC 9110 §10.2.3)."""
    return retry_after_seconds(value) is not None or _retry_date(value) is not None


def describe_retry_after(value: str) -> str:
    """Retry-After in words: a delay ("retry in 2 minutes") or an HTTP date ("retry after ... UTC")."""
    seconds = retry_after_seconds(value)
    if seconds is not None:
        return f"retry in {duration(seconds)}"
    when = _retry_date(value)
    if when is None:
        return "neither a delay in seconds nor an HTTP date, RFC 9110 §10.2.3"
    return f"retry after {when.strftime('%Y-%m-%d %H:%M:%S')} UTC"


def duration(seconds: int) -> str:
    """A delay in words, rounded to the unit that matters."""
    if seconds < 120:
        return "1 second" if seconds == 1 else f"{seconds} seconds"
    if seconds < 2 * 3600:
        return f"about {round(seconds / 60)} minutes"
    if seconds < 2 * 86400:
        return f"about {round(seconds / 3600)} hours"
    return f"about {round(seconds / 86400)} days"


class Challenge(NamedTuple):
    """One authentication challenge (RFC 9110 §11.6.1): a scheme and its parameters."""

    scheme: str
    params: tuple[tuple[str, str], ...]

    def param(self, name: str) -> str | None:
        return next((v for k, v in self.params if k == name), None)


_AUTH_ITEM = re.compile(r"\s*([!#$%&'*+.^_`|~0-9A-Za-z-]+)(?:\s+(.*))?", re.DOTALL)
_AUTH_PARAM = re.compile(r"\s*([!#$%&'*+.^_`|~0-9A-Za-z-]+)\s*=\s*(.*)", re.DOTALL)


def parse_challenges(value: str) -> tuple[Challenge, ...]:
    """The challenges in one WWW-Authenticate or Proxy-Authenticate value (RFC 9110 §11.6.1).

    Lenient on purpose: it reads what servers send (quoted strings with commas, token68) and never
    raises; what it cannot read it skips.
    """
    challenges: list[Challenge] = []
    for item in _split_commas(value[:2000]):
        param = _AUTH_PARAM.fullmatch(item)
        if param is not None and challenges:
            last = challenges[-1]
            challenges[-1] = last._replace(params=(*last.params, _param(param)))
            continue
        head = _AUTH_ITEM.fullmatch(item)
        if head is None:
            continue
        rest = (head.group(2) or "").strip()
        first = _AUTH_PARAM.fullmatch(rest) if rest else None
        challenges.append(Challenge(head.group(1), () if first is None else (_param(first),)))
    return tuple(challenges[:5])


def _param(match: re.Match[str]) -> tuple[str, str]:
    return match.group(1).lower(), _unquote(match.group(2).strip())


def _split_commas(value: str) -> Iterator[str]:
    """Comma-separated items, ignoring commas inside quoted strings (RFC 9110 §5.6.4)."""
    current: list[str] = []
    quoted = escaped = False
    for char in value:
        if escaped:
            escaped = False
        elif char == "\\" and quoted:
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == "," and not quoted:
            item = "".join(current).strip()
            if item:
                yield item
            current = []
            continue
        current.append(char)
    item = "".join(current).strip()
    if item:
        yield item


def _unquote(raw: str) -> str:
    if len(raw) >= 2 and raw[0] == raw[-1] == '"':
        return re.sub(r"\\(.)", r"\1", raw[1:-1])
    return raw


def _auth(evidence: Evidence) -> list[Hint]:
    hints: list[Hint] = []
    for header in ("www-authenticate", "proxy-authenticate"):
        for value in evidence.headers.get(header, ())[:2]:
            for challenge in parse_challenges(value):
                words = [f"{header}: asks for {challenge.scheme}"]
                realm = challenge.param("realm")
                if realm:
                    words.append(f'realm "{plain(realm, EVIDENCE_CHARS)}"')
                error = challenge.param("error")
                if error:
                    detail = challenge.param("error_description")
                    words.append(f"error {error}" + (f": {detail}" if detail else ""))
                hints.append(Hint("auth", ", ".join(words)))
    return hints[:4]


def _location(evidence: Evidence) -> list[Hint]:
    hints: list[Hint] = []
    location = evidence.header("location")
    if location is not None:
        relative = "" if re.match(r"[A-Za-z][A-Za-z0-9+.-]*:", location) else " (relative to the request URL)"
        hints.append(Hint("location", f"Location: {location}{relative}"))
    refresh = evidence.header("refresh")
    if refresh is not None:
        hints.append(Hint("location", f"Refresh: {refresh} (reported, never followed)"))
    return hints


def _hsts(evidence: Evidence, url: str) -> list[Hint]:
    value = evidence.header("strict-transport-security")
    if value is None:
        return []
    directives = [d.strip() for d in value.split(";") if d.strip()]
    max_age = next(
        (d.partition("=")[2].strip().strip('"') for d in directives if d.lower().startswith("max-age")), None
    )
    flags = [d for d in directives if d.lower() in ("includesubdomains", "preload")]
    if max_age is None or not (max_age.isascii() and max_age.isdigit()):
        text = f"HSTS without a valid max-age ({plain(value, EVIDENCE_CHARS)}), ignored by browsers (RFC 6797 §6.1.1)"
    elif int(max_age) == 0:
        text = "HSTS max-age=0: browsers forget this host's HSTS policy"
    else:
        days = int(max_age) // 86400
        text = f"HSTS max-age {max_age} s (about {days} days)" + "".join(f", {f}" for f in flags)
    if url.lower().startswith("http://"):
        text += "; sent over plain http, where browsers ignore it (RFC 6797 §8.1)"
    return [Hint("hsts", text)]


_CACHE_HIT = re.compile(r"(?<![a-z])(hit|stale|revalidated|updating)(?![a-z])", re.IGNORECASE)
_CACHE_MISS = re.compile(r"(?<![a-z])(miss|expired|bypass|dynamic|pass)(?![a-z])", re.IGNORECASE)


def cache_state(evidence: Evidence) -> str | None:
    """Whether a cache served the response: `hit`, `miss` or None (X-Cache, cf-cache-status, Age; RFC 9111 §5.1)."""
    marks = [*evidence.headers.get("x-cache", ()), *evidence.headers.get("cf-cache-status", ())]
    if any(_CACHE_HIT.search(m) for m in marks):
        return "hit"
    if any(_CACHE_MISS.search(m) for m in marks):
        return "miss"
    age = evidence.header("age")
    if age is not None and age.isascii() and age.isdigit() and int(age) > 0:
        return "hit"
    return None


def _cache(evidence: Evidence) -> list[Hint]:
    parts = [
        _quote(name, value)
        for name in ("cf-cache-status", "x-cache", "age", "cache-control")
        for value in evidence.headers.get(name, ())[:1]
    ]
    if not parts:
        return []
    state = cache_state(evidence)
    lead = {"hit": "cache hit", "miss": "cache miss", None: "caching"}[state]
    return [Hint("cache", f"{lead}: {'; '.join(parts)}")]


# -- body ----------------------------------------------------------------------------------------


_XML_CODE = re.compile(r"<Code>([^<]{1,100})</Code>")
_XML_MESSAGE = re.compile(r"<Message>([^<]{0,400})</Message>")
_CF_ERROR = re.compile(r"\berror(?:\s+code)?\s*:?\s*(1\d{3}|52\d|530)\b", re.IGNORECASE)
_CF_ERROR_SPAN = re.compile(r'cf-error-code">\s*(1\d{3}|52\d|530)\s*<', re.IGNORECASE)
_IIS_ERROR = re.compile(r"HTTP Error (\d{3}\.\d{1,3})\b")
_JSON_KEYS = ("errorType", "error", "code", "message", "errorMessage", "__type", "title", "detail")
_JSON_FIELD = re.compile(r'"(errorType|error|code|message)"\s*:\s*(?:"((?:[^"\\]|\\.){0,300})"|(-?\d{1,12}))')


def _body_markers(
    sample: bytes, headers: Mapping[str, tuple[str, ...]], layers: tuple[tuple[Layer, tuple[str, ...]], ...]
) -> BodyMarkers:
    text = sample[:BODY_SCAN].decode("utf-8", errors="replace")
    kinds = {layer for layer, _ in layers}
    content_type = (headers.get("content-type") or ("",))[0].lower()
    markers = BodyMarkers()
    code = _XML_CODE.search(text)
    if code is not None:
        message = _XML_MESSAGE.search(text)
        markers = markers._replace(
            xml_code=plain(html.unescape(code.group(1)), 100),
            xml_message=None if message is None else plain(html.unescape(message.group(1))),
        )
    if Layer.CLOUDFLARE in kinds or "cloudflare" in text.lower():
        found = _CF_ERROR_SPAN.search(text) or _CF_ERROR.search(text)
        if found is not None:
            markers = markers._replace(cloudflare_error=found.group(1))
    if Layer.IIS in kinds:
        iis = _IIS_ERROR.search(text)
        if iis is not None:
            markers = markers._replace(iis_substatus=iis.group(1))
    if "json" in content_type or text.lstrip().startswith("{"):
        markers = markers._replace(json_fields=_json_fields(text))
    title = _title(text)
    if title:
        markers = markers._replace(title=title)
    if "text/plain" in content_type and len(sample) <= 4096:
        line = next((plain(line) for line in text.splitlines() if line.strip()), None)
        markers = markers._replace(text_line=line)
    return markers


def _json_fields(text: str) -> tuple[tuple[str, str], ...]:
    """`error`, `message`, `errorType`, `code` and kin from a JSON body; a regex reads cut-off bodies."""
    try:
        data: Any = json.loads(text)
    except (ValueError, RecursionError):
        data = None
    fields: list[tuple[str, str]] = []
    if isinstance(data, dict):
        for key in _JSON_KEYS:
            value = data.get(key)
            if isinstance(value, dict):  # {"error": {"code": 403, "message": "..."}} (Google APIs)
                for inner in ("code", "status", "message", "type"):
                    if isinstance(value.get(inner), str | int) and not isinstance(value.get(inner), bool):
                        fields.append((f"{key}.{inner}", plain(str(value[inner]))))
            elif isinstance(value, str | int) and not isinstance(value, bool):
                fields.append((key, plain(str(value))))
    elif data is None:
        for match in _JSON_FIELD.finditer(text[:4096]):
            raw = match.group(2) if match.group(2) is not None else match.group(3)
            fields.append((match.group(1), plain(_json_unescape(raw))))
    unique = list(dict.fromkeys(fields))
    return tuple(unique[:4])


def _json_unescape(raw: str) -> str:
    try:
        value = json.loads(f'"{raw}"')
    except ValueError:
        return raw
    return value if isinstance(value, str) else raw


def _title(text: str) -> str | None:
    """The first <title> of an HTML page, entities decoded; found by index, never by backtracking."""
    lower = text.lower()
    start = lower.find("<title")
    if start == -1:
        return None
    open_end = lower.find(">", start)
    if open_end == -1:
        return None
    end = lower.find("</title", open_end)
    raw = text[open_end + 1 : end if end != -1 else open_end + 1 + 400][:400]
    title = plain(html.unescape(raw))
    return title or None


def _body_hints(evidence: Evidence) -> list[Hint]:
    body = evidence.body
    hints: list[Hint] = []
    if body.xml_code is not None:
        owner = "S3" if evidence.has(Layer.S3) or evidence.has(Layer.CLOUDFRONT) else "XML"
        message = f" ({body.xml_message})" if body.xml_message else ""
        hints.append(Hint("body", f"{owner} error code {body.xml_code}{message}"))
    if body.cloudflare_error is not None:
        hints.append(Hint("body", f"Cloudflare error {body.cloudflare_error} in the body"))
    if body.iis_substatus is not None:
        hints.append(Hint("body", f"IIS detailed error HTTP {body.iis_substatus}"))
    if body.json_fields:
        hints.append(Hint("body", "JSON " + "; ".join(f"{k}: {v}" for k, v in body.json_fields)))
    if body.title is not None:
        hints.append(Hint("body", f"page title: {body.title}"))
    if body.text_line is not None and not body.json_fields and body.cloudflare_error is None:
        hints.append(Hint("body", f"text: {body.text_line}"))
    return hints
