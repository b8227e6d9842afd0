"""The gateway: GraphQL at /graphql, the web front end at /."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException
from starlette.types import Scope
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL

from domain.hierarchy import OrgTree
from gateway.attachments import router as attachments
from gateway.audit import AuditVerifier
from gateway.clients import ServiceClient
from gateway.config import ClientAddress, GatewaySettings
from gateway.exports import router as exports
from gateway.graphql.schema import build_schema
from gateway.http_guard import GraphQLHttpGuard
from gateway.identity import IdentityParts, open_identity
from gateway.identity.service import Clock, utc_now
from gateway.trusted import load_manifest
from infra.audit.keys import AuditKeys
from infra.deadletter import DeadLetters
from infra.deadletter import schema_of as dead_letter_schema
from infra.reference_data import load_org_tree
from infra.settings import Settings
from infra.web import create_service_app

WEB_DIST = Path(__file__).resolve().parent / "web" / "dist"
# First path segments that are never pages of the front end: their 404s stay 404s.
NOT_PAGES = frozenset({"assets", "attachments", "exports", "graphql", "healthz", "readyz"})


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
    """What resolvers need: the org tree, identity, a client per service, and who the
    real client of a request is."""

    org_tree: OrgTree
    identity: IdentityParts
    intake: ServiceClient
    routing: ServiceClient
    stats: ServiceClient
    supervision: ServiceClient
    client_address: ClientAddress
    # Auditors' verification jobs and the services' public keys (None without a database).
    audit: AuditVerifier | None = None
    audit_keys: AuditKeys | None = None
    # Administrators' dead letters (None without a database).
    dead_letters: DeadLetters | None = None

    @property
    def services(self) -> tuple[ServiceClient, ...]:
        return (self.intake, self.routing, self.stats, self.supervision)


class GatewayGraphQL(GraphQL[dict[str, Any], None]):
    """/graphql as strawberry's plain ASGI view, not its FastAPI router: the router solved
    FastAPI dependencies for every request and ran the context getter in a worker thread
    (7 % of the gateway's profile samples per registration), for nothing resolvers use."""

    def __init__(self, gateway: Gateway, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.gateway = gateway

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> dict[str, Any]:
        # The response is where resolvers set cookies (login, logout).
        return {"gateway": self.gateway, "request": request, "response": response}


def build(
    settings: Settings,
    clock: Clock = utc_now,
    gateway_settings: GatewaySettings | None = None,
) -> FastAPI:
    config = gateway_settings or GatewaySettings()
    tree = load_org_tree()
    gateway = Gateway(
        org_tree=tree,
        identity=open_identity(settings, tree, clock, config.session_cache_seconds),
        intake=ServiceClient("intake", settings.url_of("intake")),
        routing=ServiceClient("routing", settings.url_of("routing")),
        stats=ServiceClient("stats", settings.url_of("stats")),
        supervision=ServiceClient("supervision", settings.url_of("supervision")),
        client_address=ClientAddress(config.trusted_proxies),
        audit_keys=settings.audit_keys(),
    )
    if settings.database_url:
        gateway.audit = AuditVerifier(
            settings.database_url, settings.audit_keys(), settings.baton_namespace
        )
        gateway.dead_letters = DeadLetters(
            settings.database_url, dead_letter_schema(settings.baton_namespace)
        )

    trusted = None
    if settings.is_production:
        trusted = load_manifest(config.trusted_documents or WEB_DIST / "trusted-documents.json")
    # The app-wide cap is for attachment uploads; /graphql has its own, smaller one.
    app = create_service_app(
        "gateway", docs_url=None, redoc_url=None, max_body_bytes=config.max_upload_bytes
    )
    app.add_middleware(GraphQLHttpGuard, path="/graphql", max_body_bytes=config.max_body_bytes)
    graphql = GatewayGraphQL(
        gateway,
        build_schema(settings.is_production, trusted),
        graphql_ide="graphiql" if not settings.is_production else None,
        allow_queries_via_get=False,
        multipart_uploads_enabled=False,
    )
    # Starlette serves an ASGI app given as a route's endpoint as it is (typed for functions).
    app.add_route("/graphql", graphql, methods=["GET", "POST"])  # type: ignore[arg-type]
    app.include_router(attachments)
    app.include_router(exports)
    app.state.gateway = gateway

    @app.on_event("shutdown")
    async def close_service_clients() -> None:
        for client in gateway.services:
            await client.close()

    if (WEB_DIST / "index.html").exists():
        # Mounted last: /graphql and the health routes above take precedence.
        app.mount("/", SinglePageApp(directory=WEB_DIST, html=True), name="web")
    return app
