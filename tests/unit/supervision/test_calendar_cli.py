"""`baton calendar publish YEAR FILE.yaml` against a running supervision API."""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from uuid import uuid4

import pytest
import uvicorn
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from deploy.cli import main
from domain.contracts import Envelope, HandlingEvents
from domain.guards import CHINA_TZ
from domain.supervision.order import SupervisionOrder
from infra.embedded import free_port
from infra.settings import get_settings
from services.supervision.application import SupervisionApplication
from services.supervision.main import create_app
from tests.service_tokens import KEY, VERIFIER
from tests.unit.routing.orgs import COUNTY, TOWNSHIP_A, org_tree


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, SupervisionApplication]]:
    # The command signs with the platform's private key: the tests' key here.
    raw = KEY.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    monkeypatch.setenv("BATON_SERVICE_TOKEN_PRIVATE_KEY", base64.b64encode(raw).decode())
    get_settings.cache_clear()
    app = SupervisionApplication(org_tree())
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(app, verifier=VERIFIER), host="127.0.0.1",
                                           port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}", app
    finally:
        server.should_exit = True
        thread.join(5)
        get_settings.cache_clear()


def test_publish_sends_the_file_and_reports_the_new_calendar(
    served: tuple[str, SupervisionApplication], tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    url, app = served
    schedule = tmp_path / "2027.yaml"
    schedule.write_text("year: 2027\nsource: 国办发明电〔2026〕1号\n"
                        "holidays: [2027-01-01, 2027-10-01]\nworkdays: [2027-02-06]\n",
                        encoding="utf-8")
    assert main(["calendar", "publish", "2027", str(schedule), "--url", url]) == 0
    assert '"year": 2027' in capsys.readouterr().out
    assert 2027 in app.calendar.known_years()
    assert main(["calendar", "publish", "2027", str(schedule), "--url", url]) == 1
    assert "calendar_year_known" in capsys.readouterr().out
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text("- not a schedule\n", encoding="utf-8")
    assert main(["calendar", "publish", "2027", str(wrong), "--url", url]) == 2


def test_publishing_by_the_command_recomputes_clocks_and_orders_as_events(
    served: tuple[str, SupervisionApplication], tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    """A supervised transfer received today runs to 2027: provisional until 2027 is
    published, then counted again, each change an event on the deadline and the order."""
    url, app = served
    app.clock = lambda: datetime(2026, 12, 14, 9, tzinfo=CHINA_TZ)
    case = str(uuid4())
    at = app.now().isoformat()
    steps = [
        (HandlingEvents.OPENED, COUNTY, {}),
        (HandlingEvents.TRANSFER_PROPOSED, COUNTY, {
            "transfer_id": "t1", "kind": "supervise_down", "from_organ": COUNTY,
            "to_organ": TOWNSHIP_A, "to_office": "supervision"}),
        (HandlingEvents.TRANSFER_DISPATCHED, COUNTY, {"transfer_id": "t1"}),
        (HandlingEvents.TRANSFER_RECEIVED, TOWNSHIP_A, {"transfer_id": "t1"}),
    ]
    for position, (type_, organ, payload) in enumerate(steps, start=1):
        app.handle(Envelope(event_id=str(uuid4()), type=type_, case_id=case, sequence=position,
                            organ_code=organ, actor="clerk", occurred_at=at, source="routing",
                            payload=payload, notification_id=position), "routing.events#0")
    app.catch_up()
    [order] = app.index.of_case(case, SupervisionOrder)
    clock = app.index.objects[order.deadline_id]
    assert order.provisional and clock.provisional and order.due == clock.due
    assert order.due.year == 2027
    before = order.due  # the index's copies follow the store
    schedule = tmp_path / "2027.yaml"
    schedule.write_text("year: 2027\nholidays: [2027-01-01, 2027-01-04, 2027-01-05]\n"
                        "workdays: []\n", encoding="utf-8")
    assert main(["calendar", "publish", "2027", str(schedule), "--url", url]) == 0
    out = capsys.readouterr().out
    assert '"recomputed": 1' in out and '"orders_recomputed": 1' in out
    fresh_order = app.repository.get(order.id)
    fresh_clock = app.repository.get(clock.id)
    assert not fresh_order.provisional and not fresh_clock.provisional
    assert fresh_order.due == fresh_clock.due > before
    for aggregate, name in ((order.id, "SupervisionOrder.Recomputed"),
                            (clock.id, "CaseDeadline.Recomputed")):
        last = list(app.repository.event_store.get(aggregate))[-1]
        assert type(last).__qualname__ == name
        assert last.previous_due == before.isoformat() and last.actor == "baton-cli"
