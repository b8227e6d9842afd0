"""`draftHints`: the registration page's hints before saving, through the gateway to intake:
the substance hint and repeat candidates in the clerk's scope; bad drafts are coded."""

from __future__ import annotations

import pytest

from .casework import ACCEPT, REGISTER, ok, registration

pytestmark = pytest.mark.integration

HINTS = """query($d: DraftInput!) { draftHints(draft: $d) {
  substanceHint { messageZh messageEn missing }
  repeatCandidates { caseId registrationNumber summary stage reasonZh holderOrganCode } } }"""


def test_a_draft_shows_its_hint_and_the_case_it_may_repeat_before_saving(clients):
    clerk = clients("clerk.620102001")
    person = {"name": "司马建国", "unit": "某街道办事处", "position": "主任"}
    earlier = registration(
        "620102001", reportedPersons=[person], summary="反映司马建国2025年3月收受礼金二万元"
    )
    first = ok(clerk.post(REGISTER, input=earlier))["registerPetition"]
    ok(clerk.post(ACCEPT, id=first["caseId"]))
    draft = {
        "reportedPersons": [{"name": "司马建国", "unit": "某街道办事处"}],
        "categories": ["integrity_discipline"],
        "summary": "反映司马建国有问题",
    }

    hints = ok(clerk.post(HINTS, d=draft))["draftHints"]
    assert hints["substanceHint"]["messageZh"] and hints["substanceHint"]["messageEn"]
    found = {c["caseId"]: c for c in hints["repeatCandidates"]}
    assert first["caseId"] in found, hints
    assert found[first["caseId"]]["registrationNumber"] == first["registrationNumber"]
    assert found[first["caseId"]]["holderOrganCode"] == "620102001"

    # A sibling county's clerk typing the same draft learns nothing of the case.
    sibling = ok(clients("clerk.620103").post(HINTS, d=draft))["draftHints"]
    assert first["caseId"] not in [c["caseId"] for c in sibling["repeatCandidates"]]


@pytest.mark.parametrize(
    "draft",
    [
        {"categories": ["bogus"]},
        {"reportedPersons": [{"name": ""}]},
        {"summary": "长" * 501},
    ],
)
def test_a_bad_draft_is_a_coded_refusal(clients, draft):
    body = clients("clerk.620102001").post(HINTS, d=draft)
    assert body.get("data") is None, body
    [error] = body["errors"]
    extensions = error["extensions"]
    assert extensions["code"] not in ("internal_error", "service_failed"), body
    assert extensions["message_zh"] and extensions["message_en"], body
