"""Forms of the 信用修复 pages: the merchant's application, the regulator's decision."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, MultipleFileField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional


class RepairForm(FlaskForm):
    target = HiddenField()
    target_id = HiddenField()
    statement = TextAreaField(_l("履行义务、纠正失信行为的情况说明"), validators=[DataRequired(), Length(max=5000)])
    signer_name = StringField(_l("承诺人姓名"), validators=[DataRequired(), Length(max=100)])
    signer_title = StringField(_l("承诺人职务"), validators=[DataRequired(), Length(max=100)])
    evidence = MultipleFileField(_l("证明材料（PDF、JPEG 或 PNG，可多选）"))


class ApproveForm(FlaskForm):
    note = TextAreaField(_l("审核意见（可选）"), validators=[Optional(), Length(max=1000)])


class RejectForm(FlaskForm):
    note = TextAreaField(_l("不予修复的理由"), validators=[DataRequired(), Length(max=1000)])
