"""One registration yields one trace: gateway → intake → relay → stats consumer."""

from __future__ import annotations

import datetime as dt
import threading
import time
import uuid

import httpx
import pytest
import uvicorn
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from gateway.app import build as build_gateway
from infra.embedded import free_port, wait_for_port
from infra.relay import Relay
from infra.service import Workers
from infra.settings import Settings
from infra.telemetry import setup_telemetry
from services.intake.main import build as build_intake
from services.stats.main import build as build_stats
from tests.conftest import Staff

from .helpers import wait_until

pytestmark = pytest.mark.integration

MUTATION = "mutation($i: RegisterPetitionInput!) { registerPetition(input: $i) { caseId } }"


class ServerThread:
    """A real uvicorn server on a free port, in a thread of this process."""

    def __init__(self, app, port: int) -> None:
        self.server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.port = port

    def __enter__(self) -> ServerThread:
        self.thread.start()
        wait_for_port("127.0.0.1", self.port, 20)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(10)


def test_one_registration_is_one_trace_across_every_hop(database_url, kafka_bootstrap, tmp_path):
    exporter = InMemorySpanExporter()
    setup_telemetry("baton-test", exporter=exporter)
    settings = Settings(
        database_url=database_url,
        kafka_bootstrap_servers=kafka_bootstrap,
        baton_data_dir=tmp_path,
        baton_namespace=f"tr{uuid.uuid4().hex[:6]}_",
        intake_port=free_port(),
        stats_port=free_port(),
        gateway_port=free_port(),
    )
    intake_app, intake = build_intake(settings)[:2]
    stats_app, stats, stats_workers = build_stats(settings)
    relay = Relay(intake, kafka_bootstrap, topic=settings.topic_of("intake"))
    workers = Workers([("relay", relay.run), *stats_workers]).start()
    try:
        with (
            ServerThread(intake_app, settings.intake_port),
            ServerThread(stats_app, settings.stats_port),
            ServerThread(build_gateway(settings), settings.gateway_port),
        ):
            # A clerk of the county, logged in: the gateway calls intake with their token.
            Staff(settings).add("clerk.trace", organ="620102")
            client = httpx.Client(base_url=settings.url_of("gateway"), timeout=20)
            csrf = Staff.login(client, "clerk.trace")
            exporter.clear()
            response = client.post(
                "/graphql",
                headers={"X-CSRF-Token": csrf},
                json={
                    "query": MUTATION,
                    "variables": {
                        "i": {
                            "organCode": "620102",
                            "channel": "web",
                            "summary": "网络举报某局长违规收受礼金",
                            "receivedAt": dt.datetime.now(dt.UTC).isoformat(),
                        }
                    },
                },
            )
            client.close()
            assert "errors" not in response.json(), response.text
            wait_until(lambda: stats.case_count() == 1, timeout=15)
            time.sleep(0.3)  # let the consumer's span end
    finally:
        workers.join()

    spans = exporter.get_finished_spans()
    gateway_spans = [s for s in spans if s.attributes.get("baton.service") == "gateway"]
    assert gateway_spans, "the gateway's request span"
    trace_id = gateway_spans[0].context.trace_id
    in_trace = [s for s in spans if s.context.trace_id == trace_id]
    services = {s.attributes.get("baton.service") for s in in_trace}
    components = {s.attributes.get("baton.component") for s in in_trace}
    assert {"gateway", "intake", "stats"} <= services
    assert {"relay", "consumer"} <= components
    assert any(
        s.name.startswith("INSERT")
        or "INSERT" in s.name
        or s.name.startswith("postgres")
        or s.attributes.get("db.system")
        for s in in_trace
    ), "psycopg spans join the trace"
    # Every span of the journey shares the one trace: nothing started a trace of its own.
    relay_spans = [s for s in spans if s.attributes.get("baton.component") == "relay"]
    consumer_spans = [s for s in spans if s.attributes.get("baton.component") == "consumer"]
    assert {s.context.trace_id for s in relay_spans + consumer_spans} == {trace_id}
