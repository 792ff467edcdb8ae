"""Which knowledge entry explains a probe, and the notes on what it means for this response (real KB)."""

from __future__ import annotations

from typing import Final

import pytest

from bot.answer import AnswerStatus
from bot.core import Answerer
from bot.probe.explain import EXPIRY_WARNING_DAYS, ProbeExplanation, explain
from bot.probe.outcome import Outcome
from bot.probe.result import ProbeResult, TlsInfo
from tests.probe.test_hints import CASES, CF_RAY, TLS_OK, Headers, hop, hostile_result, result

URL: Final = "https://app.example.com/"


def response(status: int, reason: str = "", headers: Headers = (), body: bytes = b"", **fields: object) -> ProbeResult:
    """A one-hop OK probe of URL."""
    return result(URL, Outcome.OK, hop(URL, status, reason, headers), body_sample=body, **fields)


def entry_id(explanation: ProbeExplanation) -> str | None:
    answer = explanation.answer
    return None if answer is None or answer.primary is None else answer.primary.id


def joined(explanation: ProbeExplanation) -> str:
    return "\n".join(explanation.notes)


# -- the shared cases ----------------------------------------------------------------------------

CASE_ROWS: Final = {
    # case: (entry id, substrings of the notes, start of the first cause shown)
    "ok-cloudflare": ("200", ["A cache served this response"], None),
    "cloudflare-challenge": (
        "403",
        ["Cloudflare's WAF or bot check answered this 403 (cf-mitigated: challenge), not the origin"],
        "A CDN or WAF rule blocked the request",
    ),
    "s3-denied": ("403", ["S3 refused with AccessDenied: the bucket policy"], "An object-store policy refused"),
    "retry-after-503": (
        "503",
        ["retry in about 2 minutes (Retry-After: 120)", "The certificate expires soon: 9 days left (2025-07-02)"],
        "Planned maintenance",
    ),
    "redirect-chain": ("200", ["Followed 2 redirects", "no HSTS header"], None),
    "refuse-metadata": (None, ["cloud metadata endpoint; the probe never connects there"], None),
    "timeout": ("topic-timeout", ["gave up while waiting for the response head"], None),
    "tls-expired": (
        "topic-tls",
        ["The TLS handshake failed: certificate has expired", "The certificate expired 30 days ago (2025-05-24)"],
        "The certificate has expired",
    ),
    "truncated": ("200", ["262,144 bytes read", "the status and headers are complete"], None),
}


def test_every_case_has_an_expected_explanation() -> None:
    assert set(CASE_ROWS) == set(CASES)


@pytest.mark.parametrize("case", sorted(CASE_ROWS))
def test_case_explanation(case: str, answerer: Answerer) -> None:
    expected_id, notes, first_cause = CASE_ROWS[case]
    explanation = explain(CASES[case], answerer)
    assert entry_id(explanation) == expected_id
    for note in notes:
        assert note in joined(explanation)
    if first_cause is not None:
        assert explanation.answer is not None
        assert explanation.answer.entries[0].causes[0].cause.startswith(first_cause)


@pytest.mark.parametrize("case", sorted(CASE_ROWS))
def test_notes_are_plain_and_answers_confident(case: str, answerer: Answerer) -> None:
    explanation = explain(CASES[case], answerer)
    assert all(note.strip() == note and "\n" not in note for note in explanation.notes)
    if explanation.answer is not None:
        assert explanation.answer.status is AnswerStatus.ANSWERED


# -- choosing the entry --------------------------------------------------------------------------

CF: Final[Headers] = (("Server", "cloudflare"), ("cf-ray", CF_RAY))
ALB: Final[Headers] = (("Server", "awselb/2.0"), ("Content-Type", "text/html"))

ENTRY_ROWS: Final = [
    pytest.param(
        response(403, "Forbidden", CF, b"<title>Access denied</title> Error 1020"), "cloudflare-1020", id="cf-1020"
    ),
    pytest.param(response(429, "Too Many Requests", CF, b"error code: 1015"), "cloudflare-1015", id="cf-1015"),
    pytest.param(response(530, "", CF, b"error code: 1016"), "cloudflare-1016", id="cf-1016-on-530"),
    pytest.param(response(403, "Forbidden", CF, b"error code: 1006"), "topic-cloudflare-1xxx", id="cf-1006-topic"),
    pytest.param(response(522, "", CF), "cloudflare-522", id="cf-522-status"),
    pytest.param(response(526, "", CF, b"<h1>Error 526</h1>"), "cloudflare-526", id="cf-526-body"),
    pytest.param(response(502, "Bad Gateway", CF), "502", id="cf-passes-origin-502"),
    pytest.param(response(403, "Forbidden", (), b"Error 1020"), "403", id="1020-without-cloudflare"),
    pytest.param(response(502, "Bad Gateway", ALB), "502", id="alb-502"),
    pytest.param(response(463, "", ALB), "aws-elb-463", id="alb-463"),
    pytest.param(response(464, "", ALB), "aws-elb-464", id="alb-464"),
    pytest.param(response(561, "Unauthorized", ALB), "aws-elb-561", id="alb-561"),
    pytest.param(response(460, "", ALB), "class-4xx", id="alb-460-logs-only"),
    pytest.param(response(463, ""), "class-4xx", id="463-without-alb"),
    pytest.param(response(503, "Loop Detected", (("X-Served-By", "cache-lhr1-LHR"),)), "fastly-503", id="fastly-loop"),
    pytest.param(response(503, "Service Unavailable", (("X-Served-By", "cache-lhr1-LHR"),)), "503", id="fastly-503"),
    pytest.param(response(499, "", (("Server", "nginx"),)), "class-4xx", id="nginx-499-logs-only"),
    pytest.param(response(494, "", (("Server", "nginx"),)), "class-4xx", id="nginx-494-sent-as-400"),
    pytest.param(response(530, ""), "class-5xx", id="530-nobody-named"),
    pytest.param(response(299, ""), "class-2xx", id="299-nobody-named"),
    pytest.param(response(799, ""), None, id="799-out-of-range"),
    pytest.param(
        response(
            403,
            "Forbidden",
            (("Server", "Microsoft-IIS/10.0"),),
            b"<title>IIS 10.0 Detailed Error - 403.14 - Forbidden</title><h3>HTTP Error 403.14 - Forbidden</h3>",
        ),
        "iis-403.14",
        id="iis-403.14",
    ),
    pytest.param(response(404, "Not Found", (("Server", "nginx/1.25.3"),)), "404", id="plain-404"),
    pytest.param(response(418, "I'm a teapot"), "418", id="teapot"),
]


@pytest.mark.parametrize(("probe", "expected"), ENTRY_ROWS)
def test_entry_for_status(probe: ProbeResult, expected: str | None, answerer: Answerer) -> None:
    assert entry_id(explain(probe, answerer)) == expected


OUTCOME_ROWS: Final = [
    pytest.param(Outcome.TIMEOUT, "no answer within 10 s", "topic-timeout", id="timeout"),
    pytest.param(Outcome.ERROR_DNS, "NXDOMAIN", "topic-dns", id="dns"),
    pytest.param(Outcome.ERROR_TLS, "certificate verify failed", "topic-tls", id="tls"),
    pytest.param(Outcome.ERROR_CONNECT, "connection refused", "topic-connection-refused", id="connect-refused"),
    pytest.param(Outcome.ERROR_CONNECT, "connect timed out", "topic-timeout", id="connect-timed-out"),
    pytest.param(Outcome.ERROR_PROTOCOL, "connection reset by peer", "topic-connection-reset", id="protocol-reset"),
    pytest.param(
        Outcome.ERROR_PROTOCOL, "server closed the connection without a response", "topic-empty-reply", id="empty"
    ),
    pytest.param(Outcome.ERROR_PROTOCOL, "both Content-Length and Transfer-Encoding", None, id="protocol-framing"),
    pytest.param(Outcome.REFUSE_SCHEME, "ftp is not http", None, id="refuse-scheme"),
    pytest.param(Outcome.REFUSE_SYNTAX, "whitespace", None, id="refuse-syntax"),
    pytest.param(Outcome.REFUSE_USERINFO, "user info", None, id="refuse-userinfo"),
    pytest.param(Outcome.REFUSE_PORT, "port 22", None, id="refuse-port"),
    pytest.param(Outcome.REFUSE_ADDR, "10.0.0.5 is private", None, id="refuse-addr"),
    pytest.param(Outcome.REFUSE_HOPS, "more than 5 redirects", None, id="refuse-hops"),
    pytest.param(Outcome.DISABLED, "probing is off", None, id="disabled"),
    pytest.param(Outcome.BUSY, "too many probes", None, id="busy"),
]


@pytest.mark.parametrize(("outcome", "reason", "expected"), OUTCOME_ROWS)
def test_entry_for_outcome_without_a_response(
    outcome: Outcome, reason: str, expected: str | None, answerer: Answerer
) -> None:
    explanation = explain(result(URL, outcome, reason=reason), answerer)
    assert entry_id(explanation) == expected
    assert explanation.notes, "every outcome gets at least one plain sentence"


def test_every_outcome_is_explained_with_and_without_hops(answerer: Answerer) -> None:
    with_hop = (hop(URL, 302, "Found", (("Location", "http://10.0.0.5/"),)),)
    for outcome in Outcome:
        for hops in ((), with_hop):
            explanation = explain(result(URL, outcome, *hops, reason="because"), answerer)
            assert explanation.notes or outcome in (Outcome.OK, Outcome.TRUNCATED)
            if outcome.is_refusal:
                assert explanation.answer is None
            if explanation.answer is not None:
                assert explanation.answer.status is AnswerStatus.ANSWERED


def test_protocol_error_after_a_status_explains_that_status(answerer: Answerer) -> None:
    probe = result(URL, Outcome.ERROR_PROTOCOL, hop(URL, 200, "OK"), reason="bad chunk")
    explanation = explain(probe, answerer)
    assert entry_id(explanation) == "200"
    assert "The last response before that was 200" in joined(explanation)


# -- notes ---------------------------------------------------------------------------------------

NOTE_ROWS: Final = [
    pytest.param(
        response(502, "Bad Gateway", ALB),
        "could not get a valid response (refused, reset or malformed) from its targets",
        id="alb-502",
    ),
    pytest.param(response(504, "Gateway Timeout", ALB), "a valid response in time from its targets", id="alb-504"),
    pytest.param(response(503, "Service Unavailable", ALB), "no healthy registered target", id="alb-503"),
    pytest.param(response(463, "", ALB), "its targets never saw the request", id="alb-463"),
    pytest.param(
        response(460, "", ALB),
        "uses 460 only in its logs, so a client never receives it from there",
        id="alb-460",
    ),
    pytest.param(response(530, ""), "Others that use 530: Cloudflare, Edgio, Pantheon, Shopify", id="530-vendors"),
    pytest.param(response(401, "Unauthorized"), "RFC 9110 §15.5.2", id="401-without-challenge"),
    pytest.param(
        response(401, "Unauthorized", (("WWW-Authenticate", 'Bearer error="invalid_token"'),)),
        "rejected the token itself (error=invalid_token",
        id="401-invalid-token",
    ),
    pytest.param(
        response(401, "Unauthorized", (("WWW-Authenticate", 'Basic realm="x"'),)),
        "asks for Basic credentials",
        id="401-basic",
    ),
    pytest.param(response(407, "Proxy Authentication Required"), "RFC 9110 §15.5.8", id="407-without-challenge"),
    pytest.param(response(405, "Method Not Allowed", (("Allow", "POST, OPTIONS"),)), "allows POST, OPTIONS", id="405"),
    pytest.param(response(405, "Method Not Allowed"), "no Allow header, which RFC 9110 §15.5.6", id="405-no-allow"),
    pytest.param(response(302, "Found"), "no Location header, so there is nothing to follow", id="302-no-location"),
    pytest.param(response(429, "Too Many Requests"), "No Retry-After header", id="429-no-retry-after"),
    pytest.param(
        response(503, "Service Unavailable", (("Retry-After", "Fri, 31 Dec 2100 23:59:59 GMT"),)),
        "retry after 2100-12-31 23:59:59 UTC",
        id="503-retry-date",
    ),
    pytest.param(
        response(503, "Service Unavailable", (("Retry-After", "later"),)),
        "Retry-After is present but unreadable (later)",
        id="503-retry-garbage",
    ),
    pytest.param(
        response(403, "Forbidden", CF, b"error code: 1020"),
        f"Cloudflare error 1020: a Cloudflare rule or setting decided this, not the origin. "
        f"The site owner can look it up by the Ray ID (Ray ID {CF_RAY})",
        id="cf-1020",
    ),
    pytest.param(response(522, "", CF), "Cloudflare produced this 522 itself", id="cf-522"),
    pytest.param(response(502, "Bad Gateway", CF), "came through Cloudflare from the origin", id="cf-502"),
    pytest.param(
        response(
            403,
            "Forbidden",
            (("x-amzn-RequestId", "r1"), ("x-amzn-ErrorType", "MissingAuthenticationTokenException")),
            b'{"message":"Missing Authentication Token"}',
        ),
        "for a path or method it has no route for",
        id="apigw-missing-token",
    ),
    pytest.param(
        response(404, "Not Found", (("Server", "AmazonS3"),), b"<Error><Code>NoSuchKey</Code></Error>"),
        "S3 has no object at this key",
        id="s3-no-such-key",
    ),
    pytest.param(
        response(502, "Bad Gateway", (("Server", "nginx"),), b"<title>502 Bad Gateway</title>"),
        "This is nginx's own 502 page",
        id="nginx-502-page",
    ),
    pytest.param(
        response(
            503, "Service Unavailable", (("Server", "envoy"), ("Content-Type", "text/plain")), b"no healthy upstream"
        ),
        "Envoy produced this 503 itself",
        id="envoy-503",
    ),
    pytest.param(response(503, "Service Unavailable", (("Via", "1.1 vegur"),)), "heroku logs", id="heroku-503"),
    pytest.param(
        response(200, "OK", tls=TLS_OK._replace(days_left=EXPIRY_WARNING_DAYS - 1)),
        f"expires soon: {EXPIRY_WARNING_DAYS - 1} days left",
        id="tls-13-days",
    ),
    pytest.param(
        response(200, "OK", tls=TLS_OK._replace(hostname_matches=False, san=("other.example",))),
        "does not cover this host name; it names other.example",
        id="tls-hostname",
    ),
]


@pytest.mark.parametrize(("probe", "note"), NOTE_ROWS)
def test_note(probe: ProbeResult, note: str, answerer: Answerer) -> None:
    assert note in joined(explain(probe, answerer))


def test_no_expiry_note_at_fourteen_days(answerer: Answerer) -> None:
    probe = response(200, "OK", tls=TLS_OK._replace(days_left=EXPIRY_WARNING_DAYS))
    assert "expires soon" not in joined(explain(probe, answerer))


def test_a_refusal_after_a_redirect_names_the_hop(answerer: Answerer) -> None:
    probe = result(
        URL,
        Outcome.REFUSE_ADDR,
        hop(URL, 302, "Found", (("Location", "http://169.254.169.254/latest/meta-data/"),)),
        reason="169.254.169.254 is cloud metadata",
    )
    explanation = explain(probe, answerer)
    assert explanation.answer is None
    assert "The refused URL came from a redirect: hop 1 answered 302" in joined(explanation)


@pytest.mark.parametrize(
    ("where", "expected"),
    [("eu-west-1", "does not resolve from eu-west-1"), (None, "does not resolve from the bot's network")],
)
def test_dns_note_says_where(where: str | None, expected: str, answerer: Answerer) -> None:
    probe = result(URL, Outcome.ERROR_DNS, reason="NXDOMAIN", where=where)
    assert expected in joined(explain(probe, answerer))


def test_tls_failure_without_details(answerer: Answerer) -> None:
    probe = result(URL, Outcome.ERROR_TLS, reason="handshake failure", tls=TlsInfo())
    assert explain(probe, answerer).notes == ("The TLS handshake failed; the probe never retries unverified.",)


def test_hostile_text_in_notes_is_plain_and_capped(answerer: Answerer) -> None:
    explanation = explain(hostile_result(), answerer)
    assert entry_id(explanation) == "401"
    for note in explanation.notes:
        assert "\x1b" not in note and "\u202e" not in note and len(note) < 1000
