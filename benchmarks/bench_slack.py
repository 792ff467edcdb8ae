"""Slack figures: `/httpcode` latency next to a bare ack-only Bolt app; printed, never asserted.

Both apps run in the same process and the same run, in both ack modes, with requests interleaved in a
shuffled round-robin so machine drift lands on every configuration alike. With process_before_response
the p50 gap is what our listener (matching, answer, Block Kit) costs on top of Bolt; in the default mode
Bolt's 10 ms ack-wait poll hides it.

python benchmarks/bench_slack.py [--requests N] [--warmup N] [--dispatches N] [--default-dispatches N]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from importlib.metadata import version
from itertools import cycle
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # the test harness (FakeSlack, SlackSender) lives in tests/, not in the package
    sys.path.insert(0, str(ROOT))

from slack_bolt import Ack, App, BoltRequest  # noqa: E402
from slack_sdk import WebClient  # noqa: E402

from bot.config import load_settings  # noqa: E402
from bot.core import Answerer  # noqa: E402
from bot.slack.app import create_app, make_client  # noqa: E402
from bot.slack.listeners.deps import Deps  # noqa: E402
from bot.slack.runners import http_front, make_server, run_until_closed  # noqa: E402
from tests.slack import payloads  # noqa: E402
from tests.slack.fakeslack import FakeSlack  # noqa: E402
from tests.slack.sender import FORM, SlackSender, signature  # noqa: E402

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"  # made up, as in tests/slack/conftest.py
TOKEN = "xoxb-bench-token"
QUESTIONS = (
    "403",
    "why am I getting 403 on my S3 upload?",
    "nginx says upstream timed out",
    "bad gatway",
    "5xx",
    "what does 429 mean and when can I retry",
    "connection reset by peer",
    "401 vs 403",
)
MODES = {"default": False, "process_before_response": True}


@dataclass
class Config:
    """One app in one ack mode, served by its own waitress on loopback."""

    app_name: str
    mode: str
    app: App
    questions: Iterator[str]
    server: Any = None
    thread: threading.Thread | None = None
    sender: SlackSender | None = None
    http: list[float] = field(default_factory=list)
    dispatch: list[float] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"{self.app_name}, {self.mode}"

    def serve(self, fake: FakeSlack) -> None:
        """Our WSGI front under waitress, exactly as the scenario tests serve it (4 threads, port 0)."""
        self.server = make_server(http_front(self.app, SECRET), "127.0.0.1", 0, 4)
        self.thread = threading.Thread(target=run_until_closed, args=(self.server,), name="bench-waitress", daemon=True)
        self.thread.start()
        url = f"http://127.0.0.1:{self.server.effective_port}"
        self.sender = SlackSender(url, SECRET, response_urls=fake.response_url)

    def close(self) -> None:
        if self.server is not None:
            self.server.close()
        if self.thread is not None:
            self.thread.join(5)
        self.app.listener_runner.listener_executor.shutdown(wait=True)


def bare_app(fake: FakeSlack, process_before_response: bool) -> App:
    """The floor: Bolt with one command listener that only acks, auth.test answered by the same fake."""
    app = App(
        client=WebClient(token=TOKEN, base_url=fake.api_url),
        signing_secret=SECRET,
        process_before_response=process_before_response,
    )

    @app.command("/httpcode")
    def ack_only(ack: Ack) -> None:
        ack()

    return app


def build_configs(fake: FakeSlack, answerer: Answerer) -> list[Config]:
    configs = []
    for mode, pbr in MODES.items():
        ours = create_app(
            answerer, client=make_client(TOKEN, fake.api_url), signing_secret=SECRET, process_before_response=pbr
        )
        configs.append(Config("httpcode", mode, ours, cycle(QUESTIONS)))
        configs.append(Config("bare ack", mode, bare_app(fake, pbr), cycle(QUESTIONS)))
    return configs


def check(config: Config, status: int, body: bytes) -> None:
    """A failed request would make the figure meaningless: stop rather than print it."""
    if status != 200 or (config.app_name == "httpcode" and b'"blocks"' not in body):
        raise RuntimeError(f"{config.label}: HTTP {status}: {body[:200]!r}")


def round_trip(config: Config) -> float:
    """One signed slash command over a fresh loopback connection; seconds around the exchange only."""
    assert config.sender is not None
    reply = config.sender.slash_command(next(config.questions))
    check(config, reply.status, reply.body)
    return reply.elapsed


def signed_request(text: str, response_url: str) -> BoltRequest:
    """What the WSGI adapter hands Bolt for a slash command: raw form body plus Slack's signature headers."""
    body = urlencode(payloads.slash_command(text, response_url=response_url))
    timestamp = str(int(time.time()))
    headers: dict[str, str | Sequence[str]] = {
        "content-type": FORM,
        "x-slack-request-timestamp": timestamp,
        "x-slack-signature": signature(SECRET, timestamp, body.encode()),
    }
    return BoltRequest(body=body, headers=headers)


def one_dispatch(config: Config, fake: FakeSlack) -> float:
    """app.dispatch alone (request built outside the clock): Bolt plus listener, no HTTP, no WSGI."""
    request = signed_request(next(config.questions), fake.response_url())
    start = time.perf_counter()
    response = config.app.dispatch(request)
    elapsed = time.perf_counter() - start
    check(config, response.status, response.body.encode())
    return elapsed


def listener_body(answerer: Answerer, runs: int) -> list[float]:
    """The command listener's own work (match, answer, Block Kit, kwargs) without Bolt: what the p50 gap should be."""
    deps, questions, out = Deps(answerer), cycle(QUESTIONS), []
    for _ in range(runs):
        question = next(questions)
        start = time.perf_counter()
        deps.reply_for(question, share_button=True).to_kwargs()
        out.append(time.perf_counter() - start)
    return out


def interleaved(configs: Sequence[Config], counts: Sequence[int], run: Callable[[Config], object], seed: int) -> None:
    """Shuffled round-robin: each round runs every configuration that still needs samples, in a new order."""
    rng = random.Random(seed)
    for round_ in range(max(counts)):
        order = [i for i, n in enumerate(counts) if round_ < n]
        rng.shuffle(order)
        for i in order:
            run(configs[i])


def pct(samples: list[float], q: int) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[q - 1] * 1e3


def row(label: str, samples: list[float]) -> None:
    mean = statistics.fmean(samples) * 1e3
    print(f"  {label:36s} {len(samples):5d} {pct(samples, 50):8.3f} {pct(samples, 99):8.3f} {mean:8.3f}")


def table(title: str, configs: Sequence[Config], pick: Callable[[Config], list[float]]) -> None:
    print(title)
    print(f"  {'configuration':36s} {'n':>5s} {'p50 ms':>8s} {'p99 ms':>8s} {'mean ms':>8s}")
    for config in configs:
        row(config.label, pick(config))
    for mode in MODES:
        ours, bare = (pick(c) for c in configs if c.mode == mode)
        p50_ours, p50_bare = pct(ours, 50), pct(bare, 50)
        print(f"  httpcode/bare at p50, {mode:24s} {p50_ours / p50_bare:5.2f}x  ({p50_ours - p50_bare:+.3f} ms)")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=300, help="measured HTTP round trips per configuration")
    parser.add_argument("--warmup", type=int, default=30, help="unmeasured round trips (and dispatches) first")
    parser.add_argument("--dispatches", type=int, default=3000, help="dispatches per app, process_before_response")
    parser.add_argument(
        "--default-dispatches", type=int, default=300, help="dispatches per app, default mode (each sleeps >= 10 ms)"
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    print(
        f"slack: /httpcode vs a bare ack-only Bolt app, same {len(QUESTIONS)} questions in rotation "
        f"(slack_bolt {version('slack_bolt')}, waitress {version('waitress')})"
    )
    answerer = Answerer.from_settings(load_settings({"HTTPCODE_KB_CACHE": "off"}))  # no writes to the user's cache
    with FakeSlack() as fake:
        configs = build_configs(fake, answerer)
        try:
            for config in configs:
                config.serve(fake)
            n = len(configs)
            interleaved(configs, [args.warmup] * n, round_trip, seed=1)
            interleaved(configs, [args.requests] * n, lambda c: c.http.append(round_trip(c)), seed=2)
            table(
                f"HTTP round trip on loopback (urllib, no keep-alive -> waitress -> front -> Bolt), "
                f"{args.requests} each after {args.warmup} warm-up, interleaved",
                configs,
                lambda c: c.http,
            )
            counts = [args.dispatches if MODES[c.mode] else args.default_dispatches for c in configs]
            interleaved(configs, [args.warmup] * n, lambda c: one_dispatch(c, fake), seed=3)
            interleaved(configs, counts, lambda c: c.dispatch.append(one_dispatch(c, fake)), seed=4)
            table("in-process app.dispatch(BoltRequest), signed command, interleaved", configs, lambda c: c.dispatch)
            row("httpcode listener body alone, no Bolt", listener_body(answerer, args.dispatches))
        finally:
            for config in configs:
                config.close()
    print(f"slack part took {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
