"""OpenTelemetry, configured by the standard environment variables.

Tracing is on when an exporter is configured: `OTEL_EXPORTER_OTLP_ENDPOINT` (or
`OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) sends spans over OTLP/HTTP, `BATON_TRACE_CONSOLE`
prints them, and tests pass an exporter in. Then FastAPI, psycopg and the Kafka producer
are instrumented and a parent-based ratio sampler decides (`OTEL_TRACES_SAMPLER_ARG`,
default 1.0; `OTEL_TRACES_SAMPLER` names another). With no exporter, or with
`OTEL_SDK_DISABLED=true` or `OTEL_TRACES_EXPORTER=none`, nothing is instrumented and the
API's no-op tracer records no span at all: spans nobody exports cost about a fifth of a
service's time under load.

Spans and logs never carry reporter identity: request bodies are not recorded, and
psycopg spans keep the statement text (parameters are sent separately, never in spans).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Mapping

from fastapi import FastAPI
from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SimpleSpanProcessor,
    SpanExporter,
)
from opentelemetry.sdk.trace.sampling import ParentBased, Sampler, TraceIdRatioBased

_lock = threading.Lock()
_libraries_instrumented = False
_ENDPOINTS = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")


def tracing_configured(env: Mapping[str, str] | None = None) -> bool:
    """Does the environment ask for spans to be exported?"""
    env = os.environ if env is None else env
    if env.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    if env.get("OTEL_TRACES_EXPORTER", "").strip().lower() == "none":
        return False
    return any(env.get(name) for name in _ENDPOINTS) or bool(env.get("BATON_TRACE_CONSOLE"))


def tracing_on() -> bool:
    """Is this process recording spans (an SDK provider is installed)?"""
    return isinstance(trace.get_tracer_provider(), TracerProvider)


def sampler_from(env: Mapping[str, str]) -> Sampler | None:
    """Parent-based ratio unless `OTEL_TRACES_SAMPLER` names another (the SDK reads it)."""
    if env.get("OTEL_TRACES_SAMPLER"):
        return None
    try:
        ratio = float(env.get("OTEL_TRACES_SAMPLER_ARG") or 1.0)
    except ValueError:
        ratio = 1.0
    return ParentBased(TraceIdRatioBased(min(max(ratio, 0.0), 1.0)))


def _environment_exporter(env: Mapping[str, str]) -> SpanExporter:
    if any(env.get(name) for name in _ENDPOINTS):
        # The exporter reads endpoint, headers, timeout and compression from the env itself.
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        return OTLPSpanExporter()
    return ConsoleSpanExporter()


def setup_telemetry(service: str, exporter: SpanExporter | None = None) -> TracerProvider | None:
    """Install the process's tracer provider once and instrument the libraries, when
    tracing is configured or an exporter is given; otherwise leave the no-op API alone."""
    global _libraries_instrumented
    with _lock:
        provider = trace.get_tracer_provider()
        if isinstance(provider, TracerProvider):
            if exporter is not None:
                provider.add_span_processor(SimpleSpanProcessor(exporter))
        elif exporter is not None or tracing_configured():
            env = os.environ
            provider = TracerProvider(
                resource=Resource.create({"service.name": service}), sampler=sampler_from(env)
            )
            if exporter is not None:
                provider.add_span_processor(SimpleSpanProcessor(exporter))
            else:
                provider.add_span_processor(BatchSpanProcessor(_environment_exporter(env)))
            trace.set_tracer_provider(provider)
        else:
            return None
        if not _libraries_instrumented:
            from opentelemetry.instrumentation.kafka import KafkaInstrumentor
            from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor

            # The relay opens its own producer span and injects headers itself; the
            # instrumentor adds the client-level send span beneath it.
            KafkaInstrumentor().instrument()
            PsycopgInstrumentor().instrument(enable_commenter=False)
            _libraries_instrumented = True
    return provider


def instrument_app(app: FastAPI, service: str) -> None:
    """Server spans for every request, named by route, tagged with the service (only
    when this process records spans: the middleware costs time even when nothing
    is exported)."""
    if not tracing_on():
        return
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

    def tag_service(span: trace.Span, scope: dict[str, object]) -> None:
        if span and span.is_recording():
            span.set_attribute("baton.service", service)

    # One span per request: the per-message "http receive"/"http send" child spans told
    # nothing the server span does not, and cost the gateway, which serves every user, a
    # share of its time.
    FastAPIInstrumentor.instrument_app(
        app,
        server_request_hook=tag_service,
        excluded_urls="healthz,readyz",
        exclude_spans=["receive", "send"],
    )


def configure_logging(level: int = logging.INFO) -> None:
    logging.basicConfig(
        level=level, format="%(asctime)s %(levelname)s %(name)s %(message)s", force=True
    )
    # Access logs show paths only; nothing here logs bodies or query strings with identity.
    logging.getLogger("kafka").setLevel(logging.WARNING)
