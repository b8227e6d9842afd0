"""Identity at the gateway: users, sessions, second factor, throttling, CSRF, service tokens."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from domain.hierarchy import OrgTree
from gateway.identity.admin import UserAdmin
from gateway.identity.config import IdentityConfig
from gateway.identity.sealing import TotpSealer
from gateway.identity.service import Clock, Identity, utc_now
from gateway.identity.session_cache import SessionCache
from gateway.identity.store import IdentityStore
from gateway.identity.tokens import ServiceTokenSigner
from infra.access_log import AccessLog
from infra.auth import signing_key
from infra.settings import Settings

__all__ = ["IdentityParts", "open_identity"]


@dataclass
class IdentityParts:
    """Everything identity, wired from settings."""

    store: IdentityStore
    access_log: AccessLog
    identity: Identity
    admin: UserAdmin
    signer: ServiceTokenSigner

    def close(self) -> None:
        self.store.close()
        self.access_log.close()


def open_identity(
    settings: Settings, tree: OrgTree, clock: Clock = utc_now, session_cache_seconds: float = 0
) -> IdentityParts:
    """Open the gateway's tables (creating them if needed) and the access log; sessions are
    remembered for `session_cache_seconds` (0: read every time, as tools do)."""
    if not settings.database_url:
        raise ValueError("DATABASE_URL is needed for users and sessions")
    store = IdentityStore(
        settings.database_url,
        settings.schema_of("gateway"),
        TotpSealer(settings.identity_key()),
        SessionCache(ttl=session_cache_seconds),
    )
    access_log = AccessLog(settings.database_url, settings.schema_of("access"))
    identity = Identity(store, access_log, IdentityConfig.from_settings(settings), clock)
    signer = ServiceTokenSigner(
        signing_key(settings), timedelta(seconds=settings.baton_service_token_seconds)
    )
    return IdentityParts(store, access_log, identity, UserAdmin(store, tree, identity), signer)
