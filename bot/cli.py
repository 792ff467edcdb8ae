"""The terminal CLI: ask, shell and kb check; `main(argv, env) -> int`, never sys.exit.

Exit codes: 0 done, 1 negative result (no match, kb findings), 2 usage or configuration error,
130 on Ctrl-C. stdout carries data only; messages go to stderr as `httpcode: error: ...`.
This module never imports Slack code, so the CLI starts as fast as the matcher allows.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from enum import IntEnum
from typing import TYPE_CHECKING, Any, NamedTuple, TextIO

from bot import __version__
from bot.config import Settings, load_settings
from bot.errors import ConfigError, HttpcodeError, KnowledgeError

if TYPE_CHECKING:
    from pathlib import Path


class ExitStatus(IntEnum):
    OK = 0
    NEGATIVE = 1
    USAGE = 2
    INTERRUPTED = 130


class Environment:
    """Streams, terminal facts and variables: everything the CLI reads from its surroundings."""

    def __init__(
        self,
        stdin: TextIO | None = None,
        stdout: TextIO | None = None,
        stderr: TextIO | None = None,
        stdout_isatty: bool = False,
        stdin_isatty: bool = False,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self.stdin = stdin or sys.stdin
        self.stdout = stdout or sys.stdout
        self.stderr = stderr or sys.stderr
        self.stdout_isatty = stdout_isatty
        self.stdin_isatty = stdin_isatty
        self.environ: Mapping[str, str] = {} if environ is None else environ

    @classmethod
    def from_process(cls) -> Environment:
        return cls(
            stdout_isatty=sys.stdout.isatty(),
            stdin_isatty=sys.stdin.isatty(),
            environ=dict(os.environ),
        )

    def error(self, message: str) -> None:
        print(f"httpcode: error: {message}", file=self.stderr, flush=True)


def _help_width() -> int:
    """argparse's default help width (COLUMNS, else the terminal's, else 80; less 2), found without
    importing shutil as argparse does: shutil brings bz2 and lzma, ~4 ms of every start."""
    try:
        columns = int(os.environ.get("COLUMNS", "0"))
    except ValueError:
        columns = 0
    if columns <= 0 and sys.__stdout__ is not None:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns
        except (ValueError, OSError):
            columns = 0
    return (columns or 80) - 2


class _Formatter(argparse.HelpFormatter):
    """argparse's help layout with the width worked out by _help_width."""

    def __init__(
        self, prog: str, indent_increment: int = 2, max_help_position: int = 24, width: int | None = None
    ) -> None:
        super().__init__(prog, indent_increment, max_help_position, _help_width() if width is None else width)


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of exiting, so main() owns every exit code."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(**kwargs)

    def error(self, message: str) -> None:  # type: ignore[override]
        raise _UsageError(f"{self.prog}: {message}")


class _UsageError(Exception):
    pass


class Command(NamedTuple):
    name: str
    help: str
    example: str
    configure: Callable[[argparse.ArgumentParser], None]
    handler: Callable[[argparse.Namespace, Environment, Settings], int]


def _path(text: str) -> Path:
    """argparse type for file arguments; pathlib (~6 ms to import) loads only when one is given."""
    from pathlib import Path

    return Path(text)


def _configure_ask(p: argparse.ArgumentParser) -> None:
    p.add_argument("question", nargs="*", help="the question, status code or error text")
    p.add_argument("--json", action="store_true", help="print the answer model as one JSON document")
    p.add_argument("--full", action="store_true", help="show every cause, step, snippet and header clue")
    p.add_argument(
        "--batch",
        action="store_true",
        help="read one question per stdin line; write one JSON line each (needs --json)",
    )


def _configure_shell(p: argparse.ArgumentParser) -> None:
    pass


def _configure_kb(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="kb_command", metavar="check", parser_class=_Parser)
    check = sub.add_parser(
        "check",
        help="validate knowledge files and print every problem",
        description="Validate knowledge files; print `path:line: CODE entry.field: message` for each problem.",
        epilog="example: httpcode kb check knowledge/status/403.yml",
    )
    check.add_argument("paths", nargs="*", type=_path, help="files or folders (default: the whole knowledge base)")
    check.add_argument("--json", action="store_true", help="print findings as one JSON document")
    check.add_argument("--ignore", default="", help="comma-separated rule codes to skip, e.g. KB008,KB105")


def _configure_probe(p: argparse.ArgumentParser) -> None:
    p.add_argument("url", nargs="?", help="an http(s) URL; private and metadata addresses are refused")
    p.add_argument("--json", action="store_true", help="print the result as one JSON document")


def _handle_probe(args: argparse.Namespace, env: Environment, settings: Settings) -> int:
    if not args.url:
        raise _UsageError('probe needs a URL, e.g. httpcode probe "https://example.com/health"')
    from bot.core import Answerer
    from bot.probe.service import Prober
    from bot.probe.settings import load_probe_settings

    prober = Prober(load_probe_settings(env.environ), Answerer.from_settings(settings))
    report = prober.check(args.url.strip(), requester="cli")
    if args.json:
        dump_json(report.result.to_dict(), env.stdout)
    else:
        from bot.render.probe_terminal import render_probe

        env.stdout.write(render_probe(report.result, report.explanation, color=_use_color(args, env)))
    return ExitStatus.OK  # a refusal, a timeout or a 503 is the probe's result, not a failure


def _configure_eval(p: argparse.ArgumentParser) -> None:
    p.add_argument("questions", type=_path, help="labelled YAML: a list of {text, codes, style}")
    p.add_argument("--show-misses", action="store_true", help="list every question answered wrongly")
    p.add_argument("--json", action="store_true", help="print the report as one JSON document")


def _handle_eval(args: argparse.Namespace, env: Environment, settings: Settings) -> int:
    from bot.core import Answerer
    from bot.evaluate import evaluate, format_report, load_labelled

    if not args.questions.is_file():
        raise _UsageError(f"no such file: {args.questions}")
    report = evaluate(Answerer.from_settings(settings).matcher, load_labelled(args.questions))
    if args.json:
        dump_json(report.to_dict(), env.stdout)
    else:
        env.stdout.write(format_report(report, show_misses=args.show_misses))
    return ExitStatus.OK


def _configure_serve(p: argparse.ArgumentParser) -> None:
    p.add_argument("--http", action="store_true", help="force HTTP mode even when SLACK_APP_TOKEN is set")
    p.add_argument("--host", help="address to bind (default: HTTPCODE_HOST, else 127.0.0.1)")
    p.add_argument("--port", type=int, help="port to bind (default: HTTPCODE_PORT, else 3000; 0 picks a free one)")
    p.add_argument("--log-level", default="INFO", choices=("DEBUG", "INFO", "WARNING", "ERROR"))


def _handle_serve(args: argparse.Namespace, env: Environment, settings: Settings) -> int:
    from bot.config import load_serve_settings, with_overrides

    serve_settings = with_overrides(
        load_serve_settings(env.environ, force_http=args.http), host=args.host, port=args.port
    )
    from bot.slack.logs import configure
    from bot.slack.runners import serve

    # The values now live in settings. Taking them out of the process environment stops Bolt's
    # silent fallbacks to SLACK_* variables and keeps secrets from anything we might spawn.
    for name in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_CLIENT_SECRET"):
        os.environ.pop(name, None)

    configure(args.log_level)
    return serve(serve_settings, announce=env.stderr)


def _handle_ask(args: argparse.Namespace, env: Environment, settings: Settings) -> int:
    from bot import ask

    if args.batch:
        if not args.json:
            raise _UsageError("ask --batch needs --json (one JSON line per question)")
        if args.question:
            raise _UsageError("ask --batch reads questions from stdin; give no question argument")
        return ask.run_batch(env.stdin, env.stdout, settings)
    question = " ".join(args.question).strip()
    if not question and not env.stdin_isatty:
        question = env.stdin.read().strip()
    if not question:
        raise _UsageError('ask needs a question, e.g. httpcode ask "why am I getting 403"')
    return ask.run_one(question, env.stdout, settings, as_json=args.json, color=_use_color(args, env), full=args.full)


def _handle_shell(args: argparse.Namespace, env: Environment, settings: Settings) -> int:
    from bot import ask

    return ask.run_shell(
        env.stdin, env.stdout, env.stderr, settings, color=_use_color(args, env), prompt=env.stdin_isatty
    )


def _handle_kb(args: argparse.Namespace, env: Environment, settings: Settings) -> int:
    from bot import kbcheck

    if args.kb_command != "check":
        raise _UsageError("kb needs a subcommand: check")
    ignore = {code.strip().upper() for code in args.ignore.split(",") if code.strip()}
    return kbcheck.run_check(args.paths, env.stdout, env.stderr, settings, as_json=args.json, ignore=ignore)


COMMANDS: tuple[Command, ...] = (
    Command(
        "ask",
        "answer a question about an HTTP status code or error",
        'httpcode ask "why am I getting 403 on my S3 upload?"',
        _configure_ask,
        _handle_ask,
    ),
    Command(
        "probe",
        "fetch a URL safely and explain what it really returned",
        "httpcode probe https://api.example.com/v1/health",
        _configure_probe,
        _handle_probe,
    ),
    Command(
        "shell",
        "ask questions interactively (Ctrl-D to leave)",
        "httpcode shell",
        _configure_shell,
        _handle_shell,
    ),
    Command(
        "eval",
        "score the matcher on labelled questions: hit@1, hit@3, per style, precision, misses",
        "httpcode eval tests/match/examples.yml --show-misses",
        _configure_eval,
        _handle_eval,
    ),
    Command(
        "serve",
        "run the Slack app: Socket Mode if SLACK_APP_TOKEN is set, else HTTP mode",
        "httpcode serve --http --port 3000   (with SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET set)",
        _configure_serve,
        _handle_serve,
    ),
    Command(
        "kb",
        "work with the knowledge base (kb check)",
        "httpcode kb check",
        _configure_kb,
        _handle_kb,
    ),
)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="httpcode",
        description="Explains HTTP status codes, vendor codes and connection failures.",
        epilog='example: httpcode ask "nginx says upstream timed out"',
    )
    parser.add_argument("--version", action="version", version=f"httpcode {__version__}")
    parser.add_argument(
        "--color", choices=("auto", "always", "never"), default="auto", help="colour the output (default: auto)"
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks for unexpected errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for command in COMMANDS:
        p = sub.add_parser(
            command.name, help=command.help, description=command.help, epilog=f"example: {command.example}"
        )
        command.configure(p)
        p.set_defaults(handler=command.handler)
    return parser


def _use_color(args: argparse.Namespace, env: Environment) -> bool:
    if args.color != "auto":
        return bool(args.color == "always")
    if env.environ.get("NO_COLOR", ""):
        return False
    if env.environ.get("TERM", "") == "dumb":
        return False
    return env.stdout_isatty


def main(argv: Sequence[str], env: Environment) -> int:
    """Run one CLI invocation and return its exit status."""
    parser = build_parser()
    try:
        try:
            args = parser.parse_args(list(argv))
        except SystemExit as exc:  # --help and --version print and stop
            return int(exc.code or 0)
        if getattr(args, "handler", None) is None:
            parser.print_help(env.stderr)
            return ExitStatus.USAGE
        settings = load_settings(env.environ)
        return int(args.handler(args, env, settings))
    except _UsageError as exc:
        env.error(str(exc))
        return ExitStatus.USAGE
    except ConfigError as exc:
        for problem in exc.problems:
            env.error(problem)
        return ExitStatus.USAGE
    except KnowledgeError as exc:
        env.error("the knowledge base is invalid; fix these problems (httpcode kb check lists them):")
        for finding in exc.findings:
            print(str(finding), file=env.stderr)
        return ExitStatus.NEGATIVE
    except KeyboardInterrupt:
        return ExitStatus.INTERRUPTED
    except BrokenPipeError:
        return ExitStatus.OK
    except HttpcodeError as exc:
        env.error(str(exc))
        return ExitStatus.NEGATIVE
    except Exception as exc:
        if "--debug" in argv:
            raise
        env.error(f"unexpected {type(exc).__name__}: {exc} (run with --debug for a traceback)")
        return ExitStatus.NEGATIVE


def run() -> int:
    """Console-script entry point."""
    env = Environment.from_process()
    status = main(sys.argv[1:], env)
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    return status


def dump_json(document: object, stream: TextIO) -> None:
    import json  # only for --json output: keeps plain `ask` start-up short

    stream.write(json.dumps(document, ensure_ascii=False, separators=(",", ":")) + "\n")
    stream.flush()
