"""Signs the short-lived token the gateway sends with every call to a service."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from gateway.identity.users import User
from infra.auth import ALGORITHM, AUDIENCE, ISSUER, REPORTER, ServiceIdentity


def service_identity(user: User) -> ServiceIdentity:
    return ServiceIdentity(
        user.id, user.username, user.name, user.organ_code, user.office, user.roles
    )


class ServiceTokenSigner:
    """EdDSA (Ed25519) JWTs: iss baton-gateway, aud baton-services, about a minute long."""

    def __init__(self, key: Ed25519PrivateKey, lifetime: timedelta = timedelta(seconds=60)):
        self._key = key
        self.lifetime = lifetime

    def sign(self, user: User | None, now: datetime) -> str:
        """A token for `user`, or for the anonymous reporter (public progress) when None."""
        identity = REPORTER if user is None else service_identity(user)
        claims = {
            **identity.claims(),
            "iss": ISSUER,
            "aud": AUDIENCE,
            "iat": int(now.timestamp()),
            "exp": int((now + self.lifetime).timestamp()),
            "jti": uuid.uuid4().hex,
        }
        return jwt.encode(claims, self._key, algorithm=ALGORITHM)
