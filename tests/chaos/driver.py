"""Concurrent staff driving cases through the gateway while faults happen, and their own
record of every write the platform acknowledged (the ledger the checks hold it to)."""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.integration.platform.casework import registration
from tests.integration.platform.logged_in import DEMO_PASSWORD, LOGIN

REGISTER = """mutation($input: RegisterPetitionInput!) { registerPetition(input: $input) {
  caseId registrationNumber } }"""
ACCEPT = """mutation($id: ID!) { acceptPetition(caseId: $id, reportType: "accusation") {
  id stage } }"""
PROPOSE = """mutation($input: ProposeTransferInput!) { proposeTransfer(input: $input) {
  id pendingTransfer { id state } } }"""
APPROVE = """mutation($c: ID!, $t: ID!) { approveTransfer(caseId: $c, transferId: $t) {
  pendingTransfer { state } } }"""
DISPATCH = """mutation($c: ID!, $t: ID!) { dispatchTransfer(caseId: $c, transferId: $t) {
  pendingTransfer { state } } }"""
RECEIVE = """mutation($c: ID!, $t: ID!) { receiveTransfer(caseId: $c, transferId: $t) {
  holder { organCode } } }"""
CASE = """query($id: ID!) { case(id: $id) { id stage holder { organCode }
  pendingTransfer { id state } custody { kind toOrganCode } transfers { id state } } }"""
FIND = """query($text: String!) { cases(filter: {text: $text}, first: 5) {
  edges { node { id registrationNumber } } } }"""
STATISTICS = """query($o: String!, $f: Date!, $t: Date!) { caseStatistics(organ: $o,
  from: $f, to: $t, groupBy: [CHANNEL]) { total } }"""

# Where cases come in, and who registers them there.
CLERKS = {
    "620102001": "clerk.620102001",
    "620102002": "clerk.620102002",
    "620102": "clerk.620102",
    "620103": "clerk.620103",
    "6201": "clerk.6201",
    "62": "clerk.62",
    "620102Z01": "clerk.620102z01",
}
SURNAMES = "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦尤许何吕施张孔曹严华金魏陶姜"
# A transfer's states in the order its steps reach them; a step reached `to` when the
# transfer is at `to` or later.
TRANSFER_ORDER = ("proposed", "approved", "dispatched", "received")
HANDLED_STAGES = ("accepted", "in_handling", "concluded")
# `service_failed`: a service answered 500 (seen from routing while PostgreSQL restarted);
# not acknowledged, so retried like the others (a retried step is explained by the case).
# `database_unavailable`: the gateway's own store (sessions) while PostgreSQL restarts.
RETRYABLE = {
    "service_unavailable",
    "service_failed",
    "database_unavailable",
    "unavailable",
    "concurrent_update",
    "internal_error",
}


class GaveUp(Exception):
    """A write that could not be acknowledged in time: it may or may not have happened."""


class Refused(Exception):
    """The platform answered with a domain refusal; `retried` when an earlier try of the
    same request had gone unanswered (it may have been applied, which the refusal shows)."""

    def __init__(self, code: str, body: dict, retried: bool = False) -> None:
        super().__init__(code, str(body.get("errors"))[:500])
        self.code = code
        self.body = body
        self.retried = retried


@dataclass
class Ledger:
    """What the platform acknowledged to the clients."""

    registered: dict[str, tuple[str, str]] = field(default_factory=dict)  # token → id, number
    accepted: set[str] = field(default_factory=set)
    proposed: dict[str, str] = field(default_factory=dict)  # transfer id → case id
    received: dict[str, str] = field(default_factory=dict)  # transfer id → case id
    unacknowledged: Counter[str] = field(default_factory=Counter)
    retries: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    reads: Counter[str] = field(default_factory=Counter)
    # Steps refused on a retry whose earlier try the case shows applied: acknowledged by
    # reading the case, not by the answer (step → count).
    acknowledged_by_reading: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)


class Session:
    """One person's GraphQL session; retries through faults with the same idempotency key."""

    def __init__(self, url: str, username: str, ledger: Ledger, patience: float = 180) -> None:
        self.url = url
        self.username = username
        self.ledger = ledger
        self.patience = patience
        self.http = httpx.Client(timeout=30)
        self.csrf: str | None = None

    def _login(self) -> None:
        self.http.cookies.clear()
        self.http.headers.pop("X-CSRF-Token", None)
        body = self._send(LOGIN, {"u": self.username, "p": DEMO_PASSWORD}, None)
        self.csrf = body["data"]["login"]["csrfToken"]
        self.http.headers["X-CSRF-Token"] = self.csrf

    def _send(self, query: str, variables: dict, key: str | None) -> dict:
        headers = {"Idempotency-Key": key} if key else {}
        response = self.http.post(
            f"{self.url}/graphql",
            json={"query": query, "variables": variables},
            headers=headers,
        )
        if response.status_code >= 500:
            raise httpx.TransportError(f"HTTP {response.status_code}")
        body: dict = response.json()
        return body

    def post(self, what: str, query: str, key: str | None = None, **variables: Any) -> dict:
        """The data of an acknowledged answer; Refused for a refusal; GaveUp after patience."""
        deadline = time.monotonic() + self.patience
        delay = 0.2
        # Set once a try of this request was sent: any later refusal may be the answer to
        # a request the platform had already applied (the first answer lost to a fault).
        retried = False
        while True:
            try:
                if self.csrf is None:
                    self._login()
                sent_before = retried
                retried = True
                body = self._send(query, variables, key)
                errors = body.get("errors") or []
                if not errors:
                    return dict(body["data"])
                code = str((errors[0].get("extensions") or {}).get("code", "no_code"))
                if code in ("unauthenticated", "csrf_invalid", "csrf_missing", "session_expired"):
                    self.csrf = None
                    raise httpx.TransportError(code)
                if code not in RETRYABLE:
                    raise Refused(code, body, retried=sent_before)
                with self.ledger.lock:
                    self.ledger.errors[code] += 1
            except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
                with self.ledger.lock:
                    self.ledger.errors[type(exc).__name__] += 1
            if time.monotonic() > deadline:
                raise GaveUp(what)
            with self.ledger.lock:
                self.ledger.retries[what] += 1
            time.sleep(delay)
            delay = min(delay * 2, 3.0)

    def close(self) -> None:
        self.http.close()


class Staff:
    """One driving thread's sessions, one per demo user it acts as."""

    def __init__(self, url: str, ledger: Ledger) -> None:
        self.url = url
        self.ledger = ledger
        self.sessions: dict[str, Session] = {}

    def __call__(self, username: str) -> Session:
        if username not in self.sessions:
            self.sessions[username] = Session(self.url, username, self.ledger)
        return self.sessions[username]

    def close(self) -> None:
        for session in self.sessions.values():
            session.close()


def report(rng: random.Random, organ: str, token: str) -> dict[str, Any]:
    """A registration naming a person of its own, so cases are mostly not repeats."""
    person = rng.choice(SURNAMES) + rng.choice(SURNAMES) + str(rng.randrange(1000))
    data = registration(organ, summary=f"反映{person}违规发放补贴 {token}")
    data["reportedPersons"] = [
        {"name": person, "unit": "某村委会", "position": "主任", "cadreLevel": "village_cadre"}
    ]
    if rng.random() < 0.5:
        data.pop("reporter", None)
        data["channel"] = rng.choice(["letter", "web", "phone"])
        data.pop("visitors", None)
    return data


class Driver:
    """`clients` threads registering `cases` cases; a share of the township's go up to the
    county by a signed-off transfer; now and then a leader reads the statistics."""

    def __init__(
        self, url: str, cases: int, clients: int, seed: int = 2026, transfer_share: float = 0.15
    ) -> None:
        self.url = url
        self.cases = cases
        self.clients = clients
        self.seed = seed
        self.transfer_share = transfer_share
        self.ledger = Ledger()
        self.next_case = 0
        self.counter_lock = threading.Lock()
        self.threads: list[threading.Thread] = []
        self.failures: list[BaseException] = []

    def _take(self) -> int | None:
        with self.counter_lock:
            if self.next_case >= self.cases:
                return None
            self.next_case += 1
            return self.next_case

    @property
    def done(self) -> int:
        return len(self.ledger.registered)

    def start(self) -> None:
        for n in range(self.clients):
            thread = threading.Thread(target=self._run, args=(n,), daemon=True)
            thread.start()
            self.threads.append(thread)

    def join(self) -> None:
        for thread in self.threads:
            thread.join()

    def _run(self, n: int) -> None:
        rng = random.Random(self.seed * 100 + n)
        staff = Staff(self.url, self.ledger)
        try:
            while (index := self._take()) is not None:
                try:
                    self._one_case(staff, rng, index)
                except GaveUp as gave_up:
                    with self.ledger.lock:
                        self.ledger.unacknowledged[str(gave_up)] += 1
                if index % 97 == 0:
                    self._read_statistics(staff)
        except BaseException as exc:  # a bug in the driver or an unexpected refusal
            self.failures.append(exc)
        finally:
            staff.close()

    def _one_case(self, staff: Staff, rng: random.Random, index: int) -> None:
        token = f"chaos-{uuid.uuid4().hex}"
        moving = rng.random() < self.transfer_share
        organ = "620102001" if moving else rng.choice(list(CLERKS))
        clerk = staff(CLERKS[organ])
        try:
            data = clerk.post("register", REGISTER, key=token, input=report(rng, organ, token))
            case = data["registerPetition"]
        except Refused as refused:
            case = self._registered_unanswered(clerk, refused, token)
        with self.ledger.lock:
            self.ledger.registered[token] = (case["caseId"], case["registrationNumber"])
        if moving:
            self._report_up(staff, case["caseId"], token)

    def _report_up(self, staff: Staff, case_id: str, token: str) -> None:
        clerk = staff("clerk.620102001")
        try:
            clerk.post("accept", ACCEPT, id=case_id)
        except Refused as refused:
            self._explained(clerk, "accept", refused, case_id, None, "accepted")
        with self.ledger.lock:
            self.ledger.accepted.add(case_id)
        proposed = self._retry_until(
            lambda: self._propose(
                clerk,
                case_id,
                key=f"{token}-up",
                input={
                    "caseId": case_id,
                    "kind": "report_up",
                    "reason": "需上级处理",
                    "toOrgan": "620102",
                    "toOffice": "petition",
                },
            )
        )
        transfer = proposed["proposeTransfer"]["pendingTransfer"]["id"]
        with self.ledger.lock:
            self.ledger.proposed[transfer] = case_id
        self._step(staff("leader.620102001"), "approve", APPROVE, case_id, transfer, "approved")
        self._step(clerk, "dispatch", DISPATCH, case_id, transfer, "dispatched")
        receiver = staff("clerk.620102")
        deadline = time.monotonic() + 180
        while True:  # the county sees it once routing's events reached intake
            seen = receiver.post("read_case", CASE, id=case_id)["case"]
            if seen and seen["pendingTransfer"]:
                break
            if time.monotonic() > deadline:
                raise GaveUp("receive_visible")
            time.sleep(0.5)
        self._step(receiver, "receive", RECEIVE, case_id, transfer, "received")
        with self.ledger.lock:
            self.ledger.received[transfer] = case_id

    def _propose(self, clerk: Session, case_id: str, key: str, input: dict) -> dict:
        try:
            return clerk.post("propose", PROPOSE, key=key, input=input)
        except Refused as refused:
            # `transfer_pending` on a retry: the first try's transfer is there although
            # its key was not found (seen once in 10,000 cases, the first try answered 500
            # as PostgreSQL restarted); the case shows whether it is this proposal's.
            if refused.code == "idempotency_key_unfinished" or (
                refused.retried and refused.code == "transfer_pending"
            ):
                return self._proposed_unanswered(clerk, refused, case_id)
            raise

    def _registered_unanswered(self, clerk: Session, refused: Refused, token: str) -> dict:
        """`idempotency_key_unfinished`: the registration took effect, its answer was lost
        with its process; the case is looked up by the token its summary carries."""
        if refused.code != "idempotency_key_unfinished":
            raise refused
        deadline = time.monotonic() + 60
        while True:
            found = clerk.post("find", FIND, text=token)["cases"]["edges"]
            if len(found) == 1:
                node = found[0]["node"]
                with self.ledger.lock:
                    self.ledger.acknowledged_by_reading[f"register:{refused.code}"] += 1
                return {"caseId": node["id"], "registrationNumber": node["registrationNumber"]}
            if len(found) > 1 or time.monotonic() > deadline:
                raise refused
            time.sleep(0.5)

    def _proposed_unanswered(self, clerk: Session, refused: Refused, case_id: str) -> dict:
        """A proposal that took effect without its answer: the case shows its one
        transfer, proposed to the county's petition office."""
        case = clerk.post("propose_reread", CASE, id=case_id)["case"] or {}
        transfers = case.get("transfers") or []
        if len(transfers) != 1 or transfers[0]["state"] not in TRANSFER_ORDER:
            raise refused
        with self.ledger.lock:
            self.ledger.acknowledged_by_reading[f"propose:{refused.code}"] += 1
        return {"proposeTransfer": {"pendingTransfer": transfers[0]}}

    def _step(
        self, session: Session, what: str, query: str, case_id: str, transfer: str, to: str
    ) -> None:
        """A sign-off step that takes `transfer` to the state `to`."""
        try:
            session.post(what, query, c=case_id, t=transfer)
        except Refused as refused:
            self._explained(session, what, refused, case_id, transfer, to)

    def _explained(
        self,
        session: Session,
        what: str,
        refused: Refused,
        case_id: str,
        transfer: str | None,
        to: str,
    ) -> None:
        """A refusal of a retried step is its own earlier try's doing when the case shows
        the step applied (e.g. a retried dispatch is `forbidden` once the transfer belongs to
        the receiving organ): then the step is done, acknowledged by reading. Any other
        refusal is raised."""
        if not refused.retried:
            raise refused
        try:
            case = session.post(f"{what}_reread", CASE, id=case_id)["case"] or {}
        except (Refused, GaveUp):
            raise refused from None
        if transfer is None:
            applied = case.get("stage") in HANDLED_STAGES
        else:
            state = next(
                (t["state"] for t in case.get("transfers") or [] if t["id"] == transfer), None
            )
            applied = (
                TRANSFER_ORDER.index(state) >= TRANSFER_ORDER.index(to)
                if state in TRANSFER_ORDER
                else False
            )
        if not applied:
            raise refused
        with self.ledger.lock:
            self.ledger.acknowledged_by_reading[f"{what}:{refused.code}"] += 1

    def _retry_until(self, call: Any) -> dict:
        deadline = time.monotonic() + 60
        while True:
            try:
                return dict(call())
            except Refused as refused:  # routing has not yet heard of the acceptance
                if refused.code not in ("case_unknown", "transfer_not_allowed_yet") or (
                    time.monotonic() > deadline
                ):
                    raise
                time.sleep(0.5)

    def _read_statistics(self, staff: Staff) -> None:
        today = time.strftime("%Y-%m-%d")
        try:
            staff("leader.62").post("statistics", STATISTICS, o="62", f="2026-01-01", t=today)
            with self.ledger.lock:
                self.ledger.reads["statistics"] += 1
        except (GaveUp, Refused) as exc:
            with self.ledger.lock:
                self.ledger.errors[f"statistics:{exc}"] += 1
