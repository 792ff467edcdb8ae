"""Free text -> ranked entries with scores in [0, 1]: explicit codes first, then phrases.

Scores mean: >= CONFIDENT the bot answers with the entry; between SUGGEST and CONFIDENT it only
offers the entry as "did you mean"; below SUGGEST the entry is dropped.
"""

from __future__ import annotations

from collections import defaultdict
from typing import NamedTuple

from bot.knowledge.model import Entry, KnowledgeBase
from bot.knowledge.schema import Kind
from bot.match.codes import CodeMention, find_codes
from bot.match.index import PhraseHit, PhraseIndex
from bot.match.text import stem, titled, words

CONFIDENT = 0.6
SUGGEST = 0.35
MAX_MATCHES = 5
PHRASE_MARGIN = 0.06  # a second phrase-only entry is answered too only when nearly as strong as the first
STRONG_PHRASE = 0.9
MAX_SUGGESTIONS = 5
NO_RESPONSE = "000"  # curl and log tools print 000 when no status line arrived at all


class Match(NamedTuple):
    """One entry the question points to; `asked` is the code as written when it differs.

    `code` is the entry's own code ("500.30" for an IIS sub-status, "1020" for a Cloudflare error);
    `status` is the code on the wire ("500", "403"), which is what the JSON contract reports as `code`.
    """

    entry: str
    kind: Kind
    code: str | None
    name: str
    score: float
    via: str  # code | phrase | class-fallback | topic | alternative
    asked: str | None = None
    wire: str | None = None  # the status the client receives, when it is not `code`

    @property
    def status(self) -> str | None:
        return self.wire or self.code

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {
            "kind": self.kind.value,
            "code": self.status,
            "entry": self.entry,
            "name": self.name,
            "score": round(self.score, 3),
        }
        return out

    def to_full_dict(self) -> dict[str, object]:
        return {**self.to_dict(), "entry_code": self.code, "via": self.via, "asked": self.asked}


class MatchResult(NamedTuple):
    matches: tuple[Match, ...] = ()
    suggestions: tuple[Match, ...] = ()

    @property
    def confident(self) -> bool:
        return bool(self.matches)

    def to_dict(self) -> dict[str, object]:
        return {
            "matches": [m.to_dict() for m in self.matches],
            "suggestions": [m.to_dict() for m in self.suggestions],
            "confident": self.confident,
        }


class _Candidate:
    """Mutable while ranking (scores are capped and clamped), so a plain class, not a record."""

    __slots__ = ("alternatives", "asked", "entry", "position", "score", "via")

    def __init__(self, entry: Entry, score: float, via: str, position: int, asked: str | None = None) -> None:
        self.entry = entry
        self.score = score
        self.via = via
        self.position = position
        self.asked = asked
        self.alternatives: list[Entry] = []

    @property
    def tier(self) -> int:
        """0: a code typed with confidence; 1: a weaker or fallback code; 2: a code the writer did not get."""
        if self.via == "phrase":
            return 1
        if self.position >= 10_000:
            return 2
        return 0 if self.score >= 0.84 and self.via == "code" else 1


class Matcher:
    """Built once per process from a KnowledgeBase; `match` does no I/O."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self.index = PhraseIndex(kb)
        # Ids, not entries: the compiled cache then holds each entry once, unpickled on first use.
        by_code: dict[str, list[str]] = defaultdict(list)
        for entry in kb:
            if entry.code is not None:
                by_code[entry.code].append(entry.id)
        self.by_code = dict(by_code)
        self.no_response_topics = [
            r
            for i in self.by_code.get(NO_RESPONSE, ())
            for r in kb.entries[i].related
            if r in kb.entries and kb.entries[r].kind is Kind.TOPIC
        ]

    def _entries(self, code: str) -> list[Entry]:
        return [self.kb.entries[i] for i in self.by_code.get(code, ())]

    def match(self, text: str) -> MatchResult:
        text = " ".join(text.split())
        if not text:
            return MatchResult()
        asked = words(text)
        query = [stem(w) for w in asked]
        hits = self.index.search(query, asked, short_query=len(query) <= 4, titled=titled(text))
        found: dict[str, _Candidate] = {}
        suggestions: dict[str, float] = {}
        for mention in find_codes(text):
            self._add_mention(mention, query, hits, found, suggestions)
        for hit in hits.values():
            self._add_phrase(hit, query, found)
        _errors_first(found)
        ranked = self._rank(found)
        matches = self._with_seen_as([self._as_match(c) for c in ranked if c.score >= CONFIDENT])[:MAX_MATCHES]
        chosen = {m.entry for m in matches}
        for c in ranked:
            if c.score < CONFIDENT and c.score >= SUGGEST:
                suggestions[c.entry.id] = max(suggestions.get(c.entry.id, 0.0), c.score)
            for alt in c.alternatives:
                if alt.id not in chosen:
                    suggestions.setdefault(alt.id, min(c.score, CONFIDENT) * 0.8)
        suggested = [
            self._plain(self.kb.entries[i], s, "alternative")
            for i, s in sorted(suggestions.items(), key=lambda kv: -kv[1])
            if i not in chosen
        ][:MAX_SUGGESTIONS]
        return MatchResult(tuple(matches), tuple(suggested))

    @staticmethod
    def _rank(found: dict[str, _Candidate]) -> list[_Candidate]:
        """Codes the writer typed first, strongest and earliest first; then phrases by score.

        Scores are then made non-increasing down the list, so a lower rank never claims more
        confidence than a higher one; a phrase-only entry that is clearly weaker than the top
        answer drops below the answer threshold and becomes a suggestion.
        """
        codes = [c for c in found.values() if c.via != "phrase"]
        phrases = [c for c in found.values() if c.via == "phrase"]
        codes.sort(key=lambda c: (c.tier, c.position))
        phrases.sort(key=lambda c: (-c.score, c.entry.id))
        strong_codes = [c for c in codes if c.tier == 0]
        if strong_codes:
            ranked = strong_codes + phrases + [c for c in codes if c.tier > 0]
        else:
            ranked = sorted(codes + phrases, key=lambda c: (-c.score, c.tier, c.position))
        top = ranked[0].score if ranked else 0.0
        ceiling = 1.0
        for c in ranked:
            if c.via == "phrase" and c is not ranked[0] and c.score < max(top - PHRASE_MARGIN, STRONG_PHRASE):
                c.score = min(c.score, CONFIDENT - 0.01)
            c.score = min(c.score, ceiling)
            ceiling = c.score
        return ranked

    # -- code mentions -------------------------------------------------------------------
    def _add_mention(
        self,
        mention: CodeMention,
        query: list[str],
        hits: dict[str, PhraseHit],
        found: dict[str, _Candidate],
        suggestions: dict[str, float],
    ) -> None:
        strength = mention.strength * (0.75 if mention.negated else 1.0)
        position = mention.start + (10_000 if mention.negated else 0)
        if mention.sub and mention.full in self.by_code:
            for entry in self._pick(self._entries(mention.full), query, hits)[:1]:
                self._put(found, _Candidate(entry, min(0.99, strength + 0.02), "code", position))
            return
        entries = self._entries(mention.code)
        if mention.code == NO_RESPONSE and self.no_response_topics:
            # 000 is no status at all: the topic answers, unless the text names a product with a
            # 000 of its own that the topic is not about (the ALB's HTTP/2 GOAWAY case).
            topic = self.kb.entries[self.no_response_topics[0]]
            named = [e for e in entries if self.index.mentioned_vendor(e.id, query)]
            if not named or self.index.vendor_words.get(named[0].id, frozenset()) & set(topic.id.split("-")):
                self._put(found, _Candidate(topic, strength, "code", position))
                return
        if not entries:
            self._add_fallback(mention, strength, position, found)
            return
        ordered = self._pick(entries, query, hits)
        best = ordered[0]
        others = ordered[1:]
        vendor_named = self.index.mentioned_vendor(best.id, query)
        if best.kind is Kind.VENDOR and others and not vendor_named and best.id not in hits:
            strength *= 0.85  # several vendors use this number and the text names none
        boost = 0.02 if best.id in hits else 0.0
        candidate = _Candidate(best, min(0.99, strength + boost), "code", position)
        if best.kind is Kind.VENDOR or vendor_named:
            candidate.alternatives = [e for e in others if e.kind is Kind.VENDOR or e.kind is Kind.STATUS][:3]
        self._put(found, candidate)

    def _pick(self, entries: list[Entry], query: list[str], hits: dict[str, PhraseHit]) -> list[Entry]:
        """Order the meanings of one number: named vendor, then the registry, then the best-documented."""

        def key(entry: Entry) -> tuple[int, int, float, int, int, str]:
            return (
                0 if self.index.mentioned_vendor(entry.id, query) else 1,
                0 if entry.kind in (Kind.STATUS, Kind.CLASS) else 1,
                -(hits[entry.id].score if entry.id in hits else 0.0),
                0 if entry.is_deep else 1,
                -len(entry.match),
                entry.id,
            )

        return sorted(entries, key=key)

    def _add_fallback(self, mention: CodeMention, strength: float, position: int, found: dict[str, _Candidate]) -> None:
        """An unregistered code with a clear status context answers with its class (RFC 9110 §15)."""
        if strength < 0.95 or mention.code[0] not in "12345":
            return
        cls = self.kb.get(f"class-{mention.code[0]}xx")
        if cls is not None:
            self._put(found, _Candidate(cls, 0.65, "class-fallback", position, asked=mention.full))

    # -- phrases -------------------------------------------------------------------------
    def _add_phrase(self, hit: PhraseHit, query: list[str], found: dict[str, _Candidate]) -> None:
        entry = self.kb.entries[hit.entry]
        score = hit.score * (0.9 if hit.corrected else 1.0)
        # A vendor's generic wording ("Access denied") is weaker evidence than the registry's,
        # unless the text names the vendor or the phrase is the vendor's own error text.
        if (
            entry.kind is Kind.VENDOR
            and not self.index.mentioned_vendor(entry.id, query)
            and not self.index.vendor_words.get(entry.id, frozenset()).intersection(hit.tokens)
        ):
            score *= 0.9
            if len(hit.tokens) == 1:  # one generic word ("Deprecated") says too little about one vendor
                score = min(score, CONFIDENT - 0.01)
        if entry.kind is Kind.VENDOR and not self._says_more_than_the_vendor(entry, hit, query):
            score = min(score, CONFIDENT - 0.01)  # "asp.net core ... failing" names a product, not its error
        if entry.id in found:
            existing = found[entry.id]
            existing.score = min(0.99, max(existing.score, score) + 0.01)
            return
        if score < SUGGEST:
            return
        self._put(found, _Candidate(entry, score, "phrase", 20_000))

    def _with_seen_as(self, matches: list[Match]) -> list[Match]:
        """After a topic whose problem reaches the client as one status or class (a redirect loop is
        a chain of 3xx), answer that status too, just below the topic, unless the question already
        points at a status of its own ("Too many follow-up requests" from an authenticator is a 401)."""
        if any(m.kind is not Kind.TOPIC for m in matches):
            return matches
        out: list[Match] = []
        for match in matches:
            out.append(match)
            target = self.kb.get(self.kb.entries[match.entry].seen_as or "")  # every match is a topic here
            if target is not None and all(m.entry != target.id for m in matches):
                out.append(self._plain(target, max(CONFIDENT, match.score - 0.01), "topic"))
        return out

    def _says_more_than_the_vendor(self, entry: Entry, hit: PhraseHit, query: list[str]) -> bool:
        """True when the words shared with a vendor's phrase include a distinctive one besides its name."""
        shared = set(hit.tokens).intersection(query).difference(self.index.product_words)
        return any(self.index.idf[t] >= self.index.distinctive_idf for t in shared)

    # -- helpers -------------------------------------------------------------------------
    @staticmethod
    def _put(found: dict[str, _Candidate], candidate: _Candidate) -> None:
        old = found.get(candidate.entry.id)
        if old is None or candidate.score > old.score:
            found[candidate.entry.id] = candidate

    def _as_match(self, c: _Candidate) -> Match:
        entry = c.entry
        return Match(entry.id, entry.kind, entry.code, entry.name, round(c.score, 3), c.via, c.asked, _wire(entry))

    @staticmethod
    def _plain(entry: Entry, score: float, via: str) -> Match:
        return Match(entry.id, entry.kind, entry.code, entry.name, round(score, 3), via, wire=_wire(entry))


def _wire(entry: Entry) -> str | None:
    """The status a client receives for an entry whose own code it never sees on the wire."""
    return entry.sent_as or entry.parent


def _errors_first(found: dict[str, _Candidate]) -> None:
    """A success or interim code typed beside an error code is context for it: "/healthz is 200
    but POST /orders throws 500" is about the 500."""
    typed = {c: (c.entry.code or " ")[0] for c in found.values() if c.via == "code" and c.tier == 0}
    first_error = min((c.position for c, digit in typed.items() if digit in "45"), default=None)
    if first_error is not None:
        for c, digit in typed.items():
            if digit in "12":
                c.position = max(c.position, first_error) + 1
