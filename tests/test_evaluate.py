"""`httpcode eval`: scoring rules, the report, and the command through a real subprocess."""

from __future__ import annotations

import json
from pathlib import Path

from bot.evaluate import Labelled, evaluate, format_report, load_labelled, score_one
from bot.knowledge.model import KnowledgeBase
from bot.knowledge.schema import Kind
from bot.match.matcher import Match, Matcher, MatchResult
from tests.conftest import MINI_KB

STATUS_403 = Match("403", Kind.STATUS, "403", "Forbidden", 0.9, "code")
TOPIC_DNS = Match("topic-dns", Kind.TOPIC, None, "DNS", 0.8, "phrase")


def test_scoring_rules() -> None:
    wants_403 = Labelled("x", frozenset({"403"}), "explicit")
    negative = Labelled("y", frozenset(), "negative")
    assert score_one(wants_403, MatchResult((STATUS_403,)))[:2] == (True, True)
    assert score_one(wants_403, MatchResult((TOPIC_DNS, STATUS_403)))[:2] == (True, True), "topics are skipped"
    assert score_one(wants_403, MatchResult())[:2] == (False, False)
    assert score_one(negative, MatchResult((TOPIC_DNS,)))[:2] == (True, True)
    assert score_one(negative, MatchResult((STATUS_403,)))[:2] == (False, False)
    assert score_one(negative, MatchResult())[:2] == (True, True)


def test_report_counts_precision_of_confident_answers(mini_kb: KnowledgeBase) -> None:
    questions = [
        Labelled("403", frozenset({"403"}), "explicit"),
        Labelled("404", frozenset({"403"}), "explicit"),  # answered confidently, and wrong
        Labelled("weather in Lisbon", frozenset(), "negative"),  # not answered: does not count
    ]
    report = evaluate(Matcher(mini_kb), questions)
    assert (report.total, report.hit1, report.answered, report.answered_right) == (3, 2, 2, 1)
    assert report.precision == 0.5
    text = format_report(report, show_misses=True)
    assert "MISS [explicit] wanted 403, got 404: 404" in text
    assert "right 50.0% of the time" in text


def test_eval_command(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    labelled = tmp_path / "q.yml"
    labelled.write_text(
        "- {text: '403', codes: [403], style: explicit}\n- {text: nothing here, codes: [], style: negative}\n"
    )
    result = run_cli(["eval", "--json", str(labelled)], env={"HTTPCODE_KNOWLEDGE_DIR": str(MINI_KB)})
    assert result.code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["n"] == 2 and data["hit1"] == 1.0
    assert len(load_labelled(labelled)) == 2
    assert run_cli(["eval", str(tmp_path / "missing.yml")]).code == 2
