"""Secrets as files: the entrypoint turns NAME_FILE into NAME, and the compose secret
generator writes keys the services accept, without ever replacing one that exists."""

from __future__ import annotations

import json

import pytest

from deploy.file_env import load_files
from deploy.secret_files import AUDITED, make_secrets
from infra.audit.keys import AuditKeys
from infra.auth import verification_key
from infra.settings import Settings


def test_name_file_becomes_name_and_the_kept_ones_stay(tmp_path):
    secret = tmp_path / "url"
    secret.write_text("postgresql://baton_runtime:pw@postgres:5432/baton\n")
    password = tmp_path / "password"
    password.write_text("pw")
    env = {"DATABASE_URL_FILE": str(secret), "PGPASSWORD_FILE": str(password),
           "KAFKA_SASL_PASSWORD_FILE": "/run/pw", "SSL_CERT_FILE": "/etc/ssl/ca.pem", "X": "1"}
    assert load_files(env) == ["DATABASE_URL", "PGPASSWORD"]
    assert env == {
        "DATABASE_URL": "postgresql://baton_runtime:pw@postgres:5432/baton",
        "PGPASSWORD": "pw",
        "KAFKA_SASL_PASSWORD_FILE": "/run/pw",  # kafka_security reads the file itself
        "SSL_CERT_FILE": "/etc/ssl/ca.pem",  # OpenSSL's, not ours
        "X": "1",
    }


def test_a_variable_set_both_ways_is_refused(tmp_path):
    secret = tmp_path / "key"
    secret.write_text("k")
    with pytest.raises(SystemExit, match="both BATON_IDENTITY_KEY and BATON_IDENTITY_KEY_FILE"):
        load_files({"BATON_IDENTITY_KEY": "a", "BATON_IDENTITY_KEY_FILE": str(secret)})


def test_generated_secrets_are_accepted_by_production_settings_and_kept(tmp_path):
    written = make_secrets(tmp_path)
    assert {"database_url", "identity_key", "tls.crt", "audit_public_keys"} <= set(written)
    read = {path.name: path.read_text().strip() for path in tmp_path.iterdir()}
    assert all(oct(path.stat().st_mode)[-3:] == "600" for path in tmp_path.iterdir())
    settings = Settings(
        baton_env="production",
        baton_identity_key=read["identity_key"],
        baton_service_token_public_key=read["service_token_public_key"],
    )
    assert len(settings.identity_key()) == 32
    verification_key(settings)
    publics = json.loads(read["audit_public_keys"])
    assert set(publics) == set(AUDITED)
    for service in AUDITED:
        keys = AuditKeys(tmp_path, production=True, signing_key_b64=read[f"audit_key_{service}"],
                         public_keys_json=read["audit_public_keys"])
        assert keys.signer(service).public_key() == keys.public_key(service)
    assert read["database_url"].startswith("postgresql://baton_runtime:")

    # A second run writes nothing but the public-key list, and changes no key.
    assert make_secrets(tmp_path) == ["audit_public_keys"]
    assert {p.name: p.read_text().strip() for p in tmp_path.iterdir()} == read
