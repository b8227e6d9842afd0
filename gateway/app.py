"""The gateway: GraphQL at /graphql, the web front end at /."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException
from starlette.types import Scope
from strawberry.fastapi import GraphQLRouter

from domain.hierarchy import OrgTree
from gateway.clients import ServiceClient
from gateway.graphql.schema import schema
from gateway.identity import IdentityParts, open_identity
from gateway.identity.service import Clock, utc_now
from infra.reference_data import load_org_tree
from infra.settings import Settings
from infra.web import create_service_app

WEB_DIST = Path(__file__).resolve().parent / "web" / "dist"
# First path segments that are never pages of the front end: their 404s stay 404s.
NOT_PAGES = frozenset({"assets", "graphql", "healthz", "readyz"})


class SinglePageApp(StaticFiles):
    """The built front end at "/": a page path it routes itself (history mode) gets index.html."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        try:
            return await super().get_response(path, scope)
        except HTTPException as missing:
            if missing.status_code != 404 or not _is_page_path(path):
                raise
        response = await super().get_response("index.html", scope)
        # The page names hashed assets: always revalidate it, so a new build shows at once.
        response.headers["Cache-Control"] = "no-cache"
        return response


def _is_page_path(path: str) -> bool:
    """/admin/users is a page; /assets/x.js, /favicon.ico and /graphql/x are not."""
    parts = [part for part in path.replace("\\", "/").split("/") if part not in ("", ".")]
    return bool(parts) and parts[0] not in NOT_PAGES and "." not in parts[-1]


@dataclass
class Gateway:
    """What resolvers need: the org tree, identity, and a client per service."""

    org_tree: OrgTree
    identity: IdentityParts
    intake: ServiceClient
    stats: ServiceClient


def build(settings: Settings, clock: Clock = utc_now) -> FastAPI:
    tree = load_org_tree()
    gateway = Gateway(
        org_tree=tree,
        identity=open_identity(settings, tree, clock),
        intake=ServiceClient("intake", settings.url_of("intake")),
        stats=ServiceClient("stats", settings.url_of("stats")),
    )

    def context(request: Request, response: Response) -> dict[str, Any]:
        return {"gateway": gateway, "request": request, "response": response}

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
        app.mount("/", SinglePageApp(directory=WEB_DIST, html=True), name="web")
    return app
