"""What listeners may use: the answering core and the Block Kit builders, passed in, never imported globally."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from bot.answer import Answer
from bot.core import Answerer
from bot.render.blockkit import SlackMessage, answer_message, error_message

log = logging.getLogger("httpcode.slack")


@dataclass(frozen=True, slots=True)
class Deps:
    answerer: Answerer

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
