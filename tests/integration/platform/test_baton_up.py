"""`baton up` as a person runs it: embedded servers, every process, the URL printed; Ctrl-C
stops everything within 10 s; a second `baton up` finds the first one's data."""

from __future__ import annotations

import datetime as dt
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from domain.guards import CHINA_TZ
from infra.embedded import free_port

from .logged_in import StaffClient

pytestmark = pytest.mark.integration

REGISTER = (
    'mutation { registerPetition(input: {organCode: "620102", channel: "visit", '
    'summary: "来访反映某社区违规发放低保", receivedAt: "%s"}) { registrationNumber } }'
)
LINES: list[str] = []  # what the last `baton up` printed
_leaders: dict[str, StaffClient] = {}
STATS = '{ organStats(organ: "620102", from: "%s", to: "%s") { total } }'


def start(env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str, float]:
    started = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-m", "deploy.cli", "up"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    assert process.stdout is not None
    lines = LINES
    lines.clear()
    pending = b""
    # Raw reads: a buffered readline could hold the URL line back from select().
    while time.monotonic() - started < 90:
        ready, _, _ = select.select([process.stdout], [], [], 1.0)
        if not ready:
            continue
        chunk = os.read(process.stdout.fileno(), 65536)
        if not chunk:
            break
        *complete, pending = (pending + chunk).split(b"\n")
        for raw in complete:
            line = raw.decode(errors="replace")
            lines.append(line + "\n")
            if "Baton is up" in line:
                url = line.rsplit(" ", 1)[-1].strip().rstrip("/")
                return process, url, time.monotonic() - started
    process.kill()
    raise AssertionError("no URL within 90 s:\n" + "".join(lines))


def stop(process: subprocess.Popen[bytes]) -> float:
    started = time.monotonic()
    process.send_signal(signal.SIGINT)
    process.wait(15)
    return time.monotonic() - started


def total(url: str) -> int:
    # Counting days are Beijing days: after 16:00 UTC a report received now counts tomorrow.
    today = dt.datetime.now(CHINA_TZ).date()
    query = STATS % ((today - dt.timedelta(days=7)).isoformat(), today.isoformat())
    if url not in _leaders:
        _leaders[url] = StaffClient(url, "leader.620102")
    body = _leaders[url].post(query)
    return body["data"]["organStats"]["total"]


def wait_total(url: str, expected: int, timeout: float = 10) -> int:
    deadline = time.monotonic() + timeout
    while (seen := total(url)) != expected and time.monotonic() < deadline:
        time.sleep(0.2)
    return seen


@pytest.fixture
def data_root() -> Iterator[Path]:
    """A data dir outside pytest's 0700 temp root: the embedded PostgreSQL runs as an
    unprivileged user when the tests run as root, and another pytest run starting on the
    same machine resets that root to 0700."""
    root = Path(tempfile.mkdtemp(prefix="baton-up-test-"))
    try:
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_baton_up_runs_stops_and_keeps_its_data(data_root: Path) -> None:
    env = {
        k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "KAFKA_BOOTSTRAP_SERVERS")
    }
    env.update(
        BATON_DATA_DIR=str(data_root / "var"),
        EMBEDDED_POSTGRES_PORT=str(free_port()),
        EMBEDDED_BROKER_PORT=str(free_port()),
        BATON_DEMO_HISTORY="0",  # this story counts its own registrations from one
        **{
            f"{name}_PORT": str(free_port())
            for name in ("GATEWAY", "INTAKE", "ROUTING", "SUPERVISION", "STATS")
        },
    )
    process, url, took = start(env)
    try:
        assert took < 90
        assert any(
            "Demo accounts" in line and line.rstrip().endswith("users.yaml") for line in LINES
        )
        assert httpx.get(f"{url}/").status_code == 200  # the web front end
        now = dt.datetime.now(dt.UTC).isoformat()
        anonymous = httpx.post(f"{url}/graphql", json={"query": REGISTER % now}).json()
        assert anonymous["errors"][0]["extensions"]["code"] == "unauthenticated"
        body = StaffClient(url, "clerk.620102").post(REGISTER % now)
        assert body["data"]["registerPetition"]["registrationNumber"].endswith("-000001")
        assert wait_total(url, 1) == 1
    finally:
        stopped_in = stop(process)
    assert stopped_in < 10
    assert process.returncode == 0
    for name in ("intake", "routing", "supervision", "stats", "gateway", "broker"):
        assert (data_root / "var" / "log" / f"{name}.log").exists()

    process, url, _ = start(env)  # the broker starts empty; PostgreSQL keeps its data
    try:
        assert wait_total(url, 1) == 1
        now = dt.datetime.now(dt.UTC).isoformat()
        body = StaffClient(url, "clerk.620102").post(REGISTER % now)
        assert body["data"]["registerPetition"]["registrationNumber"].endswith("-000002")
        assert wait_total(url, 2) == 2
    finally:
        assert stop(process) < 10
