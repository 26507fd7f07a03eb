"""The merchant's instrument ledger (强检计量器具台账) and the regulator's catalogue and views.

Merchant pages take the merchant from the signed-in account, never from the URL: an instrument id
of another merchant is answered exactly like one that does not exist (404).
"""

from __future__ import annotations

import io
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.datastructures import FileStorage

from honestmeter import clock, scans
from honestmeter.errors import DomainError
from honestmeter.instruments import importing, queries, records, services
from honestmeter.instruments.forms import (
    CYCLE_LABELS,
    MODE_LABELS,
    RESULT_LABELS,
    SCAN_ACCEPT,
    USE_LABELS,
    ConfirmForm,
    ImportForm,
    InstrumentForm,
    InstrumentTypeForm,
    VerificationForm,
)
from honestmeter.instruments.models import (
    CycleKind,
    Instrument,
    InstrumentStatus,
    InstrumentUse,
    VerificationMode,
    VerificationResult,
)
from honestmeter.ledger import services as ledger
from honestmeter.merchants import services as merchant_services
from honestmeter.security import admin_required, merchant_required
from honestmeter.web import choices, describe, show_error

bp = Blueprint("instruments", __name__)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _labels() -> dict[str, Any]:
    return {"cycle_labels": CYCLE_LABELS, "use_labels": USE_LABELS, "result_labels": RESULT_LABELS}


def _listing(items: list[Instrument], state: str) -> tuple[list[tuple[Instrument, str]], dict[str, int]]:
    today = clock.today()
    rows = [(i, queries.state_of(i, today)) for i in items]
    counts = dict.fromkeys(queries.STATES, 0)
    for _item, item_state in rows:
        counts[item_state] += 1
    return [(i, s) for i, s in rows if not state or s == state], counts


@bp.route("/portal/instruments")
@merchant_required
def my_instruments() -> Any:
    state = request.args.get("state", "")
    state = state if state in queries.STATES else ""
    rows, counts = _listing(queries.for_merchant(current_user.merchant_id), state)
    return render_template(
        "instruments/mine.html", items=rows, counts=counts, state=state, attention=queries.ATTENTION, **_labels()
    )


def _read(storage: FileStorage | None, limit: int) -> tuple[bytes, str]:
    """At most limit + 1 bytes of an upload (enough to tell it is too large) and its file name."""
    if storage is None or not storage.filename:
        return b"", ""
    return storage.stream.read(limit + 1), storage.filename


def _type_choices(form: InstrumentForm, current: Instrument | None) -> InstrumentForm:
    types = queries.active_types()
    if current is not None and current.type not in types:
        types.append(current.type)  # a retired catalogue entry stays selectable for its existing instruments
    form.type_id.choices = choices([(str(t.id), f"{t.name}（{t.code}）") for t in types])
    return form


def _instrument_facts(form: InstrumentForm) -> services.InstrumentFacts:
    return services.InstrumentFacts(
        type_id=int(form.type_id.data or 0),
        serial_number=form.serial_number.data or "",
        maker=form.maker.data,
        model=form.model.data,
        location=form.location.data,
        use=InstrumentUse(form.use.data),
    )


@bp.route("/portal/instruments/new", methods=["GET", "POST"])
@merchant_required
def new_instrument() -> Any:
    form = _type_choices(InstrumentForm(), None)
    if form.validate_on_submit():
        try:
            saved = services.add_instrument(
                current_user.merchant_id,
                _instrument_facts(form),
                last_verified_on=form.last_verified_on.data,
                certificate_no=form.certificate_no.data,
            )
        except DomainError as err:
            show_error(form, err)
        else:
            flash(_("已登记计量器具：%(name)s %(serial)s", name=saved.type.name, serial=saved.serial_number), "success")
            return redirect(url_for("instruments.instrument", instrument_id=saved.id))
    return render_template("instruments/form.html", form=form, item=None)


@bp.route("/portal/instruments/<int:instrument_id>")
@merchant_required
def instrument(instrument_id: int) -> Any:
    item = services.own_instrument(current_user.merchant_id, instrument_id)
    return _detail(item, scan_endpoint="instruments.my_scan", retire_form=ConfirmForm())


def _detail(item: Instrument, *, scan_endpoint: str, retire_form: ConfirmForm | None) -> Any:
    return render_template(
        "instruments/detail.html",
        item=item,
        state=queries.state_of(item),
        history=queries.verifications(item.id),
        record=ledger.latest_record(records.RECORD_TYPE, str(item.id)),
        scan_endpoint=scan_endpoint,
        retire_form=retire_form,
        **_labels(),
    )


@bp.route("/portal/instruments/<int:instrument_id>/edit", methods=["GET", "POST"])
@merchant_required
def edit_instrument(instrument_id: int) -> Any:
    item = services.own_instrument(current_user.merchant_id, instrument_id)
    if item.status is InstrumentStatus.RETIRED:
        flash(_("已停用的器具不能修改"), "error")
        return redirect(url_for("instruments.instrument", instrument_id=item.id))
    form = _type_choices(InstrumentForm(obj=item), item)
    if request.method == "GET":
        form.use.data = item.use.value
    if form.validate_on_submit():
        try:
            services.update_instrument(current_user.merchant_id, item.id, _instrument_facts(form))
        except DomainError as err:
            show_error(form, err)
        else:
            flash(_("已保存"), "success")
            return redirect(url_for("instruments.instrument", instrument_id=item.id))
    return render_template("instruments/form.html", form=form, item=item)


@bp.route("/portal/instruments/<int:instrument_id>/retire", methods=["POST"])
@merchant_required
def retire_instrument(instrument_id: int) -> Any:
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            item = services.retire_instrument(current_user.merchant_id, instrument_id)
        except DomainError as err:
            if err.status_code == 404:
                raise
            show_error(None, err)
        else:
            flash(
                _(
                    "已停用：%(name)s %(serial)s，检定记录仍保留在台账中",
                    name=item.type.name,
                    serial=item.serial_number,
                ),
                "success",
            )
    return redirect(url_for("instruments.instrument", instrument_id=instrument_id))


@bp.route("/portal/instruments/<int:instrument_id>/verifications/new", methods=["GET", "POST"])
@merchant_required
def new_verification(instrument_id: int) -> Any:
    item = services.own_instrument(current_user.merchant_id, instrument_id)
    form = VerificationForm()
    if request.method == "GET":
        form.verified_on.data = clock.today()
    limit = services.scan_limit()
    if form.validate_on_submit():
        data, filename = _read(form.scan.data, limit)
        try:
            services.record_verification(
                current_user.merchant_id,
                item.id,
                services.VerificationFacts(
                    verified_on=form.verified_on.data,
                    verifying_body=form.verifying_body.data or "",
                    certificate_no=form.certificate_no.data or "",
                    result=VerificationResult(form.result.data),
                ),
                scan=services.Upload(data, filename) if filename else None,
                recorded_by_id=current_user.id,
            )
        except DomainError as err:
            show_error(form, err)
        else:
            flash(_("已登记检定记录"), "success")
            return redirect(url_for("instruments.instrument", instrument_id=item.id))
    return render_template(
        "instruments/verification_form.html", form=form, item=item, accept=SCAN_ACCEPT, limit=scans.human_size(limit)
    )


def _send_scan(found: services.ScanFile) -> Any:
    response = send_file(found.path, mimetype=found.content_type, as_attachment=True, download_name=found.download_name)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/portal/instruments/<int:instrument_id>/verifications/<int:verification_id>/scan")
@merchant_required
def my_scan(instrument_id: int, verification_id: int) -> Any:
    return _send_scan(services.own_scan(current_user.merchant_id, instrument_id, verification_id))


@bp.route("/portal/instruments/import", methods=["GET", "POST"])
@merchant_required
def import_instruments() -> Any:
    form = ImportForm()
    limit = services.import_limit()
    report = None
    if form.validate_on_submit():
        data, _name = _read(form.file.data, limit)
        report = services.import_instruments(current_user.merchant_id, data, max_bytes=limit)
        if report.ok:
            flash(_("已导入 %(n)s 台计量器具", n=report.imported), "success")
            return redirect(url_for("instruments.my_instruments"))
    return render_template(
        "instruments/import.html",
        form=form,
        report=report,
        errors=[describe(e) for e in report.errors] if report else [],
        limit=scans.human_size(limit),
        headers=importing.HEADERS,
        uses=list(importing.USES),
    )


@bp.route("/portal/instruments/import/template.xlsx")
@merchant_required
def import_template_xlsx() -> Any:
    data = importing.xlsx_template(services.catalogue_entries())
    return _download(data, XLSX, "计量器具台账导入模板.xlsx")


@bp.route("/portal/instruments/import/template.csv")
@merchant_required
def import_template_csv() -> Any:
    data = importing.csv_template(services.catalogue_entries())
    return _download(data, "text/csv; charset=utf-8", "计量器具台账导入模板.csv")


def _download(data: bytes, mimetype: str, name: str) -> Any:
    return send_file(io.BytesIO(data), mimetype=mimetype, as_attachment=True, download_name=name, max_age=0)


# ---------------------------------------------------------------- regulators


@bp.route("/admin/merchants/<int:merchant_id>/instruments")
@admin_required
def merchant_instruments(merchant_id: int) -> Any:
    merchant = merchant_services.get_merchant(merchant_id)
    state = request.args.get("state", "")
    state = state if state in queries.STATES else ""
    rows, counts = _listing(queries.for_merchant(merchant.id), state)
    return render_template(
        "instruments/merchant.html", merchant=merchant, items=rows, counts=counts, state=state, **_labels()
    )


@bp.route("/admin/instruments/<int:instrument_id>")
@admin_required
def admin_instrument(instrument_id: int) -> Any:
    return _detail(services.get_instrument(instrument_id), scan_endpoint="instruments.admin_scan", retire_form=None)


@bp.route("/admin/instruments/<int:instrument_id>/verifications/<int:verification_id>/scan")
@admin_required
def admin_scan(instrument_id: int, verification_id: int) -> Any:
    return _send_scan(services.any_scan(instrument_id, verification_id))


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
