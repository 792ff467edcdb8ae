"""Replay the Dockerfile's install steps without Docker, and check the result serves /healthz.

No Docker engine runs on our build machines, so this script does what the image build does, in
the same order, in a fresh directory: copy what the Dockerfile COPYs, install with its RUN pip
command into a fresh virtualenv (from the lock, constraints.txt), then, as a non-root user, run
its build-time checks and start its CMD in HTTP mode against a fake Slack on loopback, and run
its HEALTHCHECK command.

    python scripts/replay_dockerfile.py        (make docker-check)
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.slack.fakeslack import FakeSlack  # noqa: E402

NOBODY = 65534


def instructions(dockerfile: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", dockerfile.read_text())
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def as_user(cmd: list[str]) -> list[str]:
    """Run as an unprivileged user when we are root, as the image's USER line does."""
    if os.geteuid() != 0:
        return cmd
    return ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", *cmd]


def base_python() -> str:
    """An interpreter the unprivileged user can run (a venv links back to it): the system one when we
    are root, since ours may live under /root, as the image's lives under /usr/local."""
    if os.geteuid() == 0:
        for candidate in ("/usr/local/bin/python3", "/usr/bin/python3"):
            if not Path(candidate).exists():
                continue
            probe = "import sys, venv; sys.exit(sys.version_info < (3, 11))"
            if subprocess.run([candidate, "-c", probe], check=False).returncode == 0:
                return candidate
    return sys.executable


def main() -> int:
    steps = instructions(ROOT / "Dockerfile")
    work = Path(tempfile.mkdtemp(prefix="httpcode-image-"))
    app = work / "app"
    app.mkdir()
    env = {"PATH": f"{work / 'venv' / 'bin'}:{os.environ.get('PATH', '')}", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    subprocess.run([base_python(), "-m", "venv", str(work / "venv")], check=True)
    for word, args in steps:
        if word == "ENV":
            for key, value in re.findall(r"(\w+)=(\S+)", args):
                env[key] = value
        elif word == "COPY":
            *sources, _dest = shlex.split(args)
            for source in sources:
                src = ROOT / source
                target = app / Path(source).name
                shutil.copytree(src, target) if src.is_dir() else shutil.copy2(src, target)
        elif word == "RUN" and "pip install" in args:
            pip = args.split("&&")[0].strip()
            print(f"replay: {pip}", flush=True)
            subprocess.run(shlex.split(pip), cwd=app, env={**os.environ, **env}, check=True)
    subprocess.run(["chmod", "-R", "a+rX", str(work)], check=True)
    home = work / "home"
    home.mkdir()
    if os.geteuid() == 0:
        os.chown(home, NOBODY, NOBODY)
    env["HOME"] = str(home)
    # The build-time RUN as the image user: validate the knowledge base and warm the cache.
    for word, args in steps:
        if word == "RUN" and "pip install" not in args:
            print(f"replay (as non-root): {args}", flush=True)
            subprocess.run(as_user(["sh", "-c", args]), cwd=app, env=env, check=True)
    cmd = next(shlex.split(args.strip("[]").replace(",", " ")) for word, args in steps if word == "CMD")
    health = next(args for word, args in steps if word == "HEALTHCHECK")
    with FakeSlack() as fake:
        serve_env = {
            **env,
            "SLACK_BOT_TOKEN": "xoxb-replay-token",
            "SLACK_SIGNING_SECRET": "replay-secret",
            "SLACK_API_URL": fake.api_url,
            "HTTPCODE_HOST": "127.0.0.1",  # the image binds 0.0.0.0; a replay stays on loopback
            "HTTPCODE_PORT": "3000",
        }
        print(f"replay (as non-root): {' '.join(cmd)} in HTTP mode against the fake Slack", flush=True)
        proc = subprocess.Popen(as_user(cmd), cwd=app, env=serve_env, stderr=subprocess.PIPE, text=True)
        try:
            assert proc.stderr is not None
            for banner in proc.stderr:  # log lines may come first; the banner says it is listening
                print(banner.rstrip())
                if "serving HTTP mode" in banner:
                    break
            else:
                print("replay: serve exited before listening", file=sys.stderr)
                return 1
            with urllib.request.urlopen("http://127.0.0.1:3000/healthz", timeout=5) as response:
                print(f"GET /healthz -> {response.status} {response.read().decode()}")
            probe = shlex.split(health.split("CMD", 1)[1].strip().strip("[]").replace('", "', '" "'))
            result = subprocess.run(as_user(probe), env=serve_env, check=False)
            print(f"HEALTHCHECK command exit status: {result.returncode}")
            uid = subprocess.run(["ps", "-o", "uid=", "-p", str(proc.pid)], capture_output=True, text=True).stdout
            print(f"serve runs as uid {uid.strip()}")
            ok = result.returncode == 0 and uid.strip() != "0"
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)
            time.sleep(0)
    shutil.rmtree(work, ignore_errors=True)
    print("replay: OK" if ok else "replay: FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
