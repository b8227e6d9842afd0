"""Composition root of the intake service 受理登记服务."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from fastapi import Depends, FastAPI
from pydantic_settings import BaseSettings, SettingsConfigDict
from starlette.types import ASGIApp, Receive, Scope, Send

from domain.hierarchy import OrgTree
from domain.repeats import TextNormaliser
from infra.access_log import AccessLog, AccessRecorder
from infra.auth import TokenVerifier, verification_key, verified_identity
from infra.chinese_text import traditional_to_simplified_map
from infra.reference_data import load_key_fields, load_org_tree, load_rules
from infra.service import consumer_worker, own_relay, serve
from infra.settings import Settings, get_settings
from infra.telemetry import configure_logging, setup_telemetry
from infra.web import create_service_app, error_json, readiness_checks
from services.intake.api import ROUTERS
from services.intake.application import DEFAULT_MIN_ANSWER_SECONDS, IntakeApplication
from services.intake.attachments import DEFAULT_MAX_BYTES, AttachmentStore
from services.intake.index import follow_store
from services.intake.ratelimit import TokenBuckets
from services.intake.sealing import Sealer

_MULTIPART_OVERHEAD = 64 * 1024


class IntakeSettings(BaseSettings):
    """Intake's own knobs (environment variables prefixed `INTAKE_`)."""

    model_config = SettingsConfigDict(env_prefix="INTAKE_", extra="ignore")

    max_attachment_bytes: int = DEFAULT_MAX_BYTES
    # Public progress: a burst of this many queries per client, refilled at this rate.
    progress_burst: float = 10
    progress_per_minute: float = 10
    # Every progress answer takes at least this long, for a right or a wrong code.
    progress_min_seconds: float = DEFAULT_MIN_ANSWER_SECONDS
    # Proxies (the gateway) whose X-Forwarded-For names the real client.
    trusted_proxies: list[str] = []


def build(
    settings: Settings,
    intake_settings: IntakeSettings | None = None,
    *,
    schema: str | None = None,
    org_tree: OrgTree | None = None,
) -> tuple[FastAPI, IntakeApplication]:
    """The intake web app and its application, on the configured database."""
    config = intake_settings or IntakeSettings()
    intake = IntakeApplication(
        sealer=Sealer(settings.identity_key()),
        org_tree=org_tree or load_org_tree(),
        rules=load_rules(),
        key_fields=load_key_fields(),
        attachments=AttachmentStore(
            settings.baton_data_dir / "attachments",
            key=settings.identity_key(),
            max_bytes=config.max_attachment_bytes,
        ),
        database_url=settings.database_url,
        schema=schema or settings.schema_of("intake"),
        min_answer_seconds=config.progress_min_seconds,
        # The full traditional→simplified map, built once per process for repeat matching.
        normaliser=TextNormaliser(traditional_to_simplified_map()),
    )
    app = create_app(
        intake,
        config,
        readiness=readiness_checks(settings),
        verifier=TokenVerifier(verification_key(settings)),
        access_log=AccessLog(settings.database_url, settings.schema_of("access"))
        if settings.database_url
        else None,
    )
    return app, intake


def create_app(
    intake: IntakeApplication,
    config: IntakeSettings | None = None,
    readiness: Sequence[Callable[[], None]] = (),
    *,
    verifier: TokenVerifier,
    access_log: AccessRecorder | None = None,
) -> FastAPI:
    """The web app around an intake application (swap `app.state.intake` in tests); every
    route but health needs a service token."""
    config = config or IntakeSettings()
    if access_log is not None:
        intake.guard.access_log = access_log
    app = create_service_app(
        "intake",
        readiness=readiness,
        verifier=verifier,
        access_log=intake.guard.access_log,
        title="Baton intake 受理登记",
        description="Register and screen every petition and report; protect the reporter.",
    )
    app.state.intake = intake
    app.state.progress_buckets = TokenBuckets(
        config.progress_burst, config.progress_per_minute / 60
    )
    app.state.trusted_proxies = frozenset(config.trusted_proxies)
    for router in ROUTERS:
        app.include_router(router, dependencies=[Depends(verified_identity)])
    _refuse_oversized_uploads(app, config.max_attachment_bytes)
    return app


def _refuse_oversized_uploads(app: FastAPI, max_bytes: int) -> None:
    """Refuse an upload whose declared length is over the limit before it is read.

    The attachment store refuses oversized content too (chunked uploads declare no
    length); this only spares the server from spooling a huge body first. A plain ASGI
    middleware: Starlette's `@app.middleware("http")` wraps every request, registrations
    included, in streams and a task group.
    """
    app.add_middleware(OversizedUploads, max_bytes=max_bytes)


class OversizedUploads:
    """422 `attachment_too_large` for an attachment POST declaring too many bytes."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.limit = max_bytes + _MULTIPART_OVERHEAD

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] == "POST"
            and scope["path"].endswith("/attachments")
        ):
            declared = dict(scope.get("headers") or ()).get(b"content-length", b"")
            if declared.isdigit() and int(declared) > self.limit:
                megabytes = self.max_bytes // (1024 * 1024)
                response = error_json(
                    422,
                    "attachment_too_large",
                    f"附件不能超过{megabytes}MB",
                    f"An attachment must be at most {megabytes} MB",
                    max_bytes=self.max_bytes,
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def main() -> None:
    configure_logging()
    settings = get_settings()
    setup_telemetry("intake")
    app, intake = build(settings)
    workers = [
        *own_relay(intake, settings),
        consumer_worker(
            settings, "intake", "routing", intake.handle_routing_event,
            wanted=intake.routing_events.table,
        ),
        ("intake-index", lambda stop: follow_store(intake, intake.side, stop)),
    ]
    serve(app, settings.baton_host, settings.intake_port, workers)


if __name__ == "__main__":
    main()
