"""`baton rebuild intake`: intake's read models (petition index, handling view, holders)
equal their rebuild from the intake and routing stores, and a rebuild in place repairs
them without the live writers counting anything twice afterwards."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from domain.hierarchy import OrgTree
from domain.petition import Petition
from infra.eventstore import ServiceApplication, service_store
from infra.inmemory import InMemorySystem
from infra.readmodels import table_digests
from services.intake.application import IntakeApplication
from services.intake.index import catch_up_index
from services.intake.rebuild import TABLES, compare, rebuild
from tests.integration.intake.conftest import make_intake

from .stories import story

pytestmark = pytest.mark.integration


@dataclass
class Live:
    intake: IntakeApplication
    routing: ServiceApplication
    system: InMemorySystem
    namespace: str
    first: Petition | None = None
    accepted: int = 0

    def cases(self, tree: OrgTree, numbers: range) -> None:
        for n in numbers:
            petition = story(tree, self.intake, self.routing, n, self.first)
            if petition.stage == "accepted":
                self.accepted += 1
                self.first = self.first or petition
        self.system.run()
        catch_up_index(self.intake, self.intake.side)

    @property
    def schema(self) -> str:
        return f"{self.namespace}intake"

    @property
    def routing_schema(self) -> str:
        return f"{self.namespace}routing"


@pytest.fixture
def live(database_url: str, unique_schema: str, tmp_path: Path) -> Iterator[Live]:
    # Named as a namespace names them, as `baton rebuild intake` reads them.
    namespace = f"{unique_schema}_"
    _, intake, _ = make_intake(database_url, f"{namespace}intake", tmp_path)
    routing = service_store("routing", database_url, f"{namespace}routing")
    system = InMemorySystem()
    system.publish(routing)
    system.subscribe("routing", intake.handle_routing_event)
    yield Live(intake, routing, system, namespace)
    routing.close()
    intake.close()


def counts(digests: dict[str, str]) -> dict[str, int]:
    return {table: int(d.rpartition("/")[2]) for table, d in digests.items()}


def test_the_live_read_models_equal_their_rebuild(live, database_url, database_owner_url, org_tree):
    live.cases(org_tree, range(40))
    found, rebuilt = compare(database_url, live.schema, live.routing_schema)
    assert set(found) == set(TABLES)
    assert found == rebuilt
    sizes = counts(found)
    assert sizes["petition_index"] == 40
    assert sizes["handling_view"] == live.accepted > 5
    # A case moved down is held by two organs.
    assert sizes["case_holders"] > live.accepted

    # A row the live tables lost, or one that says something else, shows in the digests.
    with psycopg.connect(database_owner_url) as conn:
        conn.execute(
            f"DELETE FROM {live.schema}.case_holders WHERE ctid IN "
            f"(SELECT ctid FROM {live.schema}.case_holders LIMIT 1)"
        )
        conn.execute(
            f"UPDATE {live.schema}.petition_index SET row = row || "
            "'{\"stage\": \"received\"}' WHERE row->>'stage' = 'in_handling'"
        )
    found, rebuilt = compare(database_url, live.schema, live.routing_schema)
    assert found["case_holders"] != rebuilt["case_holders"]
    assert found["petition_index"] != rebuilt["petition_index"]
    assert found["handling_view"] == rebuilt["handling_view"]


def test_a_rebuild_in_place_repairs_them_and_the_live_writers_go_on(
    live, database_url, database_owner_url, org_tree
):
    live.cases(org_tree, range(20))
    with psycopg.connect(database_owner_url) as conn:
        for table in TABLES:
            conn.execute(f"DELETE FROM {live.schema}.{table}")
    report = rebuild(database_url, live.schema, live.routing_schema)
    assert report.cases == 20 and report.events > 20
    found, rebuilt = compare(database_url, live.schema, live.routing_schema)
    assert found == rebuilt and counts(found)["petition_index"] == 20
    position = live.intake.recorder.max_notification_id()
    assert live.intake.side.index_position() == position

    # Old routing events again (a redelivery) change nothing; new cases are followed.
    for envelope in live.system.published("routing"):
        live.intake.handle_routing_event(envelope, "again#0")
    with psycopg.connect(database_url) as conn:
        assert table_digests(conn, live.schema, TABLES) == found
    live.cases(org_tree, range(20, 30))
    found, rebuilt = compare(database_url, live.schema, live.routing_schema)
    assert found == rebuilt and counts(found)["petition_index"] == 30


def test_baton_rebuild_intake_runs_from_the_command_line(
    live, database_url, database_owner_url, org_tree, monkeypatch, capsys
):
    from deploy.cli import main
    from infra.settings import get_settings

    live.cases(org_tree, range(5))
    with psycopg.connect(database_owner_url) as conn:
        conn.execute(f"DELETE FROM {live.schema}.petition_index")
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("BATON_NAMESPACE", live.namespace)
    get_settings.cache_clear()
    try:
        assert main(["rebuild", "intake"]) == 0
    finally:
        get_settings.cache_clear()
    assert "intake rebuilt" in capsys.readouterr().out
    found, rebuilt = compare(database_url, live.schema, live.routing_schema)
    assert found == rebuilt and counts(found)["petition_index"] == 5
