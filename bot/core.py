"""The answering core: knowledge base and matcher loaded once; question in, Answer out.

Every front end (CLI, Slack listeners) holds one Answerer and calls `answer`; nothing here knows
about terminals or Slack.
"""

from __future__ import annotations

from typing import NamedTuple

from bot.answer import Answer, build_answer
from bot.config import Settings
from bot.knowledge.loader import load_compiled
from bot.knowledge.model import KnowledgeBase
from bot.match.matcher import Match, Matcher, MatchResult


class Answerer(NamedTuple):
    kb: KnowledgeBase
    matcher: Matcher

    @classmethod
    def from_settings(cls, settings: Settings) -> Answerer:
        """Load (or read from cache) and validate the knowledge base; raises KnowledgeError if invalid."""
        return load_compiled(
            settings.knowledge_dir, settings.cache_dir, _compile, Answerer, use_cache=settings.use_cache
        )

    def match(self, question: str) -> MatchResult:
        return self.matcher.match(question)

    def answer(self, question: str) -> Answer:
        return build_answer(question, self.matcher.match(question), self.kb)

    def answer_entry(self, entry_id: str) -> Answer:
        """The answer for one known entry (a related-code button); unknown ids get the unknown answer."""
        entry = self.kb.get(entry_id)
        if entry is None:
            return build_answer(entry_id, MatchResult(), self.kb)
        match = Match(entry.id, entry.kind, entry.code, entry.name, 1.0, "entry")
        return build_answer(entry.code or entry.name, MatchResult((match,)), self.kb)


def _compile(kb: KnowledgeBase) -> Answerer:
    """What the cache holds: the entries and the matcher's index, ready to answer."""
    return Answerer(kb, Matcher(kb))
