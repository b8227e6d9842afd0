"""`baton up`: the whole platform on one machine.

Starts embedded PostgreSQL (data under ./var/) and the embedded broker unless
DATABASE_URL / KAFKA_BOOTSTRAP_SERVERS are set, then the four services and the gateway as
child processes, each logging to ./var/log/<name>.log. A child that dies is restarted with
backoff (deploy/supervisor.py); Ctrl-C stops everything.

`BATON_UP_REPLICAS=N` (or `baton up --replicas N`) runs N replicas of every service that
consumes a topic: `stats`, `stats-1`, ... Replica k is BATON_REPLICA_INDEX=k of
BATON_REPLICA_COUNT=N (infra/partitions.py: it consumes the partitions p with p mod N = k)
and listens on the service's port + 100*k. The gateway talks to replica 0.

Intake's relay runs in a child of its own, `intake-relay` (services/intake/relay.py),
and intake's replicas with `BATON_RELAY_APART=1`: registrations are answered by an
interpreter that does not also publish them. It serves no HTTP: it is up while it runs.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from typing import IO

import httpx

from deploy.audit_cli import run_migrations
from deploy.forkserver import ForkServer, set_subreaper
from deploy.supervisor import Process, Supervisor
from domain.errors import DomainError
from infra.dbroles import OWNER_URL_ENV, ensure_roles, user_of
from infra.embedded import EmbeddedBroker, EmbeddedPostgres
from infra.partitions import COUNT_ENV, INDEX_ENV, Replica
from infra.settings import Settings

PROCESSES = {
    "intake": "services.intake.main",
    "routing": "services.routing.main",
    "supervision": "services.supervision.main",
    "stats": "services.stats.main",
    "gateway": "gateway.main",
}
# Relays in a child of their own, by the service whose store they publish.
RELAYS = {"intake": ("intake-relay", "services.intake.relay")}
RELAY_MODULES = dict(RELAYS.values())  # the relay child's name -> its module
# Every service consumes a topic (intake follows routing); the gateway consumes nothing.
REPLICATED = ("intake", "routing", "supervision", "stats")
REPLICAS_ENV = "BATON_UP_REPLICAS"
REPLICA_PORT_STEP = 100
# `BATON_UP_FORKSERVER=0`: every child a new interpreter, as before the fork server.
FORKSERVER_ENV = "BATON_UP_FORKSERVER"
FORKSERVER = "forkserver"


def replica_name(service: str, index: int) -> str:
    """`stats` for replica 0 (the name a single `baton up` always had), `stats-1`, ..."""
    return service if index == 0 else f"{service}-{index}"


def split_name(name: str) -> tuple[str, int]:
    """(`stats`, 1) for `stats-1`; (`stats`, 0) for `stats`."""
    service, _, index = name.rpartition("-")
    if service in PROCESSES and index.isdigit():
        return service, int(index)
    return name, 0


def module_of(name: str) -> str:
    """The module child `name` runs (`stats-1`: services.stats.main)."""
    return RELAY_MODULES.get(name) or PROCESSES[split_name(name)[0]]


def serves_http(name: str) -> bool:
    """Whether child `name` answers on a port (a relay does not)."""
    return name not in RELAY_MODULES


def replica_port(base: int, index: int) -> int:
    return base + REPLICA_PORT_STEP * index


def process_names(replicas: int) -> list[str]:
    """Every child of a `baton up` with `replicas` replicas per consuming service."""
    names = []
    for service in PROCESSES:
        count = replicas if service in REPLICATED else 1
        names += [replica_name(service, k) for k in range(count)]
        if service in RELAYS:
            names.append(RELAYS[service][0])
    return names


def replicas_from(env: Mapping[str, str], given: int | None = None) -> int:
    """`--replicas` if given, else BATON_UP_REPLICAS, else 1; from 1 to 9 (the ports of
    replica k are the base ports + 100*k, which must not reach the next service's)."""
    raw = str(given) if given is not None else env.get(REPLICAS_ENV, "").strip() or "1"
    try:
        replicas = int(raw)
    except ValueError:
        replicas = 0
    if not 1 <= replicas <= 9:
        raise ValueError(f"{REPLICAS_ENV} must be a whole number from 1 to 9, not {raw!r}")
    return replicas


def _die_with_parent() -> None:
    """In the child: get SIGTERM when `baton up` dies, even by SIGKILL (Linux)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def _proxy_address(host: str) -> str:
    """The address the gateway's calls to intake come from, given where services listen."""
    return "127.0.0.1" if host in ("127.0.0.1", "localhost", "0.0.0.0") else host


class Platform:
    """The child processes of one `baton up`, and the embedded servers it started."""

    def __init__(
        self,
        settings: Settings,
        env: Mapping[str, str] | None = None,
        replicas: int | None = None,
    ) -> None:
        self.settings = settings
        self.base_env = dict(env if env is not None else os.environ)
        # glibc gives every thread that allocates its own arena, up to 8 per core, and
        # keeps their freed memory: each child runs a dozen threads (server pool, relay,
        # consumers, doorbells, pools' workers). Two arenas cost no measurable speed here.
        self.base_env.setdefault("MALLOC_ARENA_MAX", "2")
        self.replicas = replicas_from(self.base_env, replicas)
        self.names = process_names(self.replicas)
        self.data_dir = settings.baton_data_dir.resolve()
        self.log_dir = self.data_dir / "log"
        self.postgres: EmbeddedPostgres | None = None
        self.broker: EmbeddedBroker | None = None
        self.supervisor: Supervisor | None = None
        self._logs: dict[str, IO[bytes]] = {}
        self.forkserver: ForkServer | None = None
        self._early_forkserver: subprocess.Popen[bytes] | None = None
        self._subreaper = False
        self._fork_wait = 0.0
        self.demo_users: list[str] = []
        self.env: dict[str, str] = {}

    @property
    def children(self) -> dict[str, Process]:
        """The live process of each child (the last one the supervisor started)."""
        return {} if self.supervisor is None else self.supervisor.processes()

    @property
    def gateway_url(self) -> str:
        return self.settings.url_of("gateway")

    def url_of(self, name: str) -> str:
        """Where the child `name` (`stats`, `stats-1`, ...) answers."""
        service, index = split_name(name)
        if index == 0:
            return self.settings.url_of(service)
        port = replica_port(self.settings.port_of(service), index)
        return f"http://{self.settings.baton_host}:{port}"

    def env_of(self, name: str) -> dict[str, str]:
        """The environment of child `name`: a replica's ordinal and its own port."""
        service, index = split_name(name)
        # libpq reads PGAPPNAME: pg_stat_activity names the child behind every connection
        # (how many server processes each child keeps open, and what they do).
        named = {**self.env, "PGAPPNAME": name}
        if not serves_http(name):
            return named
        if service in RELAYS:
            named["BATON_RELAY_APART"] = "1"  # Settings.baton_relay_apart
        if service not in REPLICATED:
            return named
        port = replica_port(self.settings.port_of(service), index)
        return {
            **named,
            INDEX_ENV: str(index),
            COUNT_ENV: str(self.replicas),
            f"{service.upper()}_PORT": str(port),
        }

    def start_servers(self) -> dict[str, str]:
        env: dict[str, str] = {}
        database_url = self.settings.database_url
        if not database_url:
            self.postgres = EmbeddedPostgres(
                self.data_dir / "postgres", self.settings.embedded_postgres_port
            ).start()
            database_url = self.postgres.url
        bootstrap = self.settings.kafka_bootstrap_servers
        if not bootstrap:
            self.broker = EmbeddedBroker(
                self.settings.embedded_broker_port, self.log_dir / "broker.log"
            ).start()
            bootstrap = self.broker.bootstrap
        env["DATABASE_URL"] = database_url
        env["KAFKA_BOOTSTRAP_SERVERS"] = bootstrap
        env["BATON_DATA_DIR"] = str(self.data_dir)
        return env

    def prepare_roles(self, env: dict[str, str]) -> dict[str, str]:
        """Declare every table as the owner role; the services get the runtime role's URL.

        Embedded PostgreSQL gets both roles here. A server of your own: give
        DATABASE_OWNER_URL and DATABASE_URL (the runtime role), see the README.
        """
        owner_url = env.pop(OWNER_URL_ENV, None) or self.settings.database_owner_url
        runtime_url = env["DATABASE_URL"]
        if self.postgres is not None:
            owner_url, runtime_url = ensure_roles(runtime_url)
        if owner_url:
            run_migrations(owner_url, user_of(runtime_url), env)
        return {**env, "DATABASE_URL": runtime_url}  # never the owner's URL

    def prepare_identity(self, env: Mapping[str, str]) -> None:
        """The service-token key pair and (in development) the demo users, before any
        child starts."""
        from gateway.identity.commands import prepare

        settings = self.settings.model_copy(
            update={"database_url": env["DATABASE_URL"], "baton_data_dir": self.data_dir}
        )
        self.demo_users = prepare(settings)

    def start(self, timeout: float = 60.0) -> Platform:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        # The fork server imports while the servers start, the roles are declared and the
        # identity prepared: the first children are forked sooner.
        self._start_fork_server()
        try:
            return self._start(timeout)
        except BaseException:
            self._stop_early_fork_server()
            raise

    def _start(self, timeout: float) -> Platform:
        env = {
            # The gateway calls intake from this host and forwards the caller's address,
            # so intake's progress rate limit keys on the real client (see IntakeSettings).
            "INTAKE_TRUSTED_PROXIES": json.dumps([_proxy_address(self.settings.baton_host)]),
            **self.base_env,
            **self.start_servers(),
            "PYTHONUNBUFFERED": "1",
        }
        env = self.prepare_roles(env)
        self.env = env
        self.prepare_identity(env)
        names = self.names
        # Only now: the embedded PostgreSQL's daemon must not become our child.
        if self.forkserver is not None and set_subreaper():
            self._subreaper = True
            names = [FORKSERVER, *names]
        else:
            self._stop_early_fork_server()
            self.forkserver = None
        self.supervisor = Supervisor(
            names, self.spawn, self.data_dir, self.log_dir, extra=self.servers_state
        )
        if self.forkserver is not None and self.forkserver.unusable:
            self.supervisor.retire(FORKSERVER, self.forkserver.unusable)
        # The first start waits for the fork server's imports (once for every child,
        # instead of once in each); a restart never waits, it spawns instead.
        self._fork_wait = timeout
        try:
            self.supervisor.start_all()
        finally:
            self._fork_wait = 0.0
        self.wait_healthy(timeout)
        self.supervisor.watch()
        self.load_demo_history()
        return self

    def _start_fork_server(self) -> None:
        if self.base_env.get(FORKSERVER_ENV, "1") == "0":
            return
        self.forkserver = ForkServer(
            list(dict.fromkeys(module_of(name) for name in self.names)),
            # Its imports read no settings; each child gets its own environment.
            {**self.base_env, "PYTHONUNBUFFERED": "1"},
            self.log_dir / f"{FORKSERVER}.log",
            on_unusable=self._fork_server_unusable,
        )
        self._early_forkserver = self.forkserver.start()

    def _stop_early_fork_server(self) -> None:
        early, self._early_forkserver = self._early_forkserver, None
        if early is not None and early.poll() is None:
            early.kill()
            early.wait()

    def spawn(self, name: str) -> Process:
        """Start one child process (first start and every restart): forked by the fork
        server when it is ready, else a new interpreter."""
        if name == FORKSERVER and self.forkserver is not None:
            early, self._early_forkserver = self._early_forkserver, None
            return early if early is not None else self.forkserver.start()
        if self.forkserver is not None:
            forked = self.forkserver.spawn(
                name,
                module_of(name),
                self.env_of(name),
                self.log_dir / f"{name}.log",
                wait=self._fork_wait,
            )
            if forked is not None:
                return forked
        if name not in self._logs:
            # closed in stop()
            self._logs[name] = open(self.log_dir / f"{name}.log", "ab")  # noqa: SIM115
        return subprocess.Popen(
            # The name last, so that `ps` (and the chaos harness) tell replicas apart.
            [sys.executable, "-m", module_of(name), name],
            env=self.env_of(name),
            stdout=self._logs[name],
            stderr=subprocess.STDOUT,
            # Ctrl-C reaches us; we stop the children in order (see forkserver._become).
            process_group=0,
            preexec_fn=_die_with_parent,
        )

    def _fork_server_unusable(self, why: str) -> None:
        """Every child is spawned from now on; the fork server is not started again."""
        if self.supervisor is not None:
            self.supervisor.retire(FORKSERVER, why)

    def servers_state(self) -> dict[str, object]:
        """What the state file says about the embedded servers and the namespace."""
        return {
            "namespace": self.settings.baton_namespace,
            "kafka_bootstrap_servers": self.env.get("KAFKA_BOOTSTRAP_SERVERS"),
            "broker_pid": self.broker.pid if self.broker is not None else None,
            "postgres_data": str(self.postgres.data_dir) if self.postgres is not None else None,
            "ports": {name: self.url_of(name) for name in self.names if serves_http(name)},
            "replicas": {
                name: self.replica_of(name)
                for name in self.names
                if split_name(name)[0] in REPLICATED
            },
        }

    def replica_of(self, name: str) -> dict[str, object]:
        """Which replica `name` is and the partitions of each topic it consumes."""
        service, index = split_name(name)
        replica = Replica(index, self.replicas)
        every = range(self.settings.topic_partitions)
        return {
            "service": service,
            "index": index,
            "count": self.replicas,
            "partitions": [p for p in every if replica.owns(p)],
        }

    def load_demo_history(self) -> bool:
        """In development, the demo history 演示数据 into empty stores, once, through the
        import path while the services run (BATON_DEMO_HISTORY=0 starts empty)."""
        from deploy.import_cli import load_demo_once

        settings = self.settings.model_copy(
            update={"database_url": self.env["DATABASE_URL"], "baton_data_dir": self.data_dir}
        )
        return load_demo_once(settings)

    def wait_healthy(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        pending = dict.fromkeys(self.names)
        while pending and time.monotonic() < deadline:
            for name in list(pending):
                child = self.children[name]
                if child.poll() is not None:
                    raise RuntimeError(
                        f"{name} exited with {child.returncode}; see {self.log_dir / name}.log"
                    )
                if not serves_http(name):
                    pending.pop(name)
                    continue
                try:
                    url = self.url_of(name) + "/healthz"
                    if httpx.get(url, timeout=1.0).status_code == 200:
                        pending.pop(name)
                except httpx.HTTPError:
                    pass
            time.sleep(0.2)
        if pending:
            raise TimeoutError(f"not healthy after {timeout} s: {', '.join(pending)}")

    def stop(self, timeout: float = 8.0) -> None:
        if self.supervisor is not None:
            self.supervisor.stop_all(timeout)
            self.supervisor = None
        self._stop_early_fork_server()
        if self.forkserver is not None:
            self.forkserver.close()
            self.forkserver = None
        if self._subreaper:
            set_subreaper(False)
            self._subreaper = False
        if self.broker is not None:
            self.broker.stop()
        if self.postgres is not None:
            self.postgres.stop()
        for log in self._logs.values():
            log.close()
        self._logs.clear()


def up(replicas: int | None = None) -> int:
    settings = Settings()
    try:
        platform = Platform(settings, replicas=replicas)
    except ValueError as exc:
        print(f"baton up failed: {exc}", file=sys.stderr)
        return 2
    stopping = threading.Event()

    def on_signal(signum: int, frame: object) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    started = time.monotonic()
    try:
        platform.start()
        if not settings.is_production:
            from gateway.identity.commands import demo_users_path

            print(f"Demo accounts 演示账号: {demo_users_path()}")
        print(f"Baton is up in {time.monotonic() - started:.1f} s: {platform.gateway_url}/")
        print(f"GraphQL: {platform.gateway_url}/graphql   logs: {platform.log_dir}")
        print("Ctrl-C stops everything.", flush=True)
        while not stopping.wait(1.0):
            pass  # the supervisor restarts children that die; only a signal stops us
    except (RuntimeError, TimeoutError, ValueError, DomainError) as exc:
        print(f"baton up failed: {exc}", file=sys.stderr)
        platform.stop()
        return 1
    print("stopping…", flush=True)
    platform.stop()
    print("stopped.", flush=True)
    return 0
