"""A stats replica started the way the image and the manifests start it: through the
entrypoint (deploy/file_env.py), in production mode, with every key and the database
password as files, the URL without a password, and its ordinal from the environment. It
becomes ready and consumes exactly its share of a signed topic's partitions."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from deploy.secret_files import make_secrets
from infra.embedded import free_port
from infra.eventstore import ServiceApplication
from infra.relay import Relay
from services.stats.application import StatsApplication

from ..spine.helpers import drain, read_topic, register, wait_until

pytestmark = pytest.mark.integration


def without_password(url: str) -> tuple[str, str]:
    """The URL as the manifests write it, and the password that goes to a file.

    The embedded server trusts local connections and its URLs carry no password; a made-up
    one then shows the file's way into the process (libpq reads PGPASSWORD)."""
    parts = urlsplit(url)
    netloc = f"{parts.username}@{parts.hostname}:{parts.port}"
    return urlunsplit(parts._replace(netloc=netloc)), parts.password or uuid.uuid4().hex


def test_a_replica_started_as_in_a_pod_serves_and_consumes_its_share(
    tmp_path, database_url, kafka_bootstrap
):
    secrets = tmp_path / "secrets"
    make_secrets(secrets)
    url, password = without_password(database_url)
    (secrets / "db_password").write_text(password)
    namespace = f"c{uuid.uuid4().hex[:6]}_"

    # Intake's relay signs with intake's key, as in production; stats checks it.
    intake = ServiceApplication("intake", database_url, schema=f"{namespace}intake")
    seed = base64.b64decode((secrets / "audit_key_intake").read_text())
    relay = Relay(intake, kafka_bootstrap, topic=f"{namespace}intake.events", partitions=4,
                  signer=Ed25519PrivateKey.from_private_bytes(seed))
    relay.start()
    register(intake, 24)
    drain(relay)
    layout: dict[int, set[str]] = {}
    for partition, _, envelope, _ in read_topic(kafka_bootstrap, f"{namespace}intake.events"):
        layout.setdefault(partition, set()).add(envelope.case_id)
    mine = layout.get(1, set()) | layout.get(3, set())
    assert mine and len(mine) < 24

    port = free_port()
    env = {
        **{key: value for key, value in os.environ.items()
           if not key.startswith(("BATON_", "PG", "DATABASE_URL"))},
        "DATABASE_OWNER_URL": os.environ["DATABASE_OWNER_URL"],  # declarations, as migrate
        "BATON_ENV": "production",
        "BATON_HOST": "127.0.0.1",
        "BATON_DATA_DIR": str(tmp_path / "data"),
        "BATON_NAMESPACE": namespace,
        "STATS_PORT": str(port),
        "TOPIC_PARTITIONS": "4",
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "DATABASE_URL": url,
        "PGPASSWORD_FILE": str(secrets / "db_password"),
        "BATON_SERVICE_TOKEN_PUBLIC_KEY_FILE": str(secrets / "service_token_public_key"),
        "BATON_AUDIT_SIGNING_KEY_FILE": str(secrets / "audit_key_stats"),
        "BATON_AUDIT_PUBLIC_KEYS_FILE": str(secrets / "audit_public_keys"),
        "BATON_REPLICA_INDEX": "1",
        "BATON_REPLICA_COUNT": "2",
    }
    log = tmp_path / "stats.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "deploy.file_env", sys.executable, "-m",
             "services.stats.main"],
            env=env, stdout=out, stderr=subprocess.STDOUT,
        )
    try:
        def ready() -> bool:
            assert process.poll() is None, log.read_text()[-3000:]
            try:
                return httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200
            except httpx.TransportError:
                return False

        wait_until(ready, timeout=90, step=0.5)
        # The entrypoint turned each NAME_FILE into NAME before the service started.
        environ = dict(
            item.split(b"=", 1) for item in
            (Path("/proc") / str(process.pid) / "environ").read_bytes().split(b"\0") if item
        )
        assert environ[b"PGPASSWORD"] == password.encode()
        assert environ[b"BATON_AUDIT_SIGNING_KEY"] == (secrets / "audit_key_stats").read_bytes()
        assert not [key for key in environ if key.endswith(b"_FILE")
                    and key.startswith((b"BATON_", b"DATABASE_", b"PG"))]
        stats = StatsApplication(database_url, schema=f"{namespace}stats")

        def counted() -> set[str]:
            with stats.pool.connection() as conn:
                rows = conn.execute("SELECT case_id FROM case_fact WHERE received_on IS NOT NULL")
                return {str(row[0]) for row in rows}

        wait_until(lambda: counted() >= mine, timeout=60, step=0.2)
        time.sleep(2)  # anything of the other replica's partitions would show by now
        assert counted() == mine, log.read_text()[-3000:]
        with stats.pool.connection() as conn:
            quarantined = conn.execute("SELECT count(*) FROM quarantine").fetchone()
        assert quarantined == (0,), "signed with the key the files name"
        stats.close()
    finally:
        process.terminate()
        process.wait(20)
        relay.close()


def test_migrate_runs_as_the_job_runs_it_in_production(tmp_path, database_url, kafka_bootstrap):
    """`baton migrate` through the entrypoint with the Job's files: every process declares
    its tables as the owner, and the runtime role gets its grants."""
    secrets = tmp_path / "secrets"
    make_secrets(secrets)
    runtime_url, _ = without_password(database_url)
    owner_url, owner_password = without_password(os.environ["DATABASE_OWNER_URL"])
    (secrets / "db_owner_password").write_text(owner_password)
    namespace = f"m{uuid.uuid4().hex[:6]}_"
    env = {
        **{key: value for key, value in os.environ.items()
           if not key.startswith(("BATON_", "PG", "DATABASE_"))},
        "BATON_ENV": "production",
        "BATON_DATA_DIR": str(tmp_path / "data"),
        "BATON_NAMESPACE": namespace,
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "DATABASE_URL": runtime_url,
        "DATABASE_OWNER_URL": owner_url,
        "PGPASSWORD_FILE": str(secrets / "db_owner_password"),
        "BATON_IDENTITY_KEY_FILE": str(secrets / "identity_key"),
        "BATON_SERVICE_TOKEN_PRIVATE_KEY_FILE": str(secrets / "service_token_private_key"),
        "BATON_SERVICE_TOKEN_PUBLIC_KEY_FILE": str(secrets / "service_token_public_key"),
        "BATON_AUDIT_SIGNING_KEY_FILE": str(secrets / "audit_key_gateway"),
        "BATON_AUDIT_PUBLIC_KEYS_FILE": str(secrets / "audit_public_keys"),
    }
    baton = str(Path(sys.executable).parent / "baton")
    done = subprocess.run([sys.executable, "-m", "deploy.file_env", baton, "migrate"],
                          env=env, capture_output=True, timeout=300)
    assert done.returncode == 0, done.stdout.decode()[-3000:] + done.stderr.decode()[-3000:]

    import psycopg

    with psycopg.connect(database_url) as conn:
        schemas = {row[0] for row in conn.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE %s", (f"{namespace}%",))}
        assert {f"{namespace}{name}" for name in ("intake", "routing", "supervision", "stats")
                } <= schemas
        owners = {row[0] for row in conn.execute(
            "SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname LIKE %s",
            (f"{namespace}%",))}
        assert owners == {urlsplit(owner_url).username}
        tables, readable = conn.execute(
            "SELECT count(*), bool_and(has_table_privilege(%s, "
            "format('%%I.%%I', schemaname, tablename), 'SELECT')) "
            "FROM pg_tables WHERE schemaname = %s",
            (urlsplit(runtime_url).username, f"{namespace}intake"),
        ).fetchone()
        assert tables > 3 and readable is True
