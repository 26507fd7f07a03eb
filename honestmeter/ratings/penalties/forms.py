"""Forms of the 行政处罚 pages: record one penalty, import a file."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, DateField, DecimalField, IntegerField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from honestmeter.web import DateBounds


class PenaltyForm(FlaskForm):
    uscc = StringField(_l("当事人统一社会信用代码"), validators=[DataRequired(), Length(max=40)])
    decision_no = StringField(_l("行政处罚决定书文号"), validators=[DataRequired(), Length(max=100)])
    violation_type = StringField(_l("违法行为类型"), validators=[DataRequired(), Length(max=200)])
    content = TextAreaField(_l("行政处罚内容"), validators=[DataRequired(), Length(max=1000)])
    fine_amount = DecimalField(_l("罚款金额（元）"), places=None, validators=[Optional(), NumberRange(min=0)])
    other_measures = BooleanField(_l("其他处罚措施（没收、暂扣或吊销许可证件、责令停产停业、限制从业等）"))
    special_domain = BooleanField(_l("食品、药品、特种设备领域的处罚"))
    authority = StringField(_l("处罚决定机关"), validators=[DataRequired(), Length(max=100)])
    decided_on = DateField(_l("处罚决定日期"), validators=[DataRequired(), DateBounds()])
    source_task_id = IntegerField(_l("来源检查任务编号（可选）"), validators=[Optional(), NumberRange(min=1)])


class PenaltyImportForm(FlaskForm):
    file = FileField(_l("行政处罚文件（.xlsx 或 .csv）"), validators=[FileRequired(message=_l("请选择要导入的文件"))])
