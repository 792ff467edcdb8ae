"""Which files make up a knowledge base; shared by the checker and the cache key, imports nothing heavy."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path


def knowledge_files(paths: Sequence[Path]) -> list[Path]:
    """Every .yml file under the given files or folders, sorted; hidden files and folders skipped."""
    from pathlib import Path  # for the checker only: the cache key below works on strings

    found: set[Path] = set()
    for path in paths:
        if path.is_dir():
            found.update(Path(p) for p in _yml_under(str(path)))
        else:
            found.add(path)
    return sorted(found)


def stat_fingerprint(root: str | os.PathLike[str]) -> list[str]:
    """`relative/path size mtime_ns` for every entry file, sorted: the cache key's raw material, made
    with os.scandir and plain strings because it runs on every start."""
    folder = os.fspath(root)
    base = len(folder) + 1
    lines = []
    for path in _yml_under(folder):
        stat = os.stat(path)
        lines.append(f"{path[base:]} {stat.st_size} {stat.st_mtime_ns}")
    return sorted(lines)


def _yml_under(folder: str) -> list[str]:
    out: list[str] = []
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.name.startswith("."):
                continue
            if entry.is_dir():
                out += _yml_under(entry.path)
            elif entry.name.endswith(".yml"):
                out.append(entry.path)
    return out
