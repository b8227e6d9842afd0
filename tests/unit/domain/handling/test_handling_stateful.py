"""Random command sequences on one Handling: custody is never lost, doubled or forged.

Actors are drawn mostly from the people entitled to act (the holder, a leader of the
holding organ, the target office) and sometimes from anyone in the tree, so both the
successful paths and the refusals are exercised.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import uuid4

from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from domain.errors import DomainError
from domain.guards import CHINA_TZ
from domain.handling import INTERNAL_KINDS, Actor, Handling, TransferState
from domain.vocabulary import Disposal, FiveInPlace, Outcome, Role, Substantiation, TransferKind
from tests.actors import staff
from tests.unit.routing.orgs import CITY, COUNTY, ORGANS, STATIONED, TOWNSHIP_A, org_tree

TREE = org_tree()
PEOPLE = [
    staff(f"{role}@{organ}/{office}", organ, office.value, role)
    for organ in ORGANS
    for office in TREE.get(organ).offices
    for role in (Role.HANDLER.value, Role.LEADER.value)
]
# Outcomes consistent with each substantiation, so that conclusions can succeed.
CONSISTENT = {
    "true": ["case_filed", "party_sanction", "criticism_education"],
    "partly_true": ["admonishing_talk", "administrative_sanction"],
    "untrue": ["not_substantiated", "name_cleared", "false_accusation"],
}


def _state(h: Handling) -> dict[str, Any]:
    return {
        "holder": h.holder,
        "status": h.status,
        "custody": h.custody,
        "transfers": h.transfers,
        "assignments": h.assignments,
        "disposal": h.disposal,
        "conclusion": h.conclusion,
        "five_in_place": h.five_in_place,
        "feedback": h.feedback,
        "repeats": h.repeats,
        "version": h.version,
    }


def _chain_from_events(events: list[Any]) -> list[tuple[str, Any, Any, Any, Any]]:
    """Rebuild the custody chain (kind, from, to) from the events alone."""
    chain: list[tuple[str, Any, Any, Any, Any]] = []
    proposals: dict[str, Any] = {}
    for e in events:
        name = type(e).__name__
        if name == "Opened":
            chain.append(("opened", None, None, e.organ_code, "petition"))
        elif name == "TransferProposed":
            proposals[e.transfer_id] = e
        elif name == "TransferReceived":
            p = proposals[e.transfer_id]
            chain.append((p.kind, p.from_organ, p.from_office, p.to_organ, p.to_office))
        elif name == "ReportedBack":
            here = chain[-1][3:]
            chain.append(("report_back", *here, e.to_organ, e.to_office))
        elif name == "SentBack":
            last = chain[-1]
            chain.append(("send_back", last[3], last[4], last[1], last[2]))
    return chain


class CustodyMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.now = datetime(2026, 11, 2, 9, 0, tzinfo=CHINA_TZ)
        self.handling = Handling.open(uuid4(), TOWNSHIP_A, "登记员", at=self.clock())
        self.events: list[Any] = []

    @initialize(organ=st.sampled_from([TOWNSHIP_A, COUNTY, CITY, STATIONED]))
    def open_case(self, organ: str) -> None:
        self.handling = Handling.open(uuid4(), organ, "登记员", at=self.clock())
        self.events = list(self.handling.collect_events())

    def clock(self) -> datetime:
        """Each command a minute after the one before."""
        self.now += timedelta(minutes=1)
        return self.now

    # --- drawing actors --------------------------------------------------------------

    def _holder_actor(self, role: str = Role.HANDLER.value) -> Actor | None:
        h = self.handling
        if h.holder_organ is None or h.holder_office is None:
            return None
        return staff(f"持有人-{role}", h.holder_organ, h.holder_office, role)

    def _draw_actor(self, data: st.DataObject, *entitled: Actor | None) -> Actor:
        candidates = [a for a in entitled if a is not None]
        if candidates:
            return data.draw(
                st.one_of(st.sampled_from(candidates), st.sampled_from(PEOPLE))
                if data.draw(st.integers(0, 5)) == 0
                else st.sampled_from(candidates)
            )
        return data.draw(st.sampled_from(PEOPLE))

    def _attempt(self, actor: Actor, command: Any, *, needs: str) -> bool:
        """Run a command; on success check the actor was entitled to it."""
        h = self.handling
        before = (h.holder_organ, h.holder_office)
        pending = h.pending_transfer
        try:
            command()
        except DomainError:
            assert not h.pending_events, "a refused command must record nothing"
            return False
        if needs == "holder":
            assert (actor.organ_code, actor.office) == before, "a non-holder succeeded"
        elif needs == "leader":
            assert actor.organ_code == before[0] and actor.is_leader
            assert pending is not None and pending.proposed_by != actor.username
        elif needs == "target":
            assert pending is not None
            where = (
                (pending.from_organ, pending.from_office)
                if pending.outward
                else (pending.to_organ, pending.to_office)
            )
            assert (actor.organ_code, actor.office) == where, "a non-target received"
        self.events.extend(h.collect_events())
        return True

    def _target_actor(self) -> Actor | None:
        t = self.handling.pending_transfer
        if t is None:
            return None
        if t.outward:
            return staff("签收人", t.from_organ, t.from_office)
        assert t.to_organ is not None and t.to_office is not None
        return staff("签收人", t.to_organ, t.to_office)

    # --- rules -----------------------------------------------------------------------

    def _valid_routes(self) -> list[tuple[TransferKind, str | None]]:
        organ = self.handling.holder_organ
        if organ is None:
            return []
        return [
            (kind, target.code if kind not in INTERNAL_KINDS else None)
            for kind in TransferKind
            if kind != TransferKind.HAND_OVER_OUTWARD
            for target in TREE.route_targets(kind, organ)
        ]

    @rule(
        data=st.data(),
        kind=st.sampled_from(list(TransferKind)),
        to_organ=st.sampled_from(ORGANS),
        office=st.sampled_from([None, None, None, "supervision", "investigation", "petition"]),
    )
    def propose(
        self, data: st.DataObject, kind: TransferKind, to_organ: str, office: str | None
    ) -> None:
        """Mostly a route the tree allows; sometimes any kind to any organ."""
        h = self.handling
        actor = self._draw_actor(data, self._holder_actor())
        valid = self._valid_routes()
        target: str | None = to_organ
        if valid and data.draw(st.integers(0, 4)) > 0:
            kind, target = data.draw(st.sampled_from(valid))
        outward = kind == TransferKind.HAND_OVER_OUTWARD
        self._attempt(
            actor,
            lambda: h.propose_transfer(
                actor,
                kind,
                "理由",
                TREE,
                to_organ=None if outward else target,
                to_office=None if outward else office,
                external_body="某区人民检察院" if outward else None,
                at=self.clock(),
            ),
            needs="holder",
        )

    @rule(data=st.data())
    def advance(self, data: st.DataObject) -> None:
        """Take the natural next step of the case, so that long stories get told."""
        h = self.handling
        t = h.pending_transfer
        if h.status in ("archived", "handed_over"):
            return
        if t is not None:
            step = {
                TransferState.PROPOSED: self.approve,
                TransferState.APPROVED: self.dispatch,
                TransferState.DISPATCHED: self.receive_or_refuse,
            }[t.state]
            step(data)  # type: ignore[operator]
        elif h.status == "under_review":
            self.review(data, data.draw(st.booleans()))  # type: ignore[call-arg]
        elif h.status == "concluded":
            if h.assignments:
                self.report_back(data)  # type: ignore[call-arg]
            elif h.five_in_place_missing:
                self.five_in_place(data, list(FiveInPlace))  # type: ignore[call-arg]
            else:
                self.archive(data)  # type: ignore[call-arg]
        elif len([x for x in h.transfers if x.received_by]) < 3 and data.draw(st.integers(0, 2)):
            self._propose_assignment(data)
        elif h.disposal is None:
            self.dispose(data, Disposal.INQUIRY)  # type: ignore[call-arg]
        else:
            substantiation = data.draw(st.sampled_from(list(Substantiation)))
            self.conclude(data, substantiation)  # type: ignore[call-arg]

    def _propose_assignment(self, data: st.DataObject) -> None:
        """Prefer assigning down (so that report-back and review happen), else any route."""
        h = self.handling
        routes = self._valid_routes()
        down = [r for r in routes if r[0].needs_report_back]
        if not routes:
            return
        kind, target = data.draw(st.sampled_from(down or routes))
        actor = self._draw_actor(data, self._holder_actor())
        self._attempt(
            actor,
            lambda: h.propose_transfer(
                actor, kind, "按管理权限", TREE, to_organ=target, at=self.clock()
            ),
            needs="holder",
        )

    @rule(data=st.data())
    def approve(self, data: st.DataObject) -> None:
        actor = self._draw_actor(data, self._holder_actor(Role.LEADER.value))
        t = self.handling.pending_transfer
        tid = t.id if t else str(uuid4())
        self._attempt(
            actor,
            lambda: self.handling.approve_transfer(actor, tid, at=self.clock()),
            needs="leader",
        )

    @rule(data=st.data())
    def dispatch(self, data: st.DataObject) -> None:
        actor = self._draw_actor(data, self._holder_actor())
        t = self.handling.pending_transfer
        tid = t.id if t else str(uuid4())
        self._attempt(
            actor,
            lambda: self.handling.dispatch_transfer(actor, tid, TREE, at=self.clock()),
            needs="holder",
        )

    @rule(data=st.data(), now=st.integers(0, 3))
    def withdraw(self, data: st.DataObject, now: int) -> None:
        if now:  # withdrawing is rare in practice
            return
        actor = self._draw_actor(data, self._holder_actor())
        t = self.handling.pending_transfer
        tid = t.id if t else str(uuid4())
        self._attempt(
            actor,
            lambda: self.handling.withdraw_transfer(actor, tid, "撤回", at=self.clock()),
            needs="holder",
        )

    @rule(data=st.data(), refuse=st.integers(0, 3))
    def receive_or_refuse(self, data: st.DataObject, refuse: int = 1) -> None:
        actor = self._draw_actor(data, self._target_actor())
        t = self.handling.pending_transfer
        tid = t.id if t else str(uuid4())
        if refuse == 0:
            self._attempt(
                actor,
                lambda: self.handling.refuse_transfer(actor, tid, "不属管辖", at=self.clock()),
                needs="target",
            )
        else:
            if self._attempt(
                actor,
                lambda: self.handling.receive_transfer(actor, tid, at=self.clock()),
                needs="target",
            ):
                event("received")

    @rule(data=st.data(), mode=st.sampled_from(list(Disposal)))
    def dispose(self, data: st.DataObject, mode: Disposal) -> None:
        actor = self._draw_actor(data, self._holder_actor())
        self._attempt(
            actor,
            lambda: self.handling.decide_disposal(actor, mode, "处置", at=self.clock()),
            needs="holder",
        )

    @rule(data=st.data(), substantiation=st.sampled_from(list(Substantiation)))
    def conclude(self, data: st.DataObject, substantiation: Substantiation) -> None:
        actor = self._draw_actor(data, self._holder_actor())
        outcome = data.draw(st.sampled_from(CONSISTENT[substantiation.value] + ["case_filed"]))
        self._attempt(
            actor,
            lambda: self.handling.conclude(
                actor, Outcome(outcome), substantiation, "查明", at=self.clock()
            ),
            needs="holder",
        )

    @rule(data=st.data())
    def report_back(self, data: st.DataObject) -> None:
        actor = self._draw_actor(data, self._holder_actor())
        if self._attempt(
            actor, lambda: self.handling.report_back(actor, "报结", at=self.clock()), needs="holder"
        ):
            event("reported back")

    @rule(data=st.data(), accept=st.booleans())
    def review(self, data: st.DataObject, accept: bool) -> None:
        actor = self._draw_actor(data, self._holder_actor())
        if self._attempt(
            actor,
            lambda: self.handling.review(actor, accept, "补充材料", at=self.clock()),
            needs="holder",
        ):
            event("reviewed")

    @rule(data=st.data())
    def feedback(self, data: st.DataObject) -> None:
        actor = self._draw_actor(data, self._holder_actor())
        self._attempt(
            actor,
            lambda: self.handling.record_feedback(actor, "phone", "已告知", at=self.clock()),
            needs="holder",
        )

    @rule(data=st.data(), items=st.lists(st.sampled_from(list(FiveInPlace)), min_size=1))
    def five_in_place(self, data: st.DataObject, items: list[FiveInPlace]) -> None:
        actor = self._draw_actor(data, self._holder_actor())
        self._attempt(
            actor,
            lambda: self.handling.confirm_five_in_place(actor, items, at=self.clock()),
            needs="holder",
        )

    @rule(data=st.data())
    def archive(self, data: st.DataObject) -> None:
        actor = self._draw_actor(data, self._holder_actor())
        if self._attempt(
            actor, lambda: self.handling.archive(actor, at=self.clock()), needs="holder"
        ):
            event("archived")

    @rule(organ=st.sampled_from(ORGANS))
    def link_repeat(self, organ: str) -> None:
        self.handling.link_repeat(uuid4(), organ, "登记员", at=self.clock())
        self.events.extend(self.handling.collect_events())
        assert self.handling.repeats[-1]["shown_to_organ"] == self.handling.holder_organ

    # --- invariants ------------------------------------------------------------------

    @invariant()
    def exactly_one_holder(self) -> None:
        h = self.handling
        internal = h.holder_organ is not None and h.holder_office is not None
        external = h.holder_external is not None
        assert internal != external
        assert h.holder_organ is None or h.holder_organ in TREE
        last = h.custody[-1]
        assert (last.to_organ, last.to_office, last.external_body) == (
            h.holder_organ,
            h.holder_office,
            h.holder_external,
        )

    @invariant()
    def one_transfer_at_a_time(self) -> None:
        transfers = self.handling.transfers
        for earlier in transfers[:-1]:
            assert earlier.state in (
                TransferState.RECEIVED,
                TransferState.REFUSED,
                TransferState.WITHDRAWN,
            )
            if earlier.dispatched_by is not None:
                assert earlier.state in (TransferState.RECEIVED, TransferState.REFUSED)

    @invariant()
    def events_rebuild_the_live_state(self) -> None:
        assert not self.handling.pending_events
        replayed: Any = None
        for e in self.events:
            replayed = e.mutate(replayed)
        assert _state(replayed) == _state(self.handling)
        chain = _chain_from_events(self.events)
        live = [
            (link.kind, link.from_organ, link.from_office, link.to_organ, link.to_office)
            for link in self.handling.custody
        ]
        assert chain == live

    @invariant()
    def every_event_names_organ_and_actor(self) -> None:
        for e in self.events[-3:]:
            assert e.organ_code and e.actor

    @invariant()
    def custody_is_dated_by_its_events(self) -> None:
        moments = {e.originator_version: e.at for e in self.events}
        dated = [link.at for link in self.handling.custody]
        assert dated == [moments[link.version] for link in self.handling.custody]
        assert dated == sorted(dated)


CustodyMachine.TestCase.settings = settings(
    max_examples=100,
    stateful_step_count=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestCustody = CustodyMachine.TestCase
