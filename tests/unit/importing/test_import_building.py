"""An imported report is built by the aggregates' own commands at its historical moments,
and intake's consumer of routing's events adds nothing to a case imported as concluded."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from domain.contracts import Envelope, HandlingEvents
from domain.guards import CHINA_TZ
from domain.rules import Rules
from domain.vocabulary import KeyFieldCatalogue
from infra.reference_data import load_org_tree
from services.importing.building import Importers, build, case_id_of
from services.importing.lines import parse_line
from services.intake.references import References
from services.intake.routing_events import RoutingEventHandlers
from services.intake.sidestore import MemorySideStore

REFERENCES = References(load_org_tree(), Rules.default(), KeyFieldCatalogue.default())
NOW = datetime(2026, 12, 3, 12, tzinfo=CHINA_TZ)
RECEIVED = datetime(2025, 3, 1, 9, tzinfo=CHINA_TZ)
CONCLUDED = RECEIVED + timedelta(days=30)


def concluded_line() -> str:
    return json.dumps({
        "source_id": "S1", "organ": "620102", "channel": "web",
        "received_at": RECEIVED.isoformat(), "visitors": 1, "real_name": False,
        "reported_persons": [], "categories": [], "key_fields": [], "summary": "反映问题",
        "screening": {"outcome": "accepted", "type": "accusation"},
        "conclusion": {"disposal": "inquiry", "outcome": "admonishing_talk",
                       "substantiation": "true", "concluded_at": CONCLUDED.isoformat()},
    })


def test_a_concluded_report_is_registered_screened_handled_and_published_in_its_time() -> None:
    report = parse_line(concluded_line(), 1, REFERENCES, NOW)
    case_id = case_id_of("620102", "S1")
    assert case_id == case_id_of("620102", "S1") != case_id_of("6201", "S1")
    built = build(report, case_id, "620102-2025-000001", None, Importers())
    petition, handling = built.petition, built.handling
    assert handling is not None
    events = petition.collect_events()
    assert [type(e).__name__ for e in events] == [
        "Registered", "Accepted", "HandlingStarted", "ResultPublished"]
    assert [e.registered_at for e in events[:1]] == [RECEIVED]
    assert events[1].decided_at == RECEIVED and events[2].started_at == RECEIVED
    assert events[3].concluded_at == CONCLUDED
    assert events[0].imported is True and events[0].source_id == "S1"
    routing = handling.collect_events()
    assert [type(e).__name__ for e in routing] == ["Opened", "DisposalDecided", "Concluded"]
    assert [e.at for e in routing] == [RECEIVED, CONCLUDED, CONCLUDED]
    assert {e.actor for e in events + routing} == {"import"}

    # Intake then consumes routing's Concluded for it: already published, nothing added.
    handlers = RoutingEventHandlers(MemorySideStore(), lambda: NOW)
    envelope = Envelope(
        event_id="e1", type=HandlingEvents.CONCLUDED, case_id=str(case_id), sequence=3,
        organ_code="620102", actor="import", occurred_at=CONCLUDED.isoformat(),
        source="routing", payload={"outcome": "admonishing_talk"},
    )
    assert handlers.handle(envelope, petition) == []
    assert petition.collect_events() == []
