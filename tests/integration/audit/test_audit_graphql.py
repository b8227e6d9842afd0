"""The auditor's GraphQL on the running platform: `caseHistory` replays a case that went up
to a county and down again at any moment, with inclusion proofs that hold; `verifyAudit`
runs as a job that passes; bad inputs, other roles and other subtrees are refused with
codes, and replays land in the access log."""

from __future__ import annotations

import datetime as dt
import time
import uuid

import pytest

from deploy.verify_checkpoint import inclusion_holds
from tests.conftest import DEMO_PASSWORD, Staff

from ..platform.casework import ok
from ..platform.logged_in import StaffClient
from .replay_story import HISTORY, Story, check_replays, now

pytestmark = pytest.mark.integration

VERIFY = """mutation($s: String) { verifyAudit(service: $s) { id state total checked
  stores { service total checked done ok events
           broken { sequence what } latestCheckpoint { size root signatureOk } } } }"""
POLL = """query($id: ID!) { auditVerification(id: $id) { id state total checked
  stores { service total checked done ok events
           broken { sequence what } latestCheckpoint { size root signatureOk } } } }"""
STORES = "query { auditStores }"
LOG = """query($c: String, $u: String) { accessLog(caseId: $c, user: $u, first: 200) {
  user caseId action object outcome reason } }"""


def code(body: dict) -> str:
    """The only error's code; its messages are there in both languages."""
    assert body.get("data") is None, body
    [error] = body["errors"]
    assert error["extensions"]["message_zh"] and error["extensions"]["message_en"], body
    return str(error["extensions"]["code"])


@pytest.fixture(scope="module")
def story(clients) -> Story:
    """A township's case reported up to its county and assigned down again."""
    story = Story(clients, "clerk.620102001", "620102001")
    story.move("report_up", "clerk.620102001", "leader.620102001", "clerk.620102", "620102")
    story.move("assign_down", "clerk.620102", "leader.620102", "clerk.620102001", "620102001")
    return story


def test_replaying_the_case_at_each_step_and_each_event_gives_what_was_recorded(clients, story):
    events = check_replays(clients("auditor.62"), story)
    assert {"intake", "routing"} <= {e["service"] for e in events}, events
    kinds = [e["what"] for e in events if e["service"] == "routing"]
    assert kinds.count("Handling.TransferReceived") == 2, kinds
    assert {"clerk.620102001", "leader.620102001", "clerk.620102", "leader.620102"} <= {
        e["who"] for e in events
    }


def test_every_event_is_proved_under_a_signed_checkpoint(clients, story):
    auditor = clients("auditor.62")
    deadline = time.monotonic() + 60
    while True:  # checkpoints are signed every second on the test platform
        history = ok(auditor.post(HISTORY, id=story.case_id, at=now()))["caseHistory"]
        if all(e["path"] is not None for e in history["events"]):
            break
        assert time.monotonic() < deadline, history["events"]
        time.sleep(1.0)
    checkpoints = {c["service"]: c for c in history["checkpoints"]}
    assert {"intake", "routing"} <= set(checkpoints)
    assert all(c["signatureOk"] for c in checkpoints.values()), checkpoints
    for event in history["events"]:
        cp = checkpoints[event["service"]]
        path = [bytes.fromhex(node) for node in event["path"]]
        leaf = bytes.fromhex(event["leaf"])
        root = bytes.fromhex(cp["root"])
        assert inclusion_holds(leaf, event["auditSequence"] - 1, cp["size"], path, root), event
        # A different leaf is not under the root.
        forged = bytes([leaf[0] ^ 1]) + leaf[1:]
        assert not inclusion_holds(forged, event["auditSequence"] - 1, cp["size"], path, root)


def test_replays_are_written_to_the_access_log(clients, story):
    auditor = clients("auditor.62")
    moment = story.seen[1][0]
    ok(auditor.post(HISTORY, id=story.case_id, at=moment))
    log = ok(auditor.post(LOG, c=story.case_id, u="auditor.62"))["accessLog"]
    replays = [e for e in log if e["action"] == "replay"]
    assert any(e["reason"] == f"replay_as_of:{moment}" for e in replays), log
    assert all(e["outcome"] == "ALLOWED" and e["caseId"] == story.case_id for e in replays)
    # The services also record the auditor's reads of the case where they load it.
    assert any(e["reason"] == "auditor_replays_history" for e in log), log


def test_bad_inputs_other_roles_and_other_subtrees_are_refused(platform, clients, story):
    auditor = clients("auditor.62")
    case_id = story.case_id
    registered = story.seen[0][0]
    missing = str(uuid.uuid4())
    assert code(auditor.post(HISTORY, id=missing, at=now())) == "petition_unknown"
    assert code(auditor.post(HISTORY, id="not-a-uuid", at=now())) == "case_id_invalid"
    assert code(auditor.post(HISTORY, id=case_id, at="yesterday")) == "as_of_invalid"
    assert code(auditor.post(HISTORY, id=case_id, at="2026-13-01T00:00:00Z")) == "as_of_invalid"
    assert (
        code(auditor.post(HISTORY, id=case_id, at="2026-01-01T00:00:00"))
        == "datetime_without_timezone"
    )
    before = (dt.datetime.fromisoformat(registered) - dt.timedelta(days=400)).isoformat()
    assert code(auditor.post(HISTORY, id=case_id, at=before)) == "as_of_before_registration"

    clerk = clients("clerk.620102001")  # sees the case, but is no auditor
    assert code(clerk.post(HISTORY, id=case_id, at=now())) == "forbidden"
    assert code(clerk.post(VERIFY, s=None)) == "forbidden"
    assert code(clerk.post(STORES)) == "forbidden"
    refused = ok(auditor.post(LOG, c=None, u="clerk.620102001"))["accessLog"]
    assert any(e["outcome"] == "REFUSED" and e["reason"] == "auditor_only" for e in refused)

    # An auditor of a sibling county: the case is not in their subtree, as if missing.
    name = f"auditor{uuid.uuid4().hex[:6]}"
    Staff(platform.settings).add(
        name, organ="620103", office="case_management", roles=("auditor",), password=DEMO_PASSWORD
    )
    other = StaffClient(platform.gateway_url, name)
    try:
        assert code(other.post(HISTORY, id=case_id, at=now())) == "petition_unknown"
        job = ok(auditor.post(VERIFY, s="intake"))["verifyAudit"]
        # Another auditor cannot read this auditor's job.
        assert code(other.post(POLL, id=job["id"])) == "audit_verification_unknown"
        wait_done(auditor, job)
    finally:
        other.close()

    assert code(auditor.post(VERIFY, s="nosuchservice")) == "audit_store_unknown"
    assert code(auditor.post(VERIFY, s="in take")) == "audit_store_unknown"
    assert code(auditor.post(POLL, id="0" * 32)) == "audit_verification_unknown"


def wait_done(auditor: StaffClient, job: dict) -> dict:
    """Poll a verification job until it is no longer running."""
    deadline = time.monotonic() + 120
    while job["state"] == "RUNNING":
        assert time.monotonic() < deadline, job
        time.sleep(0.5)
        job = ok(auditor.post(POLL, id=job["id"]))["auditVerification"]
    return job


def test_verifying_all_stores_passes_with_progress_and_signed_checkpoints(clients, story):
    auditor = clients("auditor.62")
    stores = ok(auditor.post(STORES))["auditStores"]
    assert {"intake", "routing", "supervision"} <= set(stores)
    job = wait_done(auditor, ok(auditor.post(VERIFY, s=None))["verifyAudit"])
    assert job["state"] == "PASSED", job
    assert {s["service"] for s in job["stores"]} == set(stores)
    assert job["checked"] == job["total"] > 0
    for store in job["stores"]:
        assert store["done"] and store["ok"] and store["broken"] is None, store
        assert store["events"] == store["checked"]
    intake = next(s for s in job["stores"] if s["service"] == "intake")
    assert intake["latestCheckpoint"]["signatureOk"] is True
    assert intake["events"] >= 2

    job = wait_done(auditor, ok(auditor.post(VERIFY, s="routing"))["verifyAudit"])
    assert job["state"] == "PASSED" and [s["service"] for s in job["stores"]] == ["routing"]
