"""An attacker with the owner's database access tampers in every way we know; the verifier
names the exact first broken link each time, and the runtime role cannot tamper at all."""

from __future__ import annotations

import json

import psycopg
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from infra.audit.checkpoints import Checkpoint
from infra.audit.leaves import GENESIS_HEAD, leaf_data, leaf_hash, next_head
from infra.audit.merkle import LeafTree

from .conftest import AuditedStore

pytestmark = pytest.mark.integration


def event_at(store: AuditedStore, notification_id: int) -> tuple[str, str]:
    """(case id, event type) of a stored event."""
    with store.as_owner() as conn:
        row = conn.execute(
            f"SELECT originator_id::text, topic FROM {store.events} WHERE notification_id = %s",
            (notification_id,),
        ).fetchone()
    assert row is not None
    return row[0], row[1].rpartition(":")[2]


def rewrite_chain_from(store: AuditedStore, conn: psycopg.Connection, first: int) -> None:
    """Recompute every audit row from `first` on from the (tampered) events."""
    rows = conn.execute(
        f"SELECT a.sequence, e.originator_id::text, e.originator_version, e.topic, e.state "
        f"FROM {store.audit} a JOIN {store.events} e USING (notification_id) ORDER BY a.sequence"
    ).fetchall()
    head = GENESIS_HEAD
    for sequence, case, version, topic, state in rows:
        leaf = leaf_hash(leaf_data(case, version, topic, state))
        head = next_head(head, leaf)
        if sequence >= first:
            conn.execute(
                f"UPDATE {store.audit} SET leaf = %s, head = %s WHERE sequence = %s",
                (leaf, head, sequence),
            )


def test_an_untouched_store_verifies(audited: AuditedStore):
    report = audited.verify()
    assert report.ok, report.broken
    assert (report.events, report.checkpoints, report.witnessed) == (8, 2, 2)


def test_one_changed_byte_of_a_state_is_named(audited: AuditedStore):
    case, kind = event_at(audited, 3)
    with audited.as_owner() as conn:
        conn.execute(
            f"UPDATE {audited.events} SET state = overlay(state placing "
            f"decode(lpad(to_hex((get_byte(state, 10) + 1) % 256), 2, '0'), 'hex') "
            f"from 11 for 1) WHERE notification_id = 3"
        )
    broken = audited.verify().broken
    assert broken is not None
    assert (broken.service, broken.sequence, broken.case_id, broken.event_type) == (
        "intake",
        3,
        case,
        kind,
    )
    assert "differs from its audit leaf" in broken.what


def test_a_changed_topic_is_named(audited: AuditedStore):
    case, kind = event_at(audited, 4)
    with audited.as_owner() as conn:
        conn.execute(
            f"UPDATE {audited.events} SET topic = replace(topic, 'Registered', 'Accepted') "
            "WHERE notification_id = 4"
        )
    broken = audited.verify().broken
    assert broken is not None
    assert (broken.sequence, broken.case_id, broken.event_type) == (4, case, "Petition.Accepted")
    assert kind == "Petition.Registered"


def test_a_changed_version_is_named(audited: AuditedStore):
    case, _ = event_at(audited, 5)
    with audited.as_owner() as conn:
        conn.execute(
            f"UPDATE {audited.events} SET originator_version = 7 WHERE notification_id = 5"
        )
    broken = audited.verify().broken
    assert broken is not None and (broken.sequence, broken.case_id) == (5, case)


def test_a_deleted_event_is_named(audited: AuditedStore):
    with audited.as_owner() as conn:
        conn.execute(f"DELETE FROM {audited.events} WHERE notification_id = 2")
    broken = audited.verify().broken
    assert broken is not None and broken.sequence == 2
    assert "missing" in broken.what


def test_a_deleted_audit_row_is_named(audited: AuditedStore):
    with audited.as_owner() as conn:
        conn.execute(f"DELETE FROM {audited.audit} WHERE sequence = 6")
    broken = audited.verify().broken
    assert broken is not None and broken.sequence == 6
    assert "jumps to 7" in broken.what


def test_two_swapped_rows_are_named(audited: AuditedStore):
    case_two, _ = event_at(audited, 2)
    case_three, _ = event_at(audited, 3)
    with audited.as_owner() as conn:
        for old, new in ((2, -2), (3, 2), (-2, 3)):
            conn.execute(
                f"UPDATE {audited.events} SET notification_id = %s WHERE notification_id = %s",
                (new, old),
            )
    broken = audited.verify().broken
    assert broken is not None
    # Row 2 of the audit now meets the event that was third: its case is named.
    assert (broken.sequence, broken.case_id) == (2, case_three)
    assert case_two != case_three


def test_an_appended_forged_event_is_named(audited: AuditedStore):
    forged = "00000000-0000-4000-8000-000000000001"
    with audited.as_owner() as conn:
        conn.execute(
            f"INSERT INTO {audited.events} (originator_id, originator_version, topic, state) "
            f"SELECT %s, 1, topic, state FROM {audited.events} WHERE notification_id = 1",
            (forged,),
        )
    broken = audited.verify().broken
    assert broken is not None
    assert (broken.sequence, broken.case_id, broken.event_type) == (
        None,
        forged,
        "Petition.Registered",
    )
    assert "no audit row" in broken.what


def test_an_audit_row_rewritten_to_match_breaks_the_next_link(audited: AuditedStore):
    with audited.as_owner() as conn:
        conn.execute(
            f"UPDATE {audited.events} SET state = state || '\\x20'::bytea WHERE notification_id = 4"
        )
        rewrite_chain_from(audited, conn, first=4)
        conn.execute(f"UPDATE {audited.audit} SET head = %s WHERE sequence > 4", (bytes(32),))
    next_case, _ = event_at(audited, 5)
    broken = audited.verify().broken
    assert broken is not None and (broken.sequence, broken.case_id) == (5, next_case)
    assert "chain head differs" in broken.what


def test_a_whole_rewritten_chain_is_caught_by_the_first_checkpoint_it_contradicts(
    audited: AuditedStore,
):
    with audited.as_owner() as conn:
        conn.execute(
            f"UPDATE {audited.events} SET state = state || '\\x20'::bytea WHERE notification_id = 7"
        )
        rewrite_chain_from(audited, conn, first=7)
    broken = audited.verify().broken
    assert broken is not None
    assert broken.sequence == 8 and broken.what.startswith("checkpoint 2:")
    assert "Merkle root differs" in broken.what


def test_a_replaced_last_checkpoint_is_caught(audited: AuditedStore):
    with audited.as_owner() as conn:
        conn.execute(
            f"UPDATE {audited.events} SET state = state || '\\x20'::bytea WHERE notification_id = 7"
        )
        rewrite_chain_from(audited, conn, first=7)
        # The attacker recomputes the last checkpoint but cannot sign it with intake's key.
        tree = LeafTree()
        head = GENESIS_HEAD
        for (leaf,) in conn.execute(f"SELECT leaf FROM {audited.audit} ORDER BY sequence"):
            tree.append_leaf_hash(bytes(leaf))
            head = next_head(head, bytes(leaf))
        row_id, body = conn.execute(
            "SELECT id, body FROM audit_checkpoints ORDER BY id DESC LIMIT 1"
        ).fetchone()
        old = Checkpoint.from_json(body)
        forged = Checkpoint(
            old.service, old.store, tree.size, tree.tree_head().hex(), head.hex(), old.at
        ).signed(Ed25519PrivateKey.generate())
        conn.execute(
            "UPDATE audit_checkpoints SET root = %s, head = %s, body = %s WHERE id = %s",
            (forged.root, forged.head, forged.to_json(), row_id),
        )
    broken = audited.verify().broken
    assert broken is not None and broken.sequence == 8
    assert broken.what.startswith("checkpoint 2:") and "signature does not hold" in broken.what


def test_a_deleted_last_checkpoint_is_caught_by_the_witness(audited: AuditedStore):
    with audited.as_owner() as conn:
        conn.execute(
            f"UPDATE {audited.events} SET state = state || '\\x20'::bytea WHERE notification_id = 7"
        )
        rewrite_chain_from(audited, conn, first=7)
        conn.execute("DELETE FROM audit_checkpoints WHERE size = 8")
    broken = audited.verify().broken
    assert broken is not None and broken.sequence == 8
    assert "witness holds a checkpoint of size 8" in broken.what


def test_the_runtime_role_cannot_update_or_delete_events_or_audit_rows(
    audited: AuditedStore, database_url: str
):
    statements = [
        f"UPDATE {audited.events} SET topic = topic WHERE notification_id = 1",
        f"DELETE FROM {audited.events} WHERE notification_id = 1",
        f"UPDATE {audited.audit} SET head = head WHERE sequence = 1",
        f"DELETE FROM {audited.audit} WHERE sequence = 1",
        f"TRUNCATE {audited.events}",
        "UPDATE audit_checkpoints SET body = body",
        "DELETE FROM audit_checkpoints",
    ]
    for statement in statements:
        with (
            psycopg.connect(database_url, options=f"-c search_path={audited.schema}") as conn,
            pytest.raises(psycopg.errors.InsufficientPrivilege),
        ):
            conn.execute(statement)
    with psycopg.connect(database_url) as conn:
        user = conn.execute("SELECT current_user").fetchone()[0]
    assert user == "baton_runtime"
    assert audited.verify().ok


def test_the_audit_table_is_dense_under_concurrent_writers(audited: AuditedStore):
    import threading

    from ..spine.helpers import register

    threads = [
        threading.Thread(target=register, args=(audited.app, 5), kwargs={"start": 100 + 10 * n})
        for n in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    report = audited.verify()
    assert report.ok, report.broken
    assert report.events == 28
    with audited.as_owner() as conn:
        sequences = [r[0] for r in conn.execute(f"SELECT sequence FROM {audited.audit}")]
    assert sorted(sequences) == list(range(1, 29))
    assert json.dumps(sorted(sequences)) == json.dumps(list(range(1, 29)))


def test_baton_verify_exits_non_zero_naming_the_first_broken_link(audited: AuditedStore, capsys):
    from deploy.cli import main as baton

    assert baton(["verify", "--namespace", audited.namespace, "--quiet"]) == 0
    assert "ok intake: 8 events, 2 checkpoints, 2 witnessed copies" in capsys.readouterr().out
    case, _ = event_at(audited, 3)
    with audited.as_owner() as conn:
        conn.execute(
            f"UPDATE {audited.events} SET state = state || '\\x00'::bytea WHERE notification_id = 3"
        )
    assert baton(["verify", "--namespace", audited.namespace, "--quiet"]) == 1
    out = capsys.readouterr().out
    assert out.startswith(
        f"BROKEN intake ({audited.schema}) sequence 3, case {case}, Petition.Registered: "
    )
