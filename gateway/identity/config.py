"""What the identity package reads from settings, gathered in one value."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from gateway.identity.throttle import ThrottlePolicy
from gateway.identity.users import STAFF_ROLES
from infra.settings import Settings


@dataclass(frozen=True)
class IdentityConfig:
    """Timeouts, throttling, second-factor roles and password rules."""

    idle_timeout: timedelta = timedelta(minutes=30)
    absolute_timeout: timedelta = timedelta(hours=12)
    throttle: ThrottlePolicy = field(default_factory=ThrottlePolicy)
    totp_roles: frozenset[str] = frozenset()
    password_min_length: int = 10
    production: bool = False

    @classmethod
    def from_settings(cls, settings: Settings) -> IdentityConfig:
        unknown = settings.totp_roles - set(STAFF_ROLES)
        if unknown:
            # A misspelt role would silently go without a second factor.
            raise ValueError(f"BATON_TOTP_ROLES names unknown roles: {sorted(unknown)}")
        return cls(
            idle_timeout=timedelta(minutes=settings.baton_session_idle_minutes),
            absolute_timeout=timedelta(hours=settings.baton_session_absolute_hours),
            throttle=ThrottlePolicy(
                window=timedelta(minutes=settings.baton_login_window_minutes),
                throttle_after=settings.baton_login_throttle_after,
                address_throttle_after=settings.baton_login_address_throttle_after,
                max_delay=timedelta(seconds=settings.baton_login_max_delay_seconds),
                lock_after=settings.baton_login_lock_after,
                lock_for=timedelta(minutes=settings.baton_login_lock_minutes),
            ),
            totp_roles=settings.totp_roles,
            password_min_length=settings.baton_password_min_length,
            production=settings.is_production,
        )
