"""The GraphQL schema, assembled in `gateway.graphql.schema` (kept here for importers)."""

from gateway.graphql.schema import schema

__all__ = ["schema"]
