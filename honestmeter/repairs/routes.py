"""信用修复: merchants apply, regulators decide.

Merchant pages take the merchant from the signed-in account, never from the URL: another merchant's application
or evidence is answered exactly like one that does not exist (404).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from honestmeter import attachments, clock, labels, scans
from honestmeter.errors import DomainError, NotFound
from honestmeter.instruments.forms import SCAN_ACCEPT
from honestmeter.merchants import services as merchant_services
from honestmeter.repairs import services as repairs
from honestmeter.repairs.forms import ApproveForm, RejectForm, RepairForm
from honestmeter.repairs.models import RepairRequest, RepairStatus
from honestmeter.security import admin_required, merchant_required
from honestmeter.settings import settings
from honestmeter.web import page_arg, paginate, show_error

bp = Blueprint("repairs", __name__)


def _labels() -> dict[str, Any]:
    return {"target_labels": labels.REPAIR_TARGET, "status_labels": labels.REPAIR_STATUS}


# ---------------------------------------------------------------- merchants


@bp.route("/portal/repairs")
@merchant_required
def mine() -> Any:
    merchant_id = current_user.merchant_id
    return render_template(
        "ratings/repairs_mine.html",
        items=repairs.items_for(merchant_id),
        applications=repairs.applications_for(merchant_id),
        today=clock.today(),
        **_labels(),
    )


def _target_id(raw: str | None) -> int | None:
    return int(raw) if raw and raw.isdigit() else None


@bp.route("/portal/repairs/new", methods=["GET", "POST"])
@merchant_required
def new() -> Any:
    merchant_id = current_user.merchant_id
    form = RepairForm()
    target = (form.target.data if request.method == "POST" else request.args.get("target")) or ""
    target_id = _target_id(form.target_id.data if request.method == "POST" else request.args.get("target_id"))
    try:
        item = repairs.item_for(merchant_id, target, target_id)
    except NotFound:
        abort(404)
    today = clock.today()
    if not item.eligible(today) or item.pending is not None:
        if item.pending is not None:
            flash(_("该项信用信息已有正在审核的修复申请"), "error")
        else:
            flash(_("尚未到可申请信用修复的时间：自 %(day)s 起可以申请", day=item.eligible_on.isoformat()), "error")
        return redirect(url_for("repairs.mine"))
    form.target.data, form.target_id.data = item.target.value, str(item.target_id)
    if form.validate_on_submit():
        try:
            created = repairs.apply(
                merchant_id=merchant_id,
                by=current_user,
                target=item.target.value,
                target_id=item.target_id,
                statement=form.statement.data or "",
                signer_name=form.signer_name.data or "",
                signer_title=form.signer_title.data or "",
                evidence=attachments.uploads(form.evidence.name),
            )
        except DomainError as err:
            show_error(form, err)
        else:
            flash(_("已提交信用修复申请，请等待审核"), "success")
            return redirect(url_for("repairs.my_request", repair_id=created.id))
    merchant = merchant_services.get_merchant(merchant_id)
    return render_template(
        "ratings/repairs_new.html",
        form=form,
        item=item,
        pledge=repairs.pledge_body(merchant, item),
        accept=SCAN_ACCEPT,
        limit=scans.human_size(attachments.limit()),
        total=scans.human_size(settings().MAX_CONTENT_LENGTH),
        max_files=repairs.MAX_EVIDENCE_FILES,
        **_labels(),
    ), (422 if request.method == "POST" else 200)


def _own(repair_id: int) -> RepairRequest:
    try:
        return repairs.own_request(current_user.merchant_id, repair_id)
    except NotFound:
        abort(404)


@bp.route("/portal/repairs/<int:repair_id>")
@merchant_required
def my_request(repair_id: int) -> Any:
    item = _own(repair_id)
    return render_template(
        "ratings/repairs_detail.html",
        item=item,
        ref=repairs.target_ref(item.target, item.target_id),
        evidence_endpoint="repairs.my_evidence",
        admin=False,
        **_labels(),
    )


@bp.route("/portal/repairs/<int:repair_id>/evidence/<sha256>")
@merchant_required
def my_evidence(repair_id: int, sha256: str) -> Any:
    return attachments.download(_own(repair_id).evidence, sha256)


# ---------------------------------------------------------------- regulators


def _request(repair_id: int) -> RepairRequest:
    try:
        return repairs.get_request(repair_id)
    except NotFound:
        abort(404)


@bp.route("/admin/repairs")
@admin_required
def queue() -> Any:
    status = request.args.get("status", "")
    status = status if status in {s.value for s in RepairStatus} else ""
    page = paginate(repairs.queue_stmt(status), page_arg(), per_page=50)
    return render_template(
        "ratings/repairs_queue.html", page=page, status=status, pending=repairs.pending_count(), **_labels()
    )


def _review(
    item: RepairRequest, *, approve_form: ApproveForm | None = None, reject_form: RejectForm | None = None
) -> Any:
    return render_template(
        "ratings/repairs_detail.html",
        item=item,
        ref=repairs.target_ref(item.target, item.target_id),
        target=repairs.target_object(item),
        checks=repairs.checks(item) if item.status == RepairStatus.PENDING else [],
        evidence_endpoint="repairs.admin_evidence",
        admin=True,
        approve_form=approve_form or ApproveForm(),
        reject_form=reject_form or RejectForm(),
        **_labels(),
    )


@bp.route("/admin/repairs/<int:repair_id>")
@admin_required
def review(repair_id: int) -> Any:
    return _review(_request(repair_id))


@bp.route("/admin/repairs/<int:repair_id>/approve", methods=["POST"])
@admin_required
def approve(repair_id: int) -> Any:
    item = _request(repair_id)
    form = ApproveForm()
    if form.validate_on_submit():
        try:
            repairs.approve(item.id, current_user, form.note.data or "")
        except DomainError as err:
            show_error(None, err)
        else:
            flash(_("已同意信用修复，相关信用信息自今日起不再计入等级"), "success")
    return redirect(url_for("repairs.review", repair_id=item.id))


@bp.route("/admin/repairs/<int:repair_id>/reject", methods=["POST"])
@admin_required
def reject(repair_id: int) -> Any:
    item = _request(repair_id)
    form = RejectForm()
    if form.validate_on_submit():
        try:
            repairs.reject(item.id, current_user, form.note.data or "")
        except DomainError as err:
            show_error(form, err)
        else:
            flash(_("已作出不予修复决定"), "success")
            return redirect(url_for("repairs.review", repair_id=item.id))
    return _review(item, reject_form=form), 422


@bp.route("/admin/repairs/<int:repair_id>/evidence/<sha256>")
@admin_required
def admin_evidence(repair_id: int, sha256: str) -> Any:
    return attachments.download(_request(repair_id).evidence, sha256)
