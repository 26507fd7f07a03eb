"""Forms of the credit-list pages: deciding proposals and applications, listing, removing, applying."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, MultipleFileField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from honestmeter.web import DateBounds


class DecisionForm(FlaskForm):
    """Confirm or reject a proposal (经营异常名录) or an application (示范单位); the note is the reason on rejection."""

    note = TextAreaField(_l("审核意见"), validators=[Optional(), Length(max=500)])
    authority = StringField(_l("作出决定机关"), validators=[Optional(), Length(max=100)])


class AbnormalForm(FlaskForm):
    uscc = StringField(_l("统一社会信用代码"), validators=[DataRequired(), Length(max=40)])
    ground = SelectField(_l("列入事由"), validators=[DataRequired()])
    note = TextAreaField(_l("情况说明（内部记录，不公示）"), validators=[Optional(), Length(max=500)])
    authority = StringField(_l("作出决定机关"), validators=[DataRequired(), Length(max=100)])
    listed_on = DateField(_l("列入日期"), validators=[DataRequired(), DateBounds()])


class SeriousForm(FlaskForm):
    uscc = StringField(_l("统一社会信用代码"), validators=[DataRequired(), Length(max=40)])
    decision_no = StringField(_l("列入决定书文号"), validators=[DataRequired(), Length(max=100)])
    reason = TextAreaField(_l("列入原因"), validators=[DataRequired(), Length(max=500)])
    authority = StringField(_l("作出决定机关"), validators=[DataRequired(), Length(max=100)])
    listed_on = DateField(_l("列入日期"), validators=[DataRequired(), DateBounds()])


class RemovalForm(FlaskForm):
    """Remove an 经营异常名录 listing, or revoke a 示范单位 title."""

    reason = TextAreaField(_l("移出原因"), validators=[DataRequired(), Length(max=500)])
    authority = StringField(_l("作出决定机关"), validators=[DataRequired(), Length(max=100)])
    removed_on = DateField(_l("移出日期"), validators=[DataRequired(), DateBounds()])


class ModelUnitApplicationForm(FlaskForm):
    application = TextAreaField(_l("申请说明（诚信计量工作情况）"), validators=[DataRequired(), Length(max=5000)])
    evidence = MultipleFileField(_l("证明材料（PDF、JPEG 或 PNG，可多选）"))
