"""Killing any one service with `kill -9` under load loses nothing, and `baton up`'s
supervisor has it answering /readyz again within 10 s without anyone touching it; the
restarts show in `baton status --json`."""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest

from deploy.up import PROCESSES, Platform
from infra.audit.verify import audited_tables

from ...platforms import platform_of_its_own, started
from .clerks import Clerks

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def supervised(
    database_url: str, kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Platform]:
    """A platform of its own (this test kills its processes), started as `baton up` does."""
    platform = platform_of_its_own(
        database_url, kafka_bootstrap, tmp_path_factory.mktemp("supervised"), "s"
    )
    with started(platform) as running:
        yield running


def _ready(url: str) -> bool:
    try:
        return httpx.get(f"{url}/readyz", timeout=3.0).status_code == 200
    except httpx.HTTPError:
        return False


def _kill_and_time_recovery(platform: Platform, name: str) -> float:
    old = platform.children[name].pid
    os.kill(old, signal.SIGKILL)
    killed = time.monotonic()
    url = platform.settings.url_of(name)
    while time.monotonic() - killed < 20:
        child = platform.children.get(name)
        if child is not None and child.pid != old and _ready(url):
            return time.monotonic() - killed
        time.sleep(0.1)
    raise AssertionError(f"{name} not back within 20 s")


def _cases(database_url: str, schema: str, stats: bool) -> set[str]:
    with psycopg.connect(database_url) as conn:
        if stats:
            query = f'SELECT case_id FROM "{schema}".case_fact'
        else:
            tables = audited_tables(conn, schema)
            assert tables is not None
            query = f'SELECT DISTINCT originator_id::text FROM "{schema}".{tables[0]}'
        return {str(row[0]) for row in conn.execute(query).fetchall()}


def test_each_service_killed_under_load_is_back_within_10_s_and_loses_nothing(
    supervised: Platform, database_url: str
) -> None:
    settings = supervised.settings
    recovered: dict[str, float] = {}
    with Clerks(supervised.gateway_url) as clerks:
        time.sleep(2)
        for name in ("intake", "routing", "supervision", "stats", "gateway"):
            before = len(clerks.acknowledged)
            recovered[name] = _kill_and_time_recovery(supervised, name)
            deadline = time.monotonic() + 15  # under load again after the restart
            while len(clerks.acknowledged) < before + 3 and time.monotonic() < deadline:
                time.sleep(0.1)
    acknowledged = set(clerks.acknowledged)
    assert len(acknowledged) >= 15, (len(acknowledged), clerks.refused)

    in_intake = _cases(database_url, settings.schema_of("intake"), stats=False)
    assert acknowledged <= in_intake
    deadline = time.monotonic() + 30
    while not acknowledged <= (in_stats := _cases(database_url, settings.schema_of("stats"), True)):
        assert time.monotonic() < deadline, len(acknowledged - in_stats)
        time.sleep(0.5)

    state = json.loads((Path(settings.baton_data_dir) / "run" / "processes.json").read_text())
    for name in PROCESSES:
        process = state["processes"][name]
        assert process["restarts"] == 1 and process["last_exit"] == "signal SIGKILL", process
        assert process["pid"] == supervised.children[name].pid
    log = (Path(settings.baton_data_dir) / "log" / "stats.log").read_text(errors="replace")
    assert "baton up: stats exited with signal SIGKILL" in log
    # Last, so a loaded machine's slow Python start-up does not hide the checks above.
    assert all(took < 10 for took in recovered.values()), recovered
