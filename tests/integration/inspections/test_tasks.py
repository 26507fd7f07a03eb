"""Task and finding services: result codes, revisions and double confirmation, completion, isolation, reopening."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from honestmeter import clock
from honestmeter.auth.models import User
from honestmeter.errors import InvalidTransition, NotFound, ValidationFailed
from honestmeter.extensions import db
from honestmeter.inspections.models import (
    Decision,
    Recusal,
    RecusalSource,
    Task,
    TaskKind,
    TaskStatus,
)
from honestmeter.inspections.results import followup
from honestmeter.inspections.tasks import findings
from honestmeter.inspections.tasks import services as tasks
from tests.factories import (
    InspectorFactory,
    InstrumentFactory,
    MerchantFactory,
    PlanFactory,
    TaskFactory,
    UserFactory,
)

ITEMS_OK = [findings.ItemEntry("JL-01", "pass"), findings.ItemEntry("JL-04", "pass")]


def entry(**changes: Any) -> findings.FindingEntry:
    base: dict[str, Any] = {
        "checked_on": date(2026, 11, 20),
        "result_codes": ["01"],
        "items": ITEMS_OK,
        "notes": "",
    }
    return findings.FindingEntry(**{**base, **changes})


def users(task: Task) -> list[User]:
    return [a.inspector.user for a in task.assignments]


def saved() -> None:
    """Make the set-up survive a service's rollback (in tests a commit releases a SAVEPOINT)."""
    db.session.commit()


@pytest.fixture
def task() -> Task:
    made = TaskFactory()
    saved()
    return made


@pytest.fixture(autouse=True)
def completions(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Record followup.on_completed calls (its body belongs to the follow-up feature)."""
    calls: list[int] = []
    monkeypatch.setattr(followup, "on_completed", lambda t: calls.append(t.id))
    return calls


# ---------------------------------------------------------------- creating tasks


def test_recusal_blocks_create_task() -> None:
    merchant = MerchantFactory()
    a, b = InspectorFactory(), InspectorFactory()
    admin = UserFactory()
    db.session.add(
        Recusal(
            merchant_id=merchant.id,
            inspector_id=b.id,
            source=RecusalSource.INSPECTOR,
            reason="亲属关系",
            status=Decision.APPROVED,
            requested_by_id=b.user_id,
        )
    )
    saved()
    with pytest.raises(ValidationFailed) as err:
        tasks.assign_directed_task(
            kind=TaskKind.COMPLAINT,
            uscc=merchant.uscc,
            inspector_ids=[a.id, b.id],
            item_codes=["JL-01"],
            due_date=None,
            reason="群众投诉缺斤短两",
            by=admin,
        )
    assert err.value.field == "inspector_ids" and b.name in err.value.message


def test_a_pending_recusal_does_not_block() -> None:
    merchant = MerchantFactory()
    a, b = InspectorFactory(), InspectorFactory()
    db.session.add(
        Recusal(
            merchant_id=merchant.id,
            inspector_id=b.id,
            source=RecusalSource.MERCHANT,
            reason="申请回避",
            requested_by_id=b.user_id,
        )
    )
    db.session.flush()
    created = tasks.create_task(
        kind=TaskKind.DIRECTED,
        merchant_id=merchant.id,
        inspector_ids=[a.id, b.id],
        item_codes=["JL-01"],
        authority="x",
        reason="D级100%检查",
        due_date=None,
        created_by=None,
    )
    assert [x.inspector_id for x in created.assignments] == [a.id, b.id]


def test_directed_task_is_labelled_and_needs_two_inspectors_and_a_known_merchant() -> None:
    merchant = MerchantFactory()
    a, b = InspectorFactory(), InspectorFactory()
    admin = UserFactory()
    common: dict[str, Any] = {"item_codes": ["JL-01", "JL-03"], "due_date": None, "reason": "投诉", "by": admin}
    saved()
    with pytest.raises(ValidationFailed) as err:
        tasks.assign_directed_task(kind=TaskKind.DIRECTED, uscc=merchant.uscc, inspector_ids=[a.id], **common)
    assert err.value.field == "inspector_ids"
    with pytest.raises(ValidationFailed) as err:
        tasks.assign_directed_task(
            kind=TaskKind.DIRECTED, uscc="91440300708461136T", inspector_ids=[a.id, b.id], **common
        )
    assert err.value.field == "uscc"
    with pytest.raises(ValidationFailed) as err:
        tasks.assign_directed_task(kind=TaskKind.RANDOM, uscc=merchant.uscc, inspector_ids=[a.id, b.id], **common)
    assert err.value.field == "kind"
    created = tasks.assign_directed_task(
        kind=TaskKind.COMPLAINT, uscc=merchant.uscc.lower(), inspector_ids=[a.id, b.id], **common
    )
    assert created.kind == TaskKind.COMPLAINT and created.status == TaskStatus.OPEN
    assert created.created_by_id == admin.id and created.item_codes == ["JL-01", "JL-03"]


# ---------------------------------------------------------------- recording


def test_first_save_creates_revision_one_and_starts_recording(task: Task) -> None:
    finding = findings.record_finding(task.id, users(task)[0], entry(notes="  现场秤具正常  "))
    assert finding.revision == 1 and finding.result_codes == ["01"] and finding.notes == "现场秤具正常"
    assert task.status == TaskStatus.RECORDING
    assert finding.item_results == {"JL-01": {"verdict": "pass", "note": ""}, "JL-04": {"verdict": "pass", "note": ""}}


@pytest.mark.parametrize(
    ("codes", "message"),
    [(["01", "09"], "不能与其他检查结果同时选择"), ([], "请至少选择一项"), (["15"], "代码无效")],
)
def test_result_codes_rule(task: Task, codes: list[str], message: str) -> None:
    with pytest.raises(ValidationFailed) as err:
        findings.record_finding(task.id, users(task)[0], entry(result_codes=codes))
    assert err.value.field == "result_codes" and message in err.value.message
    assert task.finding is None


def test_clean_result_cannot_stand_next_to_a_failed_item(task: Task) -> None:
    items = [findings.ItemEntry("JL-01", "fail", "电子秤超期未检"), findings.ItemEntry("JL-04", "pass")]
    with pytest.raises(ValidationFailed) as err:
        findings.record_finding(task.id, users(task)[0], entry(items=items))
    assert err.value.field == "result_codes"
    finding = findings.record_finding(task.id, users(task)[0], entry(items=items, result_codes=["9"]))
    assert finding.result_codes == ["09"] and finding.item_results["JL-01"]["note"] == "电子秤超期未检"


def test_unknown_verdict_is_refused(task: Task) -> None:
    with pytest.raises(ValidationFailed) as err:
        findings.record_finding(task.id, users(task)[0], entry(items=[findings.ItemEntry("JL-04", "maybe")]))
    assert err.value.field == "items-1-verdict"


def test_instrument_checks_are_judged_and_prefilled_from_the_ledger() -> None:
    task = TaskFactory()
    overdue = InstrumentFactory(merchant=task.merchant, next_due_on=date(2020, 1, 1), serial_number="OLD-1")
    valid = InstrumentFactory(merchant=task.merchant, serial_number="NEW-1")
    foreign = InstrumentFactory(serial_number="OTHER-1")
    saved()
    rows = [
        findings.InstrumentEntry(overdue.id, "", serial_found=True, verification_valid=None),
        findings.InstrumentEntry(valid.id, "", True, None, measured_error=Decimal("-6"), mpe=Decimal("5"), unit="g"),
        findings.InstrumentEntry(None, "台账外电子秤", True, False),
        findings.InstrumentEntry(valid.id, "", True, None, measured_error=Decimal("5"), mpe=Decimal("5"), unit="g"),
    ]
    finding = findings.record_finding(task.id, users(task)[0], entry(instruments=rows, result_codes=["09"]))
    checks = finding.instrument_checks
    assert [c.verification_valid for c in checks] == [False, True, False, True]
    assert [c.passed for c in checks] == [False, False, False, True]  # |error| = MPE still passes
    assert "OLD-1" in checks[0].description

    with pytest.raises(ValidationFailed) as err:
        findings.record_finding(
            task.id, users(task)[0], entry(instruments=[findings.InstrumentEntry(foreign.id, "", True, None)])
        )
    assert err.value.field == "instruments-0-instrument_id"
    with pytest.raises(ValidationFailed) as err:
        findings.record_finding(
            task.id, users(task)[0], entry(instruments=[findings.InstrumentEntry(None, "x", True, None)])
        )
    assert err.value.field == "instruments-0-verification_valid"


def test_a_failed_instrument_excludes_the_clean_result() -> None:
    task = TaskFactory()
    rows = [findings.InstrumentEntry(None, "台账外电子秤", serial_found=False, verification_valid=True)]
    saved()
    with pytest.raises(ValidationFailed) as err:
        findings.record_finding(task.id, users(task)[0], entry(instruments=rows))
    assert err.value.field == "result_codes"


def test_net_content_sample_is_judged_and_stored() -> None:
    task = TaskFactory(item_codes=["JL-03"])
    sample = findings.SampleEntry("大米", "B1", Decimal("500"), "g", "500 502, 496；501\n490", allowed_t1=0)
    finding = findings.record_finding(
        task.id,
        users(task)[0],
        entry(items=[findings.ItemEntry("JL-03", "fail")], result_codes=["09"], samples=[sample]),
    )
    [s] = finding.samples
    db.session.refresh(s)
    assert s.shortfall_limit == Decimal("15") and s.actuals == ["500", "502", "496", "501", "490"]
    assert s.average == Decimal("497.8") and not s.passed and s.reasons


def test_failed_sample_cannot_be_judged_compliant() -> None:
    task = TaskFactory(item_codes=["JL-03"])
    sample = findings.SampleEntry("大米", "", Decimal("500"), "g", "450 450")
    saved()
    with pytest.raises(ValidationFailed) as err:
        findings.record_finding(
            task.id,
            users(task)[0],
            entry(items=[findings.ItemEntry("JL-03", "pass")], result_codes=["09"], samples=[sample]),
        )
    assert err.value.field == "items-0-verdict"


@pytest.mark.parametrize(
    ("sample", "field"),
    [
        (findings.SampleEntry("米", "", Decimal("500"), "g", "500 abc"), "samples-0-actuals"),
        (findings.SampleEntry("米", "", Decimal("500"), "g", ""), "samples-0-actuals"),
        (findings.SampleEntry("米", "", None, "g", "500"), "samples-0-nominal"),
        (findings.SampleEntry("米", "", Decimal("60000"), "g", "60000"), "samples-0-nominal"),
        (findings.SampleEntry("米", "", Decimal("500"), "kg", "500"), "samples-0-unit"),
        (findings.SampleEntry("", "", Decimal("500"), "g", "500"), "samples-0-product"),
    ],
)
def test_bad_samples_name_their_field(sample: findings.SampleEntry, field: str) -> None:
    task = TaskFactory(item_codes=["JL-03"])
    saved()
    with pytest.raises(ValidationFailed) as err:
        findings.record_finding(task.id, users(task)[0], entry(items=[], result_codes=["09"], samples=[sample]))
    assert err.value.field == field


# ---------------------------------------------------------------- revisions and confirmation


def test_both_must_confirm_the_same_revision(task: Task, completions: list[int]) -> None:
    a, b = users(task)
    findings.record_finding(task.id, a, entry())
    tasks.confirm_finding(task.id, a, 1)
    assert task.status == TaskStatus.RECORDING and completions == []
    assert tasks.confirmed_current(task) == {
        task.assignments[0].inspector_id: True,
        task.assignments[1].inspector_id: False,
    }

    # B edits after A confirmed: a new revision, and A's confirmation no longer counts.
    findings.record_finding(task.id, b, entry(notes="补充：商户已公示承诺书"))
    assert task.finding is not None and task.finding.revision == 2
    assert all(x.confirmed_revision is None and x.confirmed_at is None for x in task.assignments)

    with pytest.raises(InvalidTransition):
        tasks.confirm_finding(task.id, b, 1)  # confirming what they saw before the change
    tasks.confirm_finding(task.id, b, 2)
    assert task.status == TaskStatus.RECORDING
    tasks.confirm_finding(task.id, a, 2)
    assert task.status == TaskStatus.COMPLETED and completions == [task.id]


def test_saving_unchanged_content_keeps_the_revision_and_confirmations(task: Task) -> None:
    a, _b = users(task)
    findings.record_finding(task.id, a, entry())
    tasks.confirm_finding(task.id, a, 1)
    findings.record_finding(task.id, a, entry())
    assert task.finding is not None and task.finding.revision == 1
    assert task.assignments[0].confirmed_revision == 1


def test_completion_deadline_counts_chinese_working_days(task: Task) -> None:
    a, b = users(task)
    findings.record_finding(task.id, a, entry())
    tasks.confirm_finding(task.id, a, 1)
    when = datetime(2026, 9, 30, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai, the day before the National Day holiday
    with clock.frozen(when):
        tasks.confirm_finding(task.id, b, 1)
    assert task.completed_at == when
    # 20 working days, skipping 1–7 October and counting the make-up working day: not the plain 28 October.
    assert task.publish_deadline == date(2026, 11, 3)


def test_completion_uses_the_plan_and_the_china_date() -> None:
    task = TaskFactory(plan=PlanFactory(publish_within_days=5))
    a, b = users(task)
    findings.record_finding(task.id, a, entry())
    tasks.confirm_finding(task.id, a, 1)
    with clock.frozen(datetime(2026, 11, 19, 17, 0, tzinfo=UTC)):  # already Friday 20 November in Shanghai
        tasks.confirm_finding(task.id, b, 1)
    assert task.publish_deadline == date(2026, 11, 27)


def test_confirmation_needs_every_item_judged(task: Task) -> None:
    a, _b = users(task)
    findings.record_finding(task.id, a, entry(items=[findings.ItemEntry("JL-01", "pass")]))
    with pytest.raises(ValidationFailed, match="未填写结论"):
        tasks.confirm_finding(task.id, a, 1)
    assert task.assignments[0].confirmed_revision is None


def test_a_problem_needs_a_photo_or_a_note(task: Task) -> None:
    a, _b = users(task)
    items = [findings.ItemEntry("JL-01", "fail"), findings.ItemEntry("JL-04", "pass")]
    findings.record_finding(task.id, a, entry(items=items, result_codes=["09"]))
    with pytest.raises(ValidationFailed, match="照片"):
        tasks.confirm_finding(task.id, a, 1)
    findings.record_finding(task.id, a, entry(items=items, result_codes=["09"], notes="商户拒绝拍照，已记录在案"))
    tasks.confirm_finding(task.id, a, 2)
    assert task.assignments[0].confirmed_revision == 2


def test_completed_finding_is_read_only_for_inspectors(task: Task) -> None:
    a, b = users(task)
    findings.record_finding(task.id, a, entry())
    tasks.confirm_finding(task.id, a, 1)
    tasks.confirm_finding(task.id, b, 1)
    with pytest.raises(InvalidTransition):
        findings.record_finding(task.id, a, entry(notes="事后修改"))
    with pytest.raises(InvalidTransition):
        tasks.confirm_finding(task.id, a, 1)


# ---------------------------------------------------------------- isolation


def test_an_inspector_not_assigned_sees_nothing_and_cannot_confirm(task: Task) -> None:
    a, _b = users(task)
    stranger = InspectorFactory().user
    saved()
    findings.record_finding(task.id, a, entry())
    with pytest.raises(NotFound):
        tasks.task_for_inspector(task.id, stranger)
    with pytest.raises(NotFound):
        findings.record_finding(task.id, stranger, entry(notes="越权"))
    with pytest.raises(NotFound):
        tasks.confirm_finding(task.id, stranger, 1)
    assert task.finding is not None and task.finding.revision == 1
    assert [t.id for t in tasks.my_tasks(stranger).active] == []
    assert [t.id for t in tasks.my_tasks(a).active] == [task.id]


def test_my_tasks_splits_active_and_completed(task: Task) -> None:
    a, b = users(task)
    other = TaskFactory(inspectors=[task.assignments[0].inspector, InspectorFactory()])
    findings.record_finding(task.id, a, entry())
    tasks.confirm_finding(task.id, a, 1)
    tasks.confirm_finding(task.id, b, 1)
    mine = tasks.my_tasks(a)
    assert [t.id for t in mine.active] == [other.id] and [t.id for t in mine.completed] == [task.id]


# ---------------------------------------------------------------- reopening


def test_regulator_reopens_a_completed_task(task: Task, completions: list[int]) -> None:
    a, b = users(task)
    admin = UserFactory(display_name="王科长")
    saved()
    findings.record_finding(task.id, a, entry(notes="原备注"))
    tasks.confirm_finding(task.id, a, 1)
    tasks.confirm_finding(task.id, b, 1)
    with pytest.raises(ValidationFailed):
        tasks.reopen(task, admin, "  ")
    tasks.reopen(task, admin, "照片不清晰，请补拍")
    assert task.status == TaskStatus.RECORDING and task.completed_at is None and task.publish_deadline is None
    assert task.finding is not None and task.finding.revision == 2
    assert task.finding.notes.startswith("原备注\n") and "王科长 退回】照片不清晰，请补拍" in task.finding.notes
    assert all(x.confirmed_revision is None for x in task.assignments)
    findings.record_finding(task.id, a, entry(notes=task.finding.notes + "\n已补拍"))
    tasks.confirm_finding(task.id, a, 3)
    tasks.confirm_finding(task.id, b, 3)
    assert task.status == TaskStatus.COMPLETED and completions == [task.id, task.id]


def test_reopen_only_before_publication(task: Task) -> None:
    admin = UserFactory()
    saved()
    with pytest.raises(InvalidTransition):
        tasks.reopen(task.id, admin, "还没完成")
    a, b = users(task)
    findings.record_finding(task.id, a, entry())
    tasks.confirm_finding(task.id, a, 1)
    tasks.confirm_finding(task.id, b, 1)
    task.status = TaskStatus.PUBLISHED
    saved()
    with pytest.raises(InvalidTransition, match="已公示"):
        tasks.reopen(task.id, admin, "改结果")
    with pytest.raises(NotFound):
        tasks.reopen(10**6, admin, "x")


def test_timeline_tells_the_story(task: Task) -> None:
    a, b = users(task)
    findings.record_finding(task.id, a, entry())
    tasks.confirm_finding(task.id, a, 1)
    tasks.confirm_finding(task.id, b, 1)
    messages = [e.message for e in tasks.timeline(task)]
    assert messages[0] == "任务创建" and messages[-1] == "全部检查人员确认，任务完成"
    assert sum("确认第" in m for m in messages) == 2


def test_task_query_filters() -> None:
    late = TaskFactory(due_date=date(2020, 1, 1), merchant=MerchantFactory(name="滨海加油站"))
    TaskFactory(due_date=date(2999, 1, 1))
    complaint = TaskFactory(kind=TaskKind.COMPLAINT)

    def ids(**f: Any) -> set[int]:
        return {t.id for t in db.session.scalars(tasks.task_query(tasks.TaskFilter(**f)))}

    assert ids(overdue=True) == {late.id}
    assert ids(kind="complaint") == {complaint.id}
    assert ids(q="滨海") == {late.id}
    assert ids(q=late.merchant.uscc[:10].lower()) >= {late.id}
    assert ids(q="%") == set()
