"""Block Kit rendering: golden JSON for fixed answers, Slack's limits on every real entry, inert user text."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from bot.answer import Answer, AnswerStatus, RelatedRef, build_answer
from bot.knowledge.model import Cause, Checklist, Entry, KnowledgeBase, Snippet
from bot.match.matcher import Match, Matcher, MatchResult
from bot.render.blockkit import (
    ACTION_ASK_RELATED,
    ACTION_SHARE,
    HELP_EXAMPLES,
    MAX_BLOCKS_JSON,
    SlackMessage,
    answer_message,
    error_message,
    help_message,
    home_view,
    validate_limits,
)

GOLDEN = Path(__file__).resolve().parent / "golden"
ROOT = Path(__file__).resolve().parents[2]
NASTY = "<!channel> <!here> <@U123> & <https://evil.example|docs>"

QUESTIONS = {
    "answered-403": "why am I getting 403",
    "two-codes": "403 then 404",
    "class-fallback": "status 463 from the API",
    "vendor": "499",
    "topic": "getaddrinfo ENOTFOUND",
    "unsure": "client",
    "unknown": "what is the weather in Lisbon",
    "empty": "",
}


def replace(record: Any, **changes: Any) -> Any:
    """The answer model's records are NamedTuples: `_replace` makes a changed copy."""
    return record._replace(**changes)


def ask(kb: KnowledgeBase, question: str) -> Answer:
    return build_answer(question, Matcher(kb).match(question), kb)


def answer_for_entry(kb: KnowledgeBase, entry: Entry, question: str | None = None) -> Answer:
    """An answer with this entry as the only match, whatever the matcher would pick for its name."""
    match = Match(entry.id, entry.kind, entry.code, entry.name, 1.0, "entry")
    return build_answer(question or entry.name, MatchResult((match,)), kb)


def dump(data: Any) -> str:
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def check_golden(case: str, data: Any) -> None:
    path = GOLDEN / f"blockkit-{case}.json"
    text = dump(data)
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.write_text(text)
    assert path.exists(), f"no golden file {path.name}; run with UPDATE_GOLDEN=1 and review the diff"
    assert text == path.read_text()


def blocks_size(message: SlackMessage) -> int:
    return len(json.dumps(message.to_kwargs()["blocks"]))


def text_objects(node: Any) -> Iterator[Mapping[str, Any]]:
    """Every text object anywhere in the blocks."""
    if isinstance(node, Mapping):
        if node.get("type") in ("mrkdwn", "plain_text") and "text" in node:
            yield node
        for value in node.values():
            yield from text_objects(value)
    elif isinstance(node, list | tuple):
        for item in node:
            yield from text_objects(item)


def mrkdwn_texts(message: SlackMessage) -> list[str]:
    return [t["text"] for t in text_objects(message.to_kwargs()["blocks"]) if t["type"] == "mrkdwn"]


def action_ids(blocks: Any) -> list[str]:
    found: list[str] = []
    if isinstance(blocks, Mapping):
        if "action_id" in blocks:
            found.append(blocks["action_id"])
        for value in blocks.values():
            found += action_ids(value)
    elif isinstance(blocks, list | tuple):
        for item in blocks:
            found += action_ids(item)
    return found


# -- golden ------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", sorted(QUESTIONS))
def test_golden_answers(case: str, mini_kb: KnowledgeBase) -> None:
    message = answer_message(ask(mini_kb, QUESTIONS[case]))
    assert validate_limits(message.blocks) == []
    check_golden(case, message.to_kwargs())


def test_golden_share_button(mini_kb: KnowledgeBase) -> None:
    check_golden("share", answer_message(ask(mini_kb, "403"), share_button=True).to_kwargs())


def test_golden_help_error_and_home() -> None:
    check_golden("help", help_message().to_kwargs())
    check_golden("error", error_message("the knowledge base could not be read").to_kwargs())
    check_golden("home", home_view(42))


# -- layout ------------------------------------------------------------------------------------


def test_reading_order_meaning_then_causes_checklist_snippets_compare(mini_kb: KnowledgeBase) -> None:
    message = answer_message(ask(mini_kb, "why am I getting 403"))
    assert message.blocks[1] == {"type": "header", "text": {"type": "plain_text", "text": "403 Forbidden"}}
    text = dump(message.to_kwargs()["blocks"])
    order = ["The server understood", "Likely causes", "_Confirm:_", "_Fix:_", "Checklist", "Client side"]
    order += ["Server side", "See which layer answered", "```", "Compare", "Retry:", "References", "Related"]
    positions = [text.index(marker) for marker in order]
    assert positions == sorted(positions)


def test_other_matches_get_one_short_section_each(mini_kb: KnowledgeBase) -> None:
    message = answer_message(ask(mini_kb, "403 then 404"))
    sections = [b for b in message.blocks if b["type"] == "section" and b["text"]["text"].startswith("*404 Not Found*")]
    assert len(sections) == 1
    assert sections[0]["accessory"]["value"] == "404"
    assert (
        message.text
        == "403 Forbidden: The server understood the request and refuses it for this caller. (also: 404 Not Found)"
    )


def test_class_fallback_note_is_shown(mini_kb: KnowledgeBase) -> None:
    texts = mrkdwn_texts(answer_message(ask(mini_kb, "status 463 from the API")))
    assert any("463 is not a registered status code" in t for t in texts)


def test_unsure_offers_suggestions_as_text_and_buttons(mini_kb: KnowledgeBase) -> None:
    message = answer_message(ask(mini_kb, "client"))
    assert "Did you mean" in message.text
    [actions] = [b for b in message.blocks if b["type"] == "actions"]
    assert [e["value"] for e in actions["elements"]] == ["class-4xx"]
    assert any("4xx Client Error" in t for t in mrkdwn_texts(message))


def test_unknown_is_honest_and_says_how_to_ask(mini_kb: KnowledgeBase) -> None:
    message = answer_message(ask(mini_kb, "what is the weather in Lisbon"))
    joined = "\n".join(mrkdwn_texts(message))
    assert "I don't know" in joined and "status code" in joined
    assert "I don't know" in message.text


def test_empty_question_gets_usage_help(mini_kb: KnowledgeBase) -> None:
    assert answer_message(ask(mini_kb, "   ")) == help_message()


def test_related_buttons_have_unique_action_ids_and_entry_ids_as_values(mini_kb: KnowledgeBase) -> None:
    answer = ask(mini_kb, "403 then 404")
    many = tuple(RelatedRef(f"id-{n}", f"Label {n} " + "x" * 100) for n in range(30))
    message = answer_message(replace(answer, related=many), share_button=True)
    ids = action_ids(message.to_kwargs()["blocks"])
    assert len(ids) == len(set(ids))
    assert all(i.startswith(f"{ACTION_ASK_RELATED}_") for i in ids if i != ACTION_SHARE)
    buttons = [e for b in message.blocks if b["type"] == "actions" for e in b["elements"]]
    assert [b["value"] for b in buttons[:5]] == [f"id-{n}" for n in range(5)]
    assert validate_limits(message.blocks) == []


# -- limits on real knowledge ------------------------------------------------------------------


def test_every_real_entry_renders_within_slack_limits(real_kb: KnowledgeBase) -> None:
    problems: dict[str, list[str]] = {}
    question = NASTY + " why? " * 500
    for entry in real_kb:
        for message in (
            answer_message(answer_for_entry(real_kb, entry)),
            answer_message(answer_for_entry(real_kb, entry, question), share_button=True),
        ):
            found = validate_limits(message.blocks)
            size = blocks_size(message)
            if size >= MAX_BLOCKS_JSON:
                found.append(f"{size} characters of blocks JSON")
            if not message.text.strip():
                found.append("empty fallback text")
            if found:
                problems[entry.id] = found
    assert len(real_kb) > 50
    assert problems == {}


def test_real_403_is_cut_visibly(real_kb: KnowledgeBase) -> None:
    message = answer_message(ask(real_kb, "why am I getting 403"))
    entry = real_kb.entries["403"]
    assert sum(len(c.cause + c.confirm + c.fix) for c in entry.causes) > 5000
    texts = mrkdwn_texts(message)
    assert any("more causes not shown" in t for t in texts)
    assert any("more steps" in t for t in texts)
    assert blocks_size(message) < 10_000


def test_long_knowledge_text_is_truncated_with_a_marker(mini_kb: KnowledgeBase) -> None:
    answer = ask(mini_kb, "403")
    entry = answer.entries[0]
    huge = replace(
        entry,
        name="Forbidden " * 40,
        summary="summary " * 2000,
        explanation="explained " * 2000,
        causes=tuple(Cause("cause " * 500, "confirm " * 500, "fix " * 500) for _ in range(20)),
        checklist=Checklist(tuple("step " * 300 for _ in range(40)), tuple("step " * 300 for _ in range(40))),
        snippets=tuple(Snippet("shell", "diagnose", "title " * 100, "echo x\n" * 2000) for _ in range(5)),
        references=tuple("reference " * 50 for _ in range(20)),
    )
    message = answer_message(replace(answer, entries=(huge,), notes=("note " * 1000,) * 20))
    assert validate_limits(message.blocks) == []
    assert blocks_size(message) < MAX_BLOCKS_JSON
    header = message.blocks[1]["text"]["text"]
    assert len(header) <= 150 and header.endswith("…")
    texts = mrkdwn_texts(message)
    assert any("summary summary" in t and t.rstrip().endswith("…") for t in texts)
    assert any("… (truncated)\n```" in t for t in texts)
    assert len(message.text) <= 3000 and message.text.endswith("…")


# -- text safety -------------------------------------------------------------------------------


def assert_inert(message: SlackMessage) -> None:
    for text in [*mrkdwn_texts(message), message.text]:
        assert "<" not in text and ">" not in text, text


def test_user_text_in_the_question_stays_inert(mini_kb: KnowledgeBase) -> None:
    for question in (f"403 {NASTY}", NASTY, f"forbidden {NASTY}"):
        message = answer_message(ask(mini_kb, question), share_button=True)
        assert_inert(message)
        echo = message.blocks[0]["elements"][0]
        assert echo["verbatim"] is True
        assert "&lt;!channel&gt;" in echo["text"] and "&amp;" in echo["text"]


def test_unsure_answer_with_nasty_question_stays_inert(mini_kb: KnowledgeBase) -> None:
    answer = replace(ask(mini_kb, "client"), question=f"client {NASTY}")
    assert_inert(answer_message(answer))


def test_knowledge_text_stays_inert(mini_kb: KnowledgeBase) -> None:
    answer = ask(mini_kb, "403 then 404")
    primary, other = answer.entries
    evil_primary = replace(
        primary,
        summary=f"summary {NASTY}",
        explanation=f"explanation {NASTY}",
        origin=NASTY,
        references=(NASTY,),
        causes=(Cause(NASTY, NASTY, NASTY),),
        checklist=Checklist((NASTY,), (NASTY,)),
        snippets=(Snippet(NASTY, NASTY, NASTY, f"echo '{NASTY}'\n```\n<!here>"),),
    )
    evil = replace(
        answer,
        entries=(evil_primary, replace(other, name=NASTY, summary=NASTY)),
        notes=(NASTY,),
        related=(RelatedRef("404", NASTY),),
        compared=(RelatedRef("404", NASTY),),
    )
    message = answer_message(evil)
    assert_inert(message)
    [snippet] = [t for t in mrkdwn_texts(message) if "```" in t]
    assert snippet.count("```") == 2
    assert validate_limits(message.blocks) == []


def test_plain_text_is_not_escaped_but_limited(mini_kb: KnowledgeBase) -> None:
    answer = ask(mini_kb, "403")
    entry = replace(answer.entries[0], code="403", name="A & B <x>")
    message = answer_message(replace(answer, entries=(entry,)))
    assert message.blocks[1]["text"]["text"] == "403 A & B <x>"


def test_error_message_escapes_what_failed() -> None:
    message = error_message(f"could not read {NASTY}")
    assert_inert(message)
    assert message.text.startswith("Sorry")
    assert validate_limits(message.blocks) == []


# -- share button and fallback text ------------------------------------------------------------


def test_share_button_only_when_asked(mini_kb: KnowledgeBase) -> None:
    answer = ask(mini_kb, "why am I getting 403")
    assert ACTION_SHARE not in action_ids(answer_message(answer).to_kwargs()["blocks"])
    shared = answer_message(answer, share_button=True)
    last = shared.blocks[-1]
    assert last["type"] == "actions"
    assert last["elements"] == [
        {
            "type": "button",
            "action_id": ACTION_SHARE,
            "text": {"type": "plain_text", "text": "Share in channel"},
            "value": "why am I getting 403",
        }
    ]


def test_share_button_value_is_the_question_cut_to_2000(mini_kb: KnowledgeBase) -> None:
    question = "403 " + "x" * 3000
    message = answer_message(ask(mini_kb, question), share_button=True)
    [button] = message.blocks[-1]["elements"]
    assert button["value"] == question[:2000]
    assert validate_limits(message.blocks) == []


@pytest.mark.parametrize("question", [*QUESTIONS.values(), NASTY, "a" * 5000])
@pytest.mark.parametrize("share", [False, True])
def test_fallback_text_is_always_present(question: str, share: bool, mini_kb: KnowledgeBase) -> None:
    message = answer_message(ask(mini_kb, question), share_button=share)
    kwargs = message.to_kwargs()
    assert kwargs["text"].strip() and len(kwargs["text"]) <= 3000
    assert kwargs["blocks"]
    assert validate_limits(message.blocks) == []
    assert not [t for t in text_objects(kwargs["blocks"]) if not t["text"].strip()]


def test_to_kwargs_gives_a_new_list_each_time(mini_kb: KnowledgeBase) -> None:
    message = answer_message(ask(mini_kb, "403"))
    kwargs = message.to_kwargs()
    kwargs["blocks"].append({"type": "divider"})
    assert len(message.to_kwargs()["blocks"]) == len(message.blocks) == len(kwargs["blocks"]) - 1


# -- help and home -----------------------------------------------------------------------------


@pytest.mark.parametrize(("question", "why"), HELP_EXAMPLES)
def test_every_help_example_gets_an_answer(question: str, why: str, real_kb: KnowledgeBase) -> None:
    assert ask(real_kb, question).status is AnswerStatus.ANSWERED
    assert f"`/httpcode {question}`" in "\n".join(mrkdwn_texts(help_message()))


def test_help_mentions_every_way_to_ask() -> None:
    joined = "\n".join(mrkdwn_texts(help_message())).lower()
    for word in ("/httpcode 403", "/httpcode 5xx", "mention", "direct message"):
        assert word in joined
    assert validate_limits(help_message().blocks) == []


def test_home_view_is_a_valid_home_tab() -> None:
    view = home_view(1234)
    assert view["type"] == "home"
    assert validate_limits(view["blocks"], max_blocks=100, max_json=None) == []
    assert "1,234 entries" in dump(view)
    assert "1 entry:" in dump(home_view(1))


# -- the validator itself ----------------------------------------------------------------------


def test_validate_limits_reports_each_problem() -> None:
    section = {"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}
    button = {"type": "button", "action_id": "a", "text": {"type": "plain_text", "text": "b" * 76}, "value": ""}
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "mrkdwn", "text": "h" * 151}},
        section,
        {"type": "section", "text": {"type": "mrkdwn", "text": " "}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "c"}] * 11},
        {
            "type": "actions",
            "elements": [button, {**button, "text": {"type": "plain_text", "text": "ok"}, "value": "v"}],
        },
        {"type": "divider", "block_id": "d" * 256},
    ]
    problems = validate_limits(blocks + [{"type": "divider"}] * 45)
    expected = [
        "/blocks: 51 blocks",
        "/blocks/0/text: must be plain_text",
        "/blocks/0/text/text: 151 characters (limit 150)",
        "/blocks/1/text/text: 3001 characters (limit 3000)",
        "/blocks/2/text/text: empty text",
        "/blocks/3/elements: 11 elements (limit 10)",
        "/blocks/4/elements/0/text/text: 76 characters (limit 75)",
        "/blocks/4/elements/0/value: must be 1 to 2000 characters",
        "/blocks/4/elements/1/action_id: 'a' is used twice",
        "/blocks/5/block_id: 256 characters",
    ]
    for start in expected:
        assert any(p.startswith(start) for p in problems), (start, problems)
    assert len(problems) == len(expected)


def test_validate_limits_reports_oversized_json() -> None:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 2900}}] * 5
    assert [p for p in validate_limits(blocks) if "characters of JSON" in p]
    assert validate_limits(blocks, max_json=None) == []


def test_module_does_not_import_slack_sdk() -> None:
    code = "import sys, bot.render.blockkit; print(sorted(m for m in sys.modules if m.startswith('slack')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "[]"
