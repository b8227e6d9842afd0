"""`baton up` with two replicas of each consuming service: every replica consumes its own
partitions (p mod 2), `baton status` shows each with its partitions, and a replica killed
with `kill -9` under load is restarted by the supervisor and leaves stats exact: every
acknowledged registration counted once, nothing counted twice. Then the fork server that
forked them all is killed, and the children carry on."""

from __future__ import annotations

import datetime as dt
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import psycopg
import pytest

from deploy import status
from deploy.forkserver import Forked
from deploy.up import (
    REPLICATED,
    Platform,
    module_of,
    process_names,
    replicas_from,
    serves_http,
)
from infra.audit.verify import audited_tables
from services.stats.application import StatsApplication

from ...platforms import platform_of_its_own, started
from ..platform.clerks import Clerks

pytestmark = pytest.mark.integration


def test_replica_names_and_their_count_from_the_environment() -> None:
    assert process_names(2) == [
        "intake",
        "intake-1",
        "intake-relay",
        "routing",
        "routing-1",
        "supervision",
        "supervision-1",
        "stats",
        "stats-1",
        "gateway",
    ]
    assert replicas_from({}) == 1
    assert replicas_from({"BATON_UP_REPLICAS": "3"}) == 3
    assert replicas_from({"BATON_UP_REPLICAS": "3"}, 2) == 2
    for bad in ("0", "ten", "10"):
        with pytest.raises(ValueError, match="BATON_UP_REPLICAS"):
            replicas_from({"BATON_UP_REPLICAS": bad})


@pytest.fixture(scope="module")
def replicated(
    database_url: str, kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Platform]:
    platform = platform_of_its_own(
        database_url,
        kafka_bootstrap,
        tmp_path_factory.mktemp("replicated"),
        "r",
        env={"BATON_UP_REPLICAS": "2"},
    )
    with started(platform, timeout=180) as running:
        yield running


def _ready(url: str) -> bool:
    try:
        return httpx.get(f"{url}/readyz", timeout=3.0).status_code == 200
    except httpx.HTTPError:
        return False


def _stored(database_url: str, schema: str) -> list[str]:
    """The case id of every event in intake's store."""
    with psycopg.connect(database_url) as conn:
        tables = audited_tables(conn, schema)
        assert tables is not None
        query = f'SELECT originator_id::text FROM "{schema}".{tables[0]}'
        return sorted(str(row[0]) for row in conn.execute(query).fetchall())


def _applied(database_url: str, schema: str) -> list[str]:
    """The case id of every intake event stats applied: each is a history row."""
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(f'SELECT case_id FROM "{schema}".intake_history').fetchall()
        return sorted(str(row[0]) for row in rows)


def test_two_replicas_share_the_partitions_and_a_killed_one_leaves_counts_exact(
    replicated: Platform, database_url: str
) -> None:
    settings = replicated.settings
    names = process_names(2)
    assert set(replicated.children) - {"forkserver"} == set(names)
    for name in filter(serves_http, names):
        assert _ready(replicated.url_of(name)), name
    with Clerks(replicated.gateway_url, threads=2) as clerks:
        clerks.wait_for(6)
        _kill_and_wait(replicated, "stats-1")
        clerks.wait_for(6)  # load goes on after the restart
    acknowledged = set(clerks.acknowledged)
    assert len(acknowledged) >= 12

    stored = _stored(database_url, settings.schema_of("intake"))
    registered = set(stored)
    assert acknowledged <= registered
    stats_schema = settings.schema_of("stats")
    deadline = time.monotonic() + 60
    while (applied := _applied(database_url, stats_schema)) != stored:
        assert time.monotonic() < deadline, (len(applied), len(stored))
        time.sleep(0.5)
    time.sleep(2)  # anything applied twice would show up now
    assert _applied(database_url, stats_schema) == stored
    year = dt.datetime.now(dt.UTC).year
    reader = StatsApplication(database_url, stats_schema)
    try:
        totals = reader.organ_stats("620102", dt.date(year - 1, 1, 1), dt.date(year + 1, 12, 31))
    finally:
        reader.close()
    assert totals["total"] == len(registered)

    data_dir = Path(settings.baton_data_dir)
    shown = status.collect(data_dir, database_url, None, None)
    deadline = time.monotonic() + 20  # offsets are committed just after the effects
    while any(r["lag"] for r in shown["consumers"] if r["topic"].endswith("intake.events")):
        assert time.monotonic() < deadline, shown["consumers"]
        time.sleep(0.5)
        shown = status.collect(data_dir, database_url, None, None)
    processes = shown["processes"]
    assert processes["stats-1"]["restarts"] == 1
    assert processes["stats-1"]["last_exit"] == "signal SIGKILL"
    assert processes["stats"]["restarts"] == 0
    for service in REPLICATED:
        assert processes[service]["replica"]["partitions"] == [0, 2]
        assert processes[f"{service}-1"]["replica"]["partitions"] == [1, 3]
    stats_rows = [r for r in shown["consumers"] if r["service"] == "stats"]
    assert stats_rows and all(
        r["replica"] == ("stats" if r["partition"] % 2 == 0 else "stats-1") for r in stats_rows
    )
    # Both replicas consumed: each committed offsets on its own intake partitions.
    intake_rows = [r for r in stats_rows if r["topic"].endswith("intake.events")]
    assert {r["replica"] for r in intake_rows if r["committed"] > 0} == {"stats", "stats-1"}
    table = status.render(shown)
    assert "stats-1" in table and "1/2" in table and "1,3" in table


def test_each_child_names_its_database_connections(replicated: Platform, database_url: str) -> None:
    """pg_stat_activity tells whose server processes these are (PGAPPNAME): the memory
    bench counts them by child."""
    for name in filter(serves_http, process_names(2)):
        assert _ready(replicated.url_of(name)), name
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT DISTINCT application_name FROM pg_stat_activity WHERE usename = current_user"
        ).fetchall()
    assert set(process_names(2)) <= {row[0] for row in rows}


def test_children_are_forked_by_the_fork_server_and_outlive_it(replicated: Platform) -> None:
    """Each child is forked from the fork server's imports, is `baton up`'s own child, and
    shows its name in `ps`; killing the fork server stops nothing, a child killed while it
    is down is spawned instead, and the restarted fork server forks the next restart."""
    children = replicated.children
    forkserver = children["forkserver"]
    for name in process_names(2):
        child = psutil.Process(children[name].pid)
        assert isinstance(children[name], Forked), name
        assert child.ppid() == os.getpid(), name  # reparented to the subreaper
        # A process group of its own (Ctrl-C reaches `baton up` alone), in `baton up`'s
        # session: the CPU is shared between sessions before nice values count.
        assert os.getpgid(child.pid) == child.pid and os.getsid(child.pid) == os.getsid(0), name
        module = module_of(name)
        assert " ".join(child.cmdline()).split()[-3:] == ["-m", module, name]
    before = {name: children[name].pid for name in process_names(2)}

    os.kill(forkserver.pid, signal.SIGKILL)
    time.sleep(1.0)
    assert {name: replicated.children[name].pid for name in before} == before
    assert all(psutil.pid_exists(pid) for pid in before.values())

    _kill_and_wait(replicated, "routing-1")  # the fork server may still be importing
    deadline = time.monotonic() + 120
    while not (
        replicated.children["forkserver"].pid != forkserver.pid
        and replicated.forkserver is not None
        and replicated.forkserver.ready.is_set()
    ):
        assert time.monotonic() < deadline, "the fork server was not started again"
        time.sleep(0.2)
    _kill_and_wait(replicated, "intake")
    assert isinstance(replicated.children["intake"], Forked)
    log = (Path(replicated.log_dir) / "forkserver.log").read_text()
    assert "baton up: forkserver exited with signal SIGKILL" in log


def _kill_and_wait(platform: Platform, name: str, timeout: float = 60) -> float:
    old = platform.children[name].pid
    os.kill(old, signal.SIGKILL)
    killed = time.monotonic()
    while not (platform.children[name].pid != old and _ready(platform.url_of(name))):
        assert time.monotonic() - killed < timeout, f"{name} not back within {timeout} s"
        time.sleep(0.1)
    return time.monotonic() - killed
