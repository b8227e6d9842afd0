"""Which handler failures are transient (retried) and which dead-letter a record."""

from __future__ import annotations

import psycopg
from eventsourcing.persistence import IntegrityError, OperationalError
from kafka.errors import KafkaConnectionError, KafkaTimeoutError
from psycopg_pool import PoolTimeout

from domain.errors import InvalidInput
from infra.deadletter import is_transient, reason_of


def test_database_and_broker_faults_are_transient() -> None:
    for fault in (
        psycopg.OperationalError("connection refused"),
        OperationalError("server closed the connection"),
        IntegrityError("duplicate key"),
        PoolTimeout("no connection in 30 s"),
        KafkaConnectionError("broker gone"),
        KafkaTimeoutError(),
        ConnectionResetError(),
    ):
        assert is_transient(fault), fault


def test_a_fault_caused_by_a_transient_one_is_transient() -> None:
    try:
        try:
            raise psycopg.OperationalError("gone")
        except psycopg.OperationalError as exc:
            raise RuntimeError("while applying") from exc
    except RuntimeError as wrapped:
        assert is_transient(wrapped)


def test_data_faults_and_refusals_are_not_transient_and_keep_their_code() -> None:
    refusal = InvalidInput("envelope_unknown_version", "未知版本", "Unknown version")
    assert not is_transient(refusal)
    assert reason_of(refusal) == ("envelope_unknown_version", "未知版本 / Unknown version")
    for fault in (KeyError("organ"), TypeError("missing field"), ValueError("bad date")):
        assert not is_transient(fault)
        code, text = reason_of(fault)
        assert code == "handler_failed" and type(fault).__name__ in text
