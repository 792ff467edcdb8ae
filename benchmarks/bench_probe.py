"""Probe overhead against a loopback server, beside a plain httpx GET and curl on the same URL.

    python benchmarks/bench_probe.py          (also run by `make bench`)

Figures are printed, never asserted. The probe does more than a GET (gate, classification,
hints, explanation), so the ratio is the price of safety; the endless-body case shows the cap
keeps memory flat.
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import threading
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from bot.probe.policy import load_policy  # noqa: E402
from bot.probe.run import probe_sync  # noqa: E402

BODY = b"ok\n" * 100


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/endless":
            self.send_response(200)
            self.send_header("Content-Length", str(5 * 1024**3))
            self.end_headers()
            chunk = b"\0" * 65536
            try:
                while True:
                    self.wfile.write(chunk)
            except OSError:
                return
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)

    def log_message(self, format: str, *args: object) -> None:
        pass


def timed(fn: Callable[[], object], runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1e3)
    return out


def main(runs: int = 60) -> int:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    url = f"http://127.0.0.1:{port}/"
    policy = load_policy({"HTTPCODE_PROBE_ALLOW": f"127.0.0.1:{port}"}, lambda: datetime.now(UTC))
    client = httpx.Client(trust_env=False)
    curl = shutil.which("curl")
    cases: dict[str, Callable[[], object]] = {
        "httpcode probe (in process)": lambda: probe_sync(url, policy=policy),
        "plain httpx GET (new client)": lambda: httpx.get(url, trust_env=False),
        "plain httpx GET (kept client)": lambda: client.get(url),
    }
    if curl:
        cases["curl -w (whole process)"] = lambda: subprocess.run(
            [curl, "-s", "-o", "/dev/null", "-w", "%{http_code}", "--noproxy", "*", url],
            check=True,
            capture_output=True,
        )
    for fn in cases.values():
        fn()
    results: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(runs):  # interleaved, so drift hits every case alike
        for name, fn in cases.items():
            results[name] += timed(fn, 1)
    print(f"probe overhead on loopback, {runs} interleaved runs each (ms)")
    base = statistics.median(results["plain httpx GET (new client)"])
    for name, samples in results.items():
        median = statistics.median(samples)
        print(
            f"  {name:32s} p50 {median:7.2f}  p90 {sorted(samples)[int(len(samples) * 0.9)]:7.2f}  x{median / base:.1f}"
        )
    tracemalloc.start()
    result = probe_sync(url + "endless", policy=policy, max_bytes=256 * 1024)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"endless 5 GiB body: outcome {result.outcome.value}, {result.body_bytes / 1024:.0f} KiB read, "
        f"peak traced memory {peak / 1024 / 1024:.1f} MiB"
    )
    client.close()
    server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
