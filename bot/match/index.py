"""Phrase index over every entry's name, aliases and match hints, with typo correction.

A phrase matches a query by weighted token coverage: rare tokens (IDF over entries) count more
than common ones, so "gateway timeout" meets 504 and not 502's "bad gateway". Query tokens that
are not in the vocabulary are corrected to the closest vocabulary token with rapidfuzz, within
the same first letter and a similar length, so "bad gatway" still meets 502.
"""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from bot.knowledge.model import Entry, KnowledgeBase
from bot.knowledge.schema import Kind
from bot.match.text import stem, tokens, words

MAX_SKIP = 4  # phrase words a quoted fragment may leave out between two it kept
HIT_FLOOR = 0.35  # the matcher's suggestion floor: a weaker phrase score is not worth a hit
RUN_FLOOR_MASS = 3.0 - 4.0 * math.log(1.0 - HIT_FLOOR / 0.9)  # below this mass a run scores under HIT_FLOOR
EXPLAINS = 0.06  # bonus for a whole phrase, scaled by the share of the question it accounts for
ANCHORS = 1  # a phrase is looked at when the question holds its rarest word (or a word of a name)...
NAME_ANCHORS = 2  # ...or one of its two rarest, for a name or alias
RAREST = 2  # ...or holds one of the question's two rarest words
SOURCE_WEIGHT = {"name": 1.0, "alias": 0.97, "hint": 0.93}
LENGTH_WEIGHT = (0.0, 0.8, 0.9, 0.94, 0.96)  # by phrase length in tokens, 4+ capped

# Ordinary English words that are also reason phrases: alone in a long sentence they say
# nothing about HTTP ("we found it", "it's ok"), so they need a short query or a status word.
AMBIGUOUS_WORDS = frozenset(
    stem(w)
    for w in """ok found created accepted gone conflict continue processing locked unused deprecated moved redirect
    denied expired unknown""".split()
)  # fmt: skip
# A reason phrase right after one of these is a compiler's or shell's complaint, not HTTP's:
# "Module not found", "command not found", "ClassNotFoundException".
CODE_OBJECTS = frozenset(
    stem(w)
    for w in """module command class package import symbol dependency plugin executable library variable function
    attribute method""".split()
)  # fmt: skip
STATUS_CONTEXT = frozenset(
    stem(w)
    for w in """http https status code error response returns returned returning got getting throws page server
    answers responds replies says sends serves""".split()
)
GENERIC_ORIGIN_WORDS = frozenset(
    stem(w)
    for w in """application load balancing elastic error page body http mapping code codes framework api apis server
    shared hosting limits bandwidth enterprise access module core informal proxy convention client python
    log delivery service web windows parental controls""".split()
)  # fmt: skip


_WORDS = re.compile(r"[A-Za-z0-9]+")
_ZEROS = itertools.repeat(0.0)


class Phrase(NamedTuple):
    """A named tuple, not a dataclass: thousands of them sit in the compiled cache, and tuples
    unpickle several times faster."""

    entry: str
    tokens: tuple[str, ...]
    source: str
    text: str
    unique: tuple[str, ...]  # distinct tokens; a tuple, as frozensets unpickle slowly


class PhraseHit(NamedTuple):
    entry: str
    score: float
    phrase: str
    corrected: bool
    tokens: tuple[str, ...] = ()
    complete: bool = False  # every token of the phrase is in the query


class PhraseIndex:
    """Built once from the knowledge base; `search` is pure and allocation-light."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.phrases: list[Phrase] = []
        seen: set[tuple[str, tuple[str, ...]]] = set()
        shortened: set[int] = set()
        for entry in kb:
            for source, text in _phrase_texts(entry):
                toks = tuple(tokens(text))
                if not toks or (entry.id, toks) in seen:
                    continue
                seen.add((entry.id, toks))
                if len(toks) == 1 and len(_WORDS.findall(text)) > 1:
                    shortened.add(len(self.phrases))  # "IM Used", "If-Range" -> one word: it needs to be rare
                self.phrases.append(Phrase(entry.id, toks, source, text, tuple(dict.fromkeys(toks))))
        entry_df: dict[str, set[str]] = defaultdict(set)
        for phrase in self.phrases:
            for token in phrase.tokens:
                entry_df[token].add(phrase.entry)
        n = max(1, len(kb))
        self.idf = {t: math.log(1 + n / len(es)) for t, es in entry_df.items()}
        self.max_idf = math.log(1 + n)  # what a word no entry uses weighs in a question
        self.postings: dict[str, list[int]] = defaultdict(list)
        for number, phrase in enumerate(self.phrases):
            for token in set(phrase.tokens):
                self.postings[token].append(number)
        # A lone token must be rarer than this to count as a phrase ("error" is not; "teapot" is).
        self.rare_idf = math.log(1 + n / 2)
        self.distinctive_idf = min(math.log(1 + 25), self.rare_idf)  # a small base has no common words
        # A long question looks only at phrases anchored on its words: a phrase's rarest words
        # (numbers last). A phrase none of whose rare words were asked cannot score.
        self.anchor_postings: dict[str, list[int]] = defaultdict(list)
        self.rest: list[tuple[str, ...]] = []  # a phrase's words other than its anchor
        for number, phrase in enumerate(self.phrases):
            # Numbers in a hint are errno values and the like, which people leave out when they
            # retell an error ("upstream timed out (110: ...)"): they anchor only a hint of numbers.
            ranked = sorted(phrase.unique, key=lambda t: (t.isdigit(), -self.idf[t]))
            anchors = ANCHORS if phrase.source == "hint" else NAME_ANCHORS
            for token in ranked[:anchors]:
                self.anchor_postings[token].append(number)
            self.rest.append(tuple(ranked[anchors:]))
        self.single = [len(p.tokens) == 1 for p in self.phrases]
        self.hint = [p.source == "hint" for p in self.phrases]
        self.phrase_weight = [sum(self.idf[t] for t in p.tokens) for p in self.phrases]
        # Typos are corrected on whole words, before stemming ("servcie" is near "service", while
        # their stems "servci" and "servic" are not), then mapped to the stem the index uses.
        self.spellings: dict[str, str] = {}
        for phrase in self.phrases:
            for word in words(phrase.text):
                if len(word) >= 4 and not word.isdigit():
                    self.spellings.setdefault(word, stem(word))
        self.buckets: dict[str, list[str]] = defaultdict(list)
        for word in self.spellings:
            self.buckets[word[0]].append(word)
        self._corrections: dict[str, str | None] = {}
        self.shortened = frozenset(shortened)
        self.vendor_words = {e.id: _vendor_words(e) for e in kb if e.kind is Kind.VENDOR}
        # Every word of every vendor's product name, generic ones included ("core" in ASP.NET Core
        # Module): context, not evidence of which of that vendor's errors a question is about.
        self.product_words = frozenset().union(
            *self.vendor_words.values(),
            *(tokens(re.sub(r"\(.*?\)", " ", e.origin or "")) for e in kb if e.kind is Kind.VENDOR),
        )

    def correct(self, token: str) -> str | None:
        """The stem of the vocabulary word a misspelt query word most likely meant, or None."""
        if len(token) < 5 or token.isdigit():
            return None
        cached = self._corrections.get(token, "")
        if cached != "":
            return cached
        from rapidfuzz import fuzz, process  # only when a word is unknown: `ask 403` never pays for it

        bucket = [t for t in self.buckets.get(token[0], ()) if abs(len(t) - len(token)) <= 2]
        cutoff = 86 if len(token) <= 6 else 82
        best = process.extractOne(token, bucket, scorer=fuzz.ratio, score_cutoff=cutoff) if bucket else None
        result = self.spellings[best[0]] if best else None
        if len(self._corrections) < 20000:
            self._corrections[token] = result
        return result

    def search(
        self,
        query_tokens: Sequence[str],
        query_words: Sequence[str] = (),
        *,
        short_query: bool,
        titled: frozenset[str] = frozenset(),
    ) -> dict[str, PhraseHit]:
        """Best phrase hit per entry, scores in [0, 1); entries with several hits score a little higher.

        `query_words` are the question's unstemmed words, parallel to its tokens, for typo correction;
        `titled` the tokens written with a capital in mid-sentence ("the second one gets Conflict").
        """
        corrected: set[str] = set()
        seq: list[str] = []
        for number, token in enumerate(query_tokens):
            if token in self.idf:
                seq.append(token)
                continue
            fixed = self.correct(query_words[number] if number < len(query_words) else token)
            if fixed is not None:
                corrected.add(fixed)
                seq.append(fixed)
            else:
                seq.append(token)
        corrected.difference_update(query_tokens)  # also typed right elsewhere: no typo penalty
        positions: dict[str, list[int]] = defaultdict(list)
        for number, token in enumerate(seq):
            positions[token].append(number)
        # Candidates: every phrase sharing one of the question's two rarest words, and phrases
        # anchored on its other words (a name or alias on its two rarest words, a hint on its
        # rarest). A phrase of several words needs two of them in the question; the anchor
        # counts tell that for most phrases without looking at their words.
        counts: Counter[int] = Counter()
        rarest = set(sorted((t for t in positions if t in self.postings), key=lambda t: len(self.postings[t]))[:RAREST])
        for token in positions:
            counts.update((self.postings if token in rarest else self.anchor_postings).get(token, ()))
        present = set(positions)
        phrases, single, hint, rest = self.phrases, self.single, self.hint, self.rest
        # A count covers only a phrase's anchors, so with one, look at its other words; in a short
        # question a name may match on one word ("gateway" alone is worth a did-you-mean).
        chosen = [
            n
            for n, k in counts.items()
            if k >= 2
            or single[n]
            or (short_query and not hint[n])
            or (
                not present.isdisjoint(rest[n])  # cheap: most share no word besides the anchor
                and len(present.intersection(phrases[n].unique)) >= 2
            )
        ]
        best: dict[str, PhraseHit] = {}
        extra: dict[str, int] = defaultdict(int)
        totals = self.phrase_weight
        weigh = {t: self.idf[t] for t in positions if t in self.idf}.get
        for number in chosen:
            phrase = phrases[number]
            mass = sum(map(weigh, phrase.tokens, _ZEROS))  # the phrase's weight the question holds
            # Most candidates share too little of the phrase to reach a hit: skip them early.
            hopeless = mass < RUN_FLOOR_MASS and mass < 0.6 * totals[number] and not single[number]
            if hopeless and (hint[number] or not short_query):  # a short question's name may still be near
                continue
            score = self._score(phrase, number, positions, seq, corrected, short_query, mass, titled)
            if score < HIT_FLOOR:
                continue
            old = best.get(phrase.entry)
            if old is None or score > old.score:
                hit_corrected = any(t in corrected for t in phrase.tokens)
                complete = all(t in positions for t in phrase.tokens)
                best[phrase.entry] = PhraseHit(phrase.entry, score, phrase.text, hit_corrected, phrase.tokens, complete)
            extra[phrase.entry] += 1
        out = {}
        asked = sum(self.idf.get(t, self.max_idf) for t in seq) or 1.0
        for entry, hit in best.items():
            score = hit.score + 0.01 * min(3, extra[entry] - 1)  # more evidence, a little more sure
            if hit.complete:
                # Of two whole phrases, the one that explains more of the question is the better
                # reading: S3's "PermanentRedirect The bucket ... endpoint" (a 301) over 308's name.
                explained = sum(self.idf[t] for t in set(hit.tokens))
                score += EXPLAINS * min(1.0, explained / asked)
            if any(_inside(hit.tokens, o.tokens) for o in best.values() if o is not hit and o.complete):
                score *= 0.85  # "connection refused" inside nginx's "connect() failed (111: Connection refused) ..."
            out[entry] = PhraseHit(hit.entry, min(0.98, score), hit.phrase, hit.corrected, hit.tokens, hit.complete)
        return out

    def _score(
        self,
        phrase: Phrase,
        number: int,
        positions: dict[str, list[int]],
        seq: Sequence[str],
        corrected: set[str],
        short_query: bool,
        present_mass: float,
        titled: frozenset[str],
    ) -> float:
        toks = phrase.tokens
        weight = SOURCE_WEIGHT[phrase.source]
        idf = self.idf
        if len(toks) == 1:
            token = toks[0]
            token_idf = idf[token]
            if token_idf < self.distinctive_idf and phrase.source != "name":
                return 0.0
            if number in self.shortened and token_idf < self.rare_idf:
                return 0.0
            if token in AMBIGUOUS_WORDS and (
                (not short_query and not _near_status_word(seq, token) and token not in titled)
                or all(p > 0 and seq[p - 1] == "not" for p in positions[token])  # "not found" is not 302 Found
            ):
                return 0.0
            rare = 0.1 if token_idf >= self.rare_idf else 0.0  # ENOTFOUND, teapot: one entry or two
            return (LENGTH_WEIGHT[1] + rare) * weight * (0.9 if token in corrected else 1.0)
        present = sum(map(positions.__contains__, toks))
        typo_mass = sum(idf[t] for t in toks if t in corrected and t in positions) if corrected else 0.0
        total = self.phrase_weight[number]
        coverage = (present_mass - 0.1 * typo_mass) / total if total else 0.0
        whole = 0.0
        start = -1
        if coverage >= 0.6 and (len(toks) > 2 or coverage >= 0.89):
            # In order and together is best; close together still counts; words scattered over a long
            # paste ("client side ... error") are a coincidence, not the phrase.
            start = _contiguous_at(seq, toks, positions) if present == len(toks) else -1
            if start > 0 and phrase.source != "hint" and seq[start - 1] in CODE_OBJECTS:
                return 0.0
            if start >= 0:
                order = 1.0
            elif _span(toks, positions) <= len(toks) + 3 and (len(toks) > 2 or self._distinctive(toks)):
                order = 0.9
            else:
                order = 0.6
            whole = coverage * coverage * order * LENGTH_WEIGHT[min(len(toks), 4)] * weight
        part = 0.0
        # Two ordinary tokens in a row ("access log") stay a suggestion; three distinctive ones
        # ("upstream timed out") are an answer. The run's mass is at most present_mass, so the
        # run is looked for only when it could beat the whole-phrase score and make a hit.
        if start >= 0:  # the whole phrase stands word for word: it is its own longest run
            part = _run_score(present_mass, weight)
        elif (
            present >= 2
            # A name's last word is what it says of the subject ("Request Header Fields ... Too Large"):
            # without it a run of the subject's words is not the name.
            and (phrase.source == "hint" or toks[-1] in positions)
            and _run_score(present_mass, weight) > max(whole, HIT_FLOOR)
        ):
            run_tokens, run_mass = _longest_run(toks, positions, idf)
            if run_tokens >= 2:
                part = _run_score(run_mass, weight)
        near = 0.0
        if short_query and phrase.source != "hint" and coverage >= 0.45:
            near = 0.3 + 0.3 * coverage  # "gateway" alone: worth a did-you-mean, never an answer
        return max(whole, part, near)

    def _distinctive(self, toks: Sequence[str]) -> bool:
        """Two everyday words apart ("server ... error") are a coincidence; two rarer ones are not."""
        return any(self.idf[t] >= self.distinctive_idf for t in toks)

    def mentioned_vendor(self, entry_id: str, query_tokens: Iterable[str]) -> bool:
        words = self.vendor_words.get(entry_id, frozenset())
        return not words.isdisjoint(query_tokens)


def _phrase_texts(entry: Entry) -> Iterable[tuple[str, str]]:
    """Name and aliases without parenthesised glosses ("Connection refused (nothing ...)"), then hints."""
    for source, text in [("name", entry.name)] + [("alias", a) for a in entry.aliases]:
        bare = re.sub(r"\(.*?\)", " ", text).strip()
        if bare:
            yield source, bare
    for hint in entry.match:
        yield "hint", hint


def _vendor_words(entry: Entry) -> frozenset[str]:
    """Words that name an entry's vendor: its id prefix and the distinctive words of its origin."""
    prefix = entry.id.rsplit("-", 1)[0]
    origin = entry.origin or ""
    words = set(tokens(prefix.replace("-", " ")))
    words.update(t for t in tokens(re.sub(r"\(.*?\)", " ", origin)) if t not in GENERIC_ORIGIN_WORDS)
    for group in re.findall(r"(?:[A-Z][a-z]+\s+){1,4}[A-Z][a-z]+", origin):
        words.add("".join(w[0] for w in group.split()).lower())  # Application Load Balancer -> alb
    return frozenset(w for w in words if len(w) >= 3)


def _contiguous_at(seq: Sequence[str], toks: tuple[str, ...], positions: dict[str, list[int]]) -> int:
    """Where the phrase first stands word for word in the question, or -1."""
    n = len(toks)
    return next((p for p in positions.get(toks[0], ()) if tuple(seq[p : p + n]) == toks), -1)


def _run_score(mass: float, weight: float) -> float:
    return max(0.0, 0.9 * (1.0 - math.exp(-(mass - 3.0) / 4.0)) * weight)


def _span(toks: Sequence[str], positions: dict[str, list[int]]) -> int:
    """The shortest stretch of the query that holds one occurrence of each present phrase token."""
    wanted = [t for t in dict.fromkeys(toks) if t in positions]
    if len(wanted) < 2:
        return len(wanted)
    best = len(positions) * 1000
    for start in positions[wanted[0]]:
        far = start
        near = start
        for token in wanted[1:]:
            nearest = min(positions[token], key=lambda p: abs(p - start))
            far, near = max(far, nearest), min(near, nearest)
        best = min(best, far - near + 1)
    return best


def _inside(short: Sequence[str], long: Sequence[str]) -> bool:
    """True when `short` stands contiguously inside the longer phrase `long`."""
    n = len(short)
    if n >= len(long):
        return False
    return any(tuple(long[i : i + n]) == tuple(short) for i in range(len(long) - n + 1))


def _longest_run(toks: Sequence[str], positions: dict[str, list[int]], idf: dict[str, float]) -> tuple[int, float]:
    """Longest run of phrase tokens, in the phrase's order, that stand consecutively in the query.

    The phrase side may skip up to MAX_SKIP tokens between two of them: people quote an error
    from memory and drop the middle ("failed while connecting to upstream" for nginx's
    "connect() failed (111: Connection refused) while connecting to upstream").
    """
    best_len, best_mass = 0, 0.0
    ends: dict[int, tuple[int, float, int]] = {}  # query position -> (length, mass, phrase index) of a run ending there
    for index, token in enumerate(toks):
        where = positions.get(token)
        if where is None:
            continue
        weight = idf[token]
        for pos in where:
            before = ends.get(pos - 1)
            if before is None or before[2] >= index or index - before[2] - 1 > MAX_SKIP:
                run = (1, weight, index)
            else:
                run = (before[0] + 1, before[1] + weight, index)
            old = ends.get(pos)
            if old is None or old[1] < run[1]:
                ends[pos] = run
            if run[1] > best_mass:
                best_len, best_mass = run[0], run[1]
    return best_len, best_mass


def _near_status_word(seq: Sequence[str], word: str) -> bool:
    for i, token in enumerate(seq):
        if token == word:
            window = seq[max(0, i - 2) : i + 3]
            if STATUS_CONTEXT.intersection(window) or any(t.isdigit() and len(t) == 3 for t in window):
                return True
    return False
