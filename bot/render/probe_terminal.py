"""ProbeResult -> text for a terminal, and the plain-text pieces both probe renderers share.

Reading order (the same in Slack): what happened, the redirect chain, where the time went, TLS,
what the response says about itself, what that means here, then the short knowledge-base entry.
Server text is untrusted: every piece passes through `hints.plain` (Cc/Cf removed, so no ANSI
escape reaches the terminal; long values cut visibly) before it is placed.
"""

from __future__ import annotations

import textwrap
from urllib.parse import urlsplit

from bot.knowledge.model import Entry
from bot.knowledge.schema import Kind
from bot.probe.explain import ProbeExplanation
from bot.probe.hints import hints_for, plain
from bot.probe.outcome import Outcome
from bot.probe.result import Hop, ProbeResult
from bot.render.terminal import Style

URL_CHARS = 300
HOP_URL_CHARS = 160
REASON_CHARS = 80
OUTCOME_REASON_CHARS = 300
SHORT_CAUSES = 3
MAX_HOP_LINES = 8

_OUTCOME_WORDS = {
    Outcome.TIMEOUT: "timed out",
    Outcome.REFUSE_SCHEME: "refused",
    Outcome.REFUSE_SYNTAX: "refused",
    Outcome.REFUSE_USERINFO: "refused",
    Outcome.REFUSE_PORT: "refused",
    Outcome.REFUSE_ADDR: "refused",
    Outcome.REFUSE_HOPS: "stopped following redirects",
    Outcome.ERROR_PROTOCOL: "the server broke HTTP/1.1",
    Outcome.ERROR_TLS: "TLS failed",
    Outcome.ERROR_DNS: "the name does not resolve",
    Outcome.ERROR_CONNECT: "could not connect",
    Outcome.DISABLED: "probing is off",
    Outcome.BUSY: "too busy to probe",
}


# -- plain pieces, shared with probe_blockkit ----------------------------------------------------


def show_url(url: str, limit: int = URL_CHARS) -> str:
    """A URL fit to show: plain, cut visibly, with the Unicode form beside a punycode host."""
    text = plain(url, limit)
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        host = ""
    if "xn--" in host:
        try:
            unicode_host = host.encode("ascii").decode("idna")
        except UnicodeError:
            return text
        if unicode_host != host:
            text += f" (host {plain(unicode_host, 80)})"
    return text


def status_line(hop: Hop) -> str:
    """`403 Forbidden`: the code and the server's own reason phrase, plain and capped."""
    reason = plain(hop.reason, REASON_CHARS)
    code = "no status" if hop.status is None else str(hop.status)
    return f"{code} {reason}" if reason else code


def headline(result: ProbeResult, url_chars: int = URL_CHARS) -> str:
    """`Probed <url> from <where>: <status line or outcome>`."""
    lead, what = headline_parts(result, url_chars)
    return f"{lead}: {what}"


def headline_parts(result: ProbeResult, url_chars: int = URL_CHARS) -> tuple[str, str]:
    """The headline as (`Probed <url> from <where>`, `<status line or outcome>`), for renderers that
    emphasise the second part."""
    where = f" from {plain(result.where, 60)}" if result.where else ""
    final = _answered(result)
    if result.outcome is Outcome.OK and final is not None:
        what = status_line(final)
    elif result.outcome is Outcome.TRUNCATED and final is not None:
        what = f"{status_line(final)}, body cut at the probe's limit (TRUNCATED)"
    else:
        what = f"{_OUTCOME_WORDS.get(result.outcome, result.outcome.value)} ({result.outcome.value})"
    return f"Probed {show_url(result.url, url_chars)}{where}", what


def reason_line(result: ProbeResult) -> str | None:
    """The plain reason for anything but OK, as the runner wrote it."""
    if result.outcome is Outcome.OK or not result.reason.strip():
        return None
    reason = plain(result.reason, OUTCOME_REASON_CHARS)
    return reason[:1].upper() + reason[1:] + ("" if reason.endswith((".", "…", ")")) else ".")


def allow_line(result: ProbeResult) -> str | None:
    """Probes through an operator allow-list entry say so (probe.md §4: the reply names the entry)."""
    if not result.allow_entry:
        return None
    return f"Reached through the operator allow-list entry {plain(result.allow_entry, 80)}."


def hop_lines(result: ProbeResult, url_chars: int = HOP_URL_CHARS) -> list[str]:
    """One line per hop: number, status, URL, connected address, elapsed time.

    At most MAX_HOP_LINES lines: a longer chain keeps its start and its last hop, saying how many
    hops were left out.
    """
    numbered = list(enumerate(result.hops, start=1))
    hidden = 0
    if len(numbered) > MAX_HOP_LINES:
        hidden = len(numbered) - (MAX_HOP_LINES - 1)
        numbered = [*numbered[: MAX_HOP_LINES - 2], numbered[-1]]
    lines = []
    for number, hop in numbered:
        if hidden and number == len(result.hops):
            lines.append(f"… {hidden} more hops")
        status = "—" if hop.status is None else str(hop.status)
        address = f" → {plain(hop.address, 60)}" if hop.address else ""
        lines.append(f"{number}. {status}  {show_url(hop.url, url_chars)}{address} · {ms(hop.elapsed_ms)}")
    return lines


def timing_line(result: ProbeResult) -> str | None:
    """Where the time went: DNS, connect, TLS, TTFB, total; plus the body bytes read."""
    t = result.timings
    parts = [
        f"{name} {ms(value)}"
        for name, value in (
            ("DNS", t.dns_ms),
            ("connect", t.connect_ms),
            ("TLS", t.tls_ms),
            ("TTFB", t.ttfb_ms),
            ("total", t.total_ms),
        )
        if value is not None
    ]
    if result.body_bytes:
        parts.append(f"{result.body_bytes:,} bytes read")
    return " · ".join(parts) or None


def tls_line(result: ProbeResult) -> str | None:
    """Protocol and cipher, issuer, expiry with days left, hostname match, and the failure if any."""
    tls = result.tls
    if tls is None:
        return None
    parts: list[str] = []
    if tls.version:
        parts.append(plain(tls.version, 20) + (f" ({plain(tls.cipher, 60)})" if tls.cipher else ""))
    if tls.issuer:
        parts.append(f"issuer {plain(tls.issuer, 100)}")
    if tls.not_after:
        days = tls.days_left
        left = ""
        if days is not None:
            left = f" ({-days} days ago)" if days < 0 else f" ({days} day{'s' if days != 1 else ''} left)"
        verb = "expired" if days is not None and days < 0 else "expires"
        parts.append(f"{verb} {plain(tls.not_after, 40)}{left}")
    if tls.hostname_matches is not None:
        parts.append("hostname matches" if tls.hostname_matches else "hostname does NOT match")
    if tls.problem:
        parts.append(f"problem: {plain(tls.problem, 160)}")
    return " · ".join(parts) or None


def ms(value: float) -> str:
    """Milliseconds in words: `83 ms`, `1.25 s`."""
    return f"{value:.0f} ms" if value < 1000 else f"{value / 1000:.2f} s"


def _answered(result: ProbeResult) -> Hop | None:
    return next((hop for hop in reversed(result.hops) if hop.status is not None), None)


# -- terminal ------------------------------------------------------------------------------------


def _wrap(text: str, width: int, first: str = "", indent: str = "") -> list[str]:
    return textwrap.wrap(text, width=width, initial_indent=first, subsequent_indent=indent, break_on_hyphens=False) or [
        first.rstrip()
    ]


def render_probe(result: ProbeResult, explanation: ProbeExplanation, *, color: bool = False, width: int = 100) -> str:
    """The probe as text ending in a newline; no escape codes unless `color`, none from the server ever."""
    style = Style(color)
    lines = [style.title(line) for line in _wrap(headline(result), width, indent="  ")]
    for extra in (reason_line(result), allow_line(result)):
        if extra:
            lines += _wrap(extra, width)
    if result.hops:
        lines += ["", style.heading("Redirect chain" if len(result.hops) > 1 else "Response")]
        lines += [w for line in hop_lines(result) for w in _wrap(line, width, "  ", "      ")]
    facts = [(label, text) for label, text in (("Time", timing_line(result)), ("TLS", tls_line(result))) if text]
    if facts:
        lines.append("")
        for label, text in facts:
            lines += _wrap(text, width, style.heading(f"{label:<6}") + " ", " " * 7)
    hints = hints_for(result)
    if hints:
        lines += ["", style.heading("What the response says")]
        lines += [w for hint in hints for w in _wrap(hint.text, width, "  • ", "    ")]
    if explanation.notes:
        lines += ["", style.heading("What it means here")]
        lines += [w for note in explanation.notes for w in _wrap(plain(note, 1000), width, "  • ", "    ")]
    lines += _entry_lines(explanation, style, width)
    return "\n".join(lines) + "\n"


def _entry_lines(explanation: ProbeExplanation, style: Style, width: int) -> list[str]:
    """The knowledge-base entry, short: name, origin, summary, the top causes, and how to see more."""
    answer = explanation.answer
    if answer is None or answer.primary is None:
        return []
    entry = answer.primary
    lines = ["", style.title(entry.label)]
    if entry.origin_line:
        lines.append(style.dim(entry.origin_line))
    lines += _wrap(entry.summary, width)
    for note in answer.notes:
        lines += [style.warn(line) for line in _wrap(note, width)]
    if entry.causes:
        lines += ["", style.heading("Likely causes")]
        for number, cause in enumerate(entry.causes[:SHORT_CAUSES], start=1):
            lines += _wrap(cause.cause, width, f"  {number}. ", "     ")
            lines += _wrap(cause.confirm, width, "     confirm: ", " " * 14)
            lines += _wrap(cause.fix, width, "     fix:     ", " " * 14)
    term = ask_term(entry)
    shown = term if term.replace(".", "").replace(" ", "").isalnum() else f'"{term}"'
    return [*lines, "", style.dim(f"More: httpcode ask {shown} --full")]


def ask_term(entry: Entry) -> str:
    """What to ask for the full entry: the code, the vendor and code (`Cloudflare 1020`), or a topic's name."""
    if entry.kind is Kind.VENDOR and entry.origin and entry.code:
        return f"{entry.origin.split()[0]} {entry.code}"
    return entry.code or entry.name
