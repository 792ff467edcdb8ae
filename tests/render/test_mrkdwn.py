"""Slack text safety: three-entity escaping, visible truncation, code fences nothing can break out of."""

from __future__ import annotations

import pytest

from bot.render.mrkdwn import TRUNCATED_LINE, code_block, escape, truncate


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("a & b", "a &amp; b"),
        ("<!channel>", "&lt;!channel&gt;"),
        ("<@U123>", "&lt;@U123&gt;"),
        ("<https://evil.example|docs>", "&lt;https://evil.example|docs&gt;"),
        ("&lt; already", "&amp;lt; already"),  # input arrives unescaped once; escaping again is on purpose
        ('it\'s "quoted" *bold* `code`', 'it\'s "quoted" *bold* `code`'),  # nothing beyond the three
        ("", ""),
    ],
)
def test_escape_replaces_exactly_three_characters(raw: str, escaped: str) -> None:
    assert escape(raw) == escaped


def test_truncate_leaves_short_text_alone() -> None:
    assert truncate("403 Forbidden", 13) == "403 Forbidden"
    assert truncate("", 0) == ""


def test_truncate_prefers_a_word_boundary_and_shows_the_marker() -> None:
    assert truncate("the server refuses this caller", 20) == "the server refuses…"


def test_truncate_prefers_a_line_boundary() -> None:
    text = "first line of the answer\nsecond line that is long"
    assert truncate(text, 40) == "first line of the answer…"


def test_truncate_cuts_a_long_word_hard() -> None:
    assert truncate("x" * 50, 10) == "x" * 9 + "…"


def test_truncate_with_a_custom_marker_and_a_tiny_limit() -> None:
    assert truncate("abcdef ghijk", 9, marker=" [more]") == "ab [more]"
    assert truncate("abcdef", 2, marker="…more") == "…m"


def test_truncate_never_splits_an_entity() -> None:
    text = escape("a <b> & c " * 20)
    for limit in range(1, len(text)):
        cut = truncate(text, limit)
        assert len(cut) <= limit
        body = cut.removesuffix("…")
        for partial in ("&", "&a", "&am", "&amp", "&l", "&lt", "&g", "&gt"):
            assert not body.endswith(partial), (limit, cut)


def test_truncate_length_never_exceeds_the_limit() -> None:
    text = "word " * 30 + "\n" + "longerword " * 30
    for limit in range(0, len(text) + 2):
        assert len(truncate(text, limit)) <= limit


def test_truncate_rejects_a_negative_limit() -> None:
    with pytest.raises(ValueError):
        truncate("x", -1)


def test_code_block_fences_and_escapes() -> None:
    block = code_block("curl https://x 2>&1 | grep '<!channel>'", 200)
    assert block == "```\ncurl https://x 2&gt;&amp;1 | grep '&lt;!channel&gt;'\n```"


@pytest.mark.parametrize("code", ["a ``` b", "````", "```\n<@U1>\n```", "`" * 10])
def test_backticks_in_code_cannot_close_the_fence(code: str) -> None:
    block = code_block(code, 500)
    inner = block.removeprefix("```\n").removesuffix("\n```")
    assert block.startswith("```\n") and block.endswith("\n```")
    assert "```" not in inner
    assert "<" not in block


def test_code_block_truncates_inside_the_fence_with_a_visible_line() -> None:
    code = "\n".join(f"echo line {n} <&>" for n in range(200))
    for limit in (22, 23, 40, 100, 555, 1000):
        block = code_block(code, limit)
        assert len(block) <= limit
        assert block.startswith("```\n") and block.endswith(f"\n{TRUNCATED_LINE}\n```")
        assert "```" not in block[3:-3]


def test_code_block_rejects_a_limit_too_small_for_the_marker() -> None:
    with pytest.raises(ValueError):
        code_block("x" * 100, 10)


def test_code_block_of_blank_code_is_not_empty() -> None:
    assert code_block("\n\n", 100).strip("`\n") == " "
