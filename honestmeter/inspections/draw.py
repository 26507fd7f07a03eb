"""The verifiable double-random draw, algorithm `hmac-rank-v1` (DESIGN §5): a pure core, no Flask, no database.

Outside verifiers re-implement this byte for byte (docs/verifiable-draw.md), so the readable reference,
`score()` and `run_reference()`, is the specification in code; `run()` is the fast path the application uses
and must always give the same result (tests hold the two together, with and without the C extension).

Choices the DESIGN leaves open, fixed here and in docs/verifiable-draw.md:

- Strata keep the caller's order in the announcement (they are not sorted by name); the order changes the
  announcement hash but not who is drawn, since every stratum is ranked on its own and step 5 orders all
  selected merchants by score.
- "Sorted" means Python's `sorted()` on the normalised strings: Unicode code point order, which is also the
  byte order of their UTF-8. Members, inspectors and conflict pairs must be strictly ascending (no repeats).
- Conflict pairs naming a merchant outside the strata or an inspector outside the list cannot change the
  draw; `build_announcement` leaves them out, and a verifier accepts an announcement that has them.
- `selected` lists every merchant drawn in step 4, in step 5's order; a case with fewer than `per_case`
  eligible inspectors has `"inspectors": []` and its USCC is also listed in `unassigned`, in that same order.
"""

from __future__ import annotations

import gc
import hashlib
import heapq
import hmac
import importlib
import itertools
import math
import operator
import os
import secrets
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any, Protocol, cast

from honestmeter.ledger.canonical import canonical_bytes

ALGORITHM = "hmac-rank-v1"
DOMAIN = b"DOUBLE-RANDOM-DRAW/v1"
MERCHANT = "MERCHANT"
INSPECTOR = "INSPECTOR"
ANNOUNCEMENT_KEYS = frozenset(
    {"algorithm", "plan_id", "strata", "inspectors", "per_case", "capacity", "conflicts", "secret_commitment", "beacon"}
)
STRATUM_KEYS = frozenset({"name", "members", "k"})
RESULT_KEYS = frozenset({"plan_id", "selected", "unassigned"})
DIGEST_SIZE = 32
MAX_THREADS = 8

# ------------------------------------------------------------------ bytes (§5 preamble, steps 1, 3, 4)


def normalise_id(s: str) -> str:
    """An ID as the draw hashes it: Unicode NFC, surrounding whitespace stripped (its bytes are its UTF-8)."""
    return unicodedata.normalize("NFC", s).strip()


def len4(x: bytes) -> bytes:
    """The 4-byte big-endian length of x."""
    return len(x).to_bytes(4, "big")


def stratum_k(ratio: Fraction | Decimal | str | int, size: int) -> int:
    """ceil(ratio × size), exactly (no float), capped at size; ratio is a fraction of 1 ("0.03" for 3 %)."""
    if isinstance(ratio, bool | float) or not isinstance(ratio, Fraction | Decimal | str | int):
        raise ValueError(f"ratio must be exact (Fraction, Decimal, str or int), not {type(ratio).__name__}")
    exact = Fraction(ratio)
    if exact < 0:
        raise ValueError(f"ratio must not be negative: {ratio}")
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        raise ValueError(f"stratum size must be an integer >= 0: {size!r}")
    return min(size, math.ceil(exact * size))


def announcement_hash(ann: Mapping[str, Any]) -> bytes:
    """H(JCS(announcement)): SHA-256 of its RFC 8785 canonical bytes."""
    return hashlib.sha256(canonical_bytes(ann)).digest()


def commitment(secret: bytes) -> str:
    """The announcement's `secret_commitment`: hex SHA-256 of the secret."""
    return hashlib.sha256(secret).hexdigest()


def new_secret() -> bytes:
    return secrets.token_bytes(32)


def seed(ann_hash: bytes, secret: bytes, beacon: bytes) -> bytes:
    """Step 3: H(DOMAIN ‖ len4(ann_hash) ‖ ann_hash ‖ len4(secret) ‖ secret ‖ len4(beacon) ‖ beacon)."""
    return hashlib.sha256(DOMAIN + len4(ann_hash) + ann_hash + len4(secret) + secret + len4(beacon) + beacon).digest()


def score(seed: bytes, label: str, *ids: str) -> int:
    """Steps 4–5: HMAC-SHA256(seed, label ‖ len4(id1) ‖ id1 ‖ …) as a big-endian integer; IDs already normalised."""
    message = label.encode("ascii") + b"".join(len4(i.encode("utf-8")) + i.encode("utf-8") for i in ids)
    return int.from_bytes(hmac.digest(seed, message, "sha256"), "big")


def reveal(secret: bytes, beacon: bytes) -> dict[str, str]:
    """Step 2: the reveal as published, bytes in lowercase hex."""
    return {"secret": secret.hex(), "beacon": beacon.hex()}


# ------------------------------------------------------------------ the announcement (step 1)


@dataclass(frozen=True)
class Stratum:
    """One stratum of the pool (a credit grade, say): its members' USCCs and how many to draw (k)."""

    name: str
    members: Sequence[str]
    k: int


def build_announcement(
    *,
    plan_id: str,
    strata: Iterable[Stratum],
    inspectors: Iterable[str],
    per_case: int,
    capacity: int,
    conflicts: Iterable[tuple[str, str]],
    secret_commitment: str,
    beacon: str,
) -> dict[str, Any]:
    """The announcement object of §5.1, IDs normalised and sorted; ValueError naming what is wrong.

    Strata stay in the order given. `beacon` describes the value that will be used (named in advance).
    """
    layers: list[dict[str, Any]] = [
        {"name": normalise_id(s.name), "members": sorted(normalise_id(m) for m in s.members), "k": s.k} for s in strata
    ]
    staff = sorted(normalise_id(i) for i in inspectors)
    in_pool = {m for layer in layers for m in layer["members"]}
    on_staff = set(staff)
    pairs = {(normalise_id(u), normalise_id(i)) for u, i in conflicts}
    ann = {
        "algorithm": ALGORITHM,
        "plan_id": normalise_id(plan_id),
        "strata": layers,
        "inspectors": staff,
        "per_case": per_case,
        "capacity": capacity,
        "conflicts": [[u, i] for u, i in sorted(pairs) if u in in_pool and i in on_staff],
        "secret_commitment": secret_commitment,
        "beacon": beacon,
    }
    problems = announcement_problems(ann)
    if problems:
        raise ValueError("; ".join(problems))
    return ann


def _is_count(value: object, least: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= least


def _id_problems(what: str, ids: object) -> list[str]:
    """IDs must be a list of non-empty normalised strings, strictly ascending."""
    if not isinstance(ids, list):
        return [f"{what} must be a list"]
    # Passes in C over the whole list (a pool holds a million USCCs); ASCII is always NFC, so only strip matters.
    try:
        normal = list(map(str.strip if all(map(str.isascii, ids)) else normalise_id, ids)) == ids
    except TypeError:  # str methods refuse anything else
        return [f"{what} must hold only strings"]
    if not (normal and all(ids)):
        bad = next(i for i in ids if not i or normalise_id(i) != i)
        return [f"{what} holds {bad!r}, which is empty or not normalised (NFC, stripped)"]
    if not all(map(operator.lt, ids, ids[1:])):
        at = next(n for n in range(len(ids) - 1) if not ids[n] < ids[n + 1])
        how = "twice" if ids[at] == ids[at + 1] else "out of order"
        return [f"{what} lists {ids[at + 1]!r} {how} (IDs must be sorted and unique)"]
    return []


def _strata_problems(strata: object) -> list[str]:
    if not isinstance(strata, list) or not strata:
        return ["strata must be a non-empty list"]
    problems: list[str] = []
    names: set[str] = set()
    for n, layer in enumerate(strata):
        if not isinstance(layer, dict) or set(layer) != STRATUM_KEYS:
            problems.append(f"strata[{n}] must be an object with exactly the keys name, members, k")
            continue
        name, members, k = layer["name"], layer["members"], layer["k"]
        if not isinstance(name, str) or not name or normalise_id(name) != name or name in names:
            problems.append(f"strata[{n}] name {name!r} is empty, not normalised or repeated")
        else:
            names.add(name)
        problems += _id_problems(f"stratum {name!r} members", members)
        if not _is_count(k, 0) or (isinstance(members, list) and k > len(members)):
            size = len(members) if isinstance(members, list) else "?"
            problems.append(f"stratum {name!r} k = {k!r} must be an integer from 0 to its {size} members")
    if not problems:
        total = sum(len(layer["members"]) for layer in strata)
        if len(set(itertools.chain.from_iterable(layer["members"] for layer in strata))) != total:
            seen: set[str] = set()
            for layer in strata:
                again = seen.intersection(layer["members"])
                if again:
                    problems.append(f"{min(again)!r} is a member of more than one stratum")
                    break
                seen.update(layer["members"])
    return problems


def announcement_problems(ann: object) -> list[str]:
    """What makes `ann` not a well-formed hmac-rank-v1 announcement; empty when it is one."""
    if not isinstance(ann, dict):
        return ["announcement must be a JSON object"]
    if ann.get("algorithm") != ALGORITHM:
        return [f"algorithm is {ann.get('algorithm')!r}, not {ALGORITHM!r}: this verifier cannot run it"]
    if set(ann) != ANNOUNCEMENT_KEYS:
        missing, extra = sorted(ANNOUNCEMENT_KEYS - set(ann)), sorted(set(ann) - ANNOUNCEMENT_KEYS)
        return [f"announcement keys differ from {ALGORITHM}: missing {missing}, unknown {extra}"]
    problems: list[str] = []
    if not isinstance(ann["plan_id"], str) or not ann["plan_id"]:
        problems.append("plan_id must be a non-empty string")
    problems += _strata_problems(ann["strata"])
    problems += _id_problems("inspectors", ann["inspectors"])
    if not _is_count(ann["per_case"], 2):
        problems.append(f"per_case = {ann['per_case']!r} must be an integer >= 2 (two inspectors at least)")
    if not _is_count(ann["capacity"], 1):
        problems.append(f"capacity = {ann['capacity']!r} must be an integer >= 1")
    problems += _conflict_problems(ann["conflicts"])
    c = ann["secret_commitment"]
    if not isinstance(c, str) or len(c) != 64 or c.strip("0123456789abcdef"):
        problems.append("secret_commitment must be 64 lowercase hex digits (SHA-256 of the secret)")
    if not isinstance(ann["beacon"], str) or not ann["beacon"]:
        problems.append("beacon must name, in advance, the value that will be used")
    return problems


def _conflict_problems(conflicts: object) -> list[str]:
    if not isinstance(conflicts, list) or not all(
        isinstance(p, list) and len(p) == 2 and all(isinstance(x, str) and x and normalise_id(x) == x for x in p)
        for p in conflicts
    ):
        return ["conflicts must be a list of [uscc, inspector_id] pairs of normalised IDs"]
    if not all(map(operator.lt, conflicts, conflicts[1:])):
        return ["conflicts must be sorted and unique"]
    return []


# ------------------------------------------------------------------ the reference (steps 3–6, as written)


def run_reference(announcement: Mapping[str, Any], secret: bytes, beacon: bytes) -> dict[str, Any]:
    """The draw exactly as DESIGN §5 words it: the specification in code, for small pools and for tests."""
    ann = _checked(announcement, secret)
    key = seed(announcement_hash(ann), secret, beacon)
    selected: list[tuple[int, str, str]] = []  # (score, uscc, stratum)
    for layer in ann["strata"]:
        ranked = sorted((score(key, MERCHANT, uscc), uscc) for uscc in layer["members"])
        selected += [(s, uscc, layer["name"]) for s, uscc in ranked[: layer["k"]]]
    selected.sort()  # step 5's order, (score, uscc): a USCC is in one stratum only, so the name never decides
    conflicts = {(uscc, inspector) for uscc, inspector in ann["conflicts"]}
    load = dict.fromkeys(ann["inspectors"], 0)
    cases: list[tuple[str, str, list[str]]] = []
    for _, uscc, stratum in selected:
        eligible = [i for i in ann["inspectors"] if (uscc, i) not in conflicts and load[i] < ann["capacity"]]
        picked: list[str] = []
        if len(eligible) >= ann["per_case"]:
            picked = sorted(eligible, key=lambda i: (score(key, INSPECTOR, uscc, i), i))[: ann["per_case"]]
            for i in picked:
                load[i] += 1
        cases.append((uscc, stratum, picked))
    return _result(ann["plan_id"], cases)


def _checked(announcement: Mapping[str, Any], secret: bytes) -> Mapping[str, Any]:
    problems = announcement_problems(announcement)
    if problems:
        raise ValueError("; ".join(problems))
    if commitment(secret) != announcement["secret_commitment"]:
        raise ValueError("the secret does not match the announcement's secret_commitment")
    return announcement


def _result(plan_id: str, cases: Iterable[tuple[str, str, list[str]]]) -> dict[str, Any]:
    """Step 6's object; `cases` in step 5's order, an empty inspector list meaning unassigned."""
    selected = [{"uscc": uscc, "stratum": stratum, "inspectors": picked} for uscc, stratum, picked in cases]
    return {
        "plan_id": plan_id,
        "selected": selected,
        "unassigned": [case["uscc"] for case in selected if not case["inspectors"]],
    }


# ------------------------------------------------------------------ the fast path


class Backend(Protocol):
    """Steps 4 and 5 over IDs (hashed as UTF-8). The C extension `_drawscore` and `PythonBackend` provide it."""

    def select(self, key: bytes, label: bytes, ids: Sequence[str], k: int, threads: int, /) -> tuple[list[int], bytes]:
        """Indices of the k IDs with the smallest (score, id), ascending, and their 32-byte scores joined."""
        ...

    def assign(
        self,
        key: bytes,
        label: bytes,
        cases: Sequence[str],
        inspectors: Sequence[str],
        conflicts: Sequence[tuple[int, int]],
        per_case: int,
        capacity: int,
        threads: int,
        /,
    ) -> list[tuple[int, ...] | None]:
        """Step 5 over `cases` in order, recusals as (case index, inspector index): the inspectors' indices
        picked for each case, or None when fewer than per_case were eligible."""
        ...


class _Keyed:
    """HMAC-SHA256 under one key with the padded key hashed once (RFC 2104): half the work of hmac.digest."""

    def __init__(self, key: bytes) -> None:
        block = (hashlib.sha256(key).digest() if len(key) > 64 else key).ljust(64, b"\0")
        self.inner = hashlib.sha256(bytes(b ^ 0x36 for b in block))
        self.outer = hashlib.sha256(bytes(b ^ 0x5C for b in block))

    def digest(self, message: bytes) -> bytes:
        inner = self.inner.copy()
        inner.update(message)
        outer = self.outer.copy()
        outer.update(inner.digest())
        return outer.digest()


class PythonBackend:
    """The fast path in pure Python, used when the C extension is not built: same answers, slower."""

    def select(self, key: bytes, label: bytes, ids: Sequence[str], k: int, threads: int, /) -> tuple[list[int], bytes]:
        keyed = _Keyed(key)
        utf8 = [i.encode("utf-8") for i in ids]
        # Equal-length big-endian digests compare as the integers they encode.
        best = heapq.nsmallest(k, ((keyed.digest(label + len4(i) + i), i, n) for n, i in enumerate(utf8)))
        return [n for _, _, n in best], b"".join(d for d, _, _ in best)

    def assign(
        self,
        key: bytes,
        label: bytes,
        cases: Sequence[str],
        inspectors: Sequence[str],
        conflicts: Sequence[tuple[int, int]],
        per_case: int,
        capacity: int,
        threads: int,
        /,
    ) -> list[tuple[int, ...] | None]:
        keyed = _Keyed(key)
        suffix = [len4(i.encode("utf-8")) + i.encode("utf-8") for i in inspectors]
        recused: dict[int, set[int]] = {}
        for c, inspector in conflicts:
            recused.setdefault(c, set()).add(inspector)
        load = [0] * len(inspectors)
        available = list(range(len(inspectors)))  # load < capacity, ascending; loads only rise
        picks: list[tuple[int, ...] | None] = []
        for c, case in enumerate(cases):
            if len(available) < per_case:  # no later case can be staffed either: the rest are unassigned
                picks.append(None)
                continue
            prefix, skip = label + len4(case.encode("utf-8")) + case.encode("utf-8"), recused.get(c, set())
            ranked = heapq.nsmallest(
                per_case, ((keyed.digest(prefix + suffix[n]), inspectors[n], n) for n in available if n not in skip)
            )
            if len(ranked) < per_case:
                picks.append(None)
                continue
            picks.append(tuple(n for _, _, n in ranked))
            for _, _, n in ranked:
                load[n] += 1
                if load[n] == capacity:
                    available.remove(n)
        return picks


def _load_backend() -> Backend:
    try:  # by name: the optional C extension, not the `inspections` package and the web wiring it holds
        return cast(Backend, importlib.import_module("honestmeter.inspections._drawscore"))
    except ImportError:  # not built (no compiler or OpenSSL headers at install time)
        return PythonBackend()


backend: Backend = _load_backend()


def default_threads() -> int:
    return max(1, min(MAX_THREADS, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1))


def run(announcement: Mapping[str, Any], secret: bytes, beacon: bytes, *, threads: int | None = None) -> dict[str, Any]:
    """The draw (steps 3–6) on the fast backend; identical to run_reference. ValueError for a bad input."""
    ann = _checked(announcement, secret)
    return _run_checked(ann, secret, beacon, threads or default_threads())


@contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """The result is hundreds of thousands of small dicts and lists, none in a cycle; each full collection
    meanwhile walks the pool's million-item lists (0.7 s of a 148,000-case draw), so it waits until the end."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@_no_cyclic_gc()
def _run_checked(ann: Mapping[str, Any], secret: bytes, beacon: bytes, threads: int) -> dict[str, Any]:
    key = seed(announcement_hash(ann), secret, beacon)
    ranked: list[tuple[bytes, str, str]] = []  # (score, uscc, stratum) of every selected merchant
    for layer in ann["strata"]:
        members = layer["members"]
        indices, scores = backend.select(key, MERCHANT.encode(), members, layer["k"], threads)
        ranked += [
            (scores[DIGEST_SIZE * n : DIGEST_SIZE * (n + 1)], members[i], layer["name"]) for n, i in enumerate(indices)
        ]
    ranked.sort()  # step 5's order
    cases = [uscc for _, uscc, _ in ranked]
    inspectors: list[str] = ann["inspectors"]
    case_at = {uscc: n for n, uscc in enumerate(cases)}
    inspector_at = {inspector: n for n, inspector in enumerate(inspectors)}
    recused = [
        (case_at[uscc], inspector_at[inspector])
        for uscc, inspector in ann["conflicts"]
        if uscc in case_at and inspector in inspector_at
    ]
    picks = backend.assign(
        key, INSPECTOR.encode(), cases, inspectors, recused, ann["per_case"], ann["capacity"], threads
    )
    return _result(
        ann["plan_id"],
        (
            (uscc, stratum, [inspectors[n] for n in pick] if pick else [])
            for (_, uscc, stratum), pick in zip(ranked, picks, strict=True)
        ),
    )


# ------------------------------------------------------------------ verifying a published bundle


def verify_bundle(bundle: Mapping[str, Any]) -> list[str]:
    """Problems with a draw bundle {announcement, reveal, result}; an empty list means it re-runs identically.

    Other keys (ledger records, proofs) are ignored here: the ledger's own verifier checks those.
    """
    if not isinstance(bundle, Mapping):
        return ["the bundle must be a JSON object"]
    problems = announcement_problems(bundle.get("announcement"))
    revealed = bundle.get("reveal")
    values: dict[str, bytes] = {}
    if not isinstance(revealed, Mapping):
        problems.append("reveal must be an object {secret, beacon}")
    else:
        for name in ("secret", "beacon"):
            try:
                values[name] = bytes.fromhex(revealed.get(name))  # type: ignore[arg-type]
            except (TypeError, ValueError):
                problems.append(f"reveal.{name} must be hex")
    if problems:
        return problems
    ann = bundle["announcement"]
    if commitment(values["secret"]) != ann["secret_commitment"]:
        problems.append(
            f"the revealed secret hashes to {commitment(values['secret'])}, "
            f"not to the announced secret_commitment {ann['secret_commitment']}"
        )
    try:
        expected = _run_checked(ann, values["secret"], values["beacon"], default_threads())
    except ValueError as err:  # text JSON can hold but UTF-8 cannot (a lone surrogate)
        return [*problems, f"the announcement cannot be hashed: {err}"]
    return problems + result_differences(expected, bundle.get("result"))


def result_differences(expected: Mapping[str, Any], published: object) -> list[str]:
    """How a published result differs from the recomputed one (at most one line per part)."""
    if not isinstance(published, Mapping):
        return ["result must be a JSON object"]
    if set(published) != RESULT_KEYS:
        return [f"result keys are {sorted(published)}, not {sorted(RESULT_KEYS)}"]
    problems: list[str] = []
    if published["plan_id"] != expected["plan_id"]:
        problems.append(f"result plan_id {published['plan_id']!r} is not the announcement's {expected['plan_id']!r}")
    for part in ("selected", "unassigned"):
        mine, theirs = expected[part], published[part]
        if mine == theirs:
            continue
        if not isinstance(theirs, list):
            problems.append(f"result {part} must be a list")
            continue
        at = next(
            (n for n, (a, b) in enumerate(zip(mine, theirs, strict=False)) if a != b), min(len(mine), len(theirs))
        )
        problems.append(
            f"result {part} differs from the recomputed draw at entry {at}: "
            f"recomputed {mine[at] if at < len(mine) else 'nothing'}, "
            f"published {theirs[at] if at < len(theirs) else 'nothing'} "
            f"({len(mine)} recomputed, {len(theirs)} published)"
        )
    return problems
