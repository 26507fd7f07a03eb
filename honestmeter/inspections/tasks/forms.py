"""Forms of the on-site check (inspector's phone) and of the regulator's task pages.

Rows of instrument checks and net-content samples are WTForms FieldLists: "add a row" is a submit button that
re-renders the form with one more empty row (nothing is saved), so the page works with JavaScript off.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from honestmeter import labels
from honestmeter.inspections.codes import RESULT_CODES
from honestmeter.inspections.models import TaskKind
from honestmeter.web import DateBounds, choices

KIND_LABELS = labels.lazy(labels.TASK_KIND)
STATUS_LABELS = labels.lazy(labels.TASK_STATUS)
VERDICT_LABELS = labels.lazy(labels.VERDICT)
UNIT_LABELS = labels.lazy(labels.UNIT)
YES_NO = [("yes", _l("是")), ("no", _l("否"))]



# Measurements beyond a million (g, mL, m, units) are typing slips, and "Infinity" or 1e999999999 must not reach
# the judging arithmetic.
MEASURE_LIMIT = 1_000_000

class MultiCheckboxField(SelectMultipleField):
    """Checkboxes for a multi-select (result codes, inspectors, items)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ItemRow(Form):
    code = HiddenField()
    verdict = RadioField(
        _l("结论"), choices=choices(list(VERDICT_LABELS.items())), validators=[Optional()], validate_choice=False
    )
    note = StringField(_l("说明"), validators=[Optional(), Length(max=500)])


class InstrumentRow(Form):
    instrument_id = SelectField(_l("台账中的器具"), validate_choice=False)
    description = StringField(_l("器具描述（台账外的器具必填）"), validators=[Optional(), Length(max=200)])
    serial_found = SelectField(_l("出厂编号与台账一致"), choices=choices(YES_NO), default="yes")
    verification_valid = SelectField(
        _l("检定有效"),
        choices=choices([("", _l("按台账判断")), *YES_NO]),
        default="",
    )
    measured_error = DecimalField(
        _l("示值误差"), places=None, validators=[Optional(), NumberRange(min=-MEASURE_LIMIT, max=MEASURE_LIMIT)]
    )
    mpe = DecimalField(
        _l("最大允许误差（±）"), places=None, validators=[Optional(), NumberRange(min=0, max=MEASURE_LIMIT)]
    )
    unit = StringField(_l("单位"), validators=[Optional(), Length(max=16)])
    note = StringField(_l("说明"), validators=[Optional(), Length(max=500)])
    remove = BooleanField(_l("删除此行"))

    def is_blank(self) -> bool:
        return not (
            self.instrument_id.data or (self.description.data or "").strip() or self.measured_error.data is not None
        )


class SampleRow(Form):
    product = StringField(_l("商品名称"), validators=[Optional(), Length(max=200)])
    batch = StringField(_l("批号"), validators=[Optional(), Length(max=100)])
    nominal = DecimalField(
        _l("标注净含量 Qn"), places=None, validators=[Optional(), NumberRange(min=0, max=MEASURE_LIMIT)]
    )
    unit = SelectField(_l("单位"), choices=choices(list(UNIT_LABELS.items())), default="g")
    actuals = TextAreaField(_l("各件实际含量（以空格、逗号或换行分隔）"), validators=[Optional(), Length(max=5000)])
    allowed_t1 = IntegerField(_l("允许 T1 类短缺件数"), default=0, validators=[Optional(), NumberRange(min=0)])
    remove = BooleanField(_l("删除此行"))

    def is_blank(self) -> bool:
        return not ((self.product.data or "").strip() or (self.actuals.data or "").strip() or self.nominal.data)


class FindingForm(FlaskForm):
    checked_on = DateField(_l("检查日期"), validators=[InputRequired(message=_l("请填写检查日期")), DateBounds()])
    items = FieldList(FormField(ItemRow))
    instruments = FieldList(FormField(InstrumentRow))
    samples = FieldList(FormField(SampleRow))
    result_codes = MultiCheckboxField(
        _l("检查结果"), choices=choices([(c, _l(label)) for c, label in RESULT_CODES.items()])
    )
    notes = TextAreaField(_l("备注"), validators=[Optional(), Length(max=5000)])
    save = SubmitField(_l("保存检查记录"))
    add_instrument = SubmitField(_l("增加一台器具"))
    add_sample = SubmitField(_l("增加一个样本"))


class PhotoForm(FlaskForm):
    photo = FileField(_l("现场照片"))
    caption = StringField(_l("说明"), validators=[Optional(), Length(max=200)])


class ConfirmForm(FlaskForm):
    revision = HiddenField()


class ActionForm(FlaskForm):
    """A bare form for a one-button action (CSRF token only)."""


class ReopenForm(FlaskForm):
    reason = TextAreaField(_l("退回原因"), validators=[DataRequired(message=_l("请填写退回原因")), Length(max=500)])


class DirectedTaskForm(FlaskForm):
    kind = SelectField(
        _l("任务类型"),
        choices=choices([(k.value, KIND_LABELS[k]) for k in (TaskKind.DIRECTED, TaskKind.COMPLAINT)]),
        default=TaskKind.DIRECTED.value,
    )
    uscc = StringField(_l("检查对象统一社会信用代码"), validators=[DataRequired(), Length(min=18, max=18)])
    inspector_ids = MultiCheckboxField(_l("检查人员（至少两名）"), coerce=int)
    item_codes = MultiCheckboxField(_l("检查事项"))
    due_date = DateField(_l("完成期限"), validators=[Optional(), DateBounds()])
    reason = TextAreaField(_l("检查原因"), validators=[DataRequired(), Length(max=500)])
