"""Answer -> Slack Block Kit: pure builders returning plain dicts, with Slack's limits enforced here.

No slack_sdk import: its models check limits only at send time and cost about 125 ms to import.
Every user and knowledge string goes through `mrkdwn.escape` before it lands in a mrkdwn field,
and messages stay well below the ~13k characters of blocks where Slack starts answering
`msg_blocks_too_long` (slackapi/bolt-js#2509): long entries are cut with a visible marker.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.answer import HOW_TO_ASK, Answer, AnswerStatus
from bot.knowledge.model import Entry
from bot.match.matcher import Match
from bot.render.mrkdwn import code_block, escape, truncate

MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_SECTION_TEXT = 3000
MAX_SECTION_FIELDS = 10
MAX_FIELD_TEXT = 2000
MAX_HEADER_TEXT = 150
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
MAX_URL = 3000
MAX_ID = 255
MAX_CONTEXT_ELEMENTS = 10
MAX_CONTEXT_TEXT = 3000
MAX_ACTION_ELEMENTS = 25
MAX_FALLBACK_TEXT = 3000
MAX_BLOCKS_JSON = 12_000
TARGET_BLOCKS_JSON = 11_000  # room for a listener's extra line ("Shared by ...") under MAX_BLOCKS_JSON

ACTION_SHARE = "httpcode_share"
ACTION_ASK_RELATED = "httpcode_ask_related"  # buttons are httpcode_ask_related_<n>; the value is an entry id

MAX_ASK_BUTTONS = 5
ECHO_CHARS = 300
NOTE_CHARS = 600
ORIGIN_CHARS = 400
REFERENCE_CHARS = 240

# One table renders the help, the App Home and drives a test that every example gets an answer.
HELP_EXAMPLES: tuple[tuple[str, str], ...] = (
    ("403", "a status code: what it means, likely causes, a checklist"),
    ("5xx", "a whole class of codes"),
    ("bad gateway", "a reason phrase"),
    ("upstream timed out", "the error text you see in a log or a browser"),
)

_TEXT_TYPES = frozenset({"plain_text", "mrkdwn"})


@dataclass(frozen=True, slots=True)
class SlackMessage:
    """What `chat.postMessage`, `respond` and `ack` take: fallback text plus blocks."""

    text: str
    blocks: tuple[dict[str, Any], ...]

    def to_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for the Slack call. The list is new; the blocks are shared, so treat
        them as read-only (append blocks, never edit one): copying them cost more than rendering."""
        return {"text": self.text, "blocks": list(self.blocks)}


@dataclass(frozen=True, slots=True)
class _Budget:
    """How much of an entry fits; builders try the roomiest first and shrink until the JSON fits."""

    explanation: int
    causes: int
    cause_chars: int
    steps: int
    step_chars: int
    snippets: int
    code_chars: int
    compare: int
    rule_chars: int
    other_chars: int


_BUDGETS = (
    _Budget(400, 3, 320, 3, 200, 2, 1200, 3, 240, 200),
    _Budget(240, 3, 240, 3, 160, 2, 700, 2, 180, 160),
    _Budget(0, 2, 180, 3, 140, 1, 600, 2, 140, 140),
    _Budget(0, 1, 140, 2, 120, 1, 300, 1, 120, 100),
)


# -- public builders -------------------------------------------------------------------------


def answer_message(answer: Answer, *, share_button: bool = False) -> SlackMessage:
    """The answer as a message scannable in seconds: meaning, causes, checklist, snippets, follow-ups.

    Guarantees: every limit `validate_limits` checks holds, the blocks JSON stays under
    TARGET_BLOCKS_JSON for any entry, and no user or knowledge text can become a live mention or link.
    """
    if answer.status is AnswerStatus.EMPTY:
        return help_message()
    tail: list[dict[str, Any]] = []
    if share_button and answer.question:
        tail.append(_actions([button("Share in channel", ACTION_SHARE, answer.question[:MAX_BUTTON_VALUE])]))
    if answer.status is AnswerStatus.UNSURE:
        names = ", ".join(_match_label(s) for s in answer.suggestions[:MAX_ASK_BUTTONS])
        return build_message(
            escape(f"I'm not sure what you mean. Did you mean: {names}?"), _unsure_blocks(answer) + tail
        )
    if answer.status is not AnswerStatus.ANSWERED or not answer.entries:
        return build_message(escape(f"I don't know what that refers to. {HOW_TO_ASK}"), _unknown_blocks(answer) + tail)
    blocks: list[dict[str, Any]] = []
    for budget in _BUDGETS:
        blocks = _answered_blocks(answer, budget) + tail
        if json_size(blocks) <= TARGET_BLOCKS_JSON:
            break
    return build_message(_answered_text(answer), blocks)


def help_message() -> SlackMessage:
    """Usage for `/httpcode`, mentions and DMs, with examples from HELP_EXAMPLES."""
    blocks = [
        _header("How to ask httpcode"),
        _section(
            "Ask me about an HTTP status code or an error and I explain what it means, "
            "what usually causes it and how to check."
        ),
        _section(_examples_text()),
        _section(_where_text()),
        _context(escape(HOW_TO_ASK)),
    ]
    return build_message(
        "Ask /httpcode about a status code or an error, e.g. /httpcode 403 or /httpcode bad gateway.", blocks
    )


def error_message(what_failed: str) -> SlackMessage:
    """A short plain apology naming what failed; the text is escaped, so it may hold anything."""
    what = _prose(what_failed).rstrip(".")
    sentence = f"Sorry, something went wrong: {what}." if what else "Sorry, something went wrong."
    text = escape(truncate(sentence, 500)) + " Please try again in a moment."
    return build_message(text, [_section(text)])


def home_view(entry_count: int) -> dict[str, Any]:
    """The App Home tab: what the bot knows and how to ask it (at most MAX_VIEW_BLOCKS blocks)."""
    entries = "1 entry" if entry_count == 1 else f"{entry_count:,} entries"
    blocks = [
        _header("httpcode"),
        _section(
            "I explain HTTP status codes and the errors around them, for engineers mid-incident: "
            "what a code means, which layer likely sent it, how to confirm the cause and how to fix it."
        ),
        _context(f"The knowledge base holds {entries}: registered codes and classes, vendor codes and error topics."),
        _divider(),
        _section(_examples_text()),
        _section(_where_text()),
        _context(escape(HOW_TO_ASK)),
    ]
    return {"type": "home", "blocks": _fit(blocks, MAX_VIEW_BLOCKS)}


def validate_limits(
    blocks: Sequence[Mapping[str, Any]],
    *,
    max_blocks: int = MAX_MESSAGE_BLOCKS,
    max_json: int | None = MAX_BLOCKS_JSON,
) -> list[str]:
    """Every Slack limit the blocks break, as `/blocks/3/text/text: ...` lines (Slack's own pointer style).

    Covers what Slack rejects and the SDK models do not check (block count, empty text objects)
    as well as what they check only at send time (text lengths, ids).
    """
    problems: list[str] = []
    if len(blocks) > max_blocks:
        problems.append(f"/blocks: {len(blocks)} blocks (limit {max_blocks})")
    if max_json is not None and (size := json_size(blocks)) > max_json:
        problems.append(f"/blocks: {size} characters of JSON (limit {max_json})")
    ids: dict[str, set[str]] = {"block_id": set(), "action_id": set()}
    for index, block in enumerate(blocks):
        where = f"/blocks/{index}"
        _check_id(block, "block_id", where, ids, problems)
        kind = block.get("type")
        if kind == "header":
            _check_text(block.get("text"), f"{where}/text", MAX_HEADER_TEXT, problems, plain_only=True)
        elif kind == "section":
            _check_section(block, where, ids, problems)
        elif kind == "context":
            elements = block.get("elements") or []
            if not elements:
                problems.append(f"{where}/elements: a context block needs at least one element")
            if len(elements) > MAX_CONTEXT_ELEMENTS:
                problems.append(f"{where}/elements: {len(elements)} elements (limit {MAX_CONTEXT_ELEMENTS})")
            for number, element in enumerate(elements):
                if element.get("type") in _TEXT_TYPES:
                    _check_text(element, f"{where}/elements/{number}", MAX_CONTEXT_TEXT, problems)
        elif kind == "actions":
            elements = block.get("elements") or []
            if not elements:
                problems.append(f"{where}/elements: an actions block needs at least one element")
            if len(elements) > MAX_ACTION_ELEMENTS:
                problems.append(f"{where}/elements: {len(elements)} elements (limit {MAX_ACTION_ELEMENTS})")
            for number, element in enumerate(elements):
                _check_element(element, f"{where}/elements/{number}", ids, problems)
        elif not isinstance(kind, str) or not kind:
            problems.append(f"{where}/type: missing block type")
    return problems


# -- answer layouts --------------------------------------------------------------------------


def _answered_blocks(answer: Answer, budget: _Budget) -> list[dict[str, Any]]:
    """Meaning first, then what to do, then follow-ups: the terminal renderer's reading order."""
    entry = answer.entries[0]
    blocks = [*_echo(answer.question), _header(entry.label)]
    meaning = [_cut(entry.summary, 400)]
    if entry.deprecated:
        meaning.append(f"*Deprecated:* {_cut(entry.deprecated, 300)}")
    if budget.explanation and entry.explanation:
        meaning.append(_cut(entry.explanation, budget.explanation))
    blocks.append(_section("\n\n".join(meaning)))
    blocks += _optional_context(_cut(entry.origin_line, ORIGIN_CHARS))
    blocks += _optional_context(*(_cut(note, NOTE_CHARS) for note in answer.notes))
    blocks += _cause_blocks(entry, budget)
    blocks += _sections(_checklist_lines(entry, budget))
    blocks += _snippet_blocks(entry, budget)
    blocks += _sections(_compare_lines(answer, entry, budget))
    if entry.references:
        blocks.append(_context(_cut("References: " + "; ".join(entry.references), REFERENCE_CHARS)))
    buttons = itertools.count(1)  # one counter keeps action_ids unique in the message
    if answer.related:
        refs = answer.related[:MAX_ASK_BUTTONS]
        blocks.append(_context("*Related*, tap to ask:"))
        blocks.append(_actions([_ask_button(r.label, r.id, next(buttons)) for r in refs]))
    if len(answer.entries) > 1:
        blocks.append(_divider())
        for other in answer.entries[1 : 1 + MAX_ASK_BUTTONS]:
            text = f"*{escape(truncate(other.label, 200))}*\n{_cut(other.summary, budget.other_chars)}"
            blocks.append(_section(text, accessory=_ask_button("Explain", other.id, next(buttons))))
    if answer.suggestions:
        names = ", ".join(_match_label(s) for s in answer.suggestions[:MAX_ASK_BUTTONS])
        blocks.append(_context(f"Other possible meanings: {escape(names)}"))
    return blocks


def _cause_blocks(entry: Entry, budget: _Budget) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    for number, cause in enumerate(entry.causes[: budget.causes], start=1):
        heading = "*Likely causes*\n" if number == 1 else ""
        blocks.append(
            _section(
                f"{heading}*{number}. {_cut(cause.cause, budget.cause_chars)}*\n"
                f"_Confirm:_ {_cut(cause.confirm, budget.cause_chars)}\n"
                f"_Fix:_ {_cut(cause.fix, budget.cause_chars)}"
            )
        )
    hidden = len(entry.causes) - budget.causes
    if hidden > 0:
        more = "1 more cause" if hidden == 1 else f"{hidden} more causes"
        blocks.append(_context(f"… {more} not shown; `httpcode ask {escape(_ask_term(entry))} --full` lists them all."))
    return blocks


def _checklist_lines(entry: Entry, budget: _Budget) -> list[str]:
    lines: list[str] = []
    for side, steps in (("Client side", entry.checklist.client), ("Server side", entry.checklist.server)):
        if not steps:
            continue
        lines.append(f"_{side}_")
        lines += [f"{n}. {_cut(step, budget.step_chars)}" for n, step in enumerate(steps[: budget.steps], start=1)]
        if len(steps) > budget.steps:
            lines.append(f"… {len(steps) - budget.steps} more steps")
    return ["*Checklist*", *lines] if lines else []


def _snippet_blocks(entry: Entry, budget: _Budget) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    for snippet in entry.snippets[: budget.snippets]:
        title = f"*{_cut(snippet.title, 150)}* _({escape(snippet.lang)}, {escape(snippet.purpose)})_\n"
        blocks.append(_section(title + code_block(snippet.code, min(budget.code_chars, MAX_SECTION_TEXT - len(title)))))
    return blocks


def _compare_lines(answer: Answer, entry: Entry, budget: _Budget) -> list[str]:
    lines: list[str] = []
    labels = {ref.id: ref.label for ref in (*answer.related, *answer.compared)}
    if entry.compare:
        lines.append("*Compare*")
        for comparison in entry.compare[: budget.compare]:
            other = escape(truncate(labels.get(comparison.other, comparison.other), 200))
            lines.append(f"• vs *{other}*: {_cut(comparison.rule, budget.rule_chars)}")
    if entry.retry is not None:
        why = entry.retry.why + (" Honour Retry-After." if entry.retry.retry_after else "")
        lines.append(f"*Retry:* {escape(entry.retry.verdict)}. {_cut(why, budget.rule_chars)}")
    return lines


def _unsure_blocks(answer: Answer) -> list[dict[str, Any]]:
    suggestions = answer.suggestions[:MAX_ASK_BUTTONS]
    lines = [f"• *{escape(_match_label(s))}*: `/httpcode {escape(s.code or s.name)}`" for s in suggestions]
    blocks = [*_echo(answer.question), _section("\n".join(["*I'm not sure what you mean. Did you mean:*", *lines]))]
    buttons = [_ask_button(_match_label(s), s.entry, n) for n, s in enumerate(suggestions, start=1)]
    if buttons:
        blocks.append(_actions(buttons))
    blocks.append(_context(escape(answer.how_to_ask or HOW_TO_ASK)))
    return blocks


def _unknown_blocks(answer: Answer) -> list[dict[str, Any]]:
    return [
        *_echo(answer.question),
        _section(f"*I don't know what that refers to.*\n{escape(answer.how_to_ask or HOW_TO_ASK)}"),
        _context("Type `/httpcode help` for examples."),
    ]


def _answered_text(answer: Answer) -> str:
    """The notification line: `403 Forbidden: <summary>`, plus the labels of other matches."""
    entry = answer.entries[0]
    text = f"{entry.label}: {_prose(entry.summary)}"
    if len(answer.entries) > 1:
        text += " (also: " + ", ".join(e.label for e in answer.entries[1:]) + ")"
    return escape(truncate(text, 1000))


def _examples_text() -> str:
    lines = [f"• `/httpcode {escape(q)}` — {escape(why)}" for q, why in HELP_EXAMPLES]
    return "\n".join(["*Examples*", *lines])


def _where_text() -> str:
    return "\n".join(
        [
            "*Where to ask*",
            "• `/httpcode` and your question, anywhere: only you see the answer; *Share in channel* posts it.",
            "• Mention me in a channel: I answer in the thread.",
            "• Send me a direct message: just the code or the error text.",
        ]
    )


# -- small pieces ----------------------------------------------------------------------------


def _prose(text: str) -> str:
    return " ".join(text.split())


def _cut(text: str, limit: int) -> str:
    """Knowledge or user prose on one line, cut to `limit` characters with a marker, then escaped."""
    return escape(truncate(_prose(text), limit))


def _ask_term(entry: Entry) -> str:
    return entry.code or entry.name


def _match_label(match: Match) -> str:
    return f"{match.code} {match.name}" if match.code else match.name


def _echo(question: str) -> list[dict[str, Any]]:
    """The question, escaped and verbatim, so `<!channel>` or `@here` in it stays inert text."""
    if not question.strip():
        return []
    element = _mrkdwn(f"You asked: {_cut(question, ECHO_CHARS)}")
    element["verbatim"] = True
    return [{"type": "context", "elements": [element]}]


def _mrkdwn(text: str, limit: int = MAX_CONTEXT_TEXT) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": truncate(text, limit) if text.strip() else "…"}


def _plain(text: str, limit: int) -> dict[str, Any]:
    text = truncate(_prose(text), limit)
    return {"type": "plain_text", "text": text or "…"}


def _header(text: str) -> dict[str, Any]:
    return {"type": "header", "text": _plain(text, MAX_HEADER_TEXT)}


def _section(text: str, *, accessory: dict[str, Any] | None = None) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "section", "text": _mrkdwn(text, MAX_SECTION_TEXT)}
    if accessory is not None:
        block["accessory"] = accessory
    return block


def _sections(lines: Sequence[str]) -> list[dict[str, Any]]:
    """Lines packed into as few sections as fit MAX_SECTION_TEXT, split between lines, never inside one."""
    blocks: list[dict[str, Any]] = []
    current = ""
    for line in lines:
        line = truncate(line, MAX_SECTION_TEXT)
        if current and len(current) + 1 + len(line) > MAX_SECTION_TEXT:
            blocks.append(_section(current))
            current = ""
        current = f"{current}\n{line}" if current else line
    if current.strip():
        blocks.append(_section(current))
    return blocks


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [_mrkdwn(text)]}


def _optional_context(*texts: str) -> list[dict[str, Any]]:
    elements = [_mrkdwn(t) for t in texts if t.strip()][:MAX_CONTEXT_ELEMENTS]
    return [{"type": "context", "elements": elements}] if elements else []


def _divider() -> dict[str, Any]:
    return {"type": "divider"}


def _actions(elements: Iterable[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "actions", "elements": list(elements)[:MAX_ACTION_ELEMENTS]}


def button(text: str, action_id: str, value: str) -> dict[str, Any]:
    button: dict[str, Any] = {"type": "button", "action_id": action_id[:MAX_ID], "text": _plain(text, MAX_BUTTON_TEXT)}
    if value:
        button["value"] = value[:MAX_BUTTON_VALUE]
    return button


def _ask_button(label: str, entry_id: str, number: int) -> dict[str, Any]:
    return button(label, f"{ACTION_ASK_RELATED}_{number}", entry_id)


def json_size(blocks: Sequence[Mapping[str, Any]]) -> int:
    """Characters of blocks JSON as the SDK sends it (ASCII-escaped), the conservative measure."""
    return len(json.dumps(list(blocks)))


def _fit(blocks: list[dict[str, Any]], max_blocks: int) -> list[dict[str, Any]]:
    """At most `max_blocks` blocks; a cut says so and keeps a final actions block (the Share button)."""
    if len(blocks) <= max_blocks:
        return blocks
    tail = [blocks[-1]] if blocks[-1].get("type") == "actions" else []
    kept = blocks[: max_blocks - 1 - len(tail)]
    return [*kept, _context("… more than fits in one message."), *tail]


def build_message(text: str, blocks: list[dict[str, Any]], max_blocks: int = MAX_MESSAGE_BLOCKS) -> SlackMessage:
    fallback = truncate(text, MAX_FALLBACK_TEXT) if text.strip() else "httpcode"
    return SlackMessage(text=fallback, blocks=tuple(_fit(blocks, max_blocks)))


# -- limit checks ----------------------------------------------------------------------------


def _check_text(obj: Any, where: str, limit: int, problems: list[str], *, plain_only: bool = False) -> None:
    if not isinstance(obj, Mapping) or obj.get("type") not in _TEXT_TYPES:
        problems.append(f"{where}: not a text object")
        return
    if plain_only and obj.get("type") != "plain_text":
        problems.append(f"{where}: must be plain_text")
    text = obj.get("text")
    if not isinstance(text, str) or not text.strip():
        problems.append(f"{where}/text: empty text (Slack rejects it)")
    elif len(text) > limit:
        problems.append(f"{where}/text: {len(text)} characters (limit {limit})")


def _check_id(obj: Mapping[str, Any], key: str, where: str, seen: dict[str, set[str]], problems: list[str]) -> None:
    value = obj.get(key)
    if value is None:
        return
    if not isinstance(value, str) or not value:
        problems.append(f"{where}/{key}: empty")
    elif len(value) > MAX_ID:
        problems.append(f"{where}/{key}: {len(value)} characters (limit {MAX_ID})")
    elif value in seen[key]:
        problems.append(f"{where}/{key}: {value!r} is used twice in one message")
    else:
        seen[key].add(value)


def _check_section(block: Mapping[str, Any], where: str, ids: dict[str, set[str]], problems: list[str]) -> None:
    text, fields = block.get("text"), block.get("fields")
    if text is None and not fields:
        problems.append(f"{where}: a section needs text or fields")
    if text is not None:
        _check_text(text, f"{where}/text", MAX_SECTION_TEXT, problems)
    if fields:
        if len(fields) > MAX_SECTION_FIELDS:
            problems.append(f"{where}/fields: {len(fields)} fields (limit {MAX_SECTION_FIELDS})")
        for number, field in enumerate(fields):
            _check_text(field, f"{where}/fields/{number}", MAX_FIELD_TEXT, problems)
    accessory = block.get("accessory")
    if accessory is not None:
        _check_element(accessory, f"{where}/accessory", ids, problems)


def _check_element(element: Mapping[str, Any], where: str, ids: dict[str, set[str]], problems: list[str]) -> None:
    if element.get("type") != "button":
        _check_id(element, "action_id", where, ids, problems)
        return
    _check_text(element.get("text"), f"{where}/text", MAX_BUTTON_TEXT, problems, plain_only=True)
    if "action_id" not in element:
        problems.append(f"{where}/action_id: missing")
    _check_id(element, "action_id", where, ids, problems)
    value = element.get("value")
    if value is not None and (not isinstance(value, str) or not value or len(value) > MAX_BUTTON_VALUE):
        problems.append(f"{where}/value: must be 1 to {MAX_BUTTON_VALUE} characters")
    url = element.get("url")
    if url is not None and (not isinstance(url, str) or len(url) > MAX_URL):
        problems.append(f"{where}/url: must be at most {MAX_URL} characters")
