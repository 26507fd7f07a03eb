"""The merchant's commitment page and the regulator's texts and commitments pages."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from honestmeter.commitments import defaults, services
from honestmeter.commitments.forms import RevokeForm, SignForm, TemplateForm
from honestmeter.errors import DomainError
from honestmeter.merchants.queries import sector_choices
from honestmeter.security import admin_required, merchant_required
from honestmeter.web import choices, show_error

bp = Blueprint("commitments", __name__)


def _confirmed() -> frozenset[int]:
    return frozenset(int(v) for v in request.form.getlist("confirmed") if v.isdigit())


@bp.route("/portal/commitment", methods=["GET", "POST"])
@merchant_required
def mine() -> Any:
    merchant = current_user.merchant
    template = services.current_template(merchant.sector_code)
    current = services.current_commitment(merchant.id)
    form = SignForm()
    if template is not None and not form.template_id.data:
        form.template_id.data = str(template.id)  # the version read is the version signed
    if request.method == "GET":
        form.signer_name.data = form.signer_name.data or merchant.legal_representative
    if form.validate_on_submit():
        signature = services.Signature(
            signer_name=form.signer_name.data or "",
            signer_title=form.signer_title.data or "",
            password=form.password.data or "",
            confirmed_points=_confirmed(),
            template_id=int(form.template_id.data or 0),
            client_address=request.remote_addr,
        )
        try:
            signed = services.sign_commitment(current_user, signature)
        except DomainError as err:
            show_error(form, err)
        else:
            flash(_("已签署诚信计量承诺书，有效期至 %(until)s", until=signed.valid_until), "success")
            return redirect(url_for("commitments.mine"))
    return render_template(
        "commitments/mine.html",
        merchant=merchant,
        template=template,
        current=current,
        history=services.history(merchant.id),
        form=form,
        revoke_form=RevokeForm(),
        can_sign=services.can_sign(template, current),
        renewal_opens=services.renewal_opens(current) if current else None,
        confirmed=_confirmed(),
    )


@bp.route("/portal/commitment/<int:commitment_id>/revoke", methods=["POST"])
@merchant_required
def revoke_mine(commitment_id: int) -> Any:
    _revoke(commitment_id)
    return redirect(url_for("commitments.mine"))


def _revoke(commitment_id: int) -> None:
    """Revoke as the signed-in user (the service checks a merchant revokes only its own)."""
    form = RevokeForm()
    if not form.validate_on_submit():
        flash(_("请填写撤销理由"), "error")
        return
    try:
        services.revoke_commitment(commitment_id, by=current_user, reason=form.reason.data or "")
        flash(_("已撤销承诺书"), "success")
    except DomainError as err:
        if err.status_code == 404:
            raise  # another merchant's commitment is answered like a missing one, as every merchant page does
        show_error(None, err)


@bp.route("/admin/commitment-templates")
@admin_required
def templates() -> Any:
    return render_template("commitments/templates.html", templates=services.templates_by_sector())


@bp.route("/admin/commitment-templates/new", methods=["GET", "POST"])
@admin_required
def new_template() -> Any:
    form = TemplateForm()
    form.sector_code.choices = choices(sector_choices())
    if request.method == "GET" and request.args.get("sector"):
        current = services.current_template(request.args["sector"])
        form.sector_code.data = request.args["sector"]
        if current is not None:
            form.title.data, form.preamble.data = current.title, current.preamble
            form.points.data = "\n".join(current.points)
        else:
            form.preamble.data = defaults.PREAMBLE
            form.points.data = "\n".join(defaults.points_for(request.args["sector"]))
    if form.validate_on_submit():
        try:
            template = services.publish_template(
                sector_code=form.sector_code.data or "",
                title=form.title.data or "",
                preamble=form.preamble.data or "",
                points=(form.points.data or "").splitlines(),
                by=current_user,
            )
        except DomainError as err:
            show_error(form, err)
        else:
            flash(
                _(
                    "已发布 %(sector)s 第 %(version)s 版承诺书文本",
                    sector=template.sector.name,
                    version=template.version,
                ),
                "success",
            )
            return redirect(url_for("commitments.templates"))
    return render_template("commitments/template_form.html", form=form)


@bp.route("/admin/commitments/<int:commitment_id>/revoke", methods=["POST"])
@admin_required
def revoke(commitment_id: int) -> Any:
    commitment = services.get_commitment(commitment_id)
    _revoke(commitment_id)
    return redirect(url_for("public.merchant", uscc=commitment.merchant.uscc))
