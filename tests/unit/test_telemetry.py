"""Telemetry follows the standard OpenTelemetry variables: on only when something would
export the spans, sampled parent-based by ratio."""

from __future__ import annotations

from opentelemetry.sdk.trace.sampling import ParentBased

from infra.telemetry import sampler_from, tracing_configured


def test_tracing_is_off_without_an_exporter() -> None:
    assert not tracing_configured({})
    assert not tracing_configured({"OTEL_TRACES_SAMPLER_ARG": "0.5"})


def test_an_otlp_endpoint_or_the_console_turns_tracing_on() -> None:
    assert tracing_configured({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"})
    assert tracing_configured({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://c:4318/v1/traces"})
    assert tracing_configured({"BATON_TRACE_CONSOLE": "1"})


def test_the_sdk_switches_win_over_an_endpoint() -> None:
    endpoint = {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}
    assert not tracing_configured({**endpoint, "OTEL_SDK_DISABLED": "true"})
    assert not tracing_configured({**endpoint, "OTEL_TRACES_EXPORTER": "none"})


def test_the_sampler_is_parent_based_by_ratio() -> None:
    sampler = sampler_from({"OTEL_TRACES_SAMPLER_ARG": "0.25"})
    assert isinstance(sampler, ParentBased)
    assert "0.25" in sampler.get_description()
    assert "1.0" in sampler_from({}).get_description()  # type: ignore[union-attr]
    assert "1.0" in sampler_from({"OTEL_TRACES_SAMPLER_ARG": "x"}).get_description()  # type: ignore[union-attr]
    # A named sampler is left to the SDK, which reads OTEL_TRACES_SAMPLER itself.
    assert sampler_from({"OTEL_TRACES_SAMPLER": "always_on"}) is None
