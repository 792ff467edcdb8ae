"""The Prober: disabled and busy answers, audit records without query secrets, real probes end to end."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest

from bot.core import Answerer
from bot.probe.outcome import Outcome
from bot.probe.service import Prober, redact_url
from bot.probe.settings import load_probe_settings
from tests.probe.fixtures import ScriptedServer, respond


def prober(answerer: Answerer, **env: str) -> Prober:
    return Prober(load_probe_settings(env, lambda: datetime.now(UTC)), answerer)


def test_redact_url_keeps_names_drops_values() -> None:
    assert redact_url("https://a.test/p?token=s3cr3t&x=1#frag") == "https://a.test/p?token=…&x=…"
    assert redact_url("https://a.test/p") == "https://a.test/p"


def test_disabled_and_busy_are_answers(answerer: Answerer) -> None:
    off = prober(answerer, HTTPCODE_PROBE="off").check("https://example.com/")
    assert off.result.outcome is Outcome.DISABLED
    limited = prober(answerer, HTTPCODE_PROBE_RATE="1/3600")
    limited.check("http://10.0.0.1/", requester="U1")
    busy = limited.check("http://10.0.0.1/", requester="U1")
    assert busy.result.outcome is Outcome.BUSY
    assert limited.check("http://10.0.0.1/", requester="U2").result.outcome is Outcome.REFUSE_ADDR


def test_a_real_probe_is_explained_and_audited(answerer: Answerer, caplog: pytest.LogCaptureFixture) -> None:
    page = respond(403, [("Server", "cloudflare"), ("cf-ray", "8a1b2c3d4e5f-AMS"), ("cf-mitigated", "challenge")])
    with ScriptedServer(page) as server, caplog.at_level(logging.INFO, logger="httpcode.probe.audit"):
        report = prober(answerer, HTTPCODE_PROBE_ALLOW=f"127.0.0.1:{server.port}").check(
            f"http://127.0.0.1:{server.port}/x?api_key=s3cr3t", requester="U7"
        )
    assert report.result.outcome is Outcome.OK and report.result.final is not None
    assert report.result.final.status == 403
    assert any("cloudflare" in hint.text.lower() for hint in report.result.hints)
    assert report.explanation.answer is not None
    assert any("challenge" in note.lower() or "waf" in note.lower() for note in report.explanation.notes)
    assert "requester=U7" in caplog.text and "outcome=OK" in caplog.text
    assert "s3cr3t" not in caplog.text and "api_key=…" in caplog.text
