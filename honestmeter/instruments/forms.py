"""Forms: the instrument-type catalogue, the merchant's instruments, verifications and imports."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from honestmeter import labels
from honestmeter.instruments.models import InstrumentUse
from honestmeter.web import DateBounds, choices

CYCLE_LABELS = labels.lazy(labels.CYCLE_KIND)
MODE_LABELS = labels.lazy(labels.VERIFICATION_MODE)


class InstrumentTypeForm(FlaskForm):
    code = StringField(
        _l("代码"),
        validators=[
            DataRequired(),
            Length(max=40),
            Regexp(r"^[a-z0-9_]+$", message=_l("仅限小写字母、数字和下划线")),
        ],
    )
    name = StringField(_l("名称"), validators=[DataRequired(), Length(max=100)])
    category = StringField(_l("类别"), validators=[DataRequired(), Length(max=50)])
    mode = SelectField(_l("管理方式"), choices=choices(list(MODE_LABELS.items())))
    cycle_kind = SelectField(_l("检定方式"), choices=choices(list(CYCLE_LABELS.items())))
    cycle_months = IntegerField(_l("检定周期（月）"), validators=[Optional(), NumberRange(min=1, max=240)])
    service_life_months = IntegerField(_l("使用期限（月）"), validators=[Optional(), NumberRange(min=1, max=600)])
    regulation = StringField(_l("检定规程"), validators=[Optional(), Length(max=100)])
    note = StringField(_l("备注"), validators=[Optional(), Length(max=300)])
    active = BooleanField(_l("启用"), default=True)


USE_LABELS = labels.lazy(labels.INSTRUMENT_USE)
RESULT_LABELS = labels.lazy(labels.VERIFICATION_RESULT)
SCAN_ACCEPT = "application/pdf,image/jpeg,image/png"


class InstrumentForm(FlaskForm):
    """An instrument in the merchant's ledger; the verification fields are offered when adding only."""

    type_id = SelectField(_l("器具类型"), coerce=int, validators=[DataRequired()])
    serial_number = StringField(_l("出厂编号"), validators=[DataRequired(), Length(max=64)])
    maker = StringField(_l("制造商"), validators=[Optional(), Length(max=100)])
    model = StringField(_l("型号"), validators=[Optional(), Length(max=100)])
    location = StringField(_l("安装位置"), validators=[Optional(), Length(max=200)])
    use = SelectField(
        _l("用途"),
        choices=choices(list(USE_LABELS.items())),
        default=InstrumentUse.TRADE.value,
    )
    last_verified_on = DateField(_l("最近检定日期"), validators=[Optional(), DateBounds()])
    certificate_no = StringField(_l("检定证书编号"), validators=[Optional(), Length(max=64)])


class VerificationForm(FlaskForm):
    verified_on = DateField(_l("检定日期"), validators=[DataRequired(), DateBounds()])
    verifying_body = StringField(_l("检定机构"), validators=[DataRequired(), Length(max=200)])
    result = SelectField(_l("检定结论"), choices=choices(list(RESULT_LABELS.items())))
    certificate_no = StringField(_l("证书/通知书编号"), validators=[DataRequired(), Length(max=64)])
    scan = FileField(_l("证书扫描件（可选）"))


class ImportForm(FlaskForm):
    file = FileField(_l("台账文件（.xlsx 或 .csv）"), validators=[FileRequired(message=_l("请选择要导入的文件"))])


class ConfirmForm(FlaskForm):
    """A bare form for a one-button action (CSRF token only)."""
