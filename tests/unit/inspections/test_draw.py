"""The hmac-rank-v1 draw (DESIGN §5): byte vectors, the golden bundle, properties, and the fast path = reference."""

from __future__ import annotations

import copy
import hashlib
import hmac
import itertools
import json
import random
import sys
from collections import Counter
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from honestmeter import inspections
from honestmeter.inspections import draw

GOLDEN = Path(__file__).with_name("golden_draw_bundle.json")
HUAWEI = "914403001922038216"
SECRET = bytes(range(32))
BEACON = b"beacon value typed in by the regulator"


def golden() -> dict[str, Any]:
    bundle: dict[str, Any] = json.loads(GOLDEN.read_text(encoding="utf-8"))
    return bundle


def announce(strata: list[draw.Stratum], inspectors: list[str], conflicts: list[tuple[str, str]], **kw: Any) -> Any:
    params: dict[str, Any] = {"per_case": 2, "capacity": 3, "beacon": "test beacon"} | kw
    return draw.build_announcement(
        plan_id="P-1",
        strata=strata,
        inspectors=inspectors,
        conflicts=conflicts,
        secret_commitment=draw.commitment(SECRET),
        **params,
    )


def uscc(n: int) -> str:
    return f"9133{n:014d}"


# ------------------------------------------------------------------ bytes: vectors computed outside draw.py

# seed over ann_hash = 32 × 0x11, secret "secret", beacon "beacon", and two scores under that seed;
# pinned from `openssl dgst -sha256 [-mac HMAC]` on hand-written bytes.
SEED_VECTOR = "430c45629f611acd6e627814082f478ea56d7e3d66d5d956d4b40a786f4fb9c0"
MERCHANT_VECTOR = "fdadbc39fd856d8e0a5714545571b6a427cc1cfbee864f8f47e3bbe261a029ed"
INSPECTOR_VECTOR = "2ddd7c003bc5a30ebad293983027f59a68d62cbec1e1324ddf62434549ac83b4"


def test_seed_matches_hand_built_bytes() -> None:
    by_hand = hashlib.sha256(
        b"DOUBLE-RANDOM-DRAW/v1" + b"\x00\x00\x00\x20" + b"\x11" * 32 + b"\x00\x00\x00\x06secret\x00\x00\x00\x06beacon"
    ).digest()
    assert by_hand.hex() == SEED_VECTOR
    assert draw.seed(b"\x11" * 32, b"secret", b"beacon") == by_hand


def test_scores_match_hand_built_bytes() -> None:
    key = bytes.fromhex(SEED_VECTOR)
    merchant = hmac.new(key, b"MERCHANT\x00\x00\x00\x12" + HUAWEI.encode(), hashlib.sha256).digest()
    inspector_id = "浙杭执-0005".encode()
    inspector = hmac.new(
        key, b"INSPECTOR\x00\x00\x00\x12" + HUAWEI.encode() + b"\x00\x00\x00\x0e" + inspector_id, hashlib.sha256
    ).digest()
    assert (merchant.hex(), inspector.hex()) == (MERCHANT_VECTOR, INSPECTOR_VECTOR)
    assert draw.score(key, "MERCHANT", HUAWEI) == int(MERCHANT_VECTOR, 16)
    assert draw.score(key, "INSPECTOR", HUAWEI, "浙杭执-0005") == int(INSPECTOR_VECTOR, 16)


def test_commitment_reveal_and_secret() -> None:
    assert draw.commitment(b"abc") == hashlib.sha256(b"abc").hexdigest()
    assert draw.reveal(b"\x01\xff", b"\x00") == {"secret": "01ff", "beacon": "00"}
    assert len(draw.new_secret()) == 32
    assert draw.new_secret() != draw.new_secret()


def test_ids_are_nfc_and_stripped() -> None:
    decomposed = " A\u030angstr\u00f6m\t"  # A + combining ring above
    assert draw.normalise_id(decomposed) == "\u00c5ngstr\u00f6m"
    ann = announce([draw.Stratum(" A ", [decomposed, uscc(1)], 1)], ["I-1", " I-2"], [(decomposed, "I-2 ")])
    assert ann["strata"][0] == {"name": "A", "members": ["9133" + "0" * 13 + "1", "\u00c5ngstr\u00f6m"], "k": 1}
    assert ann["inspectors"] == ["I-1", "I-2"]
    assert ann["conflicts"] == [["\u00c5ngstr\u00f6m", "I-2"]]
    composed = "\u00c5ngstr\u00f6m".encode()
    key = bytes.fromhex(SEED_VECTOR)
    assert draw.score(key, "MERCHANT", "\u00c5ngstr\u00f6m") == int.from_bytes(
        hmac.new(key, b"MERCHANT" + len(composed).to_bytes(4, "big") + composed, hashlib.sha256).digest(), "big"
    )


def test_two_spellings_of_one_id_are_a_duplicate() -> None:
    with pytest.raises(ValueError, match="twice"):
        announce([draw.Stratum("A", ["\u00c5", "A\u030a"], 1)], ["I-1", "I-2"], [])


# ------------------------------------------------------------------ k = ceil(ratio × size)


@pytest.mark.parametrize(
    ("ratio", "size", "k"),
    [
        ("0.03", 100, 3),
        ("0.03", 101, 4),  # 3.03 rounds up
        ("0.03", 1, 1),
        (Decimal("0.1"), 30, 3),  # as a float 0.1 × 30 = 3.0000000000000004, whose ceiling is 4
        (Fraction(1, 3), 3, 1),
        ("1/3", 4, 2),
        ("0.6", 0, 0),
        ("0", 50, 0),
        (2, 7, 7),  # capped at the stratum's size
    ],
)
def test_stratum_k_is_the_exact_ceiling(ratio: Any, size: int, k: int) -> None:
    assert draw.stratum_k(ratio, size) == k


@pytest.mark.parametrize(("ratio", "size"), [(0.1, 30), ("-0.1", 5), (True, 3), ("0.1", -1)])
def test_stratum_k_refuses_floats_and_nonsense(ratio: Any, size: int) -> None:
    with pytest.raises(ValueError):
        draw.stratum_k(ratio, size)


@given(st.fractions(min_value=0, max_value=1), st.integers(min_value=0, max_value=10**6))
def test_stratum_k_is_the_least_count_reaching_the_ratio(ratio: Fraction, size: int) -> None:
    k = draw.stratum_k(ratio, size)
    assert k <= size
    assert k >= ratio * size > k - 1


# ------------------------------------------------------------------ validation


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"per_case": 1}, "per_case"),
        ({"capacity": 0}, "capacity"),
        ({"per_case": True}, "per_case"),
        ({"secret_commitment": "ABC"}, "secret_commitment"),
        ({"beacon": ""}, "beacon"),
    ],
)
def test_bad_parameters_are_refused(change: dict[str, Any], message: str) -> None:
    params: dict[str, Any] = {
        "plan_id": "P",
        "strata": [draw.Stratum("A", [uscc(1), uscc(2)], 1)],
        "inspectors": ["I-1", "I-2"],
        "per_case": 2,
        "capacity": 1,
        "conflicts": [],
        "secret_commitment": draw.commitment(SECRET),
        "beacon": "b",
    }
    with pytest.raises(ValueError, match=message):
        draw.build_announcement(**(params | change))


@pytest.mark.parametrize(
    ("strata", "inspectors", "message"),
    [
        ([draw.Stratum("A", [uscc(1)], 2)], ["I-1", "I-2"], "k = 2"),
        ([draw.Stratum("A", [uscc(1)], -1)], ["I-1", "I-2"], "k = -1"),
        ([draw.Stratum("A", [uscc(1)], 1), draw.Stratum("B", [uscc(1)], 1)], ["I-1", "I-2"], "more than one stratum"),
        ([draw.Stratum("A", [uscc(1), uscc(1)], 1)], ["I-1", "I-2"], "twice"),
        ([draw.Stratum("A", [" "], 1)], ["I-1", "I-2"], "empty"),
        ([draw.Stratum("A", [uscc(1)], 1)], ["I-1", "  "], "empty"),
        ([draw.Stratum("A", [uscc(1)], 1)], ["I-1", "I-1"], "twice"),
        ([draw.Stratum("A", [uscc(1)], 1), draw.Stratum("A", [uscc(2)], 1)], ["I-1", "I-2"], "repeated"),
        ([], ["I-1", "I-2"], "non-empty"),
    ],
)
def test_malformed_pools_are_refused(strata: list[draw.Stratum], inspectors: list[str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        announce(strata, inspectors, [])


def test_announcement_keeps_strata_order_and_drops_irrelevant_conflicts() -> None:
    ann = announce(
        [draw.Stratum("C", [uscc(3), uscc(2)], 1), draw.Stratum("A", [uscc(1)], 1)],
        ["I-2", "I-1"],
        [(uscc(9), "I-1"), (uscc(2), "I-9"), (uscc(2), "I-2"), (uscc(2), "I-2"), (uscc(1), "I-1")],
    )
    assert list(ann) == [
        "algorithm",
        "plan_id",
        "strata",
        "inspectors",
        "per_case",
        "capacity",
        "conflicts",
        "secret_commitment",
        "beacon",
    ]
    assert [s["name"] for s in ann["strata"]] == ["C", "A"]
    assert ann["strata"][0]["members"] == [uscc(2), uscc(3)]
    assert ann["conflicts"] == [[uscc(1), "I-1"], [uscc(2), "I-2"]]


def test_run_refuses_a_secret_that_does_not_match_the_commitment() -> None:
    ann = golden()["announcement"]
    with pytest.raises(ValueError, match="secret_commitment"):
        draw.run(ann, b"another secret", b"")
    with pytest.raises(ValueError, match="secret_commitment"):
        draw.run_reference(ann, b"another secret", b"")


# ------------------------------------------------------------------ the golden bundle


def test_golden_bundle_reruns_identically() -> None:
    bundle = golden()
    ann, revealed = bundle["announcement"], bundle["reveal"]
    secret, beacon = bytes.fromhex(revealed["secret"]), bytes.fromhex(revealed["beacon"])
    assert draw.announcement_problems(ann) == []
    assert draw.verify_bundle(bundle) == []
    assert draw.run_reference(ann, secret, beacon) == bundle["result"]
    assert draw.run(ann, secret, beacon) == bundle["result"]
    assert draw.announcement_hash(ann).hex() == "be494d939bfb7324adacf6a4634b7511f2fcbd84d53b1a1e9e302f4e48673eed"


def test_golden_bundle_exercises_every_rule() -> None:
    bundle = golden()
    ann, result = bundle["announcement"], bundle["result"]
    assert len(ann["strata"]) == 3 and len(ann["inspectors"]) == 6 and ann["conflicts"]
    assert any(not i.isascii() for i in ann["inspectors"])  # UTF-8 beyond ASCII in the hashed bytes
    assert result["unassigned"]
    # an unassigned case followed by an assigned one: a recusal, not a full staff, left it unassigned
    flags = [bool(case["inspectors"]) for case in result["selected"]]
    assert any(not a and b for a, b in itertools.pairwise(flags))


def test_golden_announcement_is_rebuilt_from_shuffled_inputs() -> None:
    ann = golden()["announcement"]
    rng = random.Random(7)
    strata = [draw.Stratum(s["name"], rng.sample(s["members"], len(s["members"])), s["k"]) for s in ann["strata"]]
    rebuilt = draw.build_announcement(
        plan_id=ann["plan_id"],
        strata=strata,
        inspectors=rng.sample(ann["inspectors"], len(ann["inspectors"])),
        per_case=ann["per_case"],
        capacity=ann["capacity"],
        conflicts=[(u, i) for u, i in reversed(ann["conflicts"])],
        secret_commitment=ann["secret_commitment"],
        beacon=ann["beacon"],
    )
    assert rebuilt == ann


def test_bundle_may_carry_other_keys() -> None:
    assert draw.verify_bundle(golden() | {"records": {"announcement": "ab" * 32}, "format": "x"}) == []


def test_tampered_secret_is_reported() -> None:
    bundle = golden()
    bundle["reveal"]["secret"] = "00" + bundle["reveal"]["secret"][2:]
    problems = draw.verify_bundle(bundle)
    assert any("secret_commitment" in p for p in problems)


def test_tampered_beacon_changes_the_draw() -> None:
    bundle = golden()
    bundle["reveal"]["beacon"] = "ff" + bundle["reveal"]["beacon"][2:]
    problems = draw.verify_bundle(bundle)
    assert problems and all("selected" in p or "unassigned" in p for p in problems)


def test_tampered_member_is_reported() -> None:
    bundle = golden()
    members = bundle["announcement"]["strata"][2]["members"]
    selected = {case["uscc"] for case in bundle["result"]["selected"]}
    # drop a merchant that was not drawn: the result as published no longer follows from the announcement
    members.remove(next(m for m in members if m not in selected))
    assert any("differs from the recomputed draw" in p for p in draw.verify_bundle(bundle))


def test_tampered_result_is_reported_with_the_first_difference() -> None:
    bundle = golden()
    case = bundle["result"]["selected"][1]
    case["inspectors"].reverse()
    problems = draw.verify_bundle(bundle)
    assert len(problems) == 1
    assert "selected differs from the recomputed draw at entry 1" in problems[0]
    assert "(13 recomputed, 13 published)" in problems[0]

    bundle = golden()
    bundle["result"]["unassigned"].pop()
    assert any(p.startswith("result unassigned differs") for p in draw.verify_bundle(bundle))


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("announcement", "algorithm"), "hmac-rank-v2", "cannot run it"),
        (("announcement", "per_case"), 1, "per_case"),
        (("announcement", "capacity"), "3", "capacity"),
        (("announcement", "inspectors"), ["b", "a"], "out of order"),
        (("reveal", "beacon"), "not hex", "reveal.beacon"),
        (("result", "plan_id"), "other", "plan_id"),
    ],
)
def test_malformed_bundles_are_reported(path: tuple[str, str], value: object, message: str) -> None:
    bundle = golden()
    bundle[path[0]][path[1]] = value
    assert any(message in p for p in draw.verify_bundle(bundle))


def test_k_beyond_members_is_reported() -> None:
    bundle = golden()
    bundle["announcement"]["strata"][0]["k"] = 99
    assert any("k = 99" in p for p in draw.verify_bundle(bundle))


def test_extra_announcement_key_is_reported() -> None:
    bundle = golden()
    bundle["announcement"]["note"] = "x"
    assert any("unknown ['note']" in p for p in draw.verify_bundle(bundle))


# ------------------------------------------------------------------ rules, on generated pools

INSPECTOR_IDS = st.lists(
    st.text(alphabet="ABZ0129浙杭执-", min_size=1, max_size=6), min_size=0, max_size=9, unique_by=draw.normalise_id
).map(lambda ids: [draw.normalise_id(i) for i in ids if draw.normalise_id(i)])


@st.composite
def scenarios(draw_: st.DrawFn) -> tuple[Any, bytes]:
    """A small draw: strata, inspectors, conflicts, per_case, capacity; and a beacon."""
    codes = draw_(st.lists(st.integers(0, 10**6), min_size=0, max_size=40, unique=True))
    cuts = sorted(draw_(st.lists(st.integers(0, len(codes)), min_size=2, max_size=2)))
    groups = [codes[: cuts[0]], codes[cuts[0] : cuts[1]], codes[cuts[1] :]]
    strata = [
        draw.Stratum(name, [uscc(c) for c in group], draw_(st.integers(0, len(group))))
        for name, group in zip("ABC", groups, strict=True)
    ]
    inspectors = draw_(INSPECTOR_IDS)
    pairs = (
        draw_(st.lists(st.tuples(st.sampled_from(codes), st.sampled_from(inspectors)), max_size=30))
        if codes and inspectors
        else []
    )
    ann = announce(
        strata,
        inspectors,
        [(uscc(c), i) for c, i in pairs],
        per_case=draw_(st.integers(2, 3)),
        capacity=draw_(st.integers(1, 4)),
    )
    return ann, draw_(st.binary(max_size=40))


def check_rules(ann: dict[str, Any], result: dict[str, Any]) -> None:
    conflicts = {tuple(p) for p in ann["conflicts"]}
    loads: Counter[str] = Counter()
    per_stratum: Counter[str] = Counter()
    for case in result["selected"]:
        per_stratum[case["stratum"]] += 1
        assert len(case["inspectors"]) in (0, ann["per_case"])
        assert len(set(case["inspectors"])) == len(case["inspectors"])
        assert not any((case["uscc"], i) in conflicts for i in case["inspectors"])  # recusal
        loads.update(case["inspectors"])
    assert max(loads.values(), default=0) <= ann["capacity"]
    assert per_stratum == Counter({s["name"]: s["k"] for s in ann["strata"] if s["k"]})
    assert result["unassigned"] == [c["uscc"] for c in result["selected"] if not c["inspectors"]]


@settings(max_examples=150, deadline=None)
@given(scenarios())
def test_fast_path_equals_reference_and_keeps_the_rules(scenario: tuple[Any, bytes]) -> None:
    ann, beacon = scenario
    reference = draw.run_reference(ann, SECRET, beacon)
    check_rules(ann, reference)
    assert draw.run(ann, SECRET, beacon) == reference
    assert draw.verify_bundle({"announcement": ann, "reveal": draw.reveal(SECRET, beacon), "result": reference}) == []


@settings(max_examples=100, deadline=None)
@given(scenarios())
def test_python_backend_equals_the_built_one(scenario: tuple[Any, bytes]) -> None:
    if isinstance(draw.backend, draw.PythonBackend):
        pytest.skip("the C extension is not built")
    ann, beacon = scenario
    built = draw.run(ann, SECRET, beacon, threads=2)
    saved = draw.backend
    try:
        draw.backend = draw.PythonBackend()
        assert draw.run(ann, SECRET, beacon) == built
    finally:
        draw.backend = saved


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_backends_agree_on_a_larger_pool(threads: int) -> None:
    """Large enough that the C extension splits the scoring over threads, and inspectors fill up mid-chunk."""
    rng = random.Random(threads)
    codes = rng.sample(range(10**8), 3000)
    strata = [
        draw.Stratum("A", [uscc(c) for c in codes[:1000]], 150),
        draw.Stratum("B", [uscc(c) for c in codes[1000:]], 60),
    ]
    inspectors = [f"ZJ-{n:03d}" for n in range(40)]
    conflicts = [(uscc(rng.choice(codes)), rng.choice(inspectors)) for _ in range(300)]
    ann = announce(strata, inspectors, conflicts, capacity=9)
    expected = draw.run_reference(ann, SECRET, BEACON)
    assert 0 < len(expected["unassigned"]) < len(expected["selected"])
    assert draw.run(ann, SECRET, BEACON, threads=threads) == expected
    saved = draw.backend
    try:
        draw.backend = draw.PythonBackend()
        assert draw.run(ann, SECRET, BEACON) == expected
    finally:
        draw.backend = saved


@settings(max_examples=60, deadline=None)
@given(scenarios(), st.randoms(use_true_random=False))
def test_order_of_inputs_does_not_matter(scenario: tuple[Any, bytes], rng: random.Random) -> None:
    ann, beacon = scenario
    shuffled = draw.build_announcement(
        plan_id=ann["plan_id"],
        strata=[draw.Stratum(s["name"], rng.sample(s["members"], len(s["members"])), s["k"]) for s in ann["strata"]],
        inspectors=rng.sample(ann["inspectors"], len(ann["inspectors"])),
        per_case=ann["per_case"],
        capacity=ann["capacity"],
        conflicts=[tuple(p) for p in rng.sample(ann["conflicts"], len(ann["conflicts"]))],
        secret_commitment=ann["secret_commitment"],
        beacon=ann["beacon"],
    )
    assert draw.announcement_hash(shuffled) == draw.announcement_hash(ann)
    assert draw.run(shuffled, SECRET, beacon) == draw.run(ann, SECRET, beacon)


def test_recused_inspectors_are_never_assigned() -> None:
    members = [uscc(n) for n in range(20)]
    inspectors = ["I-1", "I-2", "I-3", "I-4"]
    conflicts = [(m, "I-1") for m in members] + [(m, "I-2") for m in members[:10]]
    ann = announce([draw.Stratum("A", members, 20)], inspectors, conflicts, capacity=20)
    result = draw.run(ann, SECRET, BEACON)
    assert all("I-1" not in case["inspectors"] for case in result["selected"])
    assert all(
        case["inspectors"]
        == sorted(
            case["inspectors"],
            key=lambda i: (
                draw.score(draw.seed(draw.announcement_hash(ann), SECRET, BEACON), "INSPECTOR", case["uscc"], i),
                i,
            ),
        )
        for case in result["selected"]
    )
    assert result["unassigned"] == []  # I-3 and I-4 are always free: never fewer than two eligible


def test_too_few_eligible_inspectors_leave_the_case_unassigned() -> None:
    members = [uscc(n) for n in range(6)]
    ann = announce([draw.Stratum("A", members, 6)], ["I-1", "I-2", "I-3"], [(members[0], "I-1")], capacity=2)
    result = draw.run(ann, SECRET, BEACON)
    assigned = [c for c in result["selected"] if c["inspectors"]]
    # three inspectors × capacity 2 = six slots: three cases at most, then the staff is used up
    assert len(assigned) <= 3
    assert len(result["unassigned"]) == 6 - len(assigned) >= 3
    assert result == draw.run_reference(ann, SECRET, BEACON)


def test_per_case_above_the_staff_leaves_everything_unassigned() -> None:
    members = [uscc(n) for n in range(4)]
    ann = announce([draw.Stratum("A", members, 2)], ["I-1", "I-2"], [], per_case=3)
    result = draw.run(ann, SECRET, BEACON)
    assert [c["inspectors"] for c in result["selected"]] == [[], []]
    assert result["unassigned"] == [c["uscc"] for c in result["selected"]]


def test_capacity_is_respected_across_the_whole_draw() -> None:
    members = [uscc(n) for n in range(60)]
    strata = [draw.Stratum("A", members[:30], 12), draw.Stratum("B", members[30:], 12)]
    inspectors = [f"I-{n}" for n in range(6)]
    ann = announce(strata, inspectors, [], capacity=5)
    result = draw.run(ann, SECRET, BEACON)
    loads = Counter(i for case in result["selected"] for i in case["inspectors"])
    assert max(loads.values()) == 5
    # 24 cases need 48 slots of 30: cases are staffed until fewer than two inspectors have room left
    assert sum(1 for i in inspectors if loads[i] < 5) < 2
    assert len(result["unassigned"]) == 24 - sum(loads.values()) // 2 > 0


def test_result_does_not_depend_on_threads() -> None:
    ann = copy.deepcopy(golden()["announcement"])
    bundle = golden()
    secret, beacon = bytes.fromhex(bundle["reveal"]["secret"]), bytes.fromhex(bundle["reveal"]["beacon"])
    assert {json.dumps(draw.run(ann, secret, beacon, threads=t)) for t in (1, 2, 8)} == {json.dumps(bundle["result"])}


def test_without_the_extension_the_python_backend_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    # as if never built: the import raises ImportError
    monkeypatch.setitem(sys.modules, "honestmeter.inspections._drawscore", None)
    monkeypatch.delattr(inspections, "_drawscore", raising=False)
    assert isinstance(draw._load_backend(), draw.PythonBackend)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 40) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(["announcement", "reveal", "result"]), st.text(min_size=1, max_size=20), JSON)
def test_verify_bundle_reports_rather_than_raises(part: str, field: str, value: object) -> None:
    """A bundle is untrusted input: any field set to any JSON value gives a list of problems, never an exception."""
    bundle = golden()
    bundle[part][field if field in bundle[part] else next(iter(bundle[part]))] = value
    assert isinstance(draw.verify_bundle(bundle), list)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(max_size=5), max_size=4), st.lists(st.text(max_size=5), max_size=4))
def test_odd_ids_are_reported_rather_than_raised(members: list[str], inspectors: list[str]) -> None:
    bundle = golden()
    bundle["announcement"]["strata"][0] = {"name": "A", "members": members, "k": 0}
    bundle["announcement"]["inspectors"] = inspectors
    assert draw.verify_bundle(bundle)  # the result no longer follows, at the least


def test_a_lone_surrogate_is_reported() -> None:
    bundle = golden()
    bundle["announcement"]["inspectors"].append("\udcff")  # JSON can spell it; UTF-8 cannot
    assert any("cannot be hashed" in p for p in draw.verify_bundle(bundle))
