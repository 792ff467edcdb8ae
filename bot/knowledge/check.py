"""The `kb check` rules: every problem in a set of knowledge files, as Findings with file and line.

Rule codes are stable and never reused: KB0xx structure, KB1xx content, KB2xx cross-file.
The loader runs exactly these rules, so `kb check` and a refused start print the same lines.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.errors import Finding
from bot.knowledge.files import knowledge_files
from bot.knowledge.schema import (
    ALL_KINDS,
    ENTRY_FIELDS,
    FIELD_ORDER,
    FIELDS_BY_NAME,
    FOLDER_OF_KIND,
    INHERITED,
    SUMMARY_MAX,
    Field,
    Kind,
)
from bot.knowledge.snippets import SHELL_LANGS, check_shell_snippets, check_snippet

RULES: dict[str, str] = {
    "KB001": "the file is valid YAML",
    "KB002": "the file holds one mapping (one entry)",
    "KB003": "no unknown fields",
    "KB004": "required fields are present",
    "KB005": "each field has the right type",
    "KB006": "enumerated fields hold a known value",
    "KB007": "the id equals the file name and the folder matches the kind",
    "KB008": "keys appear in the canonical order",
    "KB009": "the code fits the kind",
    "KB101": "every cause has a confirm",
    "KB102": "the summary is one line of at most 140 characters",
    "KB103": "every snippet parses",
    "KB104": "at least one reference",
    "KB105": "no field is an empty string or an empty list",
    "KB201": "ids are unique",
    "KB202": "a name or alias is not claimed twice by one origin for different codes",
    "KB203": "every related, compare.with, parent, seen_as and collides_with id exists",
    "KB204": "collides_with is declared on both sides",
}

SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: same rules, 20x faster

CODE_PATTERNS: dict[Kind, re.Pattern[str]] = {
    Kind.STATUS: re.compile(r"[1-5]\d\d"),
    Kind.CLASS: re.compile(r"[1-5]xx"),
    Kind.VENDOR: re.compile(r"\d{3,4}(\.\d{1,3})?"),
}


@dataclass(slots=True)
class ParsedFile:
    """One knowledge file after YAML parsing, with the line of every key path."""

    display: str
    stem: str
    folder: str
    data: Any
    lines: dict[tuple[str | int, ...], int]

    def line(self, *path: str | int) -> int:
        """Line of the deepest known key on `path` (1-based); the file's first line otherwise."""
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return 1


def _line_map(node: yaml.Node, path: tuple[str | int, ...], out: dict[tuple[str | int, ...], int]) -> None:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            child = (*path, str(key.value))
            out[child] = key.start_mark.line + 1
            _line_map(value, child, out)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            child = (*path, index)
            out[child] = item.start_mark.line + 1
            _line_map(item, child, out)


def parse_file(path: Path, display: str) -> tuple[ParsedFile | None, list[Finding]]:
    """YAML -> ParsedFile; a syntax error is KB001 at the line the parser names."""
    stem = path.name.removesuffix(".yml").removesuffix(".yaml")
    try:
        text = path.read_text(encoding="utf-8")
        node = yaml.compose(text, Loader=SAFE_LOADER)
        data = yaml.load(text, Loader=SAFE_LOADER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        problem = exc.problem or "invalid YAML"
        return None, [Finding(display, line, "KB001", stem, "", f"YAML does not parse: {problem}")]
    except (yaml.YAMLError, UnicodeDecodeError, OSError) as exc:
        return None, [Finding(display, 1, "KB001", stem, "", f"cannot read: {exc}")]
    lines: dict[tuple[str | int, ...], int] = {}
    if node is not None:
        _line_map(node, (), lines)
    return ParsedFile(display, stem, path.parent.name, data, lines), []


def _type_ok(value: Any, type_: str) -> bool:
    if type_ == "str":
        return isinstance(value, str | int | float) and not isinstance(value, bool)
    if type_ == "bool":
        return isinstance(value, bool)
    if type_ == "strlist":
        return isinstance(value, list) and all(
            isinstance(v, str | int | float) and not isinstance(v, bool) for v in value
        )
    if type_ == "map":
        return isinstance(value, dict)
    if type_ == "maplist":
        return isinstance(value, list) and all(isinstance(v, dict) for v in value)
    raise ValueError(type_)


TYPE_WORDS = {
    "str": "a string",
    "bool": "true or false",
    "strlist": "a list of strings",
    "map": "a mapping",
    "maplist": "a list of mappings",
}


def _fmt(path: Sequence[str | int]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


class _FileChecker:
    """Structural and content rules for one parsed file."""

    def __init__(self, parsed: ParsedFile) -> None:
        self.p = parsed
        data = parsed.data if isinstance(parsed.data, dict) else {}
        self.entry = str(data.get("id", parsed.stem))
        self.findings: list[Finding] = []

    def add(self, code: str, path: Sequence[str | int], message: str) -> None:
        self.findings.append(Finding(self.p.display, self.p.line(*path), code, self.entry, _fmt(path), message))

    def run(self) -> list[Finding]:
        data = self.p.data
        if not isinstance(data, dict):
            self.add("KB002", (), "the file must hold one mapping (an entry), not " + type(data).__name__)
            return self.findings
        kind = self._kind(data)
        self._top_level(data, kind)
        self._order(data)
        if kind is not None:
            self._identity(data, kind)
        self._content(data)
        return self.findings

    def _kind(self, data: dict[str, Any]) -> Kind | None:
        try:
            return Kind(str(data.get("kind")))
        except ValueError:
            return None

    def _top_level(self, data: dict[str, Any], kind: Kind | None) -> None:
        for key, value in data.items():
            spec = FIELDS_BY_NAME.get(str(key))
            if spec is None:
                self.add("KB003", (str(key),), "unknown field")
                continue
            if kind is not None and kind not in spec.allowed:
                self.add("KB003", (str(key),), f"field not used for kind {kind.value}")
                continue
            self._value(spec, value, (str(key),))
        for spec in ENTRY_FIELDS:
            if spec.name not in data and (kind in spec.required if kind else spec.required == ALL_KINDS):
                if spec.name in INHERITED and data.get("parent") is not None:
                    continue  # a sub-status inherits it from its parent
                self.add("KB004", (spec.name,), "required field is missing")

    def _value(self, spec: Field, value: Any, path: tuple[str | int, ...]) -> None:
        if value is None or not _type_ok(value, spec.type):
            self.add("KB005", path, f"must be {TYPE_WORDS[spec.type]}")
            return
        if (spec.type == "str" and not str(value).strip()) or (spec.type in ("strlist", "maplist") and not value):
            if path != ("references",):  # an empty reference list is KB104's finding
                self.add("KB105", path, "empty; leave the field out instead")
            return
        if spec.choices is not None and str(value) not in spec.choices:
            self.add("KB006", path, f"unknown value {value!r}; one of {', '.join(sorted(spec.choices))}")
        if spec.type == "strlist":
            for index, item in enumerate(value):
                if not str(item).strip():
                    self.add("KB105", (*path, index), "empty string in list")
        if spec.type == "map":
            self._mapping(spec, value, path)
        if spec.type == "maplist":
            for index, item in enumerate(value):
                self._mapping(spec, item, (*path, index))

    def _mapping(self, spec: Field, value: dict[str, Any], path: tuple[str | int, ...]) -> None:
        known = {sub.name: sub for sub in spec.sub}
        for key, item in value.items():
            sub = known.get(str(key))
            if sub is None:
                self.add("KB003", (*path, str(key)), "unknown field")
            else:
                self._value(sub, item, (*path, str(key)))
        for sub in spec.sub:
            if sub.required and sub.name not in value:
                rule = "KB101" if (spec.name, sub.name) == ("causes", "confirm") else "KB004"
                self.add(rule, (*path, sub.name), "required field is missing")

    def _order(self, data: dict[str, Any]) -> None:
        keys = [k for k in data if k in FIELDS_BY_NAME]
        ranks = [FIELD_ORDER.index(k) for k in keys]
        for before, after, key in zip(ranks, ranks[1:], keys[1:], strict=False):
            if after < before:
                self.add("KB008", (key,), "key out of the canonical order (see knowledge/README.md)")
                return

    def _identity(self, data: dict[str, Any], kind: Kind) -> None:
        if "id" in data and str(data["id"]) != self.p.stem:
            self.add("KB007", ("id",), f"id {data['id']!r} differs from the file name {self.p.stem!r}")
        folder = FOLDER_OF_KIND[kind]
        if self.p.folder != folder:
            self.add("KB007", ("kind",), f"kind {kind.value} belongs in knowledge/{folder}/, not {self.p.folder}/")
        pattern = CODE_PATTERNS.get(kind)
        code = data.get("code")
        if pattern and code is not None and not pattern.fullmatch(str(code)):
            self.add("KB009", ("code",), f"code {code!r} does not fit kind {kind.value}")

    def _content(self, data: dict[str, Any]) -> None:
        summary = data.get("summary")
        if isinstance(summary, str):
            flat = " ".join(summary.split())
            if len(flat) > SUMMARY_MAX or "\n" in summary.strip():
                self.add("KB102", ("summary",), f"one line of at most {SUMMARY_MAX} characters ({len(flat)} now)")
        if data.get("references") == []:
            self.add("KB104", ("references",), "at least one reference is required")
        for index, snippet in enumerate(data.get("snippets") or ()):
            if isinstance(snippet, dict) and isinstance(snippet.get("code"), str):
                lang = str(snippet.get("lang"))
                if lang not in SHELL_LANGS:
                    problem = check_snippet(lang, snippet["code"])
                    if problem:
                        self.add("KB103", ("snippets", index, "code"), problem)


def shell_snippets(parsed: ParsedFile) -> list[tuple[int, str]]:
    data = parsed.data if isinstance(parsed.data, dict) else {}
    out = []
    for index, snippet in enumerate(data.get("snippets") or ()):
        if isinstance(snippet, dict) and snippet.get("lang") in SHELL_LANGS and isinstance(snippet.get("code"), str):
            out.append((index, snippet["code"]))
    return out


def _cross_file(files: Sequence[ParsedFile]) -> list[Finding]:
    findings: list[Finding] = []
    by_id: dict[str, ParsedFile] = {}
    for parsed in files:
        entry_id = str(parsed.data.get("id", parsed.stem))
        if entry_id in by_id:
            other = by_id[entry_id].display
            findings.append(
                Finding(parsed.display, parsed.line("id"), "KB201", entry_id, "id", f"duplicate id; also in {other}")
            )
        else:
            by_id[entry_id] = parsed
    names: dict[tuple[str, str], list[tuple[ParsedFile, str, str]]] = defaultdict(list)
    for parsed in files:
        data = parsed.data
        entry_id = str(data.get("id", parsed.stem))
        for path in _reference_paths(data):
            target = str(_get(data, path))
            if target not in by_id:
                findings.append(
                    Finding(
                        parsed.display, parsed.line(*path), "KB203", entry_id, _fmt(path), f"unknown entry {target!r}"
                    )
                )
        for index, other in enumerate(data.get("collides_with") or ()):
            other_data = by_id.get(str(other))
            if other_data is not None and entry_id not in [str(x) for x in other_data.data.get("collides_with") or ()]:
                findings.append(
                    Finding(
                        parsed.display, parsed.line("collides_with", index), "KB204", entry_id,
                        f"collides_with[{index}]", f"{other} does not list {entry_id} in its collides_with",
                    )
                )  # fmt: skip
        origin = str(data.get("origin", ""))
        labels = [("name", str(data.get("name", "")))] + [
            (f"aliases[{i}]", str(a)) for i, a in enumerate(data.get("aliases") or ())
        ]
        for field_name, label in labels:
            key = (origin, " ".join(label.lower().split()))
            if key[1] and not key[1].startswith("("):  # "(Unused)" and other labels in parentheses are placeholders
                names[key].append((parsed, field_name, str(data.get("code"))))
    for (origin, label), claims in names.items():
        codes = {code for _, _, code in claims}
        if len(codes) > 1 and origin:
            for parsed, field_name, _ in claims[1:]:
                findings.append(
                    Finding(
                        parsed.display, parsed.line(field_name.split("[")[0]), "KB202",
                        str(parsed.data.get("id", parsed.stem)), field_name,
                        f"{label!r} is also claimed by {claims[0][0].display} ({origin})",
                    )
                )  # fmt: skip
    return findings


def _get(data: Mapping[str, Any], path: tuple[str | int, ...]) -> Any:
    value: Any = data
    for part in path:
        value = value[part]
    return value


def _reference_paths(data: Mapping[str, Any]) -> Iterable[tuple[str | int, ...]]:
    """Key paths of every field that names another entry."""
    for index, _ in enumerate(data.get("related") or ()):
        yield ("related", index)
    for index, _ in enumerate(data.get("collides_with") or ()):
        yield ("collides_with", index)
    for index, item in enumerate(data.get("compare") or ()):
        if isinstance(item, dict) and "with" in item:
            yield ("compare", index, "with")
    if data.get("parent") is not None:
        yield ("parent",)
    if data.get("seen_as") is not None:
        yield ("seen_as",)


def check_paths(
    paths: Sequence[Path], *, base: Path | None = None, cross_file: bool = True
) -> tuple[list[ParsedFile], list[Finding]]:
    """Run every rule over the files; returns the parsed files and all findings, sorted."""
    findings: list[Finding] = []
    valid: list[ParsedFile] = []
    shell: list[tuple[ParsedFile, int, str]] = []
    for path in knowledge_files(paths):
        display = _display(path, base)
        parsed, problems = parse_file(path, display)
        findings.extend(problems)
        if parsed is None:
            continue
        file_findings = _FileChecker(parsed).run()
        findings.extend(file_findings)
        if isinstance(parsed.data, dict):
            valid.append(parsed)
            shell.extend((parsed, index, code) for index, code in shell_snippets(parsed))
    for (parsed, index, _), problem in zip(shell, check_shell_snippets([c for _, _, c in shell]), strict=True):
        if problem:
            entry = str(parsed.data.get("id", parsed.stem))
            key: tuple[str | int, ...] = ("snippets", index, "code")
            findings.append(Finding(parsed.display, parsed.line(*key), "KB103", entry, _fmt(key), problem))
    if cross_file:
        findings.extend(_cross_file(valid))
    return valid, sorted(findings)


def _display(path: Path, base: Path | None) -> str:
    for root in (base, Path.cwd()):
        if root is not None:
            try:
                return str(path.resolve().relative_to(root.resolve()))
            except ValueError:
                continue
    return str(path)
