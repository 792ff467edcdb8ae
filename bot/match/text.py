"""Text normalisation shared by the phrase index and queries, so both sides tokenise alike."""

from __future__ import annotations

import functools
import re
import unicodedata

_TOKEN = re.compile(r"[a-z0-9]+")
_APOSTROPHE = re.compile(r"['’]")
# A package path before a class name is where the error lives, not what it says:
# "java.lang.ClassNotFoundException" -> "ClassNotFoundException".
_NAMESPACE = re.compile(r"\b(?:[a-z_][a-z0-9_]*\.)+(?=[A-Z])")
# An IPv4 address (and port) says nothing about which error it is, and its four numbers would
# push a message's words apart: "dial tcp 127.0.0.1:9000: connect: connection refused".
_IPV4 = re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?\b")

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
    if text.isascii():
        return text.lower().replace("'", "")
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return _APOSTROPHE.sub("", text.lower())


_KEEP_S = frozenset({"https", "always", "status", "alias", "series", "news", "canvas", "species"})
# Words error messages use interchangeably, folded to one form (after stemming).
WORD_FAMILY = {
    "maximum": "max",
    "cannot": "not",
    "cant": "not",
    "couldnt": "not",
    "unabl": "not",
}
# Product names that would split into a reason phrase: OkHttp is not "OK".
_PRODUCT = re.compile(r"\bOkHttp")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z][a-z])|(?<=[A-Z])(?=[A-Z][a-z])")
# An upper-case method name is the HTTP verb ("Cannot GET /books"); lower-case "get" is English.
_METHOD = re.compile(r"\b(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS|CONNECT|TRACE)\b")


@functools.lru_cache(maxsize=16384)
def stem(token: str) -> str:
    """A crude, deterministic fold of English inflections, applied alike to phrases and queries so
    both meet on one form: `errors` -> `error`, `permanently` -> `permanent`, `redirected` and
    `redirecting` -> `redirect`, `required` and `requires` -> `requir`, `denied` -> `deny`.

    Crude is enough: the stem is never shown, it only has to be the same on both sides.
    """
    if len(token) < 5 or not token.isalpha():
        return WORD_FAMILY.get(token, token)
    if len(token) > 7 and token.endswith("ily"):
        token = token[:-3] + "y"
    elif len(token) > 7 and token.endswith("ly"):
        token = token[:-2]
    elif token.endswith("ied") or (token.endswith("ies") and token not in _KEEP_S):
        token = token[:-3] + "y"
    elif token.endswith("ing") and len(token) >= 7:
        token = token[:-3]
    elif token.endswith("ed") and not token.endswith("eed") and len(token) >= 6:
        token = token[:-2]
    elif token.endswith("s") and not token.endswith(("ss", "us", "is", "ous")) and token not in _KEEP_S:
        token = token[:-1]
    if token.endswith("e") and len(token) >= 5:
        token = token[:-1]
    return WORD_FAMILY.get(token, token)


def split_identifiers(text: str) -> str:
    """`SignatureDoesNotMatch` -> `Signature Does Not Match`; `GET` -> `httpget`."""
    text = _METHOD.sub(lambda m: " http" + m.group(1).lower() + " ", text)
    if "OkHttp" in text:
        text = _PRODUCT.sub(lambda m: m.group(0).lower(), text)
    return _CAMEL.sub(" ", text)


def words(text: str) -> list[str]:
    """Content words in order, folded, stopwords removed, not stemmed: typo correction compares these."""
    if "." in text:
        text = _NAMESPACE.sub("", _IPV4.sub(" ", text))
    return [t for t in _TOKEN.findall(fold(split_identifiers(text))) if t not in STOPWORDS]


_TITLED = re.compile(r"(?<=[a-z,] )[A-Z][a-z]+\b")


def titled(text: str) -> frozenset[str]:
    """Tokens of words capitalised in mid-sentence, the way a status name is quoted: "gets Conflict"."""
    return frozenset(stem(w.lower()) for w in _TITLED.findall(text))


def tokens(text: str) -> list[str]:
    """Content tokens in order: the words, stemmed."""
    return [stem(t) for t in words(text)]
