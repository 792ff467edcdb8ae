"""The shared labelled questions, scored by the shared scorer through the real CLI."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

from tests.conftest import ROOT, shared_path

BASELINE_HIT1 = 77.0  # the best plain baseline in ../shared/eval/README.md


def test_hit1_beats_the_best_plain_baseline() -> None:
    questions = shared_path("eval", "questions.yml")
    scorer = shared_path("eval", "score.py")
    exe = shutil.which("httpcode", path=str(ROOT / ".venv" / "bin")) or f"{sys.executable} -m bot"
    proc = subprocess.run(
        [sys.executable, str(scorer), str(questions), "--cmd", f"{exe} ask --json --batch"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr + proc.stdout
    headline = proc.stdout.strip().splitlines()[-1]
    hit1 = float(re.match(r"hit1=([\d.]+)%", headline).group(1))  # type: ignore[union-attr]
    assert hit1 > BASELINE_HIT1, proc.stdout
