"""The regulator's inspector directory (the inspector's task list is in task_routes)."""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from honestmeter.errors import DomainError
from honestmeter.inspections.directory import services
from honestmeter.inspections.directory.forms import InspectorForm, ToggleForm
from honestmeter.merchants.queries import region_choices
from honestmeter.security import admin_required
from honestmeter.web import grouped_choices, show_error

bp = Blueprint("inspections", __name__)


@bp.route("/admin/inspectors")
@admin_required
def directory() -> Any:
    return render_template("inspections/directory.html", inspectors=services.directory(), form=ToggleForm())


@bp.route("/admin/inspectors/new", methods=["GET", "POST"])
@admin_required
def new_inspector() -> Any:
    form = InspectorForm()
    form.region_code.choices = grouped_choices(region_choices())
    if form.validate_on_submit():
        facts = services.InspectorFacts(
            name=form.name.data or "",
            badge_number=form.badge_number.data or "",
            region_code=form.region_code.data or "",
            specialties=re.split(r"[,，、;；]", form.specialties.data or ""),
            phone=form.phone.data or None,
        )
        try:
            inspector = services.add_inspector(
                facts, username=form.username.data or "", password=form.password.data or ""
            )
        except DomainError as err:
            show_error(form, err)
        else:
            flash(_("已将 %(name)s 录入检查人员名录库", name=inspector.name), "success")
            return redirect(url_for("inspections.directory"))
    return render_template("inspections/new.html", form=form)


@bp.route("/admin/inspectors/<int:inspector_id>/<any(activate,deactivate):action>", methods=["POST"])
@admin_required
def toggle_inspector(inspector_id: int, action: str) -> Any:
    if ToggleForm().validate_on_submit():
        try:
            services.set_inspector_active(inspector_id, active=action == "activate")
        except DomainError as err:
            show_error(None, err)
    return redirect(url_for("inspections.directory"))
