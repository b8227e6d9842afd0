#!/usr/bin/env python3
"""An outside auditor's check of Baton evidence 外部审计核验, with nothing but `cryptography`
and `hashlib` (and the standard library). It imports nothing of Baton.

    python verify_checkpoint.py evidence.json [--public-key BASE64]

`evidence.json` (from `baton prove`) holds a signed checkpoint, the service's Ed25519
public key, and optionally one stored event with its RFC 9162 inclusion path. The script
checks the signature over the checkpoint's text, recomputes the event's leaf from its
stored bytes, and checks the path leads to the checkpoint's root. Give the public key you
obtained from the commission yourself with --public-key: the one inside the file only
says which key the platform claims.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import struct
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


def checkpoint_message(cp: dict) -> bytes:
    """The exact text the service signed."""
    return (
        "baton-checkpoint-v1\n"
        f"service: {cp['service']}\nstore: {cp['store']}\nsize: {cp['size']}\n"
        f"root: {cp['root']}\nhead: {cp['head']}\nat: {cp['at']}\n"
    ).encode()


def leaf_hash(event: dict) -> bytes:
    """RFC 6962 leaf hash of a stored event: SHA-256(0x00 || length-prefixed fields)."""
    identity = event["originator_id"].encode()
    topic = event["topic"].encode()
    state = base64.b64decode(event["state_b64"])
    data = b"".join(
        (
            struct.pack(">I", len(identity)),
            identity,
            struct.pack(">q", int(event["originator_version"])),
            struct.pack(">I", len(topic)),
            topic,
            struct.pack(">I", len(state)),
            state,
        )
    )
    return hashlib.sha256(b"\x00" + data).digest()


def inclusion_holds(leaf: bytes, index: int, size: int, path: list[bytes], root: bytes) -> bool:
    """RFC 9162 §2.1.3.2."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for sibling in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = hashlib.sha256(b"\x01" + sibling + r).digest()
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = hashlib.sha256(b"\x01" + r + sibling).digest()
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify(evidence: dict, public_key_b64: str | None = None) -> list[str]:
    """Every problem found; an empty list means the evidence holds."""
    problems = []
    cp = evidence["checkpoint"]
    key_b64 = public_key_b64 or evidence["public_key"]
    key = Ed25519PublicKey.from_public_bytes(base64.b64decode(key_b64))
    try:
        key.verify(base64.b64decode(cp["signature"]), checkpoint_message(cp))
    except InvalidSignature:
        problems.append("the checkpoint's signature does not hold")
    inclusion = evidence.get("inclusion")
    if inclusion is not None:
        leaf = leaf_hash(inclusion["event"])
        if leaf.hex() != inclusion.get("leaf", leaf.hex()):
            problems.append("the event's bytes do not give the leaf the platform recorded")
        path = [bytes.fromhex(node) for node in inclusion["path"]]
        index = int(inclusion["sequence"]) - 1
        if not inclusion_holds(leaf, index, int(cp["size"]), path, bytes.fromhex(cp["root"])):
            problems.append("the event is not included under the checkpoint's root")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("evidence", help="the JSON file from `baton prove`")
    parser.add_argument("--public-key", help="base64 Ed25519 public key of the service")
    args = parser.parse_args(argv)
    with open(args.evidence, encoding="utf-8") as source:
        evidence = json.load(source)
    problems = verify(evidence, args.public_key)
    cp = evidence["checkpoint"]
    if problems:
        for problem in problems:
            print(f"FAILED: {problem}")
        return 1
    what = "checkpoint"
    if evidence.get("inclusion"):
        what += f" and event {evidence['inclusion']['sequence']}"
    print(f"OK: {what} of {cp['service']} ({cp['store']}), size {cp['size']}, at {cp['at']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
