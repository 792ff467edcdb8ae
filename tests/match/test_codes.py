"""Code extraction: real status mentions found, look-alike numbers ignored."""

from __future__ import annotations

import pytest

from bot.match.codes import find_codes


def codes(text: str) -> list[str]:
    return [m.full for m in find_codes(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("403", ["403"]),
        ("HTTP/1.1 403 Forbidden", ["403"]),
        ("HTTP/2 502", ["502"]),
        ("status=504 upstream", ["504"]),
        ('{"statusCode":500,"message":"boom"}', ["500"]),
        ('{"status": 429}', ["429"]),
        ("ERR:401 Unauthorized", ["401"]),
        ("Error: 500 when saving", ["500"]),
        ("getting 502s from the ALB", ["502"]),
        ("HTTP Error 403.14 - Forbidden", ["403.14"]),
        ("we see 5xx errors and some 4XX", ["5xx", "4xx"]),
        ("nginx error_page 50x", ["5xx"]),
        ("502 then 504 then 502 again", ["502", "504"]),
        ("curl -w '%{http_code}' prints 000", ["000"]),
        ("HTTP 999 from LinkedIn", ["999"]),
        ("npm install fails behind the corporate proxy - 407", ["407"]),
    ],
)
def test_finds_status_codes(text: str, expected: list[str]) -> None:
    assert codes(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "connect to localhost:8080 fails",
        "https://api.example.com:443/v1 is slow",
        "server listening on 0.0.0.0:500",
        "Traceback: File app.py:403 in handler",
        "request took 500ms",
        "request took 500 ms",
        "upload of 413 MB",
        "we have 300 users",
        "since 2024 this happens",
        "client 192.168.1.200 blocked",
        "upgraded from 1.403.2 to 2.0",
        "error on line 404",
        "see issue #404",
        "costs $500 a month",
        "connect() failed (111: Connection refused) while connecting to upstream",
        "upstream timed out (110: Connection timed out)",
        "AH01102: error reading status line from remote server (104)Connection reset by peer",
        "50% of requests",
        "raised to 500,000 rows",
        "port 443 closed",
        "banner 300x250 missing",
        "version 404 of the package",
        "gateway timeout after 300s on the report job",
        "the job dies within 500s",
        "pod OOMKilled with exit code 137",
        "the script ended with exit status 404 and no output",
    ],
)
def test_ignores_numbers_that_are_not_codes(text: str) -> None:
    assert codes(text) == []


def test_expected_code_is_marked_negated() -> None:
    found = {m.code: m for m in find_codes("expected 200 but got 500")}
    assert found["200"].negated
    assert not found["500"].negated


def test_context_words_make_a_mention_stronger() -> None:
    bare = find_codes("a 404 for the logo")[0].strength
    framed = find_codes("HTTP 404")[0].strength
    assert framed > bare


def test_unregistered_numbers_above_599_need_context() -> None:
    assert codes("we ordered 700 units") == []
    assert codes("we saw 999 widgets") == []
