"""Merchant registration and directory forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, EqualTo, Length, Optional, Regexp

from honestmeter.merchants.models import MerchantStatus
from honestmeter.web import choices

PHONE = Regexp(r"^[0-9+\-() ]{5,32}$", message=_l("电话号码格式不正确"))


class MerchantFactsForm(FlaskForm):
    """The registered facts of a merchant; shared by self-registration and the directory form."""

    uscc = StringField(_l("统一社会信用代码"), validators=[DataRequired(), Length(max=40)])
    name = StringField(_l("经营者名称"), validators=[DataRequired(), Length(max=200)])
    sector_code = SelectField(_l("行业"), validators=[DataRequired()])
    region_code = SelectField(_l("所在地区"), validators=[DataRequired()])
    address = StringField(_l("经营场所地址"), validators=[DataRequired(), Length(max=300)])
    legal_representative = StringField(_l("法定代表人/负责人"), validators=[DataRequired(), Length(max=100)])
    contact_name = StringField(_l("联系人"), validators=[Optional(), Length(max=100)])
    contact_phone = StringField(_l("联系电话"), validators=[Optional(), PHONE])
    contact_email = EmailField(_l("电子邮箱"), validators=[Optional(), Length(max=254)])


class RegisterForm(MerchantFactsForm):
    display_name = StringField(_l("账号使用人姓名"), validators=[DataRequired(), Length(max=100)])
    username = StringField(_l("用户名"), validators=[DataRequired(), Length(min=3, max=64)])
    password = PasswordField(_l("密码"), validators=[DataRequired(), Length(min=8, max=256)])
    password_confirm = PasswordField(
        _l("确认密码"), validators=[DataRequired(), EqualTo("password", message=_l("两次输入的密码不一致"))]
    )


class MerchantAdminForm(MerchantFactsForm):
    status = SelectField(
        _l("经营状态"),
        choices=choices(
            [
                (MerchantStatus.ACTIVE.value, _l("在营")),
                (MerchantStatus.SUSPENDED.value, _l("停业")),
                (MerchantStatus.CLOSED.value, _l("注销")),
            ]
        ),
        default=MerchantStatus.ACTIVE.value,
    )
    override_reason = StringField(
        _l("校验码例外说明（仅当真实代码未通过校验时填写）"), validators=[Optional(), Length(max=300)]
    )


class ContactForm(FlaskForm):
    contact_name = StringField(_l("联系人"), validators=[Optional(), Length(max=100)])
    contact_phone = StringField(_l("联系电话"), validators=[Optional(), PHONE])
    contact_email = EmailField(_l("电子邮箱"), validators=[Optional(), Length(max=254)])


class ChangeRequestForm(MerchantFactsForm):
    """Registered facts, prefilled with the current values; only changed ones are requested."""

    contact_name = None  # contact details are changed directly, not through a request
    contact_phone = None
    contact_email = None
    reason = TextAreaField(_l("变更原因"), validators=[DataRequired(), Length(max=500)])


class ChangeDecisionForm(FlaskForm):
    note = TextAreaField(_l("审核意见"), validators=[Optional(), Length(max=500)])
