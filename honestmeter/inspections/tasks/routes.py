"""Inspector task list and on-site findings; regulators' directed tasks and task overview.

An inspector sees only the tasks they are assigned to: any other task id is answered 404, exactly like one that
does not exist. Photos are served from outside the web root, never cached, with the sniffed content type.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.datastructures import FileStorage
from wtforms import Field

from honestmeter import clock
from honestmeter.errors import DomainError
from honestmeter.extensions import db, talisman
from honestmeter.inspections import codes as results
from honestmeter.inspections.models import CheckForm, Finding, Plan, Task, TaskKind, TaskStatus
from honestmeter.inspections.tasks import evidence, findings, netcontent
from honestmeter.inspections.tasks import services as tasks
from honestmeter.inspections.tasks.forms import (
    KIND_LABELS,
    STATUS_LABELS,
    UNIT_LABELS,
    VERDICT_LABELS,
    ActionForm,
    ConfirmForm,
    DirectedTaskForm,
    FindingForm,
    PhotoForm,
    ReopenForm,
)
from honestmeter.inspections.tasks.instrument_check import judge_instrument
from honestmeter.instruments.forms import CYCLE_LABELS
from honestmeter.scans import human_size
from honestmeter.security import admin_required, inspector_required
from honestmeter.web import choices, page_arg, paginate, show_error

bp = Blueprint("tasks", __name__)


def plain(value: Decimal | None) -> str:
    """A stored amount without trailing zeros or exponent: Decimal("500.0000") → "500"."""
    return "" if value is None else format(value.normalize(), "f")


def _plain_decimal(value: Decimal | None) -> Decimal | None:
    return None if value is None else Decimal(plain(value))


def _labels() -> dict[str, Any]:
    return {
        "plain": plain,
        "kind_labels": KIND_LABELS,
        "status_labels": STATUS_LABELS,
        "verdict_labels": VERDICT_LABELS,
        "unit_labels": UNIT_LABELS,
        "result_labels": results.RESULT_CODES,
        "cycle_labels": CYCLE_LABELS,
    }


# ---------------------------------------------------------------- inspector


@bp.route("/inspector/")
@inspector_required
def inspector_home() -> Any:
    mine = tasks.my_tasks(current_user)
    return render_template(
        "inspections/tasks/home.html",
        profile=tasks.inspector_of(current_user),
        active=mine.active,
        completed=mine.completed,
        today=clock.today(),
        **_labels(),
    )


def _form_data(task: Task) -> dict[str, Any]:
    """What the check form starts with: the saved finding, or today's date and one empty row where needed."""
    finding = task.finding
    given = finding.item_results if finding else {}
    forms = {i.code: i.form for i in tasks.check_items(task)}
    data: dict[str, Any] = {
        "checked_on": finding.checked_on if finding else clock.today(),
        "items": [{"code": c, **given.get(c, {"verdict": "", "note": ""})} for c in task.item_codes],
        "result_codes": list(finding.result_codes) if finding else [],
        "notes": finding.notes if finding else "",
        "instruments": [],
        "samples": [],
    }
    if finding is not None:
        data["instruments"] = [
            {
                "instrument_id": str(c.instrument_id or ""),
                "description": c.description,
                "serial_found": "yes" if c.serial_found else "no",
                "verification_valid": "yes" if c.verification_valid else "no",
                "measured_error": _plain_decimal(c.measured_error),
                "mpe": _plain_decimal(c.mpe),
                "unit": c.unit,
                "note": c.note,
            }
            for c in finding.instrument_checks
        ]
        data["samples"] = [
            {
                "product": s.product,
                "batch": s.batch,
                "nominal": _plain_decimal(s.nominal),
                "unit": s.unit,
                "actuals": " ".join(s.actuals),
                "allowed_t1": s.allowed_t1,
            }
            for s in finding.samples
        ]
    if not data["instruments"] and CheckForm.INSTRUMENTS in forms.values():
        data["instruments"] = [{}]
    if not data["samples"] and CheckForm.NET_CONTENT in forms.values():
        data["samples"] = [{}]
    return data


def _instrument_choices(form: FindingForm, ledger: list[tuple[Any, str]]) -> None:
    options = [("", _("不在台账中（请在下方描述）"))] + [
        (str(i.id), f"{i.type.name} {i.serial_number}") for i, _state in ledger
    ]
    for row in form.instruments:
        row.form.instrument_id.choices = choices(options)


def _entry(form: FindingForm) -> findings.FindingEntry:
    def yes(value: str | None) -> bool | None:
        return None if not value else value == "yes"

    instruments = [
        findings.InstrumentEntry(
            instrument_id=int(r.instrument_id.data) if (r.instrument_id.data or "").isdigit() else None,
            description=r.description.data or "",
            serial_found=r.serial_found.data == "yes",
            verification_valid=yes(r.verification_valid.data),
            measured_error=r.measured_error.data,
            mpe=r.mpe.data,
            unit=r.unit.data or "",
            note=r.note.data or "",
        )
        for r in (row.form for row in form.instruments)
        if not r.remove.data and not r.is_blank()
    ]
    samples = [
        findings.SampleEntry(
            product=r.product.data or "",
            batch=r.batch.data or "",
            nominal=r.nominal.data,
            unit=r.unit.data or "",
            actuals=r.actuals.data or "",
            allowed_t1=r.allowed_t1.data or 0,
        )
        for r in (row.form for row in form.samples)
        if not r.remove.data and not r.is_blank()
    ]
    return findings.FindingEntry(
        checked_on=form.checked_on.data or clock.today(),
        result_codes=list(form.result_codes.data or []),
        items=[
            findings.ItemEntry(
                code=r.form.code.data or "", verdict=r.form.verdict.data or "", note=r.form.note.data or ""
            )
            for r in form.items
        ],
        instruments=instruments,
        samples=samples,
        notes=form.notes.data or "",
    )


def _fields(form: Any) -> Iterator[Field]:
    for f in form:
        if hasattr(f, "entries"):
            for entry in f.entries:
                yield from _fields(entry.form) if hasattr(entry, "form") else [entry]
        else:
            yield f


def _show(form: FindingForm | None, err: DomainError) -> None:
    """Like web.show_error, also for fields inside rows ("samples-0-actuals")."""
    if form is not None and err.field:
        for f in _fields(form):
            if f.name == err.field:
                f.errors = [*f.errors, err.localized(_)]
                flash(_("请修改标红的内容后再保存"), "error")
                return
    show_error(form, err)


@bp.route("/inspector/tasks/<int:task_id>", methods=["GET", "POST"])
@inspector_required
def inspector_task(task_id: int) -> Any:
    task = tasks.task_for_inspector(task_id, current_user)
    ledger = tasks.merchant_instruments(task.merchant_id)
    form = FindingForm() if request.method == "POST" else FindingForm(data=_form_data(task))
    if request.method == "POST" and tasks.editable(task):
        if form.add_instrument.data or form.add_sample.data:
            (form.instruments if form.add_instrument.data else form.samples).append_entry()
        elif form.validate_on_submit():
            try:
                findings.record_finding(task.id, current_user, _entry(form))
            except DomainError as err:
                _show(form, err)
            else:
                flash(_("检查记录已保存，请两名检查人员核对后分别确认"), "success")
                return redirect(url_for("tasks.inspector_task", task_id=task.id))
        else:
            flash(_("请修改标红的内容后再保存"), "error")
    _instrument_choices(form, ledger)
    return _render_task(task, form=form, ledger=ledger)


def _render_task(task: Task, *, form: FindingForm, ledger: list[tuple[Any, str]]) -> Any:
    mine = tasks.assignment_of(task, current_user)
    finding = task.finding
    return render_template(
        "inspections/tasks/inspector_task.html",
        task=task,
        form=form,
        ledger=ledger,
        ledger_valid={i.id: tasks.ledger_says_valid(i) for i, _state in ledger},
        items=findings.check_items_by_code(task),
        editable=tasks.editable(task),
        confirmed=tasks.confirmed_current(task),
        mine=mine,
        photo_form=PhotoForm(),
        confirm_form=ConfirmForm(revision=str(finding.revision) if finding else ""),
        action_form=ActionForm(),
        evidence_missing=finding is not None and tasks.evidence_missing(finding),
        unjudged=tasks.unjudged_items(task),
        photo_limit=human_size(findings.photo_limit()),
        accept=evidence.ACCEPT,
        measurements=_measurements(finding),
        **_labels(),
    )


def _read(storage: FileStorage | None, limit: int) -> bytes:
    """At most limit + 1 bytes of an upload: enough to tell that it is too large."""
    if storage is None or not storage.filename:
        return b""
    return storage.stream.read(limit + 1)


@bp.route("/inspector/tasks/<int:task_id>/photos", methods=["POST"])
@inspector_required
def upload_photo(task_id: int) -> Any:
    form = PhotoForm()
    if form.validate_on_submit():
        try:
            findings.add_photo(
                task_id, current_user, _read(form.photo.data, findings.photo_limit()), caption=form.caption.data or ""
            )
        except DomainError as err:
            if err.status_code == 404:
                raise
            show_error(None, err)
        else:
            flash(_("照片已上传，检查记录需重新确认"), "success")
    return redirect(url_for("tasks.inspector_task", task_id=task_id, _anchor="photos"))


# Photos are shown inline: whatever a file holds past its image header, it runs nothing. Set through Talisman, which
# writes the site-wide policy over any Content-Security-Policy a view sets itself.
PHOTO_CSP = "default-src 'none'; frame-ancestors 'none'; sandbox"


def _send_photo(found: findings.PhotoFile) -> Any:
    response = send_file(found.path, mimetype=found.content_type, as_attachment=False, download_name=found.name)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.route("/inspector/tasks/<int:task_id>/photos/<int:photo_id>")
@inspector_required
@talisman(content_security_policy=PHOTO_CSP)
def inspector_photo(task_id: int, photo_id: int) -> Any:
    return _send_photo(findings.photo_for_inspector(task_id, photo_id, current_user))


@bp.route("/inspector/tasks/<int:task_id>/photos/<int:photo_id>/delete", methods=["POST"])
@inspector_required
def delete_photo(task_id: int, photo_id: int) -> Any:
    if ActionForm().validate_on_submit():
        try:
            findings.remove_photo(task_id, photo_id, current_user)
        except DomainError as err:
            if err.status_code == 404:
                raise
            show_error(None, err)
        else:
            flash(_("照片已删除，检查记录需重新确认"), "success")
    return redirect(url_for("tasks.inspector_task", task_id=task_id, _anchor="photos"))


@bp.route("/inspector/tasks/<int:task_id>/confirm", methods=["POST"])
@inspector_required
def confirm(task_id: int) -> Any:
    form = ConfirmForm()
    if form.validate_on_submit():
        revision = int(form.revision.data) if (form.revision.data or "").isdigit() else -1
        try:
            task = tasks.confirm_finding(task_id, current_user, revision)
        except DomainError as err:
            if err.status_code == 404:
                raise
            show_error(None, err)
        else:
            if task.status == TaskStatus.COMPLETED:
                flash(
                    _("全部检查人员已确认，任务完成；检查结果须于 %(date)s 前公示", date=task.publish_deadline),
                    "success",
                )
            else:
                flash(_("您已确认本次检查记录，等待其他检查人员确认"), "success")
    return redirect(url_for("tasks.inspector_task", task_id=task_id))


# ---------------------------------------------------------------- what a finding measured, for display


def _measurements(finding: Finding | None) -> dict[str, Any]:
    """Per instrument check its reasons, per sample its per-package classes (recomputed from the stored values)."""
    if finding is None:
        return {"checks": {}, "samples": {}}
    checks = {
        c.id: judge_instrument(
            serial_found=c.serial_found,
            verification_valid=c.verification_valid,
            measured_error=c.measured_error,
            mpe=c.mpe,
        )
        for c in finding.instrument_checks
    }
    samples: dict[int, list[tuple[str, str]]] = {}
    for s in finding.samples:
        try:
            samples[s.id] = [(a, netcontent.classify(s.nominal, s.shortfall_limit, Decimal(a))) for a in s.actuals]
        except (ArithmeticError, ValueError):
            samples[s.id] = [(a, "?") for a in s.actuals]
    return {"checks": checks, "samples": samples}


# ---------------------------------------------------------------- regulator


def _filters() -> tasks.TaskFilter:
    plan = request.args.get("plan", "")
    return tasks.TaskFilter(
        status=request.args.get("status", ""),
        kind=request.args.get("kind", ""),
        plan_id=int(plan) if plan.isdigit() else None,
        overdue=request.args.get("overdue") == "1",
        q=request.args.get("q", "")[:100],
    )


@bp.route("/admin/tasks")
@admin_required
def admin_tasks() -> Any:
    filters = _filters()
    page = paginate(tasks.task_query(filters), page_arg())
    plans = db.session.scalars(sa.select(Plan).order_by(Plan.year.desc(), Plan.batch.desc())).all()
    return render_template(
        "inspections/tasks/admin_list.html",
        page=page,
        filters=filters,
        plans=plans,
        today=clock.today(),
        **_labels(),
    )


@bp.route("/admin/tasks/new", methods=["GET", "POST"])
@admin_required
def new_task() -> Any:
    form = DirectedTaskForm()
    people: list[tuple[Any, str]] = [  # int values: the field coerces the submitted ids to int
        (i.id, f"{i.name}（{i.badge_number}，{i.region.name}）") for i in tasks.active_inspectors()
    ]
    form.inspector_ids.choices = choices(people)
    form.item_codes.choices = choices([(i.code, f"{i.code} {i.name}") for i in tasks.active_check_items()])
    if form.validate_on_submit():
        try:
            task = tasks.assign_directed_task(
                kind=TaskKind(form.kind.data),
                uscc=form.uscc.data or "",
                inspector_ids=form.inspector_ids.data or [],
                item_codes=form.item_codes.data or [],
                due_date=form.due_date.data,
                reason=form.reason.data or "",
                by=current_user,
            )
        except DomainError as err:
            show_error(form, err)
        else:
            flash(_("已创建%(kind)s任务", kind=KIND_LABELS[task.kind]), "success")
            return redirect(url_for("tasks.admin_task", task_id=task.id))
    return render_template("inspections/tasks/new.html", form=form)


@bp.route("/admin/tasks/<int:task_id>")
@admin_required
def admin_task(task_id: int) -> Any:
    task = tasks.task_for_admin(task_id)
    return render_template(
        "inspections/tasks/admin_detail.html",
        task=task,
        items=findings.check_items_by_code(task),
        confirmed=tasks.confirmed_current(task),
        timeline=tasks.timeline(task),
        measurements=_measurements(task.finding),
        reopen_form=ReopenForm(),
        can_reopen=task.status == TaskStatus.COMPLETED,
        **_labels(),
    )


@bp.route("/admin/tasks/<int:task_id>/reopen", methods=["POST"])
@admin_required
def reopen(task_id: int) -> Any:
    form = ReopenForm()
    if form.validate_on_submit():
        try:
            tasks.reopen(task_id, current_user, form.reason.data or "")
        except DomainError as err:
            if err.status_code == 404:
                raise
            show_error(None, err)
        else:
            flash(_("已退回检查人员重新核对"), "success")
    else:
        tasks.task_for_admin(task_id)  # 404 before anything else for a task that does not exist
        for error in form.reason.errors:
            flash(str(error), "error")
    return redirect(url_for("tasks.admin_task", task_id=task_id))


@bp.route("/admin/tasks/<int:task_id>/photos/<int:photo_id>")
@admin_required
@talisman(content_security_policy=PHOTO_CSP)
def admin_photo(task_id: int, photo_id: int) -> Any:
    return _send_photo(findings.photo_for_admin(task_id, photo_id))
