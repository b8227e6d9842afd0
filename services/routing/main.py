"""Composition root of the routing service: application, REST API, relay and consumer."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from fastapi import Depends, FastAPI

from domain.hierarchy import OrgTree
from infra.access_log import AccessLog, AccessRecorder
from infra.auth import TokenVerifier, verification_key, verified_identity
from infra.reference_data import load_org_tree
from infra.service import Worker, consumer_worker, own_relay, serve
from infra.settings import Settings, get_settings
from infra.telemetry import configure_logging, setup_telemetry
from infra.web import create_service_app, readiness_checks
from services.routing.api import routers
from services.routing.application import RoutingApplication


def create_app(
    routing: RoutingApplication,
    readiness: Sequence[Callable[[], None]] = (),
    *,
    verifier: TokenVerifier,
    access_log: AccessRecorder | None = None,
) -> FastAPI:
    """The REST API over one routing application; every route but health needs a token."""
    if access_log is not None:
        routing.guard.access_log = access_log
    app = create_service_app(
        "routing",
        readiness=readiness,
        verifier=verifier,
        access_log=routing.guard.access_log,
        title="Baton routing 流转",
        description="The custody chain of each case: transfers between levels, offices and "
        "stationed units, handling, report-back, review and archiving.",
    )
    app.state.routing = routing
    for router in routers:
        app.include_router(router, dependencies=[Depends(verified_identity)])
    return app


def build(
    settings: Settings, org_tree: OrgTree | None = None
) -> tuple[FastAPI, RoutingApplication, list[tuple[str, Worker]]]:
    assert settings.database_url and settings.kafka_bootstrap_servers
    routing = RoutingApplication(
        org_tree or load_org_tree(),
        database_url=settings.database_url,
        schema=settings.schema_of("routing"),
        snapshot_interval=settings.routing_snapshot_interval,
    )
    app = create_app(
        routing,
        readiness_checks(settings),
        verifier=TokenVerifier(verification_key(settings)),
        access_log=AccessLog(settings.database_url, settings.schema_of("access")),
    )
    workers = [
        *own_relay(routing, settings),
        consumer_worker(
            settings, "routing", "intake", routing.handle, handle_batch=routing.handle_batch,
            wanted=routing.intake_types,
        ),
    ]
    return app, routing, workers


def main() -> None:
    configure_logging()
    settings = get_settings()
    setup_telemetry("routing")
    app, _, workers = build(settings)
    serve(app, settings.baton_host, settings.routing_port, workers)


if __name__ == "__main__":
    main()
