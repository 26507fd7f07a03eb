"""Sign-in, registration and password forms (field checks only; rules live in services)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, StringField, TextAreaField
from wtforms.validators import DataRequired, EqualTo, Length, Optional


class LoginForm(FlaskForm):
    username = StringField(_l("用户名"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("密码"), validators=[DataRequired(), Length(max=256)])
    remember = BooleanField(_l("记住我"))


class DecisionForm(FlaskForm):
    """Approve or reject a pending registration; only CSRF plus an optional reason."""

    reason = TextAreaField(_l("不予通过的理由"), validators=[Optional(), Length(max=500)])


class PasswordForm(FlaskForm):
    current = PasswordField(_l("当前密码"), validators=[DataRequired()])
    new = PasswordField(_l("新密码"), validators=[DataRequired(), Length(min=8, max=256)])
    confirm = PasswordField(
        _l("确认新密码"), validators=[DataRequired(), EqualTo("new", message=_l("两次输入的密码不一致"))]
    )
