"""The supervisor of `baton up`: backoff, exit descriptions, restarts of real processes
and the state file `baton status` reads."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from deploy.supervisor import MAX_DELAY, Supervisor, describe_exit, next_delay


def test_backoff_doubles_to_ten_seconds_and_resets_after_ten_healthy_seconds() -> None:
    delays = [0.5]
    for _ in range(8):
        delays.append(next_delay(delays[-1], uptime=1.0))
    assert delays[:6] == [0.5, 1.0, 2.0, 4.0, 8.0, 10.0]
    assert max(delays) == MAX_DELAY
    assert next_delay(10.0, uptime=10.0) == 0.5
    assert next_delay(4.0, uptime=9.0) == 8.0


def test_exits_are_described_by_code_or_signal() -> None:
    assert describe_exit(-signal.SIGKILL) == "signal SIGKILL"
    assert describe_exit(3) == "exit code 3"
    assert describe_exit(-200) == "signal 200"


def _sleeper(name: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])


def test_a_killed_child_is_restarted_with_growing_waits_and_logged(tmp_path: Path) -> None:
    supervisor = Supervisor(["a", "b"], _sleeper, tmp_path, tmp_path)
    supervisor.start_all()
    try:
        first = supervisor.children["a"].process
        assert first is not None
        other = supervisor.children["b"].process
        os.kill(first.pid, signal.SIGKILL)
        first.wait(5)
        now = time.monotonic()
        supervisor.check(now)
        state = json.loads((tmp_path / "run" / "processes.json").read_text())
        assert state["processes"]["a"]["state"] == "restarting"
        assert state["processes"]["a"]["last_exit"] == "signal SIGKILL"
        assert state["processes"]["b"]["pid"] == other.pid  # the others are untouched
        supervisor.check(now + 0.4)
        assert supervisor.children["a"].process is first  # not yet: 0.5 s
        supervisor.check(now + 0.6)
        second = supervisor.children["a"].process
        assert second is not first and second is not None and second.poll() is None
        state = json.loads((tmp_path / "run" / "processes.json").read_text())
        assert (state["processes"]["a"]["pid"], state["processes"]["a"]["restarts"]) == (
            second.pid,
            1,
        )
        os.kill(second.pid, signal.SIGKILL)
        second.wait(5)
        supervisor.check()
        assert supervisor.children["a"].delay == 1.0  # died again at once: twice the wait
        log = (tmp_path / "a.log").read_text()
        assert "a exited with signal SIGKILL" in log and "a restarted (restart 1)" in log
    finally:
        started = time.monotonic()
        supervisor.stop_all(timeout=5)
        assert time.monotonic() - started < 6
    assert all(
        c.process is None or c.process.poll() is not None for c in supervisor.children.values()
    )
    assert not (tmp_path / "run" / "processes.json").exists()


def test_a_retired_child_is_never_restarted(tmp_path: Path) -> None:
    supervisor = Supervisor(["a"], _sleeper, tmp_path, tmp_path)
    supervisor.start_all()
    try:
        first = supervisor.children["a"].process
        assert first is not None
        supervisor.retire("a", "cannot work")
        os.kill(first.pid, signal.SIGKILL)
        first.wait(5)
        now = time.monotonic()
        supervisor.check(now)
        supervisor.check(now + 30)
        assert supervisor.children["a"].process is None  # not started again
        state = json.loads((tmp_path / "run" / "processes.json").read_text())
        assert state["processes"]["a"]["state"] == "retired"
        assert state["processes"]["a"]["last_exit"] == "signal SIGKILL"
        assert "a retired, not restarted again: cannot work" in (tmp_path / "a.log").read_text()
    finally:
        supervisor.stop_all(timeout=5)
