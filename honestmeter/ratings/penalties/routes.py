"""行政处罚: regulators record penalties; the public sees them during their publicity period."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from honestmeter import clock
from honestmeter.errors import DomainError, NotFound
from honestmeter.instruments.importing import RowError
from honestmeter.ratings.models import Penalty, PenaltyKind
from honestmeter.ratings.penalties import importing as penalty_import
from honestmeter.ratings.penalties import records as penalty_records
from honestmeter.ratings.penalties import services as penalties
from honestmeter.ratings.penalties.forms import PenaltyForm, PenaltyImportForm
from honestmeter.security import admin_required
from honestmeter.tables import N_
from honestmeter.web import describe, page_arg, paginate, show_error

bp = Blueprint("penalties", __name__)

IMPORT_MAX_BYTES = 5 * 1024 * 1024


@bp.app_template_global("penalty_last_public_day")
def _penalty_last_public_day(penalty: Penalty) -> date | None:
    return penalties.last_public_day(penalty)


def _penalty(penalty_id: int) -> Penalty:
    try:
        return penalties.get_penalty(penalty_id)
    except NotFound:
        abort(404)


def _day(name: str) -> date | None:
    try:
        return date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None


def _filters() -> penalties.Filters:
    return penalties.Filters(
        q=request.args.get("q", "")[:100],
        kind=request.args.get("kind", ""),
        state=request.args.get("state", ""),
        since=_day("since"),
        until=_day("until"),
    )


def _labels() -> dict[str, Any]:
    return {
        "kind_labels": penalties.KIND_LABELS,
    }


@bp.route("/admin/penalties")
@admin_required
def index() -> Any:
    filters = _filters()
    today = clock.today()
    page = paginate(penalties.search_stmt(filters, today), page_arg(), per_page=50)
    return render_template(
        "ratings/penalties.html",
        page=page,
        filters=filters,
        kinds=list(PenaltyKind),
        states=penalties.STATES,
        state={p.id: penalties.state_of(p, today) for p in page.items},
        **_labels(),
    )


@bp.route("/admin/penalties/export.csv")
@admin_required
def export() -> Any:
    data = penalties.export_csv(penalties.search_stmt(_filters()))
    name = f"行政处罚-{clock.today().isoformat()}.csv"
    return send_file(io.BytesIO(data), mimetype="text/csv; charset=utf-8", as_attachment=True, download_name=name)


@bp.route("/admin/penalties/new", methods=["GET", "POST"])
@admin_required
def new() -> Any:
    form = PenaltyForm()
    if request.method == "GET":
        form.uscc.data = request.args.get("uscc", "")[:40]
        form.source_task_id.data = request.args.get("task", type=int)
    if form.validate_on_submit():
        given = penalties.PenaltyFacts(
            uscc=form.uscc.data or "",
            decision_no=form.decision_no.data or "",
            violation_type=form.violation_type.data or "",
            content=form.content.data or "",
            fine_amount=form.fine_amount.data,
            other_measures=bool(form.other_measures.data),
            special_domain=bool(form.special_domain.data),
            authority=form.authority.data or "",
            decided_on=form.decided_on.data,
            source_task_id=form.source_task_id.data,
        )
        try:
            penalty = penalties.record_penalty(given, current_user)
        except DomainError as err:
            show_error(form, err)
        else:
            kind = _(penalties.KIND_LABELS[penalty.kind])
            flash(_("已登记行政处罚 %(no)s（%(kind)s）", no=penalty.decision_no, kind=kind), "success")
            return redirect(url_for("penalties.detail", penalty_id=penalty.id))
    thresholds = penalties.Thresholds.configured()
    status = 422 if request.method == "POST" else 200
    return render_template("ratings/penalties_new.html", form=form, thresholds=thresholds), status


@bp.route("/admin/penalties/<int:penalty_id>")
@admin_required
def detail(penalty_id: int) -> Any:
    penalty = _penalty(penalty_id)
    today = clock.today()
    return render_template(
        "ratings/penalties_detail.html",
        penalty=penalty,
        state=penalties.state_of(penalty, today),
        leaf=penalties.leaf_hash(penalty.id),
        money=penalty_records.money,
        **_labels(),
    )


@bp.route("/admin/penalties/import", methods=["GET", "POST"])
@admin_required
def import_file() -> Any:
    form = PenaltyImportForm()
    report = None
    if form.validate_on_submit():
        data = form.file.data.read(IMPORT_MAX_BYTES + 1)
        if len(data) > IMPORT_MAX_BYTES:
            report = penalty_import.Report()
            report.add(RowError(None, None, N_("文件超过 %(limit)s 的上限，请拆分后分批导入"), {"limit": "5 MB"}))
        else:
            report = penalty_import.import_penalties(data, current_user)
        if report.ok:
            flash(_("已导入 %(n)s 条行政处罚", n=report.imported), "success")
            return redirect(url_for("penalties.index"))
    return render_template(
        "ratings/penalties_import.html",
        form=form,
        report=report,
        errors=[describe(e) for e in report.errors] if report else [],
        headers=penalty_import.HEADERS,
    ), (422 if report is not None and not report.ok else 200)


@bp.route("/admin/penalties/import/template.csv")
@admin_required
def import_template() -> Any:
    return send_file(
        io.BytesIO(penalty_import.csv_template()),
        mimetype="text/csv; charset=utf-8",
        as_attachment=True,
        download_name="行政处罚导入模板.csv",
        max_age=0,
    )
