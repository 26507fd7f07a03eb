"""Signing, revocation and template forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length


class SignForm(FlaskForm):
    template_id = HiddenField()
    signer_name = StringField(_l("签署人姓名"), validators=[DataRequired(), Length(max=100)])
    signer_title = StringField(_l("签署人职务"), validators=[DataRequired(), Length(max=100)])
    password = PasswordField(_l("登录密码（确认签署）"), validators=[DataRequired(), Length(max=256)])


class RevokeForm(FlaskForm):
    reason = TextAreaField(_l("撤销理由"), validators=[DataRequired(), Length(max=500)])


class TemplateForm(FlaskForm):
    sector_code = SelectField(_l("行业"), validators=[DataRequired()])
    title = StringField(_l("标题"), validators=[DataRequired(), Length(max=100)], default="诚信计量承诺书")
    preamble = TextAreaField(_l("引言"), validators=[Length(max=2000)])
    points = TextAreaField(_l("承诺内容（每行一条）"), validators=[DataRequired(), Length(max=10000)])
