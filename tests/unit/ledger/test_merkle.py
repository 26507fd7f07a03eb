"""RFC 9162 Merkle hashing, frontier appends and proofs, checked against the RFC, Go vectors and pymerkle."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pymerkle import InmemoryTree

from honestmeter.ledger.merkle import (
    EMPTY_ROOT,
    Frontier,
    NodeGetter,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    nodes_for_consistency,
    nodes_for_inclusion,
    perfect_nodes,
    root_from_inclusion,
    root_of,
    subtree_root,
    verify_consistency,
    verify_inclusion,
)

MAX = 300
DATA = [f"record {i}".encode() for i in range(MAX)]
LEAVES = [leaf_hash(d) for d in DATA]


def _build_store() -> tuple[dict[tuple[int, int], bytes], list[bytes]]:
    # Perfect nodes never change once created, so one store of MAX leaves serves every smaller tree too.
    store: dict[tuple[int, int], bytes] = {}
    roots = [EMPTY_ROOT]
    frontier = Frontier()
    for leaf in LEAVES:
        for level, index, h in frontier.append(leaf):
            assert (level, index) not in store
            store[level, index] = h
        roots.append(frontier.root())
    return store, roots


STORE, ROOTS = _build_store()


def recording(store: dict[tuple[int, int], bytes]) -> tuple[NodeGetter, set[tuple[int, int]]]:
    seen: set[tuple[int, int]] = set()

    def get(level: int, index: int) -> bytes:
        seen.add((level, index))
        return store[level, index]

    return get, seen


def get(level: int, index: int) -> bytes:
    return STORE[level, index]


def flip(proof: list[bytes], i: int) -> list[bytes]:
    tampered = list(proof)
    tampered[i] = bytes([tampered[i][0] ^ 1]) + tampered[i][1:]
    return tampered


# --- the RFC 6962 / 9162 seven-leaf example, with the letters of the RFC's figure --------------------
#
#            root
#           /    \
#          k      l
#         / \    / \
#        g   h  i   j
#       / \ / \ / \  |
#       a b c d e f  d6


@pytest.fixture
def rfc_tree() -> dict[str, bytes]:
    a, b, c, d, e, f, j = (leaf_hash(f"d{i}".encode()) for i in range(7))
    g, h, i = node_hash(a, b), node_hash(c, d), node_hash(e, f)
    k, l_ = node_hash(g, h), node_hash(i, j)
    named = {"a": a, "b": b, "c": c, "d": d, "e": e, "f": f, "g": g, "h": h, "i": i, "j": j, "k": k, "l": l_}
    named["root"] = node_hash(k, l_)
    return named


def rfc_store() -> dict[tuple[int, int], bytes]:
    frontier = Frontier()
    store: dict[tuple[int, int], bytes] = {}
    for i in range(7):
        for level, index, h in frontier.append(leaf_hash(f"d{i}".encode())):
            store[level, index] = h
    return store


def test_rfc_example_root_and_audit_paths(rfc_tree: dict[str, bytes]) -> None:
    store = rfc_store()
    n = rfc_tree
    assert root_of([n[x] for x in "abcdefj"]) == n["root"]
    assert subtree_root(0, 7, lambda lv, ix: store[lv, ix]) == n["root"]
    paths = {0: "bhl", 3: "cgl", 4: "fjk", 6: "ik"}  # RFC 6962 §2.1.3
    for index, letters in paths.items():
        proof = inclusion_proof(index, 7, lambda lv, ix: store[lv, ix])
        assert proof == [n[x] for x in letters]
        assert verify_inclusion(n["abcdefj"[index]], index, 7, proof, n["root"])


def test_rfc_example_consistency_proofs(rfc_tree: dict[str, bytes]) -> None:
    store = rfc_store()
    n = rfc_tree
    expected = {3: "cdgl", 4: "l", 6: "ijk"}  # RFC 6962 §2.1.4
    old_roots = {3: node_hash(n["g"], n["c"]), 4: n["k"], 6: node_hash(n["k"], n["i"])}
    for first, letters in expected.items():
        proof = consistency_proof(first, 7, lambda lv, ix: store[lv, ix])
        assert proof == [n[x] for x in letters]
        assert verify_consistency(first, 7, old_roots[first], n["root"], proof)


# --- transparency-dev/merkle testonly vectors (the RFC 6962 test leaves) ---------------------------------

GO_LEAVES = [
    b"",
    b"\x00",
    b"\x10",
    b"\x20\x21",
    b"\x30\x31",
    b"\x40\x41\x42\x43",
    b"\x50\x51\x52\x53\x54\x55\x56\x57",
    b"\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f",
]
GO_ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]


@pytest.mark.parametrize("size", range(1, 9))
def test_go_testonly_roots(size: int) -> None:
    leaves = [leaf_hash(d) for d in GO_LEAVES[:size]]
    assert root_of(leaves).hex() == GO_ROOTS[size - 1]
    frontier = Frontier()
    for leaf in leaves:
        frontier.append(leaf)
    assert frontier.root().hex() == GO_ROOTS[size - 1]


def test_hashes_and_empty_tree() -> None:
    assert EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert leaf_hash(b"x") == hashlib.sha256(b"\x00x").digest()
    assert node_hash(b"l", b"r") == hashlib.sha256(b"\x01lr").digest()
    assert root_of([]) == EMPTY_ROOT
    assert Frontier().root() == EMPTY_ROOT
    assert root_of([LEAVES[0]]) == LEAVES[0]


# --- frontier and storage model ---------------------------------------------------------------------


def test_frontier_appends_equal_reference_root_for_every_size() -> None:
    for size in range(MAX + 1):
        assert ROOTS[size] == root_of(LEAVES[:size])


def test_append_returns_exactly_the_new_perfect_nodes() -> None:
    frontier = Frontier()
    created = [frontier.append(leaf) for leaf in LEAVES[:8]]
    assert [[(lv, ix) for lv, ix, _ in c] for c in created] == [
        [(0, 0)],
        [(0, 1), (1, 0)],
        [(0, 2)],
        [(0, 3), (1, 1), (2, 0)],
        [(0, 4)],
        [(0, 5), (1, 2)],
        [(0, 6)],
        [(0, 7), (1, 3), (2, 1), (3, 0)],
    ]
    # Every stored node is the MTH of the leaves it covers.
    for (level, index), h in STORE.items():
        assert h == root_of(LEAVES[index << level : (index + 1) << level])


def test_frontier_reloads_from_stored_nodes() -> None:
    for size in (0, 1, 6, 7, 64, 255, 299):
        hashes = [STORE[node] for node in perfect_nodes(0, size)]
        frontier = Frontier(size, hashes)
        assert frontier.size == size
        assert frontier.hashes == hashes
        assert frontier.root() == ROOTS[size]
        frontier.append(LEAVES[size])
        assert frontier.root() == ROOTS[size + 1]


def test_frontier_rejects_inconsistent_state() -> None:
    with pytest.raises(ValueError, match="frontier hashes"):
        Frontier(3, [LEAVES[0]])
    with pytest.raises(ValueError, match="32 bytes"):
        Frontier(1, [b"short"])
    with pytest.raises(ValueError):
        Frontier(-1, [])
    with pytest.raises(ValueError):
        Frontier().append(b"not a hash")


def test_perfect_nodes() -> None:
    assert perfect_nodes(0, 0) == []
    assert perfect_nodes(0, 7) == [(2, 0), (1, 2), (0, 6)]
    assert perfect_nodes(0, 8) == [(3, 0)]
    assert perfect_nodes(3, 13) == [(0, 3), (2, 1), (2, 2), (0, 12)]
    assert perfect_nodes(5, 8) == [(0, 5), (1, 3)]
    with pytest.raises(ValueError):
        perfect_nodes(5, 4)


@given(st.integers(0, MAX), st.integers(0, MAX))
def test_perfect_nodes_tile_the_range(a: int, b: int) -> None:
    start, end = min(a, b), max(a, b)
    covered: list[int] = []
    for level, index in perfect_nodes(start, end):
        covered.extend(range(index << level, (index + 1) << level))
    assert covered == list(range(start, end))


def test_subtree_root_rejects_ranges_that_are_not_rfc_subtrees() -> None:
    assert subtree_root(4, 7, get) == root_of(LEAVES[4:7])
    with pytest.raises(ValueError, match="RFC 9162 shape"):
        subtree_root(1, 4, get)
    with pytest.raises(ValueError):
        subtree_root(3, 3, get)


# --- proofs ------------------------------------------------------------------------------------------


def test_every_inclusion_and_consistency_proof_up_to_64_leaves() -> None:
    for size in range(1, 65):
        for index in range(size):
            proof = inclusion_proof(index, size, get)
            assert verify_inclusion(LEAVES[index], index, size, proof, ROOTS[size])
        for first in range(1, size + 1):
            proof = consistency_proof(first, size, get)
            assert verify_consistency(first, size, ROOTS[first], ROOTS[size], proof)


sizes = st.integers(1, MAX)


@settings(max_examples=200)
@given(sizes, st.data())
def test_inclusion_proofs_verify_and_tampering_fails(size: int, data: st.DataObject) -> None:
    index = data.draw(st.integers(0, size - 1))
    getter, seen = recording(STORE)
    proof = inclusion_proof(index, size, getter)
    assert nodes_for_inclusion(index, size) == seen
    assert len(proof) <= (size - 1).bit_length()
    assert verify_inclusion(LEAVES[index], index, size, proof, ROOTS[size])
    assert root_from_inclusion(LEAVES[index], index, size, proof) == ROOTS[size]
    # A proof served from a dict fetched in one query gives the same answer.
    fetched = {node: STORE[node] for node in nodes_for_inclusion(index, size)}
    assert inclusion_proof(index, size, lambda lv, ix: fetched[lv, ix]) == proof

    assert not verify_inclusion(LEAVES[index], index, size, proof, ROOTS[size - 1] if size > 1 else b"\0" * 32)
    assert not verify_inclusion(LEAVES[(index + 1) % MAX], index, size, proof, ROOTS[size])
    if proof:
        slot = data.draw(st.integers(0, len(proof) - 1))
        assert not verify_inclusion(LEAVES[index], index, size, flip(proof, slot), ROOTS[size])
        assert not verify_inclusion(LEAVES[index], index, size, proof[:-1], ROOTS[size])
    assert not verify_inclusion(LEAVES[index], index, size, [*proof, LEAVES[0]], ROOTS[size])
    other = data.draw(st.integers(0, size - 1).filter(lambda i: i != index)) if size > 1 else None
    if other is not None:
        assert not verify_inclusion(LEAVES[index], other, size, proof, ROOTS[size])
    wrong_size = data.draw(st.integers(index + 1, MAX).filter(lambda n: n != size))
    assert not verify_inclusion(LEAVES[index], index, wrong_size, proof, ROOTS[wrong_size])
    assert not verify_inclusion(LEAVES[index], size, size, proof, ROOTS[size])


@settings(max_examples=200)
@given(sizes, st.data())
def test_consistency_proofs_verify_and_tampering_fails(second: int, data: st.DataObject) -> None:
    first = data.draw(st.integers(1, second))
    getter, seen = recording(STORE)
    proof = consistency_proof(first, second, getter)
    assert nodes_for_consistency(first, second) == seen
    assert len(proof) <= (second - 1).bit_length() + 1
    assert verify_consistency(first, second, ROOTS[first], ROOTS[second], proof)
    fetched = {node: STORE[node] for node in nodes_for_consistency(first, second)}
    assert consistency_proof(first, second, lambda lv, ix: fetched[lv, ix]) == proof

    if first == second:
        assert proof == []
        assert not verify_consistency(first, second, ROOTS[first], ROOTS[second], [LEAVES[0]])
        return
    slot = data.draw(st.integers(0, len(proof) - 1))
    assert not verify_consistency(first, second, ROOTS[first], ROOTS[second], flip(proof, slot))
    assert not verify_consistency(first, second, ROOTS[first], ROOTS[second], proof[:-1])
    assert not verify_consistency(first, second, ROOTS[first], ROOTS[second], [*proof, LEAVES[0]])
    assert not verify_consistency(first, second, ROOTS[first], ROOTS[second], [])
    assert not verify_consistency(first, second, ROOTS[first - 1], ROOTS[second], proof)
    assert not verify_consistency(first, second, ROOTS[first], ROOTS[second - 1], proof)
    assert not verify_consistency(second, first, ROOTS[second], ROOTS[first], proof)
    wrong = data.draw(st.integers(1, second).filter(lambda m: m != first))
    assert not verify_consistency(wrong, second, ROOTS[wrong], ROOTS[second], proof)


def test_consistency_edge_cases() -> None:
    assert verify_consistency(0, 5, EMPTY_ROOT, ROOTS[5], [])
    assert not verify_consistency(0, 5, EMPTY_ROOT, ROOTS[5], [LEAVES[0]])
    assert verify_consistency(5, 5, ROOTS[5], ROOTS[5], [])
    assert not verify_consistency(5, 5, ROOTS[5], ROOTS[4], [])
    assert not verify_consistency(-1, 5, ROOTS[0], ROOTS[5], [])
    assert not verify_consistency(2, 5, ROOTS[2], ROOTS[5], [b"short"])


@pytest.mark.parametrize(
    ("call", "args"),
    [
        (inclusion_proof, (0, 0, get)),
        (inclusion_proof, (5, 5, get)),
        (inclusion_proof, (-1, 5, get)),
        (consistency_proof, (0, 5, get)),
        (consistency_proof, (6, 5, get)),
        (nodes_for_inclusion, (3, 3)),
        (nodes_for_consistency, (0, 3)),
    ],
)
def test_proof_requests_out_of_range_raise(call: Callable[..., object], args: tuple[object, ...]) -> None:
    with pytest.raises(ValueError):
        call(*args)


def test_malformed_inclusion_inputs_fail() -> None:
    proof = inclusion_proof(2, 5, get)
    assert root_from_inclusion(LEAVES[2], 5, 5, proof) is None
    assert root_from_inclusion(b"short", 2, 5, proof) is None
    assert not verify_inclusion(LEAVES[2], 2, 5, [b"short", *proof[1:]], ROOTS[5])
    assert verify_inclusion(LEAVES[0], 0, 1, [], LEAVES[0])


# --- cross-check with pymerkle -----------------------------------------------------------------------


@settings(max_examples=50, deadline=None)
@given(st.lists(st.binary(max_size=40), min_size=0, max_size=MAX))
def test_root_of_matches_pymerkle(entries: list[bytes]) -> None:
    tree = InmemoryTree(algorithm="sha256")
    for entry in entries:
        tree.append_entry(entry)
    assert tree.get_root() == root_of([leaf_hash(e) for e in entries])
    if entries:
        size = len(entries) // 2 + 1
        assert tree.get_root(size) == root_of([leaf_hash(e) for e in entries[:size]])
