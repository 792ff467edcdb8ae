"""Slack message text -> the plain question the domain understands.

Slack sends text escaped (`&amp;`, `&lt;`, `&gt;`) with its own tokens in angle brackets: user
and channel mentions, special mentions (`<!here>`), dates, and links as `<url>` or `<url|label>`.
We resolve the tokens, unescape once, and hand the domain plain text plus the URLs we saw.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_TOKEN = re.compile(r"<([^<>]*)>")


@dataclass(frozen=True, slots=True)
class Inbound:
    text: str
    urls: tuple[str, ...] = ()


def unescape(text: str) -> str:
    """Undo Slack's three-entity escaping (and only that), once."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def parse(text: str | None) -> Inbound:
    """Plain text of a Slack message: mentions removed, links unwrapped, entities unescaped."""
    urls: list[str] = []

    def replace(match: re.Match[str]) -> str:
        body = match.group(1)
        target, _, label = body.partition("|")
        if target.startswith("@"):  # <@U123>, legacy <@U123|name>: people are not part of the question
            return ""
        if target.startswith("#"):  # <#C123|general>
            return f"#{label}" if label else ""
        if target.startswith("!"):  # <!here>, <!subteam^S1|@team>, <!date^...|fallback>
            return label if target.startswith("!date") else ""
        if target.startswith("mailto:"):
            return label or target.removeprefix("mailto:")
        if re.match(r"https?://", target):
            urls.append(unescape(target))
            return unescape(target)
        return label or target

    plain = _TOKEN.sub(replace, text or "")
    return Inbound(" ".join(unescape(plain).split()), tuple(urls))
