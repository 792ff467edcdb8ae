"""Matcher behaviour on the real knowledge base: codes, phrases, typos, old names, topics."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.core import Answerer
from bot.match.matcher import CONFIDENT

HERE = Path(__file__).resolve().parent
# Our own labelled sets: examples.yml, written with the matcher; heldout*.yml, each written by someone
# who had seen neither the knowledge base nor the matcher (each since used to find gaps).
LABELLED = [HERE / "examples.yml", *(HERE / f"heldout{n}.yml" for n in ("", "2", "3", "4", "5"))]
FLOOR = 0.9  # hit@1 on each of them must stay at or above this


def first_status(answerer: Answerer, text: str) -> str | None:
    for match in answerer.match(text).matches:
        if match.kind.value != "topic" and match.status is not None:
            return match.status
    return None


@pytest.mark.parametrize("path", LABELLED, ids=lambda p: p.name)
def test_own_examples_stay_above_floor(answerer: Answerer, path: Path) -> None:
    items = yaml.safe_load(path.read_text())
    misses = []
    for item in items:
        gold = {str(c) for c in item["codes"]}
        got = first_status(answerer, item["text"])
        ok = (got is None) if not gold else (got in gold)
        if not ok:
            misses.append(f"{item['text']!r}: wanted {sorted(gold) or 'no status'}, got {got}")
    hit1 = 1 - len(misses) / len(items)
    assert hit1 >= FLOOR, f"hit@1 {hit1:.1%} below {FLOOR:.0%}; misses:\n" + "\n".join(misses)


def test_several_codes_are_all_returned_in_order(answerer: Answerer) -> None:
    codes = [m.code for m in answerer.match("first a 502, then 504 and finally 503").matches]
    assert codes[:3] == ["502", "504", "503"]


def test_old_names_and_typos(answerer: Answerer) -> None:
    assert first_status(answerer, "Request Entity Too Large") == "413"
    assert first_status(answerer, "Moved Temporarily") == "302"
    assert first_status(answerer, "Requested Range Not Satisfiable") == "416"
    assert first_status(answerer, "bad gatway") == "502"
    assert first_status(answerer, "servcie unavailable") == "503"


def test_scores_are_between_0_and_1_and_ranked(answerer: Answerer) -> None:
    for text in ("403", "bad gateway", "nginx 499", "5xx", "upstream timed out", "CORS error on fetch"):
        result = answerer.match(text)
        scores = [m.score for m in result.matches]
        assert scores == sorted(scores, reverse=True)
        assert all(CONFIDENT <= s <= 1.0 for s in scores)
        assert all(0.0 <= s.score < CONFIDENT for s in result.suggestions)


def test_nothing_relevant_gives_nothing(answerer: Answerer) -> None:
    result = answerer.match("how do I centre a div")
    assert result.matches == ()
    assert not result.confident


def test_low_confidence_offers_suggestions_not_answers(answerer: Answerer) -> None:
    result = answerer.match("timed out")
    assert not result.matches or result.matches[0].score >= CONFIDENT
    weak = answerer.match("gateway")
    assert weak.matches == ()
    assert {s.code for s in weak.suggestions} & {"502", "504"}


def test_vendor_named_in_the_text_wins(answerer: Answerer) -> None:
    top = answerer.match("esri arcgis 499").matches[0]
    assert top.entry == "esri-499"
    assert answerer.match("nginx 499").matches[0].entry == "nginx-499"


def test_bare_shared_number_mentions_the_other_meanings(answerer: Answerer) -> None:
    answer = answerer.answer("499")
    assert answer.primary is not None and answer.primary.id == "nginx-499"
    assert any("also means" in note for note in answer.notes)


def test_iis_substatus(answerer: Answerer) -> None:
    assert answerer.match("HTTP Error 500.19 - Internal Server Error").matches[0].entry == "iis-500.19"


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("getaddrinfo ENOTFOUND api.example.com", "topic-dns"),
        ("connect ECONNREFUSED 127.0.0.1:5432", "topic-connection-refused"),
        ("curl says 000", "topic-curl-000"),
    ],
)
def test_topics(answerer: Answerer, text: str, topic: str) -> None:
    assert answerer.match(text).matches[0].entry == topic


def test_a_fragment_of_an_error_message_quoted_from_memory(answerer: Answerer) -> None:
    # nginx writes "connect() failed (111: Connection refused) while connecting to upstream"
    assert first_status(answerer, "nginx log: failed while connecting to upstream") == "502"


def test_inflections_meet(answerer: Answerer) -> None:
    assert first_status(answerer, "the upload says storage quota reached") == "507"
    assert first_status(answerer, "our CI jobs keep being rate limited by the package registry") == "429"


def test_the_code_on_the_wire_is_reported_for_a_vendor_error_number(answerer: Answerer) -> None:
    match = answerer.match("cloudflare error 1020 on the login page").matches[0]
    assert (match.entry, match.code, match.status) == ("cloudflare-1020", "1020", "403")
    assert match.to_dict()["code"] == "403"


def test_a_topic_with_a_usual_status_is_followed_by_it(answerer: Answerer) -> None:
    matches = answerer.match("chrome says ERR_TOO_MANY_REDIRECTS after the https switch").matches
    assert [m.entry for m in matches[:2]] == ["topic-redirect-loop", "class-3xx"]
    assert matches[1].score <= matches[0].score and matches[1].via == "topic"
    # a topic without one is not followed by a status
    assert [m.kind.value for m in answerer.match("dig says NXDOMAIN for our api host").matches] == ["topic"]


def test_the_reading_that_explains_more_of_the_question_wins(answerer: Answerer) -> None:
    text = "PermanentRedirect: The bucket you are attempting to access must be addressed using the specified endpoint"
    assert first_status(answerer, text) == "301"  # S3 sends 301, though 308's name is in the text


def test_naming_a_product_is_not_naming_its_error(answerer: Answerer) -> None:
    # ASP.NET Core Module entries share "asp.net core" and "failed"; neither says which error this is
    result = answerer.match("asp.net core controller keeps failing on the orders page")
    assert not any(m.entry.startswith("ancm-") for m in result.matches)


def test_plural_codes_still_count(answerer: Answerer) -> None:
    assert first_status(answerer, "lots of 502s since the deploy") == "502"


@pytest.mark.parametrize(
    "text",
    [
        "webpack: Module not found: Error: Can't resolve './Header'",
        "bash: kubectl: command not found in the runner image",
        "java.lang.ClassNotFoundException: org.postgresql.Driver after the upgrade",
        "OkHttp keeps the connection pool at 5 idle connections",
    ],
)
def test_reason_words_in_code_errors_are_not_statuses(answerer: Answerer, text: str) -> None:
    assert first_status(answerer, text) is None, answerer.match(text).matches


def test_an_error_code_outranks_a_success_code_beside_it(answerer: Answerer) -> None:
    assert first_status(answerer, "GET /health is 200 but POST /cart throws 502 on one node") == "502"
    assert first_status(answerer, "first a 502, then 504") == "502"  # errors keep their order


def test_a_topic_status_yields_to_a_status_the_question_names(answerer: Answerer) -> None:
    entries = [m.entry for m in answerer.match("ERR_TOO_MANY_REDIRECTS and then the login page says 401").matches]
    assert "topic-redirect-loop" in entries and "class-3xx" not in entries
    assert first_status(answerer, "chrome: ERR_TOO_MANY_REDIRECTS on the login page") == "3xx"


def test_a_status_name_quoted_with_a_capital(answerer: Answerer) -> None:
    assert first_status(answerer, "the second deploy job uploads the same file and gets Conflict") == "409"
    assert first_status(answerer, "the second deploy job uploads the same file and gets a conflict") is None


def test_a_name_without_its_predicate_is_not_the_name(answerer: Answerer) -> None:
    # "Request Header Fields" is the subject of 431's name; "Too Large" is what it says
    result = answerer.match("the request header field parser complains about a bad line")
    assert "431" not in [m.entry for m in result.matches]
