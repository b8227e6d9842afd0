"""Every case mutation's bad input: a stable code, both messages and the field, never a
500 and never `internal_error` (through the gateway to the real services)."""

from __future__ import annotations

import pytest

from .casework import REGISTER, ok, registration
from .logged_in import StaffClient

pytestmark = pytest.mark.integration

UNKNOWN = "0b6f1c7e-2f41-4a55-9d8e-2a3f4b5c6d7e"
T = "3c0ffee0-0000-4000-8000-000000000001"

# name, arguments (with $c the case id), whether the case id is the only id checked.
MUTATIONS = {
    "acceptPetition": 'reportType: "accusation"',
    "divertPetition": 'department: "法院", explanation: "属诉讼事项"',
    "proposeNotAccept": 'reason: "无实质内容"',
    "approveNotAccept": "",
    "rejectNotAccept": 'reason: "有实质内容"',
    "checkRealName": 'method: "by_phone"',
    "linkRepeat": f'firstCaseId: "{UNKNOWN}", reason: "同一问题"',
    "notifyAcceptance": 'method: "sms"',
    "approveTransfer": f'transferId: "{T}"',
    "dispatchTransfer": f'transferId: "{T}"',
    "receiveTransfer": f'transferId: "{T}"',
    "refuseTransfer": f'transferId: "{T}", reason: "不属本级管辖"',
    "withdrawTransfer": f'transferId: "{T}", reason: "撤回"',
    "decideDisposal": 'mode: "inquiry", reason: "谈话函询"',
    "concludeCase": 'outcome: "case_filed", substantiation: "true", findings: "属实"',
    "reportBack": 'summary: "已办结"',
    "reviewResult": "accept: true",
    "recordFeedback": 'method: "phone", content: "已告知"',
    "confirmFiveInPlace": 'items: ["investigation"]',
    "archiveCase": "",
}


def mutation(name: str, case_id: str, arguments: str) -> str:
    given = f'caseId: "{case_id}"' + (f", {arguments}" if arguments else "")
    return f"mutation {{ {name}({given}) {{ id }} }}"


def refusal(body: dict) -> dict:
    assert body.get("data") is None, body
    [error] = body["errors"]
    extensions = error["extensions"]
    assert extensions["message_zh"] and extensions["message_en"], body
    assert extensions["code"] not in ("internal_error", "service_failed"), body
    return extensions


@pytest.fixture(scope="module")
def clerk(platform):
    client = StaffClient(platform.gateway_url, "clerk.620102")
    yield client
    client.close()


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_a_malformed_case_id_is_refused_at_its_field(clerk, name):
    extensions = refusal(clerk.post(mutation(name, "not-a-case", MUTATIONS[name])))
    assert extensions["code"] == "case_id_invalid"
    assert extensions["field"] == "caseId"


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_an_unknown_case_is_a_coded_refusal(clerk, name):
    extensions = refusal(clerk.post(mutation(name, UNKNOWN, MUTATIONS[name])))
    assert extensions["code"] != "case_id_invalid"


def test_bad_values_name_their_field(clerk):
    case_id = ok(clerk.post(REGISTER, input=registration("620102")))["registerPetition"]["caseId"]
    for name, arguments, field in (
        ("acceptPetition", 'reportType: "nonsense"', "reportType"),
        ("divertPetition", 'department: "", explanation: "x"', "department"),
        ("checkRealName", 'method: "telepathy"', "method"),
        ("linkRepeat", 'firstCaseId: "nope", reason: "x"', "firstCaseId"),
    ):
        extensions = refusal(clerk.post(mutation(name, case_id, arguments)))
        assert extensions.get("field", "").startswith(field), (name, extensions)


def test_a_bad_registration_names_its_field(clerk):
    for change, field in (
        ({"channel": "pigeon"}, "channel"),
        ({"summary": ""}, "summary"),
        ({"visitors": 0}, "visitors"),
        ({"reportedPersons": [{"name": "", "cadreLevel": "village_cadre"}]}, "reportedPersons"),
        ({"reporter": {"name": "赵六", "idNumber": "123", "phone": "1"}}, "reporter"),
    ):
        extensions = refusal(clerk.post(REGISTER, input=registration("620102", **change)))
        assert extensions.get("field", "").startswith(field), (change, extensions)
    # Intake names the organ in the code (the form maps `organ_*` to its organ field).
    body = clerk.post(REGISTER, input=registration("620102", organCode="../healthz#"))
    assert refusal(body)["code"] == "organ_unknown"


def test_reveal_and_propose_with_bad_input(clerk):
    extensions = refusal(
        clerk.post('mutation { revealReporter(caseId: "x", purpose: "核实") { name } }')
    )
    assert extensions["field"] == "caseId"
    extensions = refusal(
        clerk.post(
            """mutation($i: ProposeTransferInput!) { proposeTransfer(input: $i) { id } }""",
            i={"caseId": UNKNOWN, "kind": "teleport", "reason": "x"},
        )
    )
    assert extensions["code"]
