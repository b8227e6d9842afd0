"""The supervisor 守护 of `baton up`: restarts a crashed child with backoff and keeps a small
state file (`<data dir>/run/processes.json`) that `baton status` reads.

A child that dies is started again after 0.5 s, doubling up to 10 s for each death in a
row; a child that stayed up for 10 s starts over at 0.5 s (it got through its start-up,
so its death is a new fault, not a crash loop: the 10 s bound on a restart holds for a
process killed again and again, as in the chaos test). Every exit is logged with
its code or signal, to `baton up`'s error stream and to the child's own log. The database
and the broker are never touched here: one child's death stops nothing else.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

log = logging.getLogger(__name__)

FIRST_DELAY = 0.5
MAX_DELAY = 10.0
HEALTHY_AFTER = 10.0
STATE_FILE = Path("run") / "processes.json"


class Process(Protocol):
    """What the supervisor needs of a child: a `subprocess.Popen`, or a child forked by
    the fork server (deploy/forkserver.py)."""

    pid: int
    returncode: int | None

    def poll(self) -> int | None: ...
    def wait(self, timeout: float | None = None) -> int: ...
    def send_signal(self, sig: int) -> None: ...
    def kill(self) -> None: ...


Spawn = Callable[[str], Process]


def describe_exit(returncode: int) -> str:
    """'exit code 3' or 'signal SIGKILL'."""
    if returncode < 0:
        try:
            return f"signal {signal.Signals(-returncode).name}"
        except ValueError:
            return f"signal {-returncode}"
    return f"exit code {returncode}"


def pid_alive(pid: int | None) -> bool:
    """Whether a process with this id exists (one of another user counts)."""
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def next_delay(delay: float, uptime: float) -> float:
    """The wait before the next restart, given the last wait and how long the child ran."""
    if uptime >= HEALTHY_AFTER:
        return FIRST_DELAY
    return min(delay * 2, MAX_DELAY)


@dataclass
class Child:
    """One supervised process and its history."""

    name: str
    process: Process | None = None
    started: float = 0.0
    started_at: str = ""
    restarts: int = 0
    delay: float = FIRST_DELAY
    restart_at: float | None = None
    last_exit: str | None = None
    last_exit_at: str | None = None
    retired: bool = False  # never restarted again (see Supervisor.retire)

    def state(self) -> dict[str, Any]:
        running = self.process is not None and self.process.poll() is None
        idle = "retired" if self.retired else "restarting"
        return {
            "pid": self.process.pid if running and self.process else None,
            "state": "running" if running else idle,
            "started_at": self.started_at,
            "restarts": self.restarts,
            "last_exit": self.last_exit,
            "last_exit_at": self.last_exit_at,
        }


class Supervisor:
    """Starts the children, restarts them when they die, stops them on request."""

    def __init__(
        self,
        names: Iterable[str],
        spawn: Spawn,
        data_dir: Path,
        log_dir: Path,
        extra: Callable[[], dict[str, Any]] | None = None,
    ) -> None:
        self.children = {name: Child(name) for name in names}
        self.spawn = spawn
        self.state_path = data_dir / STATE_FILE
        self.log_dir = log_dir
        self.extra = extra or dict
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def processes(self) -> dict[str, Process]:
        """The live process of each child (the last one started)."""
        return {n: c.process for n, c in self.children.items() if c.process is not None}

    def start_all(self) -> None:
        for child in self.children.values():
            self._start(child)
        self.write_state()

    def _start(self, child: Child) -> None:
        child.process = self.spawn(child.name)
        child.started = time.monotonic()
        child.started_at = datetime.now(UTC).isoformat(timespec="seconds")
        child.restart_at = None

    def watch(self) -> Supervisor:
        """Check the children in a background thread until `stop_all`."""
        self._thread = threading.Thread(target=self._run, name="supervisor", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            try:
                self.check()
            except Exception:  # the supervisor must outlive any one bad round
                log.exception("supervisor round failed")

    def check(self, now: float | None = None) -> None:
        """One round: note the children that died, start those whose wait is over."""
        changed = False
        with self._lock:
            if self._stop.is_set():
                return
            for child in self.children.values():
                if child.retired:
                    changed |= self._note_exit_of_retired(child)
                    continue
                at = time.monotonic() if now is None else now
                if child.restart_at is None and child.process is not None:
                    returncode = child.process.poll()
                    if returncode is None:
                        continue
                    self._died(child, returncode, at)
                    changed = True
                if child.restart_at is not None and at >= child.restart_at:
                    child.restarts += 1
                    self._start(child)
                    self._say(child.name, f"restarted (restart {child.restarts})")
                    changed = True
        if changed:
            self.write_state()

    def retire(self, name: str, why: str) -> None:
        """Never restart `name` again: it cannot work (the fork server whose imports
        started a thread); it may still be running or dying."""
        with self._lock:
            child = self.children[name]
            child.retired = True
            child.restart_at = None
        self._say(name, f"retired, not restarted again: {why}")
        self.write_state()

    def _note_exit_of_retired(self, child: Child) -> bool:
        if child.process is None or (returncode := child.process.poll()) is None:
            return False
        child.process = None
        child.last_exit = describe_exit(returncode)
        child.last_exit_at = datetime.now(UTC).isoformat(timespec="seconds")
        return True

    def _died(self, child: Child, returncode: int, now: float) -> None:
        uptime = now - child.started
        wait = next_delay(child.delay, uptime) if child.restarts else FIRST_DELAY
        child.delay = wait
        child.restart_at = now + wait
        child.last_exit = describe_exit(returncode)
        child.last_exit_at = datetime.now(UTC).isoformat(timespec="seconds")
        self._say(
            child.name,
            f"exited with {child.last_exit} after {uptime:.1f} s; restarting in {wait:.1f} s",
        )

    def _say(self, name: str, message: str) -> None:
        line = f"{datetime.now(UTC).isoformat(timespec='seconds')} baton up: {name} {message}"
        print(line, file=sys.stderr, flush=True)
        try:
            with open(self.log_dir / f"{name}.log", "a", encoding="utf-8") as child_log:
                child_log.write(line + "\n")
        except OSError:
            log.warning("cannot write to %s's log", name)

    def write_state(self) -> None:
        """The state file `baton status` reads; replaced atomically."""
        state = {
            "supervisor_pid": os.getpid(),
            "updated_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "processes": {name: child.state() for name, child in self.children.items()},
            **self.extra(),
        }
        self.state_path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.state_path.with_suffix(".tmp")
        partial.write_text(json.dumps(state, indent=2), encoding="utf-8")
        partial.replace(self.state_path)

    def stop_all(self, timeout: float = 8.0) -> None:
        """Stop supervising, then SIGTERM every child and SIGKILL what is left at the end."""
        with self._lock:
            self._stop.set()
        if self._thread is not None:
            self._thread.join(2.0)
        live = [c.process for c in self.children.values() if c.process is not None]
        for process in live:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for process in live:
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.state_path.unlink(missing_ok=True)
