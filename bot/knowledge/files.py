"""Which files make up a knowledge base; shared by the checker and the cache key, imports nothing heavy."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path


def knowledge_files(paths: Sequence[Path]) -> list[Path]:
    """Every .yml file under the given files or folders, sorted; hidden folders skipped."""
    found: set[Path] = set()
    for path in paths:
        if path.is_dir():
            found.update(
                p for p in path.rglob("*.yml") if not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
        else:
            found.add(path)
    return sorted(found)
