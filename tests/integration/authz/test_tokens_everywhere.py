"""Every route of every service but health and readiness refuses a call without a valid
service token (401 token_missing / token_invalid / token_expired), and logs the refusal;
the anonymous reporter's token reaches public progress and nothing else."""

from __future__ import annotations

import re
import time
import uuid

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient

from infra.access_log import AccessQuery
from infra.auth import AUDIENCE, ISSUER
from tests.actors import staff
from tests.service_tokens import bearer, token

from .conftest import COUNTY, Platform

pytestmark = pytest.mark.integration

CLERK = staff("clerk.token", COUNTY, "petition", "petition_clerk")
OPEN = {"/healthz", "/readyz", "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}


def _routes(client: TestClient) -> list[tuple[str, str]]:
    """Every operation the service's OpenAPI document lists, with its path filled in."""
    routes = []
    for template, operations in client.get("/openapi.json").json()["paths"].items():
        if template in OPEN:
            continue
        path = re.sub(r"\{case_id\}", str(uuid.uuid4()), template)
        path = re.sub(r"\{transfer_id\}", str(uuid.uuid4()), path)
        path = re.sub(r"\{sha256\}", "0" * 64, path)
        path = re.sub(r"\{organ\}", COUNTY, path)
        assert "{" not in path, template
        routes += [(method.upper(), path) for method in operations]
    return routes


def _forged() -> dict[str, str]:
    """Signed with another key: claims a leader of the province."""
    leader = staff("forger", "62", "petition", "leader")
    return bearer(leader, key=Ed25519PrivateKey.generate())


def _without_signature() -> dict[str, str]:
    now = int(time.time())
    claims = {"sub": "x", "username": "x", "name": "x", "organ": "62", "office": "petition"}
    claims |= {"roles": ["leader"], "iss": ISSUER, "aud": AUDIENCE, "iat": now, "exp": now + 60}
    return {"Authorization": f"Bearer {jwt.encode(claims, '', algorithm='none')}"}


BAD_TOKENS = {
    "token_missing": lambda: {},
    "token_missing ": lambda: {"Authorization": "Basic dXNlcjpwYXNz"},
    "token_invalid": _forged,
    "token_invalid ": _without_signature,
    "token_invalid  ": lambda: {"Authorization": f"Bearer {token(CLERK, aud='elsewhere')}"},
    "token_invalid   ": lambda: {"Authorization": f"Bearer {token(CLERK, roles=[])}"},
    "token_expired": lambda: bearer(CLERK, expires_in=-60),
}


@pytest.mark.parametrize("service", ["intake", "routing", "stats"])
def test_every_route_refuses_a_call_without_a_valid_token(platform: Platform, service: str) -> None:
    client: TestClient = getattr(platform, service)
    routes = _routes(client)
    assert len(routes) >= {"intake": 18, "routing": 18, "stats": 1}[service]
    since = platform.log.query(AccessQuery(subtree="", include_anonymous=True, first=1))
    for method, path in routes:
        for expected, headers in BAD_TOKENS.items():
            response = client.request(method, path, headers=headers(), json={})
            assert response.status_code == 401, (method, path, expected, response.text)
            error = response.json()["error"]
            assert error["code"] == expected.strip(), (method, path)
            assert error["message_zh"] and error["message_en"]
    logged = platform.log.query(AccessQuery(subtree="", include_anonymous=True, first=1000))
    newer = [e for e in logged if not since or (e.id or 0) > (since[0].id or 0)]
    unauthenticated = [e for e in newer if e.reason.startswith("token_")]
    assert len(unauthenticated) >= len(routes) * len(BAD_TOKENS)
    assert all(e.outcome == "refused" and e.object.startswith(service) for e in unauthenticated)
    assert client.get("/healthz").status_code == 200


def test_a_reporter_token_reaches_progress_only(platform: Platform) -> None:
    reporter = bearer(None)
    progress = platform.intake.post(
        "/public/progress", json={"receipt_code": "A" * 24}, headers=reporter
    )
    assert progress.status_code == 404  # a well-formed code that matches nothing
    staff_route = platform.intake.get(f"/petitions/{platform.petition}", headers=reporter)
    assert staff_route.status_code == 403
    assert staff_route.json()["error"]["details"]["reason"] == "reporter_reaches_progress_only"
    # A reporter's token without an organ is only a reporter's: other roles need one.
    no_organ = token(None, roles=["leader"])
    refused = platform.routing.get(
        f"/cases/{platform.case}", headers={"Authorization": f"Bearer {no_organ}"}
    )
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "token_invalid"
