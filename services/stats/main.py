"""Composition root of the stats service."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from fastapi import Depends, FastAPI

from infra.access_log import AccessLog, AccessRecorder
from infra.auth import TokenVerifier, verification_key, verified_identity
from infra.service import Worker, consumer_worker, serve
from infra.settings import Settings, get_settings
from infra.telemetry import configure_logging, setup_telemetry
from infra.web import create_service_app, readiness_checks
from services.guard import Guard
from services.stats.api import router
from services.stats.application import StatsApplication
from services.stats.handlers import HANDLERS_BY_SOURCE
from services.stats.rebuild import sources_to_read


def create_app(
    stats: StatsApplication,
    *,
    verifier: TokenVerifier,
    access_log: AccessRecorder | None,
    readiness: Sequence[Callable[[], None]] = (),
) -> FastAPI:
    """The REST API over the stats read model; every route but health needs a token."""
    app = create_service_app("stats", readiness=readiness, verifier=verifier, access_log=access_log)
    app.state.stats = stats
    app.state.guard = Guard(access_log)
    app.include_router(router, dependencies=[Depends(verified_identity)])
    return app


def build(settings: Settings) -> tuple[FastAPI, StatsApplication, list[tuple[str, Worker]]]:
    assert settings.database_url and settings.kafka_bootstrap_servers
    stats = StatsApplication(settings.database_url, settings.schema_of("stats"))
    app = create_app(
        stats,
        verifier=TokenVerifier(verification_key(settings)),
        access_log=AccessLog(settings.database_url, settings.schema_of("access")),
        readiness=readiness_checks(settings),
    )
    # One consumer per topic whose events stats keeps (supervision's once it publishes).
    workers = [
        consumer_worker(
            settings, "stats", source, stats.handle, handle_batch=stats.handle_batch,
            wanted=HANDLERS_BY_SOURCE[source],
        )
        for source in sources_to_read()
    ]
    return app, stats, workers


def main() -> None:
    configure_logging()
    settings = get_settings()
    setup_telemetry("stats")
    app, _, workers = build(settings)
    serve(app, settings.baton_host, settings.stats_port, workers)


if __name__ == "__main__":
    main()
