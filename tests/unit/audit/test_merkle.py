"""pymerkle's RFC 6962 mode against the RFC's test vectors, and the audit paths an outside
auditor checks with hashlib alone."""

from __future__ import annotations

import pytest
from pymerkle import InmemoryTree

from infra.audit.leaves import leaf_hash
from infra.audit.merkle import LeafTree, consistency_holds, inclusion_holds

# The inputs and tree heads of the RFC 6962 reference test data (certificate-transparency).
LEAVES = [
    b"",
    b"\x00",
    b"\x10",
    b"\x20\x21",
    b"\x30\x31",
    b"\x40\x41\x42\x43",
    bytes(range(0x50, 0x58)),
    bytes(range(0x60, 0x70)),
]
ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
EMPTY_ROOT = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


@pytest.fixture
def tree() -> LeafTree:
    built = LeafTree()
    for data in LEAVES:
        built.append_leaf_hash(leaf_hash(data))
    return built


def test_pymerkle_rfc6962_mode_matches_the_test_vectors():
    reference = InmemoryTree(algorithm="sha256")
    for size, data in enumerate(LEAVES, start=1):
        reference.append_entry(data)
        assert reference.get_root().hex() == ROOTS[size - 1]


def test_the_leaf_hash_tree_matches_the_test_vectors(tree: LeafTree):
    assert [tree.tree_head(n).hex() for n in range(1, 9)] == ROOTS
    assert LeafTree().tree_head().hex() == EMPTY_ROOT


def test_every_audit_path_verifies_with_the_rfc9162_algorithm(tree: LeafTree):
    for size in range(1, 9):
        root = tree.tree_head(size)
        for index in range(size):
            path = tree.audit_path(index, size)
            assert inclusion_holds(leaf_hash(LEAVES[index]), index, size, path, root)


def test_a_known_audit_path_from_the_reference_data(tree: LeafTree):
    # RFC 6962 reference: leaf 2 (zero-based) of the tree of 8.
    assert [p.hex() for p in tree.audit_path(2, 8)] == [
        "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ]


def test_wrong_inclusion_claims_fail(tree: LeafTree):
    root = tree.tree_head(8)
    path = tree.audit_path(2, 8)
    assert not inclusion_holds(leaf_hash(LEAVES[3]), 2, 8, path, root)
    assert not inclusion_holds(leaf_hash(LEAVES[2]), 3, 8, path, root)
    assert not inclusion_holds(leaf_hash(LEAVES[2]), 2, 3, path, root)
    assert not inclusion_holds(leaf_hash(LEAVES[2]), 8, 8, path, root)
    assert not inclusion_holds(leaf_hash(LEAVES[2]), 2, 8, path[:-1], root)


def test_consistency_proofs_hold_for_prefixes_and_fail_otherwise(tree: LeafTree):
    for later in range(1, 9):
        for prior in range(1, later + 1):
            proof = tree.consistency(prior, later)
            assert consistency_holds(tree.tree_head(prior), tree.tree_head(later), proof)
    forked = LeafTree()
    for data in [*LEAVES[:3], b"forged", *LEAVES[4:]]:
        forked.append_leaf_hash(leaf_hash(data))
    proof = forked.consistency(4, 8)
    assert not consistency_holds(tree.tree_head(4), forked.tree_head(8), proof)
    assert not consistency_holds(tree.tree_head(3), tree.tree_head(8), tree.consistency(4, 8))
    assert not consistency_holds(tree.tree_head(3), tree.tree_head(8), {"garbage": 1})
