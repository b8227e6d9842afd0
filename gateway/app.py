"""The gateway: GraphQL at /graphql, the web front end at /."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.staticfiles import StaticFiles
from strawberry.fastapi import GraphQLRouter

from domain.hierarchy import OrgTree
from gateway.clients import ServiceClient
from gateway.schema import schema
from infra.datafiles import load_yaml
from infra.settings import Settings
from infra.web import create_service_app

WEB_DIST = Path(__file__).resolve().parent / "web" / "dist"


@dataclass
class Gateway:
    """What resolvers need: the org tree and a client per service."""

    org_tree: OrgTree
    intake: ServiceClient
    stats: ServiceClient


def load_org_tree() -> OrgTree:
    return OrgTree.from_document(load_yaml("orgs.yaml"))


def build(settings: Settings) -> FastAPI:
    gateway = Gateway(
        org_tree=load_org_tree(),
        intake=ServiceClient("intake", settings.url_of("intake")),
        stats=ServiceClient("stats", settings.url_of("stats")),
    )

    def context(request: Request) -> dict[str, Any]:
        return {"gateway": gateway, "request": request}

    app = create_service_app("gateway", docs_url=None, redoc_url=None)
    graphql = GraphQLRouter(
        schema,
        context_getter=context,
        graphql_ide="graphiql" if not settings.is_production else None,
    )
    app.include_router(graphql, prefix="/graphql")
    app.state.gateway = gateway
    if (WEB_DIST / "index.html").exists():
        # Mounted last: /graphql and the health routes above take precedence.
        app.mount("/", StaticFiles(directory=WEB_DIST, html=True), name="web")
    return app
