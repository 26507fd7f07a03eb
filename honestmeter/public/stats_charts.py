"""The transparency page's charts and its CSV download, shaped from the figures `stats` computes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from honestmeter import tables
from honestmeter.chinatime import china_time
from honestmeter.complaints.models import ComplaintCategory
from honestmeter.complaints.services import CATEGORY_LABELS
from honestmeter.console.queries import Chart
from honestmeter.inspections.codes import RESULT_CODES
from honestmeter.inspections.results.records import KIND_LABELS
from honestmeter.public import stats
from honestmeter.tables import N_

Gettext = Callable[..., str]


def untranslated(message: str, **params: Any) -> str:
    """gettext's signature without a catalogue: the msgid with its %(name)s values filled in."""
    return message % params if params else message


WRAP_OVER = 14  # characters: a longer category label is drawn on two or more lines


def wrap_label(label: str, over: int = WRAP_OVER) -> str | list[str]:
    """A label as the lines Chart.js draws it on (it takes a list as lines): whole if short, else in even parts."""
    if len(label) <= over:
        return label
    lines = -(-len(label) // over)
    size = -(-len(label) // lines)
    return [label[i : i + size] for i in range(0, len(label), size)]


@dataclass(frozen=True)
class WrappedChart(Chart):
    """A horizontal chart whose long category labels (result codes with their meaning) are drawn on several lines, so
    a phone's narrow label column shows them whole; the table below keeps each on one line."""

    def as_json(self) -> dict[str, Any]:
        return {**super().as_json(), "labels": [wrap_label(label) for label in self.labels]}


def _translated(chart: Chart, gettext: Gettext) -> Chart:
    return Chart(
        kind=chart.kind,
        labels=[gettext(label) for label in chart.labels],
        series=[{**s, "label": gettext(s["label"])} for s in chart.series],
        keys=chart.keys,
        totals=chart.totals,
    )


def charts(found: stats.Figures, gettext: Gettext = untranslated) -> dict[str, Chart]:
    """The page's charts, in the visitor's language (the numbers are those of `found`)."""
    months = found.period.labels
    results, timeliness, complaint_figures = found.results, found.timeliness, found.complaints
    drawn = {
        "commitments": Chart(
            kind="stacked",
            labels=months,
            series=[
                {"key": "first", "label": gettext(N_("首次签署")), "data": found.commitments.first},
                {"key": "renewal", "label": gettext(N_("续签")), "data": found.commitments.renewals},
            ],
        ),
        "checks": Chart(
            kind="bar",
            labels=[gettext(N_("%(year)s年"), year=y.year) for y in found.checks],
            series=[
                {"key": "drawn", "label": gettext(N_("抽取检查任务")), "data": [y.drawn for y in found.checks]},
                {"key": "done", "label": gettext(N_("已完成检查")), "data": [y.done for y in found.checks]},
                {"key": "published", "label": gettext(N_("已公示结果")), "data": [y.published for y in found.checks]},
            ],
        ),
        "results": WrappedChart(
            kind="hbar",
            labels=[f"{code} {gettext(label)}" for code, label in RESULT_CODES.items()],
            series=[
                {
                    "key": kind.value,
                    "label": gettext(KIND_LABELS[kind]),
                    "data": [results.by_code[c][kind] for c in RESULT_CODES],
                }
                for kind in stats.KINDS
            ],
        ),
        "timeliness": Chart(
            kind="stacked",
            labels=months,
            series=[
                {"key": "on_time", "label": gettext(N_("按期公示")), "data": timeliness.on_time},
                {"key": "late", "label": gettext(N_("逾期公示")), "data": timeliness.late},
            ],
        ),
        "complaints": Chart(
            kind="hbar",
            labels=[gettext(CATEGORY_LABELS[c]) for c in ComplaintCategory],
            series=[
                {
                    "key": outcome,
                    "label": gettext(label),
                    "data": [complaint_figures.by_category[c][outcome] for c in ComplaintCategory],
                }
                for outcome, label in stats.OUTCOMES.items()
            ],
        ),
    }
    if found.grades is not None:
        drawn["grades"] = _translated(found.grades, gettext)
    return drawn


CHART_TITLES: dict[str, str] = {
    "commitments": N_("诚信计量承诺签署"),
    "checks": N_("双随机抽查"),
    "results": N_("检查结果"),
    "timeliness": N_("结果公示及时情况"),
    "complaints": N_("投诉举报办理"),
    "grades": N_("计量信用等级分布"),
}
CSV_HEADERS = (N_("统计项目"), N_("分类"), N_("指标"), N_("数值"))


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def csv_rows(found: stats.Figures, gettext: Gettext = untranslated) -> list[tuple[str, str, str, object]]:
    """Every figure of the page as (topic, category, measure, value): the headline numbers, then each chart's table."""
    c, t, r, k = found.commitments, found.timeliness, found.results, found.complaints
    period = str(found.period.year) if found.period.year else f"{found.period.labels[0]}~{found.period.labels[-1]}"
    title = {name: gettext(msgid) for name, msgid in CHART_TITLES.items()}
    rows: list[tuple[str, str, str, object]] = [
        (gettext(N_("统计期间")), "", "", period),
        (gettext(N_("计算时间")), "", "", china_time(found.computed_at)),
        (title["commitments"], "", gettext(N_("在营经营者")), c.active_merchants),
        (title["commitments"], "", gettext(N_("承诺在有效期内的经营者")), c.in_force),
        (title["commitments"], "", gettext(N_("承诺覆盖率（%）")), _number(c.share)),
        (title["results"], "", gettext(N_("公示检查结果")), r.total),
        (title["results"], "", gettext(N_("发现问题的结果")), r.with_problem),
        *((title["results"], "", gettext(KIND_LABELS[kind]), r.by_kind[kind]) for kind in stats.KINDS),
        (title["timeliness"], "", gettext(N_("公示期限（工作日）")), t.deadline_days),
        (title["timeliness"], "", gettext(N_("按期公示")), sum(t.on_time)),
        (title["timeliness"], "", gettext(N_("逾期公示")), sum(t.late)),
        (title["timeliness"], "", gettext(N_("按期公示率（%）")), _number(t.share)),
        (title["timeliness"], "", gettext(N_("目前逾期未公示")), t.overdue_now),
        (title["complaints"], "", gettext(N_("受理投诉举报")), k.received),
        (title["complaints"], "", gettext(N_("已办结")), k.decided),
        (title["complaints"], "", gettext(N_("办结平均用时（天）")), _number(k.mean_days)),
        *(
            (title["checks"], gettext(N_("%(year)s年"), year=y.year), gettext(label), getattr(y, name))
            for y in found.checks
            for name, label in (("plans", N_("抽查计划")), ("draws", N_("摇号")), ("cancelled", N_("已取消任务")))
        ),
    ]
    for name, chart in charts(found, gettext).items():
        for label, values in chart.rows():
            rows += [(title[name], label, s["label"], v) for s, v in zip(chart.series, values, strict=True)]
    return rows


def csv_bytes(found: stats.Figures, gettext: Gettext = untranslated) -> bytes:
    return tables.write_csv([gettext(h) for h in CSV_HEADERS], csv_rows(found, gettext))
