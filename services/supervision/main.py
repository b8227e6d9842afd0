"""Composition root of the supervision service.

For now it follows intake's and routing's events and logs them; deadlines, warnings,
supervision orders and evaluations arrive with their own issue.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI

from domain.contracts import Envelope
from infra.access_log import AccessLog
from infra.auth import TokenVerifier, verification_key
from infra.service import Worker, consumer_worker, serve
from infra.settings import Settings, get_settings
from infra.telemetry import configure_logging, setup_telemetry
from infra.web import create_service_app, readiness_checks

log = logging.getLogger("services.supervision")


def log_event(envelope: Envelope, tracking_name: str) -> None:
    """Log what happened to a case: type, case, organ, position. Never the payload."""
    log.info(
        "%s %s case=%s organ=%s seq=%s",
        tracking_name,
        envelope.type,
        envelope.case_id,
        envelope.organ_code,
        envelope.sequence,
    )


def build(settings: Settings) -> tuple[FastAPI, list[tuple[str, Worker]]]:
    assert settings.database_url and settings.kafka_bootstrap_servers
    app = create_service_app(
        "supervision",
        readiness=readiness_checks(settings),
        # Its routes (deadlines, orders) put `infra.auth.verified_identity` on their routers.
        verifier=TokenVerifier(verification_key(settings)),
        access_log=AccessLog(settings.database_url, settings.schema_of("access")),
    )
    workers = [
        consumer_worker(settings, "supervision", source, log_event, group=f"supervision-{source}")
        for source in ("intake", "routing")
    ]
    return app, workers


def main() -> None:
    configure_logging()
    settings = get_settings()
    setup_telemetry("supervision")
    app, workers = build(settings)
    serve(app, settings.baton_host, settings.supervision_port, workers)


if __name__ == "__main__":
    main()
