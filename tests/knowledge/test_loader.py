"""Loading: refuses an invalid base with the checker's messages; the compiled cache is keyed by content."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.errors import ConfigError, KnowledgeError
from bot.knowledge import loader
from bot.knowledge.loader import load_knowledge
from bot.knowledge.schema import Kind
from tests.conftest import MINI_KB

FAILING = Path(__file__).resolve().parent / "fixtures" / "failing"


def test_loads_typed_entries(tmp_path: Path) -> None:
    kb = load_knowledge(MINI_KB, tmp_path / "cache")
    entry = kb.entries["403"]
    assert entry.kind is Kind.STATUS
    assert entry.code == "403"
    assert entry.causes[1].confirm == "error.log shows (13: Permission denied)"
    assert entry.checklist.client == ("Check which identity the request used",)
    assert entry.snippets[0].lang == "shell"
    assert entry.retry is not None and entry.retry.verdict == "after-change"
    assert kb.entries["topic-dns"].code is None
    assert entry.label == "403 Forbidden"
    assert kb.entries["acme-499"].label == "499 Widget Closed Request (Acme Widgets)"


def test_invalid_base_is_refused_with_checker_lines(tmp_path: Path) -> None:
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge(FAILING / "KB203", tmp_path / "cache")
    assert [f.code for f in caught.value.findings] == ["KB203"]
    assert "KB203 404.related[0]: unknown entry '410'" in str(caught.value)
    assert not list((tmp_path / "cache").glob("*.pickle")), "an invalid base must never be cached"


def test_missing_folder_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        load_knowledge(tmp_path / "nope", tmp_path / "cache")


def test_cache_hit_skips_building(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    kb_dir = tmp_path / "kb"
    shutil.copytree(MINI_KB, kb_dir)
    cache = tmp_path / "cache"
    first = load_knowledge(kb_dir, cache)
    assert len(list(cache.glob("*.pickle"))) == 1

    def fail(root: Path) -> None:
        raise AssertionError("cache should have been used")

    monkeypatch.setattr(loader, "build", fail)
    second = load_knowledge(kb_dir, cache)
    assert second.entries == first.entries


def test_edited_file_misses_the_cache(tmp_path: Path) -> None:
    kb_dir = tmp_path / "kb"
    shutil.copytree(MINI_KB, kb_dir)
    cache = tmp_path / "cache"
    load_knowledge(kb_dir, cache)
    path = kb_dir / "status" / "404.yml"
    path.write_text(path.read_text().replace("nothing at this URL", "no resource at this URL"))
    kb = load_knowledge(kb_dir, cache)
    assert "no resource at this URL" in kb.entries["404"].summary
    assert len(list(cache.glob("*.pickle"))) == 1, "stale cache files are removed"


def test_broken_edit_is_refused_even_with_a_warm_cache(tmp_path: Path) -> None:
    kb_dir = tmp_path / "kb"
    shutil.copytree(MINI_KB, kb_dir)
    cache = tmp_path / "cache"
    load_knowledge(kb_dir, cache)
    (kb_dir / "status" / "404.yml").write_text("id: '404'\nkind: [\n")
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge(kb_dir, cache)
    assert "KB001" in {f.code for f in caught.value.findings}


def test_corrupt_cache_is_rebuilt(tmp_path: Path) -> None:
    kb_dir = tmp_path / "kb"
    shutil.copytree(MINI_KB, kb_dir)
    cache = tmp_path / "cache"
    load_knowledge(kb_dir, cache)
    (cached,) = cache.glob("*.pickle")
    cached.write_bytes(b"not a pickle")
    kb = load_knowledge(kb_dir, cache)
    assert "403" in kb.entries


def test_unwritable_cache_still_loads(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    kb = load_knowledge(MINI_KB, blocker / "cache")
    assert len(kb) == 5


def test_default_root_finds_the_repository_knowledge() -> None:
    root = loader.default_root()
    assert (root / "status" / "403.yml").is_file()
