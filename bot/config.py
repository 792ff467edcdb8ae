"""Environment -> frozen Settings for the local commands; every problem reported at once.

Nothing below this module reads os.environ. Slack settings arrive with the Slack issue.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, NamedTuple

from bot.errors import ConfigError

if TYPE_CHECKING:
    from pathlib import Path

    from bot.probe.settings import ProbeSettings


class Settings(NamedTuple):
    knowledge_dir: Path | None  # None: the packaged or repository knowledge/
    cache_dir: str | os.PathLike[str]  # HTTPCODE_CACHE_DIR, else the platform's user cache directory
    use_cache: bool


def user_cache_dir(environ: Mapping[str, str]) -> str:
    """The per-user cache directory: XDG on Linux and BSD, Caches on macOS, LOCALAPPDATA on Windows.

    A few lines of our own rather than platformdirs, whose import alone cost 6 ms of every start;
    os.path strings rather than pathlib, which costs another 6 ms."""
    home = environ.get("HOME") or os.path.expanduser("~")
    if sys.platform == "darwin":
        return os.path.join(home, "Library", "Caches", "httpcode")
    if sys.platform == "win32":
        local = environ.get("LOCALAPPDATA") or os.path.join(home, "AppData", "Local")
        return os.path.join(local, "httpcode", "Cache")
    xdg = environ.get("XDG_CACHE_HOME", "")
    return os.path.join(xdg if os.path.isabs(xdg) else os.path.join(home, ".cache"), "httpcode")


def load_settings(environ: Mapping[str, str]) -> Settings:
    """Read HTTPCODE_* variables; raise one ConfigError naming each bad variable."""
    problems: list[str] = []
    knowledge_dir = _knowledge_dir(environ, problems)
    cache_dir = os.path.expanduser(environ.get("HTTPCODE_CACHE_DIR", "").strip()) or user_cache_dir(environ)
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


def _knowledge_dir(environ: Mapping[str, str], problems: list[str]) -> Path | None:
    raw = environ.get("HTTPCODE_KNOWLEDGE_DIR", "").strip()
    if not raw:
        return None
    from pathlib import Path  # only for a knowledge folder of one's own: the default start skips it

    path = Path(raw).expanduser()
    if not path.is_dir():
        problems.append("HTTPCODE_KNOWLEDGE_DIR must name an existing folder of knowledge entries")
    return path


class ServeSettings(NamedTuple):
    """What `httpcode serve` needs; built only by load_serve_settings, never from os.environ directly."""

    mode: str  # "socket" or "http"
    bot_token: str
    signing_secret: str
    app_token: str
    api_url: str
    host: str
    port: int
    threads: int
    local: Settings
    probe: ProbeSettings

    def __repr__(self) -> str:
        """Secrets never reach a log line, even through a repr."""
        return f"ServeSettings(mode={self.mode!r}, api_url={self.api_url!r}, host={self.host!r}, port={self.port})"


DEFAULT_API_URL = "https://slack.com/api/"
NO_TOKENS_HELP = (
    "no Slack credentials are set, so there is nothing to serve. To try the bot locally, run "
    '`httpcode shell` or `httpcode ask "403"`; to connect it to Slack, set SLACK_BOT_TOKEN and either '
    "SLACK_APP_TOKEN (Socket Mode) or SLACK_SIGNING_SECRET (HTTP mode); see README.md, 'Run it in Slack'"
)


def load_serve_settings(environ: Mapping[str, str], *, force_http: bool = False) -> ServeSettings:
    """Validate every Slack and serving variable at once; the ConfigError names variables, never values.

    Mode: Socket Mode when SLACK_APP_TOKEN is set (unless --http), else HTTP mode.
    """
    problems: list[str] = []
    local = _local_or_collect(environ, problems)
    bot_token = environ.get("SLACK_BOT_TOKEN", "").strip()
    app_token = environ.get("SLACK_APP_TOKEN", "").strip()
    signing_secret = environ.get("SLACK_SIGNING_SECRET", "").strip()
    if not (bot_token or app_token or signing_secret):
        raise ConfigError([NO_TOKENS_HELP])
    mode = "socket" if app_token and not force_http else "http"
    if not bot_token:
        problems.append(
            "SLACK_BOT_TOKEN is missing: copy the Bot User OAuth Token (xoxb-...) from the app's OAuth page"
        )
    elif not bot_token.startswith("xoxb-"):
        problems.append("SLACK_BOT_TOKEN must be a bot token starting with xoxb-")
    if mode == "socket" and not app_token.startswith("xapp-"):
        problems.append("SLACK_APP_TOKEN must be an app-level token starting with xapp- (scope connections:write)")
    if mode == "http" and not signing_secret:
        problems.append(
            "SLACK_SIGNING_SECRET is missing: HTTP mode verifies every request with it "
            "(Basic Information > App Credentials); or set SLACK_APP_TOKEN for Socket Mode"
        )
    api_url = environ.get("SLACK_API_URL", "").strip() or DEFAULT_API_URL
    if not _is_http_url(api_url):
        problems.append("SLACK_API_URL must be an absolute http(s) URL such as https://slack.com/api/")
    host = environ.get("HTTPCODE_HOST", "").strip() or "127.0.0.1"
    port = _int(environ, "HTTPCODE_PORT", 3000, 0, 65535, problems)
    threads = _int(environ, "HTTPCODE_THREADS", 8, 1, 256, problems)
    from bot.probe.settings import load_probe_settings

    probe = None
    try:
        probe = load_probe_settings(environ)
    except ConfigError as exc:
        problems.extend(exc.problems)
    if problems or local is None or probe is None:
        raise ConfigError(problems)
    return ServeSettings(
        mode=mode,
        bot_token=bot_token,
        signing_secret=signing_secret,
        app_token=app_token,
        api_url=api_url if api_url.endswith("/") else api_url + "/",
        host=host,
        port=port,
        threads=threads,
        local=local,
        probe=probe,
    )


def with_overrides(settings: ServeSettings, *, host: str | None, port: int | None) -> ServeSettings:
    """Command-line --host/--port win over HTTPCODE_HOST/HTTPCODE_PORT."""
    return settings._replace(host=host or settings.host, port=settings.port if port is None else port)


def _local_or_collect(environ: Mapping[str, str], problems: list[str]) -> Settings | None:
    try:
        return load_settings(environ)
    except ConfigError as exc:
        problems.extend(exc.problems)
        return None


def _is_http_url(value: str) -> bool:
    from urllib.parse import urlsplit

    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _int(environ: Mapping[str, str], name: str, default: int, low: int, high: int, problems: list[str]) -> int:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        problems.append(f"{name} must be a whole number from {low} to {high}")
        return default
    if not low <= value <= high:
        problems.append(f"{name} must be a whole number from {low} to {high}")
    return value
