"""The answer model: statuses, notes and the JSON shape, on the tiny fixture knowledge base."""

from __future__ import annotations

import json

from bot.answer import AnswerStatus, build_answer
from bot.knowledge.model import KnowledgeBase
from bot.match.matcher import Matcher


def answer(kb: KnowledgeBase, question: str):  # type: ignore[no-untyped-def]
    return build_answer(question, Matcher(kb).match(question), kb)


def test_answered_question_carries_full_entries(mini_kb: KnowledgeBase) -> None:
    a = answer(mini_kb, "why do I get 403")
    assert a.status is AnswerStatus.ANSWERED
    assert a.primary is not None and a.primary.id == "403"
    assert [r.id for r in a.related] == ["404", "class-4xx"]
    assert a.how_to_ask is None


def test_unknown_question_says_how_to_ask(mini_kb: KnowledgeBase) -> None:
    a = answer(mini_kb, "what is the weather in Lisbon")
    assert a.status is AnswerStatus.UNKNOWN
    assert a.entries == ()
    assert a.how_to_ask and "403" in a.how_to_ask


def test_empty_question(mini_kb: KnowledgeBase) -> None:
    assert answer(mini_kb, "   ").status is AnswerStatus.EMPTY


def test_unregistered_code_falls_back_to_class_with_a_note(mini_kb: KnowledgeBase) -> None:
    a = answer(mini_kb, "the API returned HTTP 463")
    assert a.primary is not None and a.primary.id == "class-4xx"
    assert a.matches[0].asked == "463"
    assert any("463 is not a registered status code" in n for n in a.notes)


def test_to_dict_is_json_with_contract_keys(mini_kb: KnowledgeBase) -> None:
    data = answer(mini_kb, "403 and 404").to_dict()
    text = json.dumps(data)
    assert json.loads(text)["status"] == "answered"
    assert [m["code"] for m in data["matches"]] == ["403", "404"]
    for match in data["matches"]:
        assert set(match) >= {"kind", "code", "entry", "name", "score"}
        assert 0.0 <= match["score"] <= 1.0
    assert data["entries"][0]["causes"][0]["confirm"]
    assert "aliases" not in data["entries"][0], "empty fields are left out"


def test_causes_that_share_words_with_the_question_come_first(mini_kb: KnowledgeBase) -> None:
    plain = answer(mini_kb, "403")
    assert plain.primary is not None
    assert plain.primary.causes[0].cause.startswith("The caller lacks the role")
    files = answer(mini_kb, "403 on static files, permission denied in the error log")
    assert files.primary is not None
    assert files.primary.causes[0].cause == "Files unreadable by the server user"
    assert len(files.primary.causes) == len(plain.primary.causes)
