"""The audited recorder's one-event insert (one message; one pipeline sync with a
tracking row; the head computed by the server) against real PostgreSQL: the chain it
writes is the one `leaves.next_head` gives, interleaved with the library's multi-event
path and from many threads, and a refused insert leaves neither an event, an audit row,
a tracking row nor a use case's statement behind."""

from __future__ import annotations

import threading
import uuid

import psycopg
import pytest
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import IntegrityError

from infra.audit.leaves import GENESIS_HEAD, leaf_data, leaf_hash, next_head
from infra.eventstore import ServiceApplication
from infra.with_events import with_the_events


class Thing(Aggregate):
    @event("Made")
    def __init__(self, text: str) -> None:
        self.text = text

    @event("Noted")
    def note(self, text: str) -> None:
        self.text = text


@pytest.fixture
def app(database_url: str, unique_schema: str):
    app = ServiceApplication("intake", database_url, schema=unique_schema)
    try:
        yield app
    finally:
        app.close()


def chain_rows(database_url: str, app: ServiceApplication) -> list[tuple]:
    recorder = app.recorder
    with psycopg.connect(database_url) as conn:
        return conn.execute(
            f"SELECT a.sequence, a.notification_id, a.leaf, a.head, e.originator_id,"
            f" e.originator_version, e.topic, e.state"
            f' FROM "{app.schema}".{recorder.audit_table_name} a'  # type: ignore[attr-defined]
            f' JOIN "{app.schema}".{recorder.events_table_name} e'  # type: ignore[attr-defined]
            f" USING (notification_id) ORDER BY a.sequence"
        ).fetchall()


def test_single_and_multi_event_saves_chain_as_next_head_says(database_url, app):
    thing = Thing("一")
    app.save(thing)  # one event: the one-trip path
    thing.note("二")
    thing.note("三")
    app.save(thing)  # two events: the library's path
    other = Thing("四")
    app.save(other)
    thing.note("五")
    app.save(thing)

    rows = chain_rows(database_url, app)
    assert [r[0] for r in rows] == [1, 2, 3, 4, 5]
    head = GENESIS_HEAD
    for _, _, leaf, stored_head, originator_id, version, topic, state in rows:
        expected_leaf = leaf_hash(leaf_data(originator_id, version, topic, bytes(state)))
        assert bytes(leaf) == expected_leaf
        head = next_head(head, expected_leaf)
        assert bytes(stored_head) == head
    # The library returns the ids it stored, in order, on both paths.
    assert [r[1] for r in rows] == sorted(r[1] for r in rows)


def test_a_version_taken_leaves_nothing_behind(database_url, app):
    thing = Thing("一")
    app.save(thing)
    stale = app.repository.get(thing.id)
    thing.note("二")
    app.save(thing)
    stale.note("冲突")
    with pytest.raises(IntegrityError):
        app.save(stale)
    assert len(chain_rows(database_url, app)) == 2
    # The next save chains on from the last committed row.
    thing.note("三")
    app.save(thing)
    assert [r[0] for r in chain_rows(database_url, app)] == [1, 2, 3]


def test_a_refused_use_case_statement_stores_nothing(database_url, app):
    refuse = b"SELECT ('refused by the use case: ' || %(why)s)::int"
    with (
        pytest.raises(Exception, match="refused by the use case"),
        with_the_events(app.schema, refuse, {"why": "test"}),
    ):
        app.save(Thing("不该存"))
    assert chain_rows(database_url, app) == []
    app.save(Thing("可以存"))
    assert [r[0] for r in chain_rows(database_url, app)] == [1]


def test_a_refused_statement_ends_its_transaction_in_the_server(database_url, app, monkeypatch):
    """The message is one implicit transaction: the statement that fails ends it and
    releases the table lock without waiting for this process to send a ROLLBACK."""
    app.save(Thing("先存一个"))  # the connection has its prepared insert
    # What the connection was doing whenever someone asked for a rollback (the pool asks
    # after any failure; on an idle connection it sends nothing).
    rollbacks: list[object] = []
    monkeypatch.setattr(
        psycopg.Connection,
        "rollback",
        lambda conn: rollbacks.append(conn.info.transaction_status),
        raising=True,
    )
    refuse = b"SELECT ('refused by the use case: ' || %(why)s)::int"
    with (
        pytest.raises(Exception, match="refused by the use case"),
        with_the_events(app.schema, refuse, {"why": "test"}),
    ):
        app.save(Thing("不该存"))
    monkeypatch.undo()
    assert set(rollbacks) <= {psycopg.pq.TransactionStatus.IDLE}
    with psycopg.connect(database_url) as conn:
        held = conn.execute(
            "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation"
            " WHERE c.relname = %s AND l.mode = 'ExclusiveLock'",
            (app.recorder.events_table_name,),  # type: ignore[attr-defined]
        ).fetchone()
    assert held == (0,)
    app.save(Thing("可以存"))
    assert [r[0] for r in chain_rows(database_url, app)] == [1, 2]


def test_a_transaction_left_open_on_a_connection_does_not_swallow_a_save(database_url, app):
    """Statements sent into a transaction someone left open would never be committed:
    it is rolled back first (the message opens none of its own)."""
    app.save(Thing("一"))
    (conn,) = app.recorder._prepared_on  # type: ignore[attr-defined]
    conn.execute("BEGIN")  # someone opened a transaction and left it open
    assert conn.info.transaction_status == psycopg.pq.TransactionStatus.INTRANS
    for n in range(app.recorder.datastore.pool.max_size + 1):  # type: ignore[attr-defined]
        app.save(Thing(f"二{n}"))
    assert len(chain_rows(database_url, app)) == app.recorder.datastore.pool.max_size + 2  # type: ignore[attr-defined]


def test_a_tracked_single_event_save_stores_its_tracking_row(database_url, app):
    app.save_tracked("source#0", 7, Thing("追踪"))
    assert app.tracked_position("source#0") == 7
    with pytest.raises(IntegrityError):  # the same position again: refused, nothing stored
        app.save_tracked("source#0", 7, Thing("重复"))
    assert len(chain_rows(database_url, app)) == 1
    assert uuid.UUID(str(chain_rows(database_url, app)[0][4]))


def test_what_the_one_message_carries_is_stored_byte_for_byte(database_url, app):
    """Parameters are quoted by psycopg into the one message: quotes, backslashes,
    statement separators and Chinese come back as they went in, and the chain hashes
    what was stored."""
    awkward = "引号' \"双\" \\反斜杠\\ \x00; COMMIT; -- 注释 $$ %s %(x)s E'\\x'"
    thing = Thing(awkward)
    app.save(thing)
    assert app.repository.get(thing.id).text == awkward
    ((_, _, leaf, head, originator_id, version, topic, state),) = chain_rows(database_url, app)
    assert bytes(leaf) == leaf_hash(leaf_data(originator_id, version, topic, bytes(state)))
    assert bytes(head) == next_head(GENESIS_HEAD, bytes(leaf))


def test_a_use_case_hears_its_statement_is_queued_once_the_message_is_sent(database_url, app):
    """`queued` (the next registration number may be given) is called once per save,
    after the message went out: the statement is in it, and a refused one stores nothing."""
    heard: list[str] = []
    count = b"SELECT count(*) FROM pg_stat_activity WHERE %(why)s <> ''"
    with with_the_events(app.schema, count, {"why": "heard"}, queued=lambda: heard.append("sent")):
        app.save(Thing("一"))
    assert heard == ["sent"]
    refuse = b"SELECT ('refused: ' || %(why)s)::int"
    with (
        pytest.raises(Exception, match="refused: late"),
        with_the_events(app.schema, refuse, {"why": "late"}, queued=lambda: heard.append("sent")),
    ):
        app.save(Thing("二"))
    assert heard == ["sent", "sent"]
    assert len(chain_rows(database_url, app)) == 1
    app.save(Thing("三"))  # the connection the refusal failed on is usable again
    assert [r[0] for r in chain_rows(database_url, app)] == [1, 2]


def test_writers_on_many_threads_keep_the_chain_dense_and_valid(database_url, app):
    def write(k: int) -> None:
        for i in range(20):
            app.save(Thing(f"{k}-{i}"))

    workers = [threading.Thread(target=write, args=(k,)) for k in range(6)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    rows = chain_rows(database_url, app)
    assert [r[0] for r in rows] == list(range(1, 121))
    head = GENESIS_HEAD
    for _, _, leaf, stored_head, *_ in rows:
        head = next_head(head, bytes(leaf))
        assert bytes(stored_head) == head
    assert [r[1] for r in rows] == sorted(r[1] for r in rows)


def test_a_connection_that_lost_the_prepared_insert_prepares_it_again(database_url, app):
    app.save(Thing("一"))
    (lost,) = app.recorder._prepared_on  # type: ignore[attr-defined]
    lost.execute("DEALLOCATE ALL")  # as a reset of the session would (DISCARD ALL)
    # The pool hands its connections out in turn: one of these saves gets the one above.
    for n in range(app.recorder.datastore.pool.max_size + 1):  # type: ignore[attr-defined]
        app.save(Thing(f"二{n}"))
    assert lost.execute("SELECT count(*) AS n FROM pg_prepared_statements").fetchone()["n"] == 1
    rows = chain_rows(database_url, app)
    assert [r[0] for r in rows] == list(range(1, len(rows) + 1))
