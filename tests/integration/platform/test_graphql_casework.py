"""Casework through GraphQL on the running platform: registration, screening, a transfer
signed off and receipted, the case page's timeline, and scope."""

from __future__ import annotations

import json

import pytest

from .casework import ACCEPT, CASE, PROPOSE, REGISTER, ok, registration, wait_for

pytestmark = pytest.mark.integration

APPROVE = """mutation($c: ID!, $t: ID!) { approveTransfer(caseId: $c, transferId: $t) {
  pendingTransfer { state } } }"""
DISPATCH = """mutation($c: ID!, $t: ID!) { dispatchTransfer(caseId: $c, transferId: $t) {
  pendingTransfer { state } } }"""
RECEIVE = """mutation($c: ID!, $t: ID!) { receiveTransfer(caseId: $c, transferId: $t) {
  holder { organCode office } } }"""
INBOX = """query { inbox { organCode counts { held incoming awaitingApproval sentElsewhere }
  incoming { case { id registrationNumber } transfer { id kind } }
  sentElsewhere { case { id } holderOrganCode } } }"""
SEARCH = """query($f: CaseFilter, $n: Int!) { cases(filter: $f, first: $n) {
  edges { node { id registrationNumber stage holder { organCode } } }
  pageInfo { hasNextPage endCursor } } }"""


def test_a_township_report_goes_up_to_the_county_signed_off_and_receipted(clients):
    clerk = clients("clerk.620102001")
    registered = ok(clerk.post(REGISTER, input=registration("620102001")))["registerPetition"]
    assert registered["registrationNumber"].startswith("620102001-")
    assert registered["receiptCode"]  # real-name: the code, shown this once
    case_id = registered["caseId"]

    case = ok(clerk.post(CASE, id=case_id))["case"]
    assert case["facts"]["visitors"] == 3 and case["facts"]["realName"] is True
    assert [p["name"] for p in case["facts"]["reportedPersons"]] == ["王某某", "李某"]
    assert case["stage"] == "received"
    assert {"acceptPetition", "divertPetition", "proposeNotAccept"} <= set(case["availableActions"])

    assert ok(clerk.post(ACCEPT, id=case_id))["acceptPetition"]["stage"] == "accepted"
    case = wait_for(clerk, case_id, lambda c: "proposeTransfer" in c["availableActions"])
    assert case["holder"]["organCode"] == "620102001"

    proposed = ok(
        clerk.post(
            PROPOSE,
            input={
                "caseId": case_id,
                "kind": "report_up",
                "reason": "涉及区管干部，报送区纪委",
                "toOrgan": "620102",
                "toOffice": "petition",
            },
        )
    )["proposeTransfer"]
    transfer = proposed["pendingTransfer"]
    assert transfer["state"] == "proposed"

    # A petition clerk cannot sign off; the township leader can.
    refused = clerk.post(APPROVE, c=case_id, t=transfer["id"])
    assert refused["errors"][0]["extensions"]["code"] in ("forbidden", "not_allowed")
    leader = clients("leader.620102001")
    approved = ok(leader.post(APPROVE, c=case_id, t=transfer["id"]))["approveTransfer"]
    assert approved["pendingTransfer"]["state"] == "approved"
    ok(clerk.post(DISPATCH, c=case_id, t=transfer["id"]))

    county = clients("clerk.620102")
    inbox = ok(county.post(INBOX))["inbox"]
    assert case_id in [item["case"]["id"] for item in inbox["incoming"]]
    assert inbox["counts"]["incoming"] == len(inbox["incoming"])
    received = ok(county.post(RECEIVE, c=case_id, t=transfer["id"]))["receiveTransfer"]
    assert received["holder"] == {"organCode": "620102", "office": "petition"}

    # The township follows what it sent until it closes (闭环管理).
    sent = ok(clerk.post(INBOX))["inbox"]["sentElsewhere"]
    assert {"case": {"id": case_id}, "holderOrganCode": "620102"} in sent

    timeline = ok(county.post(CASE, id=case_id))["case"]["timeline"]
    whats = [e["what"] for e in timeline]
    assert len(whats) >= 5, timeline
    moments = [e["at"] for e in timeline]
    assert moments == sorted(moments) or len({m[:19] for m in moments}) >= 1
    people = {e["who"] for e in timeline if e["who"]}
    assert {"clerk.620102001", "leader.620102001", "clerk.620102"} <= people, timeline


def test_a_user_of_an_unrelated_county_sees_none_of_it(clients):
    clerk = clients("clerk.620102001")
    case_id = ok(clerk.post(REGISTER, input=registration("620102001")))["registerPetition"][
        "caseId"
    ]
    outsider = clients("casemanager.330683")
    body = outsider.post(CASE, id=case_id)
    assert body["data"] is None
    # The same answer as for a case that does not exist.
    assert body["errors"][0]["extensions"]["code"] == "petition_unknown"
    missing = outsider.post(CASE, id="0b6f1c7e-2f41-4a55-9d8e-2a3f4b5c6d7e")
    assert missing["errors"][0]["extensions"]["code"] == "petition_unknown"
    inbox = ok(outsider.post(INBOX))["inbox"]
    assert case_id not in json.dumps(inbox)
    found = ok(outsider.post(SEARCH, f={"registrationNumber": "620102001-"}, n=50))["cases"]
    assert found["edges"] == []


def test_search_pages_the_users_scope(clients):
    clerk = clients("clerk.620102001")
    for _ in range(3):
        ok(clerk.post(REGISTER, input=registration("620102001")))
    first = ok(clerk.post(SEARCH, f={"organ": "620102001"}, n=2))["cases"]
    assert len(first["edges"]) == 2 and first["pageInfo"]["hasNextPage"]
    assert all(e["node"]["registrationNumber"].startswith("620102001-") for e in first["edges"])
