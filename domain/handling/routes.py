"""Where a transfer may go: the target organ and office of a proposal, checked against the
org tree, and which offices hear of a dispatch.

The aggregate stays pure: it sees the org tree only through `RouteChecker`, which
`domain.hierarchy.OrgTree` fits.
"""

from __future__ import annotations

from typing import Protocol

from domain.handling import refusals
from domain.handling.custody import INTERNAL_KINDS
from domain.vocabulary import Office, TransferKind, parse

__all__ = ["HANDLING_OFFICES", "RouteChecker", "internal_target", "offices_to_notify"]

# Offices that handle leads after an internal transfer 移送.
HANDLING_OFFICES = frozenset({Office.SUPERVISION.value, Office.INVESTIGATION.value})


class _OrganLike(Protocol):
    @property
    def offices(self) -> tuple[Office, ...]: ...


class RouteChecker(Protocol):
    """What the aggregate needs of the org tree (`domain.hierarchy.OrgTree` fits).

    `check_route` raises `Conflict` ("route_not_descendant", "route_not_ancestor",
    "route_foreign_stationed_unit", "route_not_same_organ", ...) or `NotFound`.
    """

    def check_route(self, kind: TransferKind, source: str, target: str | None) -> None: ...

    def get(self, code: str) -> _OrganLike: ...


def internal_target(
    kind: TransferKind,
    holder: tuple[str, str],
    to_organ: str | None,
    to_office: str | None,
    routes: RouteChecker,
) -> tuple[str, str]:
    """The organ and office a transfer from `holder` goes to, or the refusal why not."""
    source_organ, source_office = holder
    office = parse(Office, to_office).value if to_office is not None else None
    if kind in INTERNAL_KINDS:
        routes.check_route(kind, source_organ, to_organ)
        organ = source_organ
        office = _office_inside(kind, source_office, office)
    else:
        organ = _other_organ(kind, source_organ, to_organ, routes)
        office = office or Office.PETITION.value
    if office not in routes.get(organ).offices:
        raise refusals.office_not_at_organ(organ, office)
    return organ, office


def _office_inside(kind: TransferKind, source_office: str, office: str | None) -> str:
    """The office of the same organ an internal transfer or a return goes to."""
    if kind == TransferKind.INTERNAL_TRANSFER:
        if source_office != Office.PETITION.value:
            raise refusals.only_petition_office_transfers(source_office)
        office = office or Office.SUPERVISION.value
        if office not in HANDLING_OFFICES:
            raise refusals.transfer_goes_to_handling_office(office)
        return office
    if source_office == Office.PETITION.value:
        raise refusals.petition_office_cannot_return(source_office)
    if office not in (None, Office.PETITION.value):
        raise refusals.return_goes_to_petition_office(office)
    return Office.PETITION.value


def _other_organ(
    kind: TransferKind, source_organ: str, to_organ: str | None, routes: RouteChecker
) -> str:
    """Another organ, reachable from the holder by this kind of transfer."""
    organ = refusals.required(to_organ, "to_organ")
    if organ == source_organ:
        raise refusals.transfer_to_self(organ)
    routes.check_route(kind, source_organ, organ)
    return organ


def offices_to_notify(kind: str, organ: str, routes: RouteChecker) -> list[str]:
    """Offices told of a dispatch: case management 案管 hears of an internal transfer, where
    the organ has one (a stationed unit has none)."""
    if kind != TransferKind.INTERNAL_TRANSFER.value:
        return []
    if Office.CASE_MANAGEMENT not in routes.get(organ).offices:
        return []
    return [Office.CASE_MANAGEMENT.value]
