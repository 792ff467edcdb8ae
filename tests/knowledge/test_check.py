"""Each kb check rule fires on its own fixture, with the right file and line, and nothing else fires."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.knowledge.check import RULES, check_paths
from tests.conftest import MINI_KB

FAILING = Path(__file__).resolve().parent / "fixtures" / "failing"

# The line each fixture's finding must point at (1-based), and the file it must name.
EXPECTED_LOCATION = {
    "KB001": ("status/404.yml", 9),
    "KB002": ("status/404.yml", 1),
    "KB003": ("status/404.yml", 10),
    "KB004": ("status/404.yml", 1),
    "KB005": ("status/404.yml", 10),
    "KB006": ("status/404.yml", 6),
    "KB007": ("status/410.yml", 1),
    "KB008": ("status/404.yml", 4),
    "KB009": ("status/404.yml", 3),
    "KB101": ("status/404.yml", 11),
    "KB102": ("status/404.yml", 8),
    "KB103": ("status/404.yml", 14),
    "KB104": ("status/404.yml", 10),
    "KB105": ("status/404.yml", 5),
    "KB201": ("vendor/404.yml", 1),
    "KB202": ("vendor/acme-491.yml", 4),
    "KB203": ("status/404.yml", 10),
    "KB204": ("status/404.yml", 8),
}


def test_every_rule_has_a_failing_fixture_and_a_location() -> None:
    fixtures = {p.name for p in FAILING.iterdir() if p.is_dir()}
    assert fixtures == set(RULES), "each rule code needs tests/knowledge/fixtures/failing/<CODE>/"
    assert set(EXPECTED_LOCATION) == set(RULES)


@pytest.mark.parametrize("code", sorted(RULES))
def test_fixture_raises_only_its_rule(code: str) -> None:
    _, findings = check_paths([FAILING / code])
    assert {f.code for f in findings} == {code}, [str(f) for f in findings]
    rel, line = EXPECTED_LOCATION[code]
    first = findings[0]
    assert first.path.endswith(rel)
    assert first.line == line
    assert str(first).startswith(f"{first.path}:{line}: {code} ")


def test_finding_line_format_names_entry_and_field() -> None:
    _, findings = check_paths([FAILING / "KB101"])
    assert str(findings[0]).endswith("KB101 404.causes[0].confirm: required field is missing")


def test_clean_fixture_base_has_no_findings() -> None:
    _, findings = check_paths([MINI_KB])
    assert findings == []


def test_all_findings_reported_not_just_the_first(tmp_path: Path) -> None:
    (tmp_path / "status").mkdir()
    (tmp_path / "status" / "404.yml").write_text((FAILING / "KB003" / "status" / "404.yml").read_text())
    (tmp_path / "status" / "405.yml").write_text("id: '405'\nkind: nonsense\n")
    _, findings = check_paths([tmp_path])
    codes = {f.code for f in findings}
    assert {"KB003", "KB006", "KB004"} <= codes
    assert {f.path.rsplit("/", 1)[-1] for f in findings} == {"404.yml", "405.yml"}
