"""Credit lists: 经营异常名录, 严重违法失信名单, 诚信计量示范单位.

Regulators decide (list, remove, grant, revoke); merchants apply for the 示范单位 title and see their own entries;
the public sees listings in force and downloads a valid title's certificate. Merchant pages take the merchant from
the signed-in account, never from the URL: another merchant's entry or evidence is answered like a missing one (404).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, flash, has_request_context, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from honestmeter import attachments, clock, labels, scans
from honestmeter.errors import DomainError, NotFound
from honestmeter.instruments.forms import SCAN_ACCEPT
from honestmeter.lists import queries as list_queries
from honestmeter.lists import services as lists
from honestmeter.lists.forms import AbnormalForm, DecisionForm, ModelUnitApplicationForm, RemovalForm, SeriousForm
from honestmeter.lists.models import EntryStatus, ListEntry, ListKind
from honestmeter.security import admin_required, merchant_required, public
from honestmeter.tables import N_
from honestmeter.web import choices, page_arg, paginate, show_error

bp = Blueprint("lists", __name__)
KINDS = "any(abnormal,serious,model_unit)"


@bp.app_template_global("list_entry_leaf_hash")
def _list_entry_leaf_hash(entry_id: int) -> str | None:
    """For templates/lists/_public.html: the leaf of an entry's newest record (its 验证 link)."""
    return list_queries.leaf_hash(entry_id)


@bp.url_defaults
def _keep_kind(endpoint: str, values: dict[str, Any]) -> None:
    """The shared pager builds links from the query string only: keep the list kind of the page it is on."""
    if endpoint in {"lists.index", "lists.export"} and "kind" not in values and has_request_context():
        kind = (request.view_args or {}).get("kind")
        if kind is not None:
            values["kind"] = kind


def _labels() -> dict[str, Any]:
    return {
        "kind_labels": labels.LIST_KIND,
        "status_labels": labels.ENTRY_STATUS,
        "removal_labels": labels.REMOVAL_KIND,
    }


def _entry(entry_id: int) -> ListEntry:
    try:
        return list_queries.get_entry(entry_id)
    except NotFound:
        abort(404)


# ---------------------------------------------------------------- regulator: 经营异常名录 proposals (from 10 results)


@bp.route("/admin/lists/proposals")
@admin_required
def proposals() -> Any:
    return render_template("lists/proposals.html", entries=list_queries.proposals(), form=DecisionForm())


@bp.route("/admin/lists/<int:entry_id>/<any(approve,reject):decision>", methods=["POST"])
@admin_required
def decide(entry_id: int, decision: str) -> Any:
    """Decide an 经营异常名录 proposal or a 示范单位 application."""
    entry = _entry(entry_id)
    form = DecisionForm()
    if form.validate_on_submit():
        note = form.note.data or ""
        name = entry.merchant.name
        try:
            if entry.kind == ListKind.MODEL_UNIT and decision == "approve":
                lists.approve_model_unit(entry, current_user, authority=form.authority.data or "", note=note)
                flash(_("已认定为诚信计量示范单位：%(name)s", name=name), "success")
            elif entry.kind == ListKind.MODEL_UNIT:
                lists.reject_model_unit(entry, current_user, note)
                flash(_("已决定不予认定：%(name)s", name=name), "success")
            elif decision == "approve":
                lists.confirm_listing(entry, current_user, note)
                flash(_("已列入经营异常名录：%(name)s", name=name), "success")
            else:
                lists.reject_listing(entry, current_user, note)
                flash(_("已决定不予列入：%(name)s", name=name), "success")
        except DomainError as err:
            show_error(None, err)
    else:
        flash(_("审核意见过长"), "error")
    if entry.kind == ListKind.MODEL_UNIT:
        return redirect(url_for("lists.index", kind=ListKind.MODEL_UNIT.value, status="proposed"))
    return redirect(url_for("lists.proposals"))


# ---------------------------------------------------------------- regulator: the lists


def _filters(kind: str) -> list_queries.Filters:
    status = request.args.get("status", "")
    return list_queries.Filters(
        kind=ListKind(kind),
        status=status if status in {s.value for s in EntryStatus} else "",
        q=request.args.get("q", "")[:100],
    )


@bp.route(f"/admin/lists/<{KINDS}:kind>")
@admin_required
def index(kind: str) -> Any:
    filters = _filters(kind)
    page = paginate(list_queries.search_stmt(filters), page_arg(), per_page=50)
    return render_template(
        "lists/index.html",
        kind=filters.kind,
        filters=filters,
        page=page,
        pending=list_queries.pending_count(filters.kind),
        statuses=list(EntryStatus),
        form=DecisionForm(),
        **_labels(),
    )


@bp.route(f"/admin/lists/<{KINDS}:kind>/export.csv")
@admin_required
def export(kind: str) -> Any:
    data = list_queries.export_csv(list_queries.search_stmt(_filters(kind)))
    name = f"{_(labels.LIST_KIND[ListKind(kind)])}-{clock.today().isoformat()}.csv"
    return send_file(io.BytesIO(data), mimetype="text/csv; charset=utf-8", as_attachment=True, download_name=name)


def _new_listing(form: AbnormalForm | SeriousForm, kind: ListKind, decide: Callable[[], ListEntry], done: str) -> Any:
    """The listing form: prefilled on GET (USCC from the query, our authority, today), decided on a valid POST."""
    if request.method == "GET":
        form.uscc.data = request.args.get("uscc", "")[:40]
        form.authority.data = lists.authority_name()
        form.listed_on.data = clock.today()
    if form.validate_on_submit():
        try:
            entry = decide()
        except DomainError as err:
            show_error(form, err)
        else:
            flash(_(done, name=entry.merchant.name), "success")
            return redirect(url_for("lists.detail", entry_id=entry.id))
    status = 422 if request.method == "POST" else 200
    return render_template("lists/new.html", form=form, kind=kind, **_labels()), status


@bp.route("/admin/lists/abnormal/new", methods=["GET", "POST"])
@admin_required
def new_abnormal() -> Any:
    form = AbnormalForm()
    form.ground.choices = choices([("", _("请选择"))] + [(k, _(v)) for k, v in lists.ABNORMAL_GROUNDS.items()])
    return _new_listing(
        form,
        ListKind.ABNORMAL,
        lambda: lists.list_abnormal(
            uscc=form.uscc.data or "",
            ground=form.ground.data or "",
            note=form.note.data or "",
            authority=form.authority.data or "",
            listed_on=form.listed_on.data,
            by=current_user,
        ),
        N_("已列入经营异常名录：%(name)s"),
    )


@bp.route("/admin/lists/serious/new", methods=["GET", "POST"])
@admin_required
def new_serious() -> Any:
    form = SeriousForm()
    return _new_listing(
        form,
        ListKind.SERIOUS,
        lambda: lists.list_serious(
            uscc=form.uscc.data or "",
            decision_no=form.decision_no.data or "",
            reason=form.reason.data or "",
            authority=form.authority.data or "",
            listed_on=form.listed_on.data,
            by=current_user,
        ),
        N_("已列入严重违法失信名单：%(name)s"),
    )


def _detail(entry: ListEntry, *, removal_form: RemovalForm | None = None) -> Any:
    if removal_form is None:
        removal_form = RemovalForm()
        removal_form.authority.data = lists.authority_name()
        removal_form.removed_on.data = clock.today()
    return render_template(
        "lists/detail.html",
        entry=entry,
        versions=list_queries.history(entry),
        repair_on=lists.repair_eligible_on(entry),
        in_force=entry in list_queries.listed_for(entry.merchant_id),
        decision_form=DecisionForm(),
        removal_form=removal_form,
        **_labels(),
    )


@bp.route("/admin/lists/entries/<int:entry_id>")
@admin_required
def detail(entry_id: int) -> Any:
    return _detail(_entry(entry_id))


@bp.route("/admin/lists/entries/<int:entry_id>/remove", methods=["POST"])
@admin_required
def remove(entry_id: int) -> Any:
    """Remove an 经营异常名录 listing (defect cured) or revoke a 示范单位 title."""
    entry = _entry(entry_id)
    form = RemovalForm()
    if form.validate_on_submit():
        try:
            if entry.kind == ListKind.MODEL_UNIT:
                lists.revoke_model_unit(
                    entry,
                    current_user,
                    reason=form.reason.data or "",
                    authority=form.authority.data or "",
                    on=form.removed_on.data,
                )
                flash(_("已撤销诚信计量示范单位称号"), "success")
            else:
                lists.remove_abnormal(
                    entry,
                    reason=form.reason.data or "",
                    authority=form.authority.data or "",
                    removed_on=form.removed_on.data,
                    by=current_user,
                )
                flash(_("已移出经营异常名录"), "success")
        except DomainError as err:
            show_error(form, err)
        else:
            return redirect(url_for("lists.detail", entry_id=entry.id))
    return _detail(entry, removal_form=form), 422


@bp.route("/admin/lists/entries/<int:entry_id>/evidence/<sha256>")
@admin_required
def admin_evidence(entry_id: int, sha256: str) -> Any:
    return attachments.download(_entry(entry_id).evidence, sha256)


# ---------------------------------------------------------------- merchants


def _own(entry_id: int) -> ListEntry:
    try:
        return list_queries.own_entry(current_user.merchant_id, entry_id)
    except NotFound:
        abort(404)


@bp.route("/portal/model-unit", methods=["GET", "POST"])
@merchant_required
def my_model_unit() -> Any:
    merchant_id = current_user.merchant_id
    form = ModelUnitApplicationForm()
    if form.validate_on_submit():
        try:
            lists.apply_model_unit(
                merchant_id=merchant_id,
                by=current_user,
                application=form.application.data or "",
                evidence=attachments.uploads(form.evidence.name),
            )
        except DomainError as err:
            show_error(form, err)
        else:
            flash(_("已提交诚信计量示范单位申请，请等待审核"), "success")
            return redirect(url_for("lists.my_model_unit"))
    block = lists.application_block(merchant_id)
    return render_template(
        "lists/mine.html",
        form=form,
        block=block,
        entries=list_queries.for_merchant(merchant_id),
        current=list_queries.current_model_unit(merchant_id),
        accept=SCAN_ACCEPT,
        limit=scans.human_size(attachments.limit()),
        max_files=lists.MAX_EVIDENCE_FILES,
        **_labels(),
    ), (422 if request.method == "POST" else 200)


@bp.route("/portal/model-unit/<int:entry_id>/evidence/<sha256>")
@merchant_required
def my_evidence(entry_id: int, sha256: str) -> Any:
    return attachments.download(_own(entry_id).evidence, sha256)


# ---------------------------------------------------------------- public


@bp.route("/model-units")
@public
def public_model_units() -> Any:
    return render_template("lists/model_units.html", entries=list_queries.public_model_units(), **_labels())
