"""Routing's model of a case 线索办理: the `Handling` aggregate and what it is made of.

`from domain.handling import Handling, Actor, ...` keeps working for every caller: the
package re-exports the aggregate, its status, the transfer and custody types, the route
checks and the shared `Actor`.
"""

from domain.actors import Actor
from domain.handling.aggregate import Handling
from domain.handling.custody import (
    INTERNAL_KINDS,
    PENDING_STATES,
    CustodyLink,
    Transfer,
    TransferState,
)
from domain.handling.routes import HANDLING_OFFICES, RouteChecker
from domain.handling.status import Status

__all__ = [
    "HANDLING_OFFICES",
    "INTERNAL_KINDS",
    "PENDING_STATES",
    "Actor",
    "CustodyLink",
    "Handling",
    "RouteChecker",
    "Status",
    "Transfer",
    "TransferState",
]
