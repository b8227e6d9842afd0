"""Audit leaves, the chain, Ed25519 audit keys and signed checkpoints."""

from __future__ import annotations

import base64
import json
from dataclasses import replace

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from infra.audit.checkpoints import Checkpoint
from infra.audit.keys import AuditKeys, public_bytes, sign, signature_holds
from infra.audit.leaves import GENESIS_HEAD, leaf_data, leaf_hash, next_head

CASE = "6f1d1b1e-4d0e-4c57-9a43-62c0baf0a11d"


def test_leaf_data_separates_every_field():
    base = leaf_data(CASE, 1, "domain.petition:Petition.Registered", b"\x01\x02")
    variants = [
        leaf_data(CASE, 2, "domain.petition:Petition.Registered", b"\x01\x02"),
        leaf_data(CASE, 1, "domain.petition:Petition.Accepted", b"\x01\x02"),
        leaf_data(CASE, 1, "domain.petition:Petition.Registered", b"\x01\x03"),
        leaf_data(CASE.replace("6", "7"), 1, "domain.petition:Petition.Registered", b"\x01\x02"),
        # moving a byte across a field boundary changes the bytes too
        leaf_data(CASE, 1, "domain.petition:Petition.Registered\x01", b"\x02"),
    ]
    assert len({base, *variants}) == 6
    assert leaf_hash(base) != leaf_hash(variants[0])


def test_the_chain_depends_on_order():
    a, b = leaf_hash(b"a"), leaf_hash(b"b")
    assert next_head(next_head(GENESIS_HEAD, a), b) != next_head(next_head(GENESIS_HEAD, b), a)
    assert len(next_head(GENESIS_HEAD, a)) == 32


def test_development_keys_are_created_once_and_shared(tmp_path):
    first = AuditKeys(tmp_path).signer("intake")
    second = AuditKeys(tmp_path).signer("intake")
    assert public_bytes(first.public_key()) == public_bytes(second.public_key())
    assert public_bytes(AuditKeys(tmp_path).public_key("intake")) == public_bytes(
        first.public_key()
    )
    assert (tmp_path / "intake.key").stat().st_mode & 0o777 == 0o600
    with pytest.raises(ValueError):
        AuditKeys(tmp_path).signer("../etc")


def test_production_keys_come_from_the_environment(tmp_path):
    seed = Ed25519PrivateKey.generate()
    from cryptography.hazmat.primitives.serialization import (
        Encoding,
        NoEncryption,
        PrivateFormat,
    )

    raw = seed.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    public = base64.b64encode(public_bytes(seed.public_key())).decode()
    keys = AuditKeys(
        tmp_path,
        production=True,
        signing_key_b64=base64.b64encode(raw).decode(),
        public_keys_json=json.dumps({"intake": public}),
    )
    assert public_bytes(keys.signer("intake").public_key()) == public_bytes(seed.public_key())
    assert public_bytes(keys.public_key("intake")) == public_bytes(seed.public_key())
    with pytest.raises(ValueError, match="routing"):
        keys.public_key("routing")
    with pytest.raises(ValueError, match="BATON_AUDIT_SIGNING_KEY"):
        AuditKeys(tmp_path, production=True).signer("intake")
    with pytest.raises(ValueError, match="32 bytes"):
        AuditKeys(tmp_path, signing_key_b64=base64.b64encode(b"short").decode()).signer("x")
    assert not list(tmp_path.iterdir()), "production writes no key file"


def test_a_checkpoint_signature_covers_every_field():
    key = Ed25519PrivateKey.generate()
    checkpoint = Checkpoint(
        "intake", "intake", 8, "ab" * 32, "cd" * 32, "2026-11-23T08:00:00+00:00"
    ).signed(key)
    assert checkpoint.signature_holds(key.public_key())
    assert Checkpoint.from_json(checkpoint.to_json()) == checkpoint
    for change in (
        {"size": 9},
        {"root": "ac" * 32},
        {"head": "ce" * 32},
        {"at": "2026-11-23T08:00:01+00:00"},
        {"store": "p1_intake"},
        {"service": "routing"},
    ):
        assert not replace(checkpoint, **change).signature_holds(key.public_key())
    assert not checkpoint.signature_holds(Ed25519PrivateKey.generate().public_key())
    assert not replace(checkpoint, signature="not base64!").signature_holds(key.public_key())
    assert checkpoint.message().startswith(b"baton-checkpoint-v1\nservice: intake\n")


def test_a_signature_holds_only_whole_for_its_message_and_key():
    """libsodium signs and checks, and agrees with OpenSSL byte for byte (what was signed
    before keeps verifying); a signature cut short, lengthened, altered or of another key
    or message does not hold."""
    key = Ed25519PrivateKey.generate()
    message = "案件 620102-2026-000001".encode()
    good = sign(key, message)
    assert base64.b64decode(good) == key.sign(message)
    assert sign(key, message) == good  # the expanded key came from the cache
    other = Ed25519PrivateKey.generate()
    assert base64.b64decode(sign(other, message)) == other.sign(message)
    assert signature_holds(key.public_key(), message, good)
    raw = base64.b64decode(good)
    for bad in (raw[:-1], raw + b"\x00", bytes([raw[0] ^ 1]) + raw[1:], b""):
        assert not signature_holds(key.public_key(), message, base64.b64encode(bad).decode())
    assert not signature_holds(key.public_key(), message + b".", good)
    assert not signature_holds(Ed25519PrivateKey.generate().public_key(), message, good)
    assert not signature_holds(key.public_key(), message, "not base64!")
