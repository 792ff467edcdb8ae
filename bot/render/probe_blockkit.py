"""ProbeResult -> one Slack message, in the terminal renderer's reading order, with Slack's limits kept.

Server text (reason phrases, header values, body markers, URLs from Location) is hostile by
assumption (probe.md §2 step 13): it is made plain by `hints.plain`, cut visibly, escaped with
`mrkdwn.escape` so `<!channel>`, `<@U123>` and `<url|label>` stay text, and backticks in it are
replaced so it cannot close a code span. Every mrkdwn object is `verbatim`, so Slack links nothing
on its own. Builders try the roomiest budget first and shrink until the blocks fit one message.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from bot.probe.explain import ProbeExplanation
from bot.probe.hints import hints_for, plain
from bot.probe.result import ProbeResult
from bot.render.blockkit import (
    ACTION_ASK_RELATED,
    MAX_CONTEXT_TEXT,
    MAX_SECTION_TEXT,
    TARGET_BLOCKS_JSON,
    SlackMessage,
    build_message,
    button,
    json_size,
)
from bot.render.mrkdwn import escape, truncate
from bot.render.probe_terminal import (
    allow_line,
    ask_term,
    headline,
    headline_parts,
    hop_lines,
    reason_line,
    show_url,
    timing_line,
    tls_line,
)

FALLBACK_CHARS = 500
_SAFE_TICK = "ˋ"  # U+02CB looks like a backtick but never opens or closes a code span


class _Budget(NamedTuple):
    """How much server and knowledge text fits; the last one fits any result (checked by tests)."""

    url: int
    hop_url: int
    hints: int
    hint_chars: int
    notes: int
    note_chars: int
    causes: int
    cause_chars: int


_BUDGETS = (
    _Budget(300, 160, 10, 200, 8, 600, 3, 300),
    _Budget(200, 100, 8, 160, 6, 400, 3, 200),
    _Budget(120, 60, 5, 120, 4, 300, 2, 140),
    _Budget(80, 40, 3, 80, 3, 200, 1, 100),
)


def probe_message(result: ProbeResult, explanation: ProbeExplanation) -> SlackMessage:
    """The probe reply: what happened, chain, timings, TLS, hints, notes, then the short entry.

    Guarantees: `validate_limits` finds nothing, the blocks JSON stays under TARGET_BLOCKS_JSON,
    there is always fallback text, and no server text can become a mention, a broadcast or a link.
    """
    blocks: list[dict[str, Any]] = []
    for budget in _BUDGETS:
        blocks = _blocks(result, explanation, budget)
        if json_size(blocks) <= TARGET_BLOCKS_JSON:
            break
    else:
        blocks = _squeeze(blocks)
    return build_message(_inert(truncate(headline(result, url_chars=200), FALLBACK_CHARS)), blocks)


def probing_message(url: str) -> SlackMessage:
    """The immediate acknowledgement while the probe runs: `Probing <url>…`."""
    text = f"Probing {_inert(show_url(url, 300))}…"
    return build_message(text, [_context(text)])


# -- blocks --------------------------------------------------------------------------------------


def _blocks(result: ProbeResult, explanation: ProbeExplanation, budget: _Budget) -> list[dict[str, Any]]:
    lead, what = headline_parts(result, url_chars=budget.url)
    shown = _inert(what)
    blocks = [_section(f"{_inert(lead)}: {shown if '*' in shown else f'*{shown}*'}")]
    extras = [_inert(line) for line in (reason_line(result), allow_line(result)) if line]
    if extras:
        blocks.append(_context("\n".join(extras)))
    if result.hops:
        title = "*Redirect chain*" if len(result.hops) > 1 else "*Response*"
        blocks.append(_section("\n".join([title, *(_inert(line) for line in hop_lines(result, budget.hop_url))])))
    pairs = (("Time", timing_line(result)), ("TLS", tls_line(result)))
    facts = [f"*{label}* {_inert(text)}" for label, text in pairs if text]
    if facts:
        blocks.append(_section("\n".join(facts)))
    hints = [hint.text for hint in hints_for(result)]
    if hints:
        lines = _bullets(hints, budget.hints, budget.hint_chars)
        blocks.append(_section("\n".join(["*What the response says*", *lines])))
    if explanation.notes:
        lines = _bullets(explanation.notes, budget.notes, budget.note_chars)
        blocks.append(_section("\n".join(["*What it means here*", *lines])))
    return blocks + _entry_blocks(explanation, budget)


def _entry_blocks(explanation: ProbeExplanation, budget: _Budget) -> list[dict[str, Any]]:
    """The knowledge-base entry in short form: name, origin, summary, top causes, a button for the rest."""
    answer = explanation.answer
    if answer is None or answer.primary is None:
        return []
    entry = answer.primary
    head = [f"*{escape(truncate(entry.label, 200))}*"]
    if entry.origin_line:
        head.append(f"_{escape(truncate(entry.origin_line, 300))}_")
    head.append(escape(truncate(" ".join(entry.summary.split()), 600)))
    full_answer = button("Full answer", f"{ACTION_ASK_RELATED}_1", entry.id)
    blocks = [{"type": "divider"}, _section("\n".join(head), accessory=full_answer)]
    causes = entry.causes[: budget.causes]
    if causes:
        lines = ["*Likely causes*"]
        for number, cause in enumerate(causes, start=1):
            lines.append(f"*{number}.* {_prose(cause.cause, budget.cause_chars)}")
            lines.append(f"      _Confirm:_ {_prose(cause.confirm, budget.cause_chars)}")
            lines.append(f"      _Fix:_ {_prose(cause.fix, budget.cause_chars)}")
        blocks.append(_section("\n".join(lines)))
    more = [escape(truncate(note, 400)) for note in answer.notes[:2]]
    more.append(f"`/httpcode {escape(ask_term(entry))}` gives the whole entry: checklist, snippets, comparisons.")
    blocks.append(_context("\n".join(more)))
    return blocks


def _squeeze(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Last resort for a result no budget fits: drop the largest blocks after the headline, saying so."""
    kept = list(blocks)
    while json_size(kept) > TARGET_BLOCKS_JSON - 200 and len(kept) > 1:
        largest = max(range(1, len(kept)), key=lambda i: json_size([kept[i]]))
        del kept[largest]
    return [*kept, _context("… some details were left out to fit one message.")]


# -- small pieces --------------------------------------------------------------------------------


def _bullets(texts: Sequence[str], count: int, chars: int) -> list[str]:
    """At most `count` bullets of at most `chars` characters of plain text each, and how many were left out."""
    lines = [f"• {_inert(plain(text, chars))}" for text in texts[:count]]
    if len(texts) > count:
        lines.append(f"… {len(texts) - count} more")
    return lines


def _inert(text: str) -> str:
    """Plain text escaped for mrkdwn, with backticks that cannot touch a code span."""
    return escape(text.replace("`", _SAFE_TICK))


def _prose(text: str, limit: int) -> str:
    return escape(truncate(" ".join(text.split()), limit))


def _mrkdwn(text: str, limit: int) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": truncate(text, limit) if text.strip() else "…", "verbatim": True}


def _section(text: str, *, accessory: dict[str, Any] | None = None) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "section", "text": _mrkdwn(text, MAX_SECTION_TEXT)}
    if accessory is not None:
        block["accessory"] = accessory
    return block


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [_mrkdwn(text, MAX_CONTEXT_TEXT)]}
