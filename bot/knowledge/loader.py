"""Knowledge files -> KnowledgeBase, refusing an invalid one; compiled cache in the user cache dir.

The cache is keyed by a hash of every file's path and bytes, so an edited, added or removed file
misses it; only a knowledge base that passed every rule is ever written to it.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import tempfile
from pathlib import Path

from bot.errors import ConfigError, KnowledgeError
from bot.knowledge.check import check_paths, knowledge_files
from bot.knowledge.model import KnowledgeBase, entry_from_mapping

log = logging.getLogger(__name__)

CACHE_FORMAT = 2  # bump when the pickled classes change shape


def default_root() -> Path:
    """The packaged copy in an installed wheel, else the repository's knowledge/ folder."""
    packaged = Path(__file__).resolve().parent.parent / "_knowledge"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "knowledge"


def default_cache_dir() -> Path:
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("httpcode", appauthor=False))


def digest(root: Path, files: list[Path]) -> str:
    h = hashlib.blake2b(digest_size=16)
    h.update(f"format={CACHE_FORMAT}\n".encode())
    for path in files:
        h.update(str(path.relative_to(root)).encode() + b"\0")
        h.update(path.read_bytes())
        h.update(b"\0")
    return h.hexdigest()


def build(root: Path) -> KnowledgeBase:
    """Validate every file under root and build the entries; raises KnowledgeError on any finding."""
    parsed, findings = check_paths([root], base=root.parent)
    if findings:
        raise KnowledgeError(findings)
    entries = {}
    for item in parsed:
        entry = entry_from_mapping(item.data, item.display)
        entries[entry.id] = entry
    return KnowledgeBase(entries=dict(sorted(entries.items())), root=str(root))


def load_knowledge(root: Path | None = None, cache_dir: Path | None = None, *, use_cache: bool = True) -> KnowledgeBase:
    """The knowledge base at root, from the compiled cache when the files are unchanged."""
    root = (root or default_root()).resolve()
    if not root.is_dir():
        raise ConfigError([f"knowledge folder not found: {root} (set HTTPCODE_KNOWLEDGE_DIR to a folder of entries)"])
    if not use_cache:
        return build(root)
    cache_dir = cache_dir or default_cache_dir()
    key = digest(root, knowledge_files([root]))
    cache_file = cache_dir / f"kb-{key}.pickle"
    try:
        with cache_file.open("rb") as handle:
            kb = pickle.load(handle)
        if isinstance(kb, KnowledgeBase):
            return kb
    except FileNotFoundError:
        pass
    except Exception as exc:  # a corrupt or foreign cache file is rebuilt, never fatal
        log.warning("ignoring unreadable knowledge cache %s: %s", cache_file, exc)
    kb = build(root)
    _write_cache(cache_dir, cache_file, kb)
    return kb


def _write_cache(cache_dir: Path, cache_file: Path, kb: KnowledgeBase) -> None:
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        for old in cache_dir.glob("kb-*.pickle"):
            old.unlink(missing_ok=True)
        fd, tmp = tempfile.mkstemp(dir=cache_dir, suffix=".tmp")
        with os.fdopen(fd, "wb") as handle:
            pickle.dump(kb, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, cache_file)
    except OSError as exc:  # a read-only home still answers, just without the cache
        log.info("knowledge cache not written (%s): %s", cache_dir, exc)
