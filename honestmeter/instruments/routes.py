"""Merchant instrument list and the regulator's instrument-type catalogue."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from honestmeter.errors import DomainError
from honestmeter.instruments import queries, services
from honestmeter.instruments.forms import CYCLE_LABELS, MODE_LABELS, InstrumentTypeForm
from honestmeter.instruments.models import CycleKind, VerificationMode
from honestmeter.security import admin_required, merchant_required
from honestmeter.web import show_error

bp = Blueprint("instruments", __name__)


@bp.route("/portal/instruments")
@merchant_required
def my_instruments() -> Any:
    items = queries.for_merchant(current_user.merchant_id)
    return render_template(
        "instruments/mine.html", items=[(i, queries.state_of(i)) for i in items], cycle_labels=CYCLE_LABELS
    )


@bp.route("/admin/instrument-types")
@admin_required
def catalogue() -> Any:
    return render_template(
        "instruments/catalogue.html",
        types=queries.catalogue(),
        cycle_labels=CYCLE_LABELS,
        mode_labels=MODE_LABELS,
    )


def _facts(form: InstrumentTypeForm) -> services.TypeFacts:
    return services.TypeFacts(
        code=form.code.data or "",
        name=form.name.data or "",
        category=form.category.data or "",
        mode=VerificationMode(form.mode.data),
        cycle_kind=CycleKind(form.cycle_kind.data),
        cycle_months=form.cycle_months.data,
        service_life_months=form.service_life_months.data,
        regulation=form.regulation.data or None,
        note=form.note.data or None,
        active=bool(form.active.data),
    )


@bp.route("/admin/instrument-types/new", methods=["GET", "POST"], defaults={"type_id": None})
@bp.route("/admin/instrument-types/<int:type_id>/edit", methods=["GET", "POST"])
@admin_required
def edit_type(type_id: int | None) -> Any:
    item = services.get_instrument_type(type_id) if type_id is not None else None
    form = InstrumentTypeForm(obj=item)
    if request.method == "GET" and item is not None:
        form.mode.data, form.cycle_kind.data = item.mode.value, item.cycle_kind.value
    if form.validate_on_submit():
        try:
            saved = services.save_instrument_type(type_id, _facts(form))
        except DomainError as err:
            show_error(form, err)
        else:
            flash(_("已保存器具类型：%(name)s", name=saved.name), "success")
            return redirect(url_for("instruments.catalogue"))
    return render_template("instruments/type_form.html", form=form, item=item)
