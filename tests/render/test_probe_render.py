"""Probe replies: golden terminal and Block Kit renders, one reading order, Slack limits, inert server text."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Final

import pytest

from bot.core import Answerer
from bot.probe.explain import ProbeExplanation, explain
from bot.probe.hints import CUT
from bot.probe.outcome import Outcome
from bot.probe.result import Hint, ProbeResult, Timings, TlsInfo
from bot.render.blockkit import MAX_BLOCKS_JSON, TARGET_BLOCKS_JSON, SlackMessage, validate_limits
from bot.render.probe_blockkit import probe_message, probing_message
from bot.render.probe_terminal import render_probe
from tests.probe.test_hints import CASES, HOSTILE, HOSTILE_LINK, hop, hostile_result, result
from tests.slack.fakeslack import validate_message

GOLDEN: Final = Path(__file__).resolve().parent / "golden"
# Live Slack syntax: a mention, broadcast, user group or link is `<` followed by `!`, `@`, `#` or a URL.
LIVE_TOKEN: Final = re.compile(r"<[!@#]|<https?:|<mailto:")


def dump(data: Any) -> str:
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.write_text(text)
    assert path.exists(), f"no golden file {path.name}; run with UPDATE_GOLDEN=1 and review the diff"
    assert text == path.read_text()


def text_objects(node: Any) -> Iterator[Mapping[str, Any]]:
    if isinstance(node, Mapping):
        if node.get("type") in ("mrkdwn", "plain_text") and "text" in node:
            yield node
        for value in node.values():
            yield from text_objects(value)
    elif isinstance(node, list | tuple):
        for item in node:
            yield from text_objects(item)


def all_texts(message: SlackMessage) -> list[str]:
    return [message.text, *(t["text"] for t in text_objects(list(message.blocks)))]


def assert_valid(message: SlackMessage) -> None:
    assert validate_limits(message.blocks) == []
    assert validate_message(message.to_kwargs()) == []
    assert message.text.strip()
    assert len(json.dumps(list(message.blocks))) <= TARGET_BLOCKS_JSON


def render_both(probe: ProbeResult, answerer: Answerer) -> tuple[str, SlackMessage, ProbeExplanation]:
    explanation = explain(probe, answerer)
    return render_probe(probe, explanation), probe_message(probe, explanation), explanation


# -- golden --------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", sorted(CASES))
def test_golden(case: str, answerer: Answerer) -> None:
    text, message, _ = render_both(CASES[case], answerer)
    check_golden(f"probe-{case}.txt", text)
    assert_valid(message)
    check_golden(f"probe-{case}.json", dump(message.to_kwargs()))


def test_golden_probing_ack() -> None:
    message = probing_message("https://www.example.com/status?x=1&y=<2>")
    assert_valid(message)
    check_golden("probe-probing.json", dump(message.to_kwargs()))


# -- reading order -------------------------------------------------------------------------------

ORDER: Final = {
    # marker in the terminal text, marker in the Slack JSON
    "headline": ("Probed https://", "Probed https://"),
    "chain": ("Redirect chain", "*Redirect chain*"),
    "time": ("Time ", "*Time*"),
    "tls": ("TLS    TLSv1.3", "*TLS*"),
    "hints": ("What the response says", "*What the response says*"),
    "notes": ("What it means here", "*What it means here*"),
    "entry": ("200 OK\nIANA", "*200 OK*\\n_IANA"),
    "causes": ("Likely causes", "*Likely causes*"),
}


def test_both_renderers_share_one_reading_order(answerer: Answerer) -> None:
    probe = CASES["redirect-chain"]._replace(url="https://example.com/docs")
    text, message, _ = render_both(probe, answerer)
    slack = json.dumps(message.to_kwargs()["blocks"], ensure_ascii=False)
    for column, rendered in ((0, text), (1, slack)):
        positions = [rendered.index(markers[column]) for markers in ORDER.values()]
        assert positions == sorted(positions), rendered


@pytest.mark.parametrize("case", sorted(CASES))
def test_headline_opens_the_reply(case: str, answerer: Answerer) -> None:
    text, message, _ = render_both(CASES[case], answerer)
    assert text.startswith(f"Probed {CASES[case].url}")
    assert message.text.startswith(f"Probed {CASES[case].url}")
    assert message.blocks[0]["text"]["text"].startswith(f"Probed {CASES[case].url}")


@pytest.mark.parametrize(
    ("case", "headline"),
    [
        ("ok-cloudflare", "Probed https://www.example.com/ from eu-west-1: 200 OK"),
        ("truncated", "Probed https://downloads.example.com/images/debian.iso: 200 OK, body cut at the probe's limit"),
        (
            "refuse-metadata",
            "Probed http://169.254.169.254/latest/meta-data/iam/security-credentials/ from eu-west-1: ",
        ),
        ("timeout", "Probed https://slow.example.com/report: timed out (TIMEOUT)"),
        ("tls-expired", "Probed https://expired.example.com/: TLS failed (ERROR:tls)"),
    ],
)
def test_headline_wording(case: str, headline: str, answerer: Answerer) -> None:
    text, _, _ = render_both(CASES[case], answerer)
    assert text.startswith(headline)


def test_non_ok_gives_a_plain_reason(answerer: Answerer) -> None:
    text, message, _ = render_both(CASES["refuse-metadata"], answerer)
    reason = "169.254.169.254 is cloud metadata (link-local 169.254.0.0/16, never probed)"
    assert reason in text
    assert any(reason in t for t in all_texts(message))
    assert "Likely causes" not in text, "a refusal is not an HTTP status: no entry is shown"


def test_short_entry_shows_three_causes_and_a_way_to_the_rest(answerer: Answerer) -> None:
    text, message, explanation = render_both(CASES["s3-denied"], answerer)
    assert explanation.answer is not None and len(explanation.answer.entries[0].causes) > 3
    assert re.search(r"^  3\. ", text, re.M) and not re.search(r"^  4\. ", text, re.M)
    assert "More: httpcode ask 403 --full" in text
    assert "Checklist" not in text
    buttons = [b["accessory"] for b in message.blocks if "accessory" in b]
    assert buttons == [
        {
            "type": "button",
            "action_id": "httpcode_ask_related_1",
            "text": {"type": "plain_text", "text": "Full answer"},
            "value": "403",
        }
    ]


def test_allow_list_entry_is_named(answerer: Answerer) -> None:
    probe = CASES["ok-cloudflare"]._replace(allow_entry="10.20.0.0/16")
    text, message, _ = render_both(probe, answerer)
    assert "allow-list entry 10.20.0.0/16" in text
    assert any("allow-list entry 10.20.0.0/16" in t for t in all_texts(message))


def test_punycode_host_is_shown_beside_its_unicode_form(answerer: Answerer) -> None:
    probe = result("https://xn--bcher-kva.example/", Outcome.ERROR_DNS, reason="NXDOMAIN")
    text, _, _ = render_both(probe, answerer)
    assert text.startswith("Probed https://xn--bcher-kva.example/ (host bücher.example)")


def test_colour_only_when_asked(answerer: Answerer) -> None:
    probe = CASES["cloudflare-challenge"]
    explanation = explain(probe, answerer)
    assert "\x1b[" not in render_probe(probe, explanation)
    assert "\x1b[" in render_probe(probe, explanation, color=True)


def test_terminal_respects_width(answerer: Answerer) -> None:
    probe = CASES["redirect-chain"]
    lines = render_probe(probe, explain(probe, answerer), width=60).splitlines()
    assert max(len(line) for line in lines) <= 60


def test_runner_hints_are_rendered(answerer: Answerer) -> None:
    probe = CASES["timeout"]._replace(hints=(Hint("where", "probed from the eu-west-1 egress"),))
    text, message, _ = render_both(probe, answerer)
    assert "probed from the eu-west-1 egress" in text
    assert any("probed from the eu-west-1 egress" in t for t in all_texts(message))


# -- hostile server text ---------------------------------------------------------------------------


def test_hostile_server_text_stays_inert_in_slack(answerer: Answerer) -> None:
    _, message, _ = render_both(hostile_result(), answerer)
    assert_valid(message)
    for text in all_texts(message):
        assert not LIVE_TOKEN.search(text), text
        assert "\x1b" not in text and "\u202e" not in text and "\u200b" not in text
    blob = "\n".join(all_texts(message))
    assert "&lt;!channel&gt; &lt;!here&gt; &lt;@U123&gt; &lt;!subteam^S1&gt;" in blob, "shown, escaped"
    assert "&lt;https://evil.example|click here&gt;" in blob
    assert CUT in blob or "…" in blob, "the 10 KiB reason and the long Location are cut visibly"
    assert "`code`" not in blob, "server backticks cannot open or close a code span"
    for obj in text_objects(list(message.blocks)):
        if obj["type"] == "mrkdwn":
            assert obj.get("verbatim") is True


def test_hostile_reason_phrase_is_cut_visibly(answerer: Answerer) -> None:
    text, message, _ = render_both(hostile_result(), answerer)
    [status_line] = [line for line in text.splitlines() if line.startswith("  1. 401")]
    assert len(status_line) < 400
    headline = message.blocks[0]["text"]["text"]
    assert CUT in headline and len(headline) < 1000
    assert len(message.text) <= 500


def test_hostile_server_text_has_no_escape_codes_in_the_terminal(answerer: Answerer) -> None:
    text, _, _ = render_both(hostile_result(), answerer)
    assert "\x1b" not in text and "\u202e" not in text and "\u200b" not in text
    assert HOSTILE in text, "the terminal shows server text as it is, minus control characters"
    assert max(len(line) for line in text.splitlines()) <= 100


def test_the_probing_ack_is_inert() -> None:
    message = probing_message(f"https://evil.example/{HOSTILE}{HOSTILE_LINK}")
    assert_valid(message)
    assert all(not LIVE_TOKEN.search(t) for t in all_texts(message))


# -- limits --------------------------------------------------------------------------------------


def huge_result() -> ProbeResult:
    """Everything at its worst: six hops of 2048-character non-ASCII URLs, long headers, a long body."""
    wide = "𝕏<&>" * 500
    headers = tuple((name, wide) for name in ("Server", "Via", "X-Cache", "cf-ray", "Location", "Cache-Control"))
    headers += (("WWW-Authenticate", f'Bearer realm="{wide}", error="{wide}"'), ("Retry-After", wide))
    hops = tuple(hop(f"https://x.example/{wide}"[:2048], 302, wide, headers) for _ in range(5))
    hops += (hop(f"https://x.example/{wide}"[:2048], 401, wide, headers),)
    body = f"<title>{wide}</title><Error><Code>AccessDenied</Code><Message>{wide}</Message></Error>".encode()
    return result(
        f"https://x.example/{wide}"[:2048],
        Outcome.TRUNCATED,
        *hops,
        reason=wide,
        timings=Timings(1, 2, 3, 4, 5),
        body_bytes=10**9,
        body_sample=body,
        where=wide,
        allow_entry=wide,
        hints=tuple(Hint("where", wide + str(n)) for n in range(30)),
    )


def test_the_worst_result_still_fits_one_message(answerer: Answerer) -> None:
    _, message, _ = render_both(huge_result(), answerer)
    assert_valid(message)
    assert len(json.dumps(list(message.blocks))) <= MAX_BLOCKS_JSON


@pytest.mark.parametrize("outcome", list(Outcome))
def test_every_outcome_renders_within_limits(outcome: Outcome, answerer: Answerer) -> None:
    for hops in ((), (hop("https://x.example/", 302, "Found", (("Location", "/next"),)),)):
        probe = result("https://x.example/", outcome, *hops, reason=f"{outcome.value} happened")
        text, message, _ = render_both(probe, answerer)
        assert text.startswith("Probed https://x.example/")
        assert_valid(message)


@pytest.mark.parametrize("status", [200, 301, 401, 403, 404, 429, 460, 463, 499, 500, 502, 503, 504, 522, 530, 599])
def test_statuses_render_within_limits_with_every_entry(status: int, answerer: Answerer) -> None:
    headers = (("Server", "cloudflare"), ("cf-ray", "1-LHR"), ("Retry-After", "5"))
    probe = result("https://x.example/", Outcome.OK, hop("https://x.example/", status, "Reason", headers))
    _, message, _ = render_both(probe, answerer)
    assert_valid(message)


def test_a_long_chain_keeps_its_start_and_end(answerer: Answerer) -> None:
    hops = [hop(f"https://x.example/{n}", 302, "Found", (("Location", f"/{n + 1}"),)) for n in range(20)]
    probe = result("https://x.example/0", Outcome.REFUSE_HOPS, *hops, reason="more than 5 redirects")
    text, message, _ = render_both(probe, answerer)
    assert "  6. 302  https://x.example/5" in text and "  7. 302" not in text
    assert "… 13 more hops" in text and "  20. 302  https://x.example/19" in text
    assert_valid(message)


def test_astral_text_everywhere_is_squeezed_into_one_message(answerer: Answerer) -> None:
    """Characters outside the BMP cost 12 characters of JSON each; even then the reply fits."""
    astral = "𝕏" * 3000
    hops = tuple(
        hop(f"https://x.example/{astral}", 302, astral, (("Server", astral),), address=astral) for _ in range(8)
    )
    probe = result(
        f"https://x.example/{astral}",
        Outcome.ERROR_TLS,
        *hops,
        reason=astral,
        where=astral,
        allow_entry=astral,
        tls=TlsInfo(version=astral, cipher=astral, issuer=astral, not_after=astral, days_left=-3, problem=astral),
        hints=tuple(Hint("where", astral) for _ in range(20)),
    )
    _, message, _ = render_both(probe, answerer)
    assert_valid(message)
    assert message.blocks[0]["text"]["text"].startswith("Probed https://x.example/")
