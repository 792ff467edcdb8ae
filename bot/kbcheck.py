"""`httpcode kb check`: print every knowledge finding, one line each, and say whether any exist.

Files inside the knowledge base are checked against the whole base (so `related` ids in other
files resolve) and only their own findings are shown; files elsewhere (a fixture folder, a new
base) are checked as a set of their own.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from bot.config import Settings
from bot.errors import ConfigError
from bot.knowledge.check import check_paths
from bot.knowledge.files import knowledge_files
from bot.knowledge.loader import default_root


def _inside(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root)
    except ValueError:
        return False
    return True


def run_check(
    paths: Sequence[Path],
    stdout: TextIO,
    stderr: TextIO,
    settings: Settings,
    *,
    as_json: bool = False,
    ignore: set[str] | None = None,
) -> int:
    root = (settings.knowledge_dir or default_root()).resolve()
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise ConfigError([f"no such file or folder: {m}" for m in missing])
    if not paths and not root.is_dir():
        raise ConfigError([f"knowledge folder not found: {root}"])
    if not paths or all(_inside(p, root) for p in paths):
        wanted = {str(f.resolve()) for f in knowledge_files(list(paths))} if paths else None
        _, findings = check_paths([root], base=root.parent)
        if wanted is not None:
            findings = [f for f in findings if str((root.parent / f.path).resolve()) in wanted]
        checked = len(wanted) if wanted is not None else len(knowledge_files([root]))
    else:
        _, findings = check_paths(list(paths))
        checked = len(knowledge_files(list(paths)))
    findings = [f for f in findings if f.code not in (ignore or set())]
    if as_json:
        stdout.write(json.dumps({"checked": checked, "findings": [f.to_dict() for f in findings]}) + "\n")
    else:
        for finding in findings:
            stdout.write(f"{finding}\n")
    stdout.flush()
    word = "problem" if len(findings) == 1 else "problems"
    print(f"httpcode: checked {checked} files: {len(findings)} {word}", file=stderr)
    return 1 if findings else 0
