"""Form for a new version of the grading rules: the numbers of every rule, the cut-offs and the list grades.

Rule codes and labels are the engine's (facts are written under those codes), so they are not edited here; a new
version changes points, caps, windows, repair periods, the base score, the cut-offs and the list grades.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import FieldList, Form, FormField, HiddenField, IntegerField, SelectField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from honestmeter.scoring import RuleSet

LIMIT = 1000  # points and months: far beyond any sensible value, only to keep typos out of the table


class RuleRowForm(Form):  # nested: the outer form carries the CSRF token
    code = HiddenField()
    points = IntegerField(_l("分值"), validators=[InputRequired(), NumberRange(min=-LIMIT, max=LIMIT)])
    cap = IntegerField(_l("累计上限"), validators=[Optional(), NumberRange(min=-LIMIT, max=LIMIT)])
    window_months = IntegerField(_l("计分期限（月）"), validators=[Optional(), NumberRange(min=-LIMIT, max=LIMIT)])
    repair_after_months = IntegerField(
        _l("可申请修复（月）"), validators=[Optional(), NumberRange(min=-LIMIT, max=LIMIT)]
    )


class CutoffForm(Form):
    grade = HiddenField()
    min = IntegerField(_l("最低分"), validators=[InputRequired(), NumberRange(min=-LIMIT, max=LIMIT)])


class RuleTableForm(FlaskForm):
    base = IntegerField(_l("基础分"), validators=[InputRequired(), NumberRange(min=-LIMIT, max=LIMIT)])
    rules = FieldList(FormField(RuleRowForm))
    cutoffs = FieldList(FormField(CutoffForm))
    serious_list_grade = SelectField(_l("列入严重违法失信名单的等级"))
    abnormal_list_best = SelectField(_l("列入经营异常名录的最高等级"))
    note = TextAreaField(_l("修订说明"), validators=[DataRequired(), Length(max=500)])

    @classmethod
    def for_rules(cls, rules: RuleSet, **kwargs: Any) -> RuleTableForm:
        """The form for the table in force: prefilled from it on GET, bound to the posted data on POST."""
        data = rules.to_json()
        form = cls(
            data={
                "base": data["base"],
                "rules": [{k: r[k] for k in ("code", *ROW_FIELDS)} for r in data["rules"]],
                "cutoffs": data["cutoffs"],
                "serious_list_grade": data["serious_list_grade"],
                "abnormal_list_best": data["abnormal_list_best"],
            },
            **kwargs,
        )
        grades = [(g, g) for g, _ in rules.cutoffs]
        form.serious_list_grade.choices = grades
        form.abnormal_list_best.choices = grades
        return form

    def body(self) -> dict[str, Any]:
        """The edited table as RuleSet JSON (without version and labels: the service adds them)."""
        return {
            "base": self.base.data,
            "rules": [{"code": row.form.code.data, **{f: row.form[f].data for f in ROW_FIELDS}} for row in self.rules],
            "cutoffs": [{"grade": row.form.grade.data, "min": row.form.min.data} for row in self.cutoffs],
            "serious_list_grade": self.serious_list_grade.data,
            "abnormal_list_best": self.abnormal_list_best.data,
        }


ROW_FIELDS = ("points", "cap", "window_months", "repair_after_months")
