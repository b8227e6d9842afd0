"""A store with events, two signed checkpoints and a witness's copies, for the audit tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import psycopg
import pytest

from infra.audit.checkpoints import Checkpointer
from infra.audit.keys import AuditKeys
from infra.audit.verify import StoreReport, verify_store, witnessed_checkpoints
from infra.audit.wiring import checkpointer_for, store_reader
from infra.audit.witness import Witness, message_for
from infra.eventstore import ServiceApplication, connect, ensure_schema
from infra.settings import Settings

from ..spine.helpers import register


@dataclass
class AuditedStore:
    """One intake store under test, its evidence, and an attacker's connection."""

    app: ServiceApplication
    schema: str
    keys: AuditKeys
    checkpointer: Checkpointer
    witness: Witness
    owner_url: str
    namespace: str

    @contextmanager
    def as_owner(self) -> Iterator[psycopg.Connection[Any]]:
        """The attacker: the owner role, who can UPDATE and DELETE."""
        with psycopg.connect(self.owner_url, options=f"-c search_path={self.schema}") as conn:
            yield conn

    @property
    def events(self) -> str:
        return self.app.recorder.events_table_name  # type: ignore[attr-defined]

    @property
    def audit(self) -> str:
        return self.app.recorder.audit_table_name  # type: ignore[attr-defined]

    def checkpoint(self) -> None:
        """Sign a checkpoint and hand it to the witness, as the topic would."""
        previous = self.checkpointer.last
        checkpoint = self.checkpointer.checkpoint()
        assert checkpoint is not None
        proof = None
        if previous is not None:
            proof = {
                "prior_size": previous.size,
                "proof": self.checkpointer.tree.consistency(previous.size),
            }
        assert self.witness.receive(message_for(checkpoint, proof)) in ("first", "extends")

    def verify(self) -> StoreReport:
        with psycopg.connect(self.owner_url, autocommit=True) as conn:
            return verify_store(
                conn,
                self.schema,
                "intake",
                self.keys.public_key("intake"),
                witnessed_checkpoints(conn, self.schema, self.namespace),
            )


@pytest.fixture
def audited(
    database_url: str, database_owner_url: str, unique_schema: str
) -> Iterator[AuditedStore]:
    """Eight events in two checkpoints (sizes 5 and 8), witnessed by a `stats` schema."""
    namespace = unique_schema + "_"
    schema = namespace + "intake"
    app = ServiceApplication("intake", database_url, schema=schema)
    # The session's development key dir (BATON_AUDIT_KEY_DIR), which `baton verify` reads.
    settings = Settings(database_url=database_url, kafka_bootstrap_servers=None)
    keys = settings.audit_keys()
    witness_schema = namespace + "stats"
    ensure_schema(database_url, witness_schema)

    @contextmanager
    def witness_connection() -> Iterator[Any]:
        with connect(database_url, witness_schema) as conn:
            yield conn

    store = AuditedStore(
        app=app,
        schema=schema,
        keys=keys,
        checkpointer=checkpointer_for(app, settings),
        witness=Witness("stats", witness_connection, keys.public_key),
        owner_url=database_owner_url,
        namespace=namespace,
    )
    assert store_reader(app).audit_table == store.audit
    register(app, 5)
    store.checkpoint()
    register(app, 3, start=6)
    store.checkpoint()
    try:
        yield store
    finally:
        app.close()
