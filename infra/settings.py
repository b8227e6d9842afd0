"""Configuration from the environment (pydantic-settings)."""

from __future__ import annotations

import base64
import binascii
import json
import os
import time
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

from pydantic import field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from infra.audit.keys import AuditKeys

SERVICE_PORTS = {
    "gateway": 8000,
    "intake": 8101,
    "routing": 8102,
    "supervision": 8103,
    "stats": 8104,
}

PRODUCTION_TOTP_ROLES = frozenset({"leader", "auditor", "administrator"})


class Settings(BaseSettings):
    """Everything a Baton process reads from its environment."""

    model_config = SettingsConfigDict(env_file=None, extra="ignore")

    database_url: str | None = None
    kafka_bootstrap_servers: str | None = None
    baton_data_dir: Path = Path("var")
    baton_env: str = "development"
    # Prefix for schemas and topics, so that several platforms can share one database
    # and one broker (tests do).
    baton_namespace: str = ""
    # `baton up` in development loads the demo history into empty stores once; set
    # BATON_DEMO_HISTORY=0 to start empty (never loaded in production).
    baton_demo_history: bool = True
    # Base64 of 32 bytes. Development falls back to a random key kept in the data dir;
    # production refuses to start without one.
    baton_identity_key: str | None = None
    baton_host: str = "127.0.0.1"
    gateway_port: int = SERVICE_PORTS["gateway"]
    intake_port: int = SERVICE_PORTS["intake"]
    routing_port: int = SERVICE_PORTS["routing"]
    supervision_port: int = SERVICE_PORTS["supervision"]
    stats_port: int = SERVICE_PORTS["stats"]
    # Where the gateway reaches each service when they do not share its host (containers:
    # `INTAKE_URL=http://intake:8101`); unset, `http://BATON_HOST:<port>`.
    intake_url: str | None = None
    routing_url: str | None = None
    supervision_url: str | None = None
    stats_url: str | None = None
    # Embedded servers started by `baton up` and the tests when no URL is given.
    embedded_postgres_port: int = 54329
    embedded_broker_port: int = 19092
    topic_partitions: int = 4
    # The service's relay runs in a process of its own (`baton up`'s `intake-relay`), not
    # beside its requests: publishing in the answering interpreter took about 40 % of its
    # CPU and held the GIL the requests waited for (docs/performance.md, session 7).
    baton_relay_apart: bool = False
    # A line per request in a service's log (uvicorn's access log). Off: every request
    # reaches a service through the gateway, whose log has the line, and writing it cost
    # intake 4 % of its CPU per registration (py-spy, 2026-12-05).
    baton_service_request_lines: bool = False
    # Identity (gateway): sessions, login throttling, second factor, service tokens.
    baton_session_idle_minutes: float = 30
    baton_session_absolute_hours: float = 12
    baton_login_window_minutes: float = 15
    # Failures (in the window) after which each further try waits 2^k seconds, capped.
    baton_login_throttle_after: int = 3
    baton_login_address_throttle_after: int = 20
    baton_login_max_delay_seconds: float = 60
    # Failures (in the window) that lock the account for `baton_login_lock_minutes`.
    baton_login_lock_after: int = 10
    baton_login_lock_minutes: float = 15
    # Roles that must give a TOTP code; production adds leader, auditor, administrator.
    baton_totp_roles: Annotated[list[str], NoDecode] = []
    baton_password_min_length: int = 10
    # Ed25519 keys for gateway → service tokens: PEM, or base64 of the raw 32 bytes.
    # Development falls back to a key pair kept in the data dir; production needs them.
    baton_service_token_private_key: str | None = None
    baton_service_token_public_key: str | None = None
    baton_service_token_seconds: int = 60

    @field_validator("baton_totp_roles", mode="before")
    @classmethod
    def _roles_list(cls, value: Any) -> Any:
        """A JSON list or comma-separated codes: `["leader"]` or `leader,auditor`."""
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [part.strip() for part in text.split(",") if part.strip()]
        return value

    # Tamper evidence (infra/audit): the owner role's URL where this process may apply
    # schema declarations (development, tests, `baton migrate`); audit keys; how often a
    # store signs a checkpoint.
    database_owner_url: str | None = None
    baton_audit_key_dir: Path | None = None
    baton_audit_signing_key: str | None = None
    baton_audit_public_keys: str | None = None
    audit_checkpoint_seconds: float = 60.0
    # Routing snapshots a case's handling every this many events (0: never).
    routing_snapshot_interval: int = 50

    @property
    def is_production(self) -> bool:
        return self.baton_env == "production"

    def port_of(self, service: str) -> int:
        return int(getattr(self, f"{service}_port"))

    def url_of(self, service: str) -> str:
        configured = getattr(self, f"{service}_url", None)
        return (
            str(configured) if configured else f"http://{self.baton_host}:{self.port_of(service)}"
        )

    def schema_of(self, service: str) -> str:
        return f"{self.baton_namespace}{service}"

    def topic_of(self, service: str) -> str:
        return f"{self.baton_namespace}{service}.events"

    @property
    def totp_roles(self) -> frozenset[str]:
        """Roles whose users must give a second factor when they log in."""
        roles = set(self.baton_totp_roles)
        if self.is_production:
            roles |= PRODUCTION_TOTP_ROLES
        return frozenset(roles)

    @property
    def checkpoint_topic(self) -> str:
        return f"{self.baton_namespace}audit.checkpoints"

    def audit_keys(self) -> AuditKeys:
        """Where this process finds its signing key and the others' public keys."""
        return AuditKeys(
            key_dir=self.baton_audit_key_dir or self.baton_data_dir / "audit-keys",
            production=self.is_production,
            signing_key_b64=self.baton_audit_signing_key,
            public_keys_json=self.baton_audit_public_keys,
        )

    def identity_key(self) -> bytes:
        """The AES-256 key for reporter identity."""
        if self.baton_identity_key:
            try:
                key = base64.b64decode(self.baton_identity_key, validate=True)
            except binascii.Error as exc:
                raise ValueError("BATON_IDENTITY_KEY is not valid base64") from exc
            if len(key) != 32:
                raise ValueError("BATON_IDENTITY_KEY must decode to 32 bytes")
            return key
        if self.is_production:
            raise ValueError("BATON_IDENTITY_KEY must be set in production")
        return development_key(self.baton_data_dir / "identity.key")


def development_key(path: Path, size: int = 32) -> bytes:
    """A random key created once and shared by every process using this data dir."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _ in range(50):  # another process may be writing it right now
            key = path.read_bytes()
            if len(key) == size:
                return key
            time.sleep(0.01)
        raise ValueError(f"{path} does not hold a {size}-byte key") from None
    key = os.urandom(size)
    with os.fdopen(fd, "wb") as out:
        out.write(key)
    return key


@lru_cache
def get_settings() -> Settings:
    return Settings()
