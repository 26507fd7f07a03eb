"""/healthz for probes and monitoring, and the regulator's operations page (jobs and anchoring)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, render_template, request
from flask_babel import gettext
from flask_login import current_user

from honestmeter import clock
from honestmeter.console.queries import Chart
from honestmeter.extensions import db
from honestmeter.ledger.models import CHAIN_STATE_ID, LedgerChain
from honestmeter.ops import health, queries
from honestmeter.roles import Role
from honestmeter.security import admin_required, public
from honestmeter.settings import settings

bp = Blueprint("ops", __name__)


@bp.route("/healthz")
@public
def healthz() -> Any:
    status, checks = health.report()
    is_admin = current_user.is_authenticated and current_user.role == Role.ADMIN
    body = health.as_json(status, checks, with_detail=is_admin)
    return body, 503 if status == health.FAIL else 200, {"Cache-Control": "no-store"}


def _runs_chart(jobs: list[queries.JobHealth]) -> Chart:
    ran = [j for j in jobs if j.runs]
    return Chart(
        "hbar",
        [j.spec.description or j.spec.id for j in ran],
        [
            {"key": "ok", "label": gettext("成功"), "data": [j.runs - j.failures for j in ran]},
            {"key": "failed", "label": gettext("失败"), "data": [j.failures for j in ran]},
        ],
    )


@bp.route("/admin/operations")
@admin_required
def operations() -> Any:
    now = clock.utcnow()
    status, checks = health.report()
    jobs = queries.job_health(now)
    failed_only = request.args.get("failed") == "1"
    return render_template(
        "ops/operations.html",
        status=status,
        checks=checks,
        jobs=jobs,
        runs=queries.recent_runs(failed_only=failed_only),
        failed_only=failed_only,
        chart=_runs_chart(jobs),
        lag=health.anchoring_lag(now),
        chain=db.session.get(LedgerChain, CHAIN_STATE_ID),
        anchors=queries.recent_anchors(),
        chain_setting=current_app_chain(),
        now=now,
    )


def current_app_chain() -> str:
    """Which chain is configured, without any credentials or path a node URL may carry."""
    chain = settings().LEDGER_CHAIN
    if chain.startswith(("http://", "https://")):
        parts = urlsplit(chain)
        return f"{parts.scheme}://{parts.hostname}{':' + str(parts.port) if parts.port else ''}"
    return chain
