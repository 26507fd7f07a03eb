"""Catalogue form for instrument types."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from honestmeter.instruments.models import CycleKind, VerificationMode
from honestmeter.web import choices

CYCLE_LABELS = {
    CycleKind.PERIODIC: _l("周期检定"),
    CycleKind.FIXED_LIFE: _l("首次检定，限期使用，到期轮换"),
    CycleKind.FIRST_ONLY: _l("只做首次检定，失准报废"),
    CycleKind.NONE: _l("不实行强制检定"),
}
MODE_LABELS = {
    VerificationMode.P: _l("P 型式批准"),
    VerificationMode.V: _l("V 强制检定"),
    VerificationMode.PV: _l("P+V 型式批准及强制检定"),
}


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
    mode = SelectField(_l("管理方式"), choices=choices([(m.value, label) for m, label in MODE_LABELS.items()]))
    cycle_kind = SelectField(_l("检定方式"), choices=choices([(k.value, label) for k, label in CYCLE_LABELS.items()]))
    cycle_months = IntegerField(_l("检定周期（月）"), validators=[Optional(), NumberRange(min=1, max=240)])
    service_life_months = IntegerField(_l("使用期限（月）"), validators=[Optional(), NumberRange(min=1, max=600)])
    regulation = StringField(_l("检定规程"), validators=[Optional(), Length(max=100)])
    note = StringField(_l("备注"), validators=[Optional(), Length(max=300)])
    active = BooleanField(_l("启用"), default=True)
