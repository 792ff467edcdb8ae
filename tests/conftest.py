"""Shared fixtures: a clean environment, the tiny and the real knowledge base, and a CLI runner."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.core import Answerer
from bot.knowledge.loader import build
from bot.knowledge.model import KnowledgeBase

ROOT = Path(__file__).resolve().parents[1]
MINI_KB = Path(__file__).resolve().parent / "fixtures" / "kb-mini"
REAL_KB = ROOT / "knowledge"
SHARED = ROOT.parent / "shared"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """No SLACK_* or HTTPCODE_* from the developer's shell leaks into a test; caches stay in tmp."""
    for name in list(os.environ):
        if name.startswith(("SLACK_", "HTTPCODE_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HTTPCODE_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "cache"))
    monkeypatch.delenv("NO_COLOR", raising=False)


@pytest.fixture(scope="session")
def mini_kb() -> KnowledgeBase:
    return build(MINI_KB)


@pytest.fixture(scope="session")
def real_kb() -> KnowledgeBase:
    return build(REAL_KB)


@pytest.fixture(scope="session")
def answerer(real_kb: KnowledgeBase) -> Answerer:
    from bot.match.matcher import Matcher

    return Answerer(real_kb, Matcher(real_kb))


@dataclass(frozen=True)
class CliResult:
    code: int
    stdout: str
    stderr: str


@pytest.fixture
def run_cli(tmp_path: Path) -> Iterator[object]:
    """Run `python -m bot ARGS` as a real subprocess with a private cache directory."""

    def run(
        args: Sequence[str], *, stdin: str = "", env: dict[str, str] | None = None, timeout: float = 120
    ) -> CliResult:
        full_env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "HTTPCODE_"))}
        full_env["HTTPCODE_CACHE_DIR"] = str(tmp_path / "cache")
        full_env.pop("NO_COLOR", None)
        full_env.update(env or {})
        proc = subprocess.run(
            [sys.executable, "-m", "bot", *args],
            input=stdin,
            capture_output=True,
            text=True,
            env=full_env,
            timeout=timeout,
            cwd=ROOT,
            check=False,
        )
        return CliResult(proc.returncode, proc.stdout, proc.stderr)

    yield run


def shared_path(*parts: str) -> Path:
    """A file in ../shared; skips with a clear message when absent, and fails under CI=true."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        message = f"{path} is missing: clone the shared material beside the project (../shared)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path
