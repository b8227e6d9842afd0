"""A witness keeps only checkpoints signed by the store's service that extend what it kept;
everything else is recorded with its status and never trusted by the verifier."""

from __future__ import annotations

from dataclasses import replace

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from infra.audit.witness import message_for

from .conftest import AuditedStore

pytestmark = pytest.mark.integration


def statuses(store: AuditedStore) -> list[tuple[int, str]]:
    with store.witness.connect() as conn:
        return conn.execute(
            "SELECT size, status FROM audit_witness WHERE store = %s ORDER BY received_at, size",
            (store.schema,),
        ).fetchall()


def test_the_witness_kept_both_checkpoints_as_extensions(audited: AuditedStore):
    assert statuses(audited) == [(5, "first"), (8, "extends")]


def test_forged_forked_and_rolled_back_checkpoints_are_not_trusted(audited: AuditedStore):
    last = audited.checkpointer.last
    assert last is not None
    key = audited.keys.signer("intake")
    forged = replace(last, size=9, root="00" * 32).signed(Ed25519PrivateKey.generate())
    assert audited.witness.receive(message_for(forged, None)) == "bad_signature"
    fork = replace(last, root="11" * 32).signed(key)
    assert audited.witness.receive(message_for(fork, None)) == "fork"
    rollback = replace(last, size=3).signed(key)
    assert audited.witness.receive(message_for(rollback, None)) == "rollback"
    bad_proof = {"prior_size": 8, "proof": audited.checkpointer.tree.consistency(5, 8)}
    grown = replace(last, size=12, root="22" * 32).signed(key)
    assert audited.witness.receive(message_for(grown, bad_proof)) == "fork"
    assert audited.witness.receive(b"not json") == "malformed"
    assert audited.witness.receive(message_for(replace(last, service="stats"), None)) == "own"
    # None of these reaches the verifier: the store still verifies.
    report = audited.verify()
    assert report.ok, report.broken
    assert report.witnessed == 2


def test_a_checkpoint_without_a_proof_is_kept_as_unproven(audited: AuditedStore):
    from ..spine.helpers import register

    register(audited.app, 2, start=20)
    made = audited.checkpointer.checkpoint()
    assert made is not None and made.size == 10
    assert audited.witness.receive(message_for(made, None)) == "unproven"
    assert audited.verify().witnessed == 3


def test_a_witness_on_a_doorbell_keeps_each_checkpoint_rung_of(
    audited: AuditedStore, database_url: str, kafka_bootstrap: str, monkeypatch
):
    import threading
    import time
    import uuid

    import infra.audit.witness as witness_module
    from infra.audit.wiring import CheckpointPublisher
    from infra.doorbell import Doorbell
    from infra.eventstore import connect

    from ..spine.helpers import register

    # No look unasked for an hour: only the publisher's rings bring the checkpoints.
    monkeypatch.setattr(witness_module, "BELL_FALLBACK_SECONDS", 3600.0)
    topic = f"t_{uuid.uuid4().hex[:12]}.checkpoints"
    publish = CheckpointPublisher(
        kafka_bootstrap, topic, lambda: connect(database_url, audited.schema)
    )
    audited.checkpointer.publish = publish
    stop = threading.Event()
    bell = Doorbell(database_url, topic)
    thread = threading.Thread(
        target=audited.witness.run, args=(kafka_bootstrap, topic, stop, bell), daemon=True
    )
    thread.start()
    try:
        for round_, size in ((1, 9), (2, 10)):
            register(audited.app, 1, start=30 + round_)
            made = audited.checkpointer.checkpoint()
            assert made is not None and made.size == size
            deadline = time.monotonic() + 30
            while (size, "extends") not in statuses(audited):
                assert time.monotonic() < deadline, statuses(audited)
                time.sleep(0.1)
    finally:
        stop.set()
        thread.join(10)
        bell.close()
        publish.close()
    assert statuses(audited)[-2:] == [(9, "extends"), (10, "extends")]
