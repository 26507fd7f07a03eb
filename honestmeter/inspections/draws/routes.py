"""Draws: announcing a plan's draw and revealing it (admin); the public draw pages and their open API.

A blueprint of its own, above plans: the plan page links here by endpoint name, so plans imports nothing from draws.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from honestmeter import labels
from honestmeter.errors import DomainError, NotFound
from honestmeter.inspections.draws import services as draws
from honestmeter.inspections.draws.forms import RevealForm
from honestmeter.inspections.models import DrawStatus
from honestmeter.inspections.plans import services as plans
from honestmeter.inspections.plans.forms import ActionForm
from honestmeter.security import admin_required, public
from honestmeter.web import page_arg, show_error

bp = Blueprint("draws", __name__)


def _labels() -> dict[str, Any]:
    return {"draw_status_labels": labels.DRAW_STATUS, "stratum_labels": labels.STRATUM}



# ---------------------------------------------------------------- admin


@bp.route("/admin/plans/<int:plan_id>/announce", methods=["POST"])
@admin_required
def announce(plan_id: int) -> Any:
    plan = plans.get_plan(plan_id)
    if not ActionForm().validate_on_submit():
        return redirect(url_for("plans.plan_detail", plan_id=plan.id))
    try:
        draw = draws.announce(plan.id, by=current_user)
    except DomainError as err:
        show_error(None, err)
        return redirect(url_for("plans.plan_detail", plan_id=plan.id))
    flash(_("摇号已公告：参数已冻结并写入账本，锚定上链后即可揭晓"), "success")
    return redirect(url_for("draws.admin_draw", draw_id=draw.id))


@bp.route("/admin/draws/<int:draw_id>")
@admin_required
def admin_draw(draw_id: int) -> Any:
    draw = draws.get_draw(draw_id)
    return render_template(
        "inspections/draws/admin.html",
        draw=draw,
        view=draws.public_view(draw, page_arg()),
        form=RevealForm(),
        **_labels(),
    )


@bp.route("/admin/draws/<int:draw_id>/reveal", methods=["POST"])
@admin_required
def reveal(draw_id: int) -> Any:
    draw = draws.get_draw(draw_id)
    form = RevealForm()
    if form.validate_on_submit():
        try:
            draws.reveal(draw.id, beacon_value=form.beacon_value.data or None, by=current_user)
        except DomainError as err:
            show_error(None, err)
        else:
            flash(_("摇号已揭晓，检查任务已派发"), "success")
    return redirect(url_for("draws.admin_draw", draw_id=draw.id))


# ---------------------------------------------------------------- public pages


@bp.route("/draws")
@public
def public_draws() -> Any:
    return render_template("inspections/draws/list.html", page=draws.draws_page(page_arg()), **_labels())


@bp.route("/draws/<int:draw_id>")
@public
def public_draw(draw_id: int) -> Any:
    draw = draws.get_draw(draw_id)
    return render_template(
        "inspections/draws/public.html",
        draw=draw,
        view=draws.public_view(draw, page_arg()),
        notice_endpoint=plans.notice_endpoint(),
        **_labels(),
    )


# ---------------------------------------------------------------- open API


def _json(body: bytes, etag: str | None = None, filename: str | None = None) -> Response:
    response = Response(body, mimetype="application/json")
    if etag:
        response.set_etag(etag)
        response.headers["Cache-Control"] = "public, max-age=60"
    if filename:
        response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    response.make_conditional(request)
    return response


def _not_modified(etag: str) -> Response | None:
    if request.if_none_match.contains(etag):
        response = Response(status=304)
        response.set_etag(etag)
        return response
    return None


@bp.route("/api/v1/draws")
@public
def api_draws() -> Any:
    page = draws.draws_page(page_arg(), per_page=min(max(request.args.get("per_page", 50, type=int) or 50, 1), 200))
    return {
        "page": page.page,
        "per_page": page.per_page,
        "total": page.total,
        "pages": page.pages,
        "items": [draws.list_item_json(d) for d in page.items],
    }


@bp.route("/api/v1/draws/<int:draw_id>")
@public
def api_draw(draw_id: int) -> Any:
    return draws.summary_json(draws.get_draw(draw_id))


@bp.route("/api/v1/draws/<int:draw_id>/announcement")
@public
def api_announcement(draw_id: int) -> Any:
    """The announcement's exact JCS bytes: SHA-256 of this body is the announcement_hash."""
    draw = draws.get_draw(draw_id)
    etag = draw.announcement_hash.hex()
    return _not_modified(etag) or _json(draws.announcement_bytes(draw), etag, f"draw-{draw.id}-announcement.json")


@bp.route("/api/v1/draws/<int:draw_id>/bundle")
@public
def api_bundle(draw_id: int) -> Any:
    draw = draws.get_draw(draw_id)
    if draw.status != DrawStatus.DRAWN or draw.result_hash is None:
        raise NotFound("摇号尚未揭晓；揭晓前请查看公告 /api/v1/draws/<id>/announcement")
    etag = draw.announcement_hash.hex() + draw.result_hash.hex()
    return _not_modified(etag) or _json(draws.bundle_bytes(draw), etag, f"draw-{draw.id}-bundle.json")
