"""Benchmark figures for the answering core; printed, never asserted (see README).

python benchmarks/bench.py [--runs N] [--no-slack] [--no-probe]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import yaml

from bot.config import Settings
from bot.core import Answerer
from bot.knowledge.loader import build, default_root, load_knowledge
from bot.match.matcher import Matcher

ROOT = Path(__file__).resolve().parents[1]
SHARED_QUESTIONS = ROOT.parent / "shared" / "eval" / "questions.yml"
OWN_QUESTIONS = ROOT / "tests" / "match" / "examples.yml"


def timed(fn: Callable[[], object], runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def fmt(samples: list[float], unit: float = 1e3, suffix: str = "ms") -> str:
    return (
        f"median {statistics.median(samples) * unit:8.2f} {suffix}  "
        f"(min {min(samples) * unit:.2f}, max {max(samples) * unit:.2f}, n={len(samples)})"
    )


def questions() -> tuple[str, list[str]]:
    for path in (SHARED_QUESTIONS, OWN_QUESTIONS):
        if path.exists():
            return str(path), [item["text"] for item in yaml.safe_load(path.read_text())]
    return "built-in", ["403", "bad gateway", "nginx says upstream timed out", "why is my upload forbidden"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--slack", action=argparse.BooleanOptionalAction, default=True, help="also run bench_slack")
    parser.add_argument("--probe", action=argparse.BooleanOptionalAction, default=True, help="also run bench_probe")
    args = parser.parse_args()
    root = default_root()
    print(f"python {sys.version.split()[0]} on {sys.platform}; knowledge at {root}")

    cold = timed(lambda: build(root), max(3, args.runs // 2))
    kb = build(root)
    print(f"knowledge base: {len(kb)} entries")
    print(f"  load cold (parse + validate, no cache)   {fmt(cold)}")
    with tempfile.TemporaryDirectory() as cache:
        load_knowledge(root, Path(cache))
        warm = timed(lambda: load_knowledge(root, Path(cache)), args.runs)
        settings = Settings(knowledge_dir=root, cache_dir=Path(cache), use_cache=True)
        Answerer.from_settings(settings)
        compiled = timed(lambda: Answerer.from_settings(settings), args.runs)
    print(f"  load cached (stat key + unpickle)        {fmt(warm)}")
    print(f"  answerer cached (entries + index)        {fmt(compiled)}   (what `httpcode ask` pays)")
    index = timed(lambda: Matcher(kb), args.runs)
    print(f"  matcher index build                      {fmt(index)}")

    source, texts = questions()
    matcher = Matcher(kb)
    for text in texts:  # warm the typo-correction cache the way a long-running bot would
        matcher.match(text)
    per_round = []  # one round = every question once; the median round resists a noisy neighbour
    for _ in range(21):
        start = time.perf_counter()
        for text in texts:
            matcher.match(text)
        per_round.append((time.perf_counter() - start) / len(texts))
    per_q = statistics.median(per_round)
    print(f"matcher on {len(texts)} questions from {source}")
    print(
        f"  {1 / per_q:,.0f} questions/s, {per_q * 1e3:.3f} ms per question (warm; median of 21 rounds,"
        f" best {min(per_round) * 1e3:.3f}, worst {max(per_round) * 1e3:.3f})"
    )
    fresh = Matcher(kb)
    start = time.perf_counter()
    for text in texts:
        fresh.match(text)
    first = (time.perf_counter() - start) / len(texts)
    print(f"  {first * 1e3:.3f} ms per question on first sight (cold typo cache)")

    exe = shutil.which("httpcode", path=str(Path(sys.executable).parent)) or "httpcode"
    env = {**os.environ, "NO_COLOR": "1"}
    commands = {
        "python -c pass": [sys.executable, "-c", "pass"],
        'python -c "import slack_bolt"': [sys.executable, "-c", "import slack_bolt"],
        "httpcode ask 403": [exe, "ask", "403"],
    }
    print(f"whole process, {args.runs} runs each after one warm-up (wall time)")
    results = {}
    for label, cmd in commands.items():
        subprocess.run(cmd, capture_output=True, env=env, check=False)
        results[label] = timed(
            lambda cmd=cmd: subprocess.run(cmd, capture_output=True, env=env, check=False), args.runs
        )
        print(f"  {label:30s} {fmt(results[label])}")
    base = statistics.median(results["python -c pass"])
    print(f"  httpcode ask 403 / python -c pass = {statistics.median(results['httpcode ask 403']) / base:.1f}x")
    if args.probe:
        import bench_probe  # next to this file

        bench_probe.main()
    if args.slack:
        import bench_slack  # next to this file; imported here so --no-slack never loads Bolt

        bench_slack.main([])
    return 0


if __name__ == "__main__":
    sys.exit(main())
