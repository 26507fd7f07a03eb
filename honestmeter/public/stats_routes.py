"""The public transparency statistics page (透明度统计, issue 7) and its figures as CSV. Read-only."""

from __future__ import annotations

import io
from typing import Any

from flask import Blueprint, render_template, request, send_file
from flask_babel import gettext

from honestmeter import clock
from honestmeter.chinatime import CHINA
from honestmeter.public import stats, stats_charts
from honestmeter.security import public

bp = Blueprint("transparency", __name__)


def _year() -> int | None:
    """?year=YYYY within the years the platform can hold; anything else means the last twelve months."""
    year = request.args.get("year", type=int)
    return year if year is not None and stats.FIRST_YEAR <= year <= clock.today().year else None


@bp.route("/transparency")
@public
def statistics() -> Any:
    found = stats.figures(_year())
    return render_template(
        "public/transparency.html",
        figures=found,
        charts=stats_charts.charts(found, gettext),
        computed_at=found.computed_at.astimezone(CHINA),
    )


@bp.route("/transparency.csv")
@public
def statistics_csv() -> Any:
    found = stats.figures(_year())
    period = str(found.period.year) if found.period.year else clock.today().isoformat()
    return send_file(
        io.BytesIO(stats_charts.csv_bytes(found, gettext)),
        mimetype="text/csv; charset=utf-8",
        as_attachment=True,
        download_name=f"{gettext('监管统计')}-{period}.csv",
        max_age=0,
    )
