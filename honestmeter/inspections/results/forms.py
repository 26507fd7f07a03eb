"""Forms of the results pages: publish, 责令改正, closing a 09 follow-up, deciding a list proposal."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from honestmeter.web import DateBounds


class PublishForm(FlaskForm):
    """Publish one result, or (with task_ids checkboxes read from the request) several in one go."""


class OrderForm(FlaskForm):
    problems = TextAreaField(_l("发现的问题"), validators=[DataRequired(), Length(max=5000)])
    requirements = TextAreaField(_l("改正要求"), validators=[Optional(), Length(max=5000)])
    basis = StringField(_l("法律依据"), validators=[Optional(), Length(max=300)])
    deadline = DateField(_l("改正期限"), validators=[DataRequired(), DateBounds()])


class CloseFollowUpForm(FlaskForm):
    note = TextAreaField(_l("后续处理情况"), validators=[DataRequired(), Length(max=900)])


class DecisionForm(FlaskForm):
    note = TextAreaField(_l("审核意见"), validators=[Optional(), Length(max=500)])
