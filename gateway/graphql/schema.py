"""The GraphQL schema: every resource's queries and mutations in one hardened schema."""

from __future__ import annotations

from typing import Any

from strawberry.tools import merge_types

from gateway.graphql.access_log import AccessLogQuery
from gateway.graphql.audit import AuditMutation, AuditQuery
from gateway.graphql.dead_letters import DeadLetterMutation, DeadLetterQuery
from gateway.graphql.handling import HandlingMutation
from gateway.graphql.history import HistoryQuery
from gateway.graphql.identity import IdentityMutation, IdentityQuery
from gateway.graphql.organs import OrganQuery
from gateway.graphql.petitions import PetitionMutation, PetitionQuery
from gateway.graphql.progress import ProgressQuery
from gateway.graphql.screening import ScreeningMutation
from gateway.graphql.statistics import StatisticsQuery
from gateway.graphql.stats import StatsQuery
from gateway.graphql.supervision import SupervisionQuery
from gateway.graphql.supervision_commands import SupervisionMutation
from gateway.graphql.transfers import TransferMutation
from gateway.graphql.worklists import CaseQuery
from gateway.hardening import HardenedSchema, Limits, extensions, schema_config
from gateway.trusted import TrustedDocuments

Query = merge_types(
    "Query", (IdentityQuery, OrganQuery, AccessLogQuery, ProgressQuery, StatsQuery, CaseQuery,
     PetitionQuery, SupervisionQuery, StatisticsQuery, AuditQuery, HistoryQuery,
     DeadLetterQuery)
)
Mutation = merge_types(
    "Mutation",
    (IdentityMutation, PetitionMutation, ScreeningMutation, TransferMutation, HandlingMutation,
     SupervisionMutation, AuditMutation, DeadLetterMutation),
)


def build_schema(
    production: bool = False,
    trusted: frozenset[str] | None = None,
    limits: Limits | None = None,
) -> HardenedSchema:
    """The schema with its limits; in production introspection and suggestions are off,
    and with `trusted` only those documents are run."""
    chosen: list[Any] = []
    if trusted is not None:
        chosen.append(lambda: TrustedDocuments(trusted))
    chosen += extensions(production, limits)
    return HardenedSchema(
        query=Query, mutation=Mutation, extensions=chosen, config=schema_config(production)
    )


# The development schema: what `npm run schema` exports for the web build's codegen.
schema = build_schema()
