"""`httpcode eval`: score the matcher on a labelled question file, the way ../shared/eval/score.py does.

A question is right at 1 when the first status or class answer is one of its labelled codes, or,
for a question labelled `[]`, when the first answer is not a status (a topic, or nothing).
Precision counts only the questions the bot answered with confidence (a non-empty `matches`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.match.matcher import Match, Matcher, MatchResult


@dataclass(frozen=True, slots=True)
class Labelled:
    text: str
    codes: frozenset[str]
    style: str


@dataclass(slots=True)
class StyleScore:
    n: int = 0
    hit1: int = 0
    hit3: int = 0


@dataclass(slots=True)
class Report:
    total: int = 0
    hit1: int = 0
    hit3: int = 0
    answered: int = 0  # questions with a confident answer
    answered_right: int = 0
    styles: dict[str, StyleScore] = field(default_factory=lambda: defaultdict(StyleScore))
    misses: list[tuple[Labelled, list[str]]] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.answered_right / self.answered if self.answered else 1.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "n": self.total,
            "hit1": self.hit1 / self.total if self.total else 0.0,
            "hit3": self.hit3 / self.total if self.total else 0.0,
            "answered": self.answered,
            "precision_when_confident": self.precision,
            "styles": {
                k: {"n": v.n, "hit1": v.hit1 / v.n, "hit3": v.hit3 / v.n} for k, v in sorted(self.styles.items())
            },
            "misses": [{"text": q.text, "codes": sorted(q.codes), "got": got} for q, got in self.misses],
        }


def load_labelled(path: Path) -> list[Labelled]:
    import yaml

    items = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    return [
        Labelled(
            str(item["text"]), frozenset(str(c).lower() for c in item.get("codes") or []), str(item.get("style", "-"))
        )
        for item in items
    ]


def _is_status(match: Match) -> bool:
    return match.kind.value != "topic" and match.code is not None


def score_one(question: Labelled, result: MatchResult) -> tuple[bool, bool, list[str]]:
    """(right at 1, right within 3, the codes answered) for one question."""
    statuses = [m for m in result.matches if _is_status(m)]
    got = [str(m.status).lower() for m in statuses]
    if not question.codes:
        right = not result.matches or not _is_status(result.matches[0])
        return right, right, got
    return bool(got) and got[0] in question.codes, any(c in question.codes for c in got[:3]), got


def evaluate(matcher: Matcher, questions: list[Labelled]) -> Report:
    report = Report()
    for question in questions:
        result = matcher.match(question.text)
        right1, right3, got = score_one(question, result)
        style = report.styles[question.style]
        style.n += 1
        style.hit1 += right1
        style.hit3 += right3
        report.total += 1
        report.hit1 += right1
        report.hit3 += right3
        if result.matches:
            report.answered += 1
            report.answered_right += right1
        if not right1:
            report.misses.append((question, got[:3]))
    return report


def format_report(report: Report, *, show_misses: bool) -> str:
    lines = [f"{'style':10s} {'n':>4s} {'hit@1':>7s} {'hit@3':>7s}"]
    for name, style in sorted(report.styles.items()):
        lines.append(f"{name:10s} {style.n:4d} {100 * style.hit1 / style.n:6.1f}% {100 * style.hit3 / style.n:6.1f}%")
    total = max(report.total, 1)
    lines.append(
        f"{'overall':10s} {report.total:4d} {100 * report.hit1 / total:6.1f}% {100 * report.hit3 / total:6.1f}%"
    )
    lines.append(
        f"confident answers: {report.answered} of {report.total}, right {100 * report.precision:.1f}% of the time"
    )
    if show_misses:
        for question, got in report.misses:
            wanted = ", ".join(sorted(question.codes)) or "no status"
            lines.append(f"MISS [{question.style}] wanted {wanted}, got {', '.join(got) or '-'}: {question.text[:100]}")
    return "\n".join(lines) + "\n"
