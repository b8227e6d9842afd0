"""The fork server with a stand-in service: a child is forked from its imports, becomes our
own child (we are the subreaper), runs its module as `python -m` would with the
environment it was given, logs to its own file, shows its name in `ps`, and outlives the
fork server; the supervisor's calls (poll, wait, signals) work on it."""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from deploy.forkserver import Forked, ForkServer, set_subreaper

MODULE = "tests.unit.deploy.forked_child"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ForkServer]:
    assert set_subreaper()
    env = {**os.environ, "FORKED_MARKER": "server's"}
    forkserver = ForkServer([MODULE], env, tmp_path / "forkserver.log")
    forkserver.start()
    try:
        yield forkserver
    finally:
        if forkserver.process is not None and forkserver.process.poll() is None:
            forkserver.process.kill()
            forkserver.process.wait()
        forkserver.close()
        set_subreaper(False)


def _told(log: Path) -> dict[str, object]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if log.exists() and log.read_text().strip():
            return dict(json.loads(log.read_text().splitlines()[0]))
        time.sleep(0.05)
    raise AssertionError(f"nothing in {log}")


def test_a_forked_child_is_ours_runs_its_module_and_outlives_the_server(
    server: ForkServer, tmp_path: Path
) -> None:
    env = {**os.environ, "FORKED_MARKER": "child's"}
    child = server.spawn("child-1", MODULE, env, tmp_path / "child-1.log", wait=60)
    assert isinstance(child, Forked)
    told = _told(tmp_path / "child-1.log")
    assert told == {
        "argv": [str(Path(__file__).with_name("forked_child.py")), "child-1"],  # as `-m`
        "marker": "child's",  # the environment of the request, not the server's
        "main": MODULE,  # as under `python -m`
        "parent": os.getpid(),  # reparented to us, not the fork server's
    }
    title = " ".join(psutil.Process(child.pid).cmdline()).split()
    assert title[-3:] == ["-m", MODULE, "child-1"]
    assert child.poll() is None

    assert server.process is not None
    server.process.kill()
    server.process.wait()
    time.sleep(0.3)
    assert child.poll() is None  # the fork server's death stops nothing
    assert server.spawn("child-2", MODULE, env, tmp_path / "child-2.log") is None

    child.send_signal(signal.SIGTERM)
    assert child.wait(10) == -signal.SIGTERM
    assert child.poll() == -signal.SIGTERM


def test_a_restarted_server_forks_again(server: ForkServer, tmp_path: Path) -> None:
    assert server.process is not None
    server.process.kill()
    server.process.wait()
    server.start()
    child = server.spawn("again", MODULE, dict(os.environ), tmp_path / "again.log", wait=60)
    assert child is not None
    assert _told(tmp_path / "again.log")["argv"][1:] == ["again"]
    child.kill()
    assert child.wait(10) == -signal.SIGKILL


def test_imports_that_start_a_thread_make_the_server_unusable(tmp_path: Path) -> None:
    """A thread does not survive a fork: the server says so and stops; nothing is forked."""
    told: list[str] = []
    server = ForkServer(
        ["tests.unit.deploy.threaded_import"], dict(os.environ), tmp_path / "fs.log", told.append
    )
    process = server.start()
    try:
        assert process.wait(60) == 3
        deadline = time.monotonic() + 10
        while not told and time.monotonic() < deadline:
            time.sleep(0.05)
        assert told == ["imports started threads: MainThread, started-on-import"]
        assert server.unusable == told[0]
        assert server.spawn("x", MODULE, dict(os.environ), tmp_path / "x.log", wait=5) is None
    finally:
        server.close()
