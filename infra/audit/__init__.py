"""Tamper evidence 防篡改: the audit chain in every store, signed checkpoints, witnesses,
signed integration events and the verifier (see docs/audit.md)."""
