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
