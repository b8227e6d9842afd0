"""Service tokens: the short-lived Ed25519 JWT the gateway signs for every call to a service.

The gateway holds the private key and signs (`gateway.identity.tokens`); services hold
the public key, verify here, and take the acting person only from the verified claims.
Keys come from the environment (PEM, or base64 of the raw 32 bytes); in development the
private key is created once under the data dir and the public key derived from it.
"""

from __future__ import annotations

import base64
import binascii
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from fastapi import Header, Request

from domain.errors import Unauthenticated
from infra.settings import Settings, development_key

__all__ = [
    "AUDIENCE",
    "ISSUER",
    "ServiceIdentity",
    "TokenVerifier",
    "REPORTER",
    "identity_dependency",
    "sign",
    "verified_identity",
    "signing_key",
    "verification_key",
]

ISSUER = "baton-gateway"
AUDIENCE = "baton-services"
ALGORITHM = "EdDSA"
# Gateway and services run on clocks that may differ by a little, never by much.
CLOCK_SKEW_SECONDS = 5
# Verified tokens kept until they expire (the gateway's live for a minute).
VERIFIED_TOKENS_REMEMBERED = 4096
DEVELOPMENT_KEY_FILE = "service-token.key"


@dataclass(frozen=True)
class ServiceIdentity:
    """The person a service call acts for, as the gateway vouched for them."""

    user_id: str
    username: str
    name: str
    organ_code: str
    office: str
    roles: tuple[str, ...]

    def claims(self) -> dict[str, Any]:
        """The identity part of a token's claims."""
        return {
            "sub": self.user_id,
            "username": self.username,
            "name": self.name,
            "organ": self.organ_code,
            "office": self.office,
            "roles": list(self.roles),
        }


# The identity the gateway signs for an anonymous reporter's progress query: no organ and
# no office, the single role `reporter`. Services accept empty organ and office only for it.
REPORTER = ServiceIdentity("anonymous", "anonymous", "信访举报人", "", "", ("reporter",))


def sign(identity: ServiceIdentity, key: Ed25519PrivateKey, now: float, lifetime: int = 60) -> str:
    """A service token for `identity` (what the gateway signs per call; operators' tools
    holding the private key, like `baton calendar publish`, sign their own)."""
    claims = {
        **identity.claims(),
        "iss": ISSUER,
        "aud": AUDIENCE,
        "iat": int(now),
        "exp": int(now) + lifetime,
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, key, algorithm=ALGORITHM)


def _decode_key_text(text: str, private: bool) -> Ed25519PrivateKey | Ed25519PublicKey:
    stripped = text.strip()
    if stripped.startswith("-----BEGIN"):
        pem = stripped.encode()
        key: Any = (
            serialization.load_pem_private_key(pem, password=None)
            if private
            else serialization.load_pem_public_key(pem)
        )
    else:
        try:
            raw = base64.b64decode(stripped, validate=True)
        except binascii.Error as exc:
            raise ValueError("a service-token key must be PEM or base64") from exc
        if len(raw) != 32:
            raise ValueError("a raw Ed25519 service-token key is 32 bytes")
        key = (
            Ed25519PrivateKey.from_private_bytes(raw)
            if private
            else Ed25519PublicKey.from_public_bytes(raw)
        )
    expected = Ed25519PrivateKey if private else Ed25519PublicKey
    if not isinstance(key, expected):
        raise ValueError("a service-token key must be an Ed25519 key")
    return key


def signing_key(settings: Settings) -> Ed25519PrivateKey:
    """The gateway's private key: from the environment, else the development key file."""
    if settings.baton_service_token_private_key:
        key = _decode_key_text(settings.baton_service_token_private_key, private=True)
        assert isinstance(key, Ed25519PrivateKey)
        return key
    if settings.is_production:
        raise ValueError("BATON_SERVICE_TOKEN_PRIVATE_KEY must be set in production")
    raw = development_key(settings.baton_data_dir / DEVELOPMENT_KEY_FILE)
    return Ed25519PrivateKey.from_private_bytes(raw)


def verification_key(settings: Settings) -> Ed25519PublicKey:
    """The services' public key: from the environment, else derived in development."""
    if settings.baton_service_token_public_key:
        key = _decode_key_text(settings.baton_service_token_public_key, private=False)
        assert isinstance(key, Ed25519PublicKey)
        return key
    if settings.is_production:
        raise ValueError("BATON_SERVICE_TOKEN_PUBLIC_KEY must be set in production")
    return signing_key(settings).public_key()


def _refused(code: str, zh: str, en: str) -> Unauthenticated:
    return Unauthenticated(code, zh, en)


class TokenVerifier:
    """Checks signature, expiry, issuer and audience; returns who the call is for.

    A token verified once is remembered until it expires (keyed by the whole token, so a
    changed byte is verified afresh): a client that sends the same token with every call
    pays for one signature check, not one per call.
    """

    def __init__(
        self,
        key: Ed25519PublicKey,
        leeway: float = CLOCK_SKEW_SECONDS,
        remembered: int = VERIFIED_TOKENS_REMEMBERED,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._key = key
        self._leeway = leeway
        self._remembered = remembered
        self._clock = clock
        self._verified: dict[str, tuple[ServiceIdentity, float]] = {}

    def verify(self, token: str) -> ServiceIdentity:
        known = self._verified.get(token)
        if known is not None:
            identity, expires = known
            if self._clock() < expires:
                return identity
            self._verified.pop(token, None)
        identity, expires = self._verify(token)
        if len(self._verified) >= self._remembered:
            # The oldest entry goes (dicts keep insertion order); races only re-verify.
            self._verified.pop(next(iter(self._verified), ""), None)
        self._verified[token] = (identity, expires)
        return identity

    def _verify(self, token: str) -> tuple[ServiceIdentity, float]:
        try:
            claims = jwt.decode(
                token,
                self._key,
                algorithms=[ALGORITHM],
                audience=AUDIENCE,
                issuer=ISSUER,
                leeway=self._leeway,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
        except jwt.ExpiredSignatureError:
            raise _refused(
                "token_expired", "调用凭证已过期", "The service token has expired"
            ) from None
        except jwt.PyJWTError:
            raise _refused(
                "token_invalid", "调用凭证无效", "The service token is not valid"
            ) from None
        # `exp` is required and checked by the decoder: an integer (NumericDate) here.
        return _identity(claims), float(claims["exp"]) + self._leeway


def _identity(claims: dict[str, Any]) -> ServiceIdentity:
    roles = claims.get("roles")
    reporter = roles == list(REPORTER.roles)
    names = ("sub", "username", "name") + (() if reporter else ("organ", "office"))
    fields = [claims.get(name) for name in names]
    if not all(isinstance(value, str) and value for value in fields) or not (
        isinstance(roles, list) and roles and all(isinstance(role, str) for role in roles)
    ):
        raise _refused("token_invalid", "调用凭证内容不完整", "The service token lacks claims")
    user_id, username, name = (str(value) for value in fields[:3])
    organ, office = (
        (str(claims.get("organ") or ""), str(claims.get("office") or ""))
        if reporter
        else (str(fields[3]), str(fields[4]))
    )
    return ServiceIdentity(user_id, username, name, organ, office, tuple(roles))


def _bearer(verifier: TokenVerifier, authorization: str | None) -> ServiceIdentity:
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise _refused("token_missing", "缺少调用凭证", "The request carries no service token")
    return verifier.verify(token.strip())


def identity_dependency(verifier: TokenVerifier) -> Callable[..., Awaitable[ServiceIdentity]]:
    """A FastAPI dependency: the verified identity of the caller, or 401."""

    # `async`, though it never awaits: FastAPI runs a plain `def` dependency on a worker
    # thread, a hop that costs more than checking a token.
    async def verified_identity(
        authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
    ) -> ServiceIdentity:
        return _bearer(verifier, authorization)

    return verified_identity


async def verified_identity(request: Request) -> ServiceIdentity:
    """The caller's verified identity, by the verifier the service app was built with; 401
    otherwise. Services put it on every router but health and readiness (`async` so that
    FastAPI calls it on the event loop rather than a worker thread: it never blocks).

    The header is read here rather than declared as a `Header` parameter: FastAPI solves
    a dependency's parameters each time it is used, before it looks in its cache, and a
    staff route uses this one twice (the router's and `CurrentActor`'s)."""
    verifier: TokenVerifier = request.app.state.token_verifier
    return _bearer(verifier, request.headers.get("authorization"))
