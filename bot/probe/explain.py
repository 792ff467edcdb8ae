"""A probe result read against the knowledge base: which entry explains it, and what it means here.

The knowledge base says what a 403 means in general; the probe knows who sent this one. So the
entry is chosen from the evidence (a vendor's own meaning only when the response names the vendor)
and the notes say what the status means for this response: a 403 with `cf-mitigated: challenge`
is Cloudflare's bot check, not the origin. Refusals are not HTTP statuses and get no entry, only
a plain sentence (probe.md §5).
"""

from __future__ import annotations

import re
from typing import NamedTuple

from bot.answer import Answer, AnswerStatus, causes_for_question
from bot.core import Answerer
from bot.knowledge.model import Entry, KnowledgeBase
from bot.knowledge.schema import Kind
from bot.probe.hints import (
    Evidence,
    Layer,
    cache_state,
    describe_retry_after,
    parse_challenges,
    plain,
    read_evidence,
    retry_after_is_valid,
)
from bot.probe.outcome import Outcome
from bot.probe.result import ProbeResult

EXPIRY_WARNING_DAYS = 14
"""A certificate with fewer days left than this gets a note."""


class ProbeExplanation(NamedTuple):
    """The knowledge-base answer for the final status or outcome (None for refusals), and the notes
    that say what it means for this response, most important first. Notes are plain text."""

    answer: Answer | None
    notes: tuple[str, ...]


def explain(result: ProbeResult, answerer: Answerer) -> ProbeExplanation:
    """Choose the entry that explains `result` and write the notes for it.

    Guarantees: never raises for any result; the answer, when present, is ANSWERED (an entry that
    is missing from the knowledge base gives no answer rather than an "unknown" one); refusals,
    DISABLED and BUSY get no answer.
    """
    evidence = read_evidence(result)
    outcome = result.outcome
    if outcome.is_refusal or outcome in (Outcome.DISABLED, Outcome.BUSY):
        return ProbeExplanation(None, tuple(_refusal_notes(result)))
    if outcome in (Outcome.OK, Outcome.TRUNCATED) and evidence.status is not None:
        entry_id, notes = _status_entry(evidence, answerer.kb)
        notes += _status_notes(result, evidence)
        words = _topic_words(evidence) if evidence.status >= 300 else ""
        return ProbeExplanation(_answer(answerer, entry_id, words), tuple(notes))
    entry_id = _outcome_entry(result, evidence)
    words = " ".join(w for w in (result.reason, result.tls.problem if result.tls else None) if w)
    return ProbeExplanation(_answer(answerer, entry_id, words), tuple(_outcome_notes(result, evidence)))


# -- choosing the entry --------------------------------------------------------------------------


_VENDOR_ORIGINS: dict[Layer, str] = {
    Layer.CLOUDFLARE: "Cloudflare",
    Layer.AKAMAI: "Akamai",
    Layer.FASTLY: "Fastly",
    Layer.ALB: "AWS Elastic Load Balancing",
    Layer.NGINX: "nginx",
    Layer.APACHE: "Apache httpd",
    Layer.IIS: "Microsoft IIS",
}


def _status_entry(evidence: Evidence, kb: KnowledgeBase) -> tuple[str | None, list[str]]:
    """The entry id for the final status, and a note when the status is not registered.

    Order: a Cloudflare error number in the body; an IIS substatus in a detailed error page; a
    vendor code from a layer the headers name, when that vendor's entry is one a client can see;
    the IANA entry; the class entry (RFC 9110 §15: an unknown code is read as its class's x00).
    """
    status = evidence.status
    assert status is not None
    body = evidence.body
    if body.cloudflare_error is not None and evidence.has(Layer.CLOUDFLARE):
        vendor = f"cloudflare-{body.cloudflare_error}"
        if vendor in kb.entries:
            return vendor, []
        if body.cloudflare_error.startswith("1") and "topic-cloudflare-1xxx" in kb.entries:
            return "topic-cloudflare-1xxx", []
    if body.iis_substatus is not None and f"iis-{body.iis_substatus}" in kb.entries:
        return f"iis-{body.iis_substatus}", []
    registered = kb.get(str(status))
    reason = evidence.hop.reason if evidence.hop is not None else ""
    for layer, _ in evidence.layers:
        vendor_entry = _vendor_entry(kb, layer, status, reason, registered is not None)
        if vendor_entry is not None:
            return vendor_entry.id, []
    if registered is not None:
        return registered.id, []
    class_id = f"class-{status // 100}xx"
    note = (
        f"{status} is not a registered status code, so it is read as its class (RFC 9110 §15)."
        + _unclaimed_vendors(evidence, kb, status)
        if 100 <= status <= 599
        else f"{status} is outside the range of HTTP status codes (RFC 9110 §15 allows 100-599)."
    )
    return (class_id if class_id in kb.entries else None), [note]


def _unclaimed_vendors(evidence: Evidence, kb: KnowledgeBase, status: int) -> str:
    """Who else uses an unregistered code, and why a named vendor's meaning did not apply."""
    named = [origin for layer, _ in evidence.layers if (origin := _VENDOR_ORIGINS.get(layer))]
    hidden: list[str] = []
    others: set[str] = set()
    for entry in _vendor_entries(kb, status):
        origin = entry.origin or entry.id
        if any(origin.startswith(n) for n in named):
            where = (
                "only in its logs" if entry.visible_to == "logs-only" else f"only internally (sent as {entry.sent_as})"
            )
            hidden.append(f"{origin} uses {status} {where}, so a client never receives it from there.")
        else:
            others.add(origin)
    text = "".join(f" {h}" for h in hidden)
    if others:
        text += f" Others that use {status}: {', '.join(sorted(others))}; none of them is named in this response."
    return text


def _vendor_entry(kb: KnowledgeBase, layer: Layer, status: int, reason: str, registered: bool) -> Entry | None:
    """A vendor entry for `status` from the vendor `layer` names, if a client can ever see it.

    Entries seen only in logs (ALB 460, nginx 499) never reach a client, so a client-side 460 is
    someone else's. A registered code keeps its IANA meaning unless the reason phrase names the
    vendor's variant (Fastly's "503 Loop Detected").
    """
    origin = _VENDOR_ORIGINS.get(layer)
    if origin is None:
        return None
    for entry in _vendor_entries(kb, status):
        if entry.visible_to == "logs-only":
            continue
        if not (entry.origin or "").startswith(origin):
            continue
        if entry.sent_as is not None and entry.sent_as != str(status):
            continue
        if registered and _words(entry.name) != _words(reason):
            continue
        return entry
    return None


def _vendor_entries(kb: KnowledgeBase, status: int) -> list[Entry]:
    """Vendor entries for `status`. Vendor ids end in `-<code>` (knowledge/README.md), so only those
    are loaded: a cached knowledge base unpickles entries on first use."""
    suffix = f"-{status}"
    found = (kb.entries[i] for i in kb.entries if i.endswith(suffix))
    return [e for e in found if e.kind is Kind.VENDOR and e.code == str(status)]


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def _outcome_entry(result: ProbeResult, evidence: Evidence) -> str | None:
    """The topic that explains an outcome without a usable status (probe.md §5)."""
    reason = result.reason.lower()
    if result.outcome is Outcome.TIMEOUT:
        return "topic-timeout"
    if result.outcome is Outcome.ERROR_DNS:
        return "topic-dns"
    if result.outcome is Outcome.ERROR_TLS:
        return "topic-tls"
    if result.outcome is Outcome.ERROR_CONNECT:
        return "topic-timeout" if "timed out" in reason or "timeout" in reason else "topic-connection-refused"
    if result.outcome is Outcome.ERROR_PROTOCOL:
        if "reset" in reason:
            return "topic-connection-reset"
        if any(w in reason for w in ("empty", "closed", "no response", "without a response", "disconnected")):
            return "topic-empty-reply"
        return None if evidence.status is None else str(evidence.status)
    return None


def _answer(answerer: Answerer, entry_id: str | None, topic_words: str) -> Answer | None:
    """The entry's answer with the causes that fit the evidence first (S3 evidence puts the
    object-store cause of 403 on top); None when the entry is not in the knowledge base.

    The answer's own notes are dropped: they only list other products' meanings of the code
    ("503 also means: Loop Detected (Fastly)"), and the probe has already read who answered.
    """
    if entry_id is None or entry_id not in answerer.kb.entries:
        return None
    answer = answerer.answer_entry(entry_id)
    if answer.status is not AnswerStatus.ANSWERED or not answer.entries:
        return None
    primary = causes_for_question(answer.entries[0], topic_words) if topic_words else answer.entries[0]
    return answer._replace(entries=(primary, *answer.entries[1:]), notes=())


_GENERAL_LAYERS = frozenset({Layer.SERVER, Layer.PROXY, Layer.NGINX, Layer.APACHE, Layer.IIS, Layer.ENVOY})


def _topic_words(evidence: Evidence) -> str:
    """Words naming what the response showed, for ordering causes: platforms, body codes and messages.

    General server software (nginx, Apache, IIS, Envoy) is left out: it answers for every kind of
    failure, so its name would only favour the causes that happen to mention it.
    """
    words = [layer.value for layer, _ in evidence.layers if layer not in _GENERAL_LAYERS]
    body = evidence.body
    words += [text for text in (body.title, body.xml_message, body.text_line) if text]
    words += [value for _, value in body.json_fields]
    if evidence.has(Layer.CLOUDFLARE) and evidence.header("cf-mitigated"):
        words.append("WAF bot challenge")
    if evidence.body.xml_code is not None and (evidence.has(Layer.S3) or evidence.has(Layer.CLOUDFRONT)):
        words += ["bucket", "policy", evidence.body.xml_code]
    return " ".join(words)


# -- notes for a response --------------------------------------------------------------------------


_S3_CODES = {
    "AccessDenied": (
        "S3 refused with AccessDenied: the bucket policy, an IAM policy or the object's ACL denies this "
        "anonymous request. S3 also says AccessDenied for a missing key when the caller may not list the bucket."
    ),
    "NoSuchKey": "S3 has no object at this key: check the path, its case and any prefix.",
    "NoSuchBucket": "The bucket does not exist (deleted, or a typo in the bucket name).",
    "AllAccessDisabled": "All access to this S3 object or bucket has been disabled.",
    "SignatureDoesNotMatch": "S3 rejected the request signature: wrong secret, or the URL changed after signing.",
    "RequestTimeTooSkewed": "The signing clock is off by more than 15 minutes from S3's.",
    "ExpiredToken": "The security token in the presigned URL or request has expired.",
    "InvalidAccessKeyId": "S3 does not know the access key the request was signed with.",
    "PermanentRedirect": "The bucket lives in another region: use that region's endpoint.",
    "SlowDown": "S3 is throttling requests to this prefix: back off and retry.",
}


def _status_notes(result: ProbeResult, evidence: Evidence) -> list[str]:
    """What the status means for this response: who decided, then the status, retry, TLS, size."""
    status = evidence.status
    assert status is not None
    notes = _who_decided(evidence, status)
    notes += _status_rules(evidence, status)
    notes += _redirect_notes(result, evidence)
    notes += _tls_notes(result)
    if result.outcome is Outcome.TRUNCATED:
        notes.append(
            f"The body is longer than the probe reads ({result.body_bytes:,} bytes read); "
            "the status and headers are complete."
        )
    state = cache_state(evidence)
    if state == "hit" and status < 400:
        notes.append("A cache served this response; the origin was not asked and may answer differently.")
    return notes


def _who_decided(evidence: Evidence, status: int) -> list[str]:
    notes: list[str] = []
    mitigated = evidence.header("cf-mitigated")
    cf_error = evidence.body.cloudflare_error
    ray = evidence.header("cf-ray")
    ray_text = f" (Ray ID {plain(ray, 40)})" if ray else ""
    if evidence.has(Layer.CLOUDFLARE):
        if mitigated is not None:
            notes.append(
                f"Cloudflare's WAF or bot check answered this {status} (cf-mitigated: {plain(mitigated, 40)}), "
                "not the origin: the request never reached the site's own server. Browsers get a challenge "
                "page; scripts and bots are stopped here."
            )
        elif cf_error is not None and cf_error.startswith("1"):
            notes.append(
                f"The body carries Cloudflare error {cf_error}: a Cloudflare rule or setting decided this, "
                f"not the origin. The site owner can look it up by the Ray ID{ray_text}."
            )
        elif 520 <= status <= 530 and (evidence.header("server") or "").lower() == "cloudflare":
            notes.append(
                f"Cloudflare produced this {status} itself: it could not get a usable answer from the "
                f"origin server{ray_text}. Look at the origin, not at Cloudflare."
            )
        elif status >= 500:
            notes.append(
                f"This {status} came through Cloudflare from the origin: Cloudflare's own errors are 52x, "
                "so the origin's logs have the cause."
            )
    code = evidence.body.xml_code
    if code is not None and (evidence.has(Layer.S3) or evidence.has(Layer.CLOUDFRONT)):
        known = _S3_CODES.get(code)
        message = f" ({evidence.body.xml_message})" if evidence.body.xml_message else ""
        notes.append(known or f"S3 answered with error code {code}{message}.")
    if evidence.has(Layer.ALB) and (evidence.header("server") or "").lower().startswith("awselb"):
        notes += _alb_notes(status)
    error_type = evidence.header("x-amzn-errortype")
    if error_type is not None:
        if error_type.startswith("MissingAuthenticationToken"):
            notes.append(
                "API Gateway says Missing Authentication Token: it answers this for a path or method "
                "it has no route for, not only for missing credentials. Check the stage, path and method."
            )
        else:
            notes.append(
                f"API Gateway answered with error type {plain(error_type, 80)}; the integration may not have run."
            )
    if evidence.has(Layer.HEROKU) and status >= 500:
        notes.append(
            "Heroku's router answered; `heroku logs` shows its H-code (H10 app crashed, H12 request timeout, "
            "H13 connection closed)."
        )
    notes += _server_page_notes(evidence, status)
    return notes


def _alb_notes(status: int) -> list[str]:
    if status in (502, 504):
        what = "a valid response in time" if status == 504 else "a valid response (refused, reset or malformed)"
        return [
            f"The AWS load balancer answered this {status} itself (Server: awselb/2.0): it could not get "
            f"{what} from its targets. Check target health and the targets' own logs."
        ]
    if status == 503:
        return [
            "The AWS load balancer answered this 503 itself: the rule's target group has no healthy "
            "registered target (or a fixed-response rule returns 503)."
        ]
    if status in (463, 464, 561):
        return [f"The AWS load balancer answered this {status} itself; its targets never saw the request."]
    return []


def _server_page_notes(evidence: Evidence, status: int) -> list[str]:
    """A proxy's own error page for 502/503/504 points at its upstream, not at the proxy."""
    if status not in (502, 503, 504):
        return []
    title = evidence.body.title or ""
    text = (evidence.body.text_line or "").lower()
    if evidence.has(Layer.NGINX) and title.startswith(str(status)):
        return [
            f"This is nginx's own {status} page: nginx could not get an answer from its upstream. Its error.log "
            "names the upstream and the failure (connect() failed, upstream timed out)."
        ]
    if evidence.has(Layer.ENVOY) and ("upstream" in text or evidence.header("x-envoy-upstream-service-time") is None):
        return [
            f"Envoy produced this {status} itself (no upstream service time): no healthy upstream, or the "
            "connection to it failed."
        ]
    return []


def _status_rules(evidence: Evidence, status: int) -> list[str]:
    notes: list[str] = []
    retry_after = evidence.header("retry-after")
    if retry_after is not None and status >= 300 and not retry_after_is_valid(retry_after):
        notes.append(
            f"Retry-After is present but unreadable ({plain(retry_after, 60)}): RFC 9110 §10.2.3 allows "
            "only seconds or an HTTP date. Back off exponentially instead."
        )
    elif retry_after is not None and status >= 300:
        notes.append(
            f"The server says when to retry: {describe_retry_after(retry_after)} "
            f"(Retry-After: {plain(retry_after, 60)}). Wait at least that long rather than retrying at once."
        )
    elif status in (429, 503):
        notes.append("No Retry-After header: if you retry, back off exponentially with jitter.")
    if status == 401:
        notes += _auth_notes(evidence)
    if status == 407 and evidence.header("proxy-authenticate") is None:
        notes.append(
            "This 407 carries no Proxy-Authenticate header, which RFC 9110 §15.5.8 requires; "
            "the client cannot tell how to authenticate to the proxy."
        )
    if status == 405:
        allow = evidence.header("allow")
        notes.append(
            f"The probe sends GET; this resource allows {plain(allow, 80)}."
            if allow
            else "This 405 has no Allow header, which RFC 9110 §15.5.6 requires."
        )
    if 300 <= status < 400 and status != 304 and evidence.header("location") is None:
        notes.append(
            f"This {status} has no Location header, so there is nothing to follow (RFC 9110 §15.4); "
            "browsers show its body instead."
        )
    return notes


def _auth_notes(evidence: Evidence) -> list[str]:
    values = evidence.headers.get("www-authenticate", ())
    if not values:
        return [
            "This 401 has no WWW-Authenticate header, which RFC 9110 §15.5.2 requires: the client "
            "cannot tell which scheme or realm to use. Either the server means 403, or a proxy stripped the header."
        ]
    challenges = [c for v in values for c in parse_challenges(v)]
    for challenge in challenges:
        error = challenge.param("error")
        if error == "invalid_token":
            return [
                "The server rejected the token itself (error=invalid_token, RFC 6750 §3.1): it is expired, "
                "revoked, malformed or for another audience. Get a new one."
            ]
        if error == "insufficient_scope":
            return ["The token is valid but lacks a scope this resource needs (RFC 6750 §3.1)."]
        if error == "invalid_request":
            return ["The server says the request's credentials are malformed (error=invalid_request, RFC 6750 §3.1)."]
    schemes = ", ".join(dict.fromkeys(plain(c.scheme, 30) for c in challenges)) or "an unreadable scheme"
    return [f"The server asks for {schemes} credentials; send an Authorization header with that scheme."]


def _redirect_notes(result: ProbeResult, evidence: Evidence) -> list[str]:
    if len(result.hops) < 2:
        return []
    count = len(result.hops) - 1
    note = f"Followed {count} redirect{'s' if count != 1 else ''} to reach this response."
    first, last = result.hops[0].url.lower(), result.hops[-1].url.lower()
    if first.startswith("http://") and last.startswith("https://"):
        hsts = evidence.header("strict-transport-security")
        note += (
            " The chain moves from http to https; the HSTS header lets browsers skip the plain hop next time."
            if hsts
            else " The chain moves from http to https, and no HSTS header tells browsers to skip the plain hop."
        )
    return [note]


def _tls_notes(result: ProbeResult) -> list[str]:
    tls = result.tls
    if tls is None:
        return []
    notes: list[str] = []
    when = f" ({plain(tls.not_after, 40)})" if tls.not_after else ""
    if tls.days_left is not None and tls.days_left < 0:
        days = -tls.days_left
        notes.append(
            f"The certificate expired {days} day{'s' if days != 1 else ''} ago{when}: every client that verifies "
            "certificates refuses it. Renew it and reload the server."
        )
    elif tls.days_left is not None and tls.days_left < EXPIRY_WARNING_DAYS:
        notes.append(
            f"The certificate expires soon: {tls.days_left} day{'s' if tls.days_left != 1 else ''} left{when}. "
            "Renew it before clients start refusing it."
        )
    if tls.hostname_matches is False:
        names = ", ".join(plain(n, 60) for n in tls.san[:5]) or "other names"
        notes.append(f"The certificate does not cover this host name; it names {names}.")
    return notes


# -- notes for an outcome --------------------------------------------------------------------------


_REFUSALS = {
    Outcome.REFUSE_SCHEME: "Only http and https URLs are probed.",
    Outcome.REFUSE_SYNTAX: (
        "The URL is malformed or holds characters the probe refuses (spaces, backslashes, control or "
        "invisible characters), so nothing was fetched."
    ),
    Outcome.REFUSE_USERINFO: "URLs carrying credentials (user:password@) are not probed; remove them and try again.",
    Outcome.REFUSE_PORT: "Only the standard web ports are probed (80 and 443, unless an operator opened more).",
    Outcome.REFUSE_ADDR: (
        "The address is private, loopback, link-local, reserved or a cloud metadata endpoint; the probe "
        "never connects there, so nothing was sent."
    ),
    Outcome.REFUSE_HOPS: (
        "The redirects looped or went past the probe's redirect limit; ask about a redirect loop to untangle it."
    ),
    Outcome.DISABLED: "Probing is switched off on this bot.",
    Outcome.BUSY: "Too many probes are running right now; try again in a moment.",
}


def _refusal_notes(result: ProbeResult) -> list[str]:
    notes = [_REFUSALS.get(result.outcome, "The probe refused this URL.")]
    answered = [hop for hop in result.hops if hop.status is not None]
    if answered and result.outcome is not Outcome.REFUSE_HOPS:
        notes.append(
            f"The refused URL came from a redirect: hop {len(answered)} answered {answered[-1].status} "
            "with a Location the probe will not follow."
        )
    return notes


def _outcome_notes(result: ProbeResult, evidence: Evidence) -> list[str]:
    where = f"from {plain(result.where, 60)}" if result.where else "from the bot's network"
    outcome = result.outcome
    notes: list[str] = []
    if outcome is Outcome.TIMEOUT:
        notes.append(f"No complete answer within the probe's time budget; it gave up while {_stalled(result)}.")
    elif outcome is Outcome.ERROR_DNS:
        notes.append(
            f"The name does not resolve {where}. A name that resolves for you may be internal "
            "(split-horizon DNS) or too new (negative caching)."
        )
    elif outcome is Outcome.ERROR_CONNECT:
        notes.append(
            f"The name resolved, but no address accepted a TCP connection {where}: nothing listens on that "
            "port, or a firewall drops or rejects it."
        )
    elif outcome is Outcome.ERROR_TLS:
        tls = result.tls
        if tls is not None and tls.problem:
            notes.append(f"The TLS handshake failed: {plain(tls.problem, 160)}. The probe never retries unverified.")
        else:
            notes.append("The TLS handshake failed; the probe never retries unverified.")
        notes += _tls_notes(result)
    elif outcome is Outcome.ERROR_PROTOCOL:
        notes.append("The server's answer broke HTTP/1.1 (RFC 9112), so the probe stopped reading it.")
    if evidence.status is not None and outcome is not Outcome.ERROR_TLS:
        notes.append(f"The last response before that was {evidence.status}; the hops are shown above.")
    return notes


def _stalled(result: ProbeResult) -> str:
    """The phase that never finished, from the timings of the last hop that got that far."""
    timings = result.timings
    phases = [(timings.dns_ms, "resolving the name"), (timings.connect_ms, "connecting")]
    final = result.hops[-1].url if result.hops else result.url
    if final.lower().startswith("https://"):
        phases.append((timings.tls_ms, "in the TLS handshake"))
    phases.append((timings.ttfb_ms, "waiting for the response head"))
    for value, phase in phases:
        if value is None:
            return phase
    return "reading the body"
