"""Syntax checks for knowledge snippets, with whatever parser is at hand for the language.

Shell snippets are checked by `bash -n` in one process for the whole batch (each snippet wrapped
in its own function); only when that batch fails is each snippet re-checked alone, so a clean
knowledge base costs one subprocess.
"""

from __future__ import annotations

import ast
import json
import shutil
import subprocess
import tempfile
from collections.abc import Sequence

import yaml

SHELL_LANGS = frozenset({"shell", "curl"})


def _python(code: str) -> str | None:
    try:
        ast.parse(code)
    except SyntaxError as exc:
        return f"python does not parse: {exc.msg} (snippet line {exc.lineno})"
    return None


def _json(code: str) -> str | None:
    try:
        json.loads(code)
    except json.JSONDecodeError as exc:
        return f"JSON does not parse: {exc.msg} (snippet line {exc.lineno})"
    return None


def _yaml(code: str) -> str | None:
    try:
        list(yaml.safe_load_all(code))
    except yaml.YAMLError as exc:
        return f"YAML does not parse: {str(exc).splitlines()[0]}"
    return None


def _nginx(code: str) -> str | None:
    """Braces balance and every directive ends with `;`, `{` or `}` (comments aside)."""
    depth = 0
    for number, raw in enumerate(code.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        depth += line.count("{") - line.count("}")
        if depth < 0:
            return f"nginx: unexpected '}}' (snippet line {number})"
        if not line.endswith((";", "{", "}")):
            return f"nginx: directive not ended by ';' (snippet line {number})"
    if depth:
        return "nginx: unbalanced braces"
    return None


CHECKERS = {"python": _python, "json": _json, "yaml": _yaml, "nginx": _nginx}


def check_snippet(lang: str, code: str) -> str | None:
    """Problem text for a non-shell snippet, or None when it parses (or no parser exists)."""
    checker = CHECKERS.get(lang)
    return checker(code) if checker else None


def _bash_ok(script: str, bash: str) -> bool:
    with tempfile.NamedTemporaryFile("w", suffix=".sh", delete=True) as handle:
        handle.write(script)
        handle.flush()
        result = subprocess.run([bash, "-n", handle.name], capture_output=True, timeout=60, check=False)
    return result.returncode == 0


def check_shell_snippets(codes: Sequence[str]) -> list[str | None]:
    """One problem text (or None) per shell snippet; all None when bash is not installed."""
    bash = shutil.which("bash")
    if bash is None or not codes:
        return [None] * len(codes)
    wrapped = "".join(f"__snippet_{i}() {{\n{code}\n:\n}}\n" for i, code in enumerate(codes))
    if _bash_ok(wrapped, bash):
        return [None] * len(codes)
    return [None if _bash_ok(code + "\n", bash) else "shell does not parse (bash -n)" for code in codes]
