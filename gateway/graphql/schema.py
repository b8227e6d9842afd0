"""The GraphQL schema: every resource's queries and mutations in one schema."""

from __future__ import annotations

import logging

import strawberry
from graphql import GraphQLError
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

from gateway.graphql.access_log import AccessLogQuery
from gateway.graphql.identity import IdentityMutation, IdentityQuery
from gateway.graphql.organs import OrganQuery
from gateway.graphql.petitions import PetitionMutation
from gateway.graphql.progress import ProgressQuery
from gateway.graphql.stats import StatsQuery

log = logging.getLogger("gateway.graphql")

Query = merge_types("Query", (IdentityQuery, OrganQuery, AccessLogQuery, ProgressQuery, StatsQuery))
Mutation = merge_types("Mutation", (IdentityMutation, PetitionMutation))


class BatonSchema(strawberry.Schema):
    """Coded refusals are logged as one line (code and path), not as a traceback."""

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        unexpected = []
        for error in errors:
            code = (error.extensions or {}).get("code")
            if code:
                log.info("refused %s: %s", ".".join(map(str, error.path or ())), code)
            else:
                unexpected.append(error)
        if unexpected:
            super().process_errors(unexpected, execution_context)


schema = BatonSchema(query=Query, mutation=Mutation)
