"""OpenTelemetry: one tracer provider per process; FastAPI, psycopg and the Kafka producer
instrumented. Consumers extract the context from message headers themselves.

Spans and logs never carry reporter identity: request bodies are not recorded, and
psycopg spans keep the statement text (parameters are sent separately, never in spans).
"""

from __future__ import annotations

import logging
import os
import threading

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

_lock = threading.Lock()
_libraries_instrumented = False


def setup_telemetry(service: str, exporter: SpanExporter | None = None) -> TracerProvider:
    """Install the process's tracer provider once and instrument the libraries."""
    global _libraries_instrumented
    with _lock:
        provider = trace.get_tracer_provider()
        if not isinstance(provider, TracerProvider):
            provider = TracerProvider(resource=Resource.create({"service.name": service}))
            if exporter is not None:
                provider.add_span_processor(SimpleSpanProcessor(exporter))
            elif os.environ.get("BATON_TRACE_CONSOLE"):
                provider.add_span_processor(BatchSpanProcessor(ConsoleSpanExporter()))
            trace.set_tracer_provider(provider)
        elif exporter is not None:
            provider.add_span_processor(SimpleSpanProcessor(exporter))
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
    """Server spans for every request, named by route, tagged with the service."""
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
