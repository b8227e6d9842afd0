"""Kafka client security from the environment: nothing for the embedded broker, SASL/SCRAM
over TLS with the password from a mounted file on a real cluster, and a clear refusal of a
half-configured client."""

from __future__ import annotations

import pytest

from infra.kafka_security import client_security
from infra.settings import Settings


def test_unset_or_plaintext_adds_nothing():
    assert client_security({}) == {}
    assert client_security({"KAFKA_SECURITY_PROTOCOL": "plaintext"}) == {}


def test_scram_over_tls_reads_the_password_file(tmp_path):
    secret = tmp_path / "password"
    secret.write_text("s3cret\n")
    options = client_security(
        {
            "KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
            "KAFKA_SASL_USERNAME": "baton-stats",
            "KAFKA_SASL_PASSWORD_FILE": str(secret),
            "KAFKA_SSL_CAFILE": "/etc/kafka-ca/ca.crt",
        }
    )
    assert options == {
        "security_protocol": "SASL_SSL",
        "ssl_cafile": "/etc/kafka-ca/ca.crt",
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": "baton-stats",
        "sasl_plain_password": "s3cret",
    }


@pytest.mark.parametrize(
    "env, message",
    [
        ({"KAFKA_SECURITY_PROTOCOL": "SASL_SSL"}, "needs KAFKA_SASL_USERNAME"),
        ({"KAFKA_SECURITY_PROTOCOL": "KERBEROS"}, "must be one of"),
        (
            {"KAFKA_SECURITY_PROTOCOL": "SASL_SSL", "KAFKA_SASL_MECHANISM": "GSSAPI",
             "KAFKA_SASL_USERNAME": "u", "KAFKA_SASL_PASSWORD_FILE": "/nonexistent"},
            "KAFKA_SASL_MECHANISM",
        ),
    ],
)
def test_a_half_configured_client_is_refused(env, message):
    with pytest.raises(ValueError, match=message):
        client_security(env)


def test_an_empty_password_file_is_refused(tmp_path):
    empty = tmp_path / "password"
    empty.write_text("\n")
    with pytest.raises(ValueError, match="is empty"):
        client_security({"KAFKA_SECURITY_PROTOCOL": "SASL_SSL", "KAFKA_SASL_USERNAME": "u",
                         "KAFKA_SASL_PASSWORD_FILE": str(empty)})


def test_the_gateway_reaches_services_by_their_configured_urls():
    settings = Settings(baton_host="0.0.0.0", intake_url="http://intake:8101")
    assert settings.url_of("intake") == "http://intake:8101"
    assert settings.url_of("stats") == "http://0.0.0.0:8104"
