"""Service tokens: signed by the gateway, verified by a service (a tiny FastAPI app here).

Forged, expired, re-aimed and malformed tokens all get 401 with a code, never a 500.
"""

from __future__ import annotations

import base64
import json
import logging
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import Depends
from fastapi.testclient import TestClient

from domain.errors import Unauthenticated
from gateway.identity.tokens import ServiceTokenSigner
from gateway.identity.users import User
from infra.auth import (
    ServiceIdentity,
    TokenVerifier,
    identity_dependency,
    signing_key,
    verification_key,
)
from infra.settings import Settings
from infra.web import create_service_app

USER = User(
    id="0b0f4f9e-0000-4000-8000-000000000001",
    username="leader.62",
    name="张省领",
    organ_code="62",
    office="petition",
    roles=("leader",),
)
KEY = Ed25519PrivateKey.generate()


def service(key=KEY.public_key()) -> TestClient:
    app = create_service_app("demo")
    verified = identity_dependency(TokenVerifier(key))

    @app.get("/whoami")
    def whoami(identity: ServiceIdentity = Depends(verified)) -> dict:
        return {
            "username": identity.username,
            "organ": identity.organ_code,
            "roles": list(identity.roles),
            "name": identity.name,
        }

    return TestClient(app)


def call(client: TestClient, token: str | None, scheme: str = "Bearer"):
    headers = {"Authorization": f"{scheme} {token}"} if token is not None else {}
    return client.get("/whoami", headers=headers)


def test_a_signed_token_carries_the_user_to_the_service():
    token = ServiceTokenSigner(KEY).sign(USER, datetime.now(UTC))
    answer = call(service(), token)
    assert answer.status_code == 200
    assert answer.json() == {
        "username": "leader.62",
        "organ": "62",
        "roles": ["leader"],
        "name": "张省领",
    }
    claims = jwt.decode(token, options={"verify_signature": False})
    assert (claims["iss"], claims["aud"]) == ("baton-gateway", "baton-services")
    assert claims["exp"] - claims["iat"] == 60 and claims["sub"] == USER.id
    assert jwt.get_unverified_header(token)["alg"] == "EdDSA"


def refused(answer, code: str) -> None:
    assert answer.status_code == 401, answer.text
    error = answer.json()["error"]
    assert error["code"] == code and error["message_zh"] and error["message_en"]


def test_no_token_or_another_scheme_is_token_missing():
    client = service()
    refused(call(client, None), "token_missing")
    refused(call(client, "", "Bearer"), "token_missing")
    refused(
        call(client, ServiceTokenSigner(KEY).sign(USER, datetime.now(UTC)), "Basic"),
        "token_missing",
    )


def test_a_token_signed_by_another_key_is_invalid():
    forged = ServiceTokenSigner(Ed25519PrivateKey.generate()).sign(USER, datetime.now(UTC))
    refused(call(service(), forged), "token_invalid")


def test_tampered_unsigned_and_garbage_tokens_are_invalid():
    token = ServiceTokenSigner(KEY).sign(USER, datetime.now(UTC))
    header, payload, signature = token.split(".")
    claims = jwt.decode(token, options={"verify_signature": False})
    claims["roles"] = ["administrator"]
    raised = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=")
    client = service()
    refused(call(client, f"{header}.{raised.decode()}.{signature}"), "token_invalid")
    unsigned = jwt.encode(claims, key=None, algorithm="none")
    refused(call(client, unsigned), "token_invalid")
    hmac = jwt.encode(claims, "secret-shared-by-nobody", algorithm="HS256")
    refused(call(client, hmac), "token_invalid")
    refused(call(client, "not.a.token"), "token_invalid")


def test_an_expired_token_is_refused_beyond_a_small_clock_skew():
    signer = ServiceTokenSigner(KEY)
    client = service()
    refused(
        call(client, signer.sign(USER, datetime.now(UTC) - timedelta(seconds=70))), "token_expired"
    )
    # Within the 5 s leeway a clock a little behind still works.
    assert (
        call(client, signer.sign(USER, datetime.now(UTC) - timedelta(seconds=62))).status_code
        == 200
    )


@pytest.mark.parametrize(("claim", "value"), [("iss", "someone"), ("aud", "baton-web")])
def test_a_token_for_another_issuer_or_audience_is_invalid(claim, value):
    now = datetime.now(UTC)
    claims = {
        "sub": USER.id,
        "username": "u",
        "name": "n",
        "organ": "62",
        "office": "petition",
        "roles": ["leader"],
        "iss": "baton-gateway",
        "aud": "baton-services",
        "iat": int(now.timestamp()),
        "exp": int(now.timestamp()) + 60,
        claim: value,
    }
    refused(call(service(), jwt.encode(claims, KEY, algorithm="EdDSA")), "token_invalid")


@pytest.mark.parametrize("drop", ["sub", "exp", "organ", "roles"])
def test_a_token_missing_claims_is_invalid(drop):
    now = datetime.now(UTC)
    claims = {
        "sub": USER.id,
        "username": "u",
        "name": "n",
        "organ": "62",
        "office": "petition",
        "roles": ["leader"],
        "iss": "baton-gateway",
        "aud": "baton-services",
        "iat": int(now.timestamp()),
        "exp": int(now.timestamp()) + 60,
    }
    claims.pop(drop)
    refused(call(service(), jwt.encode(claims, KEY, algorithm="EdDSA")), "token_invalid")


def test_development_keys_are_made_once_and_shared_by_gateway_and_services(tmp_path):
    settings = Settings(baton_data_dir=tmp_path)
    private = signing_key(settings)
    assert (tmp_path / "service-token.key").stat().st_mode & 0o777 == 0o600
    raw = private.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    assert (
        signing_key(settings).private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )
        == raw
    )
    token = ServiceTokenSigner(private).sign(USER, datetime.now(UTC))
    assert TokenVerifier(verification_key(settings)).verify(token).username == "leader.62"


def test_production_keys_come_from_the_environment_as_pem_or_base64(tmp_path):
    with pytest.raises(ValueError):
        signing_key(Settings(baton_env="production", baton_data_dir=tmp_path))
    with pytest.raises(ValueError):
        verification_key(Settings(baton_env="production", baton_data_dir=tmp_path))
    assert not (tmp_path / "service-token.key").exists()
    pem = KEY.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public_raw = KEY.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    gateway = Settings(baton_env="production", baton_service_token_private_key=pem)
    services = Settings(
        baton_env="production", baton_service_token_public_key=base64.b64encode(public_raw).decode()
    )
    token = ServiceTokenSigner(signing_key(gateway)).sign(USER, datetime.now(UTC))
    assert TokenVerifier(verification_key(services)).verify(token).organ_code == "62"
    for bad in ("not base64!", base64.b64encode(b"short").decode()):
        with pytest.raises(ValueError):
            signing_key(Settings(baton_service_token_private_key=bad))
    public_pem = KEY.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    with pytest.raises(ValueError):  # a public key where the private one belongs
        signing_key(Settings(baton_service_token_private_key=public_pem.decode()))


def test_tokens_never_reach_the_log(caplog):
    caplog.set_level(logging.DEBUG)
    client = service()
    token = ServiceTokenSigner(KEY).sign(USER, datetime.now(UTC))
    call(client, token)
    call(client, token + "x")
    assert token not in caplog.text


def test_the_token_for_a_user_is_reused_for_three_quarters_of_its_life_only():
    signer = ServiceTokenSigner(KEY, timedelta(seconds=60))
    verifier = TokenVerifier(KEY.public_key())
    start = datetime.now(UTC) - timedelta(seconds=50)  # every token below verifies now
    first = signer.token_for(USER, start)
    assert signer.token_for(USER, start + timedelta(seconds=44)) == first
    assert verifier.verify(first).username == USER.username
    renewed = signer.token_for(USER, start + timedelta(seconds=45))
    assert renewed != first
    claims = jwt.decode(renewed, options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 60
    # Another user, or the same user with other roles or organ, never gets that token.
    other = User(**{**USER.__dict__, "id": "u-2", "username": "other"})
    promoted = User(**{**USER.__dict__, "roles": ("leader", "auditor")})
    moved = User(**{**USER.__dict__, "organ_code": "6201"})
    for user in (other, promoted, moved):
        token = signer.token_for(user, start + timedelta(seconds=46))
        assert token != renewed
        identity = verifier.verify(token)
        assert (identity.username, identity.roles, identity.organ_code) == (
            user.username,
            user.roles,
            user.organ_code,
        )
    # A clock set back (tests do) never reuses a token from its future.
    assert signer.token_for(USER, start) != renewed
    # The anonymous reporter's token is cached apart from staff ones.
    assert verifier.verify(signer.token_for(None, start)).roles == ("reporter",)


def test_a_verified_token_is_remembered_until_it_expires_and_no_longer():
    now = [datetime.now(UTC).timestamp()]
    verifier = TokenVerifier(KEY.public_key(), leeway=5, clock=lambda: now[0])
    checks = []
    check = verifier._verify
    verifier._verify = lambda token: checks.append(token) or check(token)  # type: ignore[method-assign]
    token = ServiceTokenSigner(KEY).sign(USER, datetime.now(UTC))
    exp = jwt.decode(token, options={"verify_signature": False})["exp"]
    assert verifier.verify(token).username == "leader.62"
    assert verifier.verify(token).username == "leader.62"
    assert len(checks) == 1  # the second call was answered from memory
    now[0] = exp + 5  # expired beyond the clock skew: no longer taken from memory
    verifier.verify(token)  # (the real clock has not moved: the decoder accepts it)
    assert len(checks) == 2


def test_a_token_differing_from_a_remembered_one_is_verified_afresh():
    verifier = TokenVerifier(KEY.public_key(), remembered=2)
    token = ServiceTokenSigner(KEY).sign(USER, datetime.now(UTC))
    verifier.verify(token)
    head, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["roles"] = ["administrator"]
    forged_payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    flipped = signature[:10] + ("A" if signature[10] != "A" else "B") + signature[11:]
    for forged in (f"{head}.{forged_payload}.{signature}", f"{head}.{payload}.{flipped}"):
        with pytest.raises(Unauthenticated) as refused:
            verifier.verify(forged)
        assert refused.value.code == "token_invalid"
    # Only `remembered` tokens are kept: older ones are verified again, and still pass.
    for _ in range(2):
        verifier.verify(ServiceTokenSigner(KEY).sign(USER, datetime.now(UTC)))
    assert verifier.verify(token).username == "leader.62"
