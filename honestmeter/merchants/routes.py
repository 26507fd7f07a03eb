"""Merchant self-registration, the merchant portal and the regulator's directory pages."""

from __future__ import annotations

from typing import Any, TypeVar

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from honestmeter.errors import DomainError
from honestmeter.merchants import queries, services
from honestmeter.merchants.forms import (
    ChangeDecisionForm,
    ChangeRequestForm,
    ContactForm,
    MerchantAdminForm,
    MerchantFactsForm,
    RegisterForm,
)
from honestmeter.merchants.models import MerchantStatus
from honestmeter.security import admin_required, merchant_required, public
from honestmeter.settings import settings
from honestmeter.web import choices, grouped_choices, page_arg, paginate, show_error

bp = Blueprint("merchants", __name__)


FormT = TypeVar("FormT", bound=MerchantFactsForm)


def _with_choices(form: FormT) -> FormT:
    form.sector_code.choices = choices(queries.sector_choices())
    form.region_code.choices = grouped_choices(queries.region_choices())
    return form


def _facts(form: MerchantFactsForm) -> services.MerchantFacts:
    return services.MerchantFacts(
        uscc=form.uscc.data or "",
        name=form.name.data or "",
        sector_code=form.sector_code.data or "",
        region_code=form.region_code.data or "",
        address=form.address.data or "",
        legal_representative=form.legal_representative.data or "",
        contact_name=form.contact_name.data,
        contact_phone=form.contact_phone.data,
        contact_email=form.contact_email.data,
    )


@bp.route("/register", methods=["GET", "POST"])
@public
def register() -> Any:
    form = _with_choices(RegisterForm())
    if form.validate_on_submit():
        try:
            user = services.register_account(
                _facts(form),
                username=form.username.data or "",
                password=form.password.data or "",
                display_name=form.display_name.data or "",
                auto_approve=settings().AUTO_APPROVE_MERCHANTS,
            )
        except DomainError as err:
            show_error(form, err)
        else:
            return render_template("merchants/registered.html", user=user)
    return render_template("merchants/register.html", form=form)


@bp.route("/admin/merchants")
@admin_required
def directory() -> Any:
    args = request.args
    stmt = queries.search_stmt(args.get("q", ""), args.get("sector", ""), args.get("region", ""))
    page = paginate(stmt, page_arg())
    return render_template("merchants/directory.html", page=page, sectors=queries.sector_choices(), args=args)


@bp.route("/admin/merchants/new", methods=["GET", "POST"])
@admin_required
def new_merchant() -> Any:
    form = _with_choices(MerchantAdminForm())
    if form.validate_on_submit():
        try:
            merchant = services.register_merchant(_facts(form), override_reason=form.override_reason.data)
        except DomainError as err:
            show_error(form, err)
        else:
            flash(_("已将 %(name)s 录入检查对象名录库", name=merchant.name), "success")
            return redirect(url_for("merchants.directory"))
    return render_template("merchants/edit.html", form=form, merchant=None)


@bp.route("/admin/merchants/<int:merchant_id>/edit", methods=["GET", "POST"])
@admin_required
def edit_merchant(merchant_id: int) -> Any:
    merchant = services.get_merchant(merchant_id)
    form = _with_choices(MerchantAdminForm(obj=merchant))
    if request.method == "GET":
        form.override_reason.data = merchant.uscc_override_reason
    if form.validate_on_submit():
        try:
            services.update_merchant(
                merchant_id,
                _facts(form),
                status=MerchantStatus(form.status.data),
                override_reason=form.override_reason.data,
            )
        except DomainError as err:
            show_error(form, err)
        else:
            flash(_("已保存"), "success")
            return redirect(url_for("merchants.directory"))
    return render_template("merchants/edit.html", form=form, merchant=merchant)


@bp.route("/portal/profile", methods=["GET", "POST"])
@merchant_required
def profile() -> Any:
    merchant = current_user.merchant
    contact = ContactForm(obj=merchant, prefix="contact")
    change = ChangeRequestForm(obj=merchant, prefix="change")
    change.sector_code.choices = choices(queries.sector_choices())
    change.region_code.choices = grouped_choices(queries.region_choices())
    action = request.form.get("action")
    if action == "contact" and contact.validate_on_submit():
        try:
            services.update_contact(
                merchant.id,
                contact_name=contact.contact_name.data,
                contact_phone=contact.contact_phone.data,
                contact_email=contact.contact_email.data,
            )
        except DomainError as err:
            show_error(contact, err)
        else:
            flash(_("联系方式已更新"), "success")
            return redirect(url_for("merchants.profile"))
    if action == "change" and change.validate_on_submit():
        wanted = {f: change[f].data or "" for f in services.REGISTERED_FIELDS}
        try:
            services.request_change(current_user, changes=wanted, reason=change.reason.data or "")
        except DomainError as err:
            show_error(change, err)
        else:
            flash(_("变更申请已提交，监管部门确认后生效"), "success")
            return redirect(url_for("merchants.profile"))
    return render_template(
        "merchants/profile.html",
        merchant=merchant,
        contact=contact,
        change=change,
        pending=services.pending_change(merchant.id),
    )


@bp.route("/admin/change-requests")
@admin_required
def change_requests() -> Any:
    return render_template(
        "merchants/change_requests.html", requests=services.pending_changes(), form=ChangeDecisionForm()
    )


@bp.route("/admin/change-requests/<int:request_id>/<any(approve,reject):decision>", methods=["POST"])
@admin_required
def decide_change(request_id: int, decision: str) -> Any:
    form = ChangeDecisionForm()
    if form.validate_on_submit():
        try:
            services.decide_change(
                request_id, by=current_user, approve=decision == "approve", note=form.note.data or ""
            )
            flash(_("已确认变更") if decision == "approve" else _("已驳回变更申请"), "success")
        except DomainError as err:
            show_error(None, err)
    return redirect(url_for("merchants.change_requests"))
