"""Answer -> text for a terminal, readable in seconds: the meaning first, then causes and steps.

Colour is an argument (the CLI decides it once from the TTY, NO_COLOR and --color); with
colour off the output is plain text with no escape codes, suitable for pipes and golden tests.
"""

from __future__ import annotations

import textwrap
from typing import NamedTuple

from bot.answer import Answer, AnswerStatus
from bot.knowledge.model import Entry


class Limits(NamedTuple):
    """How much of an entry to show: the short view fits a screen, the full view shows everything."""

    causes: int
    steps: int
    snippets: int
    compare: int
    who_sends: bool


SHORT = Limits(causes=4, steps=5, snippets=2, compare=3, who_sends=False)
FULL = Limits(causes=99, steps=99, snippets=99, compare=99, who_sends=True)


class Style(NamedTuple):
    color: bool

    def _wrap(self, code: str, text: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.color else text

    def title(self, text: str) -> str:
        return self._wrap("1;36", text)

    def heading(self, text: str) -> str:
        return self._wrap("1", text)

    def dim(self, text: str) -> str:
        return self._wrap("2", text)

    def code(self, text: str) -> str:
        return self._wrap("33", text)

    def warn(self, text: str) -> str:
        return self._wrap("35", text)


def _para(text: str, width: int, indent: str = "", first: str | None = None) -> list[str]:
    return textwrap.wrap(
        " ".join(text.split()),
        width=width,
        initial_indent=first if first is not None else indent,
        subsequent_indent=indent,
        break_on_hyphens=False,
    ) or [first or indent]


def render_entry(
    entry: Entry, style: Style, width: int, limits: Limits = FULL, labels: dict[str, str] | None = None
) -> list[str]:
    """One entry in reading order: meaning, causes, checklist, snippets, then comparisons and retry."""
    lines = _meaning(entry, style, width)
    lines += _causes(entry, style, width, limits)
    lines += _checklist(entry, style, width, limits)
    lines += _snippets(entry, style, limits)
    lines += _compare_and_retry(entry, style, width, limits, labels or {})
    if limits.who_sends:
        lines += _who_sends(entry, style, width)
    lines += ["", style.dim("References: " + "; ".join(entry.references))]
    return lines


def _meaning(entry: Entry, style: Style, width: int) -> list[str]:
    lines = [style.title(entry.label)]
    origin = entry.origin_line
    if origin:
        lines.append(style.dim(origin))
    lines += _para(entry.summary, width)
    if entry.deprecated:
        lines += _para(f"Deprecated: {entry.deprecated}", width)
    return [*lines, "", *_para(entry.explanation, width)]


def _causes(entry: Entry, style: Style, width: int, limits: Limits) -> list[str]:
    if not entry.causes:
        return []
    lines = ["", style.heading("Likely causes")]
    for number, cause in enumerate(entry.causes[: limits.causes], start=1):
        lines += _para(cause.cause, width, "     ", f"  {number}. ")
        lines += _para(cause.confirm, width, "              ", "     confirm: ")
        lines += _para(cause.fix, width, "              ", "     fix:     ")
    if len(entry.causes) > limits.causes:
        lines.append(style.dim(f"  … {len(entry.causes) - limits.causes} more causes (--full)"))
    return lines


def _checklist(entry: Entry, style: Style, width: int, limits: Limits) -> list[str]:
    lines: list[str] = []
    for side, steps in (("client", entry.checklist.client), ("server", entry.checklist.server)):
        if steps:
            lines += ["", style.heading(f"Checklist, {side} side")]
            for number, step in enumerate(steps[: limits.steps], start=1):
                lines += _para(step, width, "     ", f"  {number}. ")
            if len(steps) > limits.steps:
                lines.append(style.dim(f"  … {len(steps) - limits.steps} more steps (--full)"))
    return lines


def _snippets(entry: Entry, style: Style, limits: Limits) -> list[str]:
    lines: list[str] = []
    for snippet in entry.snippets[: limits.snippets]:
        lines += ["", style.heading(snippet.title) + style.dim(f"  [{snippet.lang}, {snippet.purpose}]")]
        lines += [style.code("    " + line) if line else "" for line in snippet.code.splitlines()]
    if len(entry.snippets) > limits.snippets:
        lines.append(style.dim(f"  … {len(entry.snippets) - limits.snippets} more snippets (--full)"))
    return lines


def _compare_and_retry(entry: Entry, style: Style, width: int, limits: Limits, labels: dict[str, str]) -> list[str]:
    lines: list[str] = []
    if entry.compare:
        lines += ["", style.heading("Compare")]
        for comparison in entry.compare[: limits.compare]:
            other = labels.get(comparison.other, comparison.other)
            lines += _para(comparison.rule, width, "    ", f"  vs {other}: ")
    if entry.retry is not None:
        retry_after = " Honour Retry-After." if entry.retry.retry_after else ""
        lines += ["", style.heading("Retry: ") + entry.retry.verdict]
        lines += _para(entry.retry.why + retry_after, width, "  ")
    return lines


def _who_sends(entry: Entry, style: Style, width: int) -> list[str]:
    lines: list[str] = []
    if entry.who_sends:
        lines += ["", style.heading("Who sends it")]
        for who in entry.who_sends:
            lines += _para(who.clue, width, "    ", f"  {who.layer}: ")
    if entry.headers:
        lines += ["", style.heading("Headers that matter")]
        for header in entry.headers:
            lines += _para(header.note, width, "    ", f"  {header.name}: ")
    return lines


def render_answer(answer: Answer, *, color: bool = False, width: int = 100, full: bool = False) -> str:
    """The whole answer as text ending in a newline; `full` shows every cause, snippet and clue."""
    style = Style(color)
    lines: list[str] = []
    if answer.status is AnswerStatus.EMPTY:
        lines += _para("Ask me about an HTTP status code or error. " + (answer.how_to_ask or ""), width)
        return "\n".join(lines) + "\n"
    if answer.status is AnswerStatus.UNKNOWN:
        lines += _para(f"I don't know what “{answer.question}” refers to.", width)
        lines += _para(answer.how_to_ask or "", width)
        return "\n".join(lines) + "\n"
    if answer.status is AnswerStatus.UNSURE:
        lines.append(style.heading("I'm not sure. Did you mean:"))
        for suggestion in answer.suggestions:
            code = f"{suggestion.code} " if suggestion.code else ""
            lines.append(
                f"  • {code}{suggestion.name}  " + style.dim(f"(httpcode ask {suggestion.code or suggestion.entry})")
            )
        lines += ["", *_para(answer.how_to_ask or "", width)]
        return "\n".join(lines) + "\n"
    for note in answer.notes:
        lines += [style.warn(line) for line in _para(note, width)]
    if answer.notes:
        lines.append("")
    primary = answer.entries[0]
    labels = {ref.id: ref.label for ref in answer.related + answer.compared}
    lines += render_entry(primary, style, width, FULL if full else SHORT, labels)
    if answer.related:
        lines += ["", style.heading("Related: ") + " · ".join(r.label for r in answer.related)]
    if len(answer.entries) > 1:
        lines += ["", style.heading("Also in your message")]
        for entry in answer.entries[1:]:
            lines += _para(entry.summary, width, "    ", f"  {entry.label}: ")
    if answer.suggestions:
        names = ", ".join(f"{s.code} {s.name}" if s.code else s.name for s in answer.suggestions)
        lines += ["", style.dim(f"Other possible meanings: {names}")]
    return "\n".join(lines) + "\n"
