"""Signs the short-lived token the gateway sends with every call to a service."""

from __future__ import annotations

import threading
import uuid
from datetime import datetime, timedelta

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from gateway.identity.users import User
from infra.auth import ALGORITHM, AUDIENCE, ISSUER, REPORTER, ServiceIdentity

# Past this many cached tokens, the expired ones are dropped (one entry per active user).
_CACHE_PRUNE_AT = 4096


def service_identity(user: User) -> ServiceIdentity:
    return ServiceIdentity(
        user.id, user.username, user.name, user.organ_code, user.office, user.roles
    )


class ServiceTokenSigner:
    """EdDSA (Ed25519) JWTs: iss baton-gateway, aud baton-services, about a minute long."""

    def __init__(self, key: Ed25519PrivateKey, lifetime: timedelta = timedelta(seconds=60)):
        self._key = key
        self.lifetime = lifetime
        # A token is reused until a quarter of its life is left: enough for a slow call
        # and the services' clock-skew leeway, and one signature per user per ~45 s.
        self.margin = lifetime / 4
        self._cache: dict[ServiceIdentity, tuple[str, datetime, datetime]] = {}
        self._lock = threading.Lock()

    def sign(self, user: User | None, now: datetime) -> str:
        """A fresh token for `user`, or for the anonymous reporter (public progress) when
        None."""
        return self._sign(REPORTER if user is None else service_identity(user), now)

    def token_for(self, user: User | None, now: datetime) -> str:
        """The token to send for `user` now: the cached one while it has more than the
        margin left (signing and encoding per request was the gateway's largest cost after
        GraphQL itself), else a fresh one. A change of organ, office or roles is a new
        identity, so it never rides on an old token."""
        identity = REPORTER if user is None else service_identity(user)
        with self._lock:
            cached = self._cache.get(identity)
        if cached is not None:
            token, issued, expires = cached
            if issued <= now < expires - self.margin:
                return token
        token = self._sign(identity, now)
        with self._lock:
            if len(self._cache) >= _CACHE_PRUNE_AT:
                self._cache = {k: v for k, v in self._cache.items() if v[2] > now}
            self._cache[identity] = (token, now, now + self.lifetime)
        return token

    def _sign(self, identity: ServiceIdentity, now: datetime) -> str:
        claims = {
            **identity.claims(),
            "iss": ISSUER,
            "aud": AUDIENCE,
            "iat": int(now.timestamp()),
            "exp": int((now + self.lifetime).timestamp()),
            "jti": uuid.uuid4().hex,
        }
        return jwt.encode(claims, self._key, algorithm=ALGORITHM)
