"""The probe as the front ends use it: admission, the guarded fetch, hints and the explanation.

One Prober per process; the CLI and the Slack listeners call `check(url, requester)` and render the
(result, explanation) pair. A refusal, a timeout or a 503 is a result, never an exception.
"""

from __future__ import annotations

import ssl
from functools import cached_property
from typing import NamedTuple

from bot.core import Answerer
from bot.probe.admission import Admission, InProcessRateStore
from bot.probe.explain import ProbeExplanation, explain
from bot.probe.hints import derive_hints
from bot.probe.outcome import Outcome
from bot.probe.result import ProbeResult
from bot.probe.run import probe_sync
from bot.probe.settings import ProbeSettings
from bot.probe.transport import Resolver


class ProbeReport(NamedTuple):
    result: ProbeResult
    explanation: ProbeExplanation


class Prober:
    def __init__(self, settings: ProbeSettings, answerer: Answerer, *, resolver: Resolver | None = None) -> None:
        self.settings = settings
        self.answerer = answerer
        self.resolver = resolver
        self.admission = Admission(InProcessRateStore(settings.rate, settings.per_seconds), settings.concurrency)

    @cached_property
    def ssl_context(self) -> ssl.SSLContext:
        """System trust store plus HTTPCODE_PROBE_CA_FILE; verification is never turned off."""
        context = ssl.create_default_context()
        if self.settings.ca_file is not None:
            context.load_verify_locations(cafile=str(self.settings.ca_file))
        return context

    def check(self, url: str, requester: str = "cli") -> ProbeReport:
        """Probe url for requester within the limits; DISABLED and BUSY are answers too."""
        if not self.settings.enabled:
            return self._report(
                ProbeResult(url, Outcome.DISABLED, "the operator has turned URL probing off"), requester
            )
        refusal = self.admission.admit(requester)
        if refusal is not None:
            return self._report(ProbeResult(url, Outcome.BUSY, refusal), requester)
        try:
            result = probe_sync(
                url,
                policy=self.settings.policy,
                requester=requester,
                resolver=self.resolver,
                ssl_context=self.ssl_context,
                timeout=self.settings.timeout,
                max_bytes=self.settings.max_bytes,
                max_hops=self.settings.max_hops,
                where=self.settings.where,
            )
        finally:
            self.admission.release()
        return self._report(result._replace(hints=derive_hints(result)), requester)

    def _report(self, result: ProbeResult, requester: str = "") -> ProbeReport:
        audit(result, requester)
        return ProbeReport(result, explain(result, self.answerer))


def redact_url(url: str) -> str:
    """The URL for a log line: query values and fragments dropped (they may carry tokens), names kept."""
    base, _, query = url.partition("?")
    base = base.partition("#")[0]
    if not query:
        return base
    names = [part.partition("=")[0] for part in query.partition("#")[0].split("&") if part]
    return base + "?" + "&".join(f"{name}=…" for name in names)


def audit(result: ProbeResult, requester: str) -> None:
    """One record per probe (probe.md §2 step 14): who, what, where it connected, and how it ended."""
    import logging

    addresses = ",".join(sorted({hop.address for hop in result.hops if hop.address})) or "-"
    logging.getLogger("httpcode.probe.audit").info(
        "probe requester=%s url=%s connected=%s outcome=%s allow_entry=%s bytes=%d total_ms=%s",
        requester or "-",
        redact_url(result.url),
        addresses,
        result.outcome.value,
        result.allow_entry or "-",
        result.body_bytes,
        result.timings.total_ms,
    )
