"""Every PDF download: the public 承诺书, the premises sticker, spot-check notices (告知书, 责令改正通知书,
the plan's 抽查结果公示) and 示范单位 certificates. Notices sit above the domains they print, so their routes live
here, each checking access through the domain's own look-ups (a merchant reads only its own documents)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, abort, request
from flask_login import current_user

from honestmeter.errors import NotFound
from honestmeter.extensions import db
from honestmeter.inspections.models import Plan, RectificationOrder, Task
from honestmeter.inspections.replies import services as replies
from honestmeter.inspections.results import followup, publication
from honestmeter.lists import queries as list_queries
from honestmeter.lists.models import ListEntry
from honestmeter.merchants.queries import find_by_uscc
from honestmeter.notices import services
from honestmeter.notices.models import Notice
from honestmeter.security import admin_required, merchant_required, public

bp = Blueprint("notices", __name__)


def send_pdf(notice: Notice, filename: str) -> Any:
    """The stored PDF of an issued notice, with its SHA-256 as ETag."""
    # Notices are small; reading them whole keeps no file handle open past the response.
    response = Response(services.path_of(notice).read_bytes(), mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    response.headers["X-Content-SHA256"] = notice.sha256.hex()
    response.set_etag(notice.sha256.hex())
    response.cache_control.max_age = 300
    return response.make_conditional(request)


@bp.route("/merchants/<uscc>/commitment.pdf")
@public
def commitment_pdf(uscc: str) -> Any:
    merchant = find_by_uscc(uscc)
    if merchant is None:
        abort(404)
    return send_pdf(services.commitment_notice(merchant, request.url_root), f"commitment-{merchant.uscc}.pdf")


@bp.route("/portal/sticker.pdf")
@merchant_required
def sticker_pdf() -> Any:
    merchant = current_user.merchant
    return send_pdf(services.sticker_notice(merchant, request.url_root), f"sticker-{merchant.uscc}.pdf")


def _issued(issue: Callable[[], Notice], filename: str) -> Any:
    """Issue (or fetch) a notice and send it; a fact that cannot be printed yet (or is not yours) is a 404."""
    try:
        notice = issue()
    except NotFound:
        abort(404)
    return send_pdf(notice, filename)


# ---------------------------------------------------------------- spot checks (双随机、一公开)


def _send_result(task: Task) -> Any:
    return _issued(
        lambda: services.inspection_result_notice(task, request.url_root), f"result-{task.merchant.uscc}-{task.id}.pdf"
    )


def _send_order(order: RectificationOrder) -> Any:
    return _issued(lambda: services.rectification_notice(order, request.url_root), f"order-{order.id}.pdf")


def _found(find: Callable[[], Any]) -> Any:
    try:
        return find()
    except NotFound:
        abort(404)


@bp.route("/admin/results/<int:task_id>.pdf")
@admin_required
def result_pdf(task_id: int) -> Any:
    return _send_result(_found(lambda: publication.get_task(task_id)))


@bp.route("/admin/orders/<int:order_id>.pdf")
@admin_required
def order_pdf(order_id: int) -> Any:
    return _send_order(_found(lambda: followup.get_order(order_id)))


@bp.route("/portal/results/<int:task_id>.pdf")
@merchant_required
def my_result_pdf(task_id: int) -> Any:
    return _send_result(_found(lambda: replies.own_published_task(task_id, current_user.merchant_id)))


@bp.route("/portal/orders/<int:order_id>.pdf")
@merchant_required
def my_order_pdf(order_id: int) -> Any:
    order = db.session.get(RectificationOrder, order_id)
    if order is None or order.merchant_id != current_user.merchant_id:
        abort(404)
    return _send_order(order)


@bp.route("/plans/<int:plan_id>/results.pdf")
@public
def plan_notice_pdf(plan_id: int) -> Any:
    plan = db.session.get(Plan, plan_id)
    if plan is None:
        abort(404)
    return _issued(lambda: services.plan_results_notice(plan, request.url_root), f"plan-{plan.id}-results.pdf")


# ---------------------------------------------------------------- 诚信计量示范单位 certificates


def _certificate(entry: ListEntry) -> Any:
    return _issued(
        lambda: services.model_unit_notice(entry, request.url_root), f"model-unit-{entry.merchant.uscc}-{entry.id}.pdf"
    )


@bp.route("/admin/lists/entries/<int:entry_id>/certificate.pdf")
@admin_required
def admin_certificate(entry_id: int) -> Any:
    return _certificate(_found(lambda: list_queries.get_entry(entry_id)))


@bp.route("/portal/model-unit/<int:entry_id>/certificate.pdf")
@merchant_required
def my_certificate(entry_id: int) -> Any:
    return _certificate(_found(lambda: list_queries.own_entry(current_user.merchant_id, entry_id)))


@bp.route("/merchants/<uscc>/model-unit.pdf")
@public
def public_certificate(uscc: str) -> Any:
    """The certificate of the merchant's title valid today; 404 when it holds none."""
    merchant = find_by_uscc(uscc)
    current = None if merchant is None else list_queries.current_model_unit(merchant.id)
    if current is None:
        abort(404)
    return _certificate(current)
