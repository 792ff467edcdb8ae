"""Field rules for knowledge entries: one declarative table, read by the checker and the docs.

The table is the single source of truth for which keys exist, in which order, of which type,
required for which kinds, and which values an enumerated field may take.
"""

from __future__ import annotations

from enum import StrEnum
from typing import NamedTuple


class Kind(StrEnum):
    STATUS = "status"
    VENDOR = "vendor-status"
    CLASS = "class"
    TOPIC = "topic"


FOLDER_OF_KIND: dict[Kind, str] = {
    Kind.STATUS: "status",
    Kind.VENDOR: "vendor",
    Kind.CLASS: "class",
    Kind.TOPIC: "topic",
}

ALL_KINDS = frozenset(Kind)
CODED_KINDS = frozenset({Kind.STATUS, Kind.VENDOR, Kind.CLASS})
NONE: frozenset[Kind] = frozenset()

SNIPPET_LANGS = frozenset(
    {
        "curl", "shell", "python", "javascript", "typescript", "nginx", "apache", "iis-xml",
        "yaml", "json", "http", "go", "java", "csharp", "php", "ruby", "text", "html", "xml",
        "sql", "powershell", "toml", "hcl", "caddy", "haproxy", "envoy", "ini",
    }
)  # fmt: skip


class Field(NamedTuple):
    """One key of an entry (or of a nested mapping).

    `type` is one of: str, bool, strlist, map, maplist. `required` and `allowed` are sets of
    kinds; nested fields use ALL_KINDS for both.
    """

    name: str
    type: str
    required: frozenset[Kind] = NONE
    allowed: frozenset[Kind] = ALL_KINDS
    choices: frozenset[str] | None = None
    sub: tuple[Field, ...] = ()


def _req(name: str, type_: str = "str", **kw: object) -> Field:
    return Field(name, type_, required=ALL_KINDS, **kw)  # type: ignore[arg-type]


def _opt(name: str, type_: str = "str", **kw: object) -> Field:
    return Field(name, type_, **kw)  # type: ignore[arg-type]


ENTRY_FIELDS: tuple[Field, ...] = (
    _req("id"),
    _req("kind", choices=frozenset(k.value for k in Kind)),
    Field("code", "str", required=CODED_KINDS, allowed=CODED_KINDS),
    _req("name"),
    _opt("aliases", "strlist"),
    Field("origin", "str", required=CODED_KINDS, allowed=CODED_KINDS),
    Field(
        "status",
        "str",
        allowed=frozenset({Kind.STATUS}),
        required=frozenset({Kind.STATUS}),
        choices=frozenset({"permanent", "temporary", "unused", "obsolete"}),
    ),
    Field("spec", "str", allowed=frozenset({Kind.STATUS, Kind.CLASS}), required=frozenset({Kind.STATUS})),
    Field("doc", "str", allowed=frozenset({Kind.VENDOR})),
    _opt("deprecated"),
    _opt("expires"),
    Field("parent", "str", allowed=frozenset({Kind.VENDOR})),
    Field("sent_as", "str", allowed=frozenset({Kind.VENDOR})),
    Field("seen_as", "str", allowed=frozenset({Kind.TOPIC})),
    Field("visible_to", "str", allowed=frozenset({Kind.VENDOR}), choices=frozenset({"logs-only"})),
    _opt("collides_with", "strlist"),
    Field(
        "layer",
        "str",
        allowed=frozenset({Kind.TOPIC}),
        required=frozenset({Kind.TOPIC}),
        choices=frozenset({"dns", "tcp", "tls", "http", "browser-policy", "client-library"}),
    ),
    _req("summary"),
    _req("explanation"),
    _opt("who_sends", "maplist", sub=(_req("layer"), _req("clue"))),
    _opt("causes", "maplist", sub=(_req("cause"), _req("confirm"), _req("fix"))),
    _opt("checklist", "map", sub=(_opt("client", "strlist"), _opt("server", "strlist"))),
    _opt(
        "snippets",
        "maplist",
        sub=(
            _req("lang", choices=SNIPPET_LANGS),
            _req("purpose", choices=frozenset({"diagnose", "fix", "example-response"})),
            _req("title"),
            _req("code"),
        ),
    ),
    _opt("related", "strlist"),
    _opt("compare", "maplist", sub=(_req("with"), _req("rule"))),
    _opt(
        "retry",
        "map",
        sub=(
            _req("verdict", choices=frozenset({"yes", "no", "after-change", "after-wait"})),
            _req("why"),
            _opt("retry_after", "bool"),
        ),
    ),
    _opt("headers", "maplist", sub=(_req("name"), _req("note"))),
    _opt("match", "strlist"),
    # Required, except that a sub-status (`parent` set) inherits its parent's; see INHERITED.
    _req("references", "strlist"),
    _opt("reviewed", "map", sub=(_req("date"), _opt("sources", "strlist"))),
)

# What a sub-status (iis-403.14 -> 403) takes from its parent when it does not say otherwise.
INHERITED: tuple[str, ...] = ("who_sends", "related", "references")

FIELD_ORDER: tuple[str, ...] = tuple(f.name for f in ENTRY_FIELDS)
FIELDS_BY_NAME: dict[str, Field] = {f.name: f for f in ENTRY_FIELDS}

SUMMARY_MAX = 140

# Fields a deep entry (knowledge-coverage.yml `deep: true`) must fill.
DEEP_FIELDS: tuple[str, ...] = ("who_sends", "causes", "checklist", "snippets", "related", "retry", "match")
