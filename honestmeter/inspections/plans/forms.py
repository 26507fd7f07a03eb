"""Forms: the 随机抽查事项清单, plans and recusals."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from honestmeter.inspections.models import CheckForm
from honestmeter.labels import CHECK_FORM as FORM_LABELS
from honestmeter.web import DateBounds, choices


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class CheckItemForm(FlaskForm):
    code = StringField(_l("事项编码"), validators=[DataRequired(), Length(max=20)])
    name = StringField(_l("事项名称"), validators=[DataRequired(), Length(max=100)])
    description = TextAreaField(_l("检查内容"), validators=[Optional(), Length(max=5000)])
    basis = StringField(_l("检查依据"), validators=[Optional(), Length(max=300)])
    key_item = BooleanField(_l("重点检查事项"))
    form = SelectField(
        _l("现场检查表"),
        choices=choices(list(FORM_LABELS.items())),
        default=CheckForm.GENERAL.value,
    )
    sort_order = IntegerField(_l("排序"), validators=[Optional(), NumberRange(min=0, max=10000)], default=0)


class PlanForm(FlaskForm):
    name = StringField(_l("计划名称"), validators=[DataRequired(), Length(max=200)])
    year = IntegerField(_l("年度"), validators=[DataRequired(), NumberRange(min=2000, max=2100)])
    batch = IntegerField(_l("批次"), validators=[DataRequired(), NumberRange(min=1, max=1000)])
    authority = StringField(_l("检查实施机关"), validators=[DataRequired(), Length(max=100)])
    region_codes = SelectMultipleField(_l("抽查地区（不选为全辖区）"), validators=[Optional()])
    sector_codes = MultiCheckboxField(_l("抽查行业（不选为全部行业）"), validators=[Optional()])
    item_codes = MultiCheckboxField(_l("抽查事项"), validators=[Optional()])
    ratio_a = StringField(_l("A级抽查比例"), validators=[DataRequired(), Length(max=10)], default="0.03")
    ratio_b = StringField(_l("B级抽查比例"), validators=[DataRequired(), Length(max=10)], default="0.10")
    ratio_c = StringField(_l("C级抽查比例"), validators=[DataRequired(), Length(max=10)], default="0.30")
    ratio_d = StringField(_l("D级抽查比例"), validators=[DataRequired(), Length(max=10)], default="0.60")
    ratio_unrated = StringField(_l("未评级抽查比例"), validators=[DataRequired(), Length(max=10)], default="0.10")
    per_case = IntegerField(
        _l("每个检查对象的执法人员数"), validators=[DataRequired(), NumberRange(min=2, max=10)], default=2
    )
    capacity = IntegerField(
        _l("每名执法人员任务上限"), validators=[DataRequired(), NumberRange(min=1, max=100000)], default=20
    )
    draw_at = DateTimeLocalField(
        _l("摇号时间（北京时间）"), format="%Y-%m-%dT%H:%M", validators=[Optional(), DateBounds()]
    )
    draw_cron = StringField(_l("或：定时表达式（crontab，北京时间）"), validators=[Optional(), Length(max=100)])
    beacon = StringField(_l("外部随机源（事先指定）"), validators=[Optional(), Length(max=300)])
    check_by = DateField(_l("检查完成期限"), validators=[Optional(), DateBounds()])
    publish_within_days = IntegerField(
        _l("结果公示期限（工作日）"), validators=[DataRequired(), NumberRange(min=1, max=365)], default=20
    )


class ActionForm(FlaskForm):
    """CSRF-only form for state-changing buttons."""


class InspectorRecusalForm(FlaskForm):
    uscc = StringField(_l("检查对象统一社会信用代码"), validators=[DataRequired(), Length(min=18, max=18)])
    reason = TextAreaField(_l("回避理由"), validators=[DataRequired(), Length(max=500)])


class MerchantRecusalForm(FlaskForm):
    badge_number = StringField(_l("执法人员执法证号"), validators=[DataRequired(), Length(max=32)])
    reason = TextAreaField(_l("申请回避理由"), validators=[DataRequired(), Length(max=500)])


class AdminRecusalForm(FlaskForm):
    uscc = StringField(_l("检查对象统一社会信用代码"), validators=[DataRequired(), Length(min=18, max=18)])
    badge_number = StringField(_l("执法人员执法证号"), validators=[DataRequired(), Length(max=32)])
    reason = TextAreaField(_l("回避理由"), validators=[DataRequired(), Length(max=500)])


class DecideRecusalForm(FlaskForm):
    note = StringField(_l("审核说明"), validators=[Optional(), Length(max=500)])
