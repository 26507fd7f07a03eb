"""Follow-up of completed tasks: 09 stays open until closed, 10 proposes an abnormal listing, 责令改正 and 复查."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, date, datetime

import pytest

from honestmeter import clock
from honestmeter.errors import InvalidTransition, ValidationFailed
from honestmeter.inspections.models import FollowUp, OrderStatus, Task, TaskKind, TaskStatus
from honestmeter.inspections.results import followup
from honestmeter.inspections.results import records as result_records
from honestmeter.ledger import services as ledger
from honestmeter.lists import queries as list_queries
from honestmeter.lists import records as list_records
from honestmeter.lists import services as lists
from honestmeter.lists.models import EntryStatus, ListKind
from honestmeter.merchants.models import Merchant
from tests.factories import FindingFactory, InspectorFactory, MerchantFactory, UserFactory, complete, newest_data

NOW = datetime(2026, 11, 23, 2, tzinfo=UTC)  # Monday 10:00 in Shanghai


@pytest.fixture(autouse=True)
def _frozen() -> object:
    with clock.frozen(NOW):
        yield


def completed(codes: Sequence[str], *, merchant: Merchant | None = None, task: Task | None = None) -> Task:
    """A task whose finding carries `codes`, confirmed by both inspectors, with follow-up run as on completion."""
    kwargs: dict[str, object] = {"result_codes": list(codes)}
    if task is not None:
        kwargs["task"] = task
    elif merchant is not None:
        kwargs["task__merchant"] = merchant
    finding = FindingFactory(**kwargs)
    complete(finding.task)
    followup.on_completed(finding.task)
    return finding.task


def projected(record_type: str) -> dict[str, object]:
    return {rid: dict(data) for rid, data in ledger.projections()[record_type]()}


def test_09_opens_a_follow_up_that_closes_only_with_a_note() -> None:
    task = completed(["09"])
    assert task.follow_up == FollowUp.OPEN
    assert task.publish_deadline == date(2026, 12, 18)  # 20 working days after 2026-11-20
    admin = UserFactory()
    with pytest.raises(ValidationFailed) as err:
        followup.close_follow_up(task, admin, "  ")
    assert err.value.field == "note"
    followup.close_follow_up(task, admin, "已立案调查")
    assert task.follow_up == FollowUp.CLOSED and task.follow_up_closed_at == NOW
    assert "已立案调查" in (task.follow_up_note or "")
    with pytest.raises(InvalidTransition):
        followup.close_follow_up(task, admin, "again")


def test_a_clean_result_opens_nothing() -> None:
    task = completed(["01"])
    assert task.follow_up == FollowUp.NONE
    assert list_queries.proposals() == []


def test_10_proposes_one_abnormal_listing_per_merchant() -> None:
    merchant = MerchantFactory()
    first = completed(["10"], merchant=merchant)
    completed(["10", "13"], merchant=merchant)  # a second check cannot reach it either
    [entry] = list_queries.proposals()
    assert entry.merchant_id == merchant.id and entry.kind == ListKind.ABNORMAL
    assert entry.status == EntryStatus.PROPOSED and entry.source_task_id == first.id
    assert entry.reason == "通过登记的住所（经营场所）无法联系" and entry.authority == first.authority
    assert ledger.latest_record(list_records.RECORD_TYPE, str(entry.id)) is None  # a proposal is not public


def test_confirming_a_proposal_lists_and_publishes_it() -> None:
    task = completed(["10"])
    [entry] = list_queries.proposals()
    lists.confirm_listing(entry, UserFactory(), "两次挂号信均未签收")
    assert entry.status == EntryStatus.LISTED and entry.listed_on == date(2026, 11, 23)
    assert newest_data("list_entry", str(entry.id)) == {
        "uscc": task.merchant.uscc,
        "kind": "abnormal",
        "reason": "通过登记的住所（经营场所）无法联系",
        "authority": task.authority,
        "listed_on": "2026-11-23",
        "status": "listed",
    }
    assert projected("list_entry")[str(entry.id)] == newest_data("list_entry", str(entry.id))
    assert list_queries.listed_for(task.merchant_id) == [entry]
    with pytest.raises(InvalidTransition):
        lists.reject_listing(entry, UserFactory(), "too late")
    # listed: a new 10 result does not propose it again
    completed(["10"], merchant=task.merchant)
    assert list_queries.proposals() == []


def test_rejecting_needs_a_reason_and_publishes_nothing() -> None:
    completed(["10"])
    [entry] = list_queries.proposals()
    with pytest.raises(ValidationFailed):
        lists.reject_listing(entry, UserFactory(), "")
    lists.reject_listing(entry, UserFactory(), "已联系上经营者")
    assert entry.status == EntryStatus.REJECTED
    assert ledger.latest_record("list_entry", str(entry.id)) is None
    assert str(entry.id) not in projected("list_entry")


def test_orders_are_numbered_per_year_and_need_a_problem_and_a_future_deadline() -> None:
    admin = UserFactory()
    with pytest.raises(ValidationFailed):  # nothing found, nothing to correct
        followup.issue_order(completed(["01"]), admin, "问题", "", "", date(2026, 12, 10))
    task = completed(["09"])
    with pytest.raises(ValidationFailed) as err:
        followup.issue_order(task, admin, "问题", "", "", date(2026, 11, 23))
    assert err.value.field == "deadline"
    with pytest.raises(ValidationFailed) as err:
        followup.issue_order(task, admin, " ", "", "", date(2026, 12, 10))
    assert err.value.field == "problems"
    first = followup.issue_order(task, admin, "电子秤未检定", "申请检定", "《计量法》第九条", date(2026, 12, 10))
    second = followup.issue_order(completed(["13"]), admin, "未公示承诺", "", "", date(2026, 12, 10))
    assert (first.number, second.number) == ("2026责改0001", "2026责改0002")
    with pytest.raises(InvalidTransition):  # one open order per task
        followup.issue_order(task, admin, "又一个问题", "", "", date(2026, 12, 20))
    with clock.frozen(datetime(2027, 1, 4, 2, tzinfo=UTC)):
        third = followup.issue_order(completed(["14"]), admin, "虚假公示", "", "", date(2027, 2, 1))
    assert third.number == "2027责改0001"
    data = newest_data(result_records.ORDER_TYPE, str(first.id))
    assert data["number"] == "2026责改0001" and data["status"] == "open" and data["deadline"] == "2026-12-10"
    assert "电子秤" not in json.dumps(data, ensure_ascii=False)  # the wording stays private, only its hash is public
    assert data["text_sha256"] == result_records.order_text_sha256(first)


def test_an_unfinished_task_gets_no_order() -> None:
    finding = FindingFactory(result_codes=["09"])
    with pytest.raises(InvalidTransition):
        followup.issue_order(finding.task, UserFactory(), "问题", "", "", date(2026, 12, 10))


def test_the_reinspection_goes_to_the_same_inspectors_and_closes_the_order_as_corrected() -> None:
    inspectors = [InspectorFactory(), InspectorFactory()]
    finding = FindingFactory(result_codes=["09"], task__inspectors=inspectors)
    task = complete(finding.task)
    followup.on_completed(task)
    order = followup.issue_order(task, UserFactory(), "价签未标明计量单位", "", "", date(2026, 12, 10))
    reinspection = order.reinspection
    assert reinspection is not None
    assert reinspection.kind == TaskKind.REINSPECTION and reinspection.parent_task_id == task.id
    assert reinspection.status == TaskStatus.OPEN and reinspection.merchant_id == task.merchant_id
    assert [a.inspector_id for a in reinspection.assignments] == [i.id for i in inspectors]
    assert reinspection.item_codes == task.item_codes and reinspection.due_date == date(2026, 12, 15)
    assert "2026责改0001" in (reinspection.reason or "")
    completed(["02"], task=reinspection)
    assert order.status == OrderStatus.CORRECTED and order.closed_at == NOW
    assert newest_data(result_records.ORDER_TYPE, str(order.id))["status"] == "corrected"
    assert projected(result_records.ORDER_TYPE)[str(order.id)] == newest_data(result_records.ORDER_TYPE, str(order.id))
    assert task.finding is not None and task.finding.result_codes == ["09"]  # the original result is not rewritten


def test_a_reinspection_that_finds_the_problem_again_leaves_it_not_corrected() -> None:
    order = followup.issue_order(completed(["09"]), UserFactory(), "电子秤超差", "", "", date(2026, 12, 10))
    assert order.reinspection is not None
    completed(["09"], task=order.reinspection)
    assert order.status == OrderStatus.NOT_CORRECTED
    assert order.reinspection.follow_up == FollowUp.OPEN  # its own 09 opens its own follow-up
    assert newest_data(result_records.ORDER_TYPE, str(order.id))["status"] == "not_corrected"
    assert followup.open_orders_for_merchant(order.merchant_id) == []


def test_open_orders_past_their_deadline_are_counted() -> None:
    followup.issue_order(completed(["09"]), UserFactory(), "问题", "", "", date(2026, 11, 30))
    assert followup.open_orders_past_deadline_count() == 0
    with clock.frozen(datetime(2026, 12, 1, 2, tzinfo=UTC)):
        assert followup.open_orders_past_deadline_count() == 1


def test_a_finding_confirmed_again_without_09_drops_its_open_follow_up() -> None:
    task = completed(["09"])
    assert task.finding is not None
    task.finding.result_codes = ["13"]
    followup.on_completed(task)
    assert task.follow_up == FollowUp.NONE
