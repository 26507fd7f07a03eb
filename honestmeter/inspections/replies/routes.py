"""Right of reply: the merchant replies to its published result, a regulator vets it, the public sees it beside it.

Merchant pages take the merchant from the signed-in account, never from the URL: another merchant's result is
answered exactly like one that does not exist (404).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from honestmeter import labels
from honestmeter.errors import DomainError, NotFound
from honestmeter.inspections import codes as results
from honestmeter.inspections.models import ReplyStatus, ResultReply, Task
from honestmeter.inspections.replies import services as replies
from honestmeter.inspections.replies.forms import ApproveReplyForm, RejectReplyForm, ReplyForm
from honestmeter.inspections.results import followup, publication
from honestmeter.inspections.results import records as result_records
from honestmeter.security import admin_required, merchant_required
from honestmeter.web import page_arg, paginate, show_error

bp = Blueprint("replies", __name__)


def _labels() -> dict[str, Any]:
    return {
        "status_labels": labels.REPLY_STATUS,
        "labels": results.RESULT_CODES,
        "kinds": result_records.KIND_LABELS,
    }


# ---------------------------------------------------------------- the merchant's results, with its replies


@bp.route("/portal/results")
@merchant_required
def my_results() -> Any:
    merchant_id = current_user.merchant_id
    published = publication.published_for_merchant(merchant_id)
    return render_template(
        "inspections/results/mine.html",
        results=published,
        replies=replies.latest_for(r.task.id for r in published),
        reply_labels=labels.REPLY_STATUS,
        orders=followup.orders_for_merchant(merchant_id),
        labels=results.RESULT_CODES,
        kinds=result_records.KIND_LABELS,
    )


# ---------------------------------------------------------------- merchants


def _own_task(task_id: int) -> Task:
    try:
        return replies.own_published_task(task_id, current_user.merchant_id)
    except NotFound:
        abort(404)


@bp.route("/portal/results/<int:task_id>/reply", methods=["GET", "POST"])
@merchant_required
def my_reply(task_id: int) -> Any:
    task = _own_task(task_id)
    form = ReplyForm()
    if form.validate_on_submit():
        try:
            replies.submit(task.id, current_user, form.body.data or "")
        except DomainError as err:
            show_error(form, err)
        else:
            flash(_("已提交回复/说明，监管部门审核通过后将在公示结果旁公开"), "success")
            return redirect(url_for("replies.my_reply", task_id=task.id))
    found = replies.history(task.id)
    approved = next((r for r in found if r.status == ReplyStatus.APPROVED), None)
    return render_template(
        "inspections/replies/mine.html",
        task=task,
        form=form,
        history=found,
        approved=approved,
        pending=next((r for r in found if r.status == ReplyStatus.PENDING), None),
        leaf=replies.leaf_hashes([task.id]).get(task.id) if approved else None,
        **_labels(),
    ), (422 if request.method == "POST" else 200)


# ---------------------------------------------------------------- regulators


def _reply(reply_id: int) -> ResultReply:
    try:
        return replies.get_reply(reply_id)
    except NotFound:
        abort(404)


@bp.route("/admin/replies")
@admin_required
def queue() -> Any:
    status = request.args.get("status", "")
    page = paginate(replies.queue_stmt(status), page_arg(), per_page=50)
    return render_template(
        "inspections/replies/queue.html", page=page, status=status, pending=replies.pending_count(), **_labels()
    )


def _review(
    reply: ResultReply, *, approve_form: ApproveReplyForm | None = None, reject_form: RejectReplyForm | None = None
) -> Any:
    return render_template(
        "inspections/replies/review.html",
        reply=reply,
        task=reply.task,
        history=[r for r in replies.history(reply.task_id) if r.id != reply.id],
        shown=replies.approved_for([reply.task_id]).get(reply.task_id),
        approve_form=approve_form or ApproveReplyForm(),
        reject_form=reject_form or RejectReplyForm(),
        **_labels(),
    )


@bp.route("/admin/replies/<int:reply_id>")
@admin_required
def review(reply_id: int) -> Any:
    return _review(_reply(reply_id))


@bp.route("/admin/replies/<int:reply_id>/approve", methods=["POST"])
@admin_required
def approve(reply_id: int) -> Any:
    reply = _reply(reply_id)
    form = ApproveReplyForm()
    if form.validate_on_submit():
        try:
            replies.approve(reply, current_user, form.note.data or "")
        except DomainError as err:
            show_error(form, err)
        else:
            flash(_("已同意公开该回复，并已记入可信账本"), "success")
            return redirect(url_for("replies.review", reply_id=reply.id))
    return _review(reply, approve_form=form), 422


@bp.route("/admin/replies/<int:reply_id>/reject", methods=["POST"])
@admin_required
def reject(reply_id: int) -> Any:
    reply = _reply(reply_id)
    form = RejectReplyForm()
    if form.validate_on_submit():
        try:
            replies.reject(reply, current_user, form.note.data or "")
        except DomainError as err:
            show_error(form, err)
        else:
            flash(_("已决定不予公开，理由已告知经营者"), "success")
            return redirect(url_for("replies.review", reply_id=reply.id))
    return _review(reply, reject_form=form), 422
