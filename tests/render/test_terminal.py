"""Terminal rendering: golden output for fixed answers; colour only when asked."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.answer import build_answer
from bot.knowledge.model import KnowledgeBase
from bot.match.matcher import Matcher
from bot.render.terminal import render_answer

GOLDEN = Path(__file__).resolve().parent / "golden"
CASES = {
    "answered-403": "why am I getting 403",
    "two-codes": "403 then 404",
    "class-fallback": "status 463 from the API",
    "unknown": "what is the weather in Lisbon",
    "empty": "",
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_golden(case: str, mini_kb: KnowledgeBase) -> None:
    question = CASES[case]
    text = render_answer(build_answer(question, Matcher(mini_kb).match(question), mini_kb), color=False, width=80)
    path = GOLDEN / f"{case}.txt"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.write_text(text)
    assert path.exists(), f"no golden file {path.name}; run with UPDATE_GOLDEN=1 and review the diff"
    assert text == path.read_text()


def test_meaning_comes_before_causes_and_snippets(mini_kb: KnowledgeBase) -> None:
    text = render_answer(build_answer("403", Matcher(mini_kb).match("403"), mini_kb))
    assert text.index("403 Forbidden") < text.index("Likely causes") < text.index("See which layer answered")


def test_colour_only_when_asked(mini_kb: KnowledgeBase) -> None:
    a = build_answer("403", Matcher(mini_kb).match("403"), mini_kb)
    assert "\x1b[" not in render_answer(a, color=False)
    assert "\x1b[" in render_answer(a, color=True)


def test_lines_respect_width(mini_kb: KnowledgeBase) -> None:
    a = build_answer("403", Matcher(mini_kb).match("403"), mini_kb)
    prose = [line for line in render_answer(a, width=60).splitlines() if not line.startswith("    curl")]
    assert max(len(line) for line in prose) <= 60


def test_full_view_adds_who_sends_and_short_view_marks_what_it_left_out(real_kb: KnowledgeBase) -> None:
    a = build_answer("504", Matcher(real_kb).match("504"), real_kb)
    short = render_answer(a)
    full = render_answer(a, full=True)
    assert "Who sends it" not in short and "Who sends it" in full
    assert len(full) > len(short)
    if len(a.entries[0].causes) > 4:
        assert "more causes (--full)" in short
