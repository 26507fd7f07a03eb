"""The ledger on the real database: outbox appends, proofs from stored nodes, checkpoints, audit."""

from __future__ import annotations

import base64
import json

import pytest
import sqlalchemy as sa

from honestmeter.errors import ValidationFailed
from honestmeter.extensions import db
from honestmeter.ledger import audit, bundle, checkpoint, keys, merkle, services
from honestmeter.ledger.models import LedgerEntry
from honestmeter.merchants import services as merchant_services
from honestmeter.merchants.models import Merchant, MerchantStatus
from tests.factories import merchant_facts

FACTS = merchant_facts()


def records(n: int, type_: str = "test") -> list[services.Record]:
    return [services.Record(type_, str(i), {"n": i, "名称": f"记录{i}"}) for i in range(n)]


def test_leaves_are_numbered_from_zero_and_hash_their_canonical_bytes() -> None:
    appended = services.append_many(records(5))
    assert [a.leaf_index for a in appended] == [0, 1, 2, 3, 4]
    entry = services.entry_at(3)
    assert entry.leaf_hash == merkle.leaf_hash(entry.canonical)
    record = json.loads(entry.canonical)
    assert record["type"] == "test" and record["id"] == "3" and record["version"] == 1
    assert record["data"] == {"n": 3, "名称": "记录3"}
    assert "记录3".encode() in entry.canonical  # UTF-8, not \\u escapes (RFC 8785)


def test_versions_count_per_type_and_id() -> None:
    services.append(services.Record("test", "a", {"v": 1}))
    services.append(services.Record("test", "a", {"v": 2}))
    services.append(services.Record("other", "a", {"v": 1}))
    assert services.latest_record("test", "a").version == 2  # type: ignore[union-attr]
    assert services.latest_record("other", "a").version == 1  # type: ignore[union-attr]


def test_publish_skips_unchanged_facts() -> None:
    assert services.publish(services.Record("test", "x", {"a": 1})) is not None
    assert services.publish(services.Record("test", "x", {"a": 1})) is None
    assert services.publish(services.Record("test", "x", {"a": 2})) is not None
    assert services.tree_size() == 2


def test_the_leaf_commits_with_the_business_row_or_not_at_all() -> None:
    with pytest.raises(ValidationFailed):
        merchant_services.register_merchant(
            merchant_services.MerchantFacts(**{**FACTS.__dict__, "region_code": "999999"})
        )
    assert services.tree_size() == 0
    merchant = merchant_services.register_merchant(FACTS)
    newest = services.latest_record("merchant", str(merchant.id))
    assert newest is not None and json.loads(newest.canonical)["data"]["uscc"] == FACTS.uscc
    assert "contact_phone" not in json.loads(newest.canonical)["data"]  # private facts stay out


def test_directory_change_is_a_new_version() -> None:
    merchant = merchant_services.register_merchant(FACTS)
    merchant_services.update_merchant(merchant.id, FACTS, status=MerchantStatus.SUSPENDED)
    newest = services.latest_record("merchant", str(merchant.id))
    assert newest is not None and newest.version == 2
    assert json.loads(newest.canonical)["data"]["status"] == "suspended"


@pytest.mark.parametrize("size", [1, 2, 3, 7, 8, 13, 64, 100])
def test_proofs_from_stored_nodes_verify(size: int) -> None:
    services.append_many(records(size))
    root = services.current_root()
    hashes = [services.entry_at(i).leaf_hash for i in range(size)]
    assert root == merkle.root_of(hashes)
    for index in {0, size // 2, size - 1}:
        proof = services.inclusion_proof(index, size)
        assert merkle.verify_inclusion(hashes[index], index, size, proof, root)
    for first in {1, size // 2 or 1, size}:
        proof = services.consistency_proof(first, size)
        assert merkle.verify_consistency(first, size, services.root_at(first), root, proof)


def test_appends_in_several_transactions_extend_the_same_tree() -> None:
    for chunk in range(4):
        services.append_many([services.Record("t", f"{chunk}-{i}", {}) for i in range(chunk + 3)])
        db.session.commit()
    hashes = list(db.session.scalars(sa.select(LedgerEntry.leaf_hash).order_by(LedgerEntry.leaf_index)))
    assert services.root_at(len(hashes)) == merkle.root_of(hashes) == services.current_root()
    assert services.root_at(5) == merkle.root_of(hashes[:5])


def test_checkpoint_is_signed_with_the_log_key() -> None:
    assert services.sign_checkpoint() is None  # empty log
    services.append_many(records(6))
    signed = services.sign_checkpoint()
    assert signed is not None and signed.tree_size == 6
    head = checkpoint.open_checkpoint(signed.note, keys.verifier_key())
    assert head.root == services.current_root() and head.origin == keys.origin()
    assert services.sign_checkpoint() is signed  # idempotent for the same size


def test_bundle_before_anchoring_verifies_but_says_not_anchored() -> None:
    appended = services.append_many(records(3))
    services.sign_checkpoint()
    data = services.bundle_json(services.entry_by_hash(appended[1].leaf_hash))
    assert bundle.verify(data) == ["not anchored on a chain yet"]


def test_audit_is_clean_then_catches_a_row_changed_behind_the_applications_back() -> None:
    merchant = merchant_services.register_merchant(FACTS)
    services.sign_checkpoint()
    assert audit.check_log() == [] and audit.check_rows() == []
    db.session.execute(sa.update(Merchant).where(Merchant.id == merchant.id).values(name="篡改后的名称"))
    problems = audit.check_rows()
    assert len(problems) == 1 and f"merchant {merchant.id}" in problems[0]


def test_audit_catches_edited_record_bytes_and_missing_records() -> None:
    services.append_many(records(4))
    services.sign_checkpoint()
    entry = services.entry_at(2)
    forged = entry.canonical.replace(b'"n":2', b'"n":9')
    db.session.execute(sa.update(LedgerEntry).where(LedgerEntry.leaf_index == 2).values(canonical=forged))
    assert any("第 2 号记录" in p for p in audit.check_log())
    db.session.execute(
        sa.insert(Merchant).values(
            uscc="914403001922038216",
            name="绕过系统录入",
            sector_code="retail",
            region_code="440305",
            address="x",
            legal_representative="y",
            status="active",
            uscc_override=False,
            created_at=services.clock.utcnow(),
            updated_at=services.clock.utcnow(),
        )
    )
    assert any("没有对应的账本记录" in p for p in audit.check_rows())


def test_audit_catches_a_rewritten_leaf_hash_against_the_signed_root() -> None:
    services.append_many(records(4))
    services.sign_checkpoint()
    entry = services.entry_at(1)
    forged = entry.canonical.replace(b'"n":1', b'"n":7')
    db.session.execute(
        sa.update(LedgerEntry)
        .where(LedgerEntry.leaf_index == 1)
        .values(canonical=forged, leaf_hash=merkle.leaf_hash(forged))
    )
    assert any("签名树头根哈希" in p for p in audit.check_log())


def test_file_hash_finds_its_record() -> None:
    pdf = b"%PDF-1.7 pretend notice"
    services.append(
        services.Record("notice", "n1", {"sha256": services.sha256(pdf).hex()}, file_sha256=services.sha256(pdf))
    )
    assert services.entry_by_file(services.sha256(pdf)).record_id == "n1"


def test_canonical_bytes_round_trip_through_the_api_payload() -> None:
    services.append_many(records(2))
    payload = services.entry_json(services.entry_at(1))
    assert base64.b64decode(payload["canonical_b64"]) == services.entry_at(1).canonical
