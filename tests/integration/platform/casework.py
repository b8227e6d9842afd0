"""GraphQL documents and helpers for the casework tests on the running platform."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from .logged_in import StaffClient

REGISTER = """mutation Register($input: RegisterPetitionInput!) {
  registerPetition(input: $input) {
    caseId registrationNumber receiptCode substanceHint { messageZh missing } } }"""

CASE = """query Case($id: ID!) {
  case(id: $id) {
    id registrationNumber stage status summary
    organ { code }
    facts { channel visitors realName reportedPersons { name cadreLevel } categories }
    holder { organCode office since organ { name } }
    custody { kind fromOrganCode toOrganCode by at }
    pendingTransfer { id kind state toOrganCode suggestion { organCode reasonZh } }
    timeline { what who organCode office at source }
    availableActions
  } }"""

ACCEPT = """mutation($id: ID!) { acceptPetition(caseId: $id, reportType: "accusation") {
  id stage } }"""

PROPOSE = """mutation($input: ProposeTransferInput!) {
  proposeTransfer(input: $input) { id pendingTransfer { id state } } }"""


def id_number(body: str = "62010219900101123") -> str:
    """A 17-digit body with its GB 11643 check character."""
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    total = sum(int(d) * w for d, w in zip(body, weights, strict=True))
    return body + "10X98765432"[total % 11]


def registration(organ: str, **extra: Any) -> dict[str, Any]:
    return {
        "organCode": organ,
        "channel": "visit",
        "visitors": 3,
        "summary": "反映某村主任王某某在扶贫资金发放中优亲厚友",
        "fullText": "2025年3月，村主任王某某将扶贫补助发给其亲属，金额约2万元。",
        "receivedAt": dt.datetime.now(dt.UTC).isoformat(),
        "reporter": {"name": "赵六", "idNumber": id_number(), "phone": "13800000000"},
        "reportedPersons": [
            {
                "name": "王某某",
                "unit": "某村委会",
                "position": "主任",
                "cadreLevel": "village_cadre",
            },
            {"name": "李某", "unit": "某村委会", "position": "会计", "cadreLevel": "village_cadre"},
        ],
        "categories": ["integrity_discipline"],
        **extra,
    }


def ok(body: dict) -> dict:
    assert "errors" not in body, body
    return body["data"]


def wait_for(client: StaffClient, case_id: str, check, timeout: float = 15.0) -> dict:
    """Poll `case(id)` until `check(case)` holds (routing learns of cases over Kafka)."""
    deadline = time.monotonic() + timeout
    while True:
        case = ok(client.post(CASE, id=case_id))["case"]
        if check(case) or time.monotonic() > deadline:
            return case
        time.sleep(0.2)
