"""Knowledge files -> KnowledgeBase, refusing an invalid one; compiled cache in the user cache dir.

The cache key is a hash of every knowledge file's path, size and modification time, and of the
same for the modules that shape what is cached, as make and git's index do: an edited, added or
removed file (or an upgraded httpcode) misses it without reading a byte. Only a knowledge base
that passed every rule is ever written to it. A cache hit imports neither YAML, nor the checker,
nor pathlib, which keeps `httpcode ask` start-up short.
"""

from __future__ import annotations

import gc
import os
import pickle
from collections.abc import Callable
from typing import TYPE_CHECKING, BinaryIO, TypeVar

from bot.errors import ConfigError, KnowledgeError
from bot.knowledge.files import stat_fingerprint
from bot.knowledge.model import Entry, KnowledgeBase

if TYPE_CHECKING:
    import logging
    from pathlib import Path

try:  # the blake2 module alone; hashlib would also load OpenSSL, a few ms of start-up
    from _blake2 import blake2b
except ImportError:  # pragma: no cover - other Pythons
    from hashlib import blake2b

T = TypeVar("T")
# Paths here are os.path strings: pathlib's import (with urllib.parse and ipaddress) costs ~6 ms.
PACKAGE = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
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
    from pathlib import Path

    return Path(_default_folder())


def _default_folder() -> str:
    """default_root() as a string, for the cache-hit path."""
    packaged = os.path.join(PACKAGE, "_knowledge")
    if os.path.isdir(packaged):
        return packaged
    return os.path.join(os.path.dirname(PACKAGE), "knowledge")


def digest(root: str | os.PathLike[str], tag: str) -> str:
    """Cache key: the tag, then (name, size, mtime) of each shaping module and knowledge file."""
    lines = [tag]
    for source in SHAPING_SOURCES:
        stat = os.stat(os.path.join(PACKAGE, source))
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
    root: str | os.PathLike[str] | None,
    cache_dir: str | os.PathLike[str] | None,
    compile_kb: Callable[[KnowledgeBase], T],
    kind: type[T],
    *,
    use_cache: bool = True,
) -> T:
    """compile_kb(knowledge base at root), read from the cache when files and code are unchanged."""
    folder = os.path.realpath(root or _default_folder())
    if not os.path.isdir(folder):
        raise ConfigError([f"knowledge folder not found: {folder} (set HTTPCODE_KNOWLEDGE_DIR to a folder of entries)"])
    if not use_cache:
        return compile_kb(_build(folder))
    if cache_dir is None:
        from bot.config import user_cache_dir

        cache_dir = user_cache_dir(os.environ)  # callers without Settings (tools, benchmarks)
    tag = f"{kind.__module__}.{kind.__qualname__}"
    key = digest(folder, tag)
    prefix = f"{kind.__qualname__.lower()}-"
    cache_file = os.path.join(cache_dir, f"{prefix}{key}.pickle")
    try:
        with open(cache_file, "rb") as handle:
            value = _unpickle(handle)
        if isinstance(value, kind):
            return value
    except FileNotFoundError:
        pass
    except Exception as exc:  # a corrupt or foreign cache file is rebuilt, never fatal
        _log().warning("ignoring unreadable knowledge cache %s: %s", cache_file, exc)
    value = compile_kb(_build(folder))
    _write_cache(os.fspath(cache_dir), cache_file, prefix, value)
    return value


def load_knowledge(
    root: str | os.PathLike[str] | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
    *,
    use_cache: bool = True,
) -> KnowledgeBase:
    """The validated knowledge base at root (the packaged one by default)."""
    return load_compiled(root, cache_dir, lambda kb: kb, KnowledgeBase, use_cache=use_cache)


def _unpickle(handle: BinaryIO) -> object:
    """pickle.load, then the loaded objects frozen out of the cyclic GC's sight (gc.freeze).

    The cache is some 20,000 objects that callers keep for the life of the process. Left to the
    collector, the collections their allocation sets off walk them again and again, and once more
    at exit: about 5 ms of a 50 ms `httpcode ask`. Freezing also sets aside what was loaded before
    (modules, mostly), which no later collection needs to walk either.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        value = pickle.load(handle)
        gc.freeze()
    finally:
        if enabled:
            gc.enable()
    return value


def _build(folder: str) -> KnowledgeBase:
    """build() for a folder given as a string: pathlib loads only when there is building to do."""
    from pathlib import Path

    return build(Path(folder))


def _log() -> logging.Logger:
    import logging  # only when something went wrong: logging costs start-up time

    return logging.getLogger(__name__)


def _write_cache(cache_dir: str, cache_file: str, prefix: str, value: object) -> None:
    import contextlib
    import tempfile

    try:
        os.makedirs(cache_dir, exist_ok=True)
        for name in os.listdir(cache_dir):
            if name.startswith(prefix) and name.endswith(".pickle"):
                with contextlib.suppress(FileNotFoundError):
                    os.remove(os.path.join(cache_dir, name))
        fd, tmp = tempfile.mkstemp(dir=cache_dir, suffix=".tmp")
        with os.fdopen(fd, "wb") as handle:
            pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, cache_file)
    except OSError as exc:  # a read-only home still answers, just without the cache
        _log().info("knowledge cache not written (%s): %s", cache_dir, exc)
