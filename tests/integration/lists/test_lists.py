"""The three credit lists end to end: every transition, the periods, the daily job, the grade and the ledger."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask

from honestmeter import attachments, clock
from honestmeter.errors import InvalidTransition, NotFound, ValidationFailed
from honestmeter.extensions import db
from honestmeter.ledger import audit
from honestmeter.ledger import services as ledger
from honestmeter.lists import queries as list_queries
from honestmeter.lists import records
from honestmeter.lists import services as lists
from honestmeter.lists.models import EntryStatus, ListEntry, ListKind, RemovalKind
from honestmeter.merchants.models import MerchantStatus
from honestmeter.notices import services as notices
from honestmeter.ratings.facts import services as facts
from honestmeter.ratings.grades import services as grades
from honestmeter.ratings.models import CreditFact, FactSource
from tests.factories import MerchantFactory, UserFactory, completed, newest_data
from tests.integration.lists.helpers import (
    NOW,
    PDF,
    PNG,
    TODAY,
    abnormal,
    applied,
    at,
    model_unit,
    serious,
    text_of,
)


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    with clock.frozen(NOW):
        yield


def letter(merchant_id: int, day: date | None = None) -> tuple[str, int]:
    result = grades.evaluate(merchant_id, day)
    return result.grade, result.score


def list_facts(entry: ListEntry) -> list[CreditFact]:
    return list(
        db.session.scalars(
            sa.select(CreditFact).where(CreditFact.source == FactSource.LIST_ENTRY, CreditFact.source_id == entry.id)
        )
    )


def versions(entry: ListEntry) -> list[int]:
    return [v.version for v in list_queries.history(entry)]


# ---------------------------------------------------------------- 诚信计量示范单位


def test_an_application_waits_unpublished_and_only_one_is_open() -> None:
    merchant = MerchantFactory()
    user = UserFactory(merchant_user=True, merchant=merchant)
    entry = applied(merchant, user, files=(PDF, PNG, PDF))
    assert entry.kind == ListKind.MODEL_UNIT and entry.status == EntryStatus.PROPOSED
    assert [e["content_type"] for e in entry.evidence] == ["application/pdf", "image/png"]  # the same file once
    assert ledger.latest_record(records.RECORD_TYPE, str(entry.id)) is None
    assert list_queries.listed_for(merchant.id) == [] and list_queries.proposals(ListKind.MODEL_UNIT) == [entry]
    with pytest.raises(InvalidTransition):
        applied(merchant, user)
    other = MerchantFactory()
    with pytest.raises(NotFound):  # an account applies for its own merchant only
        lists.apply_model_unit(
            merchant_id=other.id, by=user, application="x", evidence=[attachments.Upload(PDF, "a.pdf")]
        )


@pytest.mark.parametrize(
    ("files", "field"),
    [
        ((), "evidence"),
        ((b"<html>not a scan</html>",), "evidence"),
        (tuple(PDF + bytes([i]) for i in range(6)), "evidence"),  # more than 5 files
    ],
)
def test_evidence_must_be_scans(files: tuple[bytes, ...], field: str) -> None:
    merchant = MerchantFactory()
    with pytest.raises(ValidationFailed) as err:
        applied(merchant, files=files)
    assert err.value.field == field
    assert db.session.scalar(sa.select(sa.func.count(ListEntry.id)).where(ListEntry.merchant_id == merchant.id)) == 0


def test_evidence_size_limit(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "CERTIFICATE_SCAN_MAX_BYTES", 1024)
    with pytest.raises(ValidationFailed, match="1 KB"):
        applied(MerchantFactory(), files=(PDF + b"x" * 2000,))


def test_an_application_needs_a_statement_and_an_active_merchant() -> None:
    merchant = MerchantFactory()
    user = UserFactory(merchant_user=True, merchant=merchant)
    with pytest.raises(ValidationFailed):
        lists.apply_model_unit(
            merchant_id=merchant.id, by=user, application="  ", evidence=[attachments.Upload(PDF, "a")]
        )
    merchant.status = MerchantStatus.CLOSED
    with pytest.raises(InvalidTransition):
        applied(merchant, user)


def test_approving_grants_a_year_raises_the_grade_and_is_a_record() -> None:
    merchant = MerchantFactory()
    assert letter(merchant.id) == ("B", 80)
    entry = model_unit(merchant)
    assert entry.status == EntryStatus.LISTED and entry.listed_on == TODAY
    assert entry.valid_until == date(2027, 11, 22)  # 12 months less a day
    assert entry.reason == lists.MODEL_UNIT_REASON and entry.authority == "深圳市南山区市场监督管理局"
    assert letter(merchant.id) == ("A", 90)
    assert merchant.grade == "A"  # regraded in the same transaction
    [fact] = list_facts(entry)
    assert (fact.rule, fact.happened_on, fact.ref) == ("model_unit", TODAY, f"list_entry/{entry.id}")
    assert newest_data("list_entry", str(entry.id)) == {
        "uscc": merchant.uscc,
        "kind": "model_unit",
        "reason": lists.MODEL_UNIT_REASON,
        "authority": "深圳市南山区市场监督管理局",
        "listed_on": "2026-11-23",
        "valid_until": "2027-11-22",
        "status": "listed",
    }
    assert list_queries.listed_for(merchant.id) == [entry] and list_queries.public_model_units() == [entry]
    assert list_queries.current_model_unit(merchant.id) == entry
    assert lists.repair_eligible_on(entry) is None
    with pytest.raises(InvalidTransition):
        lists.approve_model_unit(entry, UserFactory())


def test_rejecting_needs_a_reason_publishes_nothing_and_allows_a_new_application() -> None:
    merchant = MerchantFactory()
    entry = applied(merchant)
    with pytest.raises(ValidationFailed):
        lists.reject_model_unit(entry, UserFactory(), " ")
    lists.reject_model_unit(entry, UserFactory(), "计量器具台账不完整")
    assert entry.status == EntryStatus.REJECTED and entry.decision_note == "计量器具台账不完整"
    assert ledger.latest_record(records.RECORD_TYPE, str(entry.id)) is None
    assert lists.application_block(merchant.id) is None
    with pytest.raises(InvalidTransition):  # the abnormal-list decision does not take applications
        lists.confirm_listing(applied(merchant), UserFactory())


def test_the_title_is_valid_through_its_last_day_then_expires() -> None:
    merchant = MerchantFactory()
    entry = model_unit(merchant)
    last = date(2027, 11, 22)
    with clock.frozen(at(last)):
        assert list_queries.listed_for(merchant.id) == [entry]
        assert lists.expire_due() == []
        assert letter(merchant.id) == ("A", 90)
    with clock.frozen(at(last + timedelta(days=1))):
        assert list_queries.listed_for(merchant.id) == []  # hidden on the day even before the job ran
        assert lists.expire_due() == [entry]
        assert lists.expire_due() == []  # idempotent
        assert entry.status == EntryStatus.REMOVED and entry.removal_kind == RemovalKind.EXPIRED
        assert entry.removed_on == date(2027, 11, 23) and entry.removal_authority == entry.authority
        assert entry.removed_by_id is None
        [fact] = list_facts(entry)
        assert fact.ended_on == date(2027, 11, 23)
        assert letter(merchant.id) == ("B", 80) and merchant.grade == "B"
        data = newest_data("list_entry", str(entry.id))
        assert data["status"] == "removed" and data["removal_kind"] == "expired"
        assert data["removed_on"] == "2027-11-23" and data["removal_reason"] == lists.EXPIRED_REASON
        assert versions(entry) == [1, 2]
        with pytest.raises(NotFound):
            notices.model_unit_job(entry)


def test_a_late_job_records_the_same_removal_day() -> None:
    entry = model_unit(MerchantFactory())
    with clock.frozen(at(date(2028, 1, 10))):
        lists.expire_due()
    assert entry.removed_on == date(2027, 11, 23)


def test_revoking_needs_a_reason_and_ends_the_title_at_once() -> None:
    merchant = MerchantFactory()
    entry = model_unit(merchant)
    with pytest.raises(ValidationFailed):
        lists.revoke_model_unit(entry, UserFactory(), reason="", authority="深圳市南山区市场监督管理局")
    assert entry.status == EntryStatus.LISTED
    lists.revoke_model_unit(
        entry, UserFactory(), reason="发现使用未经检定的电子秤", authority="深圳市南山区市场监督管理局"
    )
    assert entry.status == EntryStatus.REMOVED and entry.removal_kind == RemovalKind.REVOKED
    assert entry.removed_on == TODAY and entry.removal_reason == "发现使用未经检定的电子秤"
    assert list_queries.listed_for(merchant.id) == [] and letter(merchant.id) == ("B", 80)
    assert newest_data("list_entry", str(entry.id))["removal_kind"] == "revoked"
    with pytest.raises(InvalidTransition):
        lists.revoke_model_unit(entry, UserFactory(), reason="again", authority="x")
    with pytest.raises(InvalidTransition):  # a title is not removed like an abnormal listing
        lists.remove_entry(model_unit(merchant), kind=RemovalKind.DECISION, reason="x", authority="y", by=None)


def test_a_title_holder_renews_in_the_last_60_days_without_a_gap() -> None:
    merchant = MerchantFactory()
    first = model_unit(merchant)
    with clock.frozen(at(date(2027, 9, 1))):
        assert lists.application_block(merchant.id) is not None
        with pytest.raises(InvalidTransition):
            applied(merchant)
    with clock.frozen(at(date(2027, 10, 1))):
        second = lists.approve_model_unit(applied(merchant), UserFactory())
        assert second.listed_on == date(2027, 11, 23) and second.valid_until == date(2028, 11, 22)
        assert list_queries.listed_for(merchant.id) == [first]
        assert lists.application_block(merchant.id) is not None  # nothing more to apply for
    with clock.frozen(at(date(2027, 11, 23))):
        lists.expire_due()
        assert first.status == EntryStatus.REMOVED and second.status == EntryStatus.LISTED
        assert list_queries.listed_for(merchant.id) == [second]
        grades.regrade(merchant.id, "test")
        assert letter(merchant.id) == ("A", 90) and merchant.grade == "A"


def test_a_listed_merchant_cannot_apply_nor_be_granted_the_title() -> None:
    merchant = MerchantFactory()
    entry = applied(merchant)
    serious(merchant)
    with pytest.raises(InvalidTransition):
        lists.approve_model_unit(entry, UserFactory())
    assert entry.status == EntryStatus.PROPOSED
    lists.reject_model_unit(entry, UserFactory(), "已列入严重违法失信名单")
    with pytest.raises(InvalidTransition):
        applied(merchant)


# ---------------------------------------------------------------- 经营异常名录


def test_listing_directly_on_a_ground_caps_the_grade_at_c() -> None:
    merchant = MerchantFactory()
    model_unit(merchant)
    entry = abnormal(merchant, on=date(2026, 11, 20))
    assert entry.status == EntryStatus.LISTED and entry.listed_on == date(2026, 11, 20)
    assert entry.reason == "未按照规定的期限公示年度报告" and entry.decision_note == "2025年度报告逾期未公示"
    assert letter(merchant.id) == ("C", 75)  # 80 + 10 − 15 = 75 is B, the listing caps it at C
    [fact] = list_facts(entry)
    assert (fact.rule, fact.happened_on) == ("result_10_or_abnormal", date(2026, 11, 20))
    data = newest_data("list_entry", str(entry.id))
    assert data["reason"] == entry.reason and "note" not in str(data) and data["listed_on"] == "2026-11-20"
    assert entry in list_queries.listed_for(merchant.id)
    assert lists.repair_eligible_on(entry) is None
    with pytest.raises(InvalidTransition):  # the same ground twice
        abnormal(merchant)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"ground": "nope"}, "ground"),
        ({"uscc": "91440300000000000X"}, "uscc"),
        ({"authority": " "}, "authority"),
        ({"listed_on": date(2026, 11, 24)}, "listed_on"),
    ],
)
def test_a_direct_listing_is_checked(changes: dict[str, object], field: str) -> None:
    merchant = MerchantFactory()
    given: dict[str, object] = {
        "uscc": merchant.uscc,
        "ground": "unreachable",
        "note": "",
        "authority": "深圳市南山区市场监督管理局",
        "listed_on": TODAY,
        "by": UserFactory(),
    }
    with pytest.raises(ValidationFailed) as err:
        lists.list_abnormal(**{**given, **changes})  # type: ignore[arg-type]
    assert err.value.field == field


def test_removing_a_cured_listing_hides_it_and_lifts_the_cap() -> None:
    merchant = MerchantFactory()
    entry = abnormal(merchant, on=date(2026, 11, 2))
    assert letter(merchant.id) == ("C", 65)
    with pytest.raises(ValidationFailed):  # before it was listed
        lists.remove_abnormal(
            entry, reason="已补报", authority="南山局", removed_on=date(2026, 11, 1), by=UserFactory()
        )
    with pytest.raises(ValidationFailed):
        lists.remove_abnormal(entry, reason="", authority="南山局", removed_on=TODAY, by=UserFactory())
    admin = UserFactory()
    lists.remove_abnormal(entry, reason="已补报并公示2025年度报告", authority="南山局", removed_on=TODAY, by=admin)
    assert entry.status == EntryStatus.REMOVED and entry.removal_kind == RemovalKind.DECISION
    assert (entry.removed_on, entry.removal_authority, entry.removed_by_id) == (TODAY, "南山局", admin.id)
    assert list_queries.listed_for(merchant.id) == []  # removed listings stop being shown (2025 rules)
    assert letter(merchant.id) == ("B", 80)
    assert list_facts(entry)[0].ended_on == TODAY
    data = newest_data("list_entry", str(entry.id))
    assert data["removal_reason"] == "已补报并公示2025年度报告" and data["removal_authority"] == "南山局"
    assert versions(entry) == [1, 2]
    with pytest.raises(InvalidTransition):
        lists.remove_abnormal(entry, reason="again", authority="南山局", removed_on=TODAY, by=admin)


def _result_10_fact(task_id: int, merchant_id: int) -> CreditFact:
    """The −15 a published 10 result carries (added here as the publication would)."""
    return facts.add(
        merchant_id,
        "result_10_or_abnormal",
        TODAY,
        source=FactSource.RESULT,
        source_id=task_id,
        ref=f"inspection_result/{task_id}",
    )


def test_rejecting_a_10_proposal_ends_the_10_result_fact() -> None:
    task = completed(["10"])
    [entry] = list_queries.proposals()
    fact = _result_10_fact(task.id, task.merchant_id)
    assert letter(task.merchant_id) == ("C", 65)
    lists.reject_listing(entry, UserFactory(), "已联系上经营者")
    assert fact.ended_on == TODAY and fact.end_reason == "不予列入经营异常名录"
    assert letter(task.merchant_id) == ("B", 80)


def test_rejecting_ends_every_10_of_the_merchant_and_a_later_publication_knows() -> None:
    first = completed(["10"])
    second = completed(["10"], merchant=first.merchant)  # proposes nothing new: one proposal per merchant
    [entry] = list_queries.proposals()
    facts_10 = [_result_10_fact(t.id, first.merchant_id) for t in (first, second)]
    assert lists.result_10_ended(first.merchant_id, TODAY) is None  # pending: it counts
    lists.reject_listing(entry, UserFactory(), "已联系上经营者")
    assert [f.ended_on for f in facts_10] == [TODAY, TODAY]
    assert letter(first.merchant_id) == ("B", 80)
    assert lists.result_10_ended(first.merchant_id, date(2026, 11, 20)) == (TODAY, "不予列入经营异常名录")
    assert lists.result_10_ended(first.merchant_id, date(2026, 11, 24)) is None  # a 10 found after the decision


def test_a_confirmed_10_proposal_counts_once_and_removal_ends_both_facts() -> None:
    task = completed(["10"])
    [entry] = list_queries.proposals()
    result_fact = _result_10_fact(task.id, task.merchant_id)
    lists.confirm_listing(entry, UserFactory())
    assert letter(task.merchant_id) == ("C", 65)  # the 10 and the listing share one capped −15
    lists.remove_abnormal(entry, reason="已办理住所变更登记", authority="南山局", removed_on=TODAY, by=UserFactory())
    assert result_fact.ended_on == TODAY
    assert letter(task.merchant_id) == ("B", 80)


# ---------------------------------------------------------------- 严重违法失信名单


def test_a_serious_listing_makes_d_for_three_years_then_goes_automatically() -> None:
    merchant = MerchantFactory()
    model_unit(merchant)
    entry = serious(merchant, on=date(2026, 11, 20), no="深南市监信列〔2026〕8号")
    assert entry.status == EntryStatus.LISTED and entry.decision_no == "深南市监信列〔2026〕8号"
    assert entry.valid_until == date(2029, 11, 20)
    assert list_facts(entry) == []  # no points: the listing itself sets D
    assert letter(merchant.id) == ("D", 90) and merchant.grade == "D"
    assert lists.repair_eligible_on(entry) == date(2027, 11, 20)
    data = newest_data("list_entry", str(entry.id))
    assert data["decision_no"] == "深南市监信列〔2026〕8号" and data["valid_until"] == "2029-11-20"
    with clock.frozen(at(date(2029, 11, 19))):
        assert entry in list_queries.listed_for(merchant.id)
        assert entry not in lists.expire_due()  # (the title of 2026 expires)
        assert entry.status == EntryStatus.LISTED
    with clock.frozen(at(date(2029, 11, 20))):
        assert entry not in list_queries.listed_for(merchant.id)
        assert lists.expire_due() == [entry]
        assert entry.removal_kind == RemovalKind.AUTOMATIC and entry.removed_on == date(2029, 11, 20)
        assert entry.removal_reason == lists.AUTOMATIC_REASON
        assert not list_queries.listed(merchant.id, ListKind.SERIOUS)
        assert newest_data("list_entry", str(entry.id))["removal_kind"] == "automatic"
        assert lists.repair_eligible_on(entry) is None


def test_a_serious_listing_is_checked() -> None:
    merchant = MerchantFactory()
    serious(merchant, no="深南市监信列〔2026〕9号")
    with pytest.raises(ValidationFailed) as err:
        serious(MerchantFactory(), no="深南市监信列〔2026〕9号")
    assert err.value.field == "decision_no"
    with pytest.raises(ValidationFailed) as err:  # three years are over already
        serious(merchant, on=date(2023, 11, 23), no="A1")
    assert err.value.field == "listed_on"
    serious(merchant, on=date(2023, 11, 24), no="A2")  # one day left


def test_remove_entry_works_inside_the_callers_transaction() -> None:
    """Credit repair (ratings/repairs.py) removes inside its own transaction: nothing commits here."""
    merchant = MerchantFactory()
    entry = serious(merchant, on=date(2025, 11, 1))
    db.session.commit()
    lists.remove_entry(entry, kind=RemovalKind.REPAIR, reason="信用修复", authority="南山局", by=UserFactory())
    assert entry.status == EntryStatus.REMOVED and entry.removal_kind == RemovalKind.REPAIR
    assert list_queries.listed_for(merchant.id) == []  # after repair neither listing nor removal is shown
    assert letter(merchant.id) == ("B", 80)
    db.session.rollback()  # the caller fails: everything goes
    db.session.refresh(entry)
    assert entry.status == EntryStatus.LISTED and versions(entry) == [1]
    with pytest.raises(InvalidTransition):
        lists.remove_entry(entry, kind=RemovalKind.EXPIRED, reason="x", authority="y", by=None)


# ---------------------------------------------------------------- ledger, job, certificate


def test_ledger_audit_rederives_every_list_record_and_catches_a_changed_row() -> None:
    merchant = MerchantFactory()
    title = model_unit(merchant)
    lists.revoke_model_unit(title, UserFactory(), reason="撤销", authority="南山局")
    listing = abnormal(MerchantFactory())
    serious(MerchantFactory())
    applied(MerchantFactory())  # not public: not projected
    projected = dict(records.projection())
    assert set(projected) >= {str(title.id), str(listing.id)}
    assert [p for p in audit.check_rows() if p.startswith("list_entry")] == []
    db.session.execute(sa.update(ListEntry).where(ListEntry.id == listing.id).values(reason="篡改"))
    db.session.expire_all()
    assert [p for p in audit.check_rows() if p.startswith("list_entry")] == [
        f"list_entry {listing.id}：业务数据与最新账本记录不符（数据被绕过系统改动）"
    ]


def test_the_cli_runs_the_daily_job(app: Flask) -> None:
    merchant = MerchantFactory()
    entry = model_unit(merchant)
    runner = app.test_cli_runner()
    with clock.frozen(at(date(2027, 11, 23))):
        result = runner.invoke(args=["lists", "expire"])
        assert result.exit_code == 0, result.output
        assert f"{entry.id}\tmodel_unit\t{merchant.uscc}\texpired\t2027-11-23" in result.output
        assert "removed 1 entries" in result.output
        assert "removed 0 entries" in runner.invoke(args=["lists", "expire"]).output


def test_the_job_is_registered_daily() -> None:
    from honestmeter.jobs import registry

    [spec] = [s for s in registry.specs() if s.id == "lists.expire"]
    assert spec.trigger == "cron" and spec.func == "honestmeter.lists.jobs:expire_job"


def test_the_certificate_names_the_merchant_and_its_record() -> None:
    merchant = MerchantFactory(name="南山诚信粮油店")
    entry = model_unit(merchant)
    notice = notices.model_unit_notice(entry)
    data = notices.path_of(notice).read_bytes()
    text = text_of(data)
    record = ledger.latest_record(records.RECORD_TYPE, str(entry.id))
    assert record is not None
    for expected in ("诚信计量示范单位证书", "南山诚信粮油店", merchant.uscc, "2027年11月22日", record.leaf_hash.hex()):
        assert expected in text, expected
    issued = ledger.entry_by_file(ledger.sha256(data))
    assert issued.record_type == "notice"
    assert notices.model_unit_notice(entry).id == notice.id  # once per fact
