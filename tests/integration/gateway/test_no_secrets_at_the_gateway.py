"""The gateway's half of the leak scan (the services' half is tests/integration/authz/
test_no_secrets.py): after logins with a second factor (wrong password, wrong and right
codes), a session's reads and mutations and a logout, no password, TOTP secret, session
id or CSRF token is in the gateway's logs, its spans, its tables (users, sessions,
failures) or the access log. The gateway writes nothing to Kafka; service tokens are
scanned where services receive them."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from gateway.identity import totp
from infra.telemetry import setup_telemetry

from ..intake.test_intake_confidentiality import table_contents
from .conftest import gql, login

pytestmark = pytest.mark.integration

PASSWORD = "correct horse battery"
WRONG = "not my password at all"
SET_LANGUAGE = "mutation($l: String!) { setLanguage(language: $l) { user { language } } }"


def test_no_password_totp_secret_session_or_token_in_logs_spans_or_tables(
    gateway_client, staff, clock, gateway_settings, caplog: pytest.LogCaptureFixture
) -> None:
    exporter = InMemorySpanExporter()
    setup_telemetry("baton-gateway-scan", exporter=exporter)
    caplog.set_level(logging.DEBUG)
    client = gateway_client(baton_totp_roles=["leader"])
    secret = totp.new_secret()
    staff.add("leader.scan", roles=("leader",), totp_secret=secret)
    assert login(client, "leader.scan", WRONG)["errors"]
    wrong_code = "000000" if totp.current_code(secret, clock()) != "000000" else "111111"
    assert login(client, "leader.scan", PASSWORD, wrong_code)["errors"]
    code = totp.current_code(secret, clock())
    body = login(client, "leader.scan", PASSWORD, code)
    assert "errors" not in body, body
    csrf = body["data"]["login"]["csrfToken"]
    session_id = client.cookies["baton_session"]
    assert gql(client, SET_LANGUAGE, csrf, l="en")["data"]["setLanguage"]
    assert gql(client, "{ me { user { username } } }")["data"]["me"]
    assert gql(client, "mutation { logout }", csrf)["data"]["logout"] is True

    blobs: list[Any] = []
    for schema in ("gateway", "access"):
        rows, tables = table_contents(
            gateway_settings.database_url, gateway_settings.schema_of(schema)
        )
        assert tables  # positive control: the tables are there
        blobs += rows
    access_rows = table_contents(
        gateway_settings.database_url, gateway_settings.schema_of("access")
    )[0]
    assert any("totp_invalid" in str(row) for row in access_rows)  # refusals were written
    blobs += [record.getMessage() for record in caplog.records]
    blobs += [str(record.__dict__) for record in caplog.records]
    spans = exporter.get_finished_spans()
    assert spans  # positive control: spans were captured
    blobs += [
        json.dumps({"name": s.name, "attributes": dict(s.attributes or {})}, default=str)
        for s in spans
    ]
    secrets = {
        "password": PASSWORD,
        "wrong password": WRONG,
        "totp secret": secret,
        "session id": session_id,
        "csrf token": csrf,
    }
    found = [
        name
        for name, value in secrets.items()
        for blob in blobs
        if value.encode() in (blob if isinstance(blob, bytes) else str(blob).encode())
    ]
    assert found == [], f"leaked: {sorted(set(found))}"
