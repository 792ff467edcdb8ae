"""Typed knowledge entries, built only from mappings that passed the schema checks.

Records are typed NamedTuples rather than dataclasses: immutable and typed alike, but building a
dataclass costs about a millisecond at import, and `httpcode ask` pays every import on every run.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple

from bot.knowledge.schema import Kind


class WhoSends(NamedTuple):
    layer: str
    clue: str


class Cause(NamedTuple):
    cause: str
    confirm: str
    fix: str


class Checklist(NamedTuple):
    client: tuple[str, ...] = ()
    server: tuple[str, ...] = ()


class Snippet(NamedTuple):
    lang: str
    purpose: str
    title: str
    code: str


class Comparison(NamedTuple):
    other: str
    rule: str


class Retry(NamedTuple):
    verdict: str
    why: str
    retry_after: bool = False


class HeaderNote(NamedTuple):
    name: str
    note: str


class Entry(NamedTuple):
    """One knowledge entry; `path` is where it came from, for messages."""

    id: str
    kind: Kind
    name: str
    summary: str
    explanation: str
    references: tuple[str, ...]
    path: str
    code: str | None = None
    aliases: tuple[str, ...] = ()
    origin: str | None = None
    status: str | None = None
    spec: str | None = None
    doc: str | None = None
    deprecated: str | None = None
    expires: str | None = None
    parent: str | None = None
    sent_as: str | None = None
    seen_as: str | None = None  # a topic's usual status or class on the wire, when it has one
    visible_to: str | None = None
    collides_with: tuple[str, ...] = ()
    layer: str | None = None
    who_sends: tuple[WhoSends, ...] = ()
    causes: tuple[Cause, ...] = ()
    checklist: Checklist = Checklist()
    snippets: tuple[Snippet, ...] = ()
    related: tuple[str, ...] = ()
    compare: tuple[Comparison, ...] = ()
    retry: Retry | None = None
    headers: tuple[HeaderNote, ...] = ()
    match: tuple[str, ...] = ()
    reviewed: str | None = None

    @property
    def label(self) -> str:
        """`403 Forbidden`, `nginx 499 Client Closed Request`, or a topic's name."""
        if self.code is None:
            return self.name
        if self.kind is Kind.VENDOR and self.origin:
            return f"{self.code} {self.name} ({self.origin})"
        return f"{self.code} {self.name}"

    @property
    def origin_line(self) -> str:
        """Where the code comes from and how it reaches the client: `IANA · RFC 9110 §15.5.4`."""
        parts = [p for p in (self.origin, self.spec or self.doc) if p]
        if self.status and self.status != "permanent":
            parts.append(f"registry status: {self.status}")
        if self.sent_as:
            parts.append(f"sent to the client as {self.sent_as}")
        if self.visible_to == "logs-only":
            parts.append("seen only in logs")
        if self.layer:
            parts.append(f"layer: {self.layer}")
        return " · ".join(parts)

    @property
    def is_deep(self) -> bool:
        return bool(self.causes and self.checklist.client + self.checklist.server and self.snippets)


def _strs(value: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in value or ())


def entry_from_mapping(data: Mapping[str, Any], path: str) -> Entry:
    """Build an Entry from a mapping the checker accepted (no validation here)."""
    checklist = data.get("checklist") or {}
    retry = data.get("retry")
    reviewed = data.get("reviewed")
    return Entry(
        id=str(data["id"]),
        kind=Kind(data["kind"]),
        name=str(data["name"]),
        summary=" ".join(str(data["summary"]).split()),
        explanation=str(data["explanation"]).strip(),
        references=_strs(data.get("references")),
        path=path,
        code=None if data.get("code") is None else str(data["code"]),
        aliases=_strs(data.get("aliases")),
        origin=data.get("origin"),
        status=data.get("status"),
        spec=data.get("spec"),
        doc=data.get("doc"),
        deprecated=None if data.get("deprecated") is None else str(data["deprecated"]),
        expires=None if data.get("expires") is None else str(data["expires"]),
        parent=None if data.get("parent") is None else str(data["parent"]),
        sent_as=None if data.get("sent_as") is None else str(data["sent_as"]),
        seen_as=None if data.get("seen_as") is None else str(data["seen_as"]),
        visible_to=data.get("visible_to"),
        collides_with=_strs(data.get("collides_with")),
        layer=data.get("layer"),
        who_sends=tuple(WhoSends(str(w["layer"]), str(w["clue"]).strip()) for w in data.get("who_sends") or ()),
        causes=tuple(
            Cause(str(c["cause"]).strip(), str(c["confirm"]).strip(), str(c["fix"]).strip())
            for c in data.get("causes") or ()
        ),
        checklist=Checklist(_strs(checklist.get("client")), _strs(checklist.get("server"))),
        snippets=tuple(
            Snippet(str(s["lang"]), str(s["purpose"]), str(s["title"]), str(s["code"]).rstrip("\n"))
            for s in data.get("snippets") or ()
        ),
        related=_strs(data.get("related")),
        compare=tuple(Comparison(str(c["with"]), str(c["rule"]).strip()) for c in data.get("compare") or ()),
        retry=None
        if retry is None
        else Retry(str(retry["verdict"]), str(retry["why"]).strip(), bool(retry.get("retry_after", False))),
        headers=tuple(HeaderNote(str(h["name"]), str(h["note"]).strip()) for h in data.get("headers") or ()),
        match=_strs(data.get("match")),
        reviewed=None if reviewed is None else str(reviewed.get("date")),
    )


class LazyEntries(Mapping[str, Entry]):
    """Entries kept pickled until first use: a cached start-up unpickles only what a question needs."""

    def __init__(self, blobs: dict[str, bytes]) -> None:
        self._blobs = blobs
        self._loaded: dict[str, Entry] = {}

    def __getitem__(self, entry_id: str) -> Entry:
        entry = self._loaded.get(entry_id)
        if entry is None:
            entry = pickle.loads(self._blobs[entry_id])
            self._loaded[entry_id] = entry
        return entry

    def __iter__(self) -> Iterator[str]:
        return iter(self._blobs)

    def __len__(self) -> int:
        return len(self._blobs)

    def __contains__(self, entry_id: object) -> bool:
        return entry_id in self._blobs


def _restore(blobs: dict[str, bytes], root: str) -> KnowledgeBase:
    return KnowledgeBase(entries=LazyEntries(blobs), root=root)


class KnowledgeBase:
    """All entries by id; built once per process (or read from the compiled cache, lazily)."""

    __slots__ = ("entries", "root")

    def __init__(self, entries: Mapping[str, Entry], root: str) -> None:
        self.entries = entries
        self.root = root

    def __iter__(self) -> Iterator[Entry]:
        return iter(self.entries.values())

    def __len__(self) -> int:
        return len(self.entries)

    def get(self, entry_id: str) -> Entry | None:
        return self.entries.get(entry_id)

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle each entry on its own, so loading the cache defers the work to first use."""
        blobs = {key: pickle.dumps(self.entries[key], protocol=pickle.HIGHEST_PROTOCOL) for key in self.entries}
        return (_restore, (blobs, self.root))
