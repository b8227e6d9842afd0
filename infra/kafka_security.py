"""How this process's Kafka clients authenticate 认证: SASL/SCRAM over TLS on a real
cluster (one Kafka user per service, whose ACLs let only its relay write its topic), nothing
for the embedded broker. Every KafkaProducer, KafkaConsumer and admin client takes these
options, so one process has one identity.

The password is read from a file (a mounted Secret) rather than the environment, so it
does not show in `/proc/<pid>/environ` or a crash dump of the settings.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

PROTOCOLS = frozenset({"PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"})
MECHANISMS = frozenset({"SCRAM-SHA-256", "SCRAM-SHA-512", "PLAIN"})


def client_security(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """kafka-python options from KAFKA_SECURITY_PROTOCOL, KAFKA_SASL_MECHANISM,
    KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD_FILE and KAFKA_SSL_CAFILE; {} when unset."""
    env = os.environ if environ is None else environ
    protocol = env.get("KAFKA_SECURITY_PROTOCOL", "").strip().upper()
    if not protocol or protocol == "PLAINTEXT":
        return {}
    if protocol not in PROTOCOLS:
        raise ValueError(f"KAFKA_SECURITY_PROTOCOL must be one of {sorted(PROTOCOLS)}")
    options: dict[str, Any] = {"security_protocol": protocol}
    if protocol.endswith("SSL") and env.get("KAFKA_SSL_CAFILE"):
        options["ssl_cafile"] = env["KAFKA_SSL_CAFILE"]
    if protocol.startswith("SASL"):
        mechanism = env.get("KAFKA_SASL_MECHANISM", "SCRAM-SHA-512").strip().upper()
        if mechanism not in MECHANISMS:
            raise ValueError(f"KAFKA_SASL_MECHANISM must be one of {sorted(MECHANISMS)}")
        username = env.get("KAFKA_SASL_USERNAME", "").strip()
        password_file = env.get("KAFKA_SASL_PASSWORD_FILE", "").strip()
        if not username or not password_file:
            raise ValueError(f"{protocol} needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD_FILE")
        password = Path(password_file).read_text(encoding="utf-8").strip()
        if not password:
            raise ValueError(f"KAFKA_SASL_PASSWORD_FILE {password_file} is empty")
        options |= {
            "sasl_mechanism": mechanism,
            "sasl_plain_username": username,
            "sasl_plain_password": password,
        }
    return options
