"""The exception tree; the CLI catches HttpcodeError once and maps it to an exit code.

HttpcodeError                 base
├── ConfigError(problems)     bad environment or arguments at start-up; exit 2
└── KnowledgeError(findings)  the knowledge base failed validation; exit 1
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple


class HttpcodeError(Exception):
    """Base of every error httpcode raises on purpose."""


class ConfigError(HttpcodeError):
    """One or more configuration problems, each naming the variable, never its value."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(self.problems))


class Finding(NamedTuple):
    """One knowledge-base problem, printed the same way by `kb check` and every loader."""

    path: str
    line: int
    code: str
    entry: str
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.entry}.{self.field}" if self.field else self.entry
        return f"{self.path}:{self.line}: {self.code} {where}: {self.message}"

    def to_dict(self) -> dict[str, object]:
        return {
            "path": self.path,
            "line": self.line,
            "code": self.code,
            "entry": self.entry,
            "field": self.field,
            "message": self.message,
        }


class KnowledgeError(HttpcodeError):
    """The knowledge base is invalid; carries every finding so callers can print them all."""

    def __init__(self, findings: Sequence[Finding]) -> None:
        self.findings = tuple(sorted(findings))
        first = str(self.findings[0]) if self.findings else "invalid knowledge base"
        more = f" (and {len(self.findings) - 1} more)" if len(self.findings) > 1 else ""
        super().__init__(first + more)


class ProbeError(HttpcodeError):
    """A probe that ended early; the probe runner turns it into a result, never a crash."""

    def __init__(self, outcome: str, reason: str) -> None:
        self.outcome = outcome
        self.reason = reason
        super().__init__(f"{outcome}: {reason}")


class ProbeRefused(ProbeError):
    """The URL, a redirect or a resolved address is not allowed (REFUSE:*)."""


class ProbeFailed(ProbeError):
    """The probe was allowed but could not complete (TIMEOUT, ERROR:*)."""
