"""Rule tables: regulators read every version and publish a new one (DESIGN §6); the grade card's leaf lookup."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from honestmeter.errors import DomainError
from honestmeter.ratings.forms import RuleTableForm
from honestmeter.ratings.grades import recompute
from honestmeter.ratings.grades import services as grades
from honestmeter.ratings.rules import services as rules
from honestmeter.scoring import DEFAULT_RULES, RuleSet
from honestmeter.security import admin_required
from honestmeter.web import show_error

bp = Blueprint("rules", __name__)


@bp.app_template_global("grade_fact_links")
def _grade_fact_links(reasons: Iterable[dict[str, Any]]) -> dict[str, list[grades.FactLink]]:
    """For templates/ratings/_macros.html: each fact ref of a grade's reasons → its records and their leaves."""
    return grades.fact_links(ref for r in reasons for ref in r.get("facts", []))


@bp.app_template_global("rule_leaf_hash")
def _rule_leaf_hash(version: int) -> str | None:
    return rules.leaf_hashes().get(version)


@bp.app_template_global("grade_rule_base")
def _grade_rule_base(version: int) -> int | None:
    table = rules.get(version)
    if table is None:
        return DEFAULT_RULES.base if version == DEFAULT_RULES.version else None
    return table.base


@bp.app_template_global("grade_cause_label")
def _grade_cause_label(cause: str) -> tuple[str, str]:
    return grades.cause_label(cause)


@bp.route("/admin/rules")
@admin_required
def versions() -> Any:
    tables = rules.versions()
    parsed = [RuleSet.from_json(t.body) for t in tables]
    changes = {
        t.version: rules.compare(parsed[i + 1] if i + 1 < len(parsed) else None, parsed[i])
        for i, t in enumerate(tables)
    }
    return render_template(
        "ratings/rules.html",
        tables=tables,
        authors=rules.authors(tables),
        changes=changes,
        leaves=rules.leaf_hashes(),
        defaults=rules.current() if not tables else None,
        pending=recompute.stale_rule_version(),
    )


@bp.route("/admin/rules/<int:version>")
@admin_required
def version(version: int) -> Any:
    table = rules.get_table(version)
    rule_set = RuleSet.from_json(table.body)
    previous = rules.get(version - 1)
    return render_template(
        "ratings/rules_version.html",
        table=table,
        rules=rule_set,
        author=rules.authors([table]).get(table.version),
        changes=rules.compare(previous, rule_set),
        previous=previous,
        leaf=rules.leaf_hashes().get(version),
        newest=rules.next_version() - 1,
    )


@bp.route("/admin/rules/new", methods=["GET", "POST"])
@admin_required
def new() -> Any:
    current = rules.current()
    form = RuleTableForm.for_rules(current)
    if form.validate_on_submit():
        try:
            published = recompute.publish_rules(form.body(), form.note.data or "", current_user)
        except DomainError as err:
            _show(form, err)
        else:
            if published.summary is None:
                flash(
                    _(
                        "已发布第 %(v)s 版评级规则，系统将在一分钟内开始按新规则重算全部经营者的等级。",
                        v=published.table.version,
                    ),
                    "success",
                )
            else:
                flash(
                    _(
                        "已发布第 %(v)s 版评级规则，并已重算全部 %(total)s 家经营者的等级（%(changed)s 家变化）。",
                        v=published.table.version,
                        total=published.summary.total,
                        changed=published.summary.changed,
                    ),
                    "success",
                )
            return redirect(url_for("rules.version", version=published.table.version))
    return render_template(
        "ratings/rules_new.html", form=form, rules=current, labels={r.code: r.label for r in current.rules}
    )


def _show(form: RuleTableForm, err: DomainError) -> None:
    """A service error next to its field, also inside the rule and cut-off rows ("rules-3-cap")."""
    field = err.field or ""
    parts = field.split("-")
    if len(parts) == 3 and parts[0] in ("rules", "cutoffs") and parts[1].isdigit():
        rows = getattr(form, parts[0])
        index = int(parts[1])
        if index < len(rows.entries) and parts[2] in rows.entries[index].form:
            target = rows.entries[index].form[parts[2]]
            target.errors = [*target.errors, err.localized(_)]
            return
    if parts[0] in ("rules", "cutoffs"):
        flash(err.localized(_), "error")
        return
    show_error(form, err)
