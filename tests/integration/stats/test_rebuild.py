"""`baton rebuild stats`: the read models rebuilt from the real event stores give the same
numbers and rows as the live consumer did, and the consumer resumes exactly once after."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from domain.handling import Handling
from domain.petition import Petition, ReportDescription, ReportedPerson
from infra.eventstore import service_store
from infra.inmemory import InMemorySystem
from infra.reference_data import load_org_tree
from infra.relay import decode_stored, envelope_for
from infra.settings import Settings
from services.stats.application import StatsApplication
from services.stats.handlers import HANDLERS_BY_SOURCE
from services.stats.rebuild import (
    projected_envelope,
    read_store,
    rebuild,
    rebuild_from_settings,
)
from tests.actors import staff

pytestmark = pytest.mark.integration

TREE = load_org_tree()
CHINA = dt.timezone(dt.timedelta(hours=8))
ORGANS = ["620102", "6201", "620102001", "62Z01", "330683"]
LATE = dt.datetime.now(CHINA) + dt.timedelta(days=1)
TOPICS = {"intake": "intake.events", "routing": "routing.events"}


class Platform:
    """Intake and routing stores on PostgreSQL, relayed in-process to a stats app."""

    def __init__(self, database_url: str, namespace: str) -> None:
        # Named as the services name their stores, as `baton rebuild stats` reads them.
        self.intake = service_store("intake", database_url, f"{namespace}intake")
        self.routing = service_store("routing", database_url, f"{namespace}routing")
        self.stats = StatsApplication(database_url, f"{namespace}stats", tree=TREE)
        self.system = InMemorySystem()
        self.system.publish(self.intake)
        self.system.publish(self.routing)
        self.system.subscribe("intake", self.stats.handle)
        self.system.subscribe("routing", self.stats.handle)
        self.first: Petition | None = None

    def story(self, n: int) -> None:
        """One case's life, varied by n: screened four ways, handled, moved down, concluded."""
        organ = ORGANS[n % len(ORGANS)]
        received = dt.datetime(2025, 1 + n % 12, 1 + n % 28, 9, tzinfo=CHINA)
        at = received + dt.timedelta(hours=2)
        petition = Petition.register(
            organ_code=organ,
            actor="clerk",
            registration_number=f"{organ}-2025-{n:06d}",
            registered_at=at,
            description=ReportDescription.create(
                channel=["letter", "visit", "web", "phone"][n % 4],
                received_at=received,
                registered_at=at,
                summary=f"反映问题 {n}",
                visitors=1 + n % 3 if n % 4 == 1 else 1,
                reported_persons=[ReportedPerson.create("某", cadre_level="county_managed")],
                categories=["integrity_discipline"] if n % 2 else [],
                key_fields=["poverty_alleviation"] if n % 3 == 0 else [],
            ),
        )
        clerk = staff("clerk", organ, "petition", "petition_clerk")
        screen = n % 5
        if screen == 0:
            petition.divert("人社局", "劳动争议", actor="clerk", at=at)
        elif screen == 1:
            petition.propose_not_accept("无实质内容", actor=clerk, at=at)
            leader = staff("leader", organ, "petition", "leader")
            petition.approve_not_accept(actor=leader, at=at)
        elif screen == 2 and self.first is not None:
            petition.link_as_repeat(self.first, "同一问题", actor="clerk", at=at)
        elif screen != 4:
            petition.accept("accusation", actor="clerk", at=at)
        self.intake.save(petition)
        if petition.stage == "accepted":
            self.first = self.first or petition
            self._handle(petition, organ, n, at)

    def _handle(self, petition: Petition, organ: str, n: int, at: dt.datetime) -> None:
        handling = Handling.open(petition.id, organ, "clerk", "accusation", at=at)
        clerk = staff("clerk", organ, "petition")
        children = TREE.children(organ)
        if n % 3 == 0 and children:
            target = children[0].code
            transfer = handling.propose_transfer(
                clerk, "forward_down", "属地管理", TREE, at=at, to_organ=target,
                to_office="petition",
            )  # fmt: skip
            leader = staff("leader", organ, "petition", "leader")
            handling.approve_transfer(leader, transfer, at=at)
            handling.dispatch_transfer(clerk, transfer, TREE, at=at)
            clerk = staff("clerk", target, "petition")
            handling.receive_transfer(clerk, transfer, at=at)
        if n % 7 != 6:
            handling.decide_disposal(clerk, "preliminary_verification", "初核", at=at)
            handling.conclude(clerk, "party_sanction", "true", "查实", at=at)
            handling.record_feedback(clerk, "phone", "已告知", "satisfied", at=at)
        self.routing.save(handling)

    def close(self) -> None:
        self.stats.close()
        self.intake.close()
        self.routing.close()


@pytest.fixture
def platform(database_url: str) -> Iterator[Platform]:
    running = Platform(database_url, f"r{uuid.uuid4().hex[:8]}_")
    yield running
    running.close()


def answers(stats: StatsApplication) -> list[Any]:
    start, end = dt.date(2025, 1, 1), dt.date(2025, 12, 31)
    return [
        stats.case_statistics("62", start, end, ["CHANNEL", "SCOPE", "OUTCOME"]),
        stats.case_statistics("6201", start, end, ["SUBORDINATE", "MONTH", "KEY_FIELD"]),
        stats.case_statistics("62", start, end, ["FIRST_OR_REPEAT"], as_of=LATE),
        stats.subordinate_status("62", start, end),
        stats.subordinate_status("620102", start, end),
    ]


def rows(stats: StatsApplication) -> dict[str, list[Any]]:
    with stats.pool.connection() as conn:
        return {
            table: sorted(conn.execute(f"SELECT * FROM {table}").fetchall(), key=repr)
            for table in (
                "case_fact",
                "intake_history",
                "routing_history",
                "month_cube",
                "subtree_cube",
                "tracking",
            )
        }


def test_a_rebuild_gives_the_same_numbers_and_rows_as_the_live_consumer(platform):
    for n in range(60):
        platform.story(n)
    delivered = platform.system.run()
    live_answers, live_rows = answers(platform.stats), rows(platform.stats)
    in_gansu = sum(ORGANS[n % len(ORGANS)].startswith("62") for n in range(60))
    assert live_answers[0]["total"] == in_gansu == 48
    assert sum(unit["received"] for unit in live_answers[3]["units"]) == in_gansu

    report = rebuild(
        platform.stats,
        {"intake": platform.intake, "routing": platform.routing},
        TOPICS,
        partitions=1,
    )
    # The rebuild reads every event and applies those stats has a handler for.
    handled = [
        e
        for source in ("intake", "routing")
        for e in platform.system.published(source)
        if e.type in HANDLERS_BY_SOURCE[source]
    ]
    assert delivered > len(handled) > 0
    assert report.events == len(handled)
    assert report.cases == 60
    assert answers(platform.stats) == live_answers
    assert rows(platform.stats) == live_rows

    # The consumer resumes after the rebuild: old events change nothing, new ones count.
    old = platform.system.published("intake")[0]
    platform.stats.handle(old, "intake.events#0")
    for n in range(60, 65):
        platform.story(n)
    platform.system.run()
    assert (
        platform.stats.case_statistics("62", dt.date(2025, 1, 1), dt.date(2025, 12, 31), [])[
            "total"
        ]
        == 48 + 4
    )


def test_a_rebuild_in_worker_processes_gives_the_live_consumer_s_rows(platform):
    """Each forked worker folds a share of the cases; together they give what one
    process gives and what the live consumer holds."""
    for n in range(60):
        platform.story(n)
    platform.system.run()
    live_answers, live_rows = answers(platform.stats), rows(platform.stats)
    seen: list[tuple[str, int, int]] = []
    stores = {"intake": platform.intake, "routing": platform.routing}
    single = rebuild(platform.stats, stores, TOPICS, partitions=1, workers=1)
    assert rows(platform.stats) == live_rows
    shared = rebuild(
        platform.stats, stores, TOPICS, partitions=1, workers=3,
        progress=lambda *at: seen.append(at),
    )
    assert (shared.events, shared.cases) == (single.events, single.cases) == (shared.events, 60)
    assert answers(platform.stats) == live_answers
    assert rows(platform.stats) == live_rows
    # The bar ends at each store's last notification.
    assert {(s, p) for s, p, last in seen if p == last} == {
        ("intake", platform.intake.recorder.max_notification_id()),
        ("routing", platform.routing.recorder.max_notification_id()),
    }


def test_the_command_rebuilds_a_namespace_with_its_progress_bar(platform, database_url, capsys):
    for n in range(12):
        platform.story(n)
    platform.system.run()
    before = answers(platform.stats)
    namespace = platform.intake.schema.removesuffix("intake")
    settings = Settings(database_url=database_url, baton_namespace=namespace)
    report = rebuild_from_settings(settings)
    assert report.cases == 12 and report.events > 12
    # The live tracking names carry the namespace's topics, one per partition.
    with platform.stats.pool.connection() as conn:
        names = {name for (name,) in conn.execute("SELECT name FROM tracking")}
    assert f"{namespace}intake.events#0" in names
    # Intake, routing and supervision: each topic's partitions resume after the rebuild.
    assert len(names) == 3 * settings.topic_partitions
    assert f"{namespace}supervision.events#0" in names
    assert answers(platform.stats) == before
    assert "events/s" in capsys.readouterr().out


def test_intake_and_routing_consumers_meeting_on_new_cases_keep_the_roll_up_exact(database_url):
    import threading

    from services.stats import rollup

    from .history import HistoryBuilder

    stats = StatsApplication(database_url, f"t_{uuid.uuid4().hex[:12]}", tree=TREE)
    builder = HistoryBuilder(TREE, seed=31)
    start = dt.datetime(2025, 5, 1, tzinfo=CHINA)
    cases = [builder.case(start, 20) for _ in range(150)]
    streams = {
        source: [e for case in cases for e in case.events if e.source == source]
        for source in ("intake", "routing")
    }
    failures: list[BaseException] = []

    def consume(source: str) -> None:
        try:
            for envelope in streams[source]:
                stats.handle(envelope, f"{source}.events#0")
        except BaseException as exc:  # reported below, not lost in the thread
            failures.append(exc)

    threads = [threading.Thread(target=consume, args=(s,)) for s in streams]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures
    live = rows(stats)
    with stats.pool.connection() as conn:
        rollup.rebuild(conn)
    rebuilt = rows(stats)
    assert rebuilt["month_cube"] == live["month_cube"]
    assert rebuilt["subtree_cube"] == live["subtree_cube"]
    assert stats.case_count() == 150
    stats.close()


def test_baton_rebuild_stats_runs_from_the_command_line(
    platform, database_url, monkeypatch, capsys
):
    from deploy.cli import main
    from infra.settings import get_settings

    for n in range(5):
        platform.story(n)
    namespace = platform.intake.schema.removesuffix("intake")
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("BATON_NAMESPACE", namespace)
    get_settings.cache_clear()
    try:
        assert main(["rebuild", "stats"]) == 0
    finally:
        get_settings.cache_clear()
    assert "stats rebuilt: " in capsys.readouterr().out
    # Nothing was relayed: the rebuild alone brought the cases in.
    assert platform.stats.case_count() == 5
    get_settings.cache_clear()
    try:
        assert main(["rebuild", "stats", "--workers", "2"]) == 0
    finally:
        get_settings.cache_clear()
    assert platform.stats.case_count() == 5
    with pytest.raises(SystemExit):
        main(["rebuild", "everything"])


def test_the_rebuild_reads_each_event_as_the_relay_publishes_it(platform):
    """`read_store` (the log read straight into envelopes) gives the relay's `envelope_for`
    less the event id, event by event, for every event a handler takes."""
    for n in range(20):
        platform.story(n)
    compared = 0
    for app in (platform.intake, platform.routing):
        last = app.recorder.max_notification_id()
        relayed = [
            dataclasses.replace(envelope_for(app.service, n, decode_stored(app, n)[0]), event_id="")
            for n in app.recorder.select_notifications(start=1, limit=1000)
            if n.topic.rpartition(":")[2] in HANDLERS_BY_SOURCE[app.service]
        ]
        positions: list[int] = []
        assert list(read_store(app, last, positions.append)) == relayed
        assert positions[-1] <= last
        for notification in app.recorder.select_notifications(start=1, limit=5):
            state, _ = decode_stored(app, notification)
            assert projected_envelope(app.service, notification, state) == dataclasses.replace(
                envelope_for(app.service, notification, dict(state)), event_id=""
            )
        compared += len(relayed)
    assert compared > 40


def test_a_value_of_another_stored_type_goes_the_relay_s_way(platform, monkeypatch):
    """A typed value without a shortcut (here: every datetime) is decoded by the store's
    transcoder, and the envelope is the same."""
    from services.stats import logreader

    for n in range(5):
        platform.story(n)
    app = platform.intake
    fast = list(read_store(app, app.recorder.max_notification_id(), lambda _: None))
    monkeypatch.delitem(logreader._JSON_SAFE, "datetime_iso")
    slow = list(read_store(app, app.recorder.max_notification_id(), lambda _: None))
    assert slow == fast and len(fast) >= 5


def test_a_store_made_before_the_subtree_roll_up_gets_it_filled_on_start(platform):
    """Stats filled before `subtree_cube` existed: the next start fills it from `month_cube`."""
    for n in range(30):
        platform.story(n)
    platform.system.run()
    before, figures = rows(platform.stats), answers(platform.stats)
    assert before["subtree_cube"]
    with platform.stats.pool.connection() as conn:
        conn.execute("TRUNCATE subtree_cube")
    assert not rows(platform.stats)["subtree_cube"]
    restarted = StatsApplication(platform.stats.database_url, platform.stats.schema, tree=TREE)
    try:
        assert rows(restarted)["subtree_cube"] == before["subtree_cube"]
        assert answers(restarted) == figures
    finally:
        restarted.close()
