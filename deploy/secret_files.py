"""Secret files, made fresh: `python -m deploy.secret_files compose DIR` for what
deploy/compose.yaml reads (with a self-signed TLS certificate for a first start),
`... kubernetes DIR` for the province overlay's secretGenerator. Existing files are kept,
so running it again never rotates a key by accident (docs/deployment.md: key rotation)."""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import secrets
import sys
from collections.abc import Callable
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.x509.oid import NameOID

AUDITED = ("intake", "routing", "supervision", "stats", "gateway")
RAW = serialization.Encoding.Raw


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _ed25519() -> tuple[str, str]:
    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(RAW, serialization.PrivateFormat.Raw, serialization.NoEncryption())
    public = key.public_key().public_bytes(RAW, serialization.PublicFormat.Raw)
    return _b64(private), _b64(public)


def _self_signed(host: str) -> tuple[bytes, bytes]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=90))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    pem_key = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return cert.public_bytes(serialization.Encoding.PEM), pem_key


Put = Callable[[str, Callable[[], str | bytes]], None]
"""put(name, make): write `make()` to `name` unless that file exists."""


def _writer(directory: Path, written: list[str]) -> Put:
    """A function writing one secret file (mode 0600) unless it exists."""
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)

    def put(name: str, make: Callable[[], str | bytes]) -> None:
        path = directory / name
        if path.exists():
            return
        content = make()
        data = content.encode() if isinstance(content, str) else content
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        written.append(name)

    return put


def _audit_keys(directory: Path, put: Put, name_of: Callable[[str], str]) -> dict[str, str]:
    """Each audited process's signing key (kept if present) and the public-key list."""
    publics = {}
    for service in AUDITED:
        path = directory / name_of(service)
        if not path.exists():
            put(path.name, lambda: _ed25519()[0])
        seed = base64.b64decode(path.read_text().strip())
        key = Ed25519PrivateKey.from_private_bytes(seed)
        publics[service] = _b64(key.public_key().public_bytes(RAW, serialization.PublicFormat.Raw))
    return publics


def make_secrets(directory: Path, host: str = "localhost") -> list[str]:
    """Write the missing secret files of deploy/compose.yaml; returns the names written."""
    written: list[str] = []
    put = _writer(directory, written)

    # Hex passwords: safe inside a URL without quoting.
    put("postgres_password", lambda: secrets.token_hex(24))
    put("database_url", lambda: f"postgresql://baton_runtime:{secrets.token_hex(24)}"
                                "@postgres:5432/baton")
    put("database_owner_url", lambda: f"postgresql://baton_owner:{secrets.token_hex(24)}"
                                      "@postgres:5432/baton")
    put("identity_key", lambda: _b64(os.urandom(32)))
    if not (directory / "service_token_private_key").exists():
        private, public = _ed25519()
        (directory / "service_token_public_key").unlink(missing_ok=True)
        put("service_token_private_key", lambda: private)
        put("service_token_public_key", lambda: public)
    publics = _audit_keys(directory, put, lambda service: f"audit_key_{service}")
    (directory / "audit_public_keys").unlink(missing_ok=True)  # always matches the keys
    put("audit_public_keys", lambda: json.dumps(publics, sort_keys=True))
    if not (directory / "tls.crt").exists():
        cert, key = _self_signed(host)
        (directory / "tls.key").unlink(missing_ok=True)
        put("tls.crt", lambda: cert)
        put("tls.key", lambda: key)
    return written


def make_kube_secrets(directory: Path) -> list[str]:
    """Write the missing files of the province overlay's secretGenerator."""
    written: list[str] = []
    put = _writer(directory, written)
    put("db-owner-username", lambda: "baton_owner")
    put("db-owner-password", lambda: secrets.token_hex(24))
    put("db-runtime-username", lambda: "baton_runtime")
    put("db-runtime-password", lambda: secrets.token_hex(24))
    put("identity-key", lambda: _b64(os.urandom(32)))
    if not (directory / "service-token-private-key").exists():
        private, public = _ed25519()
        (directory / "service-token-public-key").unlink(missing_ok=True)
        put("service-token-private-key", lambda: private)
        put("service-token-public-key", lambda: public)
    publics = _audit_keys(directory, put, lambda service: f"audit-key-{service}")
    (directory / "audit-public-keys").unlink(missing_ok=True)
    put("audit-public-keys", lambda: json.dumps(publics, sort_keys=True))
    # Issued by the object store's administrators; placeholders until they are.
    put("backup-access-key-id", lambda: "REPLACE-ME")
    put("backup-secret-access-key", lambda: "REPLACE-ME")
    return written


def main() -> None:
    usage = "usage: python -m deploy.secret_files compose|kubernetes DIR [TLS_HOST]"
    if len(sys.argv) < 3 or sys.argv[1] not in ("compose", "kubernetes"):
        raise SystemExit(usage)
    directory = Path(sys.argv[2])
    if sys.argv[1] == "compose":
        written = make_secrets(directory, sys.argv[3] if len(sys.argv) > 3 else "localhost")
    else:
        written = make_kube_secrets(directory)
    for name in written:
        print(f"wrote {directory / name}")


if __name__ == "__main__":
    main()
