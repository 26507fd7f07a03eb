"""投诉举报 pages: the public form and tracking, the regulator's triage, the handler's verification.

The reporter's contact details appear only on the regulator's and the handler's pages; inspectors who only do the
on-site check see the complaint without them.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from honestmeter import attachments, clock, scans
from honestmeter.complaints import services
from honestmeter.complaints.forms import AssignForm, CheckForm, ComplaintForm, DecideForm, RewardForm, VerifyForm
from honestmeter.complaints.models import Complaint, ComplaintCategory, ComplaintStatus
from honestmeter.errors import DomainError, NotFound
from honestmeter.extensions import limiter
from honestmeter.inspections.tasks import services as tasks
from honestmeter.merchants.queries import find_by_uscc
from honestmeter.security import admin_required, inspector_required, public
from honestmeter.settings import settings
from honestmeter.web import choices, page_arg, paginate, show_error

bp = Blueprint("complaints", __name__)
PHOTO_ACCEPT = "image/jpeg,image/png,application/pdf,.jpg,.jpeg,.png,.pdf"
CODE_KEY = "complaint_code"


# One counter per address for the form and the open data API together (shared limits): filing through both must
# not double what an address may file, nor double the tracking-code guesses.
COMPLAINT_SCOPE = "complaints.file"
TRACKING_SCOPE = "complaints.track"


def complaint_limit() -> str:
    return settings().COMPLAINT_RATE_LIMIT


def tracking_limit() -> str:
    return settings().TRACKING_RATE_LIMIT


def _labels() -> dict[str, Any]:
    return {
        "category_labels": services.CATEGORY_LABELS,
        "status_labels": services.STATUS_LABELS,
        "display_code": services.display_code,
    }


# ---------------------------------------------------------------- the public


@bp.route("/complaints", methods=["GET", "POST"])
@limiter.shared_limit(complaint_limit, scope=COMPLAINT_SCOPE, methods=["POST"])
@public
def new() -> Any:
    form = ComplaintForm()
    if request.method == "GET":
        merchant = find_by_uscc(request.args.get("uscc", "")[:18])
        if merchant is not None:
            form.merchant.data = merchant.uscc
    if form.validate_on_submit():
        if form.website.data:  # the honeypot: no person sees that field
            abort(400)
        try:
            created = services.submit(
                services.NewComplaint(
                    category=form.category.data or "",
                    description=form.description.data or "",
                    merchant=form.merchant.data or "",
                    place=form.place.data or "",
                    happened_on=form.happened_on.data,
                    contact_name=form.contact_name.data or "",
                    contact_phone=form.contact_phone.data or "",
                    contact_email=form.contact_email.data or "",
                    wants_reward=bool(form.wants_reward.data),
                    photos=attachments.uploads(form.photos.name),
                )
            )
        except DomainError as err:
            show_error(form, err)
        else:
            session[CODE_KEY] = created.tracking_code
            return redirect(url_for("complaints.submitted"))
    named = find_by_uscc(form.merchant.data or "") if form.merchant.data else None
    return render_template(
        "complaints/new.html",
        form=form,
        named=named,
        accept=PHOTO_ACCEPT,
        limit=scans.human_size(attachments.limit()),
        max_photos=services.MAX_PHOTOS,
        rewards=services.reward_max() > 0,
        **_labels(),
    ), (422 if request.method == "POST" else 200)


@bp.route("/complaints/submitted")
@public
def submitted() -> Any:
    """Shown once after filing (post/redirect/get): the code lives in the session until this page shows it."""
    code = session.pop(CODE_KEY, None)
    if not code:
        return redirect(url_for("complaints.track"))
    response = current_app.make_response(render_template("complaints/submitted.html", code=code, **_labels()))
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/complaints/track")
@limiter.shared_limit(tracking_limit, scope=TRACKING_SCOPE)
@public
def track() -> Any:
    raw = request.args.get("code", "")[:40]
    found = services.by_tracking_code(raw) if raw else None
    status = services.public_status(found) if found is not None else None
    response = current_app.make_response(
        (
            render_template("complaints/track.html", code=raw, status=status, **_labels()),
            404 if raw and status is None else 200,
        )
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


# ---------------------------------------------------------------- regulators


def _complaint(complaint_id: int) -> Complaint:
    try:
        return services.get(complaint_id)
    except NotFound:
        abort(404)


@bp.route("/admin/complaints")
@admin_required
def queue() -> Any:
    status = request.args.get("status", "")
    status = status if status in {s.value for s in ComplaintStatus} else ""
    category = request.args.get("category", "")
    category = category if category in {c.value for c in ComplaintCategory} else ""
    page = paginate(services.queue_stmt(status, category), page_arg(), per_page=50)
    return render_template(
        "complaints/queue.html",
        page=page,
        status=status,
        category=category,
        open_count=services.open_count(),
        **_labels(),
    )


def _people() -> list[tuple[Any, str]]:
    """Active inspectors as choices (int values: the fields coerce the submitted ids to int)."""
    return [(i.id, f"{i.name}（{i.badge_number}，{i.region.name}）") for i in tasks.active_inspectors()]


@bp.route("/admin/complaints/export.csv")
@admin_required
def export() -> Any:
    status, category = request.args.get("status", ""), request.args.get("category", "")
    data = services.export_csv(services.queue_stmt(status, category))
    name = f"投诉举报-{clock.today().isoformat()}.csv"
    return send_file(io.BytesIO(data), mimetype="text/csv; charset=utf-8", as_attachment=True, download_name=name)


def _check_form(form: CheckForm | None = None) -> CheckForm:
    form = form or CheckForm()
    form.inspector_ids.choices = choices(_people())
    form.item_codes.choices = choices([(i.code, f"{i.code} {i.name}") for i in tasks.active_check_items()])
    return form


def _assign_form(item: Complaint, form: AssignForm | None = None) -> AssignForm:
    form = form or AssignForm(handler_id=item.handler_id, uscc=item.merchant.uscc if item.merchant is not None else "")
    form.handler_id.choices = choices(_people())
    return form


def _detail(item: Complaint, status_code: int = 200, **forms: Any) -> Any:
    return render_template(
        "complaints/detail.html",
        item=item,
        admin=True,
        show_contact=True,
        assign_form=forms.get("assign_form") or _assign_form(item),
        check_form=forms.get("check_form") or _check_form(),
        verify_form=forms.get("verify_form") or VerifyForm(verification=item.verification),
        decide_form=forms.get("decide_form") or DecideForm(),
        reward_form=forms.get("reward_form") or RewardForm(),
        reward_eligible=services.reward_eligible(item),
        reward_max=services.reward_max(),
        photo_endpoint="complaints.admin_photo",
        **_labels(),
    ), status_code


@bp.route("/admin/complaints/<int:complaint_id>")
@admin_required
def detail(complaint_id: int) -> Any:
    return _detail(_complaint(complaint_id))


def _step(item: Complaint, form: Any, form_key: str, act: Callable[[Any], object], done: str) -> Any:
    """One triage step posted from the detail page: done → back to it with a message; refused → the page again
    with the reason next to the field (422)."""
    if form.validate_on_submit():
        try:
            act(form)
        except DomainError as err:
            show_error(form, err)
        else:
            flash(done, "success")
            return redirect(url_for("complaints.detail", complaint_id=item.id))
    return _detail(item, 422, **{form_key: form})


@bp.route("/admin/complaints/<int:complaint_id>/assign", methods=["POST"])
@admin_required
def assign(complaint_id: int) -> Any:
    item = _complaint(complaint_id)
    return _step(
        item,
        _assign_form(item, AssignForm()),
        "assign_form",
        lambda f: services.assign(item.id, handler_id=f.handler_id.data, uscc=f.uscc.data or "", by=current_user),
        _("已指派承办人"),
    )


@bp.route("/admin/complaints/<int:complaint_id>/check", methods=["POST"])
@admin_required
def open_check(complaint_id: int) -> Any:
    item = _complaint(complaint_id)
    return _step(
        item,
        _check_form(CheckForm()),
        "check_form",
        lambda f: services.open_check(
            item.id,
            inspector_ids=f.inspector_ids.data or [],
            item_codes=f.item_codes.data or [],
            due_date=f.due_date.data,
            by=current_user,
        ),
        _("已发起投诉举报核查任务"),
    )


@bp.route("/admin/complaints/<int:complaint_id>/verify", methods=["POST"])
@admin_required
def verify(complaint_id: int) -> Any:
    item = _complaint(complaint_id)
    return _step(
        item,
        VerifyForm(),
        "verify_form",
        lambda f: services.record_verification(item.id, text=f.verification.data or "", by=current_user),
        _("已保存核查情况"),
    )


@bp.route("/admin/complaints/<int:complaint_id>/decide", methods=["POST"])
@admin_required
def decide(complaint_id: int) -> Any:
    item = _complaint(complaint_id)
    return _step(
        item,
        DecideForm(),
        "decide_form",
        lambda f: services.decide(
            item.id, substantiated=f.outcome.data == "substantiated", reasons=f.reasons.data or "", by=current_user
        ),
        _("已办结"),
    )


@bp.route("/admin/complaints/<int:complaint_id>/reward", methods=["POST"])
@admin_required
def reward(complaint_id: int) -> Any:
    item = _complaint(complaint_id)
    return _step(
        item,
        RewardForm(),
        "reward_form",
        lambda f: services.decide_reward(item.id, amount=f.amount.data or "", note=f.note.data or "", by=current_user),
        _("已作出举报奖励决定"),
    )


@bp.route("/admin/complaints/<int:complaint_id>/photos/<sha256>")
@admin_required
def admin_photo(complaint_id: int, sha256: str) -> Any:
    return attachments.download(_complaint(complaint_id).photos, sha256)


# ---------------------------------------------------------------- inspectors


def _handled(complaint_id: int) -> Complaint:
    try:
        return services.for_inspector(complaint_id, current_user)
    except NotFound:
        abort(404)


@bp.route("/inspector/complaints")
@inspector_required
def inspector_list() -> Any:
    page = paginate(services.handled_by_stmt(current_user), page_arg(), per_page=50)
    return render_template("complaints/inspector_list.html", page=page, **_labels())


@bp.route("/inspector/complaints/<int:complaint_id>", methods=["GET", "POST"])
@inspector_required
def inspector_detail(complaint_id: int) -> Any:
    item = _handled(complaint_id)
    handler = services.is_handler(item, current_user)
    form = VerifyForm() if request.method == "POST" else VerifyForm(verification=item.verification)
    if request.method == "POST":
        if not handler:
            abort(403)
        if form.validate_on_submit():
            try:
                services.record_verification(item.id, text=form.verification.data or "", by=current_user)
            except DomainError as err:
                show_error(form, err)
            else:
                flash(_("已保存核查情况"), "success")
                return redirect(url_for("complaints.inspector_detail", complaint_id=item.id))
    return render_template(
        "complaints/detail.html",
        item=item,
        admin=False,
        show_contact=handler,
        handler=handler,
        verify_form=form,
        photo_endpoint="complaints.inspector_photo",
        **_labels(),
    ), (422 if request.method == "POST" else 200)


@bp.route("/inspector/complaints/<int:complaint_id>/photos/<sha256>")
@inspector_required
def inspector_photo(complaint_id: int, sha256: str) -> Any:
    return attachments.download(_handled(complaint_id).photos, sha256)
