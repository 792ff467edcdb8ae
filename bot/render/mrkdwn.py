"""Slack mrkdwn text safety: escape the three entities, cut long text visibly, fence code safely.

Slack parses `<...>` as live tokens (`<!channel>`, `<@U123>`, `<https://evil|docs>`) in every
mrkdwn field, code blocks included, so all user and knowledge text goes through `escape` first.
Neither Slack SDK ships an escape function; this one is unit-tested.
"""

from __future__ import annotations

import re

ELLIPSIS = "…"
TRUNCATED_LINE = "… (truncated)"
FENCE = "```"
_FENCE_BREAK = "`\u200b``"  # a zero-width space splits a run of backticks so it cannot close the fence
_ENTITIES = ("&amp;", "&lt;", "&gt;")
_PARTIAL_ENTITY = re.compile(r"&[a-z]{0,3}$")


def escape(text: str) -> str:
    """Replace exactly `&`, `<`, `>` with entities; anything more (HTML's `&#39;`) shows up literally in Slack."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def truncate(text: str, limit: int, marker: str = ELLIPSIS) -> str:
    """`text` if it fits in `limit` characters, else a cut at a line or word boundary plus `marker`.

    The result is never longer than `limit`, and never splits an entity that `escape` produced,
    so it is safe on escaped text. A boundary is used only if it keeps at least half the room.
    """
    if limit < 0:
        raise ValueError(f"limit must not be negative, got {limit}")
    if len(text) <= limit:
        return text
    if len(marker) >= limit:
        return marker[:limit]
    room = limit - len(marker)
    cut = text[:room]
    # text[room] is the first character dropped: a cut right before a space or newline is already a boundary.
    if not text[room].isspace():
        line = cut.rfind("\n")
        space = max(cut.rfind(" "), cut.rfind("\t"))
        if line >= room // 2:
            cut = cut[:line]
        elif space >= room // 2:
            cut = cut[:space]
    cut = _drop_partial_entity(cut, text)
    return cut.rstrip() + marker


def _drop_partial_entity(cut: str, text: str) -> str:
    """Shorten `cut` so it does not end inside `&amp;`, `&lt;` or `&gt;` taken from `text`."""
    tail = _PARTIAL_ENTITY.search(cut)
    if tail is None:
        return cut
    start = tail.start()
    return cut[:start] if any(text.startswith(entity, start) for entity in _ENTITIES) else cut


def code_block(code: str, limit: int) -> str:
    """`code` escaped inside ``` fences, at most `limit` characters in all.

    Backtick runs inside the code are broken with a zero-width space so they cannot end the
    fence early; a cut is marked by a visible "… (truncated)" line inside the fence.
    """
    opening, closing = f"{FENCE}\n", f"\n{FENCE}"
    smallest = len(opening) + len(TRUNCATED_LINE) + len(closing)
    if limit < smallest:
        raise ValueError(f"a code block needs at least {smallest} characters, got {limit}")
    body = escape(code.rstrip("\n"))
    while FENCE in body:
        body = body.replace(FENCE, _FENCE_BREAK)
    if not body.strip():
        body = " "  # Slack rejects or mangles an empty fence
    if len(opening) + len(body) + len(closing) <= limit:
        return f"{opening}{body}{closing}"
    room = limit - smallest - 1  # the newline before the marker line
    kept = truncate(body, room, marker="").rstrip()
    return f"{opening}{kept}\n{TRUNCATED_LINE}{closing}" if kept else f"{opening}{TRUNCATED_LINE}{closing}"
