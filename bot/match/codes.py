"""Find the status codes a message mentions, and tell them from numbers that only look like codes.

A three-digit number is a code candidate only if nothing around it says it is something else:
a port or file line (`host:8080`, `app.py:403`), a duration or size (`500ms`, `413 MB`), part of
an IP address or version (`10.0.0.200`, `1.403.2`), a count (`300 users`), an errno
(`(111: Connection refused)`), an issue or line reference (`#404`, `line 500`), or money.
Words before and after (`HTTP/1.1 403`, `status=502`, `404 Not Found`, `503 errors`) make a
candidate stronger; `expected 200` marks a code the writer did not get.
"""

from __future__ import annotations

import re
from typing import NamedTuple

# A number of 3 digits not glued to other digits, dots or commas on its left, optionally with
# a dotted sub-status (IIS 403.14); class forms 5xx / 5XX / 50x.
_NUMBER = re.compile(r"(?<![\d.,])(\d{3})(?:\.(\d{1,3}))?(?![\d])")
_CLASS = re.compile(r"(?<![\w])([1-5])(?:xx|0x|\*\*)(?![\w])", re.IGNORECASE)

# Words that, right before a number, say it is a status code.
CODE_WORDS = frozenset(
    """http https status statuscode status_code code codes error errors err response responses returned returns
    return returning got get gets getting receive received receiving throws throw threw giving gives gave
    sends sent send see seeing saw responds responded answer answers answered with failed fails failing hit
    hitting shows showing show display displays""".split()
)  # fmt: skip
# Words right after a number that make it a status code.
AFTER_CODE_WORDS = frozenset(
    "error errors err status response responses code codes page pages responses reply replies status_code".split()
)
# Words right before a number that make it something else.
NOT_CODE_BEFORE = frozenset(
    """line lines ln row rows col column columns port ports pid issue issues pr pull ticket version ver v build step
    steps id page chapter item items number no num node room errno exit signal uid gid pid rule rules order
    invoice bug""".split()
)  # fmt: skip
# Words before a number that make it a quantity, unless a status word follows ("about 499 status").
APPROXIMATE_BEFORE = frozenset(
    "top first last over under about around approx approximately nearly almost least most than".split()
)
# Units and nouns right after a number that make it a quantity.
NOT_CODE_AFTER = frozenset(
    """ms msec msecs millisecond milliseconds s sec secs second seconds min mins minute minutes h hr hrs hour hours
    day days week weeks month months year years b byte bytes kb kib mb mib gb gib tb k m px pt em rem dpi hz khz mhz
    ghz rps rpm qps tps users user items item rows row records record lines files file times people members
    characters chars words pages requests req reqs calls connections conns clients threads workers pods nodes
    instances servers machines tokens dollars usd eur euros gbp percent pct x times per""".split()
)  # fmt: skip
# Words before "300s" that make it a duration, not a plural of codes ("after 300s", but "lots of 502s").
DURATION_BEFORE = frozenset("after within for took takes taking waited waiting wait timeout than every each".split())
SIGILS = ("$", "#", "€", "£", "¥", "@", "~", "+", "-", "/", "\\")
MONEY_OR_NUMBER = ("$", "#", "€", "£", "¥")  # these mark a number even with a space before it: "$ 500", "# 404"
ARTICLES = frozenset("a an the this that these those some any".split())
NEGATING_WORDS = frozenset("expected expecting expect instead should rather not except other than want wanted".split())

_WORD = re.compile(r"[A-Za-z_]+")


class CodeMention(NamedTuple):
    """One code found in the text; `strength` is how sure we are that it is a status code."""

    code: str  # "403", "5xx", "000"
    sub: str | None  # "14" for 403.14
    start: int
    strength: float
    negated: bool = False

    @property
    def full(self) -> str:
        return f"{self.code}.{self.sub}" if self.sub else self.code


def _word_before(text: str, start: int) -> tuple[str, str]:
    """The word before position `start` and the characters between it and the number."""
    left = text[max(0, start - 40) : start]
    words = list(_WORD.finditer(left))
    if not words:
        return "", left[-3:]
    last = words[-1]
    return last.group(0).lower(), left[last.end() :]


def _words_before(text: str, start: int, n: int) -> list[str]:
    """Up to n words before `start`, not reaching back past an earlier number."""
    window = re.split(r"\d", text[max(0, start - 60) : start])[-1]
    return [w.lower() for w in _WORD.findall(window)][-n:]


def _word_after(text: str, end: int) -> tuple[str, str]:
    right = text[end : end + 40]
    match = _WORD.search(right)
    if match is None:
        return "", right[:3]
    return match.group(0).lower(), right[: match.start()]


def _is_hostlike(text: str, colon: int) -> bool:
    """True when the characters before a `:` look like a host, IP, path or file (a port or line)."""
    left = text[:colon]
    token = re.split(r"[\s\"'(\[<=,]", left)[-1] if left else ""
    return bool(token) and token.lower().rstrip(":") not in CODE_WORDS


def _after_http_version(text: str, start: int) -> bool:
    return re.search(r"http/\d(\.\d)?\s*$", text[:start].lower()) is not None


def _looks_like_something_else(text: str, start: int, end: int) -> bool:
    """True when the surroundings say the number is a port, size, duration, count, money or reference."""
    before_word, gap_before = _word_before(text, start)
    after_word, gap_after = _word_after(text, end)
    before = gap_before.strip()
    glued_plural = gap_after == "" and after_word == "s"  # "502s" stays a code
    checks = (
        # Glued to letters on the left (L403, abc403) unless the letters say "code" (HTTP403, ERR_401).
        gap_before == "" and bool(before_word) and before_word.rstrip("_") not in CODE_WORDS,
        gap_before.endswith(":") and not gap_before.endswith(" :") and _is_hostlike(text, start - 1),
        # $500, #404, /items/404; a dash or slash with a space after it separates ("proxy - 407")
        (gap_before.endswith(SIGILS) or before.endswith(MONEY_OR_NUMBER)) and not _after_http_version(text, start),
        before.endswith("(") and gap_after.startswith(":"),  # errno in a log line: (111: Connection refused)
        before.endswith("(") and re.match(r"\)[A-Za-z]", text[end : end + 2]) is not None,  # Apache: (104)Connection
        gap_after.startswith(("%", "/", "°", "×", "-"))
        and not gap_after.startswith("- ")
        and not re.match(r"[-/]\s*(?:[1-5]\d\d|[a-z])", text[end : end + 6].lower()),  # 50%, 500/sec
        gap_after.startswith(",") and re.match(r",\d", text[end : end + 2]) is not None,  # 500,000
        gap_after == "" and bool(after_word) and not glued_plural,  # 500ms, 300x250, 403abc
        glued_plural and (before_word in DURATION_BEFORE or before.endswith("~")),  # after 300s, ~300s
        after_word in NOT_CODE_AFTER and gap_after.strip() == "" and not glued_plural,  # 500 ms, 300 users
        before_word in NOT_CODE_BEFORE and before in ("", ":", "#", "=", "no", "no."),  # line 403, port 500
        before_word in APPROXIMATE_BEFORE and before == "" and after_word not in AFTER_CODE_WORDS,  # over 500
        _words_before(text, start, 2) in (["exit", "code"], ["exit", "status"], ["return", "code"]),  # exit code 137
    )
    return any(checks)


def _strength(text: str, start: int, end: int, number: str) -> float | None:
    """None when the number is not a status code; else a strength in (0, 1]."""
    if _looks_like_something_else(text, start, end):
        return None
    before_word, gap_before = _word_before(text, start)
    after_word, _ = _word_after(text, end)
    if before_word in ARTICLES and gap_before.strip() == "":
        before_word = (_words_before(text, start, 2) or [""])[0]  # "sends a 408" reads like "sends 408"
    if text.strip() == number:
        return 0.99
    if before_word in CODE_WORDS or _after_http_version(text, start) or after_word in AFTER_CODE_WORDS:
        return 0.97
    return 0.85


def find_codes(text: str) -> list[CodeMention]:
    """Every status-code mention in reading order, with its strength; duplicates kept once."""
    found: dict[str, CodeMention] = {}
    for match in _NUMBER.finditer(text):
        number, sub = match.group(1), match.group(2)
        value = int(number)
        in_range = number == "000" or 100 <= value <= 599
        if not in_range and not (600 <= value <= 999 and _has_context(text, match.start())):
            continue
        end = match.end() if sub else match.end(1)
        if sub and re.match(r"\.\d", text[match.end() : match.end() + 2]):
            continue  # a version or address: 200.100.50.25
        strength = _strength(text, match.start(), end, number)
        if strength is None:
            continue
        negated = bool(NEGATING_WORDS.intersection(_words_before(text, match.start(), 3)))
        mention = CodeMention(number, sub, match.start(), strength, negated)
        key = mention.full
        if key not in found or found[key].strength < strength:
            found[key] = mention
    # A class is less specific than a code: with codes present it ranks after them.
    class_strength = 0.84 if found else 0.9
    for match in _CLASS.finditer(text):
        code = f"{match.group(1)}xx"
        if code not in found:
            found[code] = CodeMention(code, None, match.start(), class_strength)
    return sorted(found.values(), key=lambda m: m.start)


def _has_context(text: str, start: int) -> bool:
    """Numbers outside 100-599 count only with a word saying they are a status (LinkedIn 999)."""
    words = _words_before(text, start, 2)
    return any(w in ("http", "status", "code", "error", "err") for w in words)
