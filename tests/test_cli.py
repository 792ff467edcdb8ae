"""The CLI through a real subprocess: exit codes, --json, the batch contract, kb check, help."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from bot.cli import COMMANDS
from tests.conftest import MINI_KB, ROOT

FAILING = ROOT / "tests" / "knowledge" / "fixtures" / "failing"
MINI = {"HTTPCODE_KNOWLEDGE_DIR": str(MINI_KB)}
CONTRACT_KINDS = {"status", "vendor-status", "class", "topic"}


def test_ask_prints_answer_and_exits_0(run_cli) -> None:  # type: ignore[no-untyped-def]
    result = run_cli(["ask", "why am I getting 403"], env=MINI)
    assert result.code == 0, result.stderr
    assert result.stdout.startswith("403 Forbidden\n")
    assert "\x1b[" not in result.stdout, "no colour when stdout is not a TTY"
    assert result.stderr == ""


def test_ask_color_always_and_no_color(run_cli) -> None:  # type: ignore[no-untyped-def]
    assert "\x1b[" in run_cli(["--color=always", "ask", "403"], env=MINI).stdout
    assert "\x1b[" not in run_cli(["--color=auto", "ask", "403"], env={**MINI, "NO_COLOR": "1"}).stdout


def test_ask_unknown_exits_1_with_how_to_ask(run_cli) -> None:  # type: ignore[no-untyped-def]
    result = run_cli(["ask", "what is the weather in Lisbon"], env=MINI)
    assert result.code == 1
    assert "I don't know" in result.stdout
    assert "status code" in result.stdout


def test_ask_json_is_one_document(run_cli) -> None:  # type: ignore[no-untyped-def]
    result = run_cli(["ask", "--json", "403 and 404"], env=MINI)
    assert result.code == 0
    data = json.loads(result.stdout)
    assert [m["entry"] for m in data["matches"]] == ["403", "404"]
    assert data["confident"] is True
    assert data["entries"][0]["name"] == "Forbidden"


def test_ask_without_question_is_usage_error(run_cli) -> None:  # type: ignore[no-untyped-def]
    result = run_cli(["ask"], env=MINI)
    assert result.code == 2
    assert result.stderr.startswith("httpcode: error:")
    assert result.stdout == ""


def test_unknown_flag_is_usage_error(run_cli) -> None:  # type: ignore[no-untyped-def]
    result = run_cli(["ask", "--bogus", "403"], env=MINI)
    assert result.code == 2
    assert "unrecognized arguments: --bogus" in result.stderr


def test_bad_setting_is_usage_error_naming_the_variable(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = run_cli(["ask", "403"], env={"HTTPCODE_KNOWLEDGE_DIR": str(tmp_path / "missing")})
    assert result.code == 2
    assert "HTTPCODE_KNOWLEDGE_DIR" in result.stderr
    assert str(tmp_path) not in result.stderr, "messages name the variable, never its value"


def test_batch_contract(run_cli) -> None:  # type: ignore[no-untyped-def]
    questions = ["403", "", "what is the weather", "widget hung up early", "could not resolve host example.com", "5"]
    result = run_cli(["ask", "--json", "--batch"], stdin="\n".join(questions) + "\n", env=MINI)
    assert result.code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == len(questions)
    docs = [json.loads(line) for line in lines]
    for doc in docs:
        assert set(doc) == {"matches", "suggestions", "confident"}
        for match in doc["matches"] + doc["suggestions"]:
            assert set(match) == {"kind", "code", "entry", "name", "score"}
            assert match["kind"] in CONTRACT_KINDS
            assert 0.0 <= match["score"] <= 1.0
        assert doc["confident"] == bool(doc["matches"])
    assert docs[0]["matches"][0] == {
        "kind": "status", "code": "403", "entry": "403", "name": "Forbidden", "score": docs[0]["matches"][0]["score"]
    }  # fmt: skip
    assert docs[1] == {"matches": [], "suggestions": [], "confident": False}
    assert docs[2]["matches"] == []
    assert docs[3]["matches"][0]["entry"] == "acme-499"
    assert docs[3]["matches"][0]["kind"] == "vendor-status"
    assert docs[4]["matches"][0] == {**docs[4]["matches"][0], "kind": "topic", "code": None, "entry": "topic-dns"}


def test_batch_of_ten_thousand_lines(run_cli) -> None:  # type: ignore[no-untyped-def]
    pattern = ["403", "", "nothing to see", "HTTP/1.1 404 Not Found", "permission denied on upload"]
    questions = [pattern[i % len(pattern)] for i in range(10_000)]
    result = run_cli(["ask", "--json", "--batch"], stdin="\n".join(questions) + "\n", env=MINI, timeout=300)
    assert result.code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 10_000
    for i in (0, 1, 2, 3, 4, 9_995, 9_999):
        doc = json.loads(lines[i])
        kind = pattern[i % len(pattern)]
        if kind in ("", "nothing to see"):
            assert doc["matches"] == []
        else:
            assert doc["matches"][0]["entry"] in ("403", "404")


def test_batch_needs_json(run_cli) -> None:  # type: ignore[no-untyped-def]
    assert run_cli(["ask", "--batch"], stdin="403\n", env=MINI).code == 2


def test_kb_check_clean_and_dirty(run_cli) -> None:  # type: ignore[no-untyped-def]
    clean = run_cli(["kb", "check", str(MINI_KB)])
    assert clean.code == 0
    assert clean.stdout == ""
    dirty = run_cli(["kb", "check", str(FAILING / "KB006")])
    assert dirty.code == 1
    assert re.fullmatch(r".*/status/404\.yml:6: KB006 404\.status: unknown value 'forever'.*\n", dirty.stdout)


def test_kb_check_json_and_ignore(run_cli) -> None:  # type: ignore[no-untyped-def]
    result = run_cli(["kb", "check", "--json", str(FAILING / "KB105")])
    assert result.code == 1
    assert [f["code"] for f in json.loads(result.stdout)["findings"]] == ["KB105"]
    assert run_cli(["kb", "check", "--ignore", "KB105", str(FAILING / "KB105")]).code == 0


def test_commands_refuse_an_invalid_base_with_the_same_lines(run_cli) -> None:  # type: ignore[no-untyped-def]
    base = str(FAILING / "KB203")
    checked = run_cli(["kb", "check", base])
    refused = run_cli(["ask", "403"], env={"HTTPCODE_KNOWLEDGE_DIR": base})
    assert refused.code == 1
    assert refused.stdout == ""
    finding = checked.stdout.strip().split(": ", 1)[1]
    assert finding in refused.stderr
    assert run_cli(["ask", "--json", "--batch"], stdin="403\n", env={"HTTPCODE_KNOWLEDGE_DIR": base}).code == 1


def test_shell_answers_until_end_of_input(run_cli) -> None:  # type: ignore[no-untyped-def]
    result = run_cli(["shell"], stdin="403\n\n404\n", env=MINI)
    assert result.code == 0
    assert "403 Forbidden" in result.stdout and "404 Not Found" in result.stdout


def test_python_dash_m_and_version(run_cli) -> None:  # type: ignore[no-untyped-def]
    result = run_cli(["--version"])
    assert result.code == 0
    assert result.stdout.startswith("httpcode ")


@pytest.mark.parametrize("command", [c.name for c in COMMANDS])
def test_every_subcommand_has_help_with_example_and_readme_mention(run_cli, command: str) -> None:  # type: ignore[no-untyped-def]
    result = run_cli([command, "--help"])
    assert result.code == 0
    assert "example: httpcode" in result.stdout
    readme = (ROOT / "README.md").read_text()
    assert f"httpcode {command}" in readme, f"README.md does not mention `httpcode {command}`"


def test_cli_does_not_import_slack(run_cli) -> None:  # type: ignore[no-untyped-def]
    code = (
        "import sys, bot.cli; bot.cli.main(['ask', '403'], bot.cli.Environment()); print('slack_bolt' in sys.modules)"
    )
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env={**MINI, "PATH": ""}, check=False
    )
    assert out.stdout.strip().endswith("False"), out.stderr


def test_warm_ask_imports_neither_shutil_nor_pathlib(tmp_path: Path) -> None:
    """Each costs milliseconds of every start: shutil through argparse's help width, pathlib through paths."""
    code = (
        "import sys, bot.cli; bot.cli.main(['ask', '403'], bot.cli.Environment.from_process()); "
        "print(sorted({'shutil', 'pathlib'} & set(sys.modules)))"
    )
    import subprocess
    import sys

    env = {"HTTPCODE_CACHE_DIR": str(tmp_path / "cache"), "PATH": ""}
    cold, warm = [
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env, check=False)
        for _ in range(2)
    ]
    assert cold.returncode == 0, cold.stderr  # the first run builds the cache, with pathlib and the checker
    assert warm.stdout.strip().endswith("[]"), warm.stdout[-200:] + warm.stderr


def test_kb_check_one_file_resolves_links_against_the_whole_base(run_cli) -> None:  # type: ignore[no-untyped-def]
    result = run_cli(["kb", "check", "knowledge/status/403.yml"])
    assert result.code == 0, result.stdout
    assert "checked 1 files: 0 problems" in result.stderr


def test_no_command_prints_help_and_exits_2(run_cli) -> None:  # type: ignore[no-untyped-def]
    result = run_cli([])
    assert result.code == 2
    assert "ask" in result.stderr and result.stdout == ""


def test_user_cache_dir_follows_xdg_and_home() -> None:
    import sys

    from bot.config import load_settings, user_cache_dir

    if sys.platform.startswith("linux"):
        assert user_cache_dir({"HOME": "/home/a", "XDG_CACHE_HOME": "/var/cache/a"}) == "/var/cache/a/httpcode"
        assert user_cache_dir({"HOME": "/home/a", "XDG_CACHE_HOME": "relative"}) == "/home/a/.cache/httpcode"
    assert load_settings({"HTTPCODE_CACHE_DIR": "/tmp/x"}).cache_dir == "/tmp/x"


def test_probe_refuses_metadata_and_reports_it_as_a_result(run_cli) -> None:  # type: ignore[no-untyped-def]
    result = run_cli(["probe", "--json", "http://169.254.169.254/latest/meta-data/"])
    assert result.code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["outcome"] == "REFUSE:addr"
    assert "metadata" in data["reason"]
    assert set(data) >= {"outcome", "reason", "hops", "timings", "tls", "hints", "allow_entry"}
    assert set(data["timings"]) == {"dns_ms", "connect_ms", "tls_ms", "ttfb_ms", "total_ms"}


def test_probe_disabled_and_usage_errors(run_cli) -> None:  # type: ignore[no-untyped-def]
    off = run_cli(["probe", "--json", "https://example.com/"], env={"HTTPCODE_PROBE": "off"})
    assert off.code == 0 and json.loads(off.stdout)["outcome"] == "DISABLED"
    assert run_cli(["probe"]).code == 2
    assert run_cli(["probe", "--bogus", "https://example.com/"]).code == 2
    bad = run_cli(["probe", "https://example.com/"], env={"HTTPCODE_PROBE_TIMEOUT": "soon"})
    assert bad.code == 2 and "HTTPCODE_PROBE_TIMEOUT" in bad.stderr
    text = run_cli(["probe", "file:///etc/passwd"])
    assert text.code == 0 and "REFUSE:scheme" in text.stdout
