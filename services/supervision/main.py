"""Composition root of the supervision service: application, REST API, relay, consumers of
intake and routing, and the scheduler thread."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from fastapi import Depends, FastAPI
from pydantic_settings import BaseSettings, SettingsConfigDict

from domain.hierarchy import OrgTree
from domain.supervision.config import SupervisionConfig, closed_loop_fields
from infra.access_log import AccessLog, AccessRecorder
from infra.auth import TokenVerifier, verification_key, verified_identity
from infra.datafiles import load_calendar_overrides, load_yaml
from infra.reference_data import load_org_tree, load_rules
from infra.service import Worker, consumer_worker, own_relay, serve
from infra.settings import Settings, get_settings
from infra.telemetry import configure_logging, setup_telemetry
from infra.web import create_service_app, readiness_checks
from services.guard import Guard
from services.supervision.api import routers
from services.supervision.application import SupervisionApplication
from services.supervision.scheduler import scheduler_worker
from services.supervision.upstream import HANDLERS

# Supervision's case records and deadlines are read by people over hours and days, and
# nothing waits on its events within a second: its consumers and its relay let a fifth of
# a second's events gather, so that at 50 registrations/s each wake-up (a fetch, a
# transaction, a publish, a ring) serves several instead of one.
GATHER_SECONDS = 0.2


class SupervisionSettings(BaseSettings):
    """Supervision's own knobs (environment variables prefixed `SUPERVISION_`)."""

    model_config = SettingsConfigDict(env_prefix="SUPERVISION_", extra="ignore")

    # How often the scheduler looks for warnings, reminders and escalations.
    scheduler_period_seconds: float = 60.0


def load_config() -> SupervisionConfig:
    """supervision.yaml, with the closed-loop fields marked in key_fields.yaml."""
    try:
        records = load_yaml("key_fields.yaml")
        fields = closed_loop_fields(records.get("key_fields") if isinstance(records, dict)
                                    else records)
    except FileNotFoundError:
        fields = None
    try:
        return SupervisionConfig.from_mapping(load_yaml("supervision.yaml"), fields)
    except FileNotFoundError:
        return SupervisionConfig() if fields is None else SupervisionConfig(
            closed_loop_fields=fields)


def create_app(
    supervision: SupervisionApplication,
    readiness: Sequence[Callable[[], None]] = (),
    *,
    verifier: TokenVerifier,
    access_log: AccessRecorder | None = None,
) -> FastAPI:
    """The REST API over one supervision application; every route but health needs the
    gateway's service token, and the actor comes only from it."""
    app = create_service_app(
        "supervision",
        readiness=readiness,
        verifier=verifier,
        access_log=access_log,
        title="Baton supervision 督查督办",
        description="Deadlines in working days and their warnings, supervision orders, "
        "case evaluation 一案一评, the key-field closed loop and the working calendar.",
    )
    app.state.supervision = supervision
    app.state.guard = Guard(access_log)
    for router in routers:
        app.include_router(router, dependencies=[Depends(verified_identity)])
    return app


def build(settings: Settings, org_tree: OrgTree | None = None,
          own: SupervisionSettings | None = None,
          ) -> tuple[FastAPI, SupervisionApplication, list[tuple[str, Worker]]]:
    assert settings.database_url and settings.kafka_bootstrap_servers
    own = own or SupervisionSettings()
    supervision = SupervisionApplication(
        org_tree or load_org_tree(),
        rules=load_rules(),
        config=load_config(),
        calendar_overrides=load_calendar_overrides(),
        database_url=settings.database_url,
        schema=settings.schema_of("supervision"),
    )
    app = create_app(
        supervision,
        readiness_checks(settings),
        verifier=TokenVerifier(verification_key(settings)),
        access_log=AccessLog(settings.database_url, settings.schema_of("access")),
    )
    workers = [
        *own_relay(supervision, settings, gather=GATHER_SECONDS),
        *(consumer_worker(settings, "supervision", source, supervision.handle,
                          group=f"supervision-{source}", handle_batch=supervision.handle_batch,
                          wanted=HANDLERS, gather=GATHER_SECONDS)
          for source in ("intake", "routing")),
        scheduler_worker(supervision, own.scheduler_period_seconds),
    ]
    return app, supervision, workers


def main() -> None:
    configure_logging()
    settings = get_settings()
    setup_telemetry("supervision")
    app, _, workers = build(settings)
    serve(app, settings.baton_host, settings.supervision_port, workers)


if __name__ == "__main__":
    main()
