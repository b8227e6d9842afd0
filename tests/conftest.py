"""Shared fixtures: real PostgreSQL and a real Kafka-protocol broker, once per test run.

`DATABASE_URL` and `KAFKA_BOOTSTRAP_SERVERS` point the tests at existing servers;
otherwise the embedded ones are started here and stopped at the end.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from infra.embedded import EmbeddedBroker, EmbeddedPostgres, free_port

from .platforms import platform_of_its_own, started

REPO = Path(__file__).resolve().parent.parent

# Property tests check properties, not speed: a loaded CI machine must not fail them on
# Hypothesis's per-example deadline (speed is measured by `make bench`).
settings.register_profile("baton", deadline=None)
settings.load_profile("baton")


@pytest.fixture(scope="session")
def database_admin_url() -> Iterator[str]:
    """A PostgreSQL server's superuser URL for this test run."""
    if os.environ.get("DATABASE_URL"):
        yield os.environ["DATABASE_URL"]
        return
    # Not under pytest's own temp root: pytest keeps that 0700, and the server runs as an
    # unprivileged user when the tests run as root.
    base = Path(tempfile.mkdtemp(prefix="baton-test-pg-"))
    server = EmbeddedPostgres(base / "data", free_port()).start()
    try:
        yield server.url
    finally:
        server.stop()
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def database_owner_url(database_admin_url: str) -> str:
    """The owner role's URL: schema changes, and the tamper tests' attacker."""
    return _roles(database_admin_url)[0]


@pytest.fixture(scope="session")
def database_url(database_admin_url: str) -> str:
    """The runtime role's URL: what every service in the tests connects as.

    Declarations made as this role go to the owner (DATABASE_OWNER_URL), as in
    development; UPDATE and DELETE on event and audit tables are refused.
    """
    return _roles(database_admin_url)[1]


def _roles(admin_url: str) -> tuple[str, str]:
    from infra.dbroles import OWNER_URL_ENV, ensure_roles

    if os.environ.get("DATABASE_URL") and not os.environ.get(OWNER_URL_ENV):
        return admin_url, admin_url  # an outside server: the URL given is used as is
    if os.environ.get("DATABASE_URL"):
        return os.environ[OWNER_URL_ENV], admin_url
    owner, runtime = ensure_roles(admin_url)
    os.environ[OWNER_URL_ENV] = owner
    return owner, runtime


@pytest.fixture(scope="session", autouse=True)
def _audit_keys(tmp_path_factory: pytest.TempPathFactory) -> None:
    """One development key directory for every relay, consumer and child process."""
    os.environ.setdefault("BATON_AUDIT_KEY_DIR", str(tmp_path_factory.mktemp("audit-keys")))


@pytest.fixture(scope="session")
def kafka_bootstrap(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Kafka-protocol broker for this test run."""
    if os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        yield os.environ["KAFKA_BOOTSTRAP_SERVERS"]
        return
    broker = EmbeddedBroker(free_port(), tmp_path_factory.mktemp("broker") / "broker.log")
    broker.start()
    try:
        yield broker.bootstrap
    finally:
        broker.stop()


@pytest.fixture
def unique_schema() -> str:
    """A schema name no other test uses."""
    return f"t_{uuid.uuid4().hex[:12]}"


@pytest.fixture
def unique_topic() -> str:
    """A topic name no other test uses."""
    return f"t_{uuid.uuid4().hex[:12]}.events"


@pytest.fixture(scope="session")
def platform(
    database_url: str, kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[object]:
    """The whole platform as `baton up` runs it: services and gateway as child processes.

    It gets its own schemas and topics (a namespace) and free ports, so it shares the
    session's database and broker with the other tests without seeing their data.
    """
    platform = platform_of_its_own(
        database_url,
        kafka_bootstrap,
        tmp_path_factory.mktemp("platform"),
        "p",
        env={"AUDIT_CHECKPOINT_SECONDS": "1"},  # checkpoints soon enough for the audit tests
    )
    with started(platform) as running:
        yield running


DEMO_PASSWORD = "baton-demo-2026"  # deploy/data/users.yaml
TEST_PASSWORD = "correct horse battery"


class Staff:
    """Users of one gateway under test, and logging a test client in as one of them."""

    def __init__(self, settings: object) -> None:
        self.settings = settings

    def add(
        self,
        username: str,
        organ: str = "62",
        office: str = "petition",
        roles: tuple[str, ...] = ("petition_clerk",),
        password: str = TEST_PASSWORD,
        totp_secret: str | None = None,
    ) -> object:
        from gateway.identity import open_identity
        from gateway.identity.admin import provision
        from infra.reference_data import load_org_tree

        tree = load_org_tree()
        parts = open_identity(self.settings, tree)  # type: ignore[arg-type]
        try:
            record = {
                "username": username,
                "name": f"测试{username}",
                "organ": organ,
                "office": office,
                "roles": list(roles),
            }
            return provision(
                parts.store, tree, parts.identity, record, password, totp_secret=totp_secret
            )
        finally:
            parts.close()

    @staticmethod
    def login(
        client: object, username: str, password: str = TEST_PASSWORD, totp_code: str | None = None
    ) -> str:
        """Log the client in (it keeps the cookie); the CSRF token for its mutations."""
        body = client.post(  # type: ignore[attr-defined]
            "/graphql",
            json={
                "query": "mutation($u: String!, $p: String!, $t: String) {"
                " login(username: $u, password: $p, totpCode: $t) { csrfToken } }",
                "variables": {"u": username, "p": password, "t": totp_code},
            },
        ).json()
        assert "errors" not in body, body
        return str(body["data"]["login"]["csrfToken"])


@pytest.fixture
def gateway_settings(database_url: str, tmp_path: Path) -> object:
    """Settings for an in-process gateway with its own schemas (no services running)."""
    from infra.settings import Settings

    return Settings(
        database_url=database_url,
        baton_data_dir=tmp_path,
        baton_namespace=f"g{uuid.uuid4().hex[:8]}_",
    )


@pytest.fixture
def staff(gateway_settings: object) -> Staff:
    return Staff(gateway_settings)
