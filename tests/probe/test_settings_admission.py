"""Probe settings are validated all at once; admission enforces the per-user rate and the concurrency cap."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.probe.admission import Admission, InProcessRateStore
from bot.probe.settings import load_probe_settings

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def test_defaults() -> None:
    settings = load_probe_settings({}, lambda: NOW)
    assert settings.enabled
    assert (settings.timeout, settings.max_bytes, settings.max_hops) == (10.0, 256 * 1024, 5)
    assert (settings.rate, settings.per_seconds, settings.concurrency) == (5, 60.0, 8)
    assert settings.policy.ports == frozenset({80, 443})


def test_every_bad_variable_is_named(tmp_path: Path) -> None:
    env = {
        "HTTPCODE_PROBE": "maybe",
        "HTTPCODE_PROBE_TIMEOUT": "soon",
        "HTTPCODE_PROBE_MAX_BYTES": "-5",
        "HTTPCODE_PROBE_RATE": "lots",
        "HTTPCODE_PROBE_CA_FILE": str(tmp_path / "missing.pem"),
        "HTTPCODE_PROBE_ALLOW": "*.corp.test",
    }
    with pytest.raises(ConfigError) as caught:
        load_probe_settings(env, lambda: NOW)
    text = " ".join(caught.value.problems)
    for name in ("HTTPCODE_PROBE ", "TIMEOUT", "MAX_BYTES", "RATE", "CA_FILE", "HTTPCODE_PROBE_ALLOW"):
        assert name in text + " ", name


def test_off_rate_and_where(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    env = {"HTTPCODE_PROBE": "off", "HTTPCODE_PROBE_RATE": "2/10", "HTTPCODE_PROBE_CA_FILE": str(ca)}
    settings = load_probe_settings({**env, "HTTPCODE_PROBE_WHERE": "eu-west-1"}, lambda: NOW)
    assert not settings.enabled and (settings.rate, settings.per_seconds) == (2, 10.0)
    assert settings.ca_file == ca and settings.where == "eu-west-1"


def test_rate_limit_refills_over_time() -> None:
    now = [0.0]
    store = InProcessRateStore(2, 10.0, clock=lambda: now[0])
    assert store.take("U1") and store.take("U1")
    assert not store.take("U1")
    assert store.take("U2"), "another user has their own bucket"
    now[0] = 5.0
    assert store.take("U1"), "half the period refills one token"
    assert not store.take("U1")


def test_concurrency_cap_says_busy_and_frees_slots() -> None:
    admission = Admission(InProcessRateStore(100, 60.0), concurrency=2, wait_seconds=0.05)
    assert admission.admit("U1") is None
    assert admission.admit("U2") is None
    busy = admission.admit("U3")
    assert busy is not None and "busy" in busy
    admission.release()
    assert admission.admit("U3") is None


def test_concurrent_admissions_never_exceed_the_cap() -> None:
    admission = Admission(InProcessRateStore(1000, 60.0), concurrency=3, wait_seconds=0.0)
    admitted: list[str] = []
    lock = threading.Lock()

    def attempt(user: str) -> None:
        if admission.admit(user) is None:
            with lock:
                admitted.append(user)

    threads = [threading.Thread(target=attempt, args=(f"U{i}",)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(admitted) == 3
