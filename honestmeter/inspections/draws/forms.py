"""The draw's reveal form (announcing is a CSRF-only button: plans.forms.ActionForm)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import Length, Optional


class RevealForm(FlaskForm):
    beacon_value = StringField(_l("外部随机源的值"), validators=[Optional(), Length(max=256)])
