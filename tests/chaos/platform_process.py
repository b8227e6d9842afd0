"""`baton up` as an operator runs it, in a directory of its own, and the faults the chaos
test does to it: kill -9 of one process, the broker restarted empty, PostgreSQL restarted."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import psutil

from deploy.up import (
    PROCESSES,
    RELAY_MODULES,
    REPLICA_PORT_STEP,
    replica_port,
    serves_http,
    split_name,
)
from deploy.up import process_names as up_process_names
from infra.embedded import EmbeddedBroker, EmbeddedPostgres, free_port, wait_for_port

SERVICES = tuple(PROCESSES)  # intake, routing, supervision, stats, gateway


def process_names(replicas: int) -> tuple[str, ...]:
    """Every child a fault may pick: `stats`, `stats-1`, ... (replica k is `name-k`)."""
    return tuple(up_process_names(replicas))


def _bindable(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _spaced_ports(count: int, replicas: int = 4) -> list[int]:
    """`count` free ports, each with its replicas' ports (+100*k) free too and unshared."""
    taken: set[int] = set()
    found: list[int] = []
    while len(found) < count:
        base = free_port()
        family = [base + REPLICA_PORT_STEP * k for k in range(replicas)]
        if family[-1] < 65536 and not taken & set(family) and all(map(_bindable, family[1:])):
            taken |= set(family)
            found.append(base)
    return found


def _name_of(process: psutil.Process) -> str | None:
    """The child's name (`stats`, `stats-1`, `broker`); None for anything else, the fork
    server included (its command line names every module it pre-imports)."""
    try:
        # A child forked by `baton up`'s fork server has its line as one title (padded
        # with empty parts): split it as a spawned one's.
        cmdline = " ".join(process.cmdline()).split()
    except psutil.Error:
        return None
    line = " ".join(cmdline)
    if "deploy.forkserver" in line:
        return None
    for relay, module in RELAY_MODULES.items():
        if f" {module}" in f" {line}":
            return relay
    for service, module in PROCESSES.items():
        if f" {module}" in f" {line}":
            last = line.split()[-1]  # `baton up` puts the replica's name last
            return last if split_name(last)[0] == service else service
    if "memory://" in line:
        return "broker"
    return None


class BatonUp:
    """One `baton up` child process with its own data directory and ports."""

    def __init__(self, base: Path, extra_env: dict[str, str] | None = None) -> None:
        self.base = base
        self.data_dir = base / "var"
        # Far enough apart that replicas (port + 100*k) meet no other service's port.
        self.ports = dict(zip(PROCESSES, _spaced_ports(len(PROCESSES)), strict=True))
        self.pg_port = free_port()
        self.broker_port = free_port()
        self.extra_env = extra_env or {}
        self.process: subprocess.Popen[str] | None = None
        self.output: list[str] = []
        self.own_broker: EmbeddedBroker | None = None

    @property
    def env(self) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("DATABASE_URL", "KAFKA_BOOTSTRAP_SERVERS", "BATON_NAMESPACE")
        }
        env.update({f"{name.upper()}_PORT": str(port) for name, port in self.ports.items()})
        env.update(
            BATON_DATA_DIR=str(self.data_dir),
            EMBEDDED_POSTGRES_PORT=str(self.pg_port),
            EMBEDDED_BROKER_PORT=str(self.broker_port),
            BATON_DEMO_HISTORY="0",
            AUDIT_CHECKPOINT_SECONDS="5",
            PYTHONUNBUFFERED="1",
            **self.extra_env,
        )
        return env

    def url(self, name: str) -> str:
        """Where the child `name` answers (`stats-1`: stats' port + 100)."""
        service, index = split_name(name)
        return f"http://127.0.0.1:{replica_port(self.ports[service], index)}"

    @property
    def database_url(self) -> str:
        """The superuser of the embedded server: the checks read every schema."""
        return f"postgresql://postgres@127.0.0.1:{self.pg_port}/baton"

    def start(self, timeout: float = 300) -> BatonUp:
        self.process = subprocess.Popen(
            [sys.executable, "-c", "from deploy.cli import main; raise SystemExit(main(['up']))"],
            env=self.env,
            cwd=Path(__file__).resolve().parents[2],
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        up = threading.Event()

        def read() -> None:
            assert self.process is not None and self.process.stdout is not None
            with open(self.base / "baton-up.log", "a") as log:
                for line in self.process.stdout:
                    log.write(line)
                    log.flush()
                    self.output.append(line)
                    if "Baton is up" in line:
                        up.set()

        threading.Thread(target=read, daemon=True).start()
        deadline = time.monotonic() + timeout
        while not up.wait(1.0):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("baton up did not come up:\n" + "".join(self.output[-40:]))
        return self

    def pids(self) -> dict[str, list[int]]:
        """The running processes of the platform by name (a name may have replicas)."""
        assert self.process is not None
        found: dict[str, list[int]] = {}
        for child in psutil.Process(self.process.pid).children(recursive=True):
            name = _name_of(child)
            if name is not None:
                found.setdefault(name, []).append(child.pid)
        return found

    def kill(self, name: str, index: int = 0) -> int:
        """kill -9 one process of `name`; its pid."""
        pid = sorted(self.pids()[name])[index]
        os.kill(pid, signal.SIGKILL)
        return pid

    def wait_ready(self, name: str, old_pid: int, timeout: float = 30) -> float:
        """Seconds until a new process of `name` answers /readyz (a relay: holds its
        store's lock again, as its log says)."""
        started = time.monotonic()
        ready = self._answers_ready(name) if serves_http(name) else self._holds_lock(name)
        while time.monotonic() - started < timeout:
            pids = self.pids().get(name, [])
            if pids and old_pid not in pids and ready():
                return time.monotonic() - started
            time.sleep(0.1)
        raise AssertionError(f"{name} was not back within {timeout} s")

    def _answers_ready(self, name: str) -> Callable[[], bool]:
        def ready() -> bool:
            try:
                return httpx.get(self.url(name) + "/readyz", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        return ready

    def _holds_lock(self, name: str) -> Callable[[], bool]:
        """Whether the relay's log says it took its lock since this was called."""
        log = self.data_dir / "log" / f"{name}.log"
        held = log.read_text(errors="replace").count("holds its lock")
        return lambda: log.read_text(errors="replace").count("holds its lock") > held

    def restart_broker_empty(self) -> None:
        """kill -9 the memory-only broker and bring an empty one back on its port: by
        `baton up` if it restarts the broker, else by us, as an operator would."""
        for pid in self.pids().get("broker", []):
            os.kill(pid, signal.SIGKILL)
        if self.own_broker is not None:
            self.own_broker.stop()
            self.own_broker = None
        time.sleep(0.5)
        try:
            wait_for_port("127.0.0.1", self.broker_port, 5)
        except (TimeoutError, OSError):
            self.own_broker = EmbeddedBroker(
                self.broker_port, self.base / "broker-restarted.log"
            ).start()

    def restart_postgres(self) -> None:
        """Stop PostgreSQL under the running platform and start it again."""
        server = EmbeddedPostgres(self.data_dir / "postgres", self.pg_port)
        server.stop()
        time.sleep(1.0)
        server.start()

    def stop(self, timeout: float = 10) -> float:
        """Ctrl-C, as a person would; seconds until everything had stopped."""
        assert self.process is not None
        started = time.monotonic()
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout + 20)
        finally:
            if self.process.poll() is None:
                self.process.kill()
            if self.own_broker is not None:
                self.own_broker.stop()
        return time.monotonic() - started
