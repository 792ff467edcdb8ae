"""Knowledge files -> KnowledgeBase, refusing an invalid one; compiled cache in the user cache dir.

The cache is keyed by a hash of every knowledge file's path and bytes and of the source of the
modules that shape what is cached, so an edited, added or removed file (or an upgraded httpcode)
misses it. Only a knowledge base that passed every rule is ever written to it. A cache hit
imports neither YAML nor the checker, which keeps `httpcode ask` start-up short.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from bot.errors import ConfigError, KnowledgeError
from bot.knowledge.files import knowledge_files
from bot.knowledge.model import KnowledgeBase

log = logging.getLogger(__name__)

T = TypeVar("T")
PACKAGE = Path(__file__).resolve().parents[1]
# Modules whose classes end up in the pickle: a change to any of them invalidates the cache.
SHAPING_SOURCES = ("knowledge/model.py", "knowledge/schema.py", "match/index.py", "match/matcher.py", "match/text.py")


def default_root() -> Path:
    """The packaged copy in an installed wheel, else the repository's knowledge/ folder."""
    packaged = PACKAGE / "_knowledge"
    if packaged.is_dir():
        return packaged
    return PACKAGE.parent / "knowledge"


def default_cache_dir() -> Path:
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("httpcode", appauthor=False))


def digest(root: Path, files: list[Path], tag: str) -> str:
    h = hashlib.blake2b(digest_size=16)
    h.update(tag.encode() + b"\0")
    for source in SHAPING_SOURCES:
        h.update((PACKAGE / source).read_bytes())
    for path in files:
        h.update(str(path.relative_to(root)).encode() + b"\0")
        h.update(path.read_bytes())
        h.update(b"\0")
    return h.hexdigest()


def build(root: Path) -> KnowledgeBase:
    """Validate every file under root and build the entries; raises KnowledgeError on any finding."""
    from bot.knowledge.check import check_paths
    from bot.knowledge.model import entry_from_mapping

    parsed, findings = check_paths([root], base=root.parent)
    if findings:
        raise KnowledgeError(findings)
    entries = {}
    for item in parsed:
        entry = entry_from_mapping(item.data, item.display)
        entries[entry.id] = entry
    return KnowledgeBase(entries=dict(sorted(entries.items())), root=str(root))


def load_compiled(
    root: Path | None,
    cache_dir: Path | None,
    compile_kb: Callable[[KnowledgeBase], T],
    kind: type[T],
    *,
    use_cache: bool = True,
) -> T:
    """compile_kb(knowledge base at root), read from the cache when files and code are unchanged."""
    root = (root or default_root()).resolve()
    if not root.is_dir():
        raise ConfigError([f"knowledge folder not found: {root} (set HTTPCODE_KNOWLEDGE_DIR to a folder of entries)"])
    if not use_cache:
        return compile_kb(build(root))
    cache_dir = cache_dir or default_cache_dir()
    tag = f"{kind.__module__}.{kind.__qualname__}"
    key = digest(root, knowledge_files([root]), tag)
    prefix = f"{kind.__qualname__.lower()}-"
    cache_file = cache_dir / f"{prefix}{key}.pickle"
    try:
        with cache_file.open("rb") as handle:
            value = pickle.load(handle)
        if isinstance(value, kind):
            return value
    except FileNotFoundError:
        pass
    except Exception as exc:  # a corrupt or foreign cache file is rebuilt, never fatal
        log.warning("ignoring unreadable knowledge cache %s: %s", cache_file, exc)
    value = compile_kb(build(root))
    _write_cache(cache_dir, cache_file, prefix, value)
    return value


def load_knowledge(root: Path | None = None, cache_dir: Path | None = None, *, use_cache: bool = True) -> KnowledgeBase:
    """The validated knowledge base at root (the packaged one by default)."""
    return load_compiled(root, cache_dir, lambda kb: kb, KnowledgeBase, use_cache=use_cache)


def _write_cache(cache_dir: Path, cache_file: Path, prefix: str, value: object) -> None:
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        for old in cache_dir.glob(f"{prefix}*.pickle"):
            old.unlink(missing_ok=True)
        fd, tmp = tempfile.mkstemp(dir=cache_dir, suffix=".tmp")
        with os.fdopen(fd, "wb") as handle:
            pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, cache_file)
    except OSError as exc:  # a read-only home still answers, just without the cache
        log.info("knowledge cache not written (%s): %s", cache_dir, exc)
