"""Forms of the 投诉举报 pages: the public form and the regulator's and handler's triage steps."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    MultipleFileField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from honestmeter.complaints.services import CATEGORY_LABELS, MAX_DESCRIPTION, MAX_REASONS
from honestmeter.inspections.tasks.forms import MultiCheckboxField
from honestmeter.web import DateBounds, choices


class ComplaintForm(FlaskForm):
    category = RadioField(
        _l("问题类别"),
        choices=choices([(c, _l(label)) for c, label in CATEGORY_LABELS.items()]),
        validators=[DataRequired(_l("请选择投诉举报类别"))],
    )
    merchant = StringField(_l("被投诉的经营者（名称或统一社会信用代码）"), validators=[DataRequired(), Length(max=200)])
    place = StringField(_l("地点（市场、摊位号、门店地址）"), validators=[Optional(), Length(max=300)])
    happened_on = DateField(_l("发生日期"), validators=[Optional(), DateBounds()])
    description = TextAreaField(_l("问题描述"), validators=[DataRequired(), Length(max=MAX_DESCRIPTION)])
    photos = MultipleFileField(_l("照片或票据（可选，JPEG、PNG 或 PDF，最多 3 个）"))
    contact_name = StringField(_l("姓名（可选）"), validators=[Optional(), Length(max=100)])
    contact_phone = StringField(_l("联系电话（可选）"), validators=[Optional(), Length(max=32)])
    contact_email = EmailField(_l("电子邮箱（可选）"), validators=[Optional(), Length(max=254)])
    wants_reward = BooleanField(_l("申请举报奖励（须留下真实姓名和联系电话）"))
    # A honeypot: hidden from people by CSS and aria-hidden; a bot that fills every field gives itself away.
    website = StringField(_l("请勿填写此项"))


class AssignForm(FlaskForm):
    handler_id = SelectField(_l("承办人"), coerce=int, validators=[DataRequired()])
    uscc = StringField(_l("被投诉经营者统一社会信用代码（可选）"), validators=[Optional(), Length(max=18)])


class CheckForm(FlaskForm):
    inspector_ids = MultiCheckboxField(_l("检查人员（至少两名）"), coerce=int)
    item_codes = MultiCheckboxField(_l("检查事项"))
    due_date = DateField(_l("完成期限"), validators=[Optional(), DateBounds()])


class VerifyForm(FlaskForm):
    verification = TextAreaField(_l("核查情况"), validators=[DataRequired(), Length(max=MAX_REASONS)])


class DecideForm(FlaskForm):
    outcome = RadioField(
        _l("处理结果"),
        choices=choices([("substantiated", _l("经查属实")), ("unsubstantiated", _l("经查不属实"))]),
        validators=[DataRequired()],
    )
    reasons = TextAreaField(
        _l("处理意见及理由（告知投诉举报人；经查属实的将向社会公示，请勿写入投诉举报人信息）"),
        validators=[DataRequired(), Length(max=MAX_REASONS)],
    )


class RewardForm(FlaskForm):
    amount = StringField(_l("奖励金额（元，0 表示不予奖励）"), validators=[DataRequired(), Length(max=16)])
    note = TextAreaField(_l("说明"), validators=[Optional(), Length(max=500)])
