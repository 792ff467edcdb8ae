"""Tokenising: both the index and the questions go through it, so forms must meet."""

from __future__ import annotations

import pytest

from bot.match.text import stem, tokens, words


@pytest.mark.parametrize(
    ("forms", "same"),
    [
        (["redirect", "redirects", "redirected", "redirecting"], True),
        (["require", "requires", "required"], True),
        (["deny", "denied"], True),
        (["exceed", "exceeds", "exceeded"], True),
        (["policy", "policies"], True),
        (["maximum", "max"], True),
        (["cannot", "can't", "couldn't", "unable"], True),
        (["status", "statu"], False),  # a word ending in s that is not a plural keeps it
        (["string", "str"], False),  # a short stem is not cut from -ing
    ],
)
def test_word_forms(forms: list[str], same: bool) -> None:
    stems = {tuple(tokens(f)) for f in forms}
    assert (len(stems) == 1) is same, stems


def test_words_keep_the_spelling_for_typo_correction() -> None:
    assert words("Servcie Unavailable at the gateway") == ["servcie", "unavailable", "gateway"]
    assert stem("servcie") != stem("service")  # why typos are corrected before stemming


def test_package_paths_and_product_names_are_not_words() -> None:
    assert words("java.lang.ClassNotFoundException") == ["class", "not", "found", "exception"]
    assert "ok" not in tokens("OkHttp SSLHandshakeException")


def test_addresses_are_not_words() -> None:
    assert words("dial tcp 10.0.0.7:8080: connect: connection refused") == [
        "dial",
        "tcp",
        "connect",
        "connection",
        "refused",
    ]


def test_identifiers_and_methods_split() -> None:
    assert tokens("SignatureDoesNotMatch") == ["signatur", "not", "match"]
    assert tokens("Cannot GET /books") == ["not", "httpget", "book"]
