"""Moving a case through the gateway as its staff would, noting what its page showed, and
checking an auditor's replay of it at each noted moment and at each of its events."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import Any

from ..platform.casework import ACCEPT, CASE, PROPOSE, REGISTER, ok, registration
from ..platform.logged_in import StaffClient

HISTORY = """query($id: ID!, $at: String!) { caseHistory(caseId: $id, asOf: $at) {
  caseId asOf registrationNumber stage status holder custody facts handling deadlines
  events { service aggregateId sequence what who organCode office at recordedAt
           auditSequence leaf path }
  checkpoints { service store size root signatureOk } } }"""
APPROVE = """mutation($c: ID!, $t: ID!) { approveTransfer(caseId: $c, transferId: $t) {
  pendingTransfer { state } } }"""
DISPATCH = """mutation($c: ID!, $t: ID!) { dispatchTransfer(caseId: $c, transferId: $t) {
  pendingTransfer { state } } }"""
RECEIVE = """mutation($c: ID!, $t: ID!) { receiveTransfer(caseId: $c, transferId: $t) {
  holder { organCode office } } }"""

Clients = Callable[[str], StaffClient]


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat()


def settle(client: StaffClient, case_id: str, check: Callable[[dict], bool]) -> dict:
    """The case once `check` holds and two reads a second apart agree (consumers are done)."""
    deadline = time.monotonic() + 60
    last = None
    while time.monotonic() < deadline:
        body = client.post(CASE, id=case_id)
        codes = [e.get("extensions", {}).get("code") for e in body.get("errors") or []]
        if codes == ["petition_unknown"]:
            # A receiving office sees the case once intake has heard of the hand-over.
            time.sleep(0.2)
            continue
        case = ok(body)["case"]
        if check(case) and case == last:
            return case
        last = case
        time.sleep(1.0)
    raise AssertionError(f"the case did not settle: {last}")


def move(
    clients: Clients,
    case_id: str,
    kind: str,
    sender: str,
    signer: str,
    receiver: str,
    to_organ: str,
) -> None:
    """Propose, sign off, dispatch and receive one transfer."""
    proposed = ok(
        clients(sender).post(
            PROPOSE,
            input={
                "caseId": case_id,
                "kind": kind,
                "reason": f"{kind} 理由",
                "toOrgan": to_organ,
                "toOffice": "petition",
            },
        )
    )["proposeTransfer"]
    transfer = proposed["pendingTransfer"]["id"]
    ok(clients(signer).post(APPROVE, c=case_id, t=transfer))
    ok(clients(sender).post(DISPATCH, c=case_id, t=transfer))
    settle(clients(receiver), case_id, lambda c: c["pendingTransfer"] is not None)
    ok(clients(receiver).post(RECEIVE, c=case_id, t=transfer))


def summary(case: dict) -> dict[str, Any]:
    """What the case page showed at a moment, in the replay's terms."""
    holder = case["holder"]
    return {
        "stage": case["stage"],
        "status": case["status"],
        "holder": (holder["organCode"], holder["office"]) if holder else None,
        "custody": [(c["kind"], c["fromOrganCode"], c["toOrganCode"]) for c in case["custody"]],
    }


def replayed(history: dict) -> dict[str, Any]:
    holder = history["holder"]
    return {
        "stage": history["stage"],
        "status": history["status"],
        "holder": (holder["organ_code"], holder["office"]) if holder else None,
        "custody": [(c["kind"], c["from_organ"], c["to_organ"]) for c in history["custody"]],
    }


def key(event: dict) -> tuple[str, str, int]:
    return event["service"], event["aggregateId"], event["sequence"]


class Story:
    """One case moved by its staff, with what its page showed after each step, and when."""

    def __init__(self, clients: Clients, clerk: str, organ: str) -> None:
        self.clients = clients
        self.viewer = clients(clerk)
        registered = ok(self.viewer.post(REGISTER, input=registration(organ)))
        self.case_id: str = registered["registerPetition"]["caseId"]
        self.number: str = registered["registerPetition"]["registrationNumber"]
        self.seen: list[tuple[str, dict[str, Any]]] = []
        self.note(lambda c: c["stage"] == "received")
        ok(self.viewer.post(ACCEPT, id=self.case_id))
        self.note(lambda c: "proposeTransfer" in c["availableActions"])

    def note(self, check: Callable[[dict], bool], viewer: StaffClient | None = None) -> None:
        case = settle(viewer or self.viewer, self.case_id, check)
        self.seen.append((now(), summary(case)))

    def move(self, kind: str, sender: str, signer: str, receiver: str, to_organ: str) -> None:
        """One transfer; then what the receiver's page shows once it holds the case."""
        steps = len(self.seen[-1][1]["custody"])
        move(self.clients, self.case_id, kind, sender, signer, receiver, to_organ)
        self.note(
            lambda c: c["holder"]["organCode"] == to_organ and len(c["custody"]) > steps,
            viewer=self.clients(receiver),
        )


def check_replays(auditor: StaffClient, story: Story) -> list[dict]:
    """Replaying the case at each noted moment gives what the page showed; at each event's
    time, exactly the events recorded by then, each service's aggregate at its version."""
    for moment, shown in story.seen:
        history = ok(auditor.post(HISTORY, id=story.case_id, at=moment))["caseHistory"]
        assert history["registrationNumber"] == story.number
        assert replayed(history) == shown, moment
    final = ok(auditor.post(HISTORY, id=story.case_id, at=now()))["caseHistory"]
    events: list[dict] = final["events"]
    assert [e["recordedAt"] for e in events] == sorted(
        (e["recordedAt"] for e in events), key=dt.datetime.fromisoformat
    )
    for event in events:
        at = event["recordedAt"]
        then = ok(auditor.post(HISTORY, id=story.case_id, at=at))["caseHistory"]
        upto = [
            key(e)
            for e in events
            if dt.datetime.fromisoformat(e["recordedAt"]) <= dt.datetime.fromisoformat(at)
        ]
        assert [key(e) for e in then["events"]] == upto, at
        # Each service's state is its aggregate at the version of its last event by then.
        intake_version = max(s for svc, _, s in upto if svc == "intake")
        assert then["facts"]["version"] == intake_version
        routing = [s for svc, agg, s in upto if svc == "routing" and agg == story.case_id]
        if routing:
            assert then["handling"]["version"] == max(routing)
        else:
            assert then["handling"] is None and then["status"] is None
    return events
