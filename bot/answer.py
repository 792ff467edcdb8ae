"""The answer model: what every renderer (terminal, JSON, Block Kit) draws, and nothing about how.

`build_answer` turns a question and its MatchResult into an Answer holding the full entries of
the matches (the first is the one shown in depth), the did-you-mean suggestions, notes that
qualify the answer (an unregistered code answered by its class, other meanings of a number),
and for an unknown question, how to ask.
"""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from typing import Any, NamedTuple

from bot.knowledge.model import Cause, Entry, KnowledgeBase
from bot.match.matcher import Match, MatchResult
from bot.match.text import tokens


class AnswerStatus(StrEnum):
    ANSWERED = "answered"  # at least one confident match
    UNSURE = "unsure"  # only did-you-mean suggestions
    UNKNOWN = "unknown"  # nothing relevant
    EMPTY = "empty"  # no question at all


HOW_TO_ASK = (
    "Ask with a status code (`403`, `403.14`, `5xx`), a reason phrase (`bad gateway`), "
    "or paste the error text you see (`upstream timed out`, `ECONNREFUSED`, `Error 1020`)."
)


class RelatedRef(NamedTuple):
    """A related entry, resolved so renderers can show its label without the knowledge base."""

    id: str
    label: str


class Answer(NamedTuple):
    question: str
    status: AnswerStatus
    matches: tuple[Match, ...]
    suggestions: tuple[Match, ...]
    entries: tuple[Entry, ...]  # one per match, same order
    related: tuple[RelatedRef, ...]  # for the primary entry
    compared: tuple[RelatedRef, ...]  # the primary entry's `compare` targets, labelled
    notes: tuple[str, ...]
    how_to_ask: str | None

    @property
    def primary(self) -> Entry | None:
        return self.entries[0] if self.entries else None

    @property
    def confident(self) -> bool:
        return self.status is AnswerStatus.ANSWERED

    def to_dict(self) -> dict[str, Any]:
        """The one JSON shape of an answer (`ask --json`); keys are added, never renamed."""
        return {
            "question": self.question,
            "status": self.status.value,
            "confident": self.confident,
            "matches": [m.to_full_dict() for m in self.matches],
            "suggestions": [m.to_full_dict() for m in self.suggestions],
            "notes": list(self.notes),
            "how_to_ask": self.how_to_ask,
            "entries": [entry_to_dict(e) for e in self.entries],
            "related": [{"id": r.id, "label": r.label} for r in self.related],
            "compared": [{"id": r.id, "label": r.label} for r in self.compared],
        }


def entry_to_dict(entry: Entry) -> dict[str, Any]:
    """An entry as plain JSON data, keys in the knowledge files' spelling, empty fields left out."""
    data: dict[str, Any] = {
        "id": entry.id,
        "kind": entry.kind.value,
        "code": entry.code,
        "name": entry.name,
        "aliases": list(entry.aliases),
        "origin": entry.origin,
        "status": entry.status,
        "spec": entry.spec,
        "doc": entry.doc,
        "deprecated": entry.deprecated,
        "expires": entry.expires,
        "parent": entry.parent,
        "sent_as": entry.sent_as,
        "visible_to": entry.visible_to,
        "collides_with": list(entry.collides_with),
        "layer": entry.layer,
        "summary": entry.summary,
        "explanation": entry.explanation,
        "who_sends": [{"layer": w.layer, "clue": w.clue} for w in entry.who_sends],
        "causes": [{"cause": c.cause, "confirm": c.confirm, "fix": c.fix} for c in entry.causes],
        "checklist": {"client": list(entry.checklist.client), "server": list(entry.checklist.server)},
        "snippets": [{"lang": s.lang, "purpose": s.purpose, "title": s.title, "code": s.code} for s in entry.snippets],
        "related": list(entry.related),
        "compare": [{"with": c.other, "rule": c.rule} for c in entry.compare],
        "retry": None
        if entry.retry is None
        else {"verdict": entry.retry.verdict, "why": entry.retry.why, "retry_after": entry.retry.retry_after},
        "headers": [{"name": h.name, "note": h.note} for h in entry.headers],
        "references": list(entry.references),
        "reviewed": entry.reviewed,
    }
    return {k: v for k, v in data.items() if v not in (None, [], {"client": [], "server": []})}


def build_answer(question: str, result: MatchResult, kb: KnowledgeBase) -> Answer:
    """Assemble the answer; never raises for an unknown or empty question."""
    question = question.strip()
    entries = tuple(kb.entries[m.entry] for m in result.matches if m.entry in kb.entries)
    if entries:
        entries = (causes_for_question(entries[0], question), *entries[1:])
    if not question:
        status = AnswerStatus.EMPTY
    elif entries:
        status = AnswerStatus.ANSWERED
    elif result.suggestions:
        status = AnswerStatus.UNSURE
    else:
        status = AnswerStatus.UNKNOWN
    notes: list[str] = []
    for match in result.matches:
        if match.via == "class-fallback" and match.asked:
            notes.append(
                f"{match.asked} is not a registered status code and not one we know from a vendor; "
                f"RFC 9110 §15 says to treat an unknown code like the x00 code of its class, so here is "
                f"what {match.code} means."
            )
    primary = entries[0] if entries else None
    if primary is not None and primary.collides_with:
        others = [kb.entries[i] for i in primary.collides_with if i in kb.entries]
        if others:
            notes.append(
                f"{primary.code} also means: "
                + "; ".join(f"{o.name} ({o.origin})" for o in others)
                + ". Name the product if you meant one of those."
            )
    related: tuple[RelatedRef, ...] = ()
    compared: tuple[RelatedRef, ...] = ()
    if primary is not None:
        related = tuple(RelatedRef(r, kb.entries[r].label) for r in primary.related if r in kb.entries)
        compared = tuple(
            RelatedRef(c.other, kb.entries[c.other].label) for c in primary.compare if c.other in kb.entries
        )
    return Answer(
        question=question,
        status=status,
        matches=result.matches,
        suggestions=result.suggestions,
        entries=entries,
        related=related,
        compared=compared,
        notes=tuple(notes),
        how_to_ask=None if status is AnswerStatus.ANSWERED else HOW_TO_ASK,
    )


def causes_for_question(entry: Entry, question: str) -> Entry:
    """The entry with the causes that share telling words with the question first ("S3 upload"
    puts the object-store cause of 403 on top); the knowledge base's own order is kept otherwise.

    A word tells only if it picks out few causes: words in the entry's name, or in more than a
    third of its causes ("timed" for 504), say nothing about which cause it is.
    """
    if len(entry.causes) < 2:
        return entry
    asked = [t for t in tokens(question) if not t.isdigit()]
    if not asked:  # a bare code has no words to weigh: spare tokenising every cause (~1 ms)
        return entry
    cause_words, name_words = _words_of(entry.id, entry.causes, entry.name, entry.aliases)
    most = max(1, len(cause_words) // 3)
    words = {t for t in asked if t not in name_words and sum(t in cw for cw in cause_words) <= most}
    if not words:
        return entry

    def overlap(index: int) -> int:
        return len(words & cause_words[index])

    order = sorted(range(len(entry.causes)), key=lambda i: -overlap(i))
    if order == list(range(len(entry.causes))):
        return entry
    return entry._replace(causes=tuple(entry.causes[i] for i in order))


@lru_cache(maxsize=1024)
def _words_of(
    entry_id: str, causes: tuple[Cause, ...], name: str, aliases: tuple[str, ...]
) -> tuple[tuple[frozenset[str], ...], frozenset[str]]:
    """Tokens of each cause and of the names, computed once per entry (tokenising is the costly part)."""
    return tuple(frozenset(tokens(f"{c.cause} {c.confirm}")) for c in causes), frozenset(
        tokens(" ".join((name, *aliases)))
    )
