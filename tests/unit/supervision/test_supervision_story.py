"""Intake, routing and supervision wired in one process with their real applications: the
clocks a case runs against, opened and met by the real upstream events."""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from domain.guards import CHINA_TZ
from domain.petition import ReporterIdentity
from infra.inmemory import InMemorySystem
from services.intake.application import IntakeApplication
from services.intake.attachments import AttachmentStore
from services.intake.sealing import Sealer
from services.routing.application import RoutingApplication
from services.supervision import queries
from services.supervision.application import SupervisionApplication
from services.supervision.scheduler import tick
from tests.unit.routing.orgs import CITY, COUNTY, clerk, handler, leader, org_tree

T0 = datetime(2026, 9, 21, 9, 0, tzinfo=CHINA_TZ)


class Wired:
    def __init__(self, tmp_path: Path) -> None:
        self.now = T0
        clock = lambda: self.now  # noqa: E731
        self.intake = IntakeApplication(
            sealer=Sealer(os.urandom(32)), org_tree=org_tree(),
            attachments=AttachmentStore(tmp_path / "files", key=bytes(32), max_bytes=1000),
            clock=clock,
            min_answer_seconds=0)
        self.routing = RoutingApplication(org_tree())
        self.supervision = SupervisionApplication(org_tree(), clock=clock)
        self.system = InMemorySystem()
        for app in (self.intake, self.routing, self.supervision):
            self.system.publish(app)
        self.system.subscribe("intake", self.routing.handle)
        self.system.subscribe("routing", self.intake.handle_routing_event)
        self.system.subscribe("intake", self.supervision.handle)
        self.system.subscribe("routing", self.supervision.handle)

    def register(self, organ: str, real_name: bool = True) -> Any:
        reporter = ReporterIdentity.create("张三", "11010519491231002X", "13800138000") \
            if real_name else None
        return self.intake.register(organ_code=organ, actor=clerk(organ), channel="letter",
                                    summary="反映某局长违规收受礼金", received_at=self.now,
                                    reporter=reporter,
                                    reported_persons=[{"name": "王某",
                                                       "cadre_level": "county_managed"}])

    def deadlines(self, case_id: Any) -> dict[str, dict[str, Any]]:
        self.system.run()
        rows = queries.case_deadlines(self.supervision, str(case_id))
        return {f"{r['kind']}:{r['ref'] or ''}": r for r in rows}


@pytest.fixture
def wired(tmp_path: Path) -> Wired:
    return Wired(tmp_path)


def test_a_corrected_receipt_time_moves_the_acceptance_notice(wired: Wired) -> None:
    case = wired.register(COUNTY)
    assert wired.deadlines(case.case_id)["acceptance_notice:"]["due"] == "2026-10-19"
    wired.intake.correct(case.case_id, "收件时间登记有误",
                         {"received_at": T0 - timedelta(days=7)}, actor=clerk(COUNTY))
    moved = wired.deadlines(case.case_id)["acceptance_notice:"]
    assert moved["opened_on"] == "2026-09-14" and moved["due"] == "2026-10-10"
    assert moved["history"][-1]["event"] == "rebased"


def test_acceptance_notice_opens_for_real_name_only_and_is_met_late(wired: Wired) -> None:
    named = wired.register(COUNTY)
    anonymous = wired.register(COUNTY, real_name=False)
    diverted = wired.register(COUNTY)
    wired.intake.accept(named.case_id, "accusation", actor=clerk(COUNTY))
    wired.intake.accept(anonymous.case_id, "accusation", actor=clerk(COUNTY))
    wired.intake.divert(diverted.case_id, "县信访局", "不属于纪检监察业务范围", actor=clerk(COUNTY))
    notice = wired.deadlines(named.case_id)["acceptance_notice:"]
    assert notice["due"] == "2026-10-19" and notice["status"] == "open"  # across National Day
    assert wired.deadlines(anonymous.case_id) == {}
    assert wired.deadlines(diverted.case_id)["acceptance_notice:"]["status"] == "cancelled"
    wired.now = datetime(2026, 10, 21, 10, tzinfo=CHINA_TZ)
    wired.intake.notify_acceptance(named.case_id, "phone", None, actor=clerk(COUNTY))
    met = wired.deadlines(named.case_id)["acceptance_notice:"]
    assert (met["status"], met["met_on"], met["days_late"]) == ("met", "2026-10-21", 2)
    assert wired.system.run() == 0


def test_a_supervised_transfer_opens_an_order_and_its_clocks(wired: Wired) -> None:
    case = wired.register(CITY)
    wired.intake.accept(case.case_id, "accusation", actor=clerk(CITY))
    wired.system.run()
    r = wired.routing
    tid = r.propose_transfer(case.case_id, clerk(CITY), "supervise_down", "按管理权限督办",
                             to_organ=COUNTY, to_office="supervision")
    r.approve_transfer(case.case_id, tid, leader(CITY))
    wired.now += timedelta(days=1)
    r.dispatch_transfer(case.case_id, tid, clerk(CITY))
    clocks = wired.deadlines(case.case_id)
    assert clocks[f"level_transfer:{tid}:pass"]["status"] == "met"
    assert clocks[f"level_transfer:{tid}:receive"]["responsible_organ"] == COUNTY
    r.receive_transfer(case.case_id, tid, handler(COUNTY))
    clocks = wired.deadlines(case.case_id)
    assert clocks[f"level_transfer:{tid}:receive"]["status"] == "met"
    handling = clocks[f"handling:{tid}"]
    assert handling["responsible_organ"] == COUNTY and handling["status"] == "open"
    orders = queries.case_orders(wired.supervision, str(case.case_id))
    assert len(orders) == 1 and orders[0]["status"] == "issued"
    assert orders[0]["due"] == handling["due"] and orders[0]["issuer_organ"] == CITY
    assert queries.orders(wired.supervision, CITY, "issued")[0]["order_id"] == \
        orders[0]["order_id"]

    county = handler(COUNTY)
    r.decide_disposal(case.case_id, county, "preliminary_verification", "需要核实")
    r.conclude(case.case_id, county, "not_substantiated", "untrue", "经核实不属实")
    r.report_back(case.case_id, county, "已办结,报请审核")
    clocks = wired.deadlines(case.case_id)
    assert clocks[f"handling:{tid}"]["status"] == "met"
    assert clocks["result_feedback:"]["responsible_organ"] == COUNTY
    r.review(case.case_id, clerk(CITY), True, "同意")
    wired.system.run()
    assert queries.case_orders(wired.supervision, str(case.case_id))[0]["status"] == "closed"
    record = queries.case_record(wired.supervision, str(case.case_id))
    assert record is not None and record["conclusions"][0]["organ"] == COUNTY


def test_the_scheduler_warns_and_lists_overdue_over_the_subtree(wired: Wired) -> None:
    case = wired.register(COUNTY)
    wired.system.run()
    wired.now = datetime(2026, 10, 13, 9, tzinfo=CHINA_TZ)
    assert tick(wired.supervision).warnings[0][1] == "yellow"
    assert queries.warning_counts(wired.supervision, CITY)["yellow"] == 1
    assert queries.warnings(wired.supervision, "620103", None) == []
    wired.now = datetime(2026, 10, 20, 9, tzinfo=CHINA_TZ)
    assert tick(wired.supervision).warnings[0][1] == "red"
    assert tick(wired.supervision).warnings == []
    red = queries.warnings(wired.supervision, COUNTY, "red")
    assert [w["case_id"] for w in red] == [str(case.case_id)]
    assert queries.overdue(wired.supervision, "62")[0]["days_overdue"] == 1
