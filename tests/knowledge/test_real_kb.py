"""The shipped knowledge base: valid, deep where the core issue asks, and the 403 worked example complete."""

from __future__ import annotations

import pytest

from bot.knowledge.check import check_paths
from bot.knowledge.model import KnowledgeBase
from bot.knowledge.schema import DEEP_FIELDS, Kind
from bot.render.terminal import Style, render_entry
from tests.conftest import REAL_KB

CORE_DEEP = (
    "200 201 204 301 302 304 307 308 400 401 403 404 405 408 409 413 415 422 429 500 501 502 503 504".split()
    + [f"class-{n}xx" for n in range(1, 6)]
)


def test_kb_check_is_clean() -> None:
    _, findings = check_paths([REAL_KB], base=REAL_KB.parent)
    assert findings == [], "\n".join(map(str, findings))


@pytest.mark.parametrize("entry_id", CORE_DEEP)
def test_core_entries_are_deep(real_kb: KnowledgeBase, entry_id: str) -> None:
    entry = real_kb.entries[entry_id]
    missing = [f for f in DEEP_FIELDS if not getattr(entry, f)]
    assert not missing, f"{entry_id} lacks {missing}"
    assert entry.checklist.client or entry.checklist.server
    assert all(c.confirm and c.fix for c in entry.causes)


def test_every_iana_code_has_an_entry_with_its_rfc_name(real_kb: KnowledgeBase) -> None:
    statuses = {e.code: e for e in real_kb if e.kind is Kind.STATUS}
    assert len(statuses) >= 64
    assert statuses["413"].name == "Content Too Large"
    assert "Payload Too Large" in statuses["413"].aliases
    assert statuses["422"].name == "Unprocessable Content"
    assert statuses["302"].name == "Found" and "Moved Temporarily" in statuses["302"].aliases
    assert statuses["306"].status == "unused" and statuses["510"].status == "obsolete"


def test_403_is_the_worked_example(real_kb: KnowledgeBase) -> None:
    entry = real_kb.entries["403"]
    text = " ".join(
        [entry.explanation]
        + [c.cause + " " + c.confirm + " " + c.fix for c in entry.causes]
        + [c.rule for c in entry.compare]
        + [s.code for s in entry.snippets]
        + list(entry.match)
    ).lower()
    for topic in (
        "401", "permission", "chown", "index", "autoindex", "allow", "waf", "cors", "csrf", "scope",
        "accessdenied", "404", "selinux", "1020", "signaturedoesnotmatch",
    ):  # fmt: skip
        assert topic in text, f"403 does not cover {topic!r}"
    langs = {s.lang for s in entry.snippets}
    assert {"nginx", "javascript", "python"} <= langs
    assert langs & {"shell", "curl"}
    assert {c.other for c in entry.compare} >= {"401", "404"}
    assert entry.retry is not None and entry.retry.verdict == "after-change"


def test_every_entry_renders(real_kb: KnowledgeBase) -> None:
    for entry in real_kb:
        lines = render_entry(entry, Style(color=False), 100)
        assert lines[0] == entry.label
        assert entry.summary.split()[0] in "\n".join(lines)
