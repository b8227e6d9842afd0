"""`baton rebuild supervision`: the index a running supervision follows along its log
equals the one rebuilt from each aggregate's own stream, digest for digest."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from domain.hierarchy import OrgTree
from domain.petition import Petition
from domain.supervision.deadline import CaseDeadline
from infra.eventstore import service_store
from infra.inmemory import InMemorySystem
from services.supervision.application import SupervisionApplication
from services.supervision.main import load_config
from services.supervision.rebuild import compare, digests, followed, replayed
from services.supervision.scheduler import tick

from .stories import story

pytestmark = pytest.mark.integration


@pytest.fixture
def supervision(
    database_url: str, unique_schema: str, org_tree: OrgTree
) -> Iterator[SupervisionApplication]:
    """Supervision following intake's and routing's stores, in `NSsupervision`."""
    namespace = f"{unique_schema}_"
    app = SupervisionApplication(
        org_tree, config=load_config(), database_url=database_url, schema=f"{namespace}supervision"
    )
    intake = service_store("intake", database_url, f"{namespace}intake")
    routing = service_store("routing", database_url, f"{namespace}routing")
    system = InMemorySystem()
    for source in (intake, routing):
        system.publish(source)
        system.subscribe(source.service, app.handle)
    first: Petition | None = None
    for n in range(30):
        petition = story(org_tree, intake, routing, n, first)
        first = first or (petition if petition.stage == "accepted" else None)
    system.run()
    try:
        yield app
    finally:
        for closing in (intake, routing, app):
            closing.close()


def test_the_live_index_equals_its_rebuild(supervision, database_url):
    tick(supervision)  # warnings and reminders of the scheduler, stored like the rest
    supervision.catch_up()
    live = digests(supervision.index)
    assert live.get("CaseDeadline", "/0").rpartition("/")[2] != "0"
    found = compare(database_url, supervision.schema)
    assert found.equal and found.replayed == live
    assert found.aggregates == len(supervision.index.objects)

    # One clock the live copy holds differently shows in its type's digest only.
    clock = next(iter(supervision.index.of_type(CaseDeadline)))
    clock.responsible_organ = "62"
    changed = digests(supervision.index)
    assert changed["CaseDeadline"] != found.replayed["CaseDeadline"]
    assert {k: v for k, v in changed.items() if k != "CaseDeadline"} == {
        k: v for k, v in found.replayed.items() if k != "CaseDeadline"
    }


def test_following_and_replaying_agree_on_a_fresh_reader(supervision, database_url):
    reader = service_store("supervision", database_url, supervision.schema)
    try:
        assert digests(followed(reader)) == digests(replayed(reader))
    finally:
        reader.close()


def test_baton_rebuild_supervision_runs_from_the_command_line(
    supervision, database_url, monkeypatch, capsys
):
    from deploy.cli import main
    from infra.settings import get_settings

    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("BATON_NAMESPACE", supervision.schema.removesuffix("supervision"))
    monkeypatch.setenv("SUPERVISION_URL", "http://127.0.0.1:9")  # no supervision runs here
    get_settings.cache_clear()
    try:
        assert main(["rebuild", "supervision"]) == 0
    finally:
        get_settings.cache_clear()
    out = capsys.readouterr().out
    assert "CaseDeadline" in out and "equal to the index followed" in out
    assert "supervision is not running here" in out


def test_a_running_supervision_shows_and_replaces_its_index(supervision, database_url):
    from fastapi.testclient import TestClient

    from services.supervision.main import create_app
    from tests.actors import staff
    from tests.service_tokens import VERIFIER, bearer

    admin = bearer(staff("admin", "62", "case_management", "administrator"))
    client = TestClient(create_app(supervision, verifier=VERIFIER))
    rebuilt = compare(database_url, supervision.schema).replayed

    shown = client.get("/read-models/digests", headers=admin)
    assert shown.status_code == 200, shown.text
    assert shown.json()["digests"] == rebuilt
    assert shown.json()["position"] == supervision.recorder.max_notification_id()

    handler = bearer(staff("wu", "62", "case_management", "handler"))
    refused = client.get("/read-models/digests", headers=handler)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "read_models_forbidden"
    assert client.post("/read-models/rebuild", headers=handler).status_code == 403

    # A copy the process holds wrongly shows, and a rebuild in the process repairs it.
    clock = next(iter(supervision.index.of_type(CaseDeadline)))
    clock.responsible_organ = "62"
    wrong = client.get("/read-models/digests", headers=admin).json()["digests"]
    assert wrong["CaseDeadline"] != rebuilt["CaseDeadline"]
    replaced = client.post("/read-models/rebuild", headers=admin)
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["digests"] == rebuilt
    assert digests(supervision.index) == rebuilt
