"""Sealing TOTP secrets: bound to the user and the key, clear legacy values read as they are."""

from __future__ import annotations

import os

import pytest

from gateway.identity.sealing import SecretUnreadable, TotpSealer, is_sealed

SECRET = "JBSWY3DPEHPK3PXP"


def test_a_sealed_secret_opens_for_its_user_and_key_only() -> None:
    sealer = TotpSealer(os.urandom(32))
    sealed = sealer.seal(SECRET, "u1")
    assert is_sealed(sealed) and SECRET not in sealed
    assert sealed != sealer.seal(SECRET, "u1")  # a fresh nonce each time
    assert sealer.open(sealed, "u1") == SECRET
    with pytest.raises(SecretUnreadable):
        sealer.open(sealed, "u2")
    with pytest.raises(SecretUnreadable):
        TotpSealer(os.urandom(32)).open(sealed, "u1")
    with pytest.raises(SecretUnreadable):
        sealer.open("v1.not base64!", "u1")
    assert "key" in repr(sealer) and SECRET not in repr(sealer)


def test_a_clear_secret_from_before_sealing_reads_as_it_is() -> None:
    assert not is_sealed(SECRET)
    assert TotpSealer(os.urandom(32)).open(SECRET, "u1") == SECRET
    with pytest.raises(ValueError):
        TotpSealer(b"short")
