"""一公开: publishing results within a working-day deadline, in the ledger, with warnings and alarms."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from honestmeter import clock, mail
from honestmeter.errors import InvalidTransition
from honestmeter.extensions import db
from honestmeter.inspections.models import Task, TaskKind, TaskStatus
from honestmeter.inspections.results import publication
from honestmeter.inspections.results import records as result_records
from honestmeter.ledger import services as ledger
from tests.factories import PASSWORD, FindingFactory, PlanFactory, UserFactory, completed, newest_data

NOW = datetime(2026, 11, 23, 2, tzinfo=UTC)  # Monday 10:00 in Shanghai


def projected(record_type: str) -> dict[str, dict[str, object]]:
    return {rid: dict(data) for rid, data in ledger.projections()[record_type]()}


def test_publishing_writes_the_gsxt_record_and_its_projection() -> None:
    task = completed(["09", "13"])
    with clock.frozen(NOW):
        publication.publish(task, UserFactory())
    assert task.status == TaskStatus.PUBLISHED and task.published_at == NOW
    data = newest_data(result_records.RESULT_TYPE, str(task.id))
    assert data == {
        "uscc": task.merchant.uscc,
        "merchant_name": task.merchant.name,
        "authority": "深圳市南山区市场监督管理局",
        "type": "定向检查",
        "date": "2026-11-20",
        "codes": ["09", "13"],
        "results": ["发现问题待后续处理", "未按规定公示应当公示的信息"],
        "plan_id": None,
        "draw_id": None,
        "completed_on": "2026-11-20",
        "published_on": "2026-11-23",
        "deadline": "2026-12-18",
        "on_time": True,
    }
    assert projected(result_records.RESULT_TYPE)[str(task.id)] == data
    # a row changed behind the application's back no longer re-derives to its record
    db.session.execute(sa.update(Task).where(Task.id == task.id).values(authority="别的机关"))
    db.session.expire_all()
    assert projected(result_records.RESULT_TYPE)[str(task.id)] != data


def test_only_a_completed_result_is_published_and_only_once() -> None:
    admin = UserFactory()
    recording = FindingFactory().task
    with pytest.raises(InvalidTransition):
        publication.publish(recording, admin)
    task = completed()
    publication.publish(task, admin)
    with pytest.raises(InvalidTransition):
        publication.publish(task, admin)
    assert ledger.latest_record(result_records.RESULT_TYPE, str(recording.id)) is None


def test_a_late_publication_is_allowed_and_recorded_as_late() -> None:
    task = completed()
    with clock.frozen(datetime(2026, 12, 21, 2, tzinfo=UTC)):  # the deadline was Friday 2026-12-18
        assert publication.deadline_status(task) == publication.OVERDUE
        publication.publish(task, UserFactory())
    data = newest_data(result_records.RESULT_TYPE, str(task.id))
    assert data["on_time"] is False and data["published_on"] == "2026-12-21"
    assert publication.deadline_status(task) == publication.OVERDUE  # still shows it was late


def test_the_deadline_counts_chinese_working_days_across_national_day() -> None:
    # completed Tuesday 2026-09-29 (Shanghai); 1-7 October are holidays, Saturday 10 October is a make-up day
    task = completed(at=datetime(2026, 9, 29, 2, tzinfo=UTC))
    assert task.publish_deadline == date(2026, 11, 2)  # Monday–Friday counting would say 2026-10-27
    task.publish_deadline = date(2026, 10, 9)
    # nine calendar days (seven weekdays) away, but only two working days: 8 and 9 October
    assert publication.deadline_status(task, today=date(2026, 9, 30)) == publication.DUE_SOON
    assert publication.working_days_left(task, today=date(2026, 9, 30)) == 2
    assert publication.deadline_status(task, today=date(2026, 9, 21)) == publication.OK
    assert publication.deadline_status(task, today=date(2026, 10, 9)) == publication.DUE_SOON
    assert publication.deadline_status(task, today=date(2026, 10, 10)) == publication.OVERDUE


def test_a_plans_own_publication_period_is_used() -> None:
    plan = PlanFactory(publish_within_days=5)
    task = completed(plan=plan, kind=TaskKind.RANDOM)
    assert task.publish_deadline == date(2026, 11, 27)


def test_bulk_publication_is_all_or_nothing_and_updates_the_plan_record() -> None:
    plan = PlanFactory()
    first, second = completed(plan=plan, kind=TaskKind.RANDOM), completed(["09"], plan=plan, kind=TaskKind.RANDOM)
    unfinished = FindingFactory(task__plan=plan, task__kind=TaskKind.RANDOM).task
    admin = UserFactory()
    with pytest.raises(InvalidTransition):
        publication.publish_many([first.id, second.id, unfinished.id], admin)
    assert (
        first.status == TaskStatus.COMPLETED and ledger.latest_record(result_records.RESULT_TYPE, str(first.id)) is None
    )
    publication.publish_many([first.id, second.id], admin)
    assert {first.status, second.status} == {TaskStatus.PUBLISHED}
    data = newest_data(result_records.PLAN_RESULTS_TYPE, str(plan.id))
    assert data["published"] == 2
    assert data["counts"] == {"01": 1, "09": 1} and data["authority"] == plan.authority
    assert projected(result_records.PLAN_RESULTS_TYPE)[str(plan.id)] == data


def test_dashboard_counts_and_the_daily_digest(app: Flask) -> None:
    UserFactory(email="chief@example.cn", username="chief")
    UserFactory(email=None)
    late = completed(at=datetime(2026, 10, 20, 2, tzinfo=UTC))  # deadline 2026-11-17
    soon = completed(at=datetime(2026, 10, 27, 2, tzinfo=UTC))  # deadline 2026-11-24
    completed(at=datetime(2026, 11, 20, 2, tzinfo=UTC))  # deadline 2026-12-18: fine
    with clock.frozen(NOW):
        assert publication.overdue_count() == 1 and publication.due_soon_count() == 1
        before = len(mail.logged().sent)
        summary = publication.deadline_job()
    assert summary == "overdue 1, due soon 1, mailed 1"
    [digest] = list(mail.logged().sent)[before:]
    assert digest.to == "chief@example.cn" and "逾期 1 项" in digest.subject
    assert late.merchant.uscc in digest.body and soon.merchant.uscc in digest.body
    assert "已逾期 4 个工作日" in digest.body and "剩余 1 个工作日" in digest.body


def test_nothing_due_sends_nothing() -> None:
    completed()
    with clock.frozen(NOW):
        before = len(mail.logged().sent)
        assert publication.deadline_job() == "nothing to do"
    assert len(mail.logged().sent) == before


def test_the_dashboard_raises_an_alarm_for_overdue_results(client: FlaskClient) -> None:
    UserFactory(username="boss")
    client.post("/login", data={"username": "boss", "password": PASSWORD})
    with clock.frozen(NOW):
        quiet = client.get("/admin/").get_data(as_text=True)
        completed(at=datetime(2026, 10, 20, 2, tzinfo=UTC))
        loud = client.get("/admin/").get_data(as_text=True)
    assert "公示逾期告警" not in quiet and "公示逾期告警" in loud
    assert "1 条检查结果已超过公示期限仍未公示" in loud


def test_a_renamed_merchants_results_are_republished() -> None:
    task = completed()
    publication.publish(task, UserFactory())
    assert publication.republish_for_merchant(task.merchant_id) == 0  # nothing changed
    task.merchant.name = "新名称商行"
    assert projected(result_records.RESULT_TYPE)[str(task.id)] != newest_data(result_records.RESULT_TYPE, str(task.id))
    assert publication.republish_for_merchant(task.merchant_id) == 1
    assert newest_data(result_records.RESULT_TYPE, str(task.id))["merchant_name"] == "新名称商行"
    assert projected(result_records.RESULT_TYPE)[str(task.id)] == newest_data(result_records.RESULT_TYPE, str(task.id))
