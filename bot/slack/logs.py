"""Logging set-up for `serve`: one format, and a filter that keeps Slack tokens out of every record."""

from __future__ import annotations

import logging
import re

_SECRET = re.compile(r"\b(xox[abposre]-[A-Za-z0-9-]+|xapp-[A-Za-z0-9-]+)")


def redact(text: str) -> str:
    return _SECRET.sub(lambda m: m.group(1)[:5] + "[redacted]", text)


class RedactingFormatter(logging.Formatter):
    """Formats as usual, then removes tokens from the whole line, tracebacks and arguments included."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def configure(level: str = "INFO") -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
