"""Environment -> frozen Settings for the local commands; every problem reported at once.

Nothing below this module reads os.environ. Slack settings arrive with the Slack issue.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from bot.errors import ConfigError


@dataclass(frozen=True, slots=True)
class Settings:
    knowledge_dir: Path | None  # None: the packaged or repository knowledge/
    cache_dir: Path | None  # None: the platform's user cache directory
    use_cache: bool


def load_settings(environ: Mapping[str, str]) -> Settings:
    """Read HTTPCODE_* variables; raise one ConfigError naming each bad variable."""
    problems: list[str] = []
    knowledge_dir = _path(environ, "HTTPCODE_KNOWLEDGE_DIR", problems, must_exist=True)
    cache_dir = _path(environ, "HTTPCODE_CACHE_DIR", problems, must_exist=False)
    raw_cache = environ.get("HTTPCODE_KB_CACHE", "on").strip().lower()
    if raw_cache not in ("on", "off", "1", "0", "true", "false", ""):
        problems.append("HTTPCODE_KB_CACHE must be 'on' or 'off'")
    if problems:
        raise ConfigError(problems)
    return Settings(
        knowledge_dir=knowledge_dir,
        cache_dir=cache_dir,
        use_cache=raw_cache not in ("off", "0", "false"),
    )


def _path(environ: Mapping[str, str], name: str, problems: list[str], *, must_exist: bool) -> Path | None:
    raw = environ.get(name, "").strip()
    if not raw:
        return None
    path = Path(raw).expanduser()
    if must_exist and not path.is_dir():
        problems.append(f"{name} must name an existing folder of knowledge entries")
    return path
