"""What listeners may use: the answering core and the Block Kit builders, passed in, never imported globally."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from bot.answer import Answer
from bot.core import Answerer
from bot.probe.service import Prober
from bot.probe.urlgate import find_urls
from bot.render.blockkit import SlackMessage, answer_message, error_message
from bot.render.probe_blockkit import probe_message

log = logging.getLogger("httpcode.slack")


@dataclass(frozen=True, slots=True)
class Deps:
    answerer: Answerer
    prober: Prober | None = None  # None: this app does not probe URLs (a URL is then just text)

    def probe_url(self, text: str) -> str | None:
        """The first http(s) URL in a Slack message (the link target, never its label), if probing is wired."""
        if self.prober is None:
            return None
        urls = find_urls(text)
        return urls[0] if urls else None

    def probe_reply(self, url: str, requester: str) -> SlackMessage:
        """Probe and explain; any failure of ours becomes a short apology, logged."""
        assert self.prober is not None
        try:
            report = self.prober.check(url, requester=requester)
            return probe_message(report.result, report.explanation)
        except Exception:
            log.exception("probe failed unexpectedly")
            return error_message("I hit an internal error while probing that URL")

    def reply_for(self, question: str, *, share_button: bool = False) -> SlackMessage:
        """The Block Kit answer to a question; a domain failure becomes a short apology, logged."""
        return self._safely(lambda: self.answerer.answer(question), share_button=share_button)

    def reply_for_entry(self, entry_id: str) -> SlackMessage:
        return self._safely(lambda: self.answerer.answer_entry(entry_id), share_button=False)

    def _safely(self, build: Callable[[], Answer], *, share_button: bool) -> SlackMessage:
        try:
            return answer_message(build(), share_button=share_button)
        except Exception:
            log.exception("could not build an answer")
            return error_message("I hit an internal error while looking that up")
