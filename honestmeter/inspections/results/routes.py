"""Review and publication of results, follow-up (rectification orders, 09). Their PDFs are served by notices.

Abnormal-list proposals from 10 results are decided in honestmeter/lists/routes.py."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from honestmeter.errors import DomainError, NotFound
from honestmeter.extensions import db
from honestmeter.inspections import codes as results
from honestmeter.inspections.models import FollowUp, Plan, RectificationOrder, Task, TaskStatus
from honestmeter.inspections.results import followup, publication
from honestmeter.inspections.results import records as result_records
from honestmeter.inspections.results.forms import CloseFollowUpForm, OrderForm, PublishForm
from honestmeter.lists.models import ListEntry
from honestmeter.security import admin_required
from honestmeter.web import page_arg, paginate, show_error

bp = Blueprint("results", __name__)
TABS = ("pending", "published", "overdue")


def _task(task_id: int) -> Task:
    try:
        return publication.get_task(task_id)
    except NotFound:
        abort(404)


def _order(order_id: int) -> RectificationOrder:
    try:
        return followup.get_order(order_id)
    except NotFound:
        abort(404)


# ---------------------------------------------------------------- regulator: review and publish


@bp.route("/admin/results")
@admin_required
def index() -> Any:
    tab = request.args.get("tab", "pending")
    if tab not in TABS:
        tab = "pending"
    plan_id = request.args.get("plan", type=int)
    stmt = {
        "pending": publication.pending_stmt,
        "published": publication.published_stmt,
        "overdue": publication.overdue_stmt,
    }[tab](plan_id)
    page = paginate(stmt, page_arg(), per_page=50)
    plans = db.session.execute(
        sa.select(Plan.id, Plan.name).where(Plan.id.in_(sa.select(Task.plan_id))).order_by(Plan.year.desc(), Plan.batch)
    ).all()
    return render_template(
        "inspections/results/index.html",
        tab=tab,
        page=page,
        plan_id=plan_id,
        plans=plans,
        status={t.id: publication.deadline_status(t) for t in page.items},
        left={t.id: publication.working_days_left(t) for t in page.items},
        counts={"overdue": publication.overdue_count(), "due_soon": publication.due_soon_count()},
        labels=results.RESULT_CODES,
        kinds=result_records.KIND_LABELS,
        form=PublishForm(),
    )


@bp.route("/admin/results/publish", methods=["POST"])
@admin_required
def publish_selected() -> Any:
    form = PublishForm()
    ids = [int(v) for v in request.form.getlist("task_ids") if v.isdigit()]
    if form.validate_on_submit():
        try:
            done = publication.publish_many(ids, current_user)
        except DomainError as err:
            show_error(None, err)
        else:
            flash(_("已公示 %(n)s 条检查结果", n=len(done)), "success")
    return redirect(url_for("results.index", plan=request.form.get("plan") or None))


def _review(task: Task, *, order_form: OrderForm | None = None, close_form: CloseFollowUpForm | None = None) -> Any:
    finding = task.finding
    codes = results.validate_codes(finding.result_codes) if finding and finding.result_codes else ()
    names = publication.item_names(task.item_codes)
    order_form = order_form or OrderForm()
    return render_template(
        "inspections/results/review.html",
        task=task,
        finding=finding,
        codes=codes,
        labels=results.RESULT_CODES,
        kinds=result_records.KIND_LABELS,
        item_names=names,
        deadline=publication.deadline_of(task),
        status=publication.deadline_status(task),
        left=publication.working_days_left(task) if task.status == TaskStatus.COMPLETED else None,
        can_publish=task.status == TaskStatus.COMPLETED and finding is not None,
        can_order=task.status in (TaskStatus.COMPLETED, TaskStatus.PUBLISHED)
        and bool(codes)
        and results.problem_found(codes),
        orders=followup.orders_for_task(task.id),
        proposals=db.session.scalars(sa.select(ListEntry).where(ListEntry.source_task_id == task.id)).all(),
        publish_form=PublishForm(),
        order_form=order_form,
        close_form=close_form or CloseFollowUpForm(),
        follow_up_open=task.follow_up == FollowUp.OPEN,
    )


@bp.route("/admin/results/<int:task_id>")
@admin_required
def review(task_id: int) -> Any:
    return _review(_task(task_id))


@bp.route("/admin/results/<int:task_id>/publish", methods=["POST"])
@admin_required
def publish(task_id: int) -> Any:
    task = _task(task_id)
    if PublishForm().validate_on_submit():
        try:
            publication.publish(task, current_user)
        except DomainError as err:
            show_error(None, err)
        else:
            if publication.deadline_status(task) == publication.OVERDUE:
                flash(_("已公示（超过公示期限，已如实记录为逾期公示）"), "error")
            else:
                flash(_("已公示检查结果"), "success")
    return redirect(url_for("results.review", task_id=task.id))


@bp.route("/admin/results/<int:task_id>/order", methods=["POST"])
@admin_required
def issue_order(task_id: int) -> Any:
    task = _task(task_id)
    form = OrderForm()
    if form.validate_on_submit():
        try:
            order = followup.issue_order(
                task,
                current_user,
                problems=form.problems.data or "",
                requirements=form.requirements.data or "",
                basis=form.basis.data or "",
                deadline=form.deadline.data,
            )
        except DomainError as err:
            show_error(form, err)
        else:
            flash(_("已下达责令改正通知书 %(number)s，并已生成复查任务", number=order.number), "success")
            return redirect(url_for("results.review", task_id=task.id))
    return _review(task, order_form=form), 422


@bp.route("/admin/results/<int:task_id>/close", methods=["POST"])
@admin_required
def close_follow_up(task_id: int) -> Any:
    task = _task(task_id)
    form = CloseFollowUpForm()
    if form.validate_on_submit():
        try:
            followup.close_follow_up(task, current_user, form.note.data or "")
        except DomainError as err:
            show_error(form, err)
        else:
            flash(_("已办结后续处理"), "success")
            return redirect(url_for("results.review", task_id=task.id))
    return _review(task, close_form=form), 422


# ---------------------------------------------------------------- public


