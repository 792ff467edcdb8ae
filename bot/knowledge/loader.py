"""Knowledge files -> KnowledgeBase, refusing an invalid one; compiled cache in the user cache dir.

The cache key is a hash of every knowledge file's path, size and modification time, and of the
same for the modules that shape what is cached, as make and git's index do: an edited, added or
removed file (or an upgraded httpcode) misses it without reading a byte. Only a knowledge base
that passed every rule is ever written to it. A cache hit imports neither YAML nor the checker,
which keeps `httpcode ask` start-up short.
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from bot.errors import ConfigError, KnowledgeError
from bot.knowledge.files import stat_fingerprint
from bot.knowledge.model import Entry, KnowledgeBase

if TYPE_CHECKING:
    import logging

try:  # the blake2 module alone; hashlib would also load OpenSSL, a few ms of start-up
    from _blake2 import blake2b
except ImportError:  # pragma: no cover - other Pythons
    from hashlib import blake2b

T = TypeVar("T")
PACKAGE = Path(__file__).resolve().parents[1]
# Modules whose classes end up in the pickle: a change to any of them invalidates the cache.
SHAPING_SOURCES = (
    "core.py",
    "knowledge/model.py",
    "knowledge/schema.py",
    "match/index.py",
    "match/matcher.py",
    "match/text.py",
)


def default_root() -> Path:
    """The packaged copy in an installed wheel, else the repository's knowledge/ folder."""
    packaged = PACKAGE / "_knowledge"
    if packaged.is_dir():
        return packaged
    return PACKAGE.parent / "knowledge"


def digest(root: Path, tag: str) -> str:
    """Cache key: the tag, then (name, size, mtime) of each shaping module and knowledge file."""
    lines = [tag]
    for source in SHAPING_SOURCES:
        stat = os.stat(PACKAGE / source)
        lines.append(f"{source} {stat.st_size} {stat.st_mtime_ns}")
    lines += stat_fingerprint(root)
    return blake2b("\n".join(lines).encode(), digest_size=16).hexdigest()


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
    for entry_id, entry in entries.items():
        if entry.parent is not None and entry.parent in entries:
            entries[entry_id] = inherit(entry, entries[entry.parent])
    return KnowledgeBase(entries=dict(sorted(entries.items())), root=str(root))


def inherit(child: Entry, parent: Entry) -> Entry:
    """A sub-status with the parent's who-sends, related and references where it gives none of its own."""
    from bot.knowledge.schema import INHERITED

    missing = {name: getattr(parent, name) for name in INHERITED if not getattr(child, name)}
    if "related" in missing:
        missing["related"] = (parent.id, *(r for r in parent.related if r != child.id))
    return child._replace(**missing) if missing else child


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
    if cache_dir is None:
        from bot.config import user_cache_dir

        cache_dir = user_cache_dir(os.environ)  # callers without Settings (tools, benchmarks)
    tag = f"{kind.__module__}.{kind.__qualname__}"
    key = digest(root, tag)
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
        _log().warning("ignoring unreadable knowledge cache %s: %s", cache_file, exc)
    value = compile_kb(build(root))
    _write_cache(cache_dir, cache_file, prefix, value)
    return value


def load_knowledge(root: Path | None = None, cache_dir: Path | None = None, *, use_cache: bool = True) -> KnowledgeBase:
    """The validated knowledge base at root (the packaged one by default)."""
    return load_compiled(root, cache_dir, lambda kb: kb, KnowledgeBase, use_cache=use_cache)


def _log() -> logging.Logger:
    import logging  # only when something went wrong: logging costs start-up time

    return logging.getLogger(__name__)


def _write_cache(cache_dir: Path, cache_file: Path, prefix: str, value: object) -> None:
    import tempfile

    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        for old in cache_dir.glob(f"{prefix}*.pickle"):
            old.unlink(missing_ok=True)
        fd, tmp = tempfile.mkstemp(dir=cache_dir, suffix=".tmp")
        with os.fdopen(fd, "wb") as handle:
            pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, cache_file)
    except OSError as exc:  # a read-only home still answers, just without the cache
        _log().info("knowledge cache not written (%s): %s", cache_dir, exc)
