"""Merchant portal overview and regulator dashboard (read-only aggregations)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, render_template
from flask_babel import gettext
from flask_login import current_user

from honestmeter import clock
from honestmeter.auth.models import AccountStatus, User
from honestmeter.commitments import services as commitment_services
from honestmeter.complaints import services as complaint_services
from honestmeter.console import queries
from honestmeter.extensions import db
from honestmeter.inspections import codes as result_codes
from honestmeter.inspections.models import Decision, Draw, DrawStatus, Inspector, Recusal
from honestmeter.inspections.replies import services as replies
from honestmeter.inspections.results import followup, publication
from honestmeter.inspections.results import records as result_records
from honestmeter.inspections.tasks import services as tasks
from honestmeter.instruments import queries as instrument_queries
from honestmeter.jobs import queries as job_queries
from honestmeter.ledger.services import ledger_status
from honestmeter.lists import queries as list_queries
from honestmeter.merchants.models import Merchant, Sector
from honestmeter.reminders import services as reminder_services
from honestmeter.security import admin_required, merchant_required

bp = Blueprint("console", __name__)


@bp.route("/portal/")
@merchant_required
def portal() -> Any:
    merchant = current_user.merchant
    return render_template(
        "console/portal.html",
        merchant=merchant,
        attention=instrument_queries.needing_attention(merchant.id),
        commitment=commitment_services.current_commitment(merchant.id),
        reminders=reminder_services.for_merchant(merchant.id),
        results=publication.published_for_merchant(merchant.id)[:5],
        open_orders=followup.open_orders_for_merchant(merchant.id),
        result_labels=result_codes.RESULT_CODES,
        kinds=result_records.KIND_LABELS,
        today=clock.today(),
    )


@bp.route("/portal/grade")
@merchant_required
def portal_grade() -> Any:
    """The merchant's own grade: reasons with their facts, what would raise it, and the history."""
    return render_template("console/grade.html", **queries.grade_page(current_user.merchant))


@bp.route("/admin/merchants/<int:merchant_id>/grade")
@admin_required
def merchant_grade(merchant_id: int) -> Any:
    merchant = db.session.get(Merchant, merchant_id)
    if merchant is None:
        abort(404)
    return render_template("console/merchant_grade.html", **queries.admin_grade_page(merchant))


def _count(stmt: sa.Select[Any]) -> int:
    return int(db.session.scalar(stmt) or 0)


@bp.route("/admin/")
@admin_required
def dashboard() -> Any:
    by_sector = db.session.execute(
        sa.select(Sector.name, sa.func.count(Merchant.id))
        .join(Merchant, Merchant.sector_code == Sector.code)
        .group_by(Sector.name, Sector.sort_order)
        .order_by(Sector.sort_order)
    ).all()
    largest = max((n for _, n in by_sector), default=0)
    today = clock.today()
    findings_by_sector, findings_by_region = queries.findings_by_sector_and_region(today, gettext)
    return render_template(
        "console/dashboard.html",
        merchants=_count(sa.select(sa.func.count(Merchant.id))),
        inspectors=_count(sa.select(sa.func.count(Inspector.id)).where(Inspector.active)),
        pending=_count(sa.select(sa.func.count(User.id)).where(User.status == AccountStatus.PENDING)),
        overdue=instrument_queries.overdue_count(),
        due_soon=instrument_queries.due_soon_count(),
        failed=instrument_queries.failed_count(),
        unverified=instrument_queries.unverified_count(),
        by_sector=by_sector,
        largest=largest,
        scheduler=job_queries.heartbeat(),
        ledger=ledger_status(),
        now=clock.utcnow(),
        charts={
            "grades": queries.grade_distribution(gettext),
            "changes": queries.grade_changes_by_month(today, gettext),
            "sectors": findings_by_sector,
            "regions": findings_by_region,
        },
        publication={
            "overdue": publication.overdue_count(),
            "due_soon": publication.due_soon_count(),
            "follow_ups": followup.open_follow_up_count(),
            "orders_late": followup.open_orders_past_deadline_count(),
            "proposals": list_queries.pending_count(),
        },
        social={"complaints": complaint_services.open_count(), "replies": replies.pending_count()},
        spot_checks={
            "draws_waiting": _count(sa.select(sa.func.count(Draw.id)).where(Draw.status == DrawStatus.ANNOUNCED)),
            "recusals": _count(sa.select(sa.func.count(Recusal.id)).where(Recusal.status == Decision.PENDING)),
            "tasks_late": _count(
                sa.select(sa.func.count()).select_from(tasks.task_query(tasks.TaskFilter(overdue=True)).subquery())
            ),
        },
    )
