"""Hints from a probe result (headers and body sample), as tables over hand-built ProbeResults.

CASES is the shared set of results; test_explain and tests/render/test_probe_render use it too.
"""

from __future__ import annotations

from typing import Final

import pytest

from bot.probe.hints import (
    CUT,
    HINT_CHARS,
    Layer,
    clean,
    derive_hints,
    describe_retry_after,
    hints_for,
    parse_challenges,
    plain,
    read_evidence,
)
from bot.probe.outcome import Outcome
from bot.probe.result import Hint, Hop, ProbeResult, Timings, TlsInfo

Headers = tuple[tuple[str, str], ...]

HOSTILE: Final = "<!channel> <!here> <@U123> <!subteam^S1>"
HOSTILE_LINK: Final = "<https://evil.example|click here>"
CF_RAY: Final = "8a1b2c3d4e5f6a7b-LHR"


def hop(
    url: str,
    status: int | None,
    reason: str = "",
    headers: Headers = (),
    address: str | None = "93.184.215.14",
    elapsed_ms: float = 84.0,
) -> Hop:
    return Hop(url, status, reason, headers, address, elapsed_ms)


def result(url: str, outcome: Outcome, *hops: Hop, **fields: object) -> ProbeResult:
    return ProbeResult(url, outcome, str(fields.pop("reason", "")), hops, **fields)  # type: ignore[arg-type]


TLS_OK: Final = TlsInfo(
    version="TLSv1.3",
    cipher="TLS_AES_256_GCM_SHA384",
    issuer="WE1 (Google Trust Services)",
    subject="www.example.com",
    san=("www.example.com", "example.com"),
    not_after="2025-09-01",
    days_left=80,
    hostname_matches=True,
)
FULL_TIMINGS: Final = Timings(dns_ms=3.1, connect_ms=10.4, tls_ms=22.5, ttfb_ms=80.2, total_ms=84.0)

S3_BODY: Final = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>Access Denied</Message>'
    b"<RequestId>4442587FB7D0A2F9</RequestId><HostId>vlR7PnpV2Ce81l0PRw6jlUpck7Jo5ZsQjryTjKlc5aLWGVHPZLj5NeC6qMa0"
    b"emYBDXOo6QBU0Wo=</HostId></Error>"
)

CASES: Final[dict[str, ProbeResult]] = {
    "ok-cloudflare": result(
        "https://www.example.com/",
        Outcome.OK,
        hop(
            "https://www.example.com/",
            200,
            "OK",
            (
                ("Date", "Mon, 23 Jun 2025 10:00:00 GMT"),
                ("Content-Type", "text/html; charset=utf-8"),
                ("Server", "cloudflare"),
                ("CF-RAY", CF_RAY),
                ("cf-cache-status", "HIT"),
                ("Age", "1375"),
                ("Cache-Control", "public, max-age=3600"),
                ("Strict-Transport-Security", "max-age=31536000; includeSubDomains; preload"),
            ),
            address="104.16.132.229",
        ),
        timings=FULL_TIMINGS,
        tls=TLS_OK,
        body_bytes=1256,
        body_sample=b"<!doctype html><html><head><title>Example Domain</title></head><body>...",
        where="eu-west-1",
    ),
    "cloudflare-challenge": result(
        "https://shop.example.com/api/cart",
        Outcome.OK,
        hop(
            "https://shop.example.com/api/cart",
            403,
            "Forbidden",
            (
                ("Content-Type", "text/html; charset=UTF-8"),
                ("Server", "cloudflare"),
                ("cf-ray", CF_RAY),
                ("cf-mitigated", "challenge"),
                ("Cache-Control", "private, max-age=0, no-store, no-cache, must-revalidate"),
            ),
            address="104.16.132.229",
        ),
        timings=FULL_TIMINGS,
        tls=TLS_OK._replace(subject="shop.example.com", san=("shop.example.com",)),
        body_bytes=5380,
        body_sample=b"<!DOCTYPE html><html lang='en-US'><head><title>Just a moment...</title>",
        where="eu-west-1",
    ),
    "s3-denied": result(
        "https://assets.example.com/private/report.pdf",
        Outcome.OK,
        hop(
            "https://assets.example.com/private/report.pdf",
            403,
            "Forbidden",
            (
                ("x-amz-request-id", "4442587FB7D0A2F9"),
                ("x-amz-id-2", "vlR7PnpV2Ce81l0PRw6jlUpck7Jo5ZsQjryTjKlc5aLWGVHPZLj5NeC6qMa0emYBDXOo6QBU0Wo="),
                ("Content-Type", "application/xml"),
                ("Server", "AmazonS3"),
            ),
            address="52.216.8.123",
        ),
        timings=FULL_TIMINGS,
        tls=TLS_OK._replace(issuer="Amazon RSA 2048 M02", subject="*.s3.amazonaws.com", not_after="2026-01-30"),
        body_bytes=len(S3_BODY),
        body_sample=S3_BODY,
    ),
    "retry-after-503": result(
        "https://status.example.com/",
        Outcome.OK,
        hop(
            "https://status.example.com/",
            503,
            "Service Unavailable",
            (("Server", "nginx/1.25.3"), ("Content-Type", "text/html"), ("Retry-After", "120")),
        ),
        timings=FULL_TIMINGS,
        tls=TLS_OK._replace(days_left=9, not_after="2025-07-02"),
        body_bytes=180,
        body_sample=b"<html><head><title>Down for maintenance</title></head><body>Back soon.</body></html>",
        where="eu-west-1",
    ),
    "redirect-chain": result(
        "http://example.com/docs",
        Outcome.OK,
        hop("http://example.com/docs", 301, "Moved Permanently", (("Location", "https://example.com/docs"),)),
        hop("https://example.com/docs", 302, "Found", (("Location", "/docs/"),), elapsed_ms=61.0),
        hop(
            "https://example.com/docs/",
            200,
            "OK",
            (("Server", "nginx/1.25.3"), ("Content-Type", "text/html"), ("Cache-Control", "no-cache")),
            elapsed_ms=55.5,
        ),
        timings=Timings(dns_ms=1.0, connect_ms=9.8, tls_ms=20.1, ttfb_ms=52.3, total_ms=200.5),
        tls=TLS_OK._replace(subject="example.com"),
        body_bytes=4096,
        body_sample=b"<html><head><title>Docs</title></head>",
    ),
    "refuse-metadata": result(
        "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
        Outcome.REFUSE_ADDR,
        reason="169.254.169.254 is cloud metadata (link-local 169.254.0.0/16, never probed)",
        where="eu-west-1",
    ),
    "timeout": result(
        "https://slow.example.com/report",
        Outcome.TIMEOUT,
        reason="no complete response within the 10 s budget",
        timings=Timings(dns_ms=12.0, connect_ms=31.5, tls_ms=44.2, ttfb_ms=None, total_ms=10000.0),
    ),
    "tls-expired": result(
        "https://expired.example.com/",
        Outcome.ERROR_TLS,
        reason="certificate verify failed: certificate has expired",
        timings=Timings(dns_ms=4.0, connect_ms=12.0, total_ms=30.0),
        tls=TlsInfo(
            issuer="R11 (Let's Encrypt)",
            subject="expired.example.com",
            san=("expired.example.com",),
            not_after="2025-05-24",
            days_left=-30,
            hostname_matches=True,
            problem="certificate has expired",
        ),
    ),
    "truncated": result(
        "https://downloads.example.com/images/debian.iso",
        Outcome.TRUNCATED,
        hop(
            "https://downloads.example.com/images/debian.iso",
            200,
            "OK",
            (
                ("Server", "Apache/2.4.58 (Ubuntu)"),
                ("Content-Length", "5368709120"),
                ("Content-Type", "application/octet-stream"),
                ("Accept-Ranges", "bytes"),
            ),
        ),
        reason="the body is longer than the 256 KiB the probe reads",
        timings=Timings(dns_ms=2.0, connect_ms=8.0, tls_ms=18.0, ttfb_ms=40.0, total_ms=310.0),
        tls=TLS_OK._replace(subject="downloads.example.com"),
        body_bytes=262_144,
        body_sample=b"\x00" * 4096,
    ),
}

HOSTILE_HEADERS: Final[Headers] = (
    ("Server", HOSTILE),
    ("X-Evil", HOSTILE),
    ("Via", f"1.1 {HOSTILE}"),
    ("cf-ray", HOSTILE_LINK),
    ("Retry-After", HOSTILE),
    ("WWW-Authenticate", f'Bearer realm="{HOSTILE}", error="invalid_token", error_description="{HOSTILE_LINK}"'),
    ("Location", f"https://example.com/{HOSTILE}`code`/" + "x" * 5000),
    ("Strict-Transport-Security", f"max-age={HOSTILE}"),
    ("Cache-Control", HOSTILE + "\x1b[31m\u202e\u200b"),
    ("Content-Type", "text/html"),
)
HOSTILE_REASON: Final = (HOSTILE + " ") * 300  # about 12 KiB
HOSTILE_BODY: Final = (
    f"<html><head><title>{HOSTILE} &lt;!everyone&gt; {HOSTILE_LINK}</title></head>"
    f"<Error><Code>{HOSTILE}</Code><Message>{HOSTILE_LINK}</Message></Error>"
).encode()


def hostile_result() -> ProbeResult:
    """Every server-supplied field holds mention syntax; the reason phrase is over 10 KiB."""
    return result(
        f"https://evil.example/{HOSTILE_LINK}",
        Outcome.OK,
        hop(f"https://evil.example/{HOSTILE_LINK}", 401, HOSTILE_REASON, HOSTILE_HEADERS),
        timings=FULL_TIMINGS,
        tls=TLS_OK._replace(issuer=HOSTILE, not_after=HOSTILE_LINK),
        body_bytes=len(HOSTILE_BODY),
        body_sample=HOSTILE_BODY,
        where=HOSTILE,
    )


def texts(hints: tuple[Hint, ...], kind: str) -> list[str]:
    return [h.text for h in hints if h.kind == kind]


# -- the shared cases ----------------------------------------------------------------------------


EXPECTED_HINTS: Final[dict[str, list[tuple[str, str]]]] = {
    "ok-cloudflare": [
        ("layer", f"answered by Cloudflare (server: cloudflare, cf-ray: {CF_RAY}, cf-cache-status: HIT)"),
        ("hsts", "HSTS max-age 31536000 s (about 365 days), includeSubDomains, preload"),
        ("cache", "cache hit: cf-cache-status: HIT; age: 1375; cache-control: public, max-age=3600"),
        ("body", "page title: Example Domain"),
    ],
    "cloudflare-challenge": [
        ("layer", f"answered by Cloudflare (server: cloudflare, cf-ray: {CF_RAY}, cf-mitigated: challenge)"),
        ("cache", "caching: cache-control: private, max-age=0, no-store, no-cache, must-revalidate"),
        ("body", "page title: Just a moment..."),
    ],
    "s3-denied": [
        ("layer", "answered by Amazon S3 (server: AmazonS3, x-amz-request-id: 4442587FB7D0A2F9)"),
        ("body", "S3 error code AccessDenied (Access Denied)"),
    ],
    "retry-after-503": [
        ("layer", "answered by nginx (server: nginx/1.25.3)"),
        ("retry-after", "Retry-After: 120 (retry in about 2 minutes)"),
        ("body", "page title: Down for maintenance"),
    ],
    "redirect-chain": [
        ("layer", "answered by nginx (server: nginx/1.25.3)"),
        ("cache", "caching: cache-control: no-cache"),
        ("body", "page title: Docs"),
    ],
    "refuse-metadata": [],
    "timeout": [],
    "tls-expired": [],
    "truncated": [("layer", "answered by Apache httpd (server: Apache/2.4.58 (Ubuntu))")],
}


def test_every_case_has_expected_hints() -> None:
    assert set(EXPECTED_HINTS) == set(CASES)


@pytest.mark.parametrize("case", sorted(CASES))
def test_hints_of_each_case(case: str) -> None:
    assert [(h.kind, h.text) for h in derive_hints(CASES[case])] == EXPECTED_HINTS[case]


@pytest.mark.parametrize("case", sorted(CASES))
def test_hints_are_pure_and_json_ready(case: str) -> None:
    first = derive_hints(CASES[case])
    assert first == derive_hints(CASES[case])
    assert all(h.to_dict()["text"] == h.text for h in first)


def test_redirect_chain_reads_the_final_hop_only() -> None:
    hints = derive_hints(CASES["redirect-chain"])
    assert texts(hints, "location") == []


def test_a_refused_redirect_reports_the_last_hop_that_answered() -> None:
    probe = result(
        "https://www.example.com/",
        Outcome.REFUSE_ADDR,
        hop("https://www.example.com/", 302, "Found", (("Location", "http://169.254.169.254/latest/"),)),
        hop("http://169.254.169.254/latest/", None, address=None, elapsed_ms=0.0),
        reason="169.254.169.254 is cloud metadata",
    )
    assert texts(derive_hints(probe), "location") == ["Location: http://169.254.169.254/latest/"]


def test_runner_hints_are_kept_after_derived_ones_without_duplicates() -> None:
    probe = CASES["retry-after-503"]
    derived = derive_hints(probe)
    extra = Hint("where", "probed from eu-west-1")
    merged = hints_for(probe._replace(hints=(derived[0], extra)))
    assert merged == (*derived, extra)


# -- layers --------------------------------------------------------------------------------------

LAYER_ROWS: Final = [
    pytest.param((("Server", "cloudflare"),), Layer.CLOUDFLARE, "server: cloudflare", id="cloudflare-server"),
    pytest.param((("CF-Ray", CF_RAY),), Layer.CLOUDFLARE, f"cf-ray: {CF_RAY}", id="cloudflare-ray"),
    pytest.param((("cf-mitigated", "challenge"),), Layer.CLOUDFLARE, "cf-mitigated: challenge", id="cloudflare-mit"),
    pytest.param(
        (("cf-cache-status", "DYNAMIC"),), Layer.CLOUDFLARE, "cf-cache-status: DYNAMIC", id="cloudflare-cache"
    ),
    pytest.param((("X-Amz-Cf-Id", "abc=="),), Layer.CLOUDFRONT, "x-amz-cf-id: abc==", id="cloudfront-id"),
    pytest.param(
        (("Via", "1.1 f2a9.cloudfront.net (CloudFront)"),),
        Layer.CLOUDFRONT,
        "via: 1.1 f2a9.cloudfront.net (CloudFront)",
        id="cloudfront-via",
    ),
    pytest.param(
        (("X-Cache", "Error from cloudfront"),), Layer.CLOUDFRONT, "x-cache: Error from cloudfront", id="cloudfront-xc"
    ),
    pytest.param((("Server", "awselb/2.0"),), Layer.ALB, "server: awselb/2.0", id="alb"),
    pytest.param((("x-amzn-RequestId", "r-1"),), Layer.API_GATEWAY, "x-amzn-requestid: r-1", id="apigw-request"),
    pytest.param(
        (("x-amzn-ErrorType", "ForbiddenException"),),
        Layer.API_GATEWAY,
        "x-amzn-errortype: ForbiddenException",
        id="apigw-errortype",
    ),
    pytest.param((("x-amz-apigw-id", "Z1="),), Layer.API_GATEWAY, "x-amz-apigw-id: Z1=", id="apigw-id"),
    pytest.param((("x-amz-request-id", "4442"),), Layer.S3, "x-amz-request-id: 4442", id="s3-request"),
    pytest.param((("Server", "AmazonS3"),), Layer.S3, "server: AmazonS3", id="s3-server"),
    pytest.param(
        (("X-Served-By", "cache-lhr7321-LHR"),), Layer.FASTLY, "x-served-by: cache-lhr7321-LHR", id="fastly-served"
    ),
    pytest.param((("X-Fastly-Request-ID", "f1"),), Layer.FASTLY, "x-fastly-request-id: f1", id="fastly-id"),
    pytest.param((("Server", "AkamaiGHost"),), Layer.AKAMAI, "server: AkamaiGHost", id="akamai"),
    pytest.param((("Server", "gws"),), Layer.GOOGLE, "server: gws", id="google-gws"),
    pytest.param((("Server", "Google Frontend"),), Layer.GOOGLE, "server: Google Frontend", id="google-frontend"),
    pytest.param((("Via", "1.1 google"),), Layer.GOOGLE, "via: 1.1 google", id="google-via"),
    pytest.param((("X-Azure-Ref", "0abc"),), Layer.AZURE_FRONT_DOOR, "x-azure-ref: 0abc", id="azure-fd"),
    pytest.param((("Server", "nginx/1.25.3"),), Layer.NGINX, "server: nginx/1.25.3", id="nginx"),
    pytest.param((("Server", "openresty"),), Layer.NGINX, "server: openresty", id="openresty"),
    pytest.param((("Server", "Apache/2.4.58"),), Layer.APACHE, "server: Apache/2.4.58", id="apache"),
    pytest.param((("Server", "Microsoft-IIS/10.0"),), Layer.IIS, "server: Microsoft-IIS/10.0", id="iis"),
    pytest.param((("Server", "envoy"),), Layer.ENVOY, "server: envoy", id="envoy-server"),
    pytest.param(
        (("x-envoy-upstream-service-time", "12"),),
        Layer.ENVOY,
        "x-envoy-upstream-service-time: 12",
        id="envoy-upstream-time",
    ),
    pytest.param((("x-vercel-id", "fra1::abc"),), Layer.VERCEL, "x-vercel-id: fra1::abc", id="vercel"),
    pytest.param((("x-nf-request-id", "01J"),), Layer.NETLIFY, "x-nf-request-id: 01J", id="netlify"),
    pytest.param((("Via", "1.1 vegur"),), Layer.HEROKU, "via: 1.1 vegur", id="heroku"),
    pytest.param((("Via", "1.1 varnish"),), Layer.PROXY, "via: 1.1 varnish", id="via-generic"),
    pytest.param((("X-Cache", "HIT"),), Layer.PROXY, "x-cache: HIT", id="x-cache-generic"),
    pytest.param((("Server", "LiteSpeed"),), Layer.SERVER, "server: LiteSpeed", id="other-server"),
]


@pytest.mark.parametrize(("headers", "layer", "proof"), LAYER_ROWS)
def test_layer_is_named_with_its_evidence(headers: Headers, layer: Layer, proof: str) -> None:
    evidence = read_evidence(result("https://x.example/", Outcome.OK, hop("https://x.example/", 200, "OK", headers)))
    assert [(found, proofs) for found, proofs in evidence.layers] == [(layer, (proof,))]
    [first] = texts(
        derive_hints(result("https://x.example/", Outcome.OK, hop("https://x.example/", 200, "OK", headers))), "layer"
    )
    assert first == f"answered by {layer.value} ({proof})"


NO_LAYER_ROWS: Final = [
    pytest.param((("X-Served-By", "app-server-3"),), id="x-served-by-not-fastly"),
    pytest.param((("Content-Type", "text/html"),), id="nothing"),
    pytest.param((("x-amzn-trace-id", "Root=1-abc"),), id="trace-id-alone"),
]


@pytest.mark.parametrize("headers", NO_LAYER_ROWS)
def test_headers_that_name_no_layer(headers: Headers) -> None:
    probe = result("https://x.example/", Outcome.OK, hop("https://x.example/", 200, "OK", headers))
    assert read_evidence(probe).layers == ()


def test_layers_come_outermost_first_and_the_rest_are_on_the_path() -> None:
    headers = (
        ("Server", "AmazonS3"),
        ("x-amz-request-id", "4442"),
        ("X-Cache", "Miss from cloudfront"),
        ("Via", "1.1 f2a9.cloudfront.net (CloudFront)"),
        ("X-Amz-Cf-Id", "abc=="),
    )
    hints = derive_hints(result("https://x.example/", Outcome.OK, hop("https://x.example/", 200, "OK", headers)))
    assert texts(hints, "layer") == [
        "answered by Amazon CloudFront (x-amz-cf-id: abc==, via: 1.1 f2a9.cloudfront.net (CloudFront), "
        "x-cache: Miss from cloudfront)",
        "also on the path: Amazon S3 (server: AmazonS3, x-amz-request-id: 4442)",
    ]
    assert texts(hints, "cache") == ["cache miss: x-cache: Miss from cloudfront"]


# -- header hints --------------------------------------------------------------------------------

HEADER_ROWS: Final = [
    pytest.param(("Retry-After", "1"), "retry-after", "Retry-After: 1 (retry in 1 second)", id="retry-1s"),
    pytest.param(("Retry-After", "7200"), "retry-after", "Retry-After: 7200 (retry in about 2 hours)", id="retry-2h"),
    pytest.param(
        ("Retry-After", "Wed, 21 Oct 2015 07:28:00 GMT"),
        "retry-after",
        "Retry-After: Wed, 21 Oct 2015 07:28:00 GMT (retry after 2015-10-21 07:28:00 UTC)",
        id="retry-date",
    ),
    pytest.param(
        ("Retry-After", "soon"),
        "retry-after",
        "Retry-After: soon (neither a delay in seconds nor an HTTP date, RFC 9110 §10.2.3)",
        id="retry-garbage",
    ),
    pytest.param(
        ("WWW-Authenticate", 'Bearer realm="api", error="invalid_token", error_description="The token expired"'),
        "auth",
        'www-authenticate: asks for Bearer, realm "api", error invalid_token: The token expired',
        id="bearer-error",
    ),
    pytest.param(
        ("WWW-Authenticate", 'Basic realm="Staff, only", charset="UTF-8"'),
        "auth",
        'www-authenticate: asks for Basic, realm "Staff, only"',
        id="basic-comma-in-realm",
    ),
    pytest.param(
        ("Proxy-Authenticate", "Negotiate"), "auth", "proxy-authenticate: asks for Negotiate", id="proxy-negotiate"
    ),
    pytest.param(
        ("Location", "https://example.com/next"), "location", "Location: https://example.com/next", id="location-abs"
    ),
    pytest.param(
        ("Location", "/login?next=%2F"),
        "location",
        "Location: /login?next=%2F (relative to the request URL)",
        id="location-relative",
    ),
    pytest.param(
        ("Refresh", "0;url=http://169.254.169.254/"),
        "location",
        "Refresh: 0;url=http://169.254.169.254/ (reported, never followed)",
        id="refresh",
    ),
    pytest.param(
        ("Strict-Transport-Security", "max-age=0"),
        "hsts",
        "HSTS max-age=0: browsers forget this host's HSTS policy",
        id="hsts-zero",
    ),
    pytest.param(
        ("Strict-Transport-Security", "includeSubDomains"),
        "hsts",
        "HSTS without a valid max-age (includeSubDomains), ignored by browsers (RFC 6797 §6.1.1)",
        id="hsts-no-max-age",
    ),
    pytest.param(("Age", "30"), "cache", "cache hit: age: 30", id="age-hit"),
    pytest.param(("Age", "0"), "cache", "caching: age: 0", id="age-zero"),
    pytest.param(("X-Cache", "TCP_MISS from a"), "cache", "cache miss: x-cache: TCP_MISS from a", id="x-cache-miss"),
]


@pytest.mark.parametrize(("header", "kind", "text"), HEADER_ROWS)
def test_header_hint(header: tuple[str, str], kind: str, text: str) -> None:
    probe = result("https://x.example/", Outcome.OK, hop("https://x.example/", 200, "OK", (header,)))
    assert texts(derive_hints(probe), kind) == [text]


def test_hsts_over_plain_http_is_ignored_by_browsers() -> None:
    header = ("Strict-Transport-Security", "max-age=600")
    probe = result("http://x.example/", Outcome.OK, hop("http://x.example/", 200, "OK", (header,)))
    assert texts(derive_hints(probe), "hsts") == [
        "HSTS max-age 600 s (about 0 days); sent over plain http, where browsers ignore it (RFC 6797 §8.1)"
    ]


CHALLENGE_ROWS: Final = [
    pytest.param("Basic", [("Basic", ())], id="bare-scheme"),
    pytest.param('Basic realm="a, b"', [("Basic", (("realm", "a, b"),))], id="comma-in-quotes"),
    pytest.param('Negotiate, Basic realm="x"', [("Negotiate", ()), ("Basic", (("realm", "x"),))], id="two-challenges"),
    pytest.param(
        'Bearer realm="r", error="invalid_token", scope="a b"',
        [("Bearer", (("realm", "r"), ("error", "invalid_token"), ("scope", "a b")))],
        id="bearer-params",
    ),
    pytest.param(r'Digest realm="say \"hi\""', [("Digest", (("realm", 'say "hi"'),))], id="escaped-quote"),
    pytest.param('realm="orphan"', [], id="param-without-scheme"),
    pytest.param("", [], id="empty"),
]


@pytest.mark.parametrize(("value", "expected"), CHALLENGE_ROWS)
def test_parse_challenges(value: str, expected: list[tuple[str, tuple[tuple[str, str], ...]]]) -> None:
    assert [(c.scheme, c.params) for c in parse_challenges(value)] == expected


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("0", "retry in 0 seconds"),
        ("119", "retry in 119 seconds"),
        ("120", "retry in about 2 minutes"),
        ("172799", "retry in about 48 hours"),
        ("172800", "retry in about 2 days"),
        ("-5", "neither a delay in seconds nor an HTTP date, RFC 9110 §10.2.3"),
        ("9" * 40, "neither a delay in seconds nor an HTTP date, RFC 9110 §10.2.3"),
    ],
)
def test_describe_retry_after(value: str, words: str) -> None:
    assert describe_retry_after(value) == words


# -- body markers --------------------------------------------------------------------------------

BODY_ROWS: Final = [
    pytest.param((("Server", "AmazonS3"),), S3_BODY, "S3 error code AccessDenied (Access Denied)", id="s3-xml"),
    pytest.param(
        (("Content-Type", "application/xml"),),
        b"<Error><Code>NoSuchKey</Code></Error>",
        "XML error code NoSuchKey",
        id="xml-without-s3",
    ),
    pytest.param(
        (("Server", "cloudflare"), ("Content-Type", "text/html")),
        b"<title>Access denied | shop.example.com used Cloudflare to restrict access</title>"
        b'<span class="cf-error-code">1020</span>',
        "Cloudflare error 1020 in the body",
        id="cloudflare-1020-span",
    ),
    pytest.param(
        (("Server", "cloudflare"), ("Content-Type", "text/plain")),
        b"error code: 1015",
        "Cloudflare error 1015 in the body",
        id="cloudflare-1015-text",
    ),
    pytest.param(
        (("Server", "cloudflare"),),
        b"<h1>Error 522</h1> Connection timed out",
        "Cloudflare error 522 in the body",
        id="cloudflare-522",
    ),
    pytest.param(
        (("Content-Type", "application/json"),),
        b'{"error": "invalid_token", "message": "The access token expired", "code": 401}',
        "JSON error: invalid_token; code: 401; message: The access token expired",
        id="json",
    ),
    pytest.param(
        (("Content-Type", "application/json"),),
        b'{"error": {"code": 403, "message": "The caller does not have permission", "status": "PERMISSION_DENIED"}}',
        "JSON error.code: 403; error.status: PERMISSION_DENIED; error.message: The caller does not have permission",
        id="json-google-nested",
    ),
    pytest.param(
        (("Content-Type", "application/json"),),
        b'{"errorType": "Function.ResponseSizeTooLarge", "message": "Response payload size exceeded" ' + b"x" * 50,
        "JSON errorType: Function.ResponseSizeTooLarge; message: Response payload size exceeded",
        id="json-cut-off-read-by-regex",
    ),
    pytest.param(
        (("Content-Type", "text/html"),),
        b"<HTML><HEAD><TITLE>502 Bad Gateway</TITLE></HEAD>",
        "page title: 502 Bad Gateway",
        id="title-upper-case",
    ),
    pytest.param(
        (("Content-Type", "text/html"),),
        b"<title>Caf&eacute; &amp; bar</title>",
        "page title: Café & bar",
        id="title-entities",
    ),
    pytest.param(
        (("Server", "Microsoft-IIS/10.0"),),
        b"<title>IIS 10.0 Detailed Error - 403.14 - Forbidden</title><h3>HTTP Error 403.14 - Forbidden</h3>",
        "IIS detailed error HTTP 403.14",
        id="iis-substatus",
    ),
    pytest.param(
        (("Server", "envoy"), ("Content-Type", "text/plain")),
        b"no healthy upstream",
        "text: no healthy upstream",
        id="envoy-text",
    ),
]


@pytest.mark.parametrize(("headers", "body", "text"), BODY_ROWS)
def test_body_marker(headers: Headers, body: bytes, text: str) -> None:
    probe = result("https://x.example/", Outcome.OK, hop("https://x.example/", 403, "", headers), body_sample=body)
    assert text in texts(derive_hints(probe), "body")


def test_cloudflare_numbers_need_cloudflare_evidence() -> None:
    probe = result(
        "https://x.example/", Outcome.OK, hop("https://x.example/", 500, "", ()), body_sample=b"Error 1020 in our app"
    )
    assert read_evidence(probe).body.cloudflare_error is None


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"[" * 20_000 + b"]" * 20_000, id="deep-json"),
        pytest.param(b"{" + b'"a":' * 5000, id="broken-json"),
        pytest.param(b"<title" + b"x" * 100_000, id="unclosed-title"),
        pytest.param(b"<Code>" * 10_000, id="xml-soup"),
        pytest.param(bytes(range(256)) * 64, id="binary"),
        pytest.param("ü".encode()[:1] * 100, id="bad-utf8"),
    ],
)
def test_hostile_bodies_give_bounded_plain_hints(body: bytes) -> None:
    headers = (("Content-Type", "application/json"), ("Server", "cloudflare"))
    probe = result("https://x.example/", Outcome.OK, hop("https://x.example/", 500, "", headers), body_sample=body)
    for hint in derive_hints(probe):
        assert len(hint.text) <= HINT_CHARS
        assert hint.text == clean(hint.text)


# -- plain text ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain", "plain"),
        ("\x1b[31mred\x1b[0m", "[31mred[0m"),
        ("a\u200bb\u202ec\u00adD\ufeff", "abcD"),
        ("line\r\nbreak\tand\x00nul", "line break andnul"),
        ("para\u2029sep\u2028line", "para sep line"),
        ("  many   spaces  ", "many spaces"),
    ],
)
def test_clean_strips_cc_and_cf(text: str, expected: str) -> None:
    assert clean(text) == expected


def test_plain_cuts_visibly_within_the_limit() -> None:
    short = plain("word " * 10)
    assert short == ("word " * 10).strip()
    long = plain("word " * 1000)
    assert len(long) <= HINT_CHARS and long.endswith(CUT)
    huge = plain("x" * 10_000_000, 50)
    assert len(huge) == 50 and huge.endswith(CUT)
    hidden_tail = plain("a" + "\u200b" * 5000 + "b", 50)
    assert hidden_tail.endswith(CUT)


def test_hostile_server_text_is_plain_and_capped() -> None:
    hints = derive_hints(hostile_result())
    assert hints
    for hint in hints:
        assert len(hint.text) <= HINT_CHARS
        assert hint.text == clean(hint.text)
        assert "\x1b" not in hint.text and "\u202e" not in hint.text
    assert any(CUT in hint.text for hint in hints)
