"""信用修复: what is repairable and from when, applying, approving (facts end, grade recovers), rejecting."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

from honestmeter import attachments, clock
from honestmeter.auth.models import User
from honestmeter.errors import InvalidTransition, NotFound, ValidationFailed
from honestmeter.extensions import db
from honestmeter.inspections.models import Task
from honestmeter.ledger import audit
from honestmeter.ledger import services as ledger
from honestmeter.lists import queries as list_queries
from honestmeter.lists import services as lists
from honestmeter.lists.models import EntryStatus, ListEntry, ListKind, RemovalKind
from honestmeter.merchants.models import Merchant
from honestmeter.ratings.facts import services as facts
from honestmeter.ratings.grades import services as grades
from honestmeter.ratings.models import CreditFact, FactSource, Penalty
from honestmeter.ratings.penalties import services as penalties
from honestmeter.repairs import services as repairs
from honestmeter.repairs.models import RepairStatus, RepairTarget
from tests.factories import MerchantFactory, UserFactory, completed, newest_data

NOW = datetime(2026, 11, 23, 2, tzinfo=UTC)  # 2026-11-23 in Shanghai
PDF = b"%PDF-1.7 fine paid"
PNG = b"\x89PNG\r\n\x1a\n rectified"


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    with clock.frozen(NOW):
        yield


def at(day: date) -> Any:
    """Freeze the clock at 10:00 in Shanghai on `day`."""
    return clock.frozen(datetime(day.year, day.month, day.day, 2, tzinfo=UTC))


def penalty(merchant: Merchant, decided_on: date, *, content: str = "没收违法所得", special: bool = False) -> Penalty:
    return penalties.record_penalty(
        penalties.PenaltyFacts(
            uscc=merchant.uscc,
            decision_no=f"罚{merchant.id}-{decided_on.isoformat()}-{content}",
            violation_type="使用未经检定的计量器具",
            content=content,
            fine_amount=None,
            other_measures=False,
            special_domain=special,
            authority="深圳市南山区市场监督管理局",
            decided_on=decided_on,
        ),
        None,
    )


def owner(merchant: Merchant) -> User:
    return UserFactory(merchant_user=True, merchant=merchant)  # type: ignore[no-any-return]


def apply(merchant: Merchant, target: RepairTarget, target_id: int, **changes: Any) -> Any:
    given: dict[str, Any] = {
        "merchant_id": merchant.id,
        "by": changes.pop("by", None) or owner(merchant),
        "target": target.value,
        "target_id": target_id,
        "statement": "已缴清罚款，更换了未检定的电子秤并送检合格。",
        "signer_name": "张三",
        "signer_title": "法定代表人",
        "evidence": [attachments.Upload(PDF, "缴款凭证.pdf"), attachments.Upload(PNG, "整改照片.png")],
    }
    return repairs.apply(**{**given, **changes})


def items(merchant: Merchant) -> dict[tuple[RepairTarget, int], repairs.Item]:
    return {(i.target, i.target_id): i for i in repairs.items_for(merchant.id)}


# ---------------------------------------------------------------- eligibility


def test_an_other_penalty_is_repairable_after_six_months_a_special_one_after_a_year() -> None:
    merchant = MerchantFactory()
    general = penalty(merchant, date(2026, 5, 23))
    special = penalty(merchant, date(2026, 5, 23), content="吊销许可证", special=True)
    low = penalties.record_penalty(
        penalties.PenaltyFacts(
            merchant.uscc, "LOW", "类型", "罚款", Decimal(100), False, False, "局", date(2026, 11, 1)
        ),
        None,
    )
    warning = penalty(merchant, date(2026, 11, 1), content="警告")
    found = items(merchant)
    assert found[(RepairTarget.PENALTY, general.id)].eligible_on == date(2026, 11, 23)
    assert found[(RepairTarget.PENALTY, special.id)].eligible_on == date(2027, 5, 23)
    assert (RepairTarget.PENALTY, low.id) not in found and (RepairTarget.PENALTY, warning.id) not in found
    with at(date(2026, 11, 22)):
        assert not items(merchant)[(RepairTarget.PENALTY, general.id)].eligible(clock.today())
        with pytest.raises(ValidationFailed, match="自 2026-11-23 起可以申请"):
            apply(merchant, RepairTarget.PENALTY, general.id)
    assert found[(RepairTarget.PENALTY, general.id)].eligible(clock.today())
    with pytest.raises(ValidationFailed, match="自 2027-05-23 起可以申请"):
        apply(merchant, RepairTarget.PENALTY, special.id)


def test_an_expired_penalty_is_no_longer_repairable() -> None:
    merchant = MerchantFactory()
    old = penalty(merchant, date(2023, 11, 23))  # shown until 2026-11-22
    assert (RepairTarget.PENALTY, old.id) not in items(merchant)


def result_with(merchant: Merchant, codes: dict[str, date]) -> Task:
    """A result with credit facts per rule (as publication records them), without depending on publication."""
    task = completed(["09", "13"], merchant=merchant)
    for rule, day in codes.items():
        facts.add(
            merchant.id, rule, day, source=FactSource.RESULT, source_id=task.id, ref=f"inspection_result/{task.id}"
        )
    return task


def test_a_result_is_repairable_from_its_latest_repairable_fact() -> None:
    merchant = MerchantFactory()
    task = result_with(
        merchant, {"result_13": date(2026, 8, 31), "result_14": date(2026, 5, 1), "result_09": date(2026, 5, 1)}
    )
    item = items(merchant)[(RepairTarget.RESULT, task.id)]
    assert item.rules == ("result_13", "result_14")  # 09 ends when its follow-up is closed, not by repair
    assert item.eligible_on == date(2027, 5, 1)  # 14: one year; 13 alone would be 2026-11-30
    assert "未按规定公示应当公示的信息" in item.title


def test_a_result_fact_past_its_window_is_not_repairable() -> None:
    merchant = MerchantFactory()
    task = result_with(merchant, {"result_13": date(2025, 11, 23)})  # 12-month window ended 2026-11-23
    assert (RepairTarget.RESULT, task.id) not in items(merchant)
    with pytest.raises(NotFound):
        apply(merchant, RepairTarget.RESULT, task.id)


# ---------------------------------------------------------------- applying


def test_an_application_carries_the_signed_pledge_and_the_evidence(app: Any) -> None:
    merchant = MerchantFactory(name="守信商行")
    target = penalty(merchant, date(2026, 5, 1))
    request = apply(
        merchant,
        RepairTarget.PENALTY,
        target.id,
        evidence=[
            attachments.Upload(PDF, "C:\\docs\\缴款凭证.pdf"),
            attachments.Upload(PDF, "again.pdf"),  # the same bytes are kept once
            attachments.Upload(PNG, "photo.png"),
        ],
    )
    assert request.status == RepairStatus.PENDING and request.target == RepairTarget.PENALTY
    assert "本单位守信商行（统一社会信用代码：" + merchant.uscc in request.pledge
    assert target.decision_no in request.pledge and "承诺人：张三（法定代表人）" in request.pledge
    assert "承诺日期：2026-11-23" in request.pledge
    assert request.pledge_sha256 == hashlib.sha256(request.pledge.encode()).hexdigest()
    assert [(e["filename"], e["content_type"]) for e in request.evidence] == [
        ("缴款凭证.pdf", "application/pdf"),
        ("photo.png", "image/png"),
    ]
    found = repairs.evidence_file(request, hashlib.sha256(PDF).hexdigest())
    assert found.path.read_bytes() == PDF
    with pytest.raises(NotFound):
        repairs.evidence_file(request, "0" * 64)
    assert items(merchant)[(RepairTarget.PENALTY, target.id)].pending == request
    with pytest.raises(InvalidTransition):
        apply(merchant, RepairTarget.PENALTY, target.id)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"evidence": []}, "evidence"),
        ({"evidence": [attachments.Upload(b"<html>", "x.pdf")]}, "evidence"),
        ({"evidence": [attachments.Upload(PDF, f"{n}.pdf") for n in range(11)]}, "evidence"),
        ({"statement": " "}, "statement"),
        ({"signer_name": ""}, "signer_name"),
        ({"signer_title": ""}, "signer_title"),
    ],
)
def test_an_incomplete_application_is_refused(changes: dict[str, Any], field: str) -> None:
    merchant = MerchantFactory()
    target = penalty(merchant, date(2026, 5, 1))
    with pytest.raises(ValidationFailed) as caught:
        apply(merchant, RepairTarget.PENALTY, target.id, **changes)
    assert caught.value.field == field


def test_another_merchants_item_cannot_be_applied_for() -> None:
    mine, theirs = MerchantFactory(), MerchantFactory()
    target = penalty(theirs, date(2026, 5, 1))
    with pytest.raises(NotFound):
        apply(mine, RepairTarget.PENALTY, target.id)
    with pytest.raises(NotFound):
        repairs.item_for(mine.id, "nonsense", target.id)


# ---------------------------------------------------------------- deciding


def test_approving_a_penalty_repair_ends_the_fact_hides_it_and_the_grade_recovers() -> None:
    merchant = MerchantFactory()
    target = penalty(merchant, date(2026, 5, 1))
    assert (merchant.score, merchant.grade) == (55, "D")
    request = apply(merchant, RepairTarget.PENALTY, target.id)
    admin = UserFactory()
    repairs.approve(request.id, admin, "材料齐全")
    assert request.status == RepairStatus.APPROVED and request.decided_by_id == admin.id
    assert target.repaired_on == date(2026, 11, 23)
    fact = db.session.scalar(sa.select(CreditFact).where(CreditFact.source == FactSource.PENALTY))
    assert fact is not None and (fact.ended_on, fact.end_reason) == (date(2026, 11, 23), "信用修复")
    assert penalties.public_for(merchant.id) == []
    assert (merchant.score, merchant.grade) == (80, "B")
    assert grades.evaluate(merchant.id).score == 80
    with at(date(2026, 11, 22)):  # the day before, it still counted
        assert grades.evaluate(merchant.id).score == 55
    assert newest_data("credit_repair", str(request.id)) == {
        "uscc": merchant.uscc,
        "target": "penalty",
        "target_ref": f"penalty/{target.id}",
        "decided_on": "2026-11-23",
        "decision": "approved",
    }
    assert dict(repairs.projection()) == {str(request.id): newest_data("credit_repair", str(request.id))}
    assert repairs.repaired_targets(merchant.id) == {("penalty", target.id)}
    assert (RepairTarget.PENALTY, target.id) not in items(merchant)
    with pytest.raises(InvalidTransition):
        repairs.approve(request.id, admin)


def test_approving_a_result_repair_ends_only_the_repairable_facts() -> None:
    merchant = MerchantFactory()
    task = result_with(merchant, {"result_13": date(2026, 8, 1), "result_09": date(2026, 8, 1)})
    assert grades.evaluate(merchant.id).score == 60  # 80 − 10 − 10
    request = apply(merchant, RepairTarget.RESULT, task.id)
    repairs.approve(request.id, UserFactory())
    query = sa.select(CreditFact.rule, CreditFact.ended_on).where(CreditFact.source_id == task.id)
    ended = {row.rule: row.ended_on for row in db.session.execute(query)}
    assert ended == {"result_13": date(2026, 11, 23), "result_09": None}
    assert merchant.score == 70  # the 09 still counts until its follow-up is closed
    assert repairs.repaired_targets(merchant.id) == {("inspection_result", task.id)}
    assert newest_data("credit_repair", str(request.id))["target_ref"] == f"inspection_result/{task.id}"


def test_a_rejection_keeps_the_reason_publishes_nothing_and_allows_a_new_application() -> None:
    merchant = MerchantFactory()
    target = penalty(merchant, date(2026, 5, 1))
    request = apply(merchant, RepairTarget.PENALTY, target.id)
    admin = UserFactory()
    with pytest.raises(ValidationFailed) as caught:
        repairs.reject(request.id, admin, "  ")
    assert caught.value.field == "note" and request.status == RepairStatus.PENDING
    repairs.reject(request.id, admin, "罚款缴纳凭证不清晰")
    assert (request.status, request.decision_note) == (RepairStatus.REJECTED, "罚款缴纳凭证不清晰")
    assert ledger.latest_record("credit_repair", str(request.id)) is None
    assert target.repaired_on is None and merchant.score == 55
    assert repairs.repaired_targets(merchant.id) == set()
    with pytest.raises(InvalidTransition):
        repairs.approve(request.id, admin)
    again = apply(merchant, RepairTarget.PENALTY, target.id)
    assert again.id != request.id


def test_approval_is_refused_when_nothing_is_left_to_repair() -> None:
    merchant = MerchantFactory()
    target = penalty(merchant, date(2023, 12, 1))  # shown until 2026-11-30
    request = apply(merchant, RepairTarget.PENALTY, target.id)
    with at(date(2026, 12, 1)), pytest.raises(InvalidTransition):
        repairs.approve(request.id, UserFactory())
    assert request.status == RepairStatus.PENDING


def test_the_queue_puts_pending_applications_first() -> None:
    merchant = MerchantFactory()
    first = apply(merchant, RepairTarget.PENALTY, penalty(merchant, date(2026, 1, 1)).id)
    second = apply(merchant, RepairTarget.PENALTY, penalty(merchant, date(2026, 2, 1)).id)
    third = apply(merchant, RepairTarget.PENALTY, penalty(merchant, date(2026, 3, 1)).id)
    repairs.reject(first.id, UserFactory(), "不符合条件")
    assert list(db.session.scalars(repairs.queue_stmt())) == [second, third, first]
    assert list(db.session.scalars(repairs.queue_stmt("rejected"))) == [first]
    assert repairs.pending_count() == 2


# ---------------------------------------------------------------- 严重违法失信名单


def serious_entry(merchant: Merchant, listed_on: date) -> ListEntry:
    entry = ListEntry(
        kind=ListKind.SERIOUS,
        merchant_id=merchant.id,
        status=EntryStatus.LISTED,
        reason="拒不配合检查，情节严重",
        authority="深圳市南山区市场监督管理局",
        proposed_at=NOW,
        listed_on=listed_on,
    )
    db.session.add(entry)
    db.session.flush()
    return entry


def test_a_serious_listing_repair_removes_the_entry_through_the_lists_service(monkeypatch: pytest.MonkeyPatch) -> None:
    """The contract with honestmeter.lists.services, with the lists side faked."""
    removed: list[dict[str, Any]] = []

    def remove_entry(entry: ListEntry, **kw: Any) -> ListEntry:
        removed.append(kw)
        entry.status, entry.removed_on, entry.removal_kind = EntryStatus.REMOVED, kw["on"], kw["kind"]
        return entry

    monkeypatch.setattr(lists, "repair_eligible_on", lambda e: date(2026, 11, 23))
    monkeypatch.setattr(lists, "remove_entry", remove_entry)
    merchant = MerchantFactory()
    entry = serious_entry(merchant, date(2025, 11, 23))
    assert items(merchant)[(RepairTarget.LIST_ENTRY, entry.id)].eligible_on == date(2026, 11, 23)
    request = apply(merchant, RepairTarget.LIST_ENTRY, entry.id)
    admin = UserFactory()
    repairs.approve(request.id, admin)
    assert removed == [
        {
            "kind": RemovalKind.REPAIR,
            "reason": "信用修复",
            "authority": "市场监督管理局",
            "by": admin,
            "on": date(2026, 11, 23),
        }
    ]
    assert newest_data("credit_repair", str(request.id))["target_ref"] == f"list_entry/{entry.id}"
    assert (RepairTarget.LIST_ENTRY, entry.id) not in items(merchant)


def test_a_listing_not_yet_repairable_is_shown_with_its_date(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lists, "repair_eligible_on", lambda e: date(2027, 3, 1))
    merchant = MerchantFactory()
    entry = serious_entry(merchant, date(2026, 3, 1))
    with pytest.raises(ValidationFailed, match="自 2027-03-01 起可以申请"):
        apply(merchant, RepairTarget.LIST_ENTRY, entry.id)
    monkeypatch.setattr(lists, "repair_eligible_on", lambda e: None)
    assert (RepairTarget.LIST_ENTRY, entry.id) not in items(merchant)


def test_ledger_audit_rederives_penalty_and_repair_records() -> None:
    merchant = MerchantFactory()
    target = penalty(merchant, date(2026, 5, 1))
    warning = penalty(merchant, date(2026, 11, 1), content="警告")
    request = apply(merchant, RepairTarget.PENALTY, target.id)
    repairs.approve(request.id, UserFactory())

    def mine() -> list[str]:
        return [p for p in audit.check_rows() if p.startswith(("penalty ", "credit_repair "))]

    assert mine() == []
    warning.content = "警告（改）"  # never published: nothing to compare
    target.content = "罚款（被改动）"
    db.session.flush()
    assert mine() == [f"penalty {target.id}：业务数据与最新账本记录不符（数据被绕过系统改动）"]


def test_a_serious_listing_is_removed_early_by_an_approved_repair() -> None:
    """End to end with honestmeter.lists: a year on the list, then early removal (domain.md §4.1)."""
    merchant = MerchantFactory()
    entry = serious_entry(merchant, date(2025, 11, 24))
    assert items(merchant)[(RepairTarget.LIST_ENTRY, entry.id)].eligible_on == date(2026, 11, 24)
    with pytest.raises(ValidationFailed, match="自 2026-11-24 起可以申请"):
        apply(merchant, RepairTarget.LIST_ENTRY, entry.id)
    with at(date(2026, 11, 24)):
        request = apply(merchant, RepairTarget.LIST_ENTRY, entry.id)
        repairs.approve(request.id, UserFactory())
        assert (entry.status, entry.removal_kind, entry.removed_on) == (
            EntryStatus.REMOVED,
            RemovalKind.REPAIR,
            date(2026, 11, 24),
        )
        assert not list_queries.listed(merchant.id, ListKind.SERIOUS)
        assert newest_data("credit_repair", str(request.id))["target_ref"] == f"list_entry/{entry.id}"
