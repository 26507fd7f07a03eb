"""RFC 9162 §2.1 Merkle tree hashing, O(log n) appends, and inclusion and consistency proofs."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Sequence

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

# (level, index) -> root of the perfect subtree over leaves [index * 2**level, (index + 1) * 2**level).
NodeGetter = Callable[[int, int], bytes]
Node = tuple[int, int]


def leaf_hash(data: bytes) -> bytes:
    """SHA-256(0x00 || data): the RFC 9162 leaf hash."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right): the RFC 9162 interior node hash."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def root_of(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH over already-hashed leaves, level by level; an odd last node is carried up, never duplicated."""
    if not leaf_hashes:
        return EMPTY_ROOT
    level = list(leaf_hashes)
    while len(level) > 1:
        paired = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0]


def _fold(hashes: Sequence[bytes]) -> bytes:
    """Fold perfect-subtree roots (largest first) right to left, as MTH does along a right edge."""
    result = hashes[-1]
    for h in reversed(hashes[:-1]):
        result = node_hash(h, result)
    return result


def perfect_nodes(start: int, end: int) -> list[Node]:
    """Split leaves [start, end) into maximal aligned perfect subtrees, left to right, as (level, index)."""
    if not 0 <= start <= end:
        raise ValueError(f"invalid leaf range [{start}, {end})")
    nodes: list[Node] = []
    while start < end:
        # A subtree aligned at start is at most as large as start's lowest set bit (any size at 0).
        level = (start & -start).bit_length() - 1 if start else (end - start).bit_length() - 1
        while start + (1 << level) > end:
            level -= 1
        nodes.append((level, start >> level))
        start += 1 << level
    return nodes


class Frontier:
    """The compact range of a tree of size n: its perfect-subtree roots along the right edge, largest first.

    Load it from storage as ``Frontier(n, [get(*node) for node in perfect_nodes(0, n)])``.
    """

    __slots__ = ("_hashes", "_size")

    def __init__(self, size: int = 0, hashes: Sequence[bytes] = ()) -> None:
        if size < 0:
            raise ValueError("tree size must not be negative")
        if len(hashes) != size.bit_count():
            raise ValueError(f"a tree of size {size} has {size.bit_count()} frontier hashes, not {len(hashes)}")
        if any(len(h) != HASH_SIZE for h in hashes):
            raise ValueError("frontier hashes must be 32 bytes")
        self._size = size
        self._hashes = list(hashes)

    @property
    def size(self) -> int:
        return self._size

    @property
    def hashes(self) -> list[bytes]:
        return list(self._hashes)

    def append(self, leaf: bytes) -> list[tuple[int, int, bytes]]:
        """Add a leaf hash; return the perfect nodes it completes as (level, index, hash), leaf first."""
        if len(leaf) != HASH_SIZE:
            raise ValueError("a leaf hash must be 32 bytes")
        index = self._size
        created = [(0, index, leaf)]
        h, level, n = leaf, 0, index
        # Each trailing 1 bit of the old size is a same-height sibling on the frontier waiting for a partner.
        while n & 1:
            h = node_hash(self._hashes.pop(), h)
            level += 1
            n >>= 1
            created.append((level, index >> level, h))
        self._hashes.append(h)
        self._size += 1
        return created

    def root(self) -> bytes:
        return _fold(self._hashes) if self._hashes else EMPTY_ROOT


def subtree_root(start: int, end: int, get: NodeGetter) -> bytes:
    """MTH of leaves [start, end) from stored perfect nodes.

    The range must be a subtree of the RFC 9162 shape (as in every tree, path and proof): start is a
    multiple of the smallest power of two >= end - start. Otherwise MTH's split points are not stored nodes.
    """
    if not 0 <= start < end:
        raise ValueError(f"invalid leaf range [{start}, {end})")
    if start % (1 << (end - start - 1).bit_length()):
        raise ValueError(f"[{start}, {end}) is not a subtree of the RFC 9162 shape")
    return _fold([get(level, index) for level, index in perfect_nodes(start, end)])


def _path(m: int, start: int, end: int, get: NodeGetter) -> list[bytes]:
    if end - start == 1:
        return []
    mid = start + _split(end - start)
    if m < mid:
        return [*_path(m, start, mid, get), subtree_root(mid, end, get)]
    return [*_path(m, mid, end, get), subtree_root(start, mid, get)]


def inclusion_proof(index: int, size: int, get: NodeGetter) -> list[bytes]:
    """RFC 9162 PATH(index, D[size]), leaf to root."""
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} is not in a tree of size {size}")
    return _path(index, 0, size, get)


def _subproof(m: int, start: int, end: int, complete: bool, get: NodeGetter) -> list[bytes]:
    if m == end:
        return [] if complete else [subtree_root(start, end, get)]
    mid = start + _split(end - start)
    if m <= mid:
        return [*_subproof(m, start, mid, complete, get), subtree_root(mid, end, get)]
    return [*_subproof(m, mid, end, False, get), subtree_root(start, mid, get)]


def consistency_proof(first: int, second: int, get: NodeGetter) -> list[bytes]:
    """RFC 9162 PROOF(first, D[second]); empty when the sizes are equal."""
    if not 0 < first <= second:
        raise ValueError(f"no consistency proof from size {first} to size {second}")
    return _subproof(first, 0, second, True, get)


def _recorded(run: Callable[[NodeGetter], object]) -> set[Node]:
    # The proof recursions branch only on sizes and indices, never on hash values, so a dummy getter
    # sees exactly the nodes the real run will request.
    seen: set[Node] = set()

    def record(level: int, index: int) -> bytes:
        seen.add((level, index))
        return EMPTY_ROOT

    run(record)
    return seen


def nodes_for_inclusion(index: int, size: int) -> set[Node]:
    """The perfect nodes inclusion_proof(index, size, ...) reads, to fetch them in one query."""
    return _recorded(lambda get: inclusion_proof(index, size, get))


def nodes_for_consistency(first: int, second: int) -> set[Node]:
    """The perfect nodes consistency_proof(first, second, ...) reads, to fetch them in one query."""
    return _recorded(lambda get: consistency_proof(first, second, get))


def _shift_to_odd(fn: int, sn: int) -> tuple[int, int]:
    # The RFC's inner loop: skip levels where this node is a left child with no right sibling.
    while not fn & 1 and fn != 0:
        fn >>= 1
        sn >>= 1
    return fn, sn


def root_from_inclusion(leaf: bytes, index: int, size: int, proof: Sequence[bytes]) -> bytes | None:
    """The root that proof implies for leaf at index in a tree of size, or None if the proof is malformed."""
    if not 0 <= index < size or len(leaf) != HASH_SIZE or any(len(p) != HASH_SIZE for p in proof):
        return None
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            fn, sn = _shift_to_odd(fn, sn)
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return r if sn == 0 else None


def verify_inclusion(leaf: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes) -> bool:
    """RFC 9162 §2.1.3.2: is the leaf hash at index in the tree of this size and root?"""
    computed = root_from_inclusion(leaf, index, size, proof)
    return computed is not None and hmac.compare_digest(computed, root)


def verify_consistency(first: int, second: int, first_root: bytes, second_root: bytes, proof: Sequence[bytes]) -> bool:
    """RFC 9162 §2.1.4.2: does the tree (second, second_root) extend (first, first_root) append-only?"""
    if not 0 <= first <= second or any(len(p) != HASH_SIZE for p in proof):
        return False
    if first == second:
        return not proof and hmac.compare_digest(first_root, second_root)
    if first == 0:
        # Every tree extends the empty one; there is nothing to prove.
        return not proof
    if not proof:
        return False
    path = list(proof)
    if first & (first - 1) == 0:
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            fn, sn = _shift_to_odd(fn, sn)
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    first_ok = hmac.compare_digest(fr, first_root)
    second_ok = hmac.compare_digest(sr, second_root)
    return first_ok and second_ok and sn == 0
