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
            return self._report(ProbeResult(url, Outcome.DISABLED, "the operator has turned URL probing off"))
        refusal = self.admission.admit(requester)
        if refusal is not None:
            return self._report(ProbeResult(url, Outcome.BUSY, refusal))
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
        return self._report(result._replace(hints=derive_hints(result)))

    def _report(self, result: ProbeResult) -> ProbeReport:
        return ProbeReport(result, explain(result, self.answerer))
