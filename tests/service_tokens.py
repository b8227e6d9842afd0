"""Service tokens for tests, signed like the gateway's (`gateway.identity.tokens`): EdDSA,
iss `baton-gateway`, aud `baton-services`, claims sub, username, name, organ, office, roles."""

from __future__ import annotations

import time
import uuid
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from domain.actors import Actor
from infra.auth import ALGORITHM, AUDIENCE, ISSUER, REPORTER, TokenVerifier

KEY = Ed25519PrivateKey.generate()
VERIFIER = TokenVerifier(KEY.public_key())


def claims_of(actor: Actor) -> dict[str, Any]:
    return {
        "sub": actor.user_id,
        "username": actor.username,
        "name": actor.name,
        "organ": actor.organ_code,
        "office": actor.office,
        "roles": list(actor.roles),
    }


def token(
    actor: Actor | None = None,
    *,
    expires_in: int = 60,
    key: Ed25519PrivateKey = KEY,
    **claims: Any,
) -> str:
    """A signed token for `actor` (the anonymous reporter when None), claims overridable."""
    now = int(time.time())
    body = {
        **(claims_of(actor) if actor is not None else REPORTER.claims()),
        "iss": ISSUER,
        "aud": AUDIENCE,
        "iat": now,
        "exp": now + expires_in,
        "jti": uuid.uuid4().hex,
        **claims,
    }
    return jwt.encode(body, key, algorithm=ALGORITHM)


def bearer(actor: Actor | None = None, **kwargs: Any) -> dict[str, str]:
    """The Authorization header of a call made for `actor`."""
    return {"Authorization": f"Bearer {token(actor, **kwargs)}"}
