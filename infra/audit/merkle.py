"""The RFC 6962 Merkle tree over a store's audit leaves, on `pymerkle` (whose RFC 6962
mode matches the RFC's test vectors: tests/unit/audit/test_merkle.py).

pymerkle hashes entries itself; the audit table already holds each leaf's RFC 6962 hash,
so leaves are appended as hashes. Inclusion proofs are also given as RFC 9162 audit paths
(sibling hashes, leaf to root), which an outside auditor checks with hashlib alone.
"""

from __future__ import annotations

import hashlib
from typing import Any

from pymerkle import BaseMerkleTree, ConsistencyProof, InvalidProof, verify_consistency

_NODE_PREFIX = b"\x01"


class LeafTree(BaseMerkleTree):  # type: ignore[misc]
    """An RFC 6962 tree over a list of leaf hashes: a pymerkle backend, like its own.

    Appending costs nothing; pymerkle computes a root when asked, caching subtree roots.
    """

    def __init__(self) -> None:
        self.leaves: list[bytes] = []
        super().__init__(algorithm="sha256")

    def append_leaf_hash(self, leaf: bytes) -> int:
        """Append one leaf given by its RFC 6962 hash; returns the new size."""
        self.leaves.append(leaf)
        return len(self.leaves)

    @property
    def size(self) -> int:
        return len(self.leaves)

    def tree_head(self, size: int | None = None) -> bytes:
        """The tree head over the first `size` leaves (all by default)."""
        if (size if size is not None else len(self.leaves)) == 0:
            return hashlib.sha256(b"").digest()
        return bytes(self.get_root(size))

    # -- the pymerkle backend ----------------------------------------------------------

    def _encode_entry(self, data: bytes) -> bytes:
        return data

    def _store_leaf(self, data: object, digest: bytes) -> int:
        return self.append_leaf_hash(digest)

    def _get_leaf(self, index: int) -> bytes:
        return self.leaves[index - 1]

    def _get_leaves(self, offset: int, width: int) -> list[bytes]:
        return self.leaves[offset : offset + width]

    def _get_size(self) -> int:
        return len(self.leaves)

    def audit_path(self, index: int, size: int | None = None) -> list[bytes]:
        """RFC 9162 inclusion path of the leaf at zero-based `index` in the tree of `size`."""
        proof = self.prove_inclusion(index + 1, size)
        # pymerkle's path starts with the leaf itself, then the siblings upwards.
        return [bytes(node) for node in proof.path[1:]]

    def consistency(self, prior_size: int, size: int | None = None) -> dict[str, Any]:
        """A serialised proof that the tree of `prior_size` is a prefix of this one."""
        return dict(self.prove_consistency(prior_size, size).serialize())


def consistency_holds(prior_root: bytes, root: bytes, proof: dict[str, Any]) -> bool:
    """Does the proof show the tree with `prior_root` is a prefix of the one with `root`?"""
    try:
        verify_consistency(prior_root, root, ConsistencyProof.deserialize(proof))
    except (InvalidProof, KeyError, TypeError, ValueError):
        return False
    return True


def inclusion_holds(leaf: bytes, index: int, size: int, path: list[bytes], root: bytes) -> bool:
    """RFC 9162 §2.1.3.2: does `path` prove the leaf at `index` under `root`?"""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for sibling in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = hashlib.sha256(_NODE_PREFIX + sibling + r).digest()
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = hashlib.sha256(_NODE_PREFIX + r + sibling).digest()
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root
