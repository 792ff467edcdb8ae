"""Completeness and correctness of the shipped knowledge base against ../shared/knowledge-coverage.yml."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pytest
import yaml

from bot.core import Answerer
from bot.knowledge.model import Entry, KnowledgeBase
from bot.knowledge.schema import DEEP_FIELDS, SNIPPET_LANGS, Kind
from bot.knowledge.snippets import SHELL_LANGS, check_shell_snippets, check_snippet
from bot.render.blockkit import answer_message
from tests.conftest import shared_path
from tests.slack.fakeslack import validate_message


def coverage() -> dict[str, Any]:
    return yaml.safe_load(shared_path("knowledge-coverage.yml").read_text())


def by_code_and_origin(kb: KnowledgeBase) -> dict[tuple[str, str], list[Entry]]:
    found: dict[tuple[str, str], list[Entry]] = defaultdict(list)
    for entry in kb:
        if entry.code is not None:
            found[(entry.code, entry.origin or "")].append(entry)
    return found


def fold(text: str) -> str:
    return " ".join(text.lower().split())


def test_every_iana_code_has_its_registry_name_aliases_and_status(real_kb: KnowledgeBase) -> None:
    problems = []
    for item in coverage()["iana"]:
        entry = real_kb.get(str(item["code"]))
        if entry is None or entry.kind is not Kind.STATUS:
            problems.append(f"{item['code']}: no status entry")
            continue
        if fold(entry.name) != fold(item["name"]):
            problems.append(f"{item['code']}: name {entry.name!r}, registry says {item['name']!r}")
        missing = {fold(a) for a in item.get("aliases", [])} - {fold(a) for a in entry.aliases}
        if missing:
            problems.append(f"{item['code']}: aliases missing {sorted(missing)}")
        if entry.status != item["status"]:
            problems.append(f"{item['code']}: status {entry.status}, registry says {item['status']}")
        if item.get("deprecated") and not entry.deprecated:
            problems.append(f"{item['code']}: registered but deprecated, and the entry does not say so")
        if entry.origin != "IANA":
            problems.append(f"{item['code']}: origin {entry.origin}")
    assert not problems, "\n".join(problems)


def test_every_vendor_item_has_an_entry_with_its_origin_and_name(real_kb: KnowledgeBase) -> None:
    index = by_code_and_origin(real_kb)
    problems = []
    for item in coverage()["vendor"]:
        entries = index.get((str(item["code"]), item["origin"]), [])
        if len(entries) != 1:
            problems.append(f"{item['code']} ({item['origin']}): {len(entries)} entries")
            continue
        entry = entries[0]
        if fold(entry.name) != fold(item["name"]):
            problems.append(f"{entry.id}: name {entry.name!r}, coverage says {item['name']!r}")
        if item.get("sent_as") and entry.sent_as != str(item["sent_as"]):
            problems.append(f"{entry.id}: sent_as {entry.sent_as}, coverage says {item['sent_as']}")
        if item.get("visible_to") and entry.visible_to != item["visible_to"]:
            problems.append(f"{entry.id}: visible_to {entry.visible_to}, coverage says {item['visible_to']}")
    assert not problems, "\n".join(problems)


def test_numbers_with_several_meanings_name_each_other(real_kb: KnowledgeBase) -> None:
    meanings: dict[str, list[Entry]] = defaultdict(list)
    for entry in real_kb:
        if entry.kind in (Kind.STATUS, Kind.VENDOR) and entry.code is not None:
            meanings[entry.code].append(entry)
    problems = [
        f"{entry.id} does not list {other.id} in collides_with"
        for group in meanings.values()
        if len(group) > 1
        for entry in group
        for other in group
        if other is not entry
        and other.id not in entry.collides_with
        and entry.parent != other.id
        and other.parent != entry.id
        and not (entry.kind is Kind.STATUS and other.sent_as == entry.code)  # 1020 sent as 403 is no collision
    ]
    assert not problems, "\n".join(problems)


def test_sub_statuses_name_their_parent_and_inherit_from_it(real_kb: KnowledgeBase) -> None:
    subs = [e for e in real_kb if e.code and "." in e.code]
    assert subs
    for entry in subs:
        assert entry.parent == entry.code.split(".")[0], entry.id  # type: ignore[union-attr]
        assert entry.references and entry.related, f"{entry.id} has no references or related, even inherited"


def test_classes_and_topics_exist(real_kb: KnowledgeBase) -> None:
    cover = coverage()
    missing = [f"class-{c}" for c in cover["classes"] if real_kb.get(f"class-{c}") is None]
    missing += [f"topic-{t}" for t in cover["topics"] if real_kb.get(f"topic-{t}") is None]
    assert not missing, missing


def test_deep_items_have_every_deep_field(real_kb: KnowledgeBase) -> None:
    cover = coverage()
    index = by_code_and_origin(real_kb)
    deep: list[Entry] = [real_kb.entries[str(i["code"])] for i in cover["iana"] if i.get("deep")]
    deep += [e for i in cover["vendor"] if i.get("deep") for e in index.get((str(i["code"]), i["origin"]), [])]
    deep += [real_kb.entries[f"topic-{t}"] for t in cover["deep_topics"] if f"topic-{t}" in real_kb.entries]
    assert len(deep) >= 42 + 24 + 8 - 1  # curl 000 is served by its topic as well as its vendor entry
    problems = []
    for entry in deep:
        missing = [f for f in DEEP_FIELDS if not getattr(entry, f)]
        if not (entry.checklist.client and entry.checklist.server):
            missing.append("checklist (client and server)")
        if missing:
            problems.append(f"{entry.id}: {missing}")
    assert not problems, "\n".join(problems)


def test_every_snippet_has_a_known_language_and_parses(real_kb: KnowledgeBase) -> None:
    problems, shell = [], []
    for entry in real_kb:
        for number, snippet in enumerate(entry.snippets):
            where = f"{entry.id}.snippets[{number}]"
            if snippet.lang not in SNIPPET_LANGS:
                problems.append(f"{where}: unknown language {snippet.lang}")
            elif snippet.lang in SHELL_LANGS:
                shell.append((where, snippet.code))
            elif problem := check_snippet(snippet.lang, snippet.code):
                problems.append(f"{where}: {problem}")
    for (where, _), problem in zip(shell, check_shell_snippets([c for _, c in shell]), strict=True):
        if problem:
            problems.append(f"{where}: {problem}")
    assert shell, "the knowledge base has shell snippets to check"
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("share", [False, True])
def test_every_entry_fits_one_slack_message_as_slack_validates_it(answerer: Answerer, share: bool) -> None:
    problems = []
    for entry in answerer.kb:
        message = answer_message(answerer.answer_entry(entry.id), share_button=share)
        problems += [f"{entry.id}: {p}" for p in validate_message(message.to_kwargs())]
    assert not problems, "\n".join(problems[:20])
