"""An office sees a case dispatched to it before it signs for it 待接收: in its inbox's
incoming tray with what the tray shows, and on the case page with the facts its scope
allows (not the reporter); a sibling county sees none of it."""

from __future__ import annotations

import json
import time

import pytest

from .casework import ACCEPT, CASE, PROPOSE, REGISTER, ok, registration, wait_for

pytestmark = pytest.mark.integration

APPROVE = """mutation($c: ID!, $t: ID!) { approveTransfer(caseId: $c, transferId: $t) {
  pendingTransfer { state } } }"""
DISPATCH = """mutation($c: ID!, $t: ID!) { dispatchTransfer(caseId: $c, transferId: $t) {
  pendingTransfer { state } } }"""
# The workbench's query (gateway/web/src/features/inbox/documents.ts), field for field.
INBOX = """query Inbox($office: String) { inbox(office: $office) {
  held { ...F } incoming { ...F } awaitingApproval { ...F } cameBack { ...F } sentElsewhere { ...F }
  counts { held incoming awaitingApproval cameBack sentElsewhere } } }
fragment F on InboxItem { status holderOrganCode holderOffice repeats
  case { id registrationNumber stage
    facts { channel receivedAt summary notAcceptProposal { reason proposedBy proposedAt } }
    holder { since } }
  transfer { id kind state toOrganCode reason proposedBy proposedAt deadline
    target { code name } } }"""
REVEAL = """mutation($id: ID!) { revealReporter(caseId: $id, purpose: "核实身份") { name } }"""


def dispatched_to_the_stationed_unit(clients) -> tuple[str, str, str]:
    """A county's case sent to its stationed unit 派驻机构 and dispatched: the unit is no
    ancestor of the county, so only the transfer puts the case in its sight.
    Returns (case id, registration number, transfer id)."""
    clerk = clients("clerk.620102")
    registered = ok(clerk.post(REGISTER, input=registration("620102")))["registerPetition"]
    case_id = registered["caseId"]
    ok(clerk.post(ACCEPT, id=case_id))
    wait_for(clerk, case_id, lambda c: "proposeTransfer" in c["availableActions"])
    proposal = {
        "caseId": case_id,
        "kind": "to_stationed_unit",
        "reason": "被反映人系区法院干部，由派驻纪检监察组办理",
        "toOrgan": "620102Z01",
        "toOffice": "supervision",
    }
    transfer = ok(clerk.post(PROPOSE, input=proposal))["proposeTransfer"]["pendingTransfer"]
    ok(clients("leader.620102").post(APPROVE, c=case_id, t=transfer["id"]))
    ok(clerk.post(DISPATCH, c=case_id, t=transfer["id"]))
    return case_id, registered["registrationNumber"], transfer["id"]


def test_the_receiving_office_sees_a_dispatched_case_before_it_signs_for_it(clients):
    case_id, number, transfer_id = dispatched_to_the_stationed_unit(clients)
    unit = clients("handler.620102z01")

    inbox = ok(unit.post(INBOX, office="supervision"))["inbox"]
    incoming = [item for item in inbox["incoming"] if item["case"]["id"] == case_id]
    assert len(incoming) == 1, json.dumps(inbox, ensure_ascii=False)
    item = incoming[0]
    assert inbox["counts"]["incoming"] == len(inbox["incoming"])
    assert item["transfer"]["id"] == transfer_id and item["transfer"]["state"] == "dispatched"
    assert item["holderOrganCode"] == "620102"
    # What the tray shows of it: the number, the channel and the summary. Intake learns
    # of the dispatch over the broker, so the facts may follow the tray by a moment.
    deadline = time.monotonic() + 30
    while not item["case"]["registrationNumber"] and time.monotonic() < deadline:
        time.sleep(0.3)
        tray = ok(unit.post(INBOX, office="supervision"))["inbox"]["incoming"]
        item = next(i for i in tray if i["case"]["id"] == case_id)
    assert item["case"]["registrationNumber"] == number
    assert item["case"]["facts"]["channel"] == "visit"
    assert item["case"]["facts"]["summary"] == registration("620102")["summary"]

    # The case page opens, and offers the receipt.
    case = ok(unit.post(CASE, id=case_id))["case"]
    assert case["registrationNumber"] == number
    assert case["facts"]["visitors"] == 3
    assert case["holder"]["organCode"] == "620102"
    assert {"receiveTransfer", "refuseTransfer"} <= set(case["availableActions"])
    # Only what its scope allows: the sealed reporter stays with the holder's petition
    # office, even for the unit's own petition clerk (it sees the case, so 403 not 404).
    refused = clients("clerk.620102z01").post(REVEAL, id=case_id)
    assert refused["data"] is None
    assert refused["errors"][0]["extensions"]["code"] == "forbidden", refused

    # A sibling county sees none of it: not in its inbox, not by id.
    sibling = clients("clerk.620103")
    assert case_id not in json.dumps(ok(sibling.post(INBOX, office="petition")))
    gone = sibling.post(CASE, id=case_id)
    assert gone["data"] is None
    assert gone["errors"][0]["extensions"]["code"] == "petition_unknown"
