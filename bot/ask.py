"""CLI handlers for `ask` (one question, or a batch on stdin) and the interactive `shell`."""

from __future__ import annotations

from typing import TextIO

from bot.answer import AnswerStatus
from bot.config import Settings
from bot.core import Answerer
from bot.render.terminal import render_answer

EMPTY_LINE = '{"matches": [], "suggestions": [], "confident": false}'


def run_one(
    question: str, stdout: TextIO, settings: Settings, *, as_json: bool, color: bool, full: bool = False
) -> int:
    answerer = Answerer.from_settings(settings)
    answer = answerer.answer(question)
    if as_json:
        import json  # only for --json: plain `ask` starts faster without it

        stdout.write(json.dumps(answer.to_dict(), ensure_ascii=False) + "\n")
    else:
        stdout.write(render_answer(answer, color=color, full=full))
    stdout.flush()
    return 0 if answer.status is AnswerStatus.ANSWERED else 1


def run_batch(stdin: TextIO, stdout: TextIO, settings: Settings) -> int:
    """One JSON line per input line, flushed and in order; exit 0 once every line is answered."""
    import json

    answerer = Answerer.from_settings(settings)
    for line in stdin:
        question = line.strip()
        if not question:
            stdout.write(EMPTY_LINE + "\n")
        else:
            result = answerer.match(question)
            stdout.write(json.dumps(result.to_dict(), ensure_ascii=False) + "\n")
        stdout.flush()
    return 0


def run_shell(stdin: TextIO, stdout: TextIO, stderr: TextIO, settings: Settings, *, color: bool, prompt: bool) -> int:
    """Read questions until end of input; `quit` or `exit` also leave."""
    answerer = Answerer.from_settings(settings)
    if prompt:
        stderr.write(
            f"httpcode shell: {len(answerer.kb)} entries loaded. Ask about a code or paste an error; "
            "Ctrl-D or 'quit' to leave.\n"
        )
    while True:
        if prompt:
            stderr.write("httpcode> ")
            stderr.flush()
        line = stdin.readline()
        if not line:
            if prompt:
                stderr.write("\n")
            return 0
        question = line.strip()
        if question in ("quit", "exit", ":q"):
            return 0
        if not question:
            continue
        stdout.write(render_answer(answerer.answer(question), color=color) + "\n")
        stdout.flush()
