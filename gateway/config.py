"""The gateway's own knobs (environment variables prefixed `GATEWAY_`)."""

from __future__ import annotations

import json
from ipaddress import ip_address, ip_network
from pathlib import Path
from typing import Annotated

from pydantic import field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from starlette.requests import HTTPConnection

# A registration with its full text (100,000 characters: 300 KB in UTF-8, 600 KB when a
# client escapes every character as \uXXXX) and every other field fits under this; a
# 2.5 MB document does not.
DEFAULT_MAX_BODY_BYTES = 1024 * 1024


class GatewaySettings(BaseSettings):
    """Request body cap, trusted proxies, the trusted-documents manifest, session cache."""

    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="ignore")

    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    # Attachment uploads (the separate upload route): intake's own limit decides below this.
    max_upload_bytes: int = 64 * 1024 * 1024
    # Proxies (addresses or networks) whose X-Forwarded-For names the real client.
    trusted_proxies: Annotated[list[str], NoDecode] = []
    # The operations the web front end was built with (accepted alone in production).
    trusted_documents: Path | None = None
    # How long a session read from the database is remembered (gateway/identity/
    # session_cache.py). Changes made through this gateway clear it at once; with several
    # gateway replicas a logout or disable on one takes this long to reach the others:
    # 0 turns the cache off.
    session_cache_seconds: float = 5.0

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            if value.lstrip().startswith("["):
                return json.loads(value)
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for entry in value:
            ip_network(entry, strict=False)  # refuses a misspelt proxy at start
        return value


class ClientAddress:
    """The real client of a request: the peer, or, when the peer is a trusted proxy, the
    last address it appended to X-Forwarded-For (the one hop it vouches for)."""

    def __init__(self, trusted_proxies: list[str]) -> None:
        self.networks = [ip_network(entry, strict=False) for entry in trusted_proxies]

    def trusts(self, host: str) -> bool:
        try:
            address = ip_address(host)
        except ValueError:
            return False
        return any(address in network for network in self.networks)

    def __call__(self, connection: HTTPConnection) -> str | None:
        peer = connection.client.host if connection.client and connection.client.host else None
        forwarded = connection.headers.get("x-forwarded-for")
        if peer is not None and forwarded and self.trusts(peer):
            last = forwarded.split(",")[-1].strip()
            try:
                return str(ip_address(last))
            except ValueError:
                return peer
        return peer
