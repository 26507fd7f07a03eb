"""The inspector's task pages and the regulator's task pages, through the real forms."""

from __future__ import annotations

import io
import re
from datetime import date
from typing import Any

import pytest
from flask.testing import FlaskClient

from honestmeter.extensions import db
from honestmeter.inspections.models import Task, TaskKind, TaskStatus
from tests.conftest import Auth
from tests.factories import InspectorFactory, InstrumentFactory, MerchantFactory, TaskFactory, UserFactory

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"photo" * 20


def text(response: Any) -> str:
    return response.get_data(as_text=True)


def finding_form(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "checked_on": "2026-11-20",
        "items-0-code": "JL-01",
        "items-0-verdict": "pass",
        "items-0-note": "",
        "items-1-code": "JL-04",
        "items-1-verdict": "pass",
        "items-1-note": "承诺书已张贴",
        "result_codes": ["01"],
        "notes": "",
        "save": "保存检查记录",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def task() -> Task:
    merchant = MerchantFactory(name="南山菜市场12号摊")
    InstrumentFactory(merchant=merchant, serial_number="SCALE-001")
    a = InspectorFactory(user__username="insp_a", name="李检")
    b = InspectorFactory(user__username="insp_b", name="赵检")
    return TaskFactory(merchant=merchant, inspectors=[a, b], due_date=date(2026, 12, 31))


def test_inspector_home_lists_only_my_tasks(client: FlaskClient, auth: Auth, task: Task) -> None:
    TaskFactory(merchant=MerchantFactory(name="别人的超市"))
    auth.login("insp_a")
    page = text(client.get("/inspector/"))
    assert "南山菜市场12号摊" in page and "别人的超市" not in page
    assert "定向检查" in page and "赵检" in page and "2026-12-31" in page
    assert client.get("/inspector/", follow_redirects=False).status_code == 200


def test_sign_in_lands_on_the_task_list(client: FlaskClient, auth: Auth, task: Task) -> None:
    assert auth.login("insp_a").headers["Location"] == "/inspector/"


def test_an_unassigned_inspector_gets_404(client: FlaskClient, auth: Auth, task: Task) -> None:
    InspectorFactory(user__username="insp_c")
    auth.login("insp_c")
    assert client.get(f"/inspector/tasks/{task.id}").status_code == 404
    assert client.post(f"/inspector/tasks/{task.id}", data=finding_form()).status_code == 404
    assert client.post(f"/inspector/tasks/{task.id}/confirm", data={"revision": "1"}).status_code == 404
    assert task.finding is None


def test_task_page_shows_merchant_items_and_the_ledger(client: FlaskClient, auth: Auth, task: Task) -> None:
    auth.login("insp_a")
    page = text(client.get(f"/inspector/tasks/{task.id}"))
    assert task.merchant.uscc in page and "SCALE-001" in page
    assert "强检计量器具检定情况" in page and "诚信计量承诺履行" in page
    assert 'name="instruments-0-instrument_id"' in page  # JL-01 is an instruments item: one empty row to start
    assert "01" in page and "未发现问题" in page and "js/tasks.js" in page


def test_add_a_row_without_javascript_keeps_what_was_typed(client: FlaskClient, auth: Auth, task: Task) -> None:
    auth.login("insp_a")
    data = finding_form(
        save=None, add_instrument="增加一台器具", notes="已到现场", **{"instruments-0-description": "台账外台秤"}
    )
    page = text(client.post(f"/inspector/tasks/{task.id}", data=data))
    assert 'name="instruments-1-instrument_id"' in page and "台账外台秤" in page and "已到现场" in page
    db.session.refresh(task)
    assert task.finding is None and task.status == TaskStatus.OPEN


def test_two_inspectors_record_and_confirm(client: FlaskClient, auth: Auth, task: Task) -> None:
    auth.login("insp_a")
    scale = task.merchant.instruments[0]
    data = finding_form(
        **{
            "instruments-0-instrument_id": str(scale.id),
            "instruments-0-serial_found": "yes",
            "instruments-0-verification_valid": "",
            "instruments-0-measured_error": "2",
            "instruments-0-mpe": "5",
            "instruments-0-unit": "g",
        }
    )
    response = client.post(f"/inspector/tasks/{task.id}", data=data)
    assert response.status_code == 302
    db.session.refresh(task)
    assert task.status == TaskStatus.RECORDING and task.finding is not None and task.finding.revision == 1
    [check] = task.finding.instrument_checks
    assert check.instrument_id == scale.id and check.verification_valid and check.passed

    page = text(client.get(f"/inspector/tasks/{task.id}"))
    assert "确认第 1 版检查记录" in page
    client.post(f"/inspector/tasks/{task.id}/confirm", data={"revision": "1"})
    assert "您已确认第 1 版" in text(client.get(f"/inspector/tasks/{task.id}"))
    auth.logout()

    auth.login("insp_b")
    response = client.post(f"/inspector/tasks/{task.id}/confirm", data={"revision": "1"}, follow_redirects=True)
    assert "全部检查人员已确认" in text(response)
    db.session.refresh(task)
    assert task.status == TaskStatus.COMPLETED and task.publish_deadline is not None
    page = text(client.get(f"/inspector/tasks/{task.id}"))
    assert 'name="checked_on"' not in page and "承诺书已张贴" in page  # read-only now
    assert client.post(f"/inspector/tasks/{task.id}", data=finding_form(notes="改")).status_code == 200
    db.session.refresh(task)
    assert task.finding is not None and task.finding.notes == ""


def test_codes_error_is_shown_next_to_the_codes(client: FlaskClient, auth: Auth, task: Task) -> None:
    auth.login("insp_a")
    page = text(client.post(f"/inspector/tasks/{task.id}", data=finding_form(result_codes=["01", "09"])))
    assert "“未发现问题”不能与其他检查结果同时选择" in page
    db.session.refresh(task)
    assert task.finding is None


def test_sample_errors_are_shown_in_their_row(client: FlaskClient, auth: Auth) -> None:
    a = InspectorFactory(user__username="insp_s")
    task = TaskFactory(item_codes=["JL-03"], inspectors=[a, InspectorFactory()])
    auth.login("insp_s")
    data = {
        "checked_on": "2026-11-20",
        "items-0-code": "JL-03",
        "items-0-verdict": "fail",
        "samples-0-product": "大米",
        "samples-0-nominal": "500",
        "samples-0-unit": "g",
        "samples-0-actuals": "498 四百",
        "samples-0-allowed_t1": "0",
        "result_codes": ["09"],
        "save": "1",
    }
    page = text(client.post(f"/inspector/tasks/{task.id}", data=data))
    assert "“四百”不是数值" in page
    data["samples-0-actuals"] = "498 470 501"
    assert client.post(f"/inspector/tasks/{task.id}", data=data).status_code == 302
    db.session.refresh(task)
    assert task.finding is not None and not task.finding.samples[0].passed
    page = text(client.get(f"/inspector/tasks/{task.id}"))
    assert 'name="samples-0-nominal" step="any" type="number" value="500"' in page and "498 470 501" in page
    auth.logout()
    UserFactory(username="chief")
    auth.login("chief")
    detail = text(client.get(f"/admin/tasks/{task.id}"))
    assert "500 g" in detail and "T1" in detail and "低于标注净含量" in detail


def test_photo_upload_and_serving(client: FlaskClient, auth: Auth, task: Task) -> None:
    auth.login("insp_a")
    client.post(f"/inspector/tasks/{task.id}", data=finding_form())
    response = client.post(
        f"/inspector/tasks/{task.id}/photos",
        data={"photo": (io.BytesIO(JPEG), "scale.png"), "caption": "台秤"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    db.session.refresh(task)
    assert task.finding is not None and task.finding.revision == 2
    [photo] = task.finding.photos
    with client.get(f"/inspector/tasks/{task.id}/photos/{photo.id}") as served:
        assert served.status_code == 200 and served.data == JPEG
        assert served.mimetype == "image/jpeg"  # sniffed, whatever the file name said
        assert served.headers["X-Content-Type-Options"] == "nosniff"
        assert "no-store" in served.headers["Cache-Control"]

    bad = client.post(
        f"/inspector/tasks/{task.id}/photos",
        data={"photo": (io.BytesIO(b"<html></html>"), "x.jpg")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "只能上传 JPEG、PNG、WebP 或 HEIC 格式的照片" in text(bad)
    auth.logout()

    InspectorFactory(user__username="insp_c")
    auth.login("insp_c")
    assert client.get(f"/inspector/tasks/{task.id}/photos/{photo.id}").status_code == 404
    auth.logout()
    UserFactory(username="chief")
    auth.login("chief")
    with client.get(f"/admin/tasks/{task.id}/photos/{photo.id}") as served:
        assert served.data == JPEG
    assert client.get(f"/admin/tasks/{task.id}/photos/{photo.id + 99}").status_code == 404


def test_confirm_needs_the_csrf_token(client: FlaskClient, auth: Auth, task: Task, csrf: None) -> None:
    login_page = text(client.get("/login"))
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page).group(1)  # type: ignore[union-attr]
    client.post("/login", data={"username": "insp_a", "password": "Passw0rd!", "csrf_token": token})
    page = text(client.get(f"/inspector/tasks/{task.id}"))
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    client.post(f"/inspector/tasks/{task.id}", data={**finding_form(), "csrf_token": token})
    db.session.refresh(task)
    assert task.finding is not None
    client.post(f"/inspector/tasks/{task.id}/confirm", data={"revision": "1"})
    db.session.refresh(task)
    assert task.assignments[0].confirmed_revision is None
    client.post(f"/inspector/tasks/{task.id}/confirm", data={"revision": "1", "csrf_token": token})
    db.session.refresh(task)
    assert task.assignments[0].confirmed_revision == 1


def test_admin_creates_a_directed_task_lists_filters_and_reopens(client: FlaskClient, auth: Auth, task: Task) -> None:
    UserFactory(username="chief")
    merchant = MerchantFactory(name="投诉对象加油站")
    a, b = task.assignments[0].inspector, task.assignments[1].inspector
    auth.login("chief")
    form = text(client.get("/admin/tasks/new"))
    assert "李检" in form and "JL-03" in form
    response = client.post(
        "/admin/tasks/new",
        data={
            "kind": "complaint",
            "uscc": merchant.uscc,
            "inspector_ids": [str(a.id)],
            "item_codes": ["JL-01"],
            "reason": "群众投诉加油机计量不准",
        },
    )
    assert "每项检查至少指派两名执法人员" in text(response)
    response = client.post(
        "/admin/tasks/new",
        data={
            "kind": "complaint",
            "uscc": merchant.uscc,
            "inspector_ids": [str(a.id), str(b.id)],
            "item_codes": ["JL-01"],
            "reason": "群众投诉加油机计量不准",
        },
    )
    assert response.status_code == 302
    created = db.session.query(Task).filter_by(merchant_id=merchant.id).one()
    assert created.kind == TaskKind.COMPLAINT

    listing = text(client.get("/admin/tasks?kind=complaint"))
    assert "投诉对象加油站" in listing and "南山菜市场12号摊" not in listing
    listing = text(client.get("/admin/tasks?q=南山菜市场"))
    assert "南山菜市场12号摊" in listing and "投诉对象加油站" not in listing

    detail = text(client.get(f"/admin/tasks/{created.id}"))
    assert "群众投诉加油机计量不准" in detail and "投诉举报核查" in detail and "任务创建" in detail
    assert client.get("/admin/tasks/1000000").status_code == 404
    auth.logout()

    # Both inspectors confirm the other task; the regulator sends it back.
    auth.login("insp_a")
    client.post(f"/inspector/tasks/{task.id}", data=finding_form())
    client.post(f"/inspector/tasks/{task.id}/confirm", data={"revision": "1"})
    auth.logout()
    auth.login("insp_b")
    client.post(f"/inspector/tasks/{task.id}/confirm", data={"revision": "1"})
    auth.logout()
    auth.login("chief")
    detail = text(client.get(f"/admin/tasks/{task.id}"))
    assert "退回检查人员重新核对" in detail and "承诺书已张贴" in detail
    client.post(f"/admin/tasks/{task.id}/reopen", data={"reason": "请补充现场照片"})
    db.session.refresh(task)
    assert task.status == TaskStatus.RECORDING and task.finding is not None and "请补充现场照片" in task.finding.notes
