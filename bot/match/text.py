"""Text normalisation shared by the phrase index and queries, so both sides tokenise alike."""

from __future__ import annotations

import re
import unicodedata

_TOKEN = re.compile(r"[a-z0-9]+")
_APOSTROPHE = re.compile(r"['’]")

# Function words carry no meaning for matching; removing them on both sides lets
# "sent to the HTTPS port" meet "sent to HTTPS port".
STOPWORDS = frozenset(
    """a an the and or but if of to in on at by for from with without into onto over under as is are was were be
    been being am do does did doing have has had having it its this that these those there here i me my we our
    you your he she they them their what which who whom whose when where why how all any both each few more most
    some such only own same so than very can will just should would could may might must
    shall s t d ll m re ve y about again further then once while after before during until because
    get gets got getting im ive dont doesnt didnt wont isnt arent wasnt werent hi hello please
    help thanks thank anyone someone something any every also still even using via per""".split()
)  # fmt: skip


def fold(text: str) -> str:
    """Lowercase, strip accents and apostrophes: `Don’t` -> `dont`."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return _APOSTROPHE.sub("", text.lower())


_KEEP_S = frozenset({"https", "always", "status", "alias", "series", "news", "canvas"})
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z][a-z])|(?<=[A-Z])(?=[A-Z][a-z])")
# An upper-case method name is the HTTP verb ("Cannot GET /books"); lower-case "get" is English.
_METHOD = re.compile(r"\b(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS|CONNECT|TRACE)\b")


def singular(token: str) -> str:
    """A crude fold of plurals and adverbs (`errors` -> `error`, `permanently` -> `permanent`),
    applied alike to phrases and queries so both meet on one form."""
    if len(token) > 7 and token.endswith("ily"):
        return token[:-3] + "y"
    if len(token) > 7 and token.endswith("ly"):
        return token[:-2]
    if (
        len(token) > 4
        and token.endswith("s")
        and not token.endswith(("ss", "us", "is", "ous"))
        and token not in _KEEP_S
    ):
        return token[:-1]
    return token


def split_identifiers(text: str) -> str:
    """`SignatureDoesNotMatch` -> `Signature Does Not Match`; `GET` -> `httpget`."""
    text = _METHOD.sub(lambda m: " http" + m.group(1).lower() + " ", text)
    return _CAMEL.sub(" ", text)


def tokens(text: str) -> list[str]:
    """Content tokens in order: folded, alphanumeric runs, stopwords removed, plurals folded."""
    return [singular(t) for t in _TOKEN.findall(fold(split_identifiers(text))) if t not in STOPWORDS]
