"""Plans, check items and recusals (admin); recusal requests. The draw pages are inspections/draws/routes.py."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from honestmeter import chinatime, clock, labels
from honestmeter.errors import DomainError, NotFound
from honestmeter.extensions import db
from honestmeter.inspections.models import CheckForm, Decision, Plan, PlanStatus
from honestmeter.inspections.plans import services as plans
from honestmeter.inspections.plans.forms import (
    ActionForm,
    AdminRecusalForm,
    CheckItemForm,
    DecideRecusalForm,
    InspectorRecusalForm,
    MerchantRecusalForm,
    PlanForm,
)
from honestmeter.merchants.models import Region
from honestmeter.merchants.queries import region_names, sector_choices
from honestmeter.security import admin_required, inspector_required, merchant_required
from honestmeter.settings import settings
from honestmeter.web import choices, page_arg, show_error

bp = Blueprint("plans", __name__)


def _labels() -> dict[str, Any]:
    return {
        "form_labels": labels.CHECK_FORM,
        "stratum_labels": labels.STRATUM,
        "plan_status_labels": labels.PLAN_STATUS,
        "draw_status_labels": labels.DRAW_STATUS,
        "recusal_status_labels": labels.RECUSAL_STATUS,
        "recusal_source_labels": labels.RECUSAL_SOURCE,
    }



# ---------------------------------------------------------------- 随机抽查事项清单


@bp.route("/admin/check-items")
@admin_required
def check_items() -> Any:
    return render_template(
        "inspections/plans/check_items.html", items=plans.check_items(), form=ActionForm(), **_labels()
    )


def _item_facts(form: CheckItemForm) -> plans.CheckItemFacts:
    return plans.CheckItemFacts(
        code=form.code.data or "",
        name=form.name.data or "",
        description=form.description.data or "",
        basis=form.basis.data or "",
        key_item=bool(form.key_item.data),
        form=form.form.data or CheckForm.GENERAL.value,
        sort_order=form.sort_order.data or 0,
    )


@bp.route("/admin/check-items/new", methods=["GET", "POST"])
@admin_required
def new_check_item() -> Any:
    form = CheckItemForm()
    if form.validate_on_submit():
        try:
            item = plans.save_check_item(None, _item_facts(form))
        except DomainError as err:
            show_error(form, err)
        else:
            flash(_("已将 %(name)s 加入随机抽查事项清单", name=item.name), "success")
            return redirect(url_for("plans.check_items"))
    return render_template("inspections/plans/check_item_form.html", form=form, item=None)


@bp.route("/admin/check-items/<int:item_id>", methods=["GET", "POST"])
@admin_required
def edit_check_item(item_id: int) -> Any:
    item = plans.get_check_item(item_id)
    form = CheckItemForm(obj=item if request.method == "GET" else None)
    if request.method == "GET":
        form.form.data = item.form.value
    if form.validate_on_submit():
        try:
            plans.save_check_item(item.id, _item_facts(form))
        except DomainError as err:
            show_error(form, err)
        else:
            flash(_("已保存抽查事项"), "success")
            return redirect(url_for("plans.check_items"))
    return render_template("inspections/plans/check_item_form.html", form=form, item=item)


@bp.route("/admin/check-items/<int:item_id>/<any(activate,deactivate):action>", methods=["POST"])
@admin_required
def toggle_check_item(item_id: int, action: str) -> Any:
    if ActionForm().validate_on_submit():
        plans.set_check_item_active(item_id, active=action == "activate")
    return redirect(url_for("plans.check_items"))


# ---------------------------------------------------------------- plans


def _region_choices() -> list[tuple[str, str]]:
    rows = db.session.execute(db.select(Region.code, Region.name, Region.level).order_by(Region.code))
    return [(code, "\u3000" * (level - 1) + f"{name}（{code}）") for code, name, level in rows]


def _plan_form(plan: Plan | None = None) -> PlanForm:
    form = PlanForm()
    form.region_codes.choices = choices(_region_choices())
    form.sector_codes.choices = choices(sector_choices())
    items = plans.check_items(active_only=True)
    known = {i.code for i in items}
    extra = [c for c in (plan.item_codes if plan else []) if c not in known]  # deactivated since
    form.item_codes.choices = choices([(i.code, f"{i.code} {i.name}") for i in items] + [(c, c) for c in extra])
    if request.method == "GET":
        if plan is None:
            form.authority.data = form.authority.data or settings().AUTHORITY_NAME
            form.year.data = form.year.data or _this_year()
            form.item_codes.data = [i.code for i in items if i.key_item]
        else:
            for name in ("name", "year", "batch", "authority", "per_case", "capacity", "draw_cron", "beacon"):
                form[name].data = getattr(plan, name)
            form.check_by.data = plan.check_by
            form.publish_within_days.data = plan.publish_within_days
            form.region_codes.data = list(plan.region_codes or [])
            form.sector_codes.data = list(plan.sector_codes or [])
            form.item_codes.data = list(plan.item_codes or [])
            for s in plans.STRATA:
                form[f"ratio_{s.lower()}"].data = (plan.ratios or {}).get(s, plans.DEFAULT_RATIOS[s])
            if plan.draw_at is not None:
                form.draw_at.data = plan.draw_at.astimezone(chinatime.CHINA).replace(tzinfo=None)
    return form


def _this_year() -> int:
    return clock.today().year


def _plan_facts(form: PlanForm) -> plans.PlanFacts:
    draw_at: datetime | None = None
    if form.draw_at.data is not None:  # typed in China Standard Time
        draw_at = form.draw_at.data.replace(tzinfo=chinatime.CHINA)
    return plans.PlanFacts(
        name=form.name.data or "",
        year=form.year.data or 0,
        batch=form.batch.data or 0,
        authority=form.authority.data or "",
        region_codes=form.region_codes.data or [],
        sector_codes=form.sector_codes.data or [],
        item_codes=form.item_codes.data or [],
        ratios={s: form[f"ratio_{s.lower()}"].data or "" for s in plans.STRATA},
        per_case=form.per_case.data or 0,
        capacity=form.capacity.data or 0,
        draw_at=draw_at,
        draw_cron=form.draw_cron.data or None,
        beacon=form.beacon.data or None,
        check_by=form.check_by.data,
        publish_within_days=form.publish_within_days.data or 0,
    )


@bp.route("/admin/plans")
@admin_required
def plan_list() -> Any:
    status = request.args.get("status", "")
    return render_template(
        "inspections/plans/list.html", page=plans.plans_page(page_arg(), status), status=status, **_labels()
    )


@bp.route("/admin/plans/new", methods=["GET", "POST"])
@admin_required
def new_plan() -> Any:
    form = _plan_form()
    if form.validate_on_submit():
        try:
            plan = plans.create_plan(_plan_facts(form), by=current_user)
        except DomainError as err:
            show_error(form, err)
        else:
            flash(_("已创建抽查计划草稿"), "success")
            return redirect(url_for("plans.plan_detail", plan_id=plan.id))
    return render_template("inspections/plans/form.html", form=form, plan=None)


@bp.route("/admin/plans/<int:plan_id>/edit", methods=["GET", "POST"])
@admin_required
def edit_plan(plan_id: int) -> Any:
    plan = plans.get_plan(plan_id)
    if plan.status != PlanStatus.DRAFT:
        flash(_("只有草稿状态的计划可以修改"), "error")
        return redirect(url_for("plans.plan_detail", plan_id=plan.id))
    form = _plan_form(plan)
    if form.validate_on_submit():
        try:
            plans.update_plan(plan.id, _plan_facts(form))
        except DomainError as err:
            show_error(form, err)
        else:
            flash(_("已保存抽查计划"), "success")
            return redirect(url_for("plans.plan_detail", plan_id=plan.id))
    return render_template("inspections/plans/form.html", form=form, plan=plan)


@bp.route("/admin/plans/<int:plan_id>")
@admin_required
def plan_detail(plan_id: int) -> Any:
    plan = plans.get_plan(plan_id)
    items = {i.code: i for i in plans.check_items()}
    return render_template(
        "inspections/plans/detail.html",
        plan=plan,
        plan_draws=plans.draws_of_plan(plan.id),
        preview=plans.pool_preview(plan),
        problems=plans.readiness_problems(plan),
        items=items,
        regions=region_names(plan.region_codes or []),
        sectors=dict(sector_choices()),
        form=ActionForm(),
        notice_endpoint=plans.notice_endpoint(),
        **_labels(),
    )


def _plan_action(plan_id: int, action: Any, done: str) -> Any:
    if ActionForm().validate_on_submit():
        try:
            action(plan_id)
        except DomainError as err:
            show_error(None, err)
        else:
            flash(done, "success")
    return redirect(url_for("plans.plan_detail", plan_id=plan_id))


@bp.route("/admin/plans/<int:plan_id>/schedule", methods=["POST"])
@admin_required
def schedule_plan(plan_id: int) -> Any:
    return _plan_action(plan_id, plans.schedule_plan, _("计划已排期，将按设定时间自动摇号"))


@bp.route("/admin/plans/<int:plan_id>/unschedule", methods=["POST"])
@admin_required
def unschedule_plan(plan_id: int) -> Any:
    return _plan_action(plan_id, plans.unschedule_plan, _("计划已退回草稿"))


@bp.route("/admin/plans/<int:plan_id>/close", methods=["POST"])
@admin_required
def close_plan(plan_id: int) -> Any:
    return _plan_action(plan_id, plans.close_plan, _("计划已结束"))


# ---------------------------------------------------------------- recusals


@bp.route("/inspector/recusals", methods=["GET", "POST"])
@inspector_required
def inspector_recusals() -> Any:
    form = InspectorRecusalForm()
    if form.validate_on_submit():
        try:
            plans.declare_recusal(current_user, uscc=form.uscc.data or "", reason=form.reason.data or "")
        except DomainError as err:
            show_error(form, err)
        else:
            flash(_("已提交回避申报，待监管部门审核"), "success")
            return redirect(url_for("plans.inspector_recusals"))
    try:
        mine = plans.recusals_of_inspector(current_user)
    except DomainError:
        mine = []
    return render_template("inspections/recusals/inspector.html", form=form, recusals=mine, **_labels())


@bp.route("/portal/recusals", methods=["GET", "POST"])
@merchant_required
def merchant_recusals() -> Any:
    form = MerchantRecusalForm()
    if form.validate_on_submit():
        try:
            plans.request_recusal(
                current_user, badge_number=form.badge_number.data or "", reason=form.reason.data or ""
            )
        except DomainError as err:
            show_error(form, err)
        else:
            flash(_("已提交回避申请，待监管部门审核"), "success")
            return redirect(url_for("plans.merchant_recusals"))
    return render_template(
        "inspections/recusals/merchant.html",
        form=form,
        recusals=plans.recusals_of_merchant(current_user.merchant_id),
        **_labels(),
    )


@bp.route("/admin/recusals", methods=["GET", "POST"])
@admin_required
def admin_recusals() -> Any:
    form = AdminRecusalForm()
    if form.validate_on_submit():
        try:
            plans.enter_recusal(
                current_user,
                uscc=form.uscc.data or "",
                badge_number=form.badge_number.data or "",
                reason=form.reason.data or "",
            )
        except DomainError as err:
            show_error(form, err)
        else:
            flash(_("已录入回避，立即生效"), "success")
            return redirect(url_for("plans.admin_recusals"))
    return render_template(
        "inspections/recusals/admin.html",
        form=form,
        page=plans.recusals_page(page_arg()),
        decide_form=DecideRecusalForm(),
        pending=Decision.PENDING,
        **_labels(),
    )


@bp.route("/admin/recusals/<int:recusal_id>/<any(approve,reject):decision>", methods=["POST"])
@admin_required
def decide_recusal(recusal_id: int, decision: str) -> Any:
    form = DecideRecusalForm()
    if form.validate_on_submit():
        try:
            plans.decide_recusal(recusal_id, approve=decision == "approve", by=current_user, note=form.note.data or "")
        except NotFound:
            raise
        except DomainError as err:
            show_error(None, err)
        else:
            flash(_("已批准回避") if decision == "approve" else _("已驳回回避申请"), "success")
    return redirect(url_for("plans.admin_recusals"))
