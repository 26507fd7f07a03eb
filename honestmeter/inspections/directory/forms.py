"""Inspector directory form."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional


class InspectorForm(FlaskForm):
    name = StringField(_l("姓名"), validators=[DataRequired(), Length(max=100)])
    badge_number = StringField(_l("执法证号"), validators=[DataRequired(), Length(max=32)])
    region_code = SelectField(_l("所属地区"), validators=[DataRequired()])
    specialties = StringField(_l("专业领域（以逗号分隔）"), validators=[Optional(), Length(max=300)])
    phone = StringField(_l("联系电话"), validators=[Optional(), Length(max=32)])
    username = StringField(_l("登录用户名"), validators=[DataRequired(), Length(min=3, max=64)])
    password = PasswordField(_l("初始密码"), validators=[DataRequired(), Length(min=8, max=256)])


class ToggleForm(FlaskForm):
    """CSRF-only form for the activate / deactivate buttons."""
